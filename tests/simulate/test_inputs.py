"""Inputs: noisy rows with their true labels, and drift episodes that hurt a real model."""

from __future__ import annotations

import random
from collections import deque
from typing import Any

import numpy as np
import pytest
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

from modelbeacon.client import DatasetRows
from modelbeacon.metrics.judgement import AccuracyJudge
from modelbeacon.metrics.psi import DriftWindow
from modelbeacon.registry import DATASET_NAMES, TrainingSpec, load_dataset, train
from modelbeacon.registry.reference import drift_reference
from modelbeacon.simulate.arrivals import PoissonArrivals
from modelbeacon.simulate.config import SimulationConfig
from modelbeacon.simulate.inputs import DriftSchedule, InputSampler, population_std
from modelbeacon.simulate.traffic import input_sampler, rate_wave
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
