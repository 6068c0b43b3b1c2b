"""``BinanceLiquidationStream`` against a loopback WebSocket server sending recorded frames.

Frames: the verbatim ``!forceOrder@arr`` message of 2021-10-19 (combined-stream envelope) and
raw-stream frames rebuilt from ``forceOrder-derived-2025-10-22.csv`` with only the fields the
recording has (``e``, ``E``, ``o.s``, ``o.S``, ``o.ap``, ``o.z``, ``o.T``; the CSV's one
timestamp is used for both ``E`` and ``T``). Values are copied, never retyped.
"""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.domain import Liquidation, PositionSide
from providers.binance import BinanceLiquidationStream
from providers.binance.ws import WS_VENUE, parse_frame
from providers.metrics import Metrics
from providers.streams import MalformedFrame
from tests.providers.conftest import recorded
from tests.providers.test_streams import (
    FAST,
    Conn,
    frame_server,
    sample,
    stay_open,
    stop,
    until,
)

RAW = "binance-futures/forceOrder-raw-example-IOTXUSDT-2021-10-19.json"
CSV = "binance-futures/forceOrder-derived-2025-10-22.csv"


def raw_text() -> str:
    return recorded(RAW).read_text(encoding="utf-8").strip()


def csv_rows() -> list[dict[str, str]]:
    with recorded(CSV).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def row_ms(row: dict[str, str]) -> int:
    return round(datetime.fromisoformat(row["timestamp"]).replace(tzinfo=UTC).timestamp() * 1000)


def row_frame(row: dict[str, str]) -> str:
    """A raw-stream frame carrying exactly the recorded fields of one CSV row, as strings."""
    ms = row_ms(row)
    order = {
        "s": row["symbol"],
        "S": row["side"],
        "ap": row["avg_price"],
        "z": row["filled_qty"],
        "T": ms,
    }
    return json.dumps({"e": "forceOrder", "E": ms, "o": order}, ensure_ascii=False)


def expected(row: dict[str, str]) -> Liquidation:
    return Liquidation(
        symbol=row["symbol"],
        venue="binance",
        side=PositionSide.LONG if row["side"] == "SELL" else PositionSide.SHORT,
        price=float(row["avg_price"]),
        quantity=float(row["filled_qty"]),
        notional_usd=pytest.approx(float(row["usd_value"]), rel=1e-12),  # type: ignore[arg-type]
        ts_ms=row_ms(row),
    )


def test_the_verbatim_frame_normalizes_to_its_recorded_values() -> None:
    body = json.loads(raw_text())
    o = body["data"]["o"]
    (event,) = parse_frame(raw_text())
    assert o["S"] == "SELL" and event.side is PositionSide.LONG  # a SELL closes a long
    assert event == Liquidation(
        symbol=o["s"],
        venue="binance",
        side=PositionSide.LONG,
        price=float(o["ap"]),  # the average fill, not the order price p
        quantity=float(o["z"]),
        notional_usd=float(o["ap"]) * float(o["z"]),
        ts_ms=o["T"],
    )
    # the raw stream sends the same object without the envelope
    assert parse_frame(json.dumps(body["data"])) == [event]


def test_fallbacks_and_malformed_frames() -> None:
    data = json.loads(raw_text())["data"]
    o = data["o"]
    no_fill = {**data, "o": {k: v for k, v in o.items() if k not in ("ap", "z", "T")}}
    (event,) = parse_frame(json.dumps(no_fill))
    assert (event.price, event.quantity, event.ts_ms) == (float(o["p"]), float(o["q"]), data["E"])
    nothing = {**data, "o": {k: v for k, v in o.items() if k not in ("z", "q")}}
    for bad in (json.dumps(nothing), raw_text()[:40], json.dumps([data]), "pong"):
        with pytest.raises(MalformedFrame):
            parse_frame(bad)


async def test_recorded_tape_through_a_drop_and_a_malformed_frame() -> None:
    rows = csv_rows()
    assert len(rows) == 472
    half = len(rows) // 2
    frames = [row_frame(r) for r in rows]

    async def script(conn: Conn) -> None:
        if conn.index == 0:
            await conn.ws.send(raw_text())
            await conn.ws.send(raw_text()[:40])  # a frame cut short: malformed
            for frame in frames[:half]:
                await conn.ws.send(frame)
            conn.drop()  # mid-stream, no close frame
        else:
            for frame in frames[half:]:
                await conn.ws.send(frame)
            await stay_open(conn)

    metrics = Metrics()
    got: list[Liquidation] = []
    async with frame_server(script) as server:
        stream = BinanceLiquidationStream(server.url, metrics, **FAST)
        task = asyncio.create_task(stream.run(got.append))
        await until(lambda: len(got) == 1 + len(rows))
        await stop(task)

    assert server.conns[0].ws.request is not None
    assert server.conns[0].ws.request.path == "/ws/!forceOrder@arr"
    assert got[0] == parse_frame(raw_text())[0]
    assert got[1:] == [expected(r) for r in rows]
    assert "币安人生USDT" in {e.symbol for e in got}  # non-ASCII symbols kept as sent
    c = stream.counters
    assert (c.connections, c.reconnects, c.gaps, c.malformed) == (2, 1, 1, 1)

    def count(name: str, **labels: Any) -> float:
        return sample(metrics, name, provider="binance", **labels)

    assert count("perpgraph_ingest_events_total", result="published") == 1 + len(rows)
    assert count("perpgraph_ingest_events_total", result="malformed") == 1
    assert count("perpgraph_ingest_connections_total", reason="first") == 1
    assert count("perpgraph_ingest_connections_total", reason="reconnect") == 1
    assert count("perpgraph_ingest_gaps_total") == 1


def test_url_and_default_rotation() -> None:
    stream = BinanceLiquidationStream(WS_VENUE.default_base_url + "/", Metrics())
    assert stream.url == "wss://fstream.binance.com/ws/!forceOrder@arr"
    assert stream.tuning.rotate_after_s == 23.5 * 3600
    with pytest.raises(TypeError):
        BinanceLiquidationStream("wss://x", Metrics(), bogus=1)  # type: ignore[call-arg]
