"""Fake WebSocket clients implementing the hub's two-method ``ClientSocket`` protocol."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest


class ReadingClient:
    """A client that reads every message at once."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.closed_with: tuple[int, str] | None = None

    async def send_text(self, data: str, /) -> None:
        self.texts.append(data)

    async def close(self, code: int, reason: str, /) -> None:
        self.closed_with = (code, reason)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(text) for text in self.texts]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.messages if message["type"] == kind]


class StalledClient:
    """A client that stopped reading: every send blocks until cancelled."""

    def __init__(self) -> None:
        self.sends_started = 0
        self.closed_with: tuple[int, str] | None = None

    async def send_text(self, data: str, /) -> None:
        self.sends_started += 1
        await asyncio.Event().wait()

    async def close(self, code: int, reason: str, /) -> None:
        self.closed_with = (code, reason)


class GoneClient(ReadingClient):
    """A client whose connection broke: sends raise, as a real transport's would."""

    async def send_text(self, data: str, /) -> None:
        raise ConnectionResetError("peer went away")


async def wait_until(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    """Yield to the loop until ``predicate()`` holds; fail the test after ``timeout``."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.001)


@pytest.fixture
def reader() -> Callable[[], ReadingClient]:
    return ReadingClient


@pytest.fixture
def stalled() -> Callable[[], StalledClient]:
    return StalledClient


@pytest.fixture
def gone() -> Callable[[], GoneClient]:
    return GoneClient


@pytest.fixture
def eventually() -> Callable[..., Awaitable[None]]:
    return wait_until
