"""A pure-ASGI guard that refuses request bodies above the configured size with 413."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from modelbeacon.api.errors import error_body

#: Room for a multipart body's boundaries and form fields besides its files.
MULTIPART_OVERHEAD_BYTES = 1 << 20


class BodySizeLimit:
    """Reject by ``Content-Length`` before reading; count streamed (chunked) bodies too.

    A streamed body that passes the limit raises a 413 ``HTTPException`` from ``receive``,
    which FastAPI re-raises as it is and the error handlers render in the one error shape.
    Bodies to ``upload_paths`` (multipart: a file, and an import's reference CSV beside its
    model file) may hold two files of ``max_upload_bytes`` each; the services bound each file
    to ``max_upload_bytes`` as they spool it.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_paths: frozenset[str] = frozenset(),
        max_upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_paths = upload_paths
        self.max_upload_bytes = max_upload_bytes

    def _limit(self, scope: Scope) -> tuple[int, str]:
        if scope.get("path") in self.upload_paths:
            limit = 2 * self.max_upload_bytes + MULTIPART_OVERHEAD_BYTES
            return limit, (
                f"upload is larger than the limit of {self.max_upload_bytes} bytes per file "
                "(MODELBEACON_MAX_UPLOAD_BYTES)"
            )
        return self.max_bytes, (
            f"request body is larger than the limit of {self.max_bytes} bytes "
            "(MODELBEACON_MAX_BODY_BYTES)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, refusal = self._limit(scope)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            body = json.dumps(error_body("payload_too_large", refusal)).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(status_code=413, detail=refusal)
            return message

        await self.app(scope, counting_receive, send)
