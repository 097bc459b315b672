"""Feature drift against training-set statistics."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

#: Fewer feature vectors than this give no drift score (and a flat drift trend).
MIN_DRIFT_VECTORS = 10

# A constant feature in training (std 0) must not divide by zero; any shift of it then scores
# huge, which is what it is.
_MIN_STD = 1e-12

# A feature's term is at most the largest float, so the score is a number JSON can carry even
# when an input near 1.8e308 is divided by a tiny standard deviation.
_MAX_TERM = sys.float_info.max


@dataclass(frozen=True, slots=True)
class FeatureReference:
    """Per-feature mean and standard deviation of the training set, in column order.

    Raises ``ValueError`` unless both have the same non-zero length, are finite, and the
    standard deviations are non-negative.
    """

    means: tuple[float, ...]
    stds: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.means or len(self.means) != len(self.stds):
            raise ValueError("means and stds must be non-empty and of the same length")
        if not all(math.isfinite(value) for value in (*self.means, *self.stds)):
            raise ValueError("feature statistics must be finite")
        if any(std < 0 for std in self.stds):
            raise ValueError("standard deviations must be >= 0")

    @property
    def n_features(self) -> int:
        """How many features a vector must have to be compared with this reference."""
        return len(self.means)


def drift_score(vectors: Sequence[Sequence[float]], reference: FeatureReference) -> float:
    """Mean over features j of ``|mean_j(vectors) - means[j]| / max(stds[j], 1e-12)``.

    ``vectors`` must be non-empty and each of ``reference.n_features`` finite values. Each
    feature's term is capped at the largest float, so the score is finite. Means are
    ``math.fsum(values) / count`` (``fsum`` of each value divided by the count where the sum
    would overflow), so the result does not depend on the order of the vectors.
    """
    if not vectors:
        raise ValueError("no feature vectors to score")
    count = len(vectors)
    terms = [
        min(abs(_mean(column, count) - mean) / max(std, _MIN_STD), _MAX_TERM)
        for column, mean, std in zip(
            zip(*vectors, strict=True), reference.means, reference.stds, strict=True
        )
    ]
    return _mean(terms, len(terms))


def _mean(values: Sequence[float], count: int) -> float:
    try:
        return math.fsum(values) / count
    except OverflowError:
        # each value / count is at most max / count, so no partial sum of these overflows
        return math.fsum(value / count for value in values)
