"""Recorded Binance futures candles for the SMC tests, and the windows the tests read by hand.

Every number comes from a recording (providers/replay/data/PROVENANCE.md): the derived
``ohlcv-{SYMBOL}-{interval}.json`` series (``[open_ms, o, h, l, c, v]`` floats, no gaps) and
the verbatim BTCUSDT 5 m klines (12-field arrays, prices as strings).
"""

from __future__ import annotations

from engine.domain import Candle
from tests.engine.signal import recorded

SERIES = [(s, i) for s in ("BTCUSDT", "ETHUSDT", "SOLUSDT") for i in ("1h", "15m", "5m")]


derived = recorded.derived  # the derived series of ``symbol`` at ``interval``
verbatim_5m = recorded.candles_5m_verbatim  # the 500 verbatim BTCUSDT 5 m klines


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
