"""Field resolver functions: (Context, domain in) -> Cached domain out.

Binance is the primary venue. OKX answers price, 24 h stats, funding, open interest and
candles when Binance is unavailable (timeouts, 5xx, rate limits, open breaker) or does not
list the symbol; the domain object's ``source`` then says ``okx``. When both fail the error
is the primary's, with the fallback's code beside it. What each dataset is (cache key, TTL,
fetch) is in ``resolvers.datasets``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

from engine.domain import (
    Candles,
    ExchangeInfo,
    FearGreed,
    FundingHistory,
    FundingSnapshot,
    LiquidationHistory,
    Liquidations,
    LongShortRatio,
    OpenInterest,
    OpenInterestHistory,
    OrderBook,
    PremiumIndex,
    PriceQuote,
    RatioKind,
    RecentTrades,
    SocialSentiment,
    TakerVolume,
    Ticker24h,
)
from engine.symbols import SymbolRef
from providers.errors import ProviderError, ProviderUnavailable, SymbolNotServed
from providers.lunarcrush.venue import check_topic
from resolvers import datasets
from resolvers.arguments import check_interval, check_limit, check_stats_period
from resolvers.cache import Cached
from resolvers.context import Context
from resolvers.datasets import Job
from resolvers.errors import FallbackExhausted, InvalidArgument, NotConfigured

T = TypeVar("T")
K = TypeVar("K")
LIQUIDATION_LOOKBACK_MS = 24 * 3_600_000


async def _with_fallback(
    ref: SymbolRef,
    primary: Callable[[str], Awaitable[Cached[T]]],
    fallback: Callable[[str], Awaitable[Cached[T]]],
) -> Cached[T]:
    if ref.venues.binance is None:
        return await fallback(ref.venues.okx)
    try:
        return await primary(ref.venues.binance)
    except ProviderUnavailable as first:  # "no such data" from Binance is an answer, not a failure
        try:
            return await fallback(ref.venues.okx)
        except ValueError as refused:  # the fallback venue cannot serve these arguments
            second = SymbolNotServed(str(refused), provider="okx", endpoint="arguments")
            raise FallbackExhausted(first, second) from first
        except ProviderError as second:
            raise FallbackExhausted(first, second) from first


async def _binance_only(
    ctx: Context, ref: SymbolRef, dataset: str, job: Callable[[str], Job[T]]
) -> Cached[T]:
    """A dataset only Binance serves: NO_DATA when Binance does not list the symbol."""
    if ref.venues.binance is None:
        raise SymbolNotServed(
            f"{dataset} comes from binance, which does not list this symbol",
            provider="binance",
            endpoint=dataset,
        )
    return await ctx.loaders.job(job(ref.venues.binance))


async def price(ctx: Context, ref: SymbolRef) -> Cached[PriceQuote]:
    s = ctx.services

    async def from_okx(inst: str) -> Cached[PriceQuote]:
        t = await ctx.loaders.job(datasets.okx_ticker(s, inst))
        quote = PriceQuote(t.value.symbol, t.value.last_price, t.value.meta)
        return Cached(quote, t.stale, t.fresh_for_s)

    return await _with_fallback(ref, ctx.loaders.price.load, from_okx)


async def ticker_24h(ctx: Context, ref: SymbolRef) -> Cached[Ticker24h]:
    s = ctx.services

    async def from_okx(inst: str) -> Cached[Ticker24h]:
        return await ctx.loaders.job(datasets.okx_ticker(s, inst))

    return await _with_fallback(ref, ctx.loaders.ticker_24h.load, from_okx)


async def premium(ctx: Context, ref: SymbolRef) -> Cached[PremiumIndex]:
    """Mark/index price and funding. Binance only: OKX has no single equivalent."""
    if ref.venues.binance is None:
        raise SymbolNotServed(
            "binance does not list this symbol", provider="binance", endpoint="premium_index"
        )
    result: Cached[PremiumIndex] = await ctx.loaders.premium.load(ref.venues.binance)
    return result


async def funding(ctx: Context, ref: SymbolRef) -> Cached[FundingSnapshot]:
    s = ctx.services

    async def from_binance(symbol: str) -> Cached[FundingSnapshot]:
        p: Cached[PremiumIndex] = await ctx.loaders.premium.load(symbol)
        if p.value.last_funding_rate is None:
            raise SymbolNotServed(
                "binance sends no funding rate for this contract",
                provider="binance",
                endpoint="premium_index",
            )
        snap = FundingSnapshot(
            p.value.symbol, p.value.last_funding_rate, p.value.next_funding_time_ms, p.value.meta
        )
        return Cached(snap, p.stale, p.fresh_for_s)

    async def from_okx(inst: str) -> Cached[FundingSnapshot]:
        return await ctx.loaders.job(datasets.okx_funding(s, inst))

    return await _with_fallback(ref, from_binance, from_okx)


async def funding_history(ctx: Context, ref: SymbolRef, limit: int) -> Cached[FundingHistory]:
    check_limit("limit", limit, 1, 1000)
    s = ctx.services
    return await _binance_only(
        ctx, ref, "funding_history", lambda sym: datasets.binance_funding_history(s, sym, limit)
    )


async def open_interest(ctx: Context, ref: SymbolRef) -> Cached[OpenInterest]:
    s = ctx.services

    async def from_binance(symbol: str) -> Cached[OpenInterest]:
        return await ctx.loaders.job(datasets.binance_open_interest(s, symbol))

    async def from_okx(inst: str) -> Cached[OpenInterest]:
        return await ctx.loaders.job(datasets.okx_open_interest(s, inst))

    return await _with_fallback(ref, from_binance, from_okx)


async def open_interest_history(
    ctx: Context, ref: SymbolRef, period: str, limit: int
) -> Cached[OpenInterestHistory]:
    check_stats_period(period)
    check_limit("limit", limit, 1, 500)
    s = ctx.services
    return await _binance_only(
        ctx, ref, "open_interest_history",
        lambda sym: datasets.binance_open_interest_history(s, sym, period, limit),
    )  # fmt: skip


async def long_short_ratio(
    ctx: Context, ref: SymbolRef, kind: RatioKind, period: str, limit: int
) -> Cached[LongShortRatio]:
    check_stats_period(period)
    check_limit("limit", limit, 1, 500)
    s = ctx.services
    return await _binance_only(
        ctx, ref, "ratios", lambda sym: datasets.binance_ratios(s, sym, kind, period, limit)
    )


async def taker_volume(
    ctx: Context, ref: SymbolRef, period: str, limit: int
) -> Cached[TakerVolume]:
    check_stats_period(period)
    check_limit("limit", limit, 1, 500)
    s = ctx.services
    return await _binance_only(
        ctx, ref, "taker_volume", lambda sym: datasets.binance_taker_volume(s, sym, period, limit)
    )


# Candles are fetched in a few fixed sizes and cut to the ``limit`` asked: every consumer of
# one symbol and interval (the candles field, indicators, SMC, scalping layers, the signal)
# whose limit falls in the same size shares one klines call per query and one cache entry.
# Binance weighs klines by rows: 1-99 weigh 1, 100-499 weigh 2, 500-1000 weigh 5, more 10.
# The smallest size is 100, not 99, because the default `candles` limit and the signal ask
# for 100 rows: a 99-row size would send them to the 499-row fetch.
CANDLE_FETCH_SIZES = (100, 499, 1000, 1500)


def candle_fetch_size(limit: int) -> int:
    return next((size for size in CANDLE_FETCH_SIZES if size >= limit), limit)


async def candles(ctx: Context, ref: SymbolRef, interval: str, limit: int) -> Cached[Candles]:
    check_interval(interval)
    check_limit("limit", limit, 1, ctx.services.limits.max_candles)
    s, size = ctx.services, candle_fetch_size(limit)

    async def from_binance(symbol: str) -> Cached[Candles]:
        return await ctx.loaders.job(datasets.binance_klines(s, symbol, interval, size))

    async def from_okx(inst: str) -> Cached[Candles]:
        return await ctx.loaders.job(datasets.okx_candles(s, inst, interval, size))

    fetched = await _with_fallback(ref, from_binance, from_okx)
    if len(fetched.value.candles) <= limit:
        return fetched
    cut = replace(fetched.value, candles=fetched.value.candles[-limit:])
    return Cached(cut, fetched.stale, fetched.fresh_for_s)


_DEPTHS = (5, 10, 20, 50, 100, 500, 1000)


async def orderbook(ctx: Context, ref: SymbolRef, depth: int) -> Cached[OrderBook]:
    if depth not in _DEPTHS:
        raise InvalidArgument("BAD_LIMIT", f"depth must be one of {', '.join(map(str, _DEPTHS))}")
    s = ctx.services
    return await _binance_only(
        ctx, ref, "orderbook", lambda sym: datasets.binance_orderbook(s, sym, depth)
    )


async def recent_trades(ctx: Context, ref: SymbolRef, limit: int) -> Cached[RecentTrades]:
    check_limit("limit", limit, 1, 1000)
    s = ctx.services
    return await _binance_only(
        ctx, ref, "trades", lambda sym: datasets.binance_trades(s, sym, limit)
    )


async def okx_listing(ctx: Context) -> Cached[ExchangeInfo]:
    """OKX's instrument list (cached an hour)."""
    return await ctx.loaders.job(datasets.okx_instruments(ctx.services))


async def okx_liquidations(ctx: Context, ref: SymbolRef) -> Cached[Liquidations]:
    """OKX's recent filled liquidation orders of the symbol's swap family (public, no key),
    back 24 h or as far as ``datasets.OKX_LIQUIDATION_PAGES`` pages reach.

    Contract counts are turned into base units with the swap's contract size from OKX's
    instrument list (cached an hour); a swap OKX does not list, or lists without a fixed
    base-unit size, has no liquidation data here.
    """
    listing = await okx_listing(ctx)
    inst_id = ref.venues.okx
    contract = next((c for c in listing.value.contracts if c.venue_symbol == inst_id), None)
    if contract is None or contract.contract_size is None:
        raise SymbolNotServed(
            "okx lists no linear swap for this symbol", provider="okx", endpoint="liquidations"
        )
    family = f"{contract.base}-{contract.quote}"
    since_ms = int(time.time() * 1000) - LIQUIDATION_LOOKBACK_MS
    return await ctx.loaders.job(
        datasets.okx_liquidations(ctx.services, family, contract.contract_size, since_ms)
    )


def keyed(client: K | None, setting: str) -> K:
    """A keyed source's client, or NOT_CONFIGURED naming the setting it needs."""
    if client is None:
        raise NotConfigured(f"this source needs {setting}")
    return client


async def coinglass_liquidations(ctx: Context, ref: SymbolRef) -> Cached[LiquidationHistory]:
    """Coinglass v4 hourly liquidation history on Binance for the last 24 h (keyed)."""
    s = ctx.services
    client = keyed(s.coinglass, "PERPGRAPH_COINGLASS_API_KEY")
    return await _binance_only(
        ctx, ref, "liquidation_history",
        lambda sym: datasets.coinglass_liquidations(s, client, sym),
    )  # fmt: skip


async def coinglass_ratio(ctx: Context, ref: SymbolRef, kind: RatioKind) -> Cached[LongShortRatio]:
    """Coinglass v4 long/short ratio history on Binance, 1 h x 30 (keyed)."""
    s = ctx.services
    client = keyed(s.coinglass, "PERPGRAPH_COINGLASS_API_KEY")
    return await _binance_only(
        ctx, ref, "coinglass_ratio", lambda sym: datasets.coinglass_ratio(s, client, sym, kind)
    )


async def social_sentiment(ctx: Context, ref: SymbolRef) -> Cached[SocialSentiment]:
    """LunarCrush v4 sentiment of the coin's topic (its ticker, lower case; keyed)."""
    s = ctx.services
    client = keyed(s.lunarcrush, "PERPGRAPH_LUNARCRUSH_API_KEY")
    topic = ref.ticker.lower()
    try:
        check_topic(topic)
    except ValueError:  # e.g. a non-Latin ticker: LunarCrush topics cannot name it
        raise SymbolNotServed(
            "lunarcrush has no topic for this ticker", provider="lunarcrush", endpoint="topic"
        ) from None
    return await ctx.loaders.job(datasets.lunarcrush_topic(s, client, topic))


async def fear_greed(ctx: Context, limit: int) -> Cached[FearGreed]:
    check_limit("limit", limit, 1, 365)
    return await ctx.loaders.job(datasets.fear_greed(ctx.services, limit))


__all__ = [
    "candles",
    "coinglass_liquidations",
    "coinglass_ratio",
    "fear_greed",
    "funding",
    "funding_history",
    "keyed",
    "long_short_ratio",
    "okx_liquidations",
    "okx_listing",
    "open_interest",
    "open_interest_history",
    "orderbook",
    "premium",
    "price",
    "recent_trades",
    "social_sentiment",
    "taker_volume",
    "ticker_24h",
]
