import asyncio

import pytest

from modelbeacon.events import (
    EVENTS_CHANNEL,
    BusPublisher,
    Event,
    EventBus,
    EventEncodingError,
    MemoryBus,
    types,
)


async def test_bus_publisher_publishes_emitted_events_in_order() -> None:
    async with MemoryBus() as bus, bus.subscribe(EVENTS_CHANNEL) as events:
        async with BusPublisher(bus).running() as publisher:
            for n in range(3):
                publisher.emit(types.TRAINING_PROGRESS, {"model_id": "3", "progress": n})

            received = [await anext(events) for _ in range(3)]

        assert [e.payload["progress"] for e in received] == [0, 1, 2]
        assert {e.model_id for e in received} == {"3"}
        assert publisher.published == 3
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_bus_publisher_emit_refuses_a_bad_payload_at_the_caller() -> None:
    async with MemoryBus() as bus, BusPublisher(bus).running() as publisher:
        with pytest.raises(EventEncodingError):
            publisher.emit(types.MODEL_DEPLOYED, {"model_id": "3", "at": object()})
        with pytest.raises(ValueError, match="model_id"):
            publisher.emit(types.MODEL_DEPLOYED, {"model_id": "3"}, model_id="4")
        assert publisher.pending == 0


async def test_bus_publisher_drops_beyond_its_backlog_without_blocking() -> None:
    async with MemoryBus() as bus:
        publisher = BusPublisher(bus, max_pending=2)
        for n in range(5):  # not running: nothing drains
            publisher.emit(types.SYSTEM_METRICS, {"cpu_percent": float(n)})

        assert publisher.pending == 2 and publisher.dropped == 3


async def test_bus_publisher_drains_pending_events_on_exit() -> None:
    async with MemoryBus() as bus, bus.subscribe(EVENTS_CHANNEL) as events:
        async with BusPublisher(bus).running() as publisher:
            publisher.emit(types.MODEL_DEPLOYED, {"model_id": "3"})

        assert (await anext(events)).type == types.MODEL_DEPLOYED


async def test_bus_publisher_keeps_going_after_a_failed_publish() -> None:
    class FlakyBus(MemoryBus):
        def __init__(self) -> None:
            super().__init__()
            self.failures = 1

        async def publish(self, channel: str, event: Event) -> None:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("bus restarting")
            await super().publish(channel, event)

    bus: EventBus = FlakyBus()
    async with (
        bus,
        bus.subscribe(EVENTS_CHANNEL) as events,
        BusPublisher(bus).running() as publisher,
    ):
        publisher.emit(types.MODEL_DEPLOYED, {"model_id": "1"})
        publisher.emit(types.MODEL_DEPLOYED, {"model_id": "2"})

        assert (await anext(events)).model_id == "2"
        assert publisher.failed == 1
