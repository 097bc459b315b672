"""The arrival process: rate, wave shape, determinism."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from modelbeacon.simulate.arrivals import PoissonArrivals, RateWave


def _times(wave: RateWave, seed: int, count: int) -> list[float]:
    arrivals = PoissonArrivals(wave, random.Random(seed))
    times, t = [], 0.0
    for _ in range(count):
        t = arrivals.next_after(t)
        times.append(t)
    return times


def _times_until(wave: RateWave, seed: int, horizon: float) -> list[float]:
    arrivals = PoissonArrivals(wave, random.Random(seed))
    times, t = [], arrivals.next_after(0.0)
    while t < horizon:
        times.append(t)
        t = arrivals.next_after(t)
    return times


@pytest.mark.parametrize("seed", range(5))
def test_arrivals_fixed_rate_is_achieved_within_four_sigma(seed: int) -> None:
    # The time of the n-th arrival at rate lam is Gamma(n, 1/lam): mean n/lam, sd sqrt(n)/lam,
    # so the achieved rate n/T is within about 4/sqrt(n) (5.7% here) of lam at 4 sigma.
    n, per_minute = 5000, 600.0
    lam = per_minute / 60.0
    last = _times(RateWave.constant(per_minute), seed, n)[-1]
    assert abs(last - n / lam) < 4 * math.sqrt(n) / lam


def test_arrivals_high_fixed_rate_is_achieved() -> None:
    n, per_minute = 5000, 3000.0
    last = _times(RateWave.constant(per_minute), 7, n)[-1]
    assert abs(last - n / 50.0) < 4 * math.sqrt(n) / 50.0


def test_arrivals_are_strictly_increasing_and_positive() -> None:
    times = _times(RateWave(20, 60, 300), 1, 2000)
    assert times[0] > 0
    assert all(b > a for a, b in itertools.pairwise(times))


def test_wave_rate_stays_within_low_and_high_and_follows_the_period() -> None:
    wave = RateWave(low=20.0, high=60.0, period=300.0)
    samples = [wave.per_minute(t / 10) for t in range(0, 30_000)]
    assert min(samples) >= 20.0 and max(samples) <= 60.0
    assert wave.per_minute(0) == pytest.approx(40.0)
    assert wave.per_minute(75) == pytest.approx(60.0)
    assert wave.per_minute(225) == pytest.approx(20.0)
    for t in (0.0, 13.0, 97.5, 260.0):
        assert wave.per_minute(t + 300) == pytest.approx(wave.per_minute(t))


def test_wave_arrivals_follow_the_rate_in_every_phase() -> None:
    # Count arrivals per eighth of the period over many periods; each bin's count is Poisson
    # with mean = the integral of the rate over it, so 4 sigma bounds it.
    wave = RateWave(low=20.0, high=60.0, period=300.0)
    periods, bins = 60, 8
    times = _times_until(wave, 11, periods * wave.period)
    counts = [0] * bins
    for t in times:
        counts[int((t % wave.period) / wave.period * bins)] += 1
    width = wave.period / bins
    for b, count in enumerate(counts):
        steps = 1000
        integral = sum(
            wave.per_minute(b * width + (i + 0.5) * width / steps) / 60.0 * width / steps
            for i in range(steps)
        )
        expected = periods * integral
        assert abs(count - expected) < 4 * math.sqrt(expected), (b, count, expected)
    # The peak eighth sees clearly more traffic than the trough eighth.
    assert counts[1] > 2 * counts[5]


def test_arrivals_are_deterministic_for_a_seed() -> None:
    wave = RateWave(20, 60, 300)
    assert _times(wave, 42, 500) == _times(wave, 42, 500)
    assert _times(wave, 42, 500) != _times(wave, 43, 500)


def test_arrivals_restart_from_a_later_time() -> None:
    arrivals = PoissonArrivals(RateWave.constant(60), random.Random(0))
    assert arrivals.next_after(1000.0) > 1000.0


def test_wave_refuses_a_low_above_high() -> None:
    with pytest.raises(ValueError, match="low <= high"):
        RateWave(low=70, high=60)
