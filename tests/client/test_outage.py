"""Both clients keep what they logged while the server was down and send it, once, when a
server is back on the same port and database."""

from __future__ import annotations

import asyncio
from typing import Any

from modelbeacon.client import AsyncClient, Client
from tests.client.conftest import (
    BeaconServer,
    Sent,
    eventually,
    iris_record,
    logged_ids,
    register,
    total_predictions,
    watch,
)

#: Retries for about a minute, often enough to notice the server soon after it is back.
PATIENT: dict[str, Any] = {"flush_interval": 0.05, "retries": 240, "backoff": 0.05}
PATIENT["max_backoff"] = 0.25


async def _log_while_down(url: str, model_id: str) -> tuple[AsyncClient, Sent, list[str]]:
    beacon = AsyncClient(url, **PATIENT)
    sent = watch(beacon.http)
    ids = await beacon.log_predictions(model_id, [iris_record(n) for n in range(20, 40)])
    while len(sent.requests) < 2:  # refused connections, retried
        await asyncio.sleep(0.02)
    return beacon, sent, ids


def test_clients_retry_until_the_server_is_back(beacon_server: BeaconServer) -> None:
    url = beacon_server.url
    model_id = register(url, "comeback")
    beacon_server.stop()
    try:
        with asyncio.Runner() as runner:
            beacon = Client(url, **PATIENT)
            sent = watch(beacon.http)
            ids = beacon.log_predictions(model_id, [iris_record(n) for n in range(20)])
            async_beacon, async_sent, async_ids = runner.run(_log_while_down(url, model_id))
            eventually(lambda: len(sent.requests) >= 2)
            assert sent.statuses == async_sent.statuses == []
            beacon_server.start()
            beacon.close()
            runner.run(async_beacon.close())
    finally:
        if not beacon_server.running:
            beacon_server.start()
    assert logged_ids(url, model_id) == sorted(ids + async_ids)
    assert total_predictions(url, model_id) == 40
    assert sent.statuses == async_sent.statuses == [201]
    assert len(sent.requests) >= 2 and len(async_sent.requests) >= 2
