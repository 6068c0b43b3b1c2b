"""OKX v5 public WebSocket: subscribe acks, the recorded liquidation push verbatim, ping/pong."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from .conftest import DATA, assert_quiet, calls, recv_n, set_stream, streams, ws_url

PATH = "/ws/v5/public"
LIQ_LINE = next(
    line
    for line in (DATA / "okx/ws-v5-public-samples-tardis.jsonl").read_text("utf-8").splitlines()
    if '"liquidation-orders"' in line
)
RECORDED_ARG = json.loads(LIQ_LINE)["arg"]


def subscribe(arg: dict[str, Any], op: str = "subscribe", **extra: Any) -> str:
    return json.dumps({**extra, "op": op, "args": [arg]})


def test_the_recorded_push_is_futures() -> None:
    assert RECORDED_ARG == {"channel": "liquidation-orders", "instType": "FUTURES"}


async def test_subscribe_acks_then_pushes_the_recording_verbatim(base_url: str) -> None:
    async with connect(ws_url(base_url, PATH)) as ws:
        await ws.send(subscribe(RECORDED_ARG, id="1512"))
        ack, push = await recv_n(ws, 2)
        await assert_quiet(ws)
    ack_body = json.loads(ack)
    assert list(ack_body) == ["id", "event", "arg", "connId"]
    assert ack_body["id"] == "1512" and ack_body["event"] == "subscribe"
    assert ack_body["arg"] == RECORDED_ARG and re.fullmatch(r"[0-9a-f]{8}", ack_body["connId"])
    assert push == LIQ_LINE


async def test_other_inst_type_gets_the_ack_and_no_data(base_url: str) -> None:
    arg = {"channel": "liquidation-orders", "instType": "SWAP"}
    async with connect(ws_url(base_url, PATH)) as ws:
        await ws.send(subscribe(arg))
        ack = json.loads((await recv_n(ws, 1))[0])
        await assert_quiet(ws)
    assert ack == {"event": "subscribe", "arg": arg, "connId": ack["connId"]}


async def test_ping_pong_invalid_request_and_unsubscribe(base_url: str) -> None:
    async with connect(ws_url(base_url, PATH)) as ws:
        await ws.send("ping")
        assert await recv_n(ws, 1) == ["pong"]
        await ws.send('{"op":"subscribe","argss":[]}')
        error = json.loads((await recv_n(ws, 1))[0])
        assert error["event"] == "error" and error["code"] == "60012"
        assert error["msg"] == 'Invalid request: {"op":"subscribe","argss":[]}'
        await ws.send(subscribe(RECORDED_ARG, op="unsubscribe"))
        ack = json.loads((await recv_n(ws, 1))[0])
        assert ack["event"] == "unsubscribe" and ack["arg"] == RECORDED_ARG


async def test_loop_and_faults_apply_to_data_frames_only(
    admin: httpx.AsyncClient, base_url: str
) -> None:
    await set_stream(admin, path=PATH, speed=0, loop=True, malformed_every=2, disconnect_after=3)
    async with connect(ws_url(base_url, PATH)) as ws:
        await ws.send("ping")
        assert await recv_n(ws, 1) == ["pong"]
        await ws.send(subscribe(RECORDED_ARG))
        ack, *data = await recv_n(ws, 4)
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 2)
    assert json.loads(ack)["event"] == "subscribe"
    assert data == [LIQ_LINE, LIQ_LINE[: len(LIQ_LINE) // 2], LIQ_LINE]
    assert await calls(admin) == {PATH: 1}
    assert (await streams(admin))["frames"] == {PATH: 3}
