from collections import Counter
from contextlib import AsyncExitStack

from modelbeacon.events import Event, EventHub, HubStats, types


def metrics(model_id: str, n: int) -> Event:
    return Event(types.MODEL_METRICS_UPDATE, {"model_id": model_id, "n": n})


def status_change(n: int) -> Event:
    return Event(types.MODEL_STATUS_CHANGE, {"model_id": "1", "n": n})


def unaccounted(stats: HubStats) -> int:
    return stats.messages_enqueued - (
        stats.total_messages_sent
        + stats.messages_coalesced
        + stats.messages_dropped
        + stats.messages_discarded
        + stats.total_queue_depth
    )


async def test_hub_stats_counters_add_up(reader, stalled, gone, eventually) -> None:
    hub = EventHub(queue_size=8)
    readers = [reader() for _ in range(3)]
    slow, broken = stalled(), gone()
    async with AsyncExitStack() as stack:
        conns = [
            await stack.enter_async_context(hub.connect(c, send_timeout=0.05)) for c in readers
        ]
        slow_conn = await stack.enter_async_context(hub.connect(slow, send_timeout=0.05))
        await stack.enter_async_context(hub.connect(broken, send_timeout=0.05))

        for n in range(30):
            hub.broadcast(metrics(str(n % 3), n))
            if n % 10 == 0:
                hub.broadcast(status_change(n))
        # Mid-flight (nothing sent yet): the identity holds whatever is still queued.
        assert hub.stats().max_queue_depth == 6  # 3 coalesced states + 3 status changes
        assert unaccounted(hub.stats()) == 0
        hub.handle_client_message(conns[0], '{"type": "ping"}')
        hub.handle_client_message(conns[1], "garbage")

        await slow_conn.wait_closed()
        await eventually(lambda: hub.stats().total_queue_depth == 0)
        stats = hub.stats()

    assert unaccounted(stats) == 0
    assert stats.events_broadcast == 33
    assert stats.active_connections == 3
    assert stats.clients_dropped_slow == 1
    assert stats.messages_coalesced > 0
    received = Counter(m["type"] for c in readers for m in c.messages)
    assert dict(stats.messages_sent) == dict(received)
    for kind in received:
        sizes = [len(t.encode()) for c in readers for t in c.texts if f'"type":"{kind}"' in t]
        assert stats.bytes_sent[kind] == sum(sizes)
    assert stats.total_bytes_sent == sum(len(t.encode()) for c in readers for t in c.texts)


async def test_hub_stats_is_a_frozen_snapshot(reader) -> None:
    hub = EventHub()
    async with hub.connect(reader(), send_timeout=1):
        before = hub.stats()
        hub.broadcast(metrics("1", 1))
        after = hub.stats()

    assert before.events_broadcast == 0 and after.events_broadcast == 1
    assert after.total_queue_depth == 1 and before.total_queue_depth == 0
