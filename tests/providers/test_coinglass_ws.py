"""``CoinglassLiquidationStream`` against a loopback WebSocket server sending Coinglass's
documented push (``coinglass/ws-liquidationOrders.doc-example.json``; shape only, the
replay never serves it)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from engine.domain import Liquidation, PositionSide
from graph.server.logs import log_config
from providers.coinglass.ws import WS_VENUE, CoinglassLiquidationStream, parse_frame
from providers.metrics import Metrics
from providers.streams import MalformedFrame
from tests.providers.conftest import load
from tests.providers.test_streams import FAST, Conn, frame_server, stay_open, stop, until

DOC = "coinglass/ws-liquidationOrders.doc-example.json"
KEY = "cg-test-key-5d1f"  # not a real key: what the stream must never log


def doc_push() -> dict[str, Any]:
    return load(DOC)  # type: ignore[no-any-return]


def expected() -> Liquidation:
    (row,) = doc_push()["data"]
    return Liquidation(
        symbol=row["symbol"],
        venue=row["exName"].lower(),
        side=PositionSide.LONG,  # side 2: a sell liquidation order closes a long
        price=row["price"],
        quantity=row["volUsd"] / row["price"],
        notional_usd=row["volUsd"],
        ts_ms=row["time"],
    )


async def test_subscribes_with_the_key_parses_pushes_and_resubscribes_after_a_drop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    push = json.dumps(doc_push())

    async def script(conn: Conn) -> None:
        subscribe = json.loads(await conn.next_message())
        assert subscribe == {"method": "subscribe", "channels": ["liquidationOrders"]}
        if conn.index == 0:
            await conn.ws.send(push)
            await conn.ws.send('{"channel": "liquidationOrders", "data": [{"side": 3}]}')
            conn.drop()
        else:
            await conn.ws.send(json.dumps({"channel": "futures_trades@x", "data": []}))
            await conn.ws.send(push)
            await stay_open(conn)

    metrics = Metrics()
    got: list[Liquidation] = []
    caplog.set_level(logging.DEBUG)
    async with frame_server(script) as server:
        stream = CoinglassLiquidationStream(server.url, KEY, metrics, **FAST)
        task = asyncio.create_task(stream.run(got.append))
        await until(lambda: len(got) == 2)
        await stop(task)

    request = server.conns[0].ws.request
    assert request is not None
    assert request.path == f"/ws-api?cg-api-key={KEY}"
    assert got == [expected(), expected()]  # the hub, not the stream, drops the repeat
    c = stream.counters
    assert (c.connections, c.reconnects, c.gaps, c.malformed, c.events) == (2, 1, 1, 1, 2)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("perpgraph")]
    assert any("dropped" in line for line in ours)  # the drop was logged ...
    assert not any(KEY in line for line in ours)  # ... without the key
    assert KEY not in repr(stream)


def test_the_websockets_library_never_logs_request_lines_even_at_debug() -> None:
    config = log_config("DEBUG")
    assert config["loggers"]["websockets"]["level"] == "WARNING"


async def test_pings_when_idle_and_the_pong_is_not_a_frame() -> None:
    async def script(conn: Conn) -> None:
        await conn.next_message()  # subscribe
        assert await conn.next_message() == "ping"
        await conn.ws.send("pong")
        await conn.ws.send(json.dumps(doc_push()))
        await stay_open(conn)

    got: list[Liquidation] = []
    async with frame_server(script) as server:
        stream = CoinglassLiquidationStream(server.url, KEY, Metrics(), **FAST, idle_ping_s=0.1)
        task = asyncio.create_task(stream.run(got.append))
        await until(lambda: len(got) == 1)
        await stop(task)
    assert got == [expected()]
    assert stream.counters.pings_sent >= 1 and stream.counters.malformed == 0


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[]",
        '{"channel": "liquidationOrders"}',
        '{"channel": "liquidationOrders", "data": [{"exName": "Binance"}]}',
    ],
)
def test_malformed_frames_raise(frame: str) -> None:
    with pytest.raises(MalformedFrame):
        parse_frame(frame)


def test_a_buy_liquidation_order_is_a_short_liquidated() -> None:
    push = doc_push()
    push["data"][0]["side"] = 1  # the documented other value: a buy order
    (event,) = parse_frame(json.dumps(push))
    assert event.side is PositionSide.SHORT


def test_defaults_and_a_missing_key() -> None:
    stream = CoinglassLiquidationStream(WS_VENUE.default_base_url, "k/+y", Metrics())
    assert stream.url == "wss://open-ws.coinglass.com/ws-api?cg-api-key=k/%2By"
    assert stream.tuning.idle_ping_s == 20.0
    with pytest.raises(ValueError, match="API key"):
        CoinglassLiquidationStream(WS_VENUE.default_base_url, "", Metrics())
