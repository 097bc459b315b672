"""``/ws``: the live event stream (docs/WEBSOCKET_API.md).

A client gets a ``snapshot`` at once, then the events of the contract through the hub's
bounded, coalescing per-client queue. A client that stops reading is dropped by the hub (close
1008) without delaying anyone; bad client messages get an ``error`` reply, never a disconnect.
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from modelbeacon.api.deps import ServicesDep, api_key_accepted

router = APIRouter()

CLOSE_POLICY_VIOLATION = 1008


@router.websocket("/ws")
async def live_events(websocket: WebSocket, services: ServicesDep) -> None:
    supplied = websocket.query_params.get("api_key") or websocket.headers.get("x-api-key")
    if not api_key_accepted(supplied, services.settings.api_keys):
        await websocket.close(CLOSE_POLICY_VIOLATION, "missing or wrong api_key")
        return
    await websocket.accept()

    async def receive_text() -> str:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        # A binary frame has no "text": it gets an error reply like any malformed message.
        return str(message.get("text") or "")

    try:
        async with services.hub.connect(
            websocket,
            send_timeout=services.settings.ws_send_timeout,
            snapshot=services.dashboard.event,
        ) as connection:
            while (text := await connection.next_message(receive_text)) is not None:
                services.hub.handle_client_message(connection, text)
    except WebSocketDisconnect:
        pass
