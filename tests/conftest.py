"""Shared fixtures: one replay exchange per session, a fresh API server per test."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from graph.server.settings import Settings
from providers.replay.server import ReplayServer
from tests.support import STARTUP_CALLS, ApiServer, Replay, replay_settings


@pytest.fixture(scope="session")
def replay_server() -> Iterator[str]:
    server = ReplayServer(port=0)
    url = server.start()
    # The replay parses its recordings on first use (about half a second for all klines);
    # do it now, so no test's short client timeouts see that one-off cost.
    for path in ("/fapi/v2/ticker/price", "/fapi/v1/ticker/24hr", "/fapi/v1/exchangeInfo"):
        httpx.get(f"{url}{path}", timeout=30).raise_for_status()
    httpx.delete(f"{url}/_replay/calls").raise_for_status()
    yield url
    server.stop()


@pytest.fixture
def replay(replay_server: str) -> Iterator[Replay]:
    admin = Replay(replay_server)
    admin.reset()
    yield admin
    admin.reset()


@pytest.fixture
def api(replay: Replay) -> Iterator[Callable[..., ApiServer]]:
    """Factory: ``api(**settings_overrides)`` starts a server against the replay."""
    started: list[ApiServer] = []

    def start(settings: Settings | None = None, **overrides: Any) -> ApiServer:
        server = ApiServer(settings or replay_settings(replay.url, **overrides))
        server.start()
        started.append(server)
        if server.settings.binance_base_url == server.settings.okx_base_url == replay.url:
            _warmed(replay)
        return server

    yield start
    for server in started:
        server.stop()


def _warmed(replay: Replay, timeout_s: float = 5.0) -> None:
    """Until the server's start-up has asked for its symbol lists (``STARTUP_CALLS``), so a
    test counting calls counts them whole (a test that faults them out waits the timeout)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        calls = replay.calls()
        if all(calls.get(path, 0) >= n for path, n in STARTUP_CALLS.items()):
            return
        time.sleep(0.01)


ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test; its DSN."""
    name = f"perpgraph_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
