"""Training on an uploaded CSV: a preprocessing pipeline for every algorithm, string classes,
missing values, the same progress, drift reference and calibration as built-ins."""

from __future__ import annotations

import csv
import hashlib
import random
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

from modelbeacon.errors import ArtifactIntegrityError, InvalidInputError, TrainingError
from modelbeacon.metrics.psi import CategoricalReference, NumericReference
from modelbeacon.registry.calibration import fit_calibration
from modelbeacon.registry.frames import frame_of
from modelbeacon.registry.reference import tabular_reference
from modelbeacon.registry.tabular import TabularSource, inspect_csv, load_csv
from modelbeacon.registry.training import ALGORITHM_NAMES, TrainingSpec, train, validate_spec

from .conftest import ProgressLog

FAST_PARAMS: dict[str, dict[str, Any]] = {
    "logistic_regression": {},
    "random_forest": {"n_estimators": 20},
    "gradient_boosting": {"n_estimators": 20},
    "sgd": {"max_iter": 10},
    "mlp": {"max_iter": 30},
}
# bill length, flipper length, body mass: means per species, roughly as measured
MEANS = {
    "Adelie": (38.8, 190.0, 3700.0),
    "Chinstrap": (48.8, 196.0, 3730.0),
    "Gentoo": (47.5, 217.0, 5076.0),
}
ISLANDS = {
    "Adelie": ("Biscoe", "Dream", "Torgersen"),
    "Chinstrap": ("Dream",),
    "Gentoo": ("Biscoe",),
}


def penguins(tmp_path: Path, rows: int = 150, seed: int = 0) -> TabularSource:
    """A penguins-like CSV: three numeric columns and two categorical ones, about 5% of their
    cells empty, string species; inspected as an upload would be."""
    rng = random.Random(seed)
    path = tmp_path / "penguins.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["bill_length_mm", "flipper_length_mm", "body_mass_g", "island", "sex",
                         "species"])  # fmt: skip
        for i in range(rows):
            species = sorted(MEANS)[i % 3]
            numbers = [round(rng.gauss(m, m * 0.04), 1) for m in MEANS[species]]
            cells = [*numbers, rng.choice(ISLANDS[species]), rng.choice(["female", "male"])]
            writer.writerow([("" if rng.random() < 0.05 else v) for v in cells] + [species])
    summary = inspect_csv(path, "species")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return TabularSource(str(path.resolve()), digest, "species", summary.features)


@pytest.mark.parametrize("algorithm", ALGORITHM_NAMES)
def test_every_algorithm_trains_a_pipeline_on_an_uploaded_csv(
    algorithm: str, tmp_path: Path, progress_log: ProgressLog
) -> None:
    source = penguins(tmp_path)
    spec = TrainingSpec("penguins", algorithm, FAST_PARAMS[algorithm], source=source)

    model = train(spec, progress_log)

    assert model.validation_accuracy > 0.85
    assert model.dataset == "penguins"
    assert model.classes == ("Adelie", "Chinstrap", "Gentoo")
    assert model.features == source.features
    assert model.feature_names == tuple(f.name for f in source.features)
    assert [f.kind for f in model.features] == ["numeric"] * 3 + ["categorical"] * 2
    assert (model.n_train, model.n_validation) == (120, 30)
    assert list(model.estimator.named_steps) == ["prepare", "model"]
    assert progress_log.stages() == ["loading_data", "splitting", "fitting", "evaluating"]
    percents = [r.progress for r in progress_log.reports]
    assert percents == sorted(percents) and percents[-1] == 92.0
    assert progress_log.reports[1].details == "150 rows, 5 features (2 categorical)"
    # a row with an unseen island and missing values still gets a prediction
    rows = [[None, 200.0, None, "Atlantis", None], [39.0, 190.0, 3700.0, "Torgersen", "male"]]
    frame = frame_of(rows, model.features)
    predicted = model.estimator.predict(frame)
    assert set(predicted) <= set(model.classes)
    assert predicted[1] == "Adelie"
    proba = model.estimator.predict_proba(frame)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.calibration is not None


def test_the_reference_and_calibration_come_from_the_same_split(tmp_path: Path) -> None:
    source = penguins(tmp_path)
    spec = TrainingSpec("penguins", "random_forest", {"n_estimators": 20}, 4, source=source)
    data = load_csv(Path(source.path), source.target, source.features)
    X_train, X_val, _, y_val = train_test_split(
        data.frame, data.y, test_size=0.2, stratify=data.y, random_state=4
    )

    model = train(spec, lambda _: None)

    assert model.reference == tabular_reference(X_train, source.features)
    bill, _, _, island, _ = model.reference.features
    assert isinstance(bill, NumericReference) and bill.missing
    assert bill.proportions[-1] == pytest.approx(X_train["bill_length_mm"].isna().mean())
    assert isinstance(island, CategoricalReference)
    assert island.categories == ("Biscoe", "Dream", "Torgersen")
    top = model.estimator.predict_proba(X_val).max(axis=1)
    correct = model.estimator.predict(X_val) == y_val
    assert model.calibration == fit_calibration(top, correct, random_state=4)


def test_integer_classes_of_an_uploaded_csv_stay_ints(tmp_path: Path) -> None:
    path = tmp_path / "numbers.csv"
    rng = random.Random(1)
    lines = ["x,colour,label"] + [
        f"{rng.gauss(3 * (i % 2), 1):.3f},{'red' if i % 2 else 'blue'},{i % 2}" for i in range(40)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    features = inspect_csv(path, "label").features
    source = TabularSource(str(path), hashlib.sha256(path.read_bytes()).hexdigest(), "label",
                           features)  # fmt: skip

    model = train(TrainingSpec("numbers", "sgd", {"max_iter": 5}, source=source), lambda _: None)

    assert model.classes == (0, 1)
    assert model.estimator.predict(frame_of([[3.0, "red"]], features)).tolist() == [1]


def test_an_uploaded_dataset_name_is_not_checked_against_the_built_ins(tmp_path: Path) -> None:
    source = penguins(tmp_path)

    validate_spec(TrainingSpec("my-penguins", "mlp", source=source))
    with pytest.raises(InvalidInputError, match="my-penguins"):
        validate_spec(TrainingSpec("my-penguins", "mlp"))


def test_a_changed_dataset_file_fails_training_on_its_checksum(tmp_path: Path) -> None:
    source = penguins(tmp_path)
    spec = TrainingSpec("penguins", "logistic_regression", source=replace(source, sha256="0" * 64))

    with pytest.raises(TrainingError) as info:
        train(spec, lambda _: None)

    assert isinstance(info.value.__cause__, ArtifactIntegrityError)
    assert info.value.details["stage"] == "loading_data"


def test_a_validation_split_too_small_for_every_class_says_what_to_change(tmp_path: Path) -> None:
    source = penguins(tmp_path, rows=30)
    spec = TrainingSpec("penguins", "logistic_regression", validation_fraction=0.05, source=source)

    with pytest.raises(TrainingError) as info:
        train(spec, lambda _: None)

    assert isinstance(info.value.__cause__, InvalidInputError)
    assert "holds out 2" in info.value.message
    assert "change validation_fraction or add rows" in info.value.message
    assert info.value.details["stage"] == "splitting"
