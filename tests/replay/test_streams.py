"""Binance liquidation streams and the stream controls, through real WebSocket clients on
loopback. Expected events are rebuilt here from the recorded CSV, never typed in."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from providers.replay import ReplayServer

from .conftest import assert_quiet, calls, recorded_csv, recv_n, set_stream, streams, ws_url

RAW = "/ws/!forceOrder@arr"
COMBINED = "/stream?streams=!forceOrder@arr"
CSV = "binance-futures/forceOrder-derived-2025-10-22.csv"


def recorded_events() -> list[dict[str, Any]]:
    events = []
    for ts, symbol, side, avg_price, filled_qty, _usd in recorded_csv(CSV):
        ms = round(datetime.fromisoformat(ts).replace(tzinfo=UTC).timestamp() * 1000)
        order = {"s": symbol, "S": side, "ap": avg_price, "z": filled_qty, "T": ms}
        events.append({"e": "forceOrder", "E": ms, "o": order})
    return events


EVENTS = recorded_events()


def test_recording_has_the_documented_size() -> None:
    assert len(EVENTS) == 472


async def test_raw_stream_replays_recorded_events_then_stays_open(
    admin: httpx.AsyncClient, base_url: str
) -> None:
    await set_stream(admin, path=RAW, speed=0)
    async with connect(ws_url(base_url, RAW)) as ws:
        frames = await recv_n(ws, len(EVENTS))
        assert [json.loads(f) for f in frames] == EVENTS
        # Fields the recording lacks are absent, not filled.
        assert all(set(json.loads(f)["o"]) == {"s", "S", "ap", "z", "T"} for f in frames)
        await assert_quiet(ws)
        await asyncio.wait_for(await ws.ping(), 2)  # still open after the last event
    assert (await streams(admin))["frames"] == {RAW: len(EVENTS)}


async def test_combined_stream_wraps_each_event(admin: httpx.AsyncClient, base_url: str) -> None:
    await set_stream(admin, path="/stream", speed=0)
    async with connect(ws_url(base_url, COMBINED)) as ws:
        frames = [json.loads(f) for f in await recv_n(ws, len(EVENTS))]
    assert frames == [{"stream": "!forceOrder@arr", "data": e} for e in EVENTS]


async def test_combined_stream_without_force_order_is_quiet(
    admin: httpx.AsyncClient, base_url: str
) -> None:
    await set_stream(admin, path="*", speed=0)
    async with connect(ws_url(base_url, "/stream?streams=btcusdt@aggTrade")) as ws:
        await assert_quiet(ws)
    assert await calls(admin) == {"/stream": 1}


async def test_finite_speed_takes_at_least_the_scaled_recorded_span(
    admin: httpx.AsyncClient, base_url: str
) -> None:
    speed = 2000
    span_s = (EVENTS[-1]["E"] - EVENTS[0]["E"]) / 1000 / speed
    await set_stream(admin, path=RAW, speed=speed)
    async with connect(ws_url(base_url, RAW)) as ws:
        started = time.monotonic()
        frames = await recv_n(ws, len(EVENTS))
        elapsed = time.monotonic() - started
    assert json.loads(frames[-1]) == EVENTS[-1]
    assert elapsed >= span_s * 0.95  # lower bound only; no tight timing


async def test_without_a_rule_the_recorded_pace_holds(base_url: str) -> None:
    gap_s = (EVENTS[1]["E"] - EVENTS[0]["E"]) / 1000
    assert gap_s > 1  # the first recorded gap, 2.2 s
    async with connect(ws_url(base_url, RAW)) as ws:
        assert json.loads((await recv_n(ws, 1))[0]) == EVENTS[0]
        await assert_quiet(ws, 0.5)


async def test_loop_starts_again_with_the_same_values(
    admin: httpx.AsyncClient, base_url: str
) -> None:
    n = len(EVENTS)
    await set_stream(admin, path=RAW, speed=0, loop=True, disconnect_after=n + 3)
    async with connect(ws_url(base_url, RAW)) as ws:
        frames = [json.loads(f) for f in await recv_n(ws, n + 3)]
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 2)
    assert frames[n:] == EVENTS[:3]


async def test_disconnect_after_closes_after_n_frames(
    admin: httpx.AsyncClient, base_url: str
) -> None:
    await set_stream(admin, path=RAW, speed=0, disconnect_after=5)
    async with connect(ws_url(base_url, RAW)) as ws:
        frames = await recv_n(ws, 5)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 2)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert [json.loads(f) for f in frames] == EVENTS[:5]
    assert (await streams(admin))["frames"] == {RAW: 5}


async def test_malformed_every_breaks_that_cadence(admin: httpx.AsyncClient, base_url: str) -> None:
    await set_stream(admin, path=RAW, speed=0, malformed_every=3, disconnect_after=9)
    async with connect(ws_url(base_url, RAW)) as ws:
        frames = await recv_n(ws, 9)
    for i, frame in enumerate(frames, start=1):
        if i % 3:
            assert json.loads(frame) == EVENTS[i - 1]
        else:
            with pytest.raises(json.JSONDecodeError):
                json.loads(frame)
            assert json.dumps(EVENTS[i - 1], separators=(",", ":"), ensure_ascii=False).startswith(
                frame
            )


async def test_times_expires_and_the_next_rule_applies(
    admin: httpx.AsyncClient, base_url: str
) -> None:
    await set_stream(admin, path=RAW, speed=0, disconnect_after=2, times=1)
    await set_stream(admin, path="*", speed=0)
    async with connect(ws_url(base_url, RAW)) as ws:
        assert len(await recv_n(ws, 2)) == 2
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 2)
    assert [r["path"] for r in (await streams(admin))["streams"]] == ["*"]
    async with connect(ws_url(base_url, RAW)) as ws:
        assert len(await recv_n(ws, len(EVENTS))) == len(EVENTS)
        await assert_quiet(ws)


async def test_each_connection_counts_one_call(admin: httpx.AsyncClient, base_url: str) -> None:
    # Recorded pace: one frame each, then 2.2 s of quiet (an unread backlog would stall close).
    sockets = [await connect(ws_url(base_url, RAW)) for _ in range(3)]
    try:
        for ws in sockets:
            await recv_n(ws, 1)
        assert await calls(admin) == {RAW: 3}
    finally:
        for ws in sockets:
            await ws.close()


@pytest.mark.parametrize(
    "rule",
    [
        {"speed": 0},
        {"path": "ws", "speed": 0},
        {"path": "*", "speed": -1},
        {"path": "*", "speed": "fast"},
        {"path": "*", "loop": 1},
        {"path": "*", "disconnect_after": 0},
        {"path": "*", "malformed_every": 1.5},
        {"path": "*", "latency_ms": 5},
    ],
)
def test_bad_stream_rules_are_rejected(client: httpx.Client, rule: dict[str, Any]) -> None:
    r = client.post("/_replay/streams", json=rule)
    assert r.status_code == 400 and "error" in r.json()
    assert client.get("/_replay/streams").json()["streams"] == []


def test_stream_rules_are_listed_and_deleted(client: httpx.Client) -> None:
    for rule in ({"path": RAW, "speed": 60, "times": 2}, {"path": "/ws/v5/public", "speed": 0}):
        assert client.post("/_replay/streams", json=rule).status_code == 200
    rules = client.get("/_replay/streams").json()["streams"]
    assert {r["path"]: r["remaining"] for r in rules} == {RAW: 2, "/ws/v5/public": None}
    assert client.delete("/_replay/streams", params={"path": RAW}).json() == {"cleared": 1}
    assert client.delete("/_replay/streams").json() == {"cleared": 1}


async def test_stop_closes_open_streams_quickly() -> None:
    server = ReplayServer()
    url = server.start()
    async with connect(ws_url(url, RAW)) as ws:
        await recv_n(ws, 1)
        started = time.monotonic()
        await asyncio.to_thread(server.stop)
        assert time.monotonic() - started < 2
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 2)
