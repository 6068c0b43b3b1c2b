"""Recorded Binance futures candles for the SMC tests, and the windows the tests read by hand.

Every number comes from a recording (providers/replay/data/PROVENANCE.md): the derived
``ohlcv-{SYMBOL}-{interval}.json`` series (``[open_ms, o, h, l, c, v]`` floats, no gaps) and
the verbatim BTCUSDT 5 m klines (12-field arrays, prices as strings).
"""

from __future__ import annotations

import json
from functools import cache

from engine.domain import Candle
from tests.support import RECORDED

OHLCV = RECORDED / "binance-futures" / "ohlcv"
VERBATIM_5M = RECORDED / "binance-futures" / "klines-BTCUSDT-5m-limit500-2025-11-05.json"

SERIES = [(s, i) for s in ("BTCUSDT", "ETHUSDT", "SOLUSDT") for i in ("1h", "15m", "5m")]


@cache
def derived(symbol: str, interval: str) -> tuple[Candle, ...]:
    """The derived series of ``symbol`` at ``interval``, oldest first."""
    rows = json.loads((OHLCV / f"ohlcv-{symbol}-{interval}.json").read_text())
    return tuple(
        Candle(int(r[0]), r[1], r[2], r[3], r[4], r[5], None, None, None, None) for r in rows
    )


@cache
def verbatim_5m() -> tuple[Candle, ...]:
    """The 500 verbatim BTCUSDT 5 m klines (2025-11-05 12:35 → 2025-11-07 06:10 UTC)."""
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
        for r in json.loads(VERBATIM_5M.read_text())
    )


def window(series: tuple[Candle, ...], start: int, count: int) -> tuple[Candle, ...]:
    """``count`` consecutive candles from ``start``; index 0 of the tests is ``start``."""
    assert start + count <= len(series)
    return series[start : start + count]


# The hand-checked windows (index 0 = the first candle listed). Times are open times, UTC.
def sol_1h_march_20() -> tuple[Candle, ...]:
    """SOLUSDT 1 h, 2025-03-20 15:00 → 03-21 14:00 (24 candles): a BOS, then a CHoCH."""
    return window(derived("SOLUSDT", "1h"), 340, 24)


def btc_1h_march_11() -> tuple[Candle, ...]:
    """BTCUSDT 1 h, 2025-03-11 01:00 → 03-12 06:00 (30 candles): a rally that turns."""
    return window(derived("BTCUSDT", "1h"), 110, 30)


def eth_15m_march_7() -> tuple[Candle, ...]:
    """ETHUSDT 15 m, 2025-03-07 15:45 → 20:30 (20 candles): gaps of several sizes."""
    return window(derived("ETHUSDT", "15m"), 117, 20)


def btc_15m_march_17() -> tuple[Candle, ...]:
    """BTCUSDT 15 m, 2025-03-17 09:30 → 14:45 (22 candles): two equal highs, no swing."""
    return window(derived("BTCUSDT", "15m"), 1052, 22)


def btc_5m_november_6() -> tuple[Candle, ...]:
    """Verbatim BTCUSDT 5 m, 2025-11-06 22:20 → 11-07 01:35 (40 candles): equal highs and
    lows, each swept later."""
    return window(verbatim_5m(), 405, 40)


def btc_1h_march_6() -> tuple[Candle, ...]:
    """BTCUSDT 1 h, 2025-03-06 17:00 → 03-07 08:00 (16 candles): one wide outside candle."""
    return window(derived("BTCUSDT", "1h"), 6, 16)
