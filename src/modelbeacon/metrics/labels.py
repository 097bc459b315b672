"""What the accuracy window's labels say besides accuracy: confusion and label delay."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from modelbeacon.metrics.latency import nearest_rank
from modelbeacon.metrics.records import LabelledOutcome


@dataclass(frozen=True, slots=True)
class Confusion:
    """``{classes, matrix}``: ``matrix[i][j]`` counts labels ``classes[i]`` predicted as
    ``classes[j]`` (row = true label, column = prediction)."""

    classes: tuple[Any, ...]
    matrix: tuple[tuple[int, ...], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"classes": list(self.classes), "matrix": [list(row) for row in self.matrix]}


def confusion(outcomes: Sequence[LabelledOutcome], classes: Sequence[Any]) -> Confusion | None:
    """The confusion of ``outcomes``; ``None`` when there are none.

    Its classes are ``classes`` (the model's, in order) followed by any other label or
    prediction found, in order of first appearance, so nothing labelled is left out.
    """
    if not outcomes:
        return None
    order = list(classes)
    index = {value: i for i, value in enumerate(order)}
    for outcome in outcomes:
        for value in (outcome.label, outcome.prediction):
            if value not in index:
                index[value] = len(order)
                order.append(value)
    counts = [[0] * len(order) for _ in order]
    for outcome in outcomes:
        counts[index[outcome.label]][index[outcome.prediction]] += 1
    return Confusion(tuple(order), tuple(tuple(row) for row in counts))


@dataclass(frozen=True, slots=True)
class LabelDelay:
    """``{p50, p95}`` in seconds of ``labelled_at - timestamp`` (nearest rank)."""

    p50: float
    p95: float

    def as_dict(self) -> dict[str, Any]:
        return {"p50": self.p50, "p95": self.p95}


def label_delay(outcomes: Sequence[LabelledOutcome]) -> LabelDelay | None:
    """Percentiles of the outcomes' delays; ``None`` when there are none."""
    if not outcomes:
        return None
    delays = sorted(outcome.delay for outcome in outcomes)
    return LabelDelay(nearest_rank(delays, 50), nearest_rank(delays, 95))


def estimate_gap(
    outcomes: Sequence[LabelledOutcome], calibration: Callable[[float], float]
) -> float | None:
    """Mean calibrated top-class probability minus accuracy over the outcomes that have a
    probability (the same predictions on both sides); ``None`` when none has one."""
    scored = [o for o in outcomes if o.top_probability is not None]
    if not scored:
        return None
    n = len(scored)
    confidence = math.fsum(calibration(o.top_probability or 0.0) for o in scored) / n
    return confidence - sum(outcome.correct for outcome in scored) / n
