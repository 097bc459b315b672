"""Dependency aliases and the API-key check: routers ask for the services by type, the app
state provides them; HTTP routes and the WebSocket share one key comparison."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, HTTPException
from starlette.requests import HTTPConnection

from modelbeacon.services.container import Services


def get_services(connection: HTTPConnection) -> Services:
    services: Services = connection.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def api_key_accepted(supplied: str | None, keys: Iterable[str]) -> bool:
    """Whether ``supplied`` is one of ``keys`` (compared in constant time); with no keys
    configured, every caller is."""
    keys = tuple(keys)
    if not keys:
        return True
    return supplied is not None and any(secrets.compare_digest(supplied, k) for k in keys)


def require_api_key(connection: HTTPConnection, services: ServicesDep) -> None:
    """With MODELBEACON_API_KEYS set, every /api call needs ``X-API-Key`` or a Bearer token."""
    supplied = connection.headers.get("x-api-key")
    auth = connection.headers.get("authorization", "")
    if supplied is None and auth.lower().startswith("bearer "):
        supplied = auth[7:].strip()
    if not api_key_accepted(supplied, services.settings.api_keys):
        raise HTTPException(
            status_code=401,
            detail="missing or wrong API key: send it as X-API-Key or Authorization: Bearer",
            headers={"WWW-Authenticate": "Bearer"},
        )
