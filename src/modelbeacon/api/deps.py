"""Dependency aliases: routers ask for a service by type, the app state provides it."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from modelbeacon.services.container import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def require_api_key(request: Request, services: ServicesDep) -> None:
    """With MODELBEACON_API_KEYS set, every /api call needs ``X-API-Key`` or a Bearer token."""
    keys = services.settings.api_keys
    if not keys:
        return
    supplied = request.headers.get("x-api-key")
    auth = request.headers.get("authorization", "")
    if supplied is None and auth.lower().startswith("bearer "):
        supplied = auth[7:].strip()
    if supplied is None or not any(secrets.compare_digest(supplied, k) for k in keys):
        raise HTTPException(
            status_code=401,
            detail="missing or wrong API key: send it as X-API-Key or Authorization: Bearer",
            headers={"WWW-Authenticate": "Bearer"},
        )
