"""The one place errors become HTTP responses: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from modelbeacon.errors import (
    ArtifactIntegrityError,
    ConflictError,
    InvalidInputError,
    ModelbeaconError,
    NotFoundError,
    PayloadTooLargeError,
    UnavailableError,
    UnsupportedMediaError,
)

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: tuple[tuple[type[ModelbeaconError], int], ...] = (
    (NotFoundError, 404),
    (InvalidInputError, 422),
    (PayloadTooLargeError, 413),
    (UnsupportedMediaError, 415),
    (ConflictError, 409),
    (UnavailableError, 503),
    (ArtifactIntegrityError, 500),
)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def status_for(exc: ModelbeaconError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status
    return 500


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc if part not in ("body", "single", "batch"))


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ModelbeaconError)
    status = status_for(exc)
    if status >= 500:
        logger.error("%s: %s %s", exc.code, exc.message, exc.details)
    return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=status)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"field": _location(tuple(e["loc"])) or "body", "problem": e["msg"]} for e in exc.errors()
    ]
    first = problems[0] if problems else {"field": "body", "problem": "invalid request"}
    message = f"{first['field']}: {first['problem']}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more)"
    return JSONResponse(
        error_body("invalid_request", message, {"errors": problems}), status_code=422
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {
        404: "not_found",
        405: "method_not_allowed",
        401: "unauthorized",
        413: "payload_too_large",
    }.get(exc.status_code, "http_error")
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return JSONResponse(
        error_body("internal_error", "an unexpected error occurred; see the server log"),
        status_code=500,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ModelbeaconError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
