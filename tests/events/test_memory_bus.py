import asyncio

import pytest

from modelbeacon.errors import UnavailableError
from modelbeacon.events import Event, EventEncodingError, MemoryBus, types


def metrics(model_id: str, accuracy: float) -> Event:
    return Event(types.MODEL_METRICS_UPDATE, {"model_id": model_id, "current_accuracy": accuracy})


async def test_memory_bus_round_trips_an_event() -> None:
    async with MemoryBus() as bus, bus.subscribe("live") as events:
        sent = metrics("1", 0.9)
        await bus.publish("live", sent)

        received = await anext(events)

    assert received == sent


async def test_memory_bus_delivers_to_every_subscriber_in_order() -> None:
    async with MemoryBus() as bus, bus.subscribe("live") as first, bus.subscribe("live") as second:
        sent = [metrics("1", 0.5 + i / 10) for i in range(3)]
        for event in sent:
            await bus.publish("live", event)

        assert [await anext(first) for _ in sent] == sent
        assert [await anext(second) for _ in sent] == sent


async def test_memory_bus_delivers_decoded_copies_not_the_published_object() -> None:
    async with MemoryBus() as bus, bus.subscribe("live") as first, bus.subscribe("live") as second:
        sent = metrics("1", 0.9)
        await bus.publish("live", sent)

        one, two = await anext(first), await anext(second)
        one.payload["current_accuracy"] = 0.0

    assert one is not sent and two is not sent
    assert two.payload["current_accuracy"] == 0.9
    assert sent.payload["current_accuracy"] == 0.9


async def test_memory_bus_keeps_channels_apart() -> None:
    async with MemoryBus() as bus, bus.subscribe("a") as on_a, bus.subscribe("b") as on_b:
        await bus.publish("a", metrics("1", 0.1))
        await bus.publish("b", metrics("2", 0.2))

        assert (await anext(on_a)).model_id == "1"
        assert (await anext(on_b)).model_id == "2"


async def test_memory_bus_rejects_a_non_json_payload_at_publish() -> None:
    async with MemoryBus() as bus, bus.subscribe("live") as events:
        with pytest.raises(EventEncodingError):
            await bus.publish("live", Event(types.TRAINING_PROGRESS, {"stage": object()}))
        await bus.publish("live", Event(types.TRAINING_PROGRESS, {"stage": "fitting"}))

        # The bad event reached nobody: the next one is the good one.
        assert (await anext(events)).payload == {"stage": "fitting"}


async def test_memory_bus_unsubscribes_in_finally() -> None:
    async with MemoryBus() as bus:
        with pytest.raises(RuntimeError, match="boom"):
            async with bus.subscribe("live"):
                assert bus.subscriber_count("live") == 1
                raise RuntimeError("boom")

        assert bus.subscriber_count("live") == 0
        await bus.publish("live", metrics("1", 0.9))  # nobody listening: no error
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_memory_bus_disconnect_ends_subscriptions() -> None:
    bus = MemoryBus()
    await bus.connect()
    async with bus.subscribe("live") as events:
        await bus.publish("live", metrics("1", 0.9))
        await bus.disconnect()

        remaining = [event async for event in events]

    assert [event.model_id for event in remaining] == ["1"]


async def test_memory_bus_refuses_use_before_connect() -> None:
    bus = MemoryBus()

    with pytest.raises(UnavailableError):
        await bus.publish("live", metrics("1", 0.9))
    with pytest.raises(UnavailableError):
        async with bus.subscribe("live"):
            pass
