"""The scalping snapshot's layers: each fetches only its own data, through the request's
loaders, so a layer not asked costs nothing and two layers on one dataset share its call.

Candle layers (price, rsi, volume delta, trend) read the newest ``WINDOW_CANDLES`` candles
of the snapshot's interval through ``market.candles``: one klines call, shared with every
other consumer of that symbol and interval in the same fetch size (``candles(limit <= 100)``,
the indicators). A layer that needs more candles (``rsi(period: 200)``) asks for more and
lands in a larger fetch size. Binance is the primary venue; candles, funding and prices
fall back to OKX as everywhere else (``resolvers.market``).

Data gaps are coded errors, never made-up values: too few candles, or candles without taker
volume, are ``NO_DATA`` (``SymbolNotServed``) naming the provider that served them; a keyed
source without its key, or whale positions without watched accounts, are
``NOT_CONFIGURED``.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from engine import indicators
from engine import scalping_inputs as readings
from engine.domain import (
    Candles,
    FearGreed,
    FundingSnapshot,
    LongShortRatio,
    OrderBook,
    PerpAccount,
    PerpPosition,
    RatioKind,
    RecentTrades,
    SocialSentiment,
    Sourced,
    Trade,
)
from engine.indicators import MAX_PERIOD, SCALP_EMA_PERIODS, Series, Trend
from engine.signal.model import LiquidationWindow
from engine.symbols import SymbolRef
from providers.errors import SymbolNotServed
from providers.hyperliquid import venue as hyperliquid_venue
from resolvers import datasets, market
from resolvers import liquidations as stream
from resolvers.arguments import check_indicator_period, check_limit
from resolvers.cache import Cached
from resolvers.context import Context
from resolvers.errors import InvalidArgument, NotConfigured

log = logging.getLogger("perpgraph.scalping")
T = TypeVar("T")

WINDOW_CANDLES = 100  # candles the candle layers read: one klines call in the 100-row size
RSI_PERIOD = 14
VOLUME_DELTA_CANDLES = 20
BOOK_DEPTH = 100  # 100 levels a side (Binance weight 5): enough levels for walls to stand out
RATIO_PERIOD = "5m"  # the finest period Binance keeps its long/short statistics for
RATIO_POINTS = 30
TRADES_SCANNED = 1000  # newest aggTrades read for large trades (the most one call gives)
LARGE_TRADES = 10
MAX_LARGE_TRADES = 100


@dataclass(frozen=True, slots=True)
class Reading(Generic[T]):
    """A layer's value with the provenance of the data it was computed from."""

    value: T
    source: str
    as_of_ms: int
    stale: bool


def _reading(cached: Cached[Any], value: T) -> Reading[T]:
    meta: Sourced = cached.value.meta
    return Reading(value, meta.source, meta.as_of_ms, cached.stale)


def _no_data(cached: Cached[Any], endpoint: str, message: str) -> SymbolNotServed:
    meta: Sourced = cached.value.meta
    return SymbolNotServed(message, provider=meta.provider, endpoint=endpoint)


# --- candle layers -------------------------------------------------------------------------


async def window(ctx: Context, ref: SymbolRef, interval: str, need: int = 0) -> Cached[Candles]:
    """The newest ``max(WINDOW_CANDLES, need)`` candles of ``interval`` (fewer when the venue
    has fewer), oldest first."""
    return await market.candles(ctx, ref, interval, max(WINDOW_CANDLES, need))


async def price(ctx: Context, ref: SymbolRef, interval: str) -> Reading[readings.PriceSnapshot]:
    c = await window(ctx, ref, interval)
    snap = readings.price_snapshot(c.value.candles)
    if snap is None:
        raise _no_data(c, "klines", f"no {interval} candles for this symbol")
    return _reading(c, snap)


async def rsi(ctx: Context, ref: SymbolRef, interval: str, period: int) -> Reading[float]:
    """RSI (TA-Lib, Wilder) of the window's closes at the newest candle (which may be open)."""
    check_indicator_period("period", period, 2, MAX_PERIOD)
    c = await window(ctx, ref, interval, period + 1)
    value = indicators.rsi(Series.from_candles(c.value.candles), period)
    if value is None:
        n = len(c.value.candles)
        raise _no_data(c, "klines", f"{n} {interval} candles; RSI {period} needs {period + 1}")
    return _reading(c, value)


async def volume_delta(
    ctx: Context, ref: SymbolRef, interval: str, last: int
) -> Reading[readings.TakerFlow]:
    """Taker buy minus taker sell volume over the newest ``last`` candles."""
    check_limit("last", last, 1, MAX_PERIOD)
    c = await window(ctx, ref, interval, last)
    flow = readings.taker_flow(c.value.candles, last)
    if flow is None:
        n = len(c.value.candles)
        if n < last:
            raise _no_data(c, "klines", f"{n} {interval} candles; the delta needs {last}")
        raise _no_data(c, "klines", f"the {interval} candles served carry no taker buy volume")
    return _reading(c, flow)


@dataclass(frozen=True, slots=True)
class TrendReading:
    trend: Trend
    emas: tuple[tuple[int, float | None], ...]  # (period, EMA at the newest candle)
    candles: int


async def trend(ctx: Context, ref: SymbolRef, interval: str) -> Reading[TrendReading]:
    """EMA 9/21/50 alignment and the higher-highs / lower-lows structure of the window."""
    c = await window(ctx, ref, interval)
    series = Series.from_candles(c.value.candles)
    t = indicators.trend(series)
    if t.ema_alignment is None and t.structure is None:
        n = len(c.value.candles)
        raise _no_data(c, "klines", f"{n} {interval} candles; the trend needs at least 30")
    emas = tuple((p, indicators.ema(series, p)) for p in SCALP_EMA_PERIODS)
    return _reading(c, TrendReading(t, emas, len(series)))


# --- book and trades -------------------------------------------------------------------------


async def orderbook(ctx: Context, ref: SymbolRef, depth: int) -> Cached[OrderBook]:
    return await market.orderbook(ctx, ref, depth)


@dataclass(frozen=True, slots=True)
class LargeTrades:
    scanned: int  # trades read
    trades: tuple[Trade, ...]  # largest notional first


def check_large_trades(first: int, min_notional: float) -> None:
    check_limit("first", first, 1, MAX_LARGE_TRADES)
    if not (math.isfinite(min_notional) and min_notional >= 0):
        raise InvalidArgument("BAD_LIMIT", "minNotional must be a finite number >= 0")


async def large_trades(
    ctx: Context, ref: SymbolRef, first: int, min_notional: float
) -> Reading[LargeTrades]:
    """The largest of the newest ``TRADES_SCANNED`` Binance aggTrades by notional."""
    check_large_trades(first, min_notional)
    c = await market.recent_trades(ctx, ref, TRADES_SCANNED)
    trades = c.value.trades
    return _reading(
        c, LargeTrades(len(trades), readings.largest_trades(trades, first, min_notional))
    )


# --- positioning -------------------------------------------------------------------------


async def funding(ctx: Context, ref: SymbolRef) -> Cached[FundingSnapshot]:
    return await market.funding(ctx, ref)


async def ratio(
    ctx: Context, ref: SymbolRef, kind: RatioKind, period: str
) -> Cached[LongShortRatio]:
    """Binance's long/short statistics of ``kind`` (``RATIO_POINTS`` points of ``period``)."""
    c = await market.long_short_ratio(ctx, ref, kind, period, RATIO_POINTS)
    if not c.value.points:
        raise _no_data(c, kind.value, "no ratio points returned")
    return c


async def liquidations(
    ctx: Context, ref: SymbolRef, window_ms: int, now_ms: int
) -> Reading[LiquidationWindow]:
    """Liquidations over the last ``window_ms``, from the same sources as the signal's
    (``liquidations.liquidation_window``)."""
    r = await stream.liquidation_window(ctx, ref, window_ms, now_ms)
    if r.streamed:
        ctx.meta.cacheable = False  # the stream moves every second
    return Reading(r.window, r.source, r.as_of_ms, r.stale)


# --- Hyperliquid whales ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WhalePosition:
    address: str
    position: PerpPosition


@dataclass(frozen=True, slots=True)
class WhalePositions:
    accounts: int  # watched accounts read
    positions: tuple[WhalePosition, ...]  # in this coin, largest position value first


def _addresses(ctx: Context) -> tuple[str, ...]:
    configured = ctx.services.whale_addresses
    if not configured:
        raise NotConfigured(
            "no whale accounts are watched: set PERPGRAPH_HYPERLIQUID_WHALE_ADDRESSES "
            "(comma-separated public Hyperliquid addresses)"
        )
    unique: dict[str, str] = {}
    for address in configured:
        try:
            hyperliquid_venue.check_user(address)
        except ValueError:
            raise NotConfigured(
                "PERPGRAPH_HYPERLIQUID_WHALE_ADDRESSES holds an address that is not 0x + 40 hex"
            ) from None
        unique.setdefault(address.lower(), address)
    return tuple(unique.values())


async def whale_positions(ctx: Context, ref: SymbolRef) -> Reading[WhalePositions]:
    """Open positions in this coin of the watched Hyperliquid accounts, largest first.

    One ``clearinghouseState`` call per account, all at once, each cached for the whales
    TTL under ``hyperliquid:state:<address>``. Any account failing fails the layer: a list
    without it could put the wrong whale first."""
    s, addresses = ctx.services, _addresses(ctx)
    accounts: list[Cached[PerpAccount]] = list(
        await asyncio.gather(
            *(ctx.loaders.job(datasets.hyperliquid_account(s, a)) for a in addresses)
        )
    )
    coin = ref.venues.hyperliquid
    held = [
        WhalePosition(a.value.user, p)
        for a in accounts
        for p in a.value.positions
        if p.coin == coin and p.size_base != 0
    ]
    held.sort(key=lambda w: abs(w.position.position_value_usd), reverse=True)
    oldest = min(accounts, key=lambda a: a.value.meta.as_of_ms)
    r = _reading(oldest, WhalePositions(len(accounts), tuple(held)))
    return replace(r, stale=any(a.stale for a in accounts))


async def whale_trades(ctx: Context, ref: SymbolRef) -> Cached[RecentTrades]:
    """Hyperliquid's latest prints of this coin (about ten), cached for the whales TTL."""
    return await ctx.loaders.job(datasets.hyperliquid_trades(ctx.services, ref.venues.hyperliquid))


# --- sentiment -------------------------------------------------------------------------------


async def fear_greed(ctx: Context) -> Cached[FearGreed]:
    c = await market.fear_greed(ctx, 1)
    if not c.value.points:
        raise _no_data(c, "/fng/", "no index value")
    return c


async def social(ctx: Context, ref: SymbolRef) -> Cached[SocialSentiment]:
    if ctx.services.lunarcrush is None:
        raise NotConfigured("LunarCrush needs PERPGRAPH_LUNARCRUSH_API_KEY")
    return await market.social_sentiment(ctx, ref)


__all__ = [
    "BOOK_DEPTH", "LARGE_TRADES", "MAX_LARGE_TRADES", "RATIO_PERIOD", "RSI_PERIOD",
    "VOLUME_DELTA_CANDLES", "WINDOW_CANDLES", "LargeTrades", "Reading",
    "TrendReading", "WhalePosition", "WhalePositions", "check_large_trades", "fear_greed",
    "funding", "large_trades", "liquidations", "orderbook", "price", "ratio", "rsi", "social",
    "trend", "volume_delta", "whale_positions", "whale_trades", "window",
]  # fmt: skip
