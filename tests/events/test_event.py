import json
import math
import re

import pytest

from modelbeacon.events import Event, EventEncodingError, types


def test_event_wire_message_flattens_the_payload() -> None:
    event = Event(types.MODEL_DEPLOYED, {"model_id": "3", "model_name": "iris-lr"})

    message = json.loads(event.to_json())

    assert message == {
        "type": "model_deployed",
        "timestamp": event.timestamp,
        "model_id": "3",
        "model_name": "iris-lr",
    }


def test_event_timestamp_is_iso_utc_with_z() -> None:
    event = Event(types.PONG)

    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", event.timestamp)


def test_event_round_trips_through_json() -> None:
    event = Event(
        types.MODEL_METRICS_UPDATE,
        {"model_id": 7, "latency_ms": {"p50": 0.41, "p95": None}, "trend": ["up"], "ok": True},
    )

    assert Event.from_json(event.to_json()) == event


def test_event_takes_model_id_from_the_payload() -> None:
    assert Event(types.PREDICTION_LOGGED, {"model_id": 3}).model_id == "3"
    assert Event(types.SYSTEM_METRICS, {"cpu_percent": 1.0}).model_id is None


def test_event_refuses_a_model_id_the_wire_would_lose() -> None:
    with pytest.raises(ValueError, match="model_id"):
        Event(types.MODEL_METRICS_UPDATE, {}, model_id="3")
    with pytest.raises(ValueError, match="model_id"):
        Event(types.MODEL_METRICS_UPDATE, {"model_id": "4"}, model_id="3")


def test_event_refuses_reserved_payload_keys() -> None:
    with pytest.raises(ValueError, match="reserved"):
        Event(types.ERROR, {"type": "x", "message": "m"})


@pytest.mark.parametrize(
    "payload",
    [
        {"when": object()},
        {"value": math.nan},
        {"value": math.inf},
        {"pair": (1, 2)},
        {"by_id": {1: "a"}},
        {"ids": {1, 2}},
    ],
    ids=["object", "nan", "inf", "tuple", "int-keys", "set"],
)
def test_event_to_json_refuses_payloads_that_do_not_survive_json(payload: dict) -> None:
    event = Event(types.MODEL_METRICS_UPDATE, payload)

    with pytest.raises(EventEncodingError):
        event.to_json()


@pytest.mark.parametrize(
    "text",
    ["not json", "[1, 2]", '{"type": "pong"}', '{"type": 1, "timestamp": "t"}', "[" * 5000],
)
def test_event_from_json_refuses_what_is_not_an_event(text: str) -> None:
    with pytest.raises(ValueError):
        Event.from_json(text)
