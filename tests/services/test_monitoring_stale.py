"""When computing a model's metrics fails: the last good numbers are served with
``stale: true``, one ``metrics_degraded`` event is sent, and it recovers by itself.

In process: the real app and lifespan, with one model's monitor replaced by a fake whose
``evaluate`` raises while it is broken.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from modelbeacon.events import EVENTS_CHANNEL, Event
from modelbeacon.metrics import ModelMonitor
from modelbeacon.services.container import Services
from modelbeacon.services.monitoring import SNAPSHOT_TTL_SECONDS
from tests.support import IRIS_ROWS, deployed_model, train

CLOCK_FIELDS = ("computed_at", "uptime_seconds")


class BreakableMonitor:
    """A model's monitor whose ``evaluate`` fails while ``broken``; all else is the real one's."""

    def __init__(self, real: ModelMonitor) -> None:
        self.real = real
        self.broken = True
        self.evaluations = 0

    def evaluate(self, now: float) -> Any:
        self.evaluations += 1
        if self.broken:
            raise RuntimeError("metric computation failed (injected by the test)")
        return self.real.evaluate(now)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@asynccontextmanager
async def recorded_events(services: Services) -> AsyncIterator[list[Event]]:
    """Every event published on the bus while the context is open."""
    events: list[Event] = []
    async with services.bus.subscribe(EVENTS_CHANNEL) as stream:

        async def collect() -> None:
            async for event in stream:
                events.append(event)

        task = asyncio.create_task(collect())
        try:
            yield events
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def degraded_events(events: list[Event]) -> list[dict[str, Any]]:
    return [e.payload for e in events if e.type == "metrics_degraded"]


async def realtime(client: httpx.AsyncClient, model_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/models/{model_id}/metrics/realtime")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def read_for(seconds: float, read: Callable[[], Any]) -> int:
    """Call ``read`` back to back for ``seconds``; return how many times it ran."""
    calls, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        await read()
        calls += 1
        await asyncio.sleep(0.005)
    return calls


async def test_failing_metrics_serve_the_last_good_numbers_as_stale_and_recover(
    client_factory: Any,
) -> None:
    async with client_factory(metrics_interval=0.1, prediction_interval=0.1) as client:
        services: Services = client.app.state.services
        active = await deployed_model(client, name="iris-a")
        other = await train(client, name="iris-b")
        for features, label in IRIS_ROWS * 4:
            for model in (active, other):
                response = await client.post(
                    f"/api/models/{model['id']}/predict",
                    json={"features": features, "label": label},
                )
                assert response.status_code == 200, response.text
        await asyncio.sleep(3 * SNAPSHOT_TTL_SECONDS)
        good = await realtime(client, active["id"])
        assert good["stale"] is False and good["total_predictions"] == 4 * len(IRIS_ROWS)

        live = services.models.get(int(active["id"]))
        breakable = BreakableMonitor(live.monitor)
        async with recorded_events(services) as events:
            live.monitor = breakable  # type: ignore[assignment]
            await asyncio.sleep(2 * SNAPSHOT_TTL_SECONDS)

            # Broken: the last good numbers, marked stale; the other model is unaffected.
            stale = await realtime(client, active["id"])
            assert stale == {**good, "stale": True}
            assert (await realtime(client, other["id"]))["stale"] is False
            overview = (await client.get("/api/monitoring/system")).json()
            assert overview["real_time_metrics"]["stale"] is True
            assert overview["real_time_metrics"]["total_predictions"] == good["total_predictions"]
            computation = overview["pipeline"]["metric_computation"]
            assert computation["stale"] is True and computation["failures"] >= 1

            # Many readers and the metrics ticks over one second: still one computation per
            # cache period at most, and one metrics_degraded event, however many failures.
            before = breakable.evaluations
            reads = await read_for(1.0, lambda: realtime(client, active["id"]))
            tried = breakable.evaluations - before
            assert reads > 20 and tried <= 1.0 / SNAPSHOT_TTL_SECONDS + 3, (reads, tried)
            assert (await realtime(client, active["id"]))["stale"] is True
            assert degraded_events(events) == [{"degraded": True, "model_id": active["id"]}]

            # Recovered: fresh numbers again, and one event saying so.
            breakable.broken = False
            await asyncio.sleep(2 * SNAPSHOT_TTL_SECONDS)
            fresh = await realtime(client, active["id"])
            assert fresh["stale"] is False
            assert {k: v for k, v in fresh.items() if k not in CLOCK_FIELDS} == {
                k: v for k, v in good.items() if k not in CLOCK_FIELDS
            }
            await asyncio.sleep(5 * SNAPSHOT_TTL_SECONDS)
            assert degraded_events(events) == [
                {"degraded": True, "model_id": active["id"]},
                {"degraded": False, "model_id": active["id"]},
            ]
            overview = (await client.get("/api/monitoring/system")).json()
            assert overview["real_time_metrics"]["stale"] is False
            assert overview["pipeline"]["metric_computation"]["stale"] is False


async def test_a_model_without_good_numbers_does_not_stop_the_updates_of_the_others(
    client_factory: Any,
) -> None:
    async with client_factory(metrics_interval=0.1, prediction_interval=0.1) as client:
        services: Services = client.app.state.services
        broken = await deployed_model(client, name="iris-a")
        healthy = await train(client, name="iris-b")
        features, label = IRIS_ROWS[0]
        for model in (broken, healthy):
            await client.post(
                f"/api/models/{model['id']}/predict", json={"features": features, "label": label}
            )
        live = services.models.get(int(broken["id"]))
        live.monitor = BreakableMonitor(live.monitor)  # type: ignore[assignment]
        services.monitoring.trim()  # what the memory guard does: no good numbers left
        async with recorded_events(services) as events:
            await asyncio.sleep(3 * SNAPSHOT_TTL_SECONDS)
            mark = len(events)
            response = await client.post(
                f"/api/models/{healthy['id']}/predict", json={"features": features}
            )
            assert response.status_code == 200, response.text
            deadline = time.monotonic() + 10
            while not [
                e
                for e in events[mark:]
                if e.type == "model_metrics_update"
                and e.payload["model_id"] == healthy["id"]
                and e.payload["total_predictions"] == 2
            ]:
                assert time.monotonic() < deadline, "the healthy model got no metrics update"
                await asyncio.sleep(0.05)
            assert degraded_events(events) == [{"degraded": True, "model_id": broken["id"]}]
            # A dashboard connecting now still gets its snapshot, without the broken numbers.
            snapshot = (await services.dashboard.event()).payload
            assert set(snapshot["metrics"]) == {healthy["id"]}
            assert [m["id"] for m in snapshot["models"]] == [broken["id"], healthy["id"]]
            # With nothing to fall back on, REST says the numbers are unavailable for now.
            response = await client.get(f"/api/models/{broken['id']}/metrics/realtime")
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"]
