"""Shared fixtures: one replay exchange per session, a fresh API server per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from graph.settings import Settings
from providers.replay.server import ReplayServer
from tests.support import ApiServer, Replay, replay_settings


@pytest.fixture(scope="session")
def replay_server() -> Iterator[str]:
    server = ReplayServer(port=0)
    url = server.start()
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
        return server

    yield start
    for server in started:
        server.stop()
