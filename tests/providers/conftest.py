"""Shared helpers for provider tests: recorded files and a venue stub at the transport.

Clients under test run on a real ``UpstreamHttp`` whose ``httpx.AsyncClient`` has an
``httpx.MockTransport``; the stub answers by URL path with recorded bodies and keeps every
request it saw, so tests assert both the outgoing request and the parsed values.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from providers.http import HostPolicy, UpstreamHttp
from providers.metrics import Metrics

_PROJECT_DATA = Path(__file__).resolve().parents[2] / "providers/replay/data"
_SHARED_DATA = Path(__file__).resolve().parents[3] / "shared/data/recorded"


def recorded(path: str) -> Path:
    """A recorded file: the project's copy when it holds it, else the shared recordings."""
    own = _PROJECT_DATA / path
    return own if own.exists() else _SHARED_DATA / path


def load(path: str) -> Any:
    """The parsed JSON of a recorded file."""
    return json.loads(recorded(path).read_text(encoding="utf-8"))


def load_jsonl(path: str) -> list[Any]:
    lines = recorded(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@dataclass
class _Answer:
    status: int
    content: bytes
    headers: dict[str, str]


@dataclass
class VenueStub:
    """Answers requests by URL path and records them."""

    requests: list[httpx.Request] = field(default_factory=list)
    _answers: dict[str, _Answer] = field(default_factory=dict)
    _clients: list[httpx.AsyncClient] = field(default_factory=list)

    def answer_file(
        self, path: str, recorded_path: str, *, headers: dict[str, str] | None = None
    ) -> None:
        """Serve the recorded file's exact bytes at ``path``."""
        content = recorded(recorded_path).read_bytes()
        self._answers[path] = _Answer(200, content, headers or {})

    def answer_json(
        self,
        path: str,
        body: Any,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Serve ``body`` (built from recorded values by the test) at ``path``."""
        self._answers[path] = _Answer(status, json.dumps(body).encode(), headers or {})

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self._answers.get(request.url.path)
        if answer is None:
            return httpx.Response(404, content=b"no route in the test stub")
        headers = {"content-type": "application/json", **answer.headers}
        return httpx.Response(answer.status, content=answer.content, headers=headers)

    def http(self, policy: HostPolicy) -> UpstreamHttp:
        client = httpx.AsyncClient(transport=httpx.MockTransport(self.handler))
        self._clients.append(client)
        return UpstreamHttp(client, Metrics(), {policy.provider: policy}, sleep=_no_sleep)

    @property
    def last(self) -> httpx.Request:
        assert self.requests, "no request was sent"
        return self.requests[-1]

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()


async def _no_sleep(_seconds: float) -> None:
    return None


def params(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


@pytest.fixture
async def stub() -> AsyncIterator[VenueStub]:
    venue = VenueStub()
    yield venue
    await venue.aclose()
