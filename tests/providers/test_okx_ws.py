"""``OkxLiquidationStream`` against a loopback WebSocket server sending recorded pushes.

Pushes: the ``liquidation-orders`` line of ``ws-v5-public-samples-tardis.jsonl`` (real,
FUTURES XRP-USD-230929, inverse) and ``ws-liquidation-orders.doc-example.json`` (OKX doc
example, SWAP IOST-USDT-SWAP, linear). Contract sizes come from the recorded
``instruments-SWAP-2022-05-13.json``; the futures contract is not recorded there, so its
family's swap (XRP-USD-SWAP, ctVal 10 USD) stands in for it. The subscribe ack and the error
event are shaped after the OKX v5 docs' examples ("WebSocket / Subscribe").
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from engine.domain import Liquidation, PositionSide
from providers.metrics import Metrics
from providers.okx import OkxLiquidationStream
from providers.okx.ws import WS_VENUE, subscribe_message
from tests.providers.conftest import load, load_jsonl, recorded
from tests.providers.test_streams import FAST, Conn, frame_server, sample, stay_open, stop, until

TARDIS = "okx/ws-v5-public-samples-tardis.jsonl"
DOC = "okx/ws-liquidation-orders.doc-example.json"


def tardis_push() -> dict[str, Any]:
    (push,) = [p for p in load_jsonl(TARDIS) if p.get("arg", {}).get("channel") == WS_VENUE.channel]
    return push  # type: ignore[no-any-return]


def ct_vals() -> dict[str, float]:
    rows = load("okx/instruments-SWAP-2022-05-13.json")["data"]
    return {r["instId"]: float(r["ctVal"]) for r in rows}


def contract_sizes(known: bool = True) -> dict[str, float]:
    sizes = {"IOST-USDT-SWAP": ct_vals()["IOST-USDT-SWAP"]}
    if known:
        sizes["XRP-USD-230929"] = ct_vals()["XRP-USD-SWAP"]  # stand-in, see the module doc
    return sizes


def ack(inst_type: str) -> str:
    arg = {"channel": WS_VENUE.channel, "instType": inst_type}
    return json.dumps({"event": "subscribe", "arg": arg, "connId": "a4d3ae55"})


ERROR = json.dumps(
    {"event": "error", "code": "60012", "msg": "Invalid request", "connId": "a4d3ae55"}
)


def expected_inverse(ct_val: float) -> Liquidation:
    row = tardis_push()["data"][0]
    (d,) = row["details"]
    notional = float(d["sz"]) * ct_val  # contracts x USD per contract
    return Liquidation(
        symbol=row["instId"],
        venue="okx",
        side=PositionSide.SHORT,  # side "buy" closes a short
        price=float(d["bkPx"]),
        quantity=notional / float(d["bkPx"]),
        notional_usd=notional,
        ts_ms=int(d["ts"]),
    )


def expected_linear(ct_val: float) -> Liquidation:
    row = load(DOC)["data"][0]
    (d,) = row["details"]
    quantity = float(d["sz"]) * ct_val  # contracts x base units per contract
    return Liquidation(
        symbol=row["instId"],
        venue="okx",
        side=PositionSide.SHORT,
        price=float(d["bkPx"]),
        quantity=quantity,
        notional_usd=float(d["bkPx"]) * quantity,
        ts_ms=int(d["ts"]),
    )


async def test_subscribe_ack_error_pushes_drop_and_unknown_instrument() -> None:
    tardis = recorded(TARDIS).read_text(encoding="utf-8").splitlines()
    tardis_line = next(line for line in tardis if WS_VENUE.channel in line)
    doc = json.dumps(load(DOC))
    sizes = contract_sizes(known=False)

    async def script(conn: Conn) -> None:
        subscribe = json.loads(await conn.next_message())
        assert subscribe == {
            "op": "subscribe",
            "args": [
                {"channel": "liquidation-orders", "instType": "SWAP"},
                {"channel": "liquidation-orders", "instType": "FUTURES"},
            ],
        }
        await conn.ws.send(ack("SWAP"))
        await conn.ws.send(ack("FUTURES"))
        if conn.index == 0:
            await conn.ws.send(ERROR)
            await conn.ws.send(tardis_line)  # XRP-USD-230929 unknown at first
            await conn.ws.send(doc)
            conn.drop()
        else:
            await conn.ws.send(doc)
            sizes["XRP-USD-230929"] = ct_vals()["XRP-USD-SWAP"]  # learnt, e.g. by a refresh
            await conn.ws.send(tardis_line)
            await stay_open(conn)

    metrics = Metrics()
    got: list[Liquidation] = []
    async with frame_server(script) as server:
        stream = OkxLiquidationStream(
            server.url, metrics, sizes.get, inst_types=("SWAP", "FUTURES"), **FAST
        )
        task = asyncio.create_task(stream.run(got.append))
        await until(lambda: len(got) == 3)
        await stop(task)

    assert server.conns[0].ws.request is not None
    assert server.conns[0].ws.request.path == "/ws/v5/public"
    assert len(server.conns[1].received) == 1  # subscribed again after the reconnect
    iost, xrp = ct_vals()["IOST-USDT-SWAP"], ct_vals()["XRP-USD-SWAP"]
    assert got == [expected_linear(iost), expected_linear(iost), expected_inverse(xrp)]
    assert got[2].notional_usd == 390.0 and got[0].quantity == 13000.0  # sz x ctVal

    c = stream.counters
    assert (c.connections, c.reconnects, c.gaps, c.malformed, c.events) == (2, 1, 1, 1, 3)
    assert stream.unknown_instrument == 1

    def count(name: str, **labels: Any) -> float:
        return sample(metrics, name, provider="okx", **labels)

    assert count("perpgraph_ingest_events_total", result="malformed") == 1  # the error event
    assert count("perpgraph_ingest_events_total", result="unknown_instrument") == 1
    assert count("perpgraph_ingest_events_total", result="published") == 3
    assert count("perpgraph_ingest_gaps_total") == 1
    assert count("perpgraph_ingest_connections_total", reason="reconnect") == 1


async def test_ping_when_idle_and_pong_is_not_a_frame() -> None:
    doc = json.dumps(load(DOC))

    async def script(conn: Conn) -> None:
        await conn.next_message()  # subscribe
        await conn.ws.send(ack("SWAP"))
        assert await conn.next_message() == "ping"  # nothing pushed for idle_ping_s
        await conn.ws.send("pong")
        await conn.ws.send(doc)
        await stay_open(conn)

    got: list[Liquidation] = []
    async with frame_server(script) as server:
        stream = OkxLiquidationStream(
            server.url, Metrics(), contract_sizes().get, **FAST, idle_ping_s=0.1
        )
        task = asyncio.create_task(stream.run(got.append))
        await until(lambda: len(got) == 1)
        await stop(task)
    assert got == [expected_linear(ct_vals()["IOST-USDT-SWAP"])]
    assert stream.counters.pings_sent >= 1
    assert (stream.counters.malformed, stream.counters.gaps) == (0, 0)


def test_defaults_and_arguments() -> None:
    stream = OkxLiquidationStream(WS_VENUE.default_base_url, Metrics(), contract_sizes().get)
    assert stream.url == "wss://ws.okx.com:8443/ws/v5/public"
    assert stream.tuning.idle_ping_s == 20.0
    assert json.loads(subscribe_message(["SWAP"]))["args"] == [
        {"channel": "liquidation-orders", "instType": "SWAP"}
    ]
    with pytest.raises(ValueError, match="instType"):
        OkxLiquidationStream("wss://x", Metrics(), contract_sizes().get, inst_types=("SPOT",))
    with pytest.raises(ValueError):
        OkxLiquidationStream("wss://x", Metrics(), contract_sizes().get, inst_types=())
