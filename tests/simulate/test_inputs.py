"""Inputs: noisy rows with their true labels, and drift episodes that hurt a real model."""

from __future__ import annotations

import random
from collections import deque
from typing import Any

import numpy as np
import pytest
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

from modelbeacon.client import DatasetRows
from modelbeacon.inputs import FeatureSpec, numeric_features
from modelbeacon.metrics.judgement import AccuracyJudge
from modelbeacon.metrics.psi import DriftWindow
from modelbeacon.registry import DATASET_NAMES, TrainingSpec, load_dataset, train
from modelbeacon.registry.frames import frame_of
from modelbeacon.registry.reference import drift_reference, tabular_reference
from modelbeacon.simulate.arrivals import PoissonArrivals
from modelbeacon.simulate.config import SimulationConfig
from modelbeacon.simulate.inputs import (
    DriftSchedule,
    InputSampler,
    category_swap_share,
    population_std,
)
from modelbeacon.simulate.run import input_sampler, rate_wave
from tests.policies import health_policy


def _rows(name: str) -> DatasetRows:
    """The dataset as ``GET /api/datasets/{name}/rows`` hands it to the simulator."""
    dataset = load_dataset(name)
    return DatasetRows(
        name=name,
        feature_names=dataset.feature_names,
        rows=tuple(tuple(row) for row in dataset.X.tolist()),
        labels=tuple(dataset.y.tolist()),
    )


def _sampler(name: str, **options: Any) -> InputSampler:
    dataset = _rows(name)
    return InputSampler(dataset.rows, dataset.labels, dataset.feature_names, **options)


@pytest.fixture(scope="module")
def iris_model() -> Any:
    spec = TrainingSpec(dataset="iris", algorithm="logistic_regression")
    return train(spec, lambda _: None).estimator


def test_drift_schedule_is_on_inside_episodes_only() -> None:
    schedule = DriftSchedule(every=180.0, duration=60.0)
    assert not any(schedule.active(t) for t in (0.0, 59.0, 120.0, 179.99))
    assert all(schedule.active(t) for t in (180.0, 200.0, 239.99, 360.0, 419.9, 540.0))
    assert not any(schedule.active(t) for t in (240.0, 300.0, 359.99, 420.0, 539.0))
    assert [schedule.episode(t) for t in (10.0, 180.0, 250.0, 360.0, 545.0)] == [0, 1, 1, 2, 3]


def test_drift_schedule_says_how_long_an_episode_still_lasts() -> None:
    schedule = DriftSchedule(every=180.0, duration=60.0)
    assert schedule.seconds_left(100.0) == 0.0
    assert schedule.seconds_left(180.0) == 60.0
    assert schedule.seconds_left(400.0) == 20.0
    assert schedule.seconds_left(420.0) == 0.0


def test_drift_schedule_with_every_zero_never_drifts() -> None:
    schedule = DriftSchedule(every=0.0, duration=60.0)
    assert not any(schedule.active(t) for t in range(0, 10_000, 7))


def test_drift_schedule_refuses_an_episode_as_long_as_the_cycle() -> None:
    with pytest.raises(ValueError, match="duration < every"):
        DriftSchedule(every=60.0, duration=60.0)


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_population_std_is_numpys_bit_for_bit(name: str) -> None:
    dataset = load_dataset(name)
    assert population_std(dataset.X.tolist()) == tuple(dataset.X.std(axis=0).tolist())


def test_sampler_keeps_the_true_label_of_the_row() -> None:
    iris = load_dataset("iris")
    sampler = _sampler("iris", rng=random.Random(0), noise=0.0, drift_strength=0.0)
    rows = {tuple(float(v) for v in row): int(y) for row, y in zip(iris.X, iris.y, strict=True)}
    for t in range(200):
        sample = sampler.draw(float(t))
        assert rows[sample.features] == sample.label
        assert not sample.drifted


def test_sampler_is_deterministic_for_a_seed() -> None:
    schedule = DriftSchedule(every=10.0, duration=5.0)

    def draws(seed: int) -> list[Any]:
        sampler = _sampler("iris", rng=random.Random(seed), schedule=schedule)
        return [sampler.draw(t / 4) for t in range(400)]

    assert draws(1) == draws(1)
    assert draws(1) != draws(2)


def _accuracy(model: Any, sampler: InputSampler, t: float, n: int = 2000) -> float:
    samples = [sampler.draw(t) for _ in range(n)]
    predicted = model.predict(np.array([s.features for s in samples]))
    return float(np.mean(predicted == np.array([s.label for s in samples])))


def test_drifted_inputs_fall_under_80_percent_and_clean_ones_stay_above_85(
    iris_model: Any,
) -> None:
    sampler = _sampler(
        "iris",
        rng=random.Random(5),
        schedule=DriftSchedule(every=300.0, duration=70.0),
    )
    assert _accuracy(iris_model, sampler, t=100.0) > 0.85
    assert sampler.draw(320.0).drifted
    assert _accuracy(iris_model, sampler, t=320.0) < 0.80
    assert _accuracy(iris_model, sampler, t=400.0) > 0.85
    assert sampler.drifted_features == ("petal length (cm)", "petal width (cm)")


def test_default_drift_takes_the_live_window_under_80_and_back(iris_model: Any) -> None:
    # Replays the default traffic offline through the server's accuracy window (the last 100
    # labelled predictions, by prediction time) and its health judgement. Most episodes must
    # turn health critical and most must start from healthy; Poisson traffic makes "all"
    # unattainable.
    went_critical = started_healthy = episodes = 0
    judged_critical = judged_healthy = 0
    iris = _rows("iris")
    for seed in range(10):
        config = SimulationConfig(seed=seed)
        arrivals = PoissonArrivals(rate_wave(config), random.Random(f"{seed}:arrivals"))
        sampler = input_sampler(config, iris)
        choices = random.Random(f"{seed}:labels")
        labelled: list[tuple[float, tuple[float, ...], int]] = []
        t = arrivals.next_after(0.0)
        while t < 4 * config.drift_every:
            sample = sampler.draw(t)
            is_labelled, _inline, _delay = choices.random(), choices.random(), choices.random()
            if is_labelled < config.label_share:
                labelled.append((t, sample.features, sample.label))
            t = arrivals.next_after(t)
        correct = iris_model.predict(np.array([f for _, f, _ in labelled])) == np.array(
            [y for _, _, y in labelled]
        )
        window: deque[bool] = deque(maxlen=100)
        judge = AccuracyJudge.of(health_policy())
        history = []
        for (at, _, _), ok in zip(labelled, correct, strict=True):
            window.append(bool(ok))
            judge.observe(bool(ok), sum(window), len(window))
            history.append((at, sum(window) / len(window), judge.part))
        for k in (1, 2, 3):
            start = k * config.drift_every
            before = [h for h in history if h[0] < start][-1]
            during = [h for h in history if start <= h[0] <= start + config.drift_duration]
            episodes += 1
            went_critical += min(acc for _, acc, _ in during) < 0.80
            started_healthy += before[1] >= 0.85
            judged_critical += any(part == "critical" for _, _, part in during)
            judged_healthy += before[2] == "healthy"
    assert went_critical >= 0.9 * episodes
    assert started_healthy >= 0.85 * episodes
    assert judged_critical >= 0.9 * episodes, (judged_critical, episodes)
    assert judged_healthy >= 0.85 * episodes, (judged_healthy, episodes)


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_default_inputs_show_no_drift_until_an_episode(name: str) -> None:
    # The server's PSI against the training split's deciles, over its 1000-input window.
    dataset = load_dataset(name)
    X_train, _, _, _ = train_test_split(
        dataset.X, dataset.y, test_size=0.2, stratify=dataset.y, random_state=0
    )
    reference = drift_reference(X_train, dataset.feature_names)
    config = SimulationConfig(seed=3)
    sampler = input_sampler(config, _rows(name))
    clean, drifted = DriftWindow(reference), DriftWindow(reference)
    for _ in range(1000):
        clean.add(sampler.draw(10.0).features)
        drifted.add(sampler.draw(config.drift_every + 1.0).features)
    quiet = clean.summary()
    # The largest of 64 pixels' PSIs reads one pixel as moderate (0.14); none is significant.
    assert quiet is not None and quiet.score < (0.2 if name == "digits" else 0.1), quiet
    moved = drifted.summary()
    assert moved is not None
    levels = {f.name: f.level for f in moved.features}
    edges = {f.name: getattr(f, "edges", ()) for f in reference.features}
    # Only a feature whose deciles are all one value (digits' mostly blank pixels, edge 0)
    # cannot show a shift upwards: every shifted value is still in the bin right of it.
    unmoved = [f for f in sampler.drifted_features if levels[f] != "significant"]
    assert all(len(edges[f]) == 1 for f in unmoved), unmoved
    assert len(unmoved) < len(sampler.drifted_features) / 2


# -- uploaded datasets: numbers, categories and missing values --------------------------------

_MIXED_NAMES = ("id", "size", "weight", "colour", "shape")


def _mixed_rows(n: int = 400) -> DatasetRows:
    """Rows named by their ``id`` (so a noise-free draw shows its row), a numeric ``size`` and
    ``weight`` and categorical ``colour`` (blue the rarest) and ``shape`` (round and square
    as many, round first), some cells missing; the last three drift."""
    colours = ("red",) * 5 + ("green",) * 4 + ("blue",)
    rows = tuple(
        (
            float(i),
            None if i % 7 == 0 else round(10.0 + (i % 13) * 0.5, 1),
            None if i % 9 == 0 else float(50 + i % 17),
            None if i % 11 == 0 else colours[i % 10],
            ("round", "square")[i % 2],
        )
        for i in range(n)
    )
    return DatasetRows(
        name="mixed",
        feature_names=_MIXED_NAMES,
        rows=rows,
        labels=tuple(("small", "large")[i % 3 == 0] for i in range(n)),
    )


def _mixed_sampler(**options: Any) -> InputSampler:
    dataset = _mixed_rows()
    return InputSampler(dataset.rows, dataset.labels, dataset.feature_names, **options)


def test_population_std_skips_missing_values_and_categories() -> None:
    rows = _mixed_rows().rows
    stds = population_std(rows)
    for j in range(3):
        column = np.array([np.nan if r[j] is None else r[j] for r in rows], dtype=float)
        assert stds[j] == pytest.approx(float(np.nanstd(column)), rel=1e-12)
    assert stds[3:] == (0.0, 0.0)


def test_sampler_adds_noise_to_numbers_only_in_mixed_rows() -> None:
    # Same seed, same draws: the noise-free sampler shows which row each noisy sample is.
    dataset = _mixed_rows()
    clean = _mixed_sampler(rng=random.Random(4), noise=0.0)
    noisy = _mixed_sampler(rng=random.Random(4), noise=0.5)
    differences: list[list[float]] = [[], [], []]
    for _ in range(3000):
        row, sample = clean.draw(10.0), noisy.draw(10.0)
        index = int(row.features[0] or 0)
        assert row.features == dataset.rows[index] and row.label == dataset.labels[index]
        assert sample.label == row.label and not sample.drifted
        assert sample.features[3:] == row.features[3:]  # categories and None as they are
        for j in range(3):
            before, after = row.features[j], sample.features[j]
            if before is None:
                assert after is None
            else:
                assert isinstance(before, float) and isinstance(after, float)
                assert after == round(after, 1 if j == 1 else 0)
                differences[j].append(after - before)
    # The noise is 0.5 standard deviations of each column's present values, then rounded
    # to the column's resolution (size: 0.1, id and weight: 1).
    stds = population_std(dataset.rows)
    for j in range(3):
        assert float(np.std(differences[j])) == pytest.approx(0.5 * stds[j], rel=0.1), j


def test_drift_swaps_categories_to_the_rarest_during_episodes_only() -> None:
    dataset = _mixed_rows()
    sampler = _mixed_sampler(
        rng=random.Random(7), noise=0.0, schedule=DriftSchedule(every=100.0, duration=50.0)
    )
    assert sampler.drifted_features == ("weight", "colour", "shape")
    assert sampler.swapped_features == ("colour", "shape")
    shift = 2.5 * population_std(dataset.rows)[2]
    for t in (10.0, 160.0):
        sample = sampler.draw(t)
        assert sample.features == dataset.rows[int(sample.features[0] or 0)]
    swaps = {"colour": [0, 0], "shape": [0, 0]}  # swapped, could have been
    for _ in range(3000):
        sample = sampler.draw(120.0)
        row = dataset.rows[int(sample.features[0] or 0)]
        assert sample.drifted and sample.features[:2] == row[:2]
        weight = row[2]
        assert weight is None or isinstance(weight, float)
        assert sample.features[2] == (None if weight is None else round(weight + shift))
        for j, name, rarest in ((3, "colour", "blue"), (4, "shape", "round")):
            if row[j] is None:
                assert sample.features[j] is None
            elif row[j] != rarest:
                assert sample.features[j] in (row[j], rarest)
                swaps[name][0] += sample.features[j] == rarest
                swaps[name][1] += 1
    share = category_swap_share(2.5)
    assert share == pytest.approx(0.494, abs=0.001)
    for swapped, could in swaps.values():
        assert swapped / could == pytest.approx(share, abs=0.05)


def test_drift_moves_the_categorical_psi_too() -> None:
    # The server's PSI against a reference from the rows themselves, over its window.
    dataset = _mixed_rows()
    specs = (
        *numeric_features(_MIXED_NAMES[:3]),
        FeatureSpec("colour", "categorical", ("blue", "green", "red")),
        FeatureSpec("shape", "categorical", ("round", "square")),
    )
    reference = tabular_reference(frame_of(dataset.rows, specs), specs)
    sampler = _mixed_sampler(rng=random.Random(3), schedule=DriftSchedule(300.0, 70.0))
    clean, drifted = DriftWindow(reference), DriftWindow(reference)
    for _ in range(1000):
        clean.add(sampler.draw(10.0).features)
        drifted.add(sampler.draw(310.0).features)
    quiet, moved = clean.summary(), drifted.summary()
    assert quiet is not None and moved is not None
    assert {f.name for f in quiet.features if f.level != "none"} == set(), quiet
    levels = {f.name: f.level for f in moved.features}
    assert levels == {
        "id": "none",
        "size": "none",
        "weight": "significant",
        "colour": "significant",
        "shape": "significant",
    }, moved


def test_sampler_names_the_features_of_mixed_rows_and_lists_those_of_numbers() -> None:
    mixed = _mixed_sampler(rng=random.Random(0))
    sample = mixed.draw(0.0)
    keyed = mixed.request_features(sample)
    assert keyed == dict(zip(_MIXED_NAMES, sample.features, strict=True))
    iris = _sampler("iris", rng=random.Random(0))
    sample = iris.draw(0.0)
    assert iris.request_features(sample) == list(sample.features)
