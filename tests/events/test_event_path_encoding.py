"""The in-process event path encodes each event once and decodes it nowhere: publisher ->
MemoryBus -> hub -> every client, counted at the one module that calls ``json``."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from modelbeacon.events import EVENTS_CHANNEL, BusPublisher, EventHub, MemoryBus, event, types


class CountingJson:
    """``json`` as ``modelbeacon.events.event`` sees it, counting encodes and decodes."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def dumps(self, *args: Any, **kwargs: Any) -> str:
        self.calls["encode"] += 1
        return json.dumps(*args, **kwargs)

    def loads(self, *args: Any, **kwargs: Any) -> Any:
        self.calls["decode"] += 1
        return json.loads(*args, **kwargs)


async def test_one_event_is_encoded_once_and_never_decoded_on_its_way_to_clients(
    monkeypatch: pytest.MonkeyPatch, reader, eventually
) -> None:
    counting = CountingJson()
    monkeypatch.setattr(event, "json", counting)
    hub, clients = EventHub(), [reader(), reader()]
    payload = {"model_id": "3", "model_name": "iris-lr", "model_version": 1}
    bus = MemoryBus()
    async with (
        bus,
        hub.running(bus, EVENTS_CHANNEL),
        BusPublisher(bus, EVENTS_CHANNEL).running() as publisher,
        hub.connect(clients[0], send_timeout=1),
        hub.connect(clients[1], send_timeout=1),
    ):
        publisher.emit(types.MODEL_DEPLOYED, payload, model_id="3")
        await eventually(lambda: all(client.texts for client in clients))

    assert counting.calls == Counter({"encode": 1})
    assert clients[0].texts == clients[1].texts
    assert {k: v for k, v in clients[0].messages[0].items() if k in payload} == payload


async def test_a_subscriber_decodes_a_payload_only_when_it_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    counting = CountingJson()
    monkeypatch.setattr(event, "json", counting)
    async with MemoryBus() as bus, bus.subscribe("live") as events:
        await bus.publish("live", event.Event(types.SYSTEM_METRICS, {"cpu_percent": 1.5}))
        received = await anext(events)
        assert counting.calls == Counter({"encode": 1})

        assert received.payload == {"cpu_percent": 1.5}

    assert counting.calls == Counter({"encode": 1, "decode": 1})
