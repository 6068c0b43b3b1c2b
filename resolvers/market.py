"""Field resolver functions: (Context, domain in) -> Cached domain out.

Binance is the primary venue. OKX answers price, 24 h stats, funding, open interest and
candles when Binance is unavailable (timeouts, 5xx, rate limits, open breaker) or does not
list the symbol; the domain object's ``source`` then says ``okx``. When both fail the error
is the primary's, with the fallback's code beside it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

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
from engine.intervals import INTERVAL_MS, STAT_PERIODS
from engine.symbols import SymbolRef
from providers.errors import ProviderError, ProviderUnavailable, SymbolNotServed
from providers.lunarcrush.venue import check_topic
from resolvers.cache import Cached
from resolvers.context import Context
from resolvers.errors import FallbackExhausted, InvalidArgument, check_limit
from resolvers.loaders import Job
from resolvers.symbols import okx_listing

T = TypeVar("T")
K = TypeVar("K")
LIQUIDATION_LOOKBACK_MS = 24 * 3_600_000
LIQUIDATION_MAX_PAGES = 3  # OKX serves 100 orders a page; 3 pages = 3 calls at most


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


def _okx_job(dataset: str, inst_id: str, ttl: float, fetch: Callable[[], Awaitable[Any]]) -> Job:
    return Job(dataset, f"okx:{dataset}:{inst_id}", ttl, fetch)


async def price(ctx: Context, ref: SymbolRef) -> Cached[PriceQuote]:
    s = ctx.services

    async def from_okx(inst: str) -> Cached[PriceQuote]:
        t: Cached[Ticker24h] = await ctx.loaders.job(
            _okx_job("ticker_24h", inst, s.ttls.ticker_24h, lambda: s.okx.ticker(inst))
        )
        quote = PriceQuote(t.value.symbol, t.value.last_price, t.value.meta)
        return Cached(quote, t.stale, t.fresh_for_s)

    return await _with_fallback(ref, ctx.loaders.price.load, from_okx)


async def ticker_24h(ctx: Context, ref: SymbolRef) -> Cached[Ticker24h]:
    s = ctx.services

    async def from_okx(inst: str) -> Cached[Ticker24h]:
        return await ctx.loaders.job(
            _okx_job("ticker_24h", inst, s.ttls.ticker_24h, lambda: s.okx.ticker(inst))
        )

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
        return await ctx.loaders.job(
            _okx_job("funding", inst, s.ttls.funding, lambda: s.okx.funding_rate(inst))
        )

    return await _with_fallback(ref, from_binance, from_okx)


async def funding_history(ctx: Context, ref: SymbolRef, limit: int) -> Cached[FundingHistory]:
    check_limit("limit", limit, 1, 1000)
    b = ctx.services.binance
    return await _from_binance(
        ctx, ref, "funding_history", ctx.services.ttls.funding_history, f"{limit}",
        lambda symbol: b.funding_history(symbol, limit),
    )  # fmt: skip


async def open_interest(ctx: Context, ref: SymbolRef) -> Cached[OpenInterest]:
    s = ctx.services

    async def from_binance(symbol: str) -> Cached[OpenInterest]:
        return await ctx.loaders.job(
            Job(
                "open_interest",
                f"binance:open_interest:{symbol}",
                s.ttls.open_interest,
                lambda: s.binance.open_interest(symbol),
            )
        )

    async def from_okx(inst: str) -> Cached[OpenInterest]:
        return await ctx.loaders.job(
            _okx_job("open_interest", inst, s.ttls.open_interest, lambda: s.okx.open_interest(inst))
        )

    return await _with_fallback(ref, from_binance, from_okx)


def check_period(period: str) -> str:
    if period not in STAT_PERIODS:
        raise InvalidArgument("BAD_PERIOD", f"period must be one of {', '.join(STAT_PERIODS)}")
    return period


def check_interval(interval: str) -> int:
    if interval not in INTERVAL_MS:
        raise InvalidArgument("BAD_INTERVAL", f"interval must be one of {', '.join(INTERVAL_MS)}")
    return INTERVAL_MS[interval]


async def open_interest_history(
    ctx: Context, ref: SymbolRef, period: str, limit: int
) -> Cached[OpenInterestHistory]:
    check_period(period)
    check_limit("limit", limit, 1, 500)
    b = ctx.services.binance
    return await _from_binance(
        ctx, ref, "open_interest_history", ctx.services.ttls.open_interest_history,
        f"{period}:{limit}", lambda symbol: b.open_interest_history(symbol, period, limit),
    )  # fmt: skip


async def long_short_ratio(
    ctx: Context, ref: SymbolRef, kind: RatioKind, period: str, limit: int
) -> Cached[LongShortRatio]:
    check_period(period)
    check_limit("limit", limit, 1, 500)
    b = ctx.services.binance
    return await _from_binance(
        ctx, ref, "ratios", ctx.services.ttls.ratios, f"{kind.value}:{period}:{limit}",
        lambda symbol: b.long_short_ratio(symbol, kind, period, limit),
    )  # fmt: skip


async def taker_volume(
    ctx: Context, ref: SymbolRef, period: str, limit: int
) -> Cached[TakerVolume]:
    check_period(period)
    check_limit("limit", limit, 1, 500)
    b = ctx.services.binance
    return await _from_binance(
        ctx, ref, "taker_volume", ctx.services.ttls.taker_volume, f"{period}:{limit}",
        lambda symbol: b.taker_volume(symbol, period, limit),
    )  # fmt: skip


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
    interval_ms = check_interval(interval)
    check_limit("limit", limit, 1, ctx.services.limits.max_candles)
    fetched = await _candles(ctx, ref, interval, interval_ms, candle_fetch_size(limit))
    if len(fetched.value.candles) <= limit:
        return fetched
    cut = replace(fetched.value, candles=fetched.value.candles[-limit:])
    return Cached(cut, fetched.stale, fetched.fresh_for_s)


async def _candles(
    ctx: Context, ref: SymbolRef, interval: str, interval_ms: int, limit: int
) -> Cached[Candles]:
    s = ctx.services
    ttl = s.ttls.klines(interval_ms)

    async def from_binance(symbol: str) -> Cached[Candles]:
        return await ctx.loaders.job(
            Job(
                "klines",
                f"binance:klines:{symbol}:{interval}:{limit}",
                ttl,
                lambda: s.binance.klines(symbol, interval, limit),
            )
        )

    async def from_okx(inst: str) -> Cached[Candles]:
        okx_limit = min(limit, 300)  # OKX serves at most 300 candles per call
        return await ctx.loaders.job(
            Job(
                "klines",
                f"okx:klines:{inst}:{interval}:{okx_limit}",
                ttl,
                lambda: s.okx.candles(inst, interval, okx_limit),
            )
        )

    return await _with_fallback(ref, from_binance, from_okx)


_DEPTHS = (5, 10, 20, 50, 100, 500, 1000)


async def orderbook(ctx: Context, ref: SymbolRef, depth: int) -> Cached[OrderBook]:
    if depth not in _DEPTHS:
        raise InvalidArgument("BAD_LIMIT", f"depth must be one of {', '.join(map(str, _DEPTHS))}")
    b = ctx.services.binance
    return await _from_binance(
        ctx, ref, "orderbook", ctx.services.ttls.orderbook, f"{depth}",
        lambda symbol: b.depth(symbol, depth),
    )  # fmt: skip


async def recent_trades(ctx: Context, ref: SymbolRef, limit: int) -> Cached[RecentTrades]:
    check_limit("limit", limit, 1, 1000)
    b = ctx.services.binance
    return await _from_binance(
        ctx, ref, "trades", ctx.services.ttls.trades, f"{limit}",
        lambda symbol: b.agg_trades(symbol, limit),
    )  # fmt: skip


async def okx_liquidations(ctx: Context, ref: SymbolRef) -> Cached[Liquidations]:
    """OKX's recent filled liquidation orders of the symbol's swap family (public, no key).

    Contract counts are turned into base units with the swap's contract size from OKX's
    instrument list (cached an hour); a swap OKX does not list, or lists without a fixed
    base-unit size, has no liquidation data here.
    """
    s = ctx.services
    listing: Cached[ExchangeInfo] = await ctx.loaders.job(okx_listing(s))
    inst_id = ref.venues.okx
    contract = next((c for c in listing.value.contracts if c.venue_symbol == inst_id), None)
    if contract is None or contract.contract_size is None:
        raise SymbolNotServed(
            "okx lists no linear swap for this symbol", provider="okx", endpoint="liquidations"
        )
    family, size = f"{contract.base}-{contract.quote}", contract.contract_size

    async def pages() -> Liquidations:
        """Page back (100 orders a page) until the window is covered or the page cap."""
        oldest_wanted = int(time.time() * 1000) - LIQUIDATION_LOOKBACK_MS
        page = await s.okx.liquidation_orders(family, size)
        events, meta = list(page.events), page.meta
        for _ in range(LIQUIDATION_MAX_PAGES - 1):
            if len(page.events) < 100 or events[0].ts_ms <= oldest_wanted:
                return Liquidations(family, tuple(events), meta)
            page = await s.okx.liquidation_orders(family, size, earlier_than_ms=events[0].ts_ms)
            events = [*page.events, *events]
        full = len(page.events) == 100 and events[0].ts_ms > oldest_wanted
        return Liquidations(family, tuple(events), meta, events[0].ts_ms if full else None)

    return await ctx.loaders.job(
        Job("liquidations", f"okx:liquidations:{family}", s.ttls.liquidations, pages)
    )


def _keyed(client: K | None, setting: str) -> K:
    """A keyed source's client; callers ask only when the key is set (signals check)."""
    if client is None:
        raise LookupError(f"{setting} is not set")
    return client


async def coinglass_liquidations(ctx: Context, ref: SymbolRef) -> Cached[LiquidationHistory]:
    """Coinglass v4 hourly liquidation history on Binance for the last 24 h (keyed)."""
    s = ctx.services
    client = _keyed(s.coinglass, "PERPGRAPH_COINGLASS_API_KEY")
    return await _from_binance(
        ctx, ref, "liquidation_history", s.ttls.liquidations, "1h:24",
        lambda symbol: client.liquidation_history("Binance", symbol, "1h", 24),
    )  # fmt: skip


async def coinglass_ratio(ctx: Context, ref: SymbolRef, kind: RatioKind) -> Cached[LongShortRatio]:
    """Coinglass v4 long/short ratio history on Binance, 1 h x 30 (keyed)."""
    s = ctx.services
    client = _keyed(s.coinglass, "PERPGRAPH_COINGLASS_API_KEY")
    return await _from_binance(
        ctx, ref, "coinglass_ratio", s.ttls.ratios, f"{kind.value}:1h:30",
        lambda symbol: client.long_short_ratio(kind, "Binance", symbol, "1h", 30),
    )  # fmt: skip


async def social_sentiment(ctx: Context, ref: SymbolRef) -> Cached[SocialSentiment]:
    """LunarCrush v4 sentiment of the coin's topic (its ticker, lower case; keyed)."""
    s = ctx.services
    client = _keyed(s.lunarcrush, "PERPGRAPH_LUNARCRUSH_API_KEY")
    topic = ref.ticker.lower()
    try:
        check_topic(topic)
    except ValueError:  # e.g. a non-Latin ticker: LunarCrush topics cannot name it
        raise SymbolNotServed(
            "lunarcrush has no topic for this ticker", provider="lunarcrush", endpoint="topic"
        ) from None
    return await ctx.loaders.job(
        Job(
            "social",
            f"lunarcrush:topic:{topic}",
            s.ttls.social,
            lambda: client.topic_sentiment(topic),
        )
    )


async def fear_greed(ctx: Context, limit: int) -> Cached[FearGreed]:
    check_limit("limit", limit, 1, 365)
    s = ctx.services
    return await ctx.loaders.job(
        Job(
            "fear_greed",
            f"alternative.me:fng:{limit}",
            s.ttls.fear_greed,
            lambda: s.feargreed.index(limit),
        )
    )


async def _from_binance(
    ctx: Context,
    ref: SymbolRef,
    dataset: str,
    ttl_s: float,
    params: str,
    fetch: Callable[[str], Awaitable[T]],
) -> Cached[T]:
    """A Binance-only dataset through the request's loader: key ``binance:dataset:symbol:params``."""
    if ref.venues.binance is None:
        raise SymbolNotServed(
            f"{dataset} comes from binance, which does not list this symbol",
            provider="binance",
            endpoint=dataset,
        )
    symbol = ref.venues.binance
    job = Job(dataset, f"binance:{dataset}:{symbol}:{params}", ttl_s, lambda: fetch(symbol))
    result: Cached[T] = await ctx.loaders.job(job)
    return result


__all__ = [
    "candles",
    "check_interval",
    "check_period",
    "coinglass_liquidations",
    "coinglass_ratio",
    "fear_greed",
    "funding",
    "funding_history",
    "long_short_ratio",
    "okx_liquidations",
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
