"""When requests arrive: a Poisson process whose rate follows a slow wave.

Pure: no clock, no I/O. A caller asks for the next arrival after a time it chooses, so the
same seed yields the same arrival times whatever the wall clock does.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RateWave:
    """An arrival rate in predictions per minute that moves smoothly over time.

    ``per_minute(t) = low + (high - low) * (1 + sin(2 pi t / period)) / 2``: half-way between
    ``low`` and ``high`` at t = 0, rising to ``high`` at a quarter period, down to ``low`` at
    three quarters, back after one ``period`` (seconds). ``low == high`` is a constant rate.
    Requires 0 <= low <= high, high > 0, period > 0.
    """

    low: float
    high: float
    period: float = 300.0

    def __post_init__(self) -> None:
        if not (0.0 <= self.low <= self.high and self.high > 0.0 and self.period > 0.0):
            raise ValueError(
                f"need 0 <= low <= high, high > 0 and period > 0; got low={self.low}, "
                f"high={self.high}, period={self.period}"
            )

    @classmethod
    def constant(cls, per_minute: float) -> RateWave:
        """A flat rate of ``per_minute`` (> 0) predictions per minute."""
        return cls(low=per_minute, high=per_minute)

    def per_minute(self, t: float) -> float:
        """The rate at ``t`` seconds, in predictions per minute; within [low, high]."""
        if self.low == self.high:
            return self.low
        phase = (1.0 + math.sin(2.0 * math.pi * t / self.period)) / 2.0
        return min(self.high, max(self.low, self.low + (self.high - self.low) * phase))

    @property
    def peak_per_minute(self) -> float:
        return self.high


class PoissonArrivals:
    """A non-homogeneous Poisson process with intensity ``wave``, drawn by thinning.

    Lewis-Shedler thinning: candidates come from a homogeneous process at the wave's peak
    rate, and each is kept with probability rate(t) / peak; the kept ones form a Poisson
    process with exactly the time-varying rate (no step error, unlike piecewise sampling).
    All randomness comes from ``rng``; the same seed gives the same sequence of times.
    """

    def __init__(self, wave: RateWave, rng: random.Random) -> None:
        self._wave = wave
        self._rng = rng
        self._peak_per_second = wave.peak_per_minute / 60.0

    @property
    def wave(self) -> RateWave:
        return self._wave

    def next_after(self, t: float) -> float:
        """The first arrival strictly after ``t`` seconds.

        Calling it again with the returned time continues the same process; calling it with
        a later time (e.g. after falling behind) restarts it there, which the process's
        memorylessness makes equally valid.
        """
        while True:
            t += self._rng.expovariate(self._peak_per_second)
            if self._rng.random() * self._wave.peak_per_minute < self._wave.per_minute(t):
                return t
