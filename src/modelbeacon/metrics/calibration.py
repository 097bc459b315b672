"""A calibration map from a model's top-class probability to the chance it is right.

Fitted at training time on the validation split (``registry.calibration``) and applied here to
every prediction's top-class probability before it enters the estimate window, so
``estimated_accuracy`` is CBPE's estimate (NannyML, "Confidence-based performance
estimation"): the mean of calibrated confidences.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any, Literal

CalibrationMethod = Literal["raw", "isotonic", "sigmoid"]

# A sigmoid's exponent beyond this is 0 or 1 to double precision; exp() would overflow.
_MAX_EXPONENT = 700.0


@dataclass(frozen=True, slots=True)
class Calibration:
    """One calibration map, JSON-storable with ``as_dict``/``from_dict``.

    - ``raw``: the identity.
    - ``isotonic``: piecewise linear through the points ``(x[i], y[i])`` (``x`` ascending,
      ``y`` non-decreasing, both in [0, 1]), constant beyond the ends, as scikit-learn's
      ``IsotonicRegression(out_of_bounds="clip")`` predicts.
    - ``sigmoid``: Platt scaling, ``1 / (1 + exp(a * p + b))`` as scikit-learn's
      ``_SigmoidCalibration`` fits it.

    ``error`` is the calibration error (expected calibration error, 10 equal-width bins) that
    chose this method over the others on the validation split; ``raw_error`` the raw one.
    Raises ``ValueError`` for a map that is not one of these.
    """

    method: CalibrationMethod = "raw"
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()
    a: float = 0.0
    b: float = 0.0
    error: float | None = None
    raw_error: float | None = None

    def __post_init__(self) -> None:
        numbers = (*self.x, *self.y, self.a, self.b)
        if not all(math.isfinite(value) for value in numbers):
            raise ValueError("calibration parameters must be finite")
        if self.method == "isotonic":
            if not self.x or len(self.x) != len(self.y):
                raise ValueError("isotonic calibration needs as many x as y points, at least 1")
            if any(b < a for a, b in zip(self.x, self.x[1:], strict=False)) or any(
                b < a for a, b in zip(self.y, self.y[1:], strict=False)
            ):
                raise ValueError("isotonic calibration points must be non-decreasing")
            if not all(0.0 <= value <= 1.0 for value in (*self.x, *self.y)):
                raise ValueError("isotonic calibration points must lie in [0, 1]")
        elif self.method not in ("raw", "sigmoid"):
            raise ValueError(f"unknown calibration method {self.method!r}")

    def __call__(self, probability: float) -> float:
        """The calibrated probability of ``probability`` (in [0, 1]); O(log points)."""
        if self.method == "raw":
            return probability
        if self.method == "sigmoid":
            exponent = self.a * probability + self.b
            if exponent > _MAX_EXPONENT:
                return 0.0
            return 1.0 / (1.0 + math.exp(max(exponent, -_MAX_EXPONENT)))
        x, y = self.x, self.y
        i = bisect_right(x, probability)
        if i == 0:
            return y[0]
        if i == len(x):
            return y[-1]
        x0, x1, y0, y1 = x[i - 1], x[i], y[i - 1], y[i]
        return y0 + (y1 - y0) * (probability - x0) / (x1 - x0)

    def as_dict(self) -> dict[str, Any]:
        """The stored form (and the ``calibration`` field of GET /api/models/{id})."""
        stored: dict[str, Any] = {
            "method": self.method,
            "error": self.error,
            "raw_error": self.raw_error,
        }
        if self.method == "isotonic":
            stored |= {"x": list(self.x), "y": list(self.y)}
        elif self.method == "sigmoid":
            stored |= {"a": self.a, "b": self.b}
        return stored

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> Calibration:
        """Inverse of ``as_dict``; ``ValueError`` (or ``KeyError``/``TypeError``) if malformed."""
        return cls(
            method=stored["method"],
            x=tuple(float(v) for v in stored.get("x", ())),
            y=tuple(float(v) for v in stored.get("y", ())),
            a=float(stored.get("a", 0.0)),
            b=float(stored.get("b", 0.0)),
            error=stored.get("error"),
            raw_error=stored.get("raw_error"),
        )


RAW = Calibration()
