"""The schema: queries over symbols, Fear & Greed and the cache's own statistics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.types import ExecutionContext, Info

from engine.signal import CoinSignal, summarize
from engine.symbols import UnknownSymbol
from graph import types_discovery as discovery
from graph import types_history
from graph.errors import describe, log_errors
from graph.types_liquidation import (
    LiquidatedSide,
    LiquidationStatsType,
    LiquidationType,
    StatsWindow,
)
from graph.types_market import FearGreedType
from graph.types_scalping import ScalpingSnapshotType, scalping_snapshot
from graph.types_signal import FailedCoinType, MarketSummaryType, SignalMode, SignalType
from graph.types_symbol import SymbolType
from graph.types_verdict import VerdictType
from resolvers import liquidations, market, signals, symbols, verdicts
from resolvers.context import Context
from resolvers.errors import InvalidArgument
from resolvers.hub import LiquidationFilter
from resolvers.signals import Computed

Ctx = Info[Context, None]


@strawberry.type
class DatasetCacheStats:
    dataset: str
    hits: int
    misses: int
    stale: int = strawberry.field(description="Expired values served because upstream failed.")
    hit_ratio: float


@strawberry.type
class CacheStats:
    datasets: list[DatasetCacheStats]
    hits: int
    misses: int
    hit_ratio: float
    grade: str | None = strawberry.field(description="A+ to F from the hit ratio; null before use.")


def grade(ratio: float, lookups: int) -> str | None:
    if lookups == 0:
        return None
    for floor, letter in ((0.95, "A+"), (0.9, "A"), (0.8, "B"), (0.7, "C"), (0.5, "D")):
        if ratio >= floor:
            return letter
    return "F"


@strawberry.type
class Query:
    @strawberry.field(
        description="One futures market. Accepts btc, BTCUSDT, btc-usdt-swap, kPEPE..."
    )
    async def symbol(self, info: Ctx, ticker: str) -> SymbolType | None:
        return SymbolType(ref=await symbols.resolve_symbol(info.context, ticker))

    @strawberry.field(
        description="Several markets; an unknown ticker is a null entry with an error."
    )
    async def symbols(self, info: Ctx, tickers: list[str]) -> list[SymbolType | None]:
        _check_count(info, tickers)
        out: list[Any] = []
        for ticker in tickers:
            try:
                out.append(SymbolType(ref=await symbols.resolve_symbol(info.context, ticker)))
            except UnknownSymbol as err:
                out.append(err)  # graphql-core nulls this entry and reports the error at it
        return out

    @strawberry.field(
        description="Whether to act on a symbol's signal, how big, and where the stop and "
        "targets go: the AI judge's verdict, or the documented rules' when the AI is not "
        "configured or fails (the verdict says which and why)."
    )
    async def verdict(
        self,
        info: Ctx,
        ticker: str,
        mode: SignalMode = SignalMode.AGGRESSIVE,
        account_risk_pct: float | None = None,
    ) -> VerdictType | None:
        ref = await symbols.resolve_symbol(info.context, ticker)
        judged = await verdicts.verdict(info.context, ref, mode.to_engine(), account_risk_pct)
        return VerdictType.from_judged(judged)

    @strawberry.field(description="The signal of one symbol.")
    async def signal(
        self, info: Ctx, ticker: str, mode: SignalMode = SignalMode.AGGRESSIVE
    ) -> SignalType | None:
        ref = await symbols.resolve_symbol(info.context, ticker)
        computed = await signals.signal(info.context, ref, mode.to_engine())
        return SignalType.from_computed(computed)

    @strawberry.field(
        description="Signals of several symbols, computed concurrently; a failed one is a "
        "null entry with its error."
    )
    async def signals(
        self, info: Ctx, tickers: list[str], mode: SignalMode = SignalMode.AGGRESSIVE
    ) -> list[SignalType | None]:
        _check_count(info, tickers)
        results = await asyncio.gather(*(_signal_or_error(info.context, t, mode) for t in tickers))
        # an Exception entry is nulled by graphql-core and reported at that index
        out: list[Any] = [
            r if isinstance(r, Exception) else SignalType.from_computed(r) for r in results
        ]
        return out

    @strawberry.field(
        description="Real-time layers for scalping one symbol; each layer fetches only its own "
        "data, and summary reads only the layers selected beside it."
    )
    async def scalping(
        self, info: Ctx, ticker: str, interval: str = "1m"
    ) -> ScalpingSnapshotType | None:
        ref = await symbols.resolve_symbol(info.context, ticker)
        return scalping_snapshot(info, ref, interval)

    @strawberry.field(
        description="Sentiment over several symbols' signals, explained in English and Indonesian."
    )
    async def market_summary(
        self,
        info: Ctx,
        tickers: list[str] | None = None,
        mode: SignalMode = SignalMode.AGGRESSIVE,
    ) -> MarketSummaryType:
        info.context.meta.cacheable = False  # its text is built from many sources' states
        chosen = tickers if tickers is not None else list(SUMMARY_DEFAULT)
        _check_count(info, chosen)
        results = await asyncio.gather(*(_signal_or_error(info.context, t, mode) for t in chosen))
        coins: dict[tuple[str, str], CoinSignal] = {}  # one row per market, however spelled
        failed: list[FailedCoinType] = []
        for ticker, r in zip(chosen, results, strict=True):
            if isinstance(r, Exception):
                message, code = describe(r)
                failed.append(FailedCoinType(ticker=ticker, code=code, message=message))
                continue
            coins.setdefault(
                (r.ref.ticker, r.ref.quote),
                CoinSignal(
                    ticker=r.ref.ticker,
                    signal=r.result,
                    funding_rate=r.inputs.funding_rate,
                    liquidations=r.inputs.liquidations,
                    price=r.price,
                ),
            )
        return MarketSummaryType.from_engine(summarize(list(coins.values())), mode, failed)

    @strawberry.field(
        description="Rolling liquidation statistics from the ingested streams (1h/4h/12h/24h)."
    )
    async def liquidation_stats(
        self, info: Ctx, ticker: str, window: StatsWindow = StatsWindow.H24
    ) -> LiquidationStatsType | None:
        info.context.meta.cacheable = False  # the stream moves every second
        ref = await symbols.resolve_symbol(info.context, ticker)
        stats, source = await liquidations.stats(info.context, ref, window.value)
        return LiquidationStatsType.from_window(ref.ticker, window, stats, source)

    futures_universe = strawberry.field(
        resolver=discovery.futures_universe, description=discovery.UNIVERSE_DOC
    )
    new_listings = strawberry.field(
        resolver=discovery.new_listings,
        description="Binance perpetuals listed within withinDays (1-365) before asOf, newest first.",
    )
    discover_coins = strawberry.field(
        resolver=discovery.discover_coins,
        description="One CoinGecko page of coins by market cap (250, largest first), screened "
        "by market cap and volume, with their Binance perpetual when listed. Small caps are "
        "on later pages: `smallestMarketCapScanned` says how far this page reached.",
    )
    trending = strawberry.field(
        resolver=discovery.trending, description="CoinGecko's most searched coins (24 h)."
    )
    smart_money_scan = strawberry.field(
        resolver=discovery.smart_money_scan,
        description="Perpetuals ranked by an accumulation / distribution score from top "
        "traders' positions, open interest, taker flow and book walls; missing factors are "
        "reported, never filled in.",
    )

    signal_history = strawberry.field(
        resolver=types_history.signal_history,
        description="Recorded LONG and SHORT signals with their verdicts and outcomes, newest "
        "first, `first` (1-500) a page; pass pageInfo.endCursor as `after` for the next page.",
    )
    verdict_accuracy = strawberry.field(
        resolver=types_history.verdict_accuracy,
        description="Win rate and average return per verdict type and per mode, at 1 h, 4 h "
        "and 24 h, of the verdicts recorded since `since` (of one ticker when given).",
    )
    signal_performance = strawberry.field(
        resolver=types_history.signal_performance,
        description="Per symbol and direction: signals recorded and how they did per horizon.",
    )

    @strawberry.field(description="alternative.me Fear & Greed index, newest first.")
    async def fear_greed(self, info: Ctx, limit: int = 1) -> FearGreedType | None:
        return FearGreedType.from_cached(await market.fear_greed(info.context, limit))

    @strawberry.field(description="Shared-cache hits and misses of this process.")
    def cache_stats(self, info: Ctx) -> CacheStats:
        info.context.meta.cacheable = False
        g = info.context.services.cache.grade()
        rows = [
            DatasetCacheStats(dataset=n, hits=h, misses=m, stale=s, hit_ratio=round(r, 4))
            for n, h, m, s, r in g["datasets"]
        ]
        lookups = g["hits"] + g["misses"]
        return CacheStats(
            datasets=rows,
            hits=g["hits"],
            misses=g["misses"],
            hit_ratio=round(g["ratio"], 4),
            grade=grade(g["ratio"], lookups),
        )


SUMMARY_DEFAULT = ("BTC", "ETH", "SOL", "XRP", "BNB")


def _check_count(info: Ctx, tickers: list[str]) -> None:
    limit = info.context.services.limits.max_symbols
    if not 1 <= len(tickers) <= limit:
        raise InvalidArgument("BAD_LIMIT", f"tickers takes 1 to {limit} entries")


async def _signal_or_error(ctx: Context, ticker: str, mode: SignalMode) -> Computed | Exception:
    """The signal, or the expected error that stopped it (reported at its list entry)."""
    try:
        ref = await symbols.resolve_symbol(ctx, ticker)
        return await signals.signal(ctx, ref, mode.to_engine())
    except Exception as err:  # expected ones carry codes; others are masked where shown
        return err


@strawberry.type
class Mutation:
    record_signal = strawberry.mutation(
        resolver=types_history.record_signal,
        description="Record a symbol's LONG or SHORT signal with its verdict (a NEUTRAL one is "
        "refused with NEUTRAL_SIGNAL). Durable on return, PostgreSQL up or not. One record "
        "per idempotencyKey, or without one per ticker, mode and direction in a clock "
        "minute. Sends one Telegram alert per record when set up.",
    )


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Live liquidations as the venues report them, filtered before they are "
        "queued. Binance pushes at most one liquidation per symbol per second, so its stream "
        "is a sample, not the full tape."
    )
    async def liquidations(
        self,
        info: Ctx,
        tickers: list[str] | None = None,
        side: LiquidatedSide | None = None,
        min_notional_usd: float = 0.0,
    ) -> AsyncGenerator[LiquidationType, None]:
        hub = liquidations.running_hub(info.context)
        names: frozenset[str] = frozenset()
        if tickers:
            _check_count(info, tickers)
            refs = [await symbols.resolve_symbol(info.context, t) for t in tickers]
            names = frozenset().union(*(liquidations.venue_symbols(r) for r in refs))
        wants = LiquidationFilter(
            symbols=names,
            side=side.to_domain() if side else None,
            min_notional_usd=min_notional_usd,
        )
        async with hub.subscribe(wants) as sub:
            async for event in sub:
                yield LiquidationType.from_domain(event)

    @strawberry.subscription(
        description="A symbol's signal whenever its direction or score band changes, "
        "computed on an interval once per symbol and mode however many subscribe. The "
        "current signal comes first."
    )
    async def signal_updates(
        self, info: Ctx, tickers: list[str], mode: SignalMode = SignalMode.AGGRESSIVE
    ) -> AsyncGenerator[SignalType, None]:
        watcher = info.context.services.watcher
        assert watcher is not None  # the lifespan always builds one
        _check_count(info, tickers)
        refs = [await symbols.resolve_symbol(info.context, t) for t in tickers]
        async with watcher.subscribe(refs, mode.to_engine()) as inbox:
            while True:
                c = await inbox.get()
                yield SignalType.from_computed(c)


class PerpSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def build_schema(
    *,
    max_depth: int = 10,
    max_aliases: int = 50,
    max_tokens: int = 5000,
    parser_cache_size: int = 1024,
    validation_cache_size: int = 1024,
) -> strawberry.Schema:
    return PerpSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[
            # factories: Strawberry builds fresh extensions per request; the parser and
            # validation LRU caches themselves are shared module-wide, keyed by size
            lambda: MaxTokensLimiter(max_token_count=max_tokens),
            lambda: ParserCache(maxsize=parser_cache_size),
            lambda: ValidationCache(maxsize=validation_cache_size),
            lambda: QueryDepthLimiter(max_depth=max_depth),
            lambda: MaxAliasesLimiter(max_alias_count=max_aliases),
        ],
    )


__all__ = ["build_schema", "grade"]
