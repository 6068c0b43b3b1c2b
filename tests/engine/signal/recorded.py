"""Recorded market data, read once, as engine inputs (see providers/replay/data/PROVENANCE.md).

Nothing here is typed in: every number comes from a recording. Long/short ratios, top-trader
ratios, open-interest history and social sentiment have no real recording (PROVENANCE
"Not found"), so their factors are tested on generated values and their own rules.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from engine.domain import Candle, Liquidation, PositionSide

DATA = Path(__file__).resolve().parents[3] / "providers/replay/data"
HOUR_MS = 3_600_000


def _derived_candle(row: list[float]) -> Candle:
    """``[ms, o, h, l, c, v]`` floats (freqtrade-derived OHLCV)."""
    return Candle(int(row[0]), row[1], row[2], row[3], row[4], row[5], None, None, None, None)


@cache
def derived(symbol: str, interval: str) -> tuple[Candle, ...]:
    """The derived ``ohlcv-{symbol}-{interval}.json`` series, oldest first (no gaps)."""
    path = DATA / f"binance-futures/ohlcv/ohlcv-{symbol}-{interval}.json"
    return tuple(_derived_candle(r) for r in json.loads(path.read_text()))


def candles_1h(symbol: str = "BTCUSDT") -> tuple[Candle, ...]:
    """The derived 1 h series of ``symbol`` (719 consecutive candles, oldest first)."""
    return derived(symbol, "1h")


@cache
def candles_5m_verbatim() -> tuple[Candle, ...]:
    """The verbatim BTCUSDT 5 m klines (12-field arrays, numbers as strings)."""
    path = DATA / "binance-futures/klines-BTCUSDT-5m-limit500-2025-11-05.json"
    return tuple(
        Candle(
            r[0],
            float(r[1]),
            float(r[2]),
            float(r[3]),
            float(r[4]),
            float(r[5]),
            r[6],
            float(r[7]),
            r[8],
            float(r[9]),
        )
        for r in json.loads(path.read_text())
    )


def hourly(candles_5m: tuple[Candle, ...]) -> tuple[Candle, ...]:
    """Complete clock hours of 5 m candles as 1 h candles (open of the first, close of the
    last, extreme high/low, summed volume); partial hours are dropped."""
    hours: dict[int, list[Candle]] = {}
    for c in candles_5m:
        hours.setdefault(c.open_time_ms // HOUR_MS * HOUR_MS, []).append(c)
    return tuple(
        Candle(
            start,
            group[0].open,
            max(c.high for c in group),
            min(c.low for c in group),
            group[-1].close,
            sum(c.volume for c in group),
            start + HOUR_MS - 1,
            None,
            None,
            None,
        )
        for start, group in sorted(hours.items())
        if len(group) == 12
    )


@cache
def funding_rates(symbol: str = "BTCUSDT") -> tuple[tuple[int, float], ...]:
    """``(funding time ms, rate as a fraction)``, oldest first."""
    path = DATA / f"binance-futures/ohlcv/fundingRate-{symbol}-8h.derived.json"
    return tuple((int(ms), float(rate)) for ms, rate in json.loads(path.read_text()))


@cache
def liquidations() -> tuple[Liquidation, ...]:
    """Every recorded forced liquidation (all symbols, ~7 minutes). SELL liquidates a LONG."""
    path = DATA / "binance-futures/forceOrder-derived-2025-10-22.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return tuple(
        Liquidation(
            symbol=r["symbol"],
            venue="binance",
            side=PositionSide.LONG if r["side"] == "SELL" else PositionSide.SHORT,
            price=float(r["avg_price"]),
            quantity=float(r["filled_qty"]),
            notional_usd=float(r["usd_value"]),
            ts_ms=round(
                datetime.fromisoformat(r["timestamp"]).replace(tzinfo=UTC).timestamp() * 1000
            ),
        )
        for r in rows
    )


@cache
def fear_greed_values() -> tuple[int, ...]:
    """Daily Fear & Greed values 2018-02-01 .. 2025-01-02, newest first as recorded."""
    path = DATA / "alternative-me/fng-history-daily-2018-02-01_2025-01-02.derived.csv"
    with path.open(newline="", encoding="utf-8") as f:
        return tuple(int(r["fng_value"]) for r in csv.DictReader(f))
