"""The accuracy part of model health: a judgement with evidence, not a bare comparison.

A window of 100 labels cannot tell 85% from 80% (85 of 100 has the Wilson interval
[0.767, 0.907]), so comparing its accuracy with the lines directly flaps: at a steady true
accuracy of 0.88 that makes ~160 health changes per 10,000 labels. The judgement here has two
layers (DESIGN.md section 3; measured by ``benchmarks/bench_health.py``):

1. **Hard rules on the 95% Wilson interval of the window**: ``critical`` when its ``high`` is
   below the critical line, ``healthy`` when its ``low`` is at or above the warning line.
2. **Between them, CUSUM on the label stream** (Page 1954, "Continuous inspection schemes",
   Biometrika 41; the Bernoulli form of Reynolds & Stoumbos 1999, J. Quality Technology 31).
   Five one-sided CUSUMs of the log-likelihood ratio of each label, one per way out of a state,
   ``S = max(0, S + log(P(label | p1) / P(label | p0)))``, each raising its alarm when ``S``
   exceeds its limit ``h``. A state is left on an alarm only if the window's accuracy is on
   the far side of the line being crossed, so the number shown never contradicts the state.
   CUSUM is the optimal detector of a change from ``p0`` to ``p1`` for a given false-alarm
   rate (Moustakides 1986, Annals of Statistics 14), and unlike the window it keeps the
   evidence of every label since the last change, which is what separates 0.88 from 0.82.

The CUSUMs, as offsets from the lines and limits, were chosen by the benchmark to meet the
targets (<= 1 change per 10,000 labels at 0.88 and 0.77; from 0.92, ``critical`` within a median
of 150 labels after a step to 0.75 with p95 250, ``warning`` within a median of 300 after a step
to 0.82):

==================  ===================  ==================  =====
way out             p0 (no change)       p1 (change)         h
==================  ===================  ==================  =====
drop to warning     warning + 0.03       warning - 0.03      6.0
drop to critical    warning + 0.03       critical - 0.05     8.0
rise to healthy     warning - 0.03       warning + 0.03      5.0
rise from critical  critical - 0.03      critical + 0.03     6.5
critical->healthy   critical - 0.03      warning + 0.03      7.5
==================  ===================  ==================  =====

A move down resets the CUSUMs that point up, and a move up those that point down; the others
keep their evidence (a drop to ``warning`` does not forget how far below the critical line the
stream already is). The fifth CUSUM lets a model that recovered well past both lines leave
``critical`` for ``healthy`` in ~60 right labels instead of climbing through ``warning`` on the
weaker evidence of the fourth. Before ``min_labelled`` labels the part is ``unknown``; the first
judgement places the window's accuracy by the lines (after the hard rules).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from modelbeacon.metrics.health import Health, HealthPolicy
from modelbeacon.metrics.interval import AccuracyInterval, wilson_interval

Cause = Literal["unjudged", "interval", "cusum", "placed", "held"]

_EDGE = 0.005  # CUSUM probabilities stay in [0.005, 0.995] whatever the lines are


@dataclass(frozen=True, slots=True)
class Cusum:
    """One one-sided Bernoulli CUSUM: the log-likelihood-ratio steps of a right and a wrong
    label for a change from accuracy ``p0`` to ``p1``, and its alarm limit ``h``."""

    name: str
    p0: float
    p1: float
    h: float

    @property
    def steps(self) -> tuple[float, float]:
        """``(step for a right label, step for a wrong one)``."""
        p0 = min(max(self.p0, _EDGE), 1 - _EDGE)
        p1 = min(max(self.p1, _EDGE), 1 - _EDGE)
        return math.log(p1 / p0), math.log((1 - p1) / (1 - p0))


def cusums(warning: float, critical: float) -> tuple[Cusum, ...]:
    """The five CUSUMs of the module docstring for these lines: drop to warning, drop to
    critical, rise to healthy, rise from critical, rise from critical to healthy."""
    return (
        Cusum("drop below the warning line", warning + 0.03, warning - 0.03, 6.0),
        Cusum("drop below the critical line", warning + 0.03, critical - 0.05, 8.0),
        Cusum("rise above the warning line", warning - 0.03, warning + 0.03, 5.0),
        Cusum("rise above the critical line", critical - 0.03, critical + 0.03, 6.5),
        Cusum("rise above both lines", critical - 0.03, warning + 0.03, 7.5),
    )


_SEVERITY = {"unknown": 0, "healthy": 1, "warning": 2, "critical": 3}


class AccuracyJudge:
    """The accuracy part of health, fed each label the accuracy window accepts.

    ``observe(correct, hits, n)`` takes one label and the window's ``hits`` of ``n`` after it
    (O(1)); ``judge(hits, n)`` re-applies the hard rules to the window without a new label
    (a restored window). ``explain(hits, n)`` says why the part is what it is.
    """

    __slots__ = ("_cause", "_cusums", "_fired", "_part", "_steps", "_sums", "critical",
                 "min_labelled", "warning")  # fmt: skip

    @classmethod
    def of(cls, policy: HealthPolicy) -> AccuracyJudge:
        """A fresh judgement on the policy's lines and ``min_labelled``."""
        return cls(policy.accuracy_warning, policy.accuracy_critical, policy.min_labelled)

    def __init__(self, warning: float, critical: float, min_labelled: int) -> None:
        self.warning = warning
        self.critical = critical
        self.min_labelled = min_labelled
        self._cusums = cusums(warning, critical)
        self._steps = [c.steps for c in self._cusums]
        self._sums = [0.0] * len(self._cusums)
        self._part: Health = "unknown"
        self._cause: Cause = "unjudged"
        self._fired: Cusum | None = None

    @property
    def part(self) -> Health:
        return self._part

    @property
    def sums(self) -> tuple[float, ...]:
        """The CUSUM statistics, in ``cusums`` order."""
        return tuple(self._sums)

    def observe(self, correct: bool, hits: int, n: int) -> bool:
        """Account one label; ``True`` if the part changed."""
        sums = self._sums
        for i, (right, wrong) in enumerate(self._steps):
            value = sums[i] + (right if correct else wrong)
            sums[i] = value if value > 0.0 else 0.0
        return self.judge(hits, n)

    def judge(self, hits: int, n: int) -> bool:
        """Apply the rules to the window's ``hits`` of ``n``; ``True`` if the part changed."""
        old = self._part
        new, cause, fired = self._decide(hits, n)
        self._cause, self._fired = cause, fired
        if new == old:
            return False
        if old != "unknown" and new != "unknown":
            sums = self._sums
            if _SEVERITY[new] > _SEVERITY[old]:
                sums[2] = sums[3] = sums[4] = 0.0
            else:
                sums[0] = sums[1] = 0.0
        self._part = new
        return True

    def _decide(self, hits: int, n: int) -> tuple[Health, Cause, Cusum | None]:
        if n == 0 or n < self.min_labelled:
            return "unknown", "unjudged", None
        interval = wilson_interval(hits, n)
        assert interval is not None
        if interval.high < self.critical:
            return "critical", "interval", None
        if interval.low >= self.warning:
            return "healthy", "interval", None
        accuracy = hits / n
        part = self._part
        if part == "unknown":
            placed: Health = (
                "healthy"
                if accuracy >= self.warning
                else "warning"
                if accuracy >= self.critical
                else "critical"
            )
            return placed, "placed", None
        drop_warning, drop_critical, rise_healthy, rise_critical, rise_both = self._cusums
        sums = self._sums
        if part != "critical" and sums[1] > drop_critical.h and accuracy < self.critical:
            return "critical", "cusum", drop_critical
        if part == "healthy" and sums[0] > drop_warning.h and accuracy < self.warning:
            return "warning", "cusum", drop_warning
        if part == "warning" and sums[2] > rise_healthy.h and accuracy >= self.warning:
            return "healthy", "cusum", rise_healthy
        if part == "critical" and sums[4] > rise_both.h and accuracy >= self.warning:
            return "healthy", "cusum", rise_both
        if part == "critical" and sums[3] > rise_critical.h and accuracy >= self.critical:
            return "warning", "cusum", rise_critical
        return part, "held", None

    def explain(self, hits: int, n: int) -> str:
        """The evidence for the current part in words, e.g. ``"accuracy 0.740 [0.647, 0.815]
        over the last 100 labels is wholly below the critical line 0.80"``."""
        part = self._part
        if part == "unknown":
            labels = f"{n} label" + ("" if n == 1 else "s")
            return f"accuracy not judged yet: {labels}, fewer than the {self.min_labelled} needed"
        interval = wilson_interval(hits, n)
        assert interval is not None
        evidence = f"accuracy {hits / n:.3f} {_bracket(interval)} over the last {n} labels"
        warning, critical = f"{self.warning:.2f}", f"{self.critical:.2f}"
        if self._cause == "interval":
            if part == "critical":
                return f"{evidence} is wholly below the critical line {critical}"
            return f"{evidence} is wholly at or above the warning line {warning}"
        if self._cause == "cusum" and self._fired is not None:
            index = self._cusums.index(self._fired)
            side = "below" if index < 2 else "at or above"
            name, line = ("critical", critical) if index in (1, 3) else ("warning", warning)
            return (
                f"{evidence} is {side} the {name} line {line}, and the label stream's CUSUM "
                f"for a {self._fired.name} ({self._sums[index]:.1f}) passed its limit "
                f"{self._fired.h:.1f}"
            )
        if self._cause == "placed":
            return f"{evidence}: first judgement, placed by the lines {critical} and {warning}"
        return (
            f"{evidence}: held {part}; the interval spans a line and the label stream has "
            "not given enough evidence of a change"
        )


def _bracket(interval: AccuracyInterval) -> str:
    return f"[{interval.low:.3f}, {interval.high:.3f}]"
