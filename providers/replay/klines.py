"""Candles: intervals, aggregation to higher intervals, windows, 24 h rolling statistics.

Pure functions over recorded candles; nothing here reads files (see ``kline_sources``).

* Aggregation keeps only **complete** buckets (every source candle of the bucket recorded):
  open = first open, high = max, low = min, close = last close, volume = sum; when every
  source candle has the 12-field extras, quote volume, trade count and taker volumes are sums
  too. Bucket starts follow Binance: epoch-aligned for fixed intervals, Monday 00:00 UTC for
  ``1w``, the first of the month for ``1M``. ``3d`` is not built: its bucket alignment is not
  visible in any recording, so a 3d series would rest on a guess.
* Wire rows have as many fields as were recorded: 12 for verbatim klines,
  ``[openTime, o, h, l, c, v, closeTime]`` for derived OHLCV (closeTime = open + interval - 1,
  computable; quote volume, trade count and taker volumes are not recorded and not invented),
  ``[openTime, o, h, l, c]`` for derived mark-price klines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from .wire import dec_str

__all__ = [
    "DAY_MS",
    "INTERVAL_MS",
    "VALID_INTERVALS",
    "Candle",
    "Extra",
    "aggregate",
    "bucket_bounds",
    "can_build_from",
    "rolling_24h",
    "select_window",
    "utc_ms",
    "wire_row",
]

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS
WEEK_MS = 7 * DAY_MS
_MONDAY_OFFSET_MS = 4 * DAY_MS  # 1970-01-01 was a Thursday; weeks start on Monday 00:00 UTC

#: Binance kline intervals with a fixed length ("1M" is calendar months).
INTERVAL_MS: dict[str, int] = {
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS,
    "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
    "3d": 3 * DAY_MS,
    "1w": WEEK_MS,
}
VALID_INTERVALS: tuple[str, ...] = (*INTERVAL_MS, "1M")


@dataclass(frozen=True, slots=True)
class Extra:
    """Kline fields 7..11, present only when recorded (verbatim REST or WS klines)."""

    quote_volume: Decimal
    trades: int
    taker_base: Decimal
    taker_quote: Decimal
    ignore: str


@dataclass(frozen=True, slots=True)
class Candle:
    open_ms: int
    close_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal | None = None  # None for mark-price klines (no volume recorded)
    extra: Extra | None = None


def wire_row(c: Candle) -> list[int | str]:
    """The Binance kline array, truncated to the recorded fields (see module docstring)."""
    row: list[int | str] = [c.open_ms, dec_str(c.open), dec_str(c.high), dec_str(c.low)]
    row.append(dec_str(c.close))
    if c.volume is None:
        return row
    row += [dec_str(c.volume), c.close_ms]
    if c.extra is not None:
        e = c.extra
        row += [dec_str(e.quote_volume), e.trades, dec_str(e.taker_base)]
        row += [dec_str(e.taker_quote), e.ignore]
    return row


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utc_ms(text: str) -> int:
    """Epoch ms of a recorded naive datetime string taken as UTC ("2024-07-20 00:00:00.001")."""
    return (datetime.fromisoformat(text).replace(tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1)


def _month_start(ts_ms: int, months_ahead: int = 0) -> int:
    d = datetime.fromtimestamp(ts_ms / 1000, tz=UTC)
    index = d.year * 12 + d.month - 1 + months_ahead
    start = datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)
    return int(start.timestamp()) * 1000


def bucket_bounds(ts_ms: int, interval: str) -> tuple[int, int]:
    """``[start, end)`` of the ``interval`` bucket holding ``ts_ms``, aligned as Binance does."""
    if interval == "1M":
        return _month_start(ts_ms), _month_start(ts_ms, 1)
    if interval == "1w":
        start = ts_ms - (ts_ms - _MONDAY_OFFSET_MS) % WEEK_MS
        return start, start + WEEK_MS
    size = INTERVAL_MS[interval]
    start = ts_ms - ts_ms % size
    return start, start + size


def can_build_from(source: str, target: str) -> bool:
    """Whether complete ``target`` buckets are unions of whole ``source`` candles."""
    if source not in INTERVAL_MS or target == "3d" or source == target:
        return False
    src = INTERVAL_MS[source]
    if target == "1M":
        return DAY_MS % src == 0
    if target == "1w":
        return WEEK_MS % src == 0 and _MONDAY_OFFSET_MS % src == 0
    tgt = INTERVAL_MS[target]
    return tgt > src and tgt % src == 0


def _merge(bucket: Sequence[Candle], start: int, end: int) -> Candle:
    first, last = bucket[0], bucket[-1]
    volume: Decimal | None = None
    if all(c.volume is not None for c in bucket):
        volume = sum((c.volume for c in bucket if c.volume is not None), Decimal(0))
    extras = [c.extra for c in bucket if c.extra is not None]
    extra = None
    if volume is not None and len(extras) == len(bucket):
        extra = Extra(
            quote_volume=sum((e.quote_volume for e in extras), Decimal(0)),
            trades=sum(e.trades for e in extras),
            taker_base=sum((e.taker_base for e in extras), Decimal(0)),
            taker_quote=sum((e.taker_quote for e in extras), Decimal(0)),
            ignore=extras[-1].ignore,
        )
    return Candle(
        open_ms=start,
        close_ms=end - 1,
        open=first.open,
        high=max(c.high for c in bucket),
        low=min(c.low for c in bucket),
        close=last.close,
        volume=volume,
        extra=extra,
    )


def aggregate(candles: Sequence[Candle], source: str, target: str) -> list[Candle]:
    """Complete ``target`` candles built from gap-free ``source`` candles (oldest first)."""
    if not can_build_from(source, target):
        raise ValueError(f"cannot build {target} from {source}")
    src_ms = INTERVAL_MS[source]
    out: list[Candle] = []
    bucket: list[Candle] = []
    bounds: tuple[int, int] | None = None
    for c in [*candles, None]:
        key = bucket_bounds(c.open_ms, target) if c is not None else None
        if key != bounds:
            if bounds is not None and len(bucket) == (bounds[1] - bounds[0]) // src_ms:
                out.append(_merge(bucket, *bounds))
            bucket, bounds = [], key
        if c is not None:
            bucket.append(c)
    return out


def select_window(
    candles: Sequence[Candle], start_ms: int | None, end_ms: int | None, limit: int
) -> list[Candle]:
    """Binance paging: from ``start_ms`` the first ``limit``; otherwise the newest ``limit``
    candles opening at or before ``end_ms`` (or the end of the series)."""
    chosen = [
        c
        for c in candles
        if (start_ms is None or c.open_ms >= start_ms) and (end_ms is None or c.open_ms <= end_ms)
    ]
    return chosen[:limit] if start_ms is not None else chosen[-limit:]


def _decimals(values: Sequence[Decimal]) -> int:
    return max(max(0, -int(v.as_tuple().exponent)) for v in values)


def rolling_24h(symbol: str, candles: Sequence[Candle], interval: str) -> dict[str, object] | None:
    """``/fapi/v1/ticker/24hr`` fields computable from the last 24 h of ``candles``.

    The window is the 24 h ending at the newest candle's close. ``None`` when the series does
    not cover the whole window (a shorter span would be mislabelled as 24 h). Fields that
    klines do not carry (lastQty, firstId, lastId, bid/ask) are left out; quoteVolume,
    weightedAvgPrice and count only when every candle in the window has them.
    priceChangePercent has 3 decimals, as Binance futures sends it ("-0.452").
    """
    if not candles or candles[-1].volume is None:
        return None
    window_start = candles[-1].open_ms + INTERVAL_MS[interval] - DAY_MS
    if candles[0].open_ms > window_start:
        return None
    window = [c for c in candles if c.open_ms >= window_start]
    first, last = window[0], window[-1]
    change = last.close - first.open
    percent = change / first.open * 100 if first.open else Decimal(0)
    prices = [p for c in window for p in (c.open, c.high, c.low, c.close)]
    volume = sum((c.volume for c in window if c.volume is not None), Decimal(0))
    extras = [c.extra for c in window if c.extra is not None]
    full = len(extras) == len(window)
    stats: dict[str, object] = {"symbol": symbol, "priceChange": dec_str(change)}
    stats["priceChangePercent"] = dec_str(percent.quantize(Decimal("0.001")))
    quote = sum((e.quote_volume for e in extras), Decimal(0))
    if full and volume:
        step = Decimal(1).scaleb(-_decimals(prices))
        stats["weightedAvgPrice"] = dec_str((quote / volume).quantize(step))
    stats |= {
        "lastPrice": dec_str(last.close),
        "openPrice": dec_str(first.open),
        "highPrice": dec_str(max(c.high for c in window)),
        "lowPrice": dec_str(min(c.low for c in window)),
        "volume": dec_str(volume),
    }
    if full:
        stats["quoteVolume"] = dec_str(quote)
    stats |= {"openTime": first.open_ms, "closeTime": last.close_ms}
    if full:
        stats["count"] = sum(e.trades for e in extras)
    return stats
