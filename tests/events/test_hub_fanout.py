import asyncio
from contextlib import AsyncExitStack

import pytest

from modelbeacon.events import (
    CLOSE_QUEUE_FULL,
    EVENTS_CHANNEL,
    Event,
    EventEncodingError,
    EventHub,
    MemoryBus,
    types,
)


def metrics(model_id: str, n: int) -> Event:
    return Event(types.MODEL_METRICS_UPDATE, {"model_id": model_id, "n": n})


def status_change(model_id: str, n: int) -> Event:
    return Event(types.MODEL_STATUS_CHANGE, {"model_id": model_id, "n": n})


def predictions(model_id: str, first: int, count: int, total: int) -> Event:
    items = [
        {"prediction_id": str(i), "prediction": 0, "latency_ms": 0.3, "timestamp": "t"}
        for i in range(first, first + count)
    ]
    payload = {"model_id": model_id, "count": count, "total_predictions": total}
    return Event(types.PREDICTION_LOGGED, {**payload, "predictions": items})


async def test_hub_delivers_bus_events_to_a_client(reader, eventually) -> None:
    hub, client = EventHub(), reader()
    deployed = Event(types.MODEL_DEPLOYED, {"model_id": "3", "model_name": "iris-lr"})
    async with MemoryBus() as bus, hub.running(bus), hub.connect(client, send_timeout=1):
        assert hub.receiving and hub.active_connections == 1
        await bus.publish(EVENTS_CHANNEL, deployed)
        await eventually(lambda: client.texts)

    assert client.texts == [deployed.to_json()]
    assert hub.active_connections == 0 and not hub.receiving


async def test_hub_running_leaves_no_task_or_subscription_behind() -> None:
    hub = EventHub()
    async with MemoryBus() as bus:
        async with hub.running(bus):
            assert bus.subscriber_count(EVENTS_CHANNEL) == 1
            with pytest.raises(RuntimeError, match="already"):
                async with hub.running(bus):
                    pass
        assert bus.subscriber_count(EVENTS_CHANNEL) == 0
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_hub_coalescing_keeps_the_newest_model_metrics_update_per_model(
    reader, eventually
) -> None:
    hub, client = EventHub(), reader()
    async with hub.connect(client, send_timeout=1) as conn:
        # No await in this loop: the sender cannot run, so the client is 100 updates behind.
        for n in range(50):
            for model_id in ("1", "2"):
                hub.broadcast(metrics(model_id, n))
        await eventually(lambda: conn.queue_depth == 0 and len(client.texts) == 2)

    assert [(m["model_id"], m["n"]) for m in client.messages] == [("1", 49), ("2", 49)]
    assert hub.stats().messages_coalesced == 98


async def test_hub_slow_reader_gets_the_newest_state_not_a_backlog(eventually) -> None:
    class SlowReader:
        def __init__(self) -> None:
            self.received: list[int] = []

        async def send_text(self, data: str, /) -> None:
            await asyncio.sleep(0.01)
            self.received.append(Event.from_json(data).payload["n"])

        async def close(self, code: int, reason: str, /) -> None:
            pass

    hub, client = EventHub(), SlowReader()
    async with hub.connect(client, send_timeout=1):
        for n in range(200):
            hub.broadcast(metrics("1", n))
            await asyncio.sleep(0.001)
        await eventually(lambda: client.received[-1:] == [199])

    assert client.received == sorted(client.received)
    assert len(client.received) < 100


async def test_hub_merges_prediction_logged_for_a_client_behind(reader, eventually) -> None:
    hub, client = EventHub(), reader()
    async with hub.connect(client, send_timeout=1):
        for batch in range(5):
            hub.broadcast(predictions("3", batch * 10, 10, total=100 + (batch + 1) * 10))
        await eventually(lambda: client.texts)

    [message] = client.messages
    assert message["count"] == 50
    assert message["total_predictions"] == 150
    assert [p["prediction_id"] for p in message["predictions"]] == [str(i) for i in range(30, 50)]


async def test_hub_never_drops_non_coalescible_events_while_the_queue_has_room(
    reader, eventually
) -> None:
    hub, client = EventHub(queue_size=50), reader()
    async with hub.connect(client, send_timeout=1) as conn:
        for n in range(1000):
            hub.broadcast(metrics(str(n % 5), n))
            if n % 25 == 0:
                hub.broadcast(status_change(str(n % 5), n))
        await eventually(lambda: conn.queue_depth == 0 and len(client.texts) == 45)

    assert [m["n"] for m in client.of_type(types.MODEL_STATUS_CHANGE)] == list(range(0, 1000, 25))
    assert hub.stats().messages_dropped == 0
    assert client.closed_with is None


async def test_hub_drops_the_oldest_coalescible_message_when_the_queue_is_full(
    reader, eventually
) -> None:
    hub, client = EventHub(queue_size=3), reader()
    async with hub.connect(client, send_timeout=1):
        for event in [
            metrics("a", 1),
            metrics("b", 2),
            status_change("a", 3),
            status_change("a", 4),
        ]:
            hub.broadcast(event)
        await eventually(lambda: len(client.texts) == 3)

    assert [m["n"] for m in client.messages] == [2, 3, 4]
    assert hub.stats().messages_dropped == 1


async def test_hub_closes_a_client_with_1013_when_its_queue_is_full_of_changes(
    reader, eventually
) -> None:
    hub, client, other = EventHub(queue_size=3), reader(), reader()
    async with hub.connect(client, send_timeout=1) as conn, hub.connect(other, send_timeout=1):
        for n in range(4):
            conn.enqueue(status_change("a", n))  # direct messages: only this client's queue
        assert conn.closing and conn.close_code == CLOSE_QUEUE_FULL
        assert hub.active_connections == 1
        await conn.wait_closed()

        hub.broadcast(status_change("a", 9))
        await eventually(lambda: other.texts)

    assert client.closed_with is not None and client.closed_with[0] == 1013
    assert client.texts == []
    assert hub.stats().clients_dropped_overflow == 1


async def test_hub_sends_the_snapshot_before_events_published_while_it_was_built(
    reader, eventually
) -> None:
    hub, client = EventHub(), reader()

    async def build_snapshot() -> Event:
        hub.broadcast(status_change("1", 1))  # published after registration, before the snapshot
        await asyncio.sleep(0.01)
        return Event(types.SNAPSHOT, {"models": []})

    async with hub.connect(client, send_timeout=1, snapshot=build_snapshot):
        await eventually(lambda: len(client.texts) == 2)

    assert [m["type"] for m in client.messages] == ["snapshot", "model_status_change"]


async def test_hub_client_receives_events_in_publish_order(reader, eventually) -> None:
    hub, client = EventHub(), reader()
    async with MemoryBus() as bus, hub.running(bus), hub.connect(client, send_timeout=1):
        for n in range(100):
            await bus.publish(EVENTS_CHANNEL, status_change("1", n))
        await eventually(lambda: len(client.texts) == 100)

    assert [m["n"] for m in client.messages] == list(range(100))


async def test_hub_delivers_an_event_to_200_clients(reader, eventually) -> None:
    hub = EventHub()
    clients = [reader() for _ in range(200)]
    deployed = Event(types.MODEL_DEPLOYED, {"model_id": "3", "model_version": 2})
    async with MemoryBus() as bus, hub.running(bus), AsyncExitStack() as stack:
        for client in clients:
            await stack.enter_async_context(hub.connect(client, send_timeout=1))
        assert hub.active_connections == 200

        await bus.publish(EVENTS_CHANNEL, deployed)
        await eventually(lambda: all(client.texts for client in clients))

    assert all(client.texts == [deployed.to_json()] for client in clients)
    assert hub.stats().messages_sent == {types.MODEL_DEPLOYED: 200}
    assert hub.active_connections == 0


async def test_hub_broadcast_refuses_a_non_json_event_before_any_client_sees_it(reader) -> None:
    hub, client = EventHub(), reader()
    async with hub.connect(client, send_timeout=1) as conn:
        with pytest.raises(EventEncodingError):
            hub.broadcast(Event(types.MODEL_DEPLOYED, {"model_id": "3", "at": object()}))
        assert conn.queue_depth == 0
