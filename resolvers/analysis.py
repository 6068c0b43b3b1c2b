"""Indicators and Smart Money Concepts of a symbol: candles fetched once, numbers from engine.

Glue only. Candles come from ``market.candles``, so every consumer of one symbol, interval
and fetch size (the ``candles`` field, indicators, SMC, the signal) shares one klines call
per query and one cache entry; the numbers come from ``engine.indicators`` and
``engine.smc``, whose docstrings define them.

The engine refuses an out-of-range argument with ``ValueError``; here it becomes an
``InvalidArgument`` with a stable code: ``BAD_PERIOD`` for an indicator period,
``BAD_LIMIT`` for a count (candles, items, timeframes), ``BAD_INTERVAL`` for an interval and
``BAD_ARGUMENT`` for any other value outside its domain (Bollinger ``stddev``, SMC
``swingLength``). Arguments the parent field takes are checked before anything is fetched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TypeVar

from engine import indicators as ind
from engine import smc as smc_engine
from engine.domain import Candles
from engine.symbols import SymbolRef
from resolvers import market
from resolvers.arguments import check_interval, check_limit
from resolvers.cache import Cached
from resolvers.context import Context
from resolvers.errors import InvalidArgument, schema_words

T = TypeVar("T")

MAX_TIMEFRAMES = 5  # SMC intervals per query: each is a klines call
# A list of SMC zones never holds more entries than candles, and a query reads at most 1,500
# candles (Binance's most per klines call, the max_candles default).
MAX_ITEMS = 1500


def _engine(code: str, compute: Callable[[], T]) -> T:
    """Run an engine computation; its argument ``ValueError`` becomes ``code``."""
    try:
        return compute()
    except InvalidArgument:
        raise
    except ValueError as err:
        raise InvalidArgument(code, schema_words(str(err))) from err


class IndicatorSet:
    """The indicators of one candle series. The engine's ``Series`` (float64 columns) is
    built on first use and shared by every indicator asked of this set."""

    def __init__(self, candles: Cached[Candles]) -> None:
        self.candles = candles

    @cached_property
    def series(self) -> ind.Series:
        return ind.Series.from_candles(self.candles.value.candles)

    @property
    def interval(self) -> str:
        return self.candles.value.interval

    @property
    def candle_count(self) -> int:
        return len(self.candles.value.candles)

    def rsi(self, period: int) -> float | None:
        return _engine("BAD_PERIOD", lambda: ind.rsi(self.series, period))

    def ema(self, period: int) -> float | None:
        return _engine("BAD_PERIOD", lambda: ind.ema(self.series, period))

    def sma(self, period: int) -> float | None:
        return _engine("BAD_PERIOD", lambda: ind.sma(self.series, period))

    def atr(self, period: int) -> float | None:
        return _engine("BAD_PERIOD", lambda: ind.atr(self.series, period))

    def macd(self, fast: int, slow: int, signal: int) -> ind.Macd | None:
        return _engine("BAD_PERIOD", lambda: ind.macd(self.series, fast, slow, signal))

    def bollinger(self, period: int, stddev: float) -> ind.Bands | None:
        # checked here so a bad width gets its own code; the engine checks it again
        if not 0 < stddev <= ind.MAX_BAND_STDDEV:
            raise InvalidArgument(
                "BAD_ARGUMENT",
                f"bollinger stddev must be above 0 and at most {ind.MAX_BAND_STDDEV}, got {stddev}",
            )
        return _engine("BAD_PERIOD", lambda: ind.bollinger(self.series, period, stddev))

    def adx(self, period: int) -> ind.Adx | None:
        return _engine("BAD_PERIOD", lambda: ind.adx(self.series, period))

    def vwap(self) -> float | None:
        return ind.vwap(self.series)

    def volume_delta(self, last: int) -> float | None:
        return _engine("BAD_LIMIT", lambda: ind.volume_delta(self.series, last))

    def trend(self) -> ind.Trend:
        return ind.trend(self.series)


async def indicators(ctx: Context, ref: SymbolRef, interval: str, limit: int) -> IndicatorSet:
    """The newest ``limit`` candles of ``interval`` (one shared klines call), ready for
    indicators; ``interval`` and ``limit`` are checked before the fetch."""
    return IndicatorSet(await market.candles(ctx, ref, interval, limit))


def newest(items: Sequence[T], last: int) -> list[T]:
    """The newest ``last`` of ``items`` (oldest first), ``last`` 1..MAX_ITEMS (BAD_LIMIT)."""
    check_limit("last", last, 1, MAX_ITEMS)
    return list(items[-last:])


@dataclass(frozen=True, slots=True)
class SmcTimeframe:
    interval: str
    candles: Cached[Candles]
    analysis: smc_engine.SmcAnalysis
    weight: int  # in the combined bias: the n-th shortest interval weighs n


@dataclass(frozen=True, slots=True)
class SmcResult:
    combined: smc_engine.MultiTimeframeBias
    timeframes: tuple[SmcTimeframe, ...]  # shortest interval first


def check_intervals(intervals: Sequence[str]) -> list[str]:
    """1..MAX_TIMEFRAMES distinct known intervals (BAD_LIMIT / BAD_INTERVAL)."""
    if not 1 <= len(intervals) <= MAX_TIMEFRAMES:
        raise InvalidArgument(
            "BAD_LIMIT", f"intervals takes 1 to {MAX_TIMEFRAMES} entries, got {len(intervals)}"
        )
    for interval in intervals:
        check_interval(interval)
    if len(set(intervals)) != len(intervals):
        raise InvalidArgument("BAD_INTERVAL", "intervals must be distinct")
    return list(intervals)


async def smc(
    ctx: Context, ref: SymbolRef, intervals: Sequence[str], swing_length: int, limit: int
) -> SmcResult:
    """SMC of each interval's newest ``limit`` candles, fetched concurrently (one klines call
    per interval, shared with the query's other candle consumers), and their combined bias
    (``engine.smc.combine_timeframes``). Every argument is checked before any fetch."""
    params = _engine("BAD_ARGUMENT", lambda: smc_engine.SmcParams(swing_length=swing_length))
    chosen = check_intervals(intervals)
    check_limit("limit", limit, 1, ctx.services.limits.max_candles)
    fetched = await asyncio.gather(*(market.candles(ctx, ref, i, limit) for i in chosen))
    analyses = {
        i: smc_engine.analyze_smc(c.value.candles, params)
        for i, c in zip(chosen, fetched, strict=True)
    }
    combined = smc_engine.combine_timeframes(analyses)
    by_interval = dict(zip(chosen, fetched, strict=True))
    frames = tuple(
        SmcTimeframe(f.interval, by_interval[f.interval], analyses[f.interval], f.weight)
        for f in combined.timeframes
    )
    return SmcResult(combined, frames)


__all__ = [
    "MAX_ITEMS",
    "MAX_TIMEFRAMES",
    "IndicatorSet",
    "SmcResult",
    "SmcTimeframe",
    "check_intervals",
    "indicators",
    "newest",
    "smc",
]
