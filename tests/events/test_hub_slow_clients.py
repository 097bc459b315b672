import asyncio

import pytest

from modelbeacon.events import CLOSE_SLOW_CLIENT, EVENTS_CHANNEL, Event, EventHub, MemoryBus, types


def metrics(model_id: str, n: int) -> Event:
    return Event(types.MODEL_METRICS_UPDATE, {"model_id": model_id, "n": n})


async def receive_forever() -> str:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def test_hub_drops_a_stalled_client_while_a_reader_gets_every_update_in_time(
    reader, stalled, eventually
) -> None:
    hub, fast, slow = EventHub(), reader(), stalled()
    interval = 0.05
    async with (
        MemoryBus() as bus,
        hub.running(bus),
        hub.connect(slow, send_timeout=0.2) as slow_conn,
        hub.connect(fast, send_timeout=1) as fast_conn,
    ):
        for n in range(12):
            await bus.publish(EVENTS_CHANNEL, metrics("1", n))
            # Every update reaches the reader within one interval of being published,
            # before, during and after the stalled client's timeout.
            await eventually(lambda n=n: fast.texts and fast.messages[-1]["n"] == n, interval)
            await asyncio.sleep(interval)

        assert slow.closed_with is not None and slow.closed_with[0] == CLOSE_SLOW_CLIENT
        assert slow_conn.closing and not fast_conn.closing
        assert hub.active_connections == 1

    assert [m["n"] for m in fast.messages] == list(range(12))
    assert slow.sends_started == 1
    assert hub.stats().clients_dropped_slow == 1


async def test_hub_publish_never_waits_for_a_stalled_client(reader, stalled, eventually) -> None:
    hub, fast, slow = EventHub(), reader(), stalled()
    async with (
        MemoryBus() as bus,
        hub.running(bus),
        hub.connect(slow, send_timeout=60) as slow_conn,
        hub.connect(fast, send_timeout=60),
    ):
        await bus.publish(EVENTS_CHANNEL, metrics("1", -1))
        await eventually(lambda: slow.sends_started == 1)  # the stalled send is now in flight

        for n in range(1000):
            await bus.publish(EVENTS_CHANNEL, metrics("1", n))
        await eventually(lambda: fast.messages[-1]["n"] == 999)

        # The reader got the newest state while the stalled client's one send still hangs:
        # fan-out only queued for it (coalesced into a single pending message).
        assert slow.sends_started == 1 and slow.closed_with is None
        assert slow_conn.queue_depth == 1 and not slow_conn.closing
        assert hub.broadcast(metrics("1", 1000)) == 2  # synchronous: it cannot await a socket


async def test_hub_forgets_a_client_whose_connection_broke(reader, gone, eventually) -> None:
    hub, ok, broken = EventHub(), reader(), gone()
    async with hub.connect(broken, send_timeout=1) as broken_conn, hub.connect(ok, send_timeout=1):
        hub.broadcast(metrics("1", 1))
        await broken_conn.wait_closed()
        hub.broadcast(metrics("1", 2))
        await eventually(lambda: len(ok.texts) == 2)

        assert hub.active_connections == 1
        assert broken.closed_with is None  # nobody to send a close frame to
        assert broken_conn.close_code is None


async def test_hub_next_message_returns_none_once_the_hub_drops_the_client(stalled) -> None:
    hub, slow = EventHub(), stalled()
    async with hub.connect(slow, send_timeout=0.05) as conn:
        hub.broadcast(metrics("1", 1))

        assert await conn.next_message(receive_forever) is None

    assert slow.closed_with is not None and slow.closed_with[0] == CLOSE_SLOW_CLIENT
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_hub_next_message_passes_texts_and_receive_errors_through(reader) -> None:
    hub = EventHub()
    texts = iter(['{"type": "ping"}'])

    async def receive() -> str:
        try:
            return next(texts)
        except StopIteration:
            raise ConnectionResetError("client left") from None

    async with hub.connect(reader(), send_timeout=1) as conn:
        assert await conn.next_message(receive) == '{"type": "ping"}'
        with pytest.raises(ConnectionResetError):
            await conn.next_message(receive)


async def test_hub_finishes_closing_a_dropped_client_when_the_endpoint_leaves(eventually) -> None:
    class SlowToClose:
        def __init__(self) -> None:
            self.closed_with: tuple[int, str] | None = None

        async def send_text(self, data: str, /) -> None:
            await asyncio.Event().wait()

        async def close(self, code: int, reason: str, /) -> None:
            await asyncio.sleep(0.02)
            self.closed_with = (code, reason)

    hub, client = EventHub(), SlowToClose()
    async with hub.connect(client, send_timeout=0.01) as conn:
        hub.broadcast(metrics("1", 1))
        await eventually(lambda: conn.closing)  # the 20 ms close has just started

    assert client.closed_with is not None and client.closed_with[0] == CLOSE_SLOW_CLIENT
