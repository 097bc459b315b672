"""``/ws`` under awkward and many clients, through a real server: a client that stops reading
is dropped without delaying a reading one, and 200 clients at once are all served."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import os
import socket
import time
from contextlib import AsyncExitStack, closing
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import (
    IRIS_ROWS,
    LiveClient,
    ServerProcess,
    deployed_model,
    running_server,
    ws_url,
)

pytestmark = pytest.mark.slow

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3


def stalled_client(port: int) -> socket.socket:
    """A raw socket that completes the WebSocket handshake on ``/ws`` and never reads again.

    Its receive buffer and segment size are tiny so that the server's kernel buffers hold
    little and its sends to this client block after ~100 KB instead of several MB.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Key: {key}\r\n\r\n"
            ).encode()
        )
        head = b""
        while not head.endswith(b"\r\n\r\n"):  # byte by byte: no byte of a frame is read
            byte = sock.recv(1)
            assert byte, f"connection closed during the handshake: {head!r}"
            head += byte
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        assert head.startswith(b"HTTP/1.1 101") and accept.encode() in head, head
    except BaseException:
        sock.close()
        raise
    return sock


async def _websocket_stats(rest: httpx.AsyncClient) -> dict[str, Any]:
    overview: dict[str, Any] = (await rest.get("/api/monitoring/system")).json()
    return overview["pipeline"]["websocket"]


async def test_ws_a_client_that_stops_reading_is_dropped_without_delaying_others(
    tmp_path: Path,
) -> None:
    interval = 0.5
    settings = {
        "metrics_interval": interval,
        "system_interval": interval,
        "prediction_interval": 0.05,
        "ws_send_timeout": 1.0,
    }
    with running_server(tmp_path, **settings) as srv:
        async with (
            httpx.AsyncClient(base_url=srv.url, timeout=30) as rest,
            LiveClient.connect(ws_url(srv)) as reader,
        ):
            model = await deployed_model(rest)
            await reader.wait_type("snapshot")
            with closing(stalled_client(srv.port)):
                assert (await _websocket_stats(rest))["active_connections"] == 2
                stall_started = time.monotonic()
                mark = len(reader.received)
                # Batches of 20 keep every prediction_logged at its 20-prediction maximum
                # (~2.3 KB), so the stalled client's buffers fill within seconds.
                batch = {"instances": [row for row, _ in IRIS_ROWS] * 4}
                dropped_at: float | None = None
                next_poll, deadline = stall_started, stall_started + 60
                while time.monotonic() < deadline:
                    response = await rest.post("/api/predict", json=batch)
                    assert response.status_code == 200, response.text
                    await asyncio.sleep(0.03)
                    now = time.monotonic()
                    if dropped_at is None and now >= next_poll:
                        next_poll = now + 0.25
                        if (await _websocket_stats(rest))["clients_dropped_slow"]:
                            dropped_at = now
                    if dropped_at is not None and now > dropped_at + 2:
                        break  # two more seconds of updates after the drop
                assert dropped_at is not None, "the stalled client was never dropped"
                stats = await _websocket_stats(rest)
                assert stats["clients_dropped_slow"] == 1
                assert stats["active_connections"] == 1
                overview = (await rest.get("/api/monitoring/system")).json()
                assert overview["system_status"]["active_connections"] == 1
                await reader.wait_for(
                    lambda m: m["type"] == "system_metrics" and m["active_connections"] == 1,
                    start=mark,
                    what="system_metrics without the stalled client",
                )

    # The reading client got every update on time while the other one was stalled.
    print(f"stalled client dropped after {dropped_at - stall_started:.2f} s")
    during = [r for r in reader.received[mark:] if r.at <= dropped_at + 2]
    updates = [
        r
        for r in during
        if r.message["type"] == "model_metrics_update" and r.message["model_id"] == model["id"]
    ]
    assert len(updates) >= (dropped_at - stall_started) / interval - 1
    gaps = [b.at - a.at for a, b in itertools.pairwise(updates)]
    assert max(gaps) < 2 * interval, gaps
    for received in during:
        if received.message["type"] in ("model_metrics_update", "prediction_logged"):
            sent = datetime.fromisoformat(received.message["timestamp"]).timestamp()
            assert received.wall - sent < interval, received.message["type"]


async def _open_clients(stack: AsyncExitStack, server: ServerProcess, n: int) -> list[LiveClient]:
    return list(
        await asyncio.gather(
            *(stack.enter_async_context(LiveClient.connect(ws_url(server))) for _ in range(n))
        )
    )


async def test_ws_200_clients_at_once_all_get_the_snapshot_and_the_updates(
    tmp_path: Path,
) -> None:
    n = 200
    settings = {"metrics_interval": 0.5, "system_interval": 1.0, "prediction_interval": 0.2}
    with running_server(tmp_path, **settings) as srv:
        async with (
            httpx.AsyncClient(base_url=srv.url, timeout=30) as rest,
            AsyncExitStack() as stack,
        ):
            model = await deployed_model(rest)
            clients = await _open_clients(stack, srv, n)
            snapshots = await asyncio.gather(
                *(c.wait_for(lambda m: True, what="the snapshot", timeout=60) for c in clients)
            )
            assert all(r.message["type"] == "snapshot" for r in snapshots)
            assert all(r.message["active_model"]["id"] == model["id"] for r in snapshots)
            assert (await _websocket_stats(rest))["active_connections"] == n

            marks = [len(c.received) for c in clients]
            for features, label in IRIS_ROWS * 2:
                response = await rest.post(
                    "/api/predict", json={"features": features, "label": label}
                )
                assert response.status_code == 200, response.text

            async def updated(client: LiveClient, mark: int) -> None:
                logged = await client.wait_for(
                    lambda m: (
                        m["type"] == "prediction_logged"
                        and m["total_predictions"] == 2 * len(IRIS_ROWS)
                    ),
                    start=mark,
                    timeout=60,
                    what="prediction_logged with every prediction",
                )
                assert logged.message["model_id"] == model["id"]
                await client.wait_for(
                    lambda m: (
                        m["type"] == "model_metrics_update"
                        and m["total_predictions"] == 2 * len(IRIS_ROWS)
                    ),
                    start=mark,
                    timeout=60,
                    what="model_metrics_update with every prediction",
                )
                await client.wait_for(
                    lambda m: m["type"] == "system_metrics" and m["active_connections"] == n,
                    start=mark,
                    timeout=60,
                    what=f"system_metrics counting {n} clients",
                )

            await asyncio.gather(*(updated(c, m) for c, m in zip(clients, marks, strict=True)))
            stats = await _websocket_stats(rest)
            assert stats["clients_dropped_slow"] == stats["clients_dropped_overflow"] == 0
            assert stats["active_connections"] == n
            assert all(not c.closed.is_set() for c in clients)
