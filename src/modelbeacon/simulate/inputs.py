"""What each request sends: a noisy dataset row, its true label, and scheduled drift.

Pure: no clock, no I/O; the caller passes the time since the run started.

Rows are drawn uniformly from the whole dataset, not only from the server's held-out
validation split: that split belongs to the server (and changes with its training spec), so
the simulator does not try to mirror it. The added noise (``noise`` training standard
deviations per numeric feature), rounded to the resolution the dataset was recorded at, varies
many requests from their row without moving the inputs' distribution off the training one; at
the default 0.05 a logistic regression on iris stays around 96% accurate.

A row of an uploaded dataset may also hold categories (strings) and missing values (``None``):
a column is numeric when its present values are all numbers, categorical otherwise. Noise
touches numbers only; a category and a missing value are sent as they are.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

#: One cell of a dataset row: a number, a category, or missing.
Value = float | str | None


@dataclass(frozen=True)
class DriftSchedule:
    """Drift episodes of ``duration`` seconds, starting at ``every``, ``2 * every``, ...

    ``every == 0`` means no drift ever. The first episode starts only after ``every``
    seconds, so a run begins undrifted and a model can show it is healthy first.
    Requires ``every >= 0`` and, when ``every > 0``, ``0 <= duration < every``.
    """

    every: float = 300.0
    duration: float = 70.0

    def __post_init__(self) -> None:
        if self.every < 0 or (self.every > 0 and not 0 <= self.duration < self.every):
            raise ValueError(
                f"need every >= 0 and 0 <= duration < every; got every={self.every}, "
                f"duration={self.duration}"
            )

    def active(self, t: float) -> bool:
        """True while ``t`` (seconds since the start) lies inside an episode."""
        if self.every <= 0 or t < self.every:
            return False
        return (t % self.every) < self.duration

    def seconds_left(self, t: float) -> float:
        """How long the episode ``t`` lies in still lasts; 0.0 outside episodes."""
        if not self.active(t):
            return 0.0
        return self.duration - (t % self.every)

    def episode(self, t: float) -> int:
        """1 for the first episode, 2 for the second...; 0 before the first (or no drift)."""
        if self.every <= 0 or t < self.every:
            return 0
        return int(t // self.every)


@dataclass(frozen=True)
class Sample:
    """One request's input: ``features`` in the dataset's column order, the true ``label``,
    and whether drift was applied to it."""

    features: tuple[Value, ...]
    label: int | str
    drifted: bool


def population_std(rows: Sequence[Sequence[Value]]) -> tuple[float, ...]:
    """Each column's population standard deviation over its numbers (``None`` and strings
    skipped; 0.0 for a column with none). For an all-number table it is bit for bit numpy's
    ``X.std(axis=0)``: plain running sums down the rows (neither ``math.fsum`` nor the
    compensated ``sum`` of Python 3.12), so the seeded samples match the sampler's numpy past.

    Requires at least one row, all of the same length.
    """
    return tuple(_std(_numbers(column)) for column in zip(*rows, strict=True))


def category_swap_share(drift_strength: float) -> float:
    """The share of drifted requests whose categorical values are swapped: the share of a
    normal column's values that a shift of ``drift_strength`` standard deviations carries
    across its mean, Phi(d) - 1/2 (0.49 at the default 2.5; 0 without drift)."""
    return 0.5 * math.erf(drift_strength / math.sqrt(2.0))


def is_numeric_column(column: Sequence[Value]) -> bool:
    """True when every present value of ``column`` is a number (``None`` is missing)."""
    return all(isinstance(v, float) for v in column if v is not None)


class InputSampler:
    """Draws noisy copies of ``rows``, shifted while ``schedule`` says drift is on.

    ``rows`` are the dataset's feature values, named in order by ``feature_names``;
    ``labels[i]`` is the true class of ``rows[i]``.

    Drift moves the second half of the columns (for iris: petal length and petal width).
    A numeric one is shifted by ``drift_strength`` (population) standard deviations: that
    moves the feature means, so the server's ``drift_score`` rises, and at the default 2.5 it
    sends a logistic regression on iris from about 95% to under 40% accuracy on drifted
    inputs, which takes the live accuracy window under 80% within an episode. A categorical
    one is swapped, in a share ``category_swap_share(drift_strength)`` of the drifted
    requests, to the column's rarest category (the first of the rarest, in row order), so its
    category proportions, and with them its PSI, move too; a missing value stays missing.
    All randomness comes from ``rng``: one Gaussian draw per numeric column per request, and
    during an episode one uniform draw per column of ``swapped_features``.
    """

    def __init__(
        self,
        rows: Sequence[Sequence[Value]],
        labels: Sequence[int | str],
        feature_names: Sequence[str],
        *,
        rng: random.Random,
        noise: float = 0.05,
        drift_strength: float = 2.5,
        schedule: DriftSchedule | None = None,
    ) -> None:
        if noise < 0 or drift_strength < 0:
            raise ValueError("noise and drift_strength must be >= 0")
        self._rows = [tuple(_cell(v) for v in row) for row in rows]
        self._labels = [label if isinstance(label, str) else int(label) for label in labels]
        self._feature_names = tuple(feature_names)
        columns = list(zip(*self._rows, strict=True))
        first_drifted = len(feature_names) // 2
        swap_share = category_swap_share(drift_strength)
        self._columns: list[_NumericColumn | _CategoricalColumn] = []
        for i, column in enumerate(columns):
            drifts = i >= first_drifted
            if is_numeric_column(column):
                numbers = _numbers(column)
                std = _std(numbers)
                self._columns.append(
                    _NumericColumn(
                        noise_sd=noise * std,
                        shift=drift_strength * std if drifts else 0.0,
                        decimals=_decimals(numbers),
                    )
                )
            else:
                self._columns.append(
                    _CategoricalColumn(_rarest(column), swap_share if drifts else 0.0)
                )
        self._drifted_names = tuple(feature_names[first_drifted:])
        self._keyed = any(not isinstance(v, float) for row in self._rows for v in row)
        self._schedule = schedule or DriftSchedule(every=0.0)
        self._rng = rng

    @property
    def drifted_features(self) -> tuple[str, ...]:
        """Names of the columns that drift moves (shifted or swapped)."""
        return self._drifted_names

    @property
    def swapped_features(self) -> tuple[str, ...]:
        """Names of the categorical columns among ``drifted_features``."""
        return tuple(
            name
            for name, column in zip(self._feature_names, self._columns, strict=True)
            if isinstance(column, _CategoricalColumn) and column.share > 0
        )

    def draw(self, t: float) -> Sample:
        """The input for a request made ``t`` seconds into the run."""
        index = self._rng.randrange(len(self._rows))
        drifted = self._schedule.active(t)
        features = tuple(
            column.vary(value, drifted, self._rng)
            for value, column in zip(self._rows[index], self._columns, strict=True)
        )
        return Sample(features=features, label=self._labels[index], drifted=drifted)

    def request_features(self, sample: Sample) -> list[Value] | dict[str, Value]:
        """``sample``'s features as a predict request sends them: a list in column order when
        every value of the dataset is a number (the built-in datasets), else an object keyed
        by feature name (a model with categorical features refuses the list form)."""
        if self._keyed:
            return dict(zip(self._feature_names, sample.features, strict=True))
        return list(sample.features)


@dataclass(frozen=True)
class _NumericColumn:
    noise_sd: float
    shift: float
    decimals: int

    def vary(self, value: Value, drifted: bool, rng: random.Random) -> Value:
        # The noise is drawn for a missing value too, so a row's draws do not depend on
        # which of its cells are missing.
        noise = rng.gauss(0.0, self.noise_sd)
        if not isinstance(value, float):
            return value
        return round(value + noise + (self.shift if drifted else 0.0), self.decimals)


@dataclass(frozen=True)
class _CategoricalColumn:
    rarest: Value
    share: float

    def vary(self, value: Value, drifted: bool, rng: random.Random) -> Value:
        if not drifted or self.share == 0:
            return value
        swapped = rng.random() < self.share
        return self.rarest if swapped and value is not None else value


def _cell(value: Value) -> Value:
    """A number as a float (JSON may write 3.0 as 3), anything else as it is."""
    return value if value is None or isinstance(value, str) else float(value)


def _numbers(column: Sequence[Value]) -> list[float]:
    return [v for v in column if isinstance(v, float | int) and not isinstance(v, bool)]


def _std(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    n = len(values)
    mean = _running_sum(values) / n
    return math.sqrt(_running_sum([(v - mean) * (v - mean) for v in values]) / n)


def _running_sum(values: Sequence[float]) -> float:
    total = values[0]
    for value in values[1:]:
        total += value
    return total


def _rarest(column: Sequence[Value]) -> Value:
    """The least frequent present value of ``column``, the first seen among equals."""
    counts = Counter(v for v in column if v is not None)
    return min(counts, key=counts.__getitem__) if counts else None


def _decimals(values: Sequence[float], most: int = 4) -> int:
    """The fewest decimals (up to ``most``) that write every value exactly: the resolution the
    dataset was recorded at (iris: 1, digits: 0)."""
    for decimals in range(most):
        if all(abs(v * 10**decimals - round(v * 10**decimals)) < 1e-6 for v in values):
            return decimals
    return most
