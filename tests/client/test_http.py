"""What an answer means to the client: its error, whether to retry, and how long to wait."""

from __future__ import annotations

import random

import httpx
import pytest

from modelbeacon.client import describe_failure
from modelbeacon.client._http import Backoff, error_for, worth_retrying
from modelbeacon.errors import (
    ConflictError,
    InvalidInputError,
    ModelbeaconError,
    NotFoundError,
    PayloadTooLargeError,
    UnavailableError,
)


def _response(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    request = httpx.Request("POST", "http://server/api/predict")
    return httpx.Response(status, json=body, request=request, headers=headers)


def _refusal(code: str, message: str, **details: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "details": details}}


def test_describe_failure_quotes_the_servers_error() -> None:
    body = _refusal("no_active_model", "no model is deployed")
    line = describe_failure(_response(404, body), "http://server")
    assert line == "POST /api/predict -> HTTP 404 no_active_model: no model is deployed"
    assert "cannot reach http://server" in describe_failure(
        httpx.ConnectError("x"), "http://server"
    )
    plain = httpx.Response(502, text="bad gateway", request=httpx.Request("GET", "http://s/x"))
    assert describe_failure(plain, "http://s") == "GET /x -> HTTP 502 bad gateway"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, InvalidInputError),
        (404, NotFoundError),
        (409, ConflictError),
        (413, PayloadTooLargeError),
        (422, InvalidInputError),
        (401, ModelbeaconError),
        (503, ModelbeaconError),
    ],
)
def test_error_for_follows_the_status_and_keeps_the_servers_details(
    status: int, kind: type[ModelbeaconError]
) -> None:
    error = error_for(_response(status, _refusal("x", "why", record=3)), "http://server")
    assert type(error) is kind
    assert error.details == {"status": status, "code": "x", "details": {"record": 3}}
    unreachable = error_for(httpx.ConnectTimeout("slow"), "http://server")
    assert isinstance(unreachable, UnavailableError)
    assert unreachable.details == {"url": "http://server"}


def test_only_no_answer_5xx_and_429_are_worth_retrying() -> None:
    assert worth_retrying(httpx.ConnectError("refused"))
    assert worth_retrying(httpx.ReadTimeout("slow"))
    for status in (500, 502, 503, 504, 429):
        assert worth_retrying(_response(status, {}))
    for status in (200, 201, 400, 401, 404, 409, 413, 422):
        assert not worth_retrying(_response(status, {}))


def test_backoff_doubles_to_its_cap_with_jitter_in_the_upper_half() -> None:
    backoff = Backoff(retries=6, first=0.5, cap=4.0, rng=random.Random(7))
    for _ in range(200):
        waits = list(backoff.waits())
        ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
        assert len(waits) == 6
        assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert len({tuple(backoff.waits()) for _ in range(20)}) == 20  # jittered, never in step
    assert list(Backoff(retries=0).waits()) == []


def test_backoff_honours_retry_after_up_to_its_cap() -> None:
    backoff = Backoff(retries=3, first=0.5, cap=4.0)
    assert backoff.wait_after(_response(429, {}, {"Retry-After": "2"}), 0.3) == 2.0
    assert backoff.wait_after(_response(503, {}, {"Retry-After": "60"}), 0.3) == 4.0
    assert backoff.wait_after(_response(503, {}), 0.3) == 0.3
    assert backoff.wait_after(httpx.ConnectError("x"), 0.3) == 0.3
    with pytest.raises(ValueError, match="backoff"):
        Backoff(retries=2, first=2.0, cap=1.0)
