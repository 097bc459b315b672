import json

import pytest

from modelbeacon.events import Event, EventHub, types


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def metrics(model_id: str) -> Event:
    return Event(types.MODEL_METRICS_UPDATE, {"model_id": model_id})


def deployed(model_id: str) -> Event:
    return Event(types.MODEL_DEPLOYED, {"model_id": model_id})


async def test_hub_answers_ping_with_pong(reader, eventually) -> None:
    hub, client = EventHub(), reader()
    async with hub.connect(client, send_timeout=1) as conn:
        hub.handle_client_message(conn, '{"type": "ping"}')
        await eventually(lambda: client.texts)

    [pong] = client.messages
    assert pong["type"] == "pong" and set(pong) == {"type", "timestamp"}


async def test_hub_subscribe_narrows_the_event_types_a_client_gets(reader, eventually) -> None:
    hub, narrowed, everything = EventHub(), reader(), reader()
    async with (
        hub.connect(narrowed, send_timeout=1) as conn,
        hub.connect(everything, send_timeout=1),
    ):
        hub.handle_client_message(conn, '{"type": "subscribe", "events": ["model_deployed"]}')
        hub.broadcast(metrics("1"))
        hub.broadcast(deployed("1"))
        hub.handle_client_message(conn, '{"type": "ping"}')  # replies pass any filter
        await eventually(lambda: len(narrowed.texts) == 2 and len(everything.texts) == 2)

        hub.handle_client_message(conn, '{"type": "subscribe", "events": []}')  # all again
        hub.broadcast(metrics("2"))
        await eventually(lambda: len(narrowed.texts) == 3 and len(everything.texts) == 3)

    assert [m["type"] for m in narrowed.messages] == [
        "model_deployed",
        "pong",
        "model_metrics_update",
    ]
    assert [m["model_id"] for m in everything.messages] == ["1", "1", "2"]


async def test_hub_subscribe_removes_queued_messages_of_unwanted_types(reader, eventually) -> None:
    hub, client = EventHub(), reader()
    async with hub.connect(client, send_timeout=1) as conn:
        hub.broadcast(metrics("1"))  # queued, not yet sent: no await so far
        hub.handle_client_message(conn, '{"type": "subscribe", "events": ["model_deployed"]}')
        hub.broadcast(deployed("1"))
        await eventually(lambda: client.texts)

    assert [m["type"] for m in client.messages] == ["model_deployed"]


async def test_hub_subscribe_with_unknown_types_lists_the_known_ones(reader, eventually) -> None:
    hub, client = EventHub(), reader()
    async with hub.connect(client, send_timeout=1) as conn:
        hub.handle_client_message(conn, '{"type": "subscribe", "events": ["model_deployed"]}')
        hub.handle_client_message(
            conn, '{"type": "subscribe", "events": ["model_deployed", "stock_prices"]}'
        )
        assert conn.subscribed_types == {"model_deployed"}  # unchanged
        await eventually(lambda: client.texts)

    [error] = client.messages
    assert error["type"] == "error"
    assert "stock_prices" in error["message"]
    assert all(name in error["message"] for name in types.SERVER_MESSAGE_TYPES)


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "",
        "[1, 2, 3]",
        '"ping"',
        "{}",
        '{"type": 5}',
        '{"type": "dance"}',
        '{"type": "subscribe"}',
        '{"type": "subscribe", "events": "model_deployed"}',
        '{"type": "subscribe", "events": [1]}',
        '{"type": "ping", "pad": "' + "x" * 5000 + '"}',
        "[" * 4000,
        '{"type": "\ud800"}',
        "1" * 4000,
    ],
    ids=[
        "not-json",
        "empty",
        "array",
        "string",
        "no-type",
        "type-not-str",
        "unknown-type",
        "subscribe-no-events",
        "subscribe-events-str",
        "subscribe-events-ints",
        "oversize",
        "deep-nesting",
        "lone-surrogate",
        "huge-int",
    ],
)
async def test_hub_answers_bad_client_messages_with_an_error_and_keeps_serving(
    reader, eventually, text: str
) -> None:
    hub, client = EventHub(), reader()
    async with hub.connect(client, send_timeout=1) as conn:
        hub.handle_client_message(conn, text)
        hub.handle_client_message(conn, '{"type": "ping"}')
        hub.broadcast(deployed("1"))
        await eventually(lambda: len(client.texts) == 3)

        assert not conn.closing

    assert [m["type"] for m in client.messages] == ["error", "pong", "model_deployed"]
    assert client.messages[0]["message"]
    assert client.closed_with is None
    assert hub.stats().invalid_client_messages == 1


async def test_hub_oversize_error_names_the_limit(reader, eventually) -> None:
    hub, client = EventHub(max_client_message_bytes=100), reader()
    async with hub.connect(client, send_timeout=1) as conn:
        hub.handle_client_message(conn, json.dumps({"type": "ping", "pad": "é" * 60}))
        await eventually(lambda: client.texts)

    assert "100 bytes" in client.messages[0]["message"]


async def test_hub_rate_limits_error_replies_per_client(reader, eventually) -> None:
    clock = FakeClock()
    hub, hostile, polite = EventHub(clock=clock), reader(), reader()
    async with (
        hub.connect(hostile, send_timeout=1) as hostile_conn,
        hub.connect(polite, send_timeout=1) as polite_conn,
    ):
        for _ in range(1000):
            hub.handle_client_message(hostile_conn, "garbage")
        hub.handle_client_message(polite_conn, "garbage")
        await eventually(lambda: len(hostile.texts) == 10 and len(polite.texts) == 1)

        clock.now += 0.5  # half a second refills five replies
        for _ in range(100):
            hub.handle_client_message(hostile_conn, "garbage")
        await eventually(lambda: len(hostile.texts) == 15)

        stats = hub.stats()
        assert not hostile_conn.closing

    assert stats.invalid_client_messages == 1101
    assert stats.error_replies_suppressed == 1101 - 16
