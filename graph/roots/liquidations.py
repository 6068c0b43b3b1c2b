"""``liquidationStats`` and the ``liquidations`` subscription, from the ingested streams."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

import strawberry

from engine.domain import PositionSide
from graph.types import Ctx
from graph.types.liquidation import (
    LiquidationBatchType,
    LiquidationStatsType,
    LiquidationType,
    StatsWindow,
)
from resolvers import liquidations, symbols
from resolvers.arguments import check_limit, check_ticker_count
from resolvers.live.hub import LiquidationFilter


@strawberry.type
class LiquidationQuery:
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


@strawberry.type
class LiquidationSubscription:
    @strawberry.subscription(
        description="Live liquidations as the venues report them, filtered before they are "
        "queued. Binance pushes at most one liquidation per symbol per second, so its stream "
        "is a sample, not the full tape."
    )
    async def liquidations(
        self,
        info: Ctx,
        tickers: list[str] | None = None,
        side: PositionSide | None = None,
        min_notional_usd: float = 0.0,
    ) -> AsyncGenerator[LiquidationType, None]:
        hub = liquidations.running_hub(info.context)
        wants = await _filter(info, tickers, side, min_notional_usd)
        async with hub.subscribe(wants) as sub:
            async for event in sub:
                yield LiquidationType.from_domain(event)

    @strawberry.subscription(
        description="Live liquidations in batches: the events of each interval (100 ms to "
        "10 s) in one message, with the interval's long and short totals; an interval "
        "without events sends nothing. One message per interval instead of one per event: "
        "what a dashboard wants in a liquidation cascade."
    )
    async def liquidation_feed(
        self,
        info: Ctx,
        interval_ms: int = 250,
        tickers: list[str] | None = None,
        side: PositionSide | None = None,
        min_notional_usd: float = 0.0,
    ) -> AsyncGenerator[LiquidationBatchType, None]:
        check_limit("intervalMs", interval_ms, MIN_INTERVAL_MS, MAX_INTERVAL_MS, "BAD_ARGUMENT")
        hub = liquidations.running_hub(info.context)
        wants = await _filter(info, tickers, side, min_notional_usd)
        async with hub.subscribe(wants) as sub:
            while True:
                await sub.wait()  # an interval opens with its first event
                await asyncio.sleep(interval_ms / 1000)
                events, dropped = sub.drain()
                now_ms = round(time.time() * 1000)
                yield LiquidationBatchType.from_events(events, dropped, now_ms)


MIN_INTERVAL_MS, MAX_INTERVAL_MS = 100, 10_000


async def _filter(
    info: Ctx, tickers: list[str] | None, side: PositionSide | None, min_notional_usd: float
) -> LiquidationFilter:
    names: frozenset[str] = frozenset()
    if tickers:
        check_ticker_count(tickers, info.context.services.limits.max_symbols)
        refs = [await symbols.resolve_symbol(info.context, t) for t in tickers]
        names = frozenset().union(*(liquidations.venue_symbols(r) for r in refs))
    return LiquidationFilter(symbols=names, side=side, min_notional_usd=min_notional_usd)


__all__ = ["LiquidationQuery", "LiquidationSubscription"]
