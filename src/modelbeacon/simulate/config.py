"""``SimulationConfig``: every knob of the traffic simulator, checked once when it is built."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class SimulationConfig:
    """What traffic to send, where, and for how long.

    Rates are predictions per minute; times are seconds, counted from the start of the run.

    Traffic: arrivals are Poisson with a rate that moves as a wave between ``low_rate`` and
    ``high_rate`` over ``period`` seconds (starting half-way up, rising), or a constant
    ``rate`` when it is set (it overrides the wave). At most ``max_in_flight`` requests are
    outstanding at once; when the server is slower than that, arrivals wait for a free slot.

    Inputs: rows of ``dataset`` (a built-in or an uploaded one) plus Gaussian noise of
    ``noise`` training standard deviations per numeric feature, recorded at the dataset's own
    resolution (its decimals per column); categories and missing values go as they are.
    Why 0.05: the server measures drift as PSI against the training deciles, and more noise is drift
    too: at 0.15, iris' petal width alone scored a PSI of 0.15 (moderate) with no episode
    running; at 0.05 every feature stays under 0.05 over 1000 inputs, with the same ~96%
    accuracy. From ``drift_every`` seconds on, every ``drift_every`` seconds, a drift
    episode of ``drift_duration`` seconds adds ``drift_strength`` standard deviations to the
    numeric features among the second half of the columns and swaps the categorical ones
    among them to their rarest category in a share of the requests (49% at 2.5, see
    ``inputs.category_swap_share``); ``drift_every=0`` disables drift.

    Why these drift defaults: the server's live accuracy is taken over the last 100 labels,
    and the default traffic yields only about 28 labels a minute (40/min x 70%). An episode
    must put some 25+ drifted labels into that window to take it under 80%, and the window
    needs ~80 fresh labels afterwards to be healthy again, so one cycle needs ~4-5 minutes
    of labels. Every 300 s (one wave period, so each episode meets the same rising phase of
    the rate) for 70 s at 2.5 std does that for a logistic regression on iris: in an offline
    replay over 40 seeds, 98% of episodes went critical and 95% started from healthy.

    Labels: a share ``label_share`` of the predictions gets its true label; of those, a share
    ``inline_share`` sends it inline with the request, the rest later through the feedback
    endpoint after a delay uniform in [``min_label_delay``, ``max_label_delay``]. At most
    ``max_pending_labels`` wait at once; more are dropped (and counted).

    Models: every ``retrain_every`` seconds a new version of ``model_name`` is trained with
    ``algorithm`` on ``dataset`` and deployed (``retrain_every=0`` disables it). A run of a
    model served elsewhere (``simulate.external``) registers it as ``external_name``
    (default ``<dataset>-elsewhere``), or reuses the newest model of that name.

    Bounds: the run ends after ``duration`` seconds (``None``: until stopped) or after
    ``max_requests`` prediction requests (``None``: no limit), whichever comes first. On the
    way out it waits at most ``stop_grace`` seconds for requests in flight and for labels that
    fall due by then; the rest are dropped.

    Output: a status line every ``status_interval`` seconds; error lines at most once per
    ``error_report_interval`` seconds, each with the count of failures it stands for.

    Construction raises ``ValueError`` naming the field and the accepted range.
    """

    url: str = "http://127.0.0.1:8000"
    api_key: str | None = None
    dataset: str = "iris"
    model_name: str = "iris-demo"
    algorithm: str = "logistic_regression"
    external_name: str | None = None
    low_rate: float = 20.0
    high_rate: float = 60.0
    rate: float | None = None
    period: float = 300.0
    noise: float = 0.05
    label_share: float = 0.7
    inline_share: float = 0.2
    min_label_delay: float = 0.5
    max_label_delay: float = 10.0
    drift_every: float = 300.0
    drift_duration: float = 70.0
    drift_strength: float = 2.5
    retrain_every: float = 600.0
    duration: float | None = None
    max_requests: int | None = None
    seed: int = 0
    max_in_flight: int = 32
    max_pending_labels: int = 10_000
    request_timeout: float = 10.0
    stop_grace: float = 2.0
    status_interval: float = 10.0
    error_report_interval: float = 5.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"url must start with http:// or https://, got {self.url!r}")
        for name in ("dataset", "model_name", "algorithm"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
        _at_least("low_rate", self.low_rate, 0.0)
        _at_least("high_rate", self.high_rate, self.low_rate, "low_rate")
        if self.high_rate <= 0:
            raise ValueError("high_rate must be greater than 0")
        if self.rate is not None:
            _positive("rate", self.rate)
        _positive("period", self.period)
        _at_least("noise", self.noise, 0.0)
        _fraction("label_share", self.label_share)
        _fraction("inline_share", self.inline_share)
        _at_least("min_label_delay", self.min_label_delay, 0.0)
        _at_least("max_label_delay", self.max_label_delay, self.min_label_delay, "min_label_delay")
        _at_least("drift_every", self.drift_every, 0.0)
        if self.drift_every > 0:
            _at_least("drift_duration", self.drift_duration, 0.0)
            if self.drift_duration >= self.drift_every:
                raise ValueError(
                    f"drift_duration ({self.drift_duration}) must be shorter than "
                    f"drift_every ({self.drift_every})"
                )
        _at_least("drift_strength", self.drift_strength, 0.0)
        _at_least("retrain_every", self.retrain_every, 0.0)
        if self.duration is not None:
            _positive("duration", self.duration)
        if self.max_requests is not None and self.max_requests < 1:
            raise ValueError(f"max_requests must be at least 1, got {self.max_requests}")
        if self.max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1, got {self.max_in_flight}")
        if self.max_pending_labels < 0:
            raise ValueError(f"max_pending_labels must be >= 0, got {self.max_pending_labels}")
        for name in ("request_timeout", "status_interval", "error_report_interval"):
            _positive(name, getattr(self, name))
        _at_least("stop_grace", self.stop_grace, 0.0)

    @property
    def external_model_name(self) -> str:
        """The name a model served elsewhere is registered under."""
        return self.external_name or f"{self.dataset}-elsewhere"

    @property
    def is_fixed_rate(self) -> bool:
        """True when ``rate`` overrides the wave."""
        return self.rate is not None


def _finite(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def _positive(name: str, value: float) -> None:
    _finite(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be greater than 0, got {value}")


def _at_least(name: str, value: float, bound: float, bound_name: str | None = None) -> None:
    _finite(name, value)
    if value < bound:
        what = f"{bound_name} ({bound})" if bound_name else str(bound)
        raise ValueError(f"{name} must be at least {what}, got {value}")


def _fraction(name: str, value: float) -> None:
    _finite(name, value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value}")
