"""One training job in its own process.

Training runs in a spawned child so that neither the GIL nor a crash (segfault, OOM kill) of a
fit can stall or take down the server: predictions keep flowing while a model trains. The child
trains, saves the artifact with skops, and reports over a one-way pipe:
``("progress", TrainingProgress)`` any number of times, then ``("done", TrainingOutcome)`` or
``("error", message)``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from modelbeacon.errors import ModelbeaconError, TrainingError
from modelbeacon.inputs import FeatureSpec
from modelbeacon.metrics.calibration import Calibration
from modelbeacon.metrics.psi import DriftReference
from modelbeacon.registry import (
    ArtifactStore,
    StoredArtifact,
    TrainingProgress,
    TrainingSpec,
    train,
)

_JOIN_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class TrainingOutcome:
    """What the child hands back: the ``TrainedModel`` facts the service stores, and where
    the artifact was saved (the estimator itself stays in the child)."""

    validation_accuracy: float
    feature_names: tuple[str, ...]
    features: tuple[FeatureSpec, ...]
    accepts_missing: bool
    classes: tuple[Any, ...]
    reference: DriftReference
    calibration: Calibration | None
    artifact: StoredArtifact


def _child_main(spec: TrainingSpec, artifact_root: str, key: str, conn: Connection) -> None:
    try:
        trained = train(spec, lambda p: conn.send(("progress", p)))
        conn.send(("progress", TrainingProgress("saving", 93.0, "writing the skops artifact")))
        artifact = ArtifactStore(Path(artifact_root)).save(key, trained.estimator)
        conn.send(
            (
                "done",
                TrainingOutcome(
                    validation_accuracy=trained.validation_accuracy,
                    feature_names=trained.feature_names,
                    features=trained.features,
                    accepts_missing=trained.accepts_missing,
                    classes=tuple(trained.classes),
                    reference=trained.reference,
                    calibration=trained.calibration,
                    artifact=artifact,
                ),
            )
        )
    except ModelbeaconError as exc:
        conn.send(("error", exc.message))
    except Exception as exc:  # anything else a fit raises still ends as a failed job
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class TrainingProcess:
    """A started training child; ``wait`` blocks (call it in a thread) until it reports."""

    def __init__(self, spec: TrainingSpec, artifact_root: Path, key: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_child_main,
            args=(spec, str(artifact_root), key, sender),
            name=f"modelbeacon-train-{key}",
            daemon=True,
        )
        self._process.start()
        # The parent must not hold the write end, or recv() would never see EOF.
        sender.close()

    def wait(self, on_progress: Callable[[TrainingProgress], None]) -> TrainingOutcome:
        try:
            while True:
                try:
                    kind, value = self._receiver.recv()
                except EOFError:
                    self._process.join(_JOIN_SECONDS)
                    code = self._process.exitcode
                    raise TrainingError(
                        f"the training process ended unexpectedly (exit code {code})"
                    ) from None
                if kind == "progress":
                    on_progress(value)
                elif kind == "done":
                    return value  # type: ignore[no-any-return]
                else:
                    raise TrainingError(str(value))
        finally:
            self._receiver.close()
            self._process.join(_JOIN_SECONDS)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()

    def terminate(self) -> None:
        """Stop the child now (server shutdown); ``wait`` then raises TrainingError."""
        if self._process.is_alive():
            self._process.kill()
