"""What an HTTP answer means to the client: a body, an error of the one hierarchy, or a reason
to try again later (and how much later).

A request's *outcome* is the ``httpx.Response`` (any status) or the ``httpx.TransportError``
that stood in for one (refused, reset, timed out). Errors carry a line a person can act on
(``describe_failure``) and ``details["status"]``, the HTTP status:

- no answer at all -> ``UnavailableError`` (``details["url"]``);
- 400/422 -> ``InvalidInputError``, 404 -> ``NotFoundError``, 409 -> ``ConflictError``,
  413 -> ``PayloadTooLargeError``, 415 -> ``UnsupportedMediaError``, anything else (401, 429,
  5xx) -> ``ModelbeaconError``; ``details["code"]`` is the server's error code and
  ``details["details"]`` its details, when it sent them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from modelbeacon.errors import (
    ConflictError,
    InvalidInputError,
    ModelbeaconError,
    NotFoundError,
    PayloadTooLargeError,
    UnavailableError,
    UnsupportedMediaError,
)

Outcome = httpx.Response | httpx.TransportError

_REFUSALS: dict[int, type[ModelbeaconError]] = {
    400: InvalidInputError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaError,
    422: InvalidInputError,
}


def describe_failure(failure: Outcome, url: str) -> str:
    """One line a person can act on: what failed and what the server (or socket) said."""
    if isinstance(failure, httpx.TransportError):
        reason = str(failure) or type(failure).__name__
        return f"cannot reach {url}: {type(failure).__name__}: {reason}"
    said = failure.text[:200] or failure.reason_phrase
    error = server_error(failure)
    if error is not None:
        said = f"{error.get('code')}: {error.get('message')}"
    request = failure.request
    return f"{request.method} {request.url.path} -> HTTP {failure.status_code} {said}"


def succeeded(outcome: Outcome) -> bool:
    return isinstance(outcome, httpx.Response) and outcome.status_code < 400


def worth_retrying(outcome: Outcome) -> bool:
    """No answer, a 5xx or a 429 may go away; any other 4xx will not."""
    if isinstance(outcome, httpx.TransportError):
        return True
    return outcome.status_code >= 500 or outcome.status_code == 429


def too_large(outcome: Outcome) -> bool:
    return isinstance(outcome, httpx.Response) and outcome.status_code == 413


def error_for(outcome: Outcome, url: str) -> ModelbeaconError:
    """The error a failed ``outcome`` raises (see the module's docstring)."""
    if isinstance(outcome, httpx.TransportError):
        return UnavailableError(describe_failure(outcome, url), details={"url": url})
    details: dict[str, Any] = {"status": outcome.status_code}
    error = server_error(outcome)
    if error is not None:
        details["code"] = error.get("code")
        if error.get("details"):
            details["details"] = error["details"]
    kind = _REFUSALS.get(outcome.status_code, ModelbeaconError)
    return kind(describe_failure(outcome, url), details=details)


def body_of(outcome: Outcome, url: str) -> Any:
    """The JSON body of a successful ``outcome``; raises ``error_for`` a failed one."""
    if not succeeded(outcome):
        raise error_for(outcome, url)
    assert isinstance(outcome, httpx.Response)
    return outcome.json()


def server_error(outcome: Outcome) -> dict[str, Any] | None:
    """The ``error`` object of modelbeacon's one error shape, if the answer is one."""
    if not isinstance(outcome, httpx.Response):
        return None
    try:
        error = outcome.json()["error"]
    except (ValueError, KeyError, TypeError):
        return None
    return error if isinstance(error, dict) and "message" in error else None


@dataclass(frozen=True)
class Backoff:
    """Waits between attempts: ``first`` seconds, doubling up to ``cap``, ``retries`` of them.

    Each wait is drawn uniformly from its upper half (``uniform(d / 2, d)``), so clients that
    failed together do not come back together; a ``Retry-After`` in seconds from the server
    lengthens a wait up to ``cap``.
    """

    retries: int = 6
    first: float = 0.5
    cap: float = 8.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.retries < 0 or self.first <= 0 or self.cap < self.first:
            raise ValueError(
                f"backoff needs retries >= 0 and 0 < first <= cap, got {self.retries}, "
                f"{self.first}, {self.cap}"
            )

    def waits(self) -> Iterator[float]:
        """The planned waits of one request, before ``Retry-After``."""
        for attempt in range(self.retries):
            ceiling = min(self.cap, self.first * 2**attempt)
            yield self.rng.uniform(ceiling / 2, ceiling)

    def wait_after(self, outcome: Outcome, planned: float) -> float:
        """``planned``, or the server's ``Retry-After`` (seconds) when longer, up to ``cap``."""
        if isinstance(outcome, httpx.Response):
            asked = outcome.headers.get("retry-after", "")
            if asked.isdigit():
                return max(planned, min(float(asked), self.cap))
        return planned
