"""One replay exchange on loopback for the replay tests; faults and call counts are cleared
around every test. Expected values are read from the recorded files here, never typed in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from providers.replay import ReplayServer

DATA = Path(__file__).resolve().parents[2] / "providers" / "replay" / "data"
BF = DATA / "binance-futures"


def recorded_json(rel: str) -> Any:
    """A recorded JSON file, fractional numbers as Decimal (their recorded text)."""
    return json.loads((DATA / rel).read_text(encoding="utf-8"), parse_float=Decimal)


def recorded_csv(rel: str) -> list[list[str]]:
    """Rows of a recorded CSV without its header."""
    lines = (DATA / rel).read_text(encoding="utf-8").splitlines()[1:]
    return [line.split(",") for line in lines if line.strip()]


def recorded_jsonl(rel: str) -> list[Any]:
    lines = (DATA / rel).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="session")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


# verify=False: plain HTTP on loopback; it only skips loading the CA bundle (~40 ms a client).


@pytest.fixture
def base_url(replay: ReplayServer) -> Iterator[str]:
    with httpx.Client(base_url=replay.base_url, verify=False) as admin:
        admin.delete("/_replay/faults")
        admin.delete("/_replay/calls")
        admin.delete("/_replay/streams")
        yield replay.base_url
        admin.delete("/_replay/faults")
        admin.delete("/_replay/streams")


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10, verify=False) as c:
        yield c


# WebSocket streams (the liquidation feeds) and their admin controls.


def ws_url(base_url: str, path: str) -> str:
    return base_url.replace("http://", "ws://", 1) + path


@pytest.fixture
async def admin(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=5, verify=False) as c:
        yield c


async def set_stream(admin: httpx.AsyncClient, **rule: Any) -> None:
    r = await admin.post("/_replay/streams", json=rule)
    assert r.status_code == 200, r.text


async def streams(admin: httpx.AsyncClient) -> dict[str, Any]:
    return dict((await admin.get("/_replay/streams")).json())


async def calls(admin: httpx.AsyncClient) -> dict[str, int]:
    return dict((await admin.get("/_replay/calls")).json())


async def recv_n(ws: ClientConnection, n: int, timeout_s: float = 5) -> list[str]:
    return [str(await asyncio.wait_for(ws.recv(), timeout_s)) for _ in range(n)]


async def assert_quiet(ws: ClientConnection, seconds: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), seconds)
