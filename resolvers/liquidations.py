"""Liquidations: the ingested streams (subscriptions, rolling statistics) and the one
place that picks a liquidation window's source for the signal and the scalping layer."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from engine.domain import LiquidationHistory
from engine.intervals import INTERVAL_MS
from engine.signal import aggregate_liquidations
from engine.signal.model import LiquidationWindow
from engine.symbols import SymbolRef
from providers.errors import ProviderError, SymbolNotServed
from resolvers import market
from resolvers.context import Context
from resolvers.errors import IngestNotRunning
from resolvers.live.hub import LiquidationHub

log = logging.getLogger("perpgraph.liquidations")


def _ingested(ctx: Context) -> bool:
    """A stream feeds this process's hub: its own ingest, or the Redis relay."""
    return bool(ctx.services.hub.feeds) or ctx.services.bus is not None


def running_hub(ctx: Context) -> LiquidationHub:
    """The hub subscriptions read: fed by this process's ingest, or by the Redis relay."""
    if not _ingested(ctx):
        raise IngestNotRunning
    return ctx.services.hub


def venue_symbols(ref: SymbolRef) -> frozenset[str]:
    """The names the venues' streams use for this symbol."""
    return frozenset(n for n in (ref.venues.binance, ref.venues.okx) if n is not None)


async def stats(ctx: Context, ref: SymbolRef, window_ms: int) -> tuple[LiquidationWindow, str]:
    """Long/short USD, counts and the largest events over the window, from the stream.

    The window is cut to what the ingest has seen (it cannot report before it started).
    With Redis the events and the start come from Redis, so every instance answers the
    same. Returns the window and a source label naming the feeds."""
    now_ms = int(time.time() * 1000)
    bus = ctx.services.bus
    if bus is not None:
        feeds, started_ms = await bus.started()
    else:
        hub = running_hub(ctx)
        feeds, started_ms = hub.feeds, hub.started_ms
    if not feeds:
        raise IngestNotRunning
    covered = max(1, min(window_ms, now_ms - started_ms)) if started_ms else window_ms
    names = venue_symbols(ref)
    if bus is not None:
        recent = await bus.recent(now_ms - covered)
    else:
        recent = running_hub(ctx).recent(None, now_ms - covered)
    events = [e for e in recent if e.symbol in names]
    window = aggregate_liquidations(events, end_ms=now_ms, window_ms=covered)
    return window, "stream: " + ", ".join(feeds)


@dataclass(frozen=True, slots=True)
class WindowReading:
    """A liquidation window and where it came from."""

    window: LiquidationWindow
    source: str  # the data's own label ("okx via ...", "stream: binance, okx")
    provider: str  # who answered: "okx", "coinglass", or the stream's label
    as_of_ms: int
    stale: bool
    streamed: bool  # from the ingested stream, which moves every second


async def liquidation_window(
    ctx: Context, ref: SymbolRef, window_ms: int, now_ms: int
) -> WindowReading:
    """Liquidations over the last ``window_ms``, from the best source this deployment has:
    the ingested stream when one runs; else Coinglass's aggregated history when keyed
    (OKX's orders when that fails or has no bucket in the window); else OKX's public
    liquidation orders, whose window shrinks to what their pages cover in a busy market."""
    if _ingested(ctx):
        try:
            window, source = await stats(ctx, ref, window_ms)
        except IngestNotRunning:
            pass
        else:
            return WindowReading(window, source, source, window.end_ms, stale=False, streamed=True)
    if ctx.services.coinglass is not None:
        try:
            history = await market.coinglass_liquidations(ctx, ref)
            window = coinglass_window(history.value, window_ms, now_ms)
        except ProviderError as first:
            log.info("coinglass liquidations failed (%s); using okx", type(first).__name__)
        else:
            meta = history.value.meta
            return WindowReading(
                window, meta.source, meta.provider, meta.as_of_ms, history.stale, streamed=False
            )
    orders = await market.okx_liquidations(ctx, ref)
    span = window_ms
    if orders.value.complete_from_ms is not None:  # busy market: only the newest pages
        span = max(1, min(span, now_ms - orders.value.complete_from_ms))
    window = aggregate_liquidations(orders.value.events, end_ms=now_ms, window_ms=span)
    meta = orders.value.meta
    return WindowReading(
        window, meta.source, meta.provider, meta.as_of_ms, orders.stale, streamed=False
    )


def coinglass_window(history: LiquidationHistory, window_ms: int, now_ms: int) -> LiquidationWindow:
    """The buckets that overlap (now - window, now], summed whole. A bucket is keyed by its
    start and covers one interval, so the window reported starts at the first bucket's
    start (it may reach a little before the window asked). No bucket: NO_DATA, never 0."""
    step = INTERVAL_MS[history.interval]
    start = now_ms - window_ms
    buckets = [b for b in history.buckets if b.ts_ms < now_ms and b.ts_ms + step > start]
    if not buckets:
        raise SymbolNotServed(
            "coinglass has no liquidation bucket in the window",
            provider="coinglass",
            endpoint="liquidation_history",
        )
    return LiquidationWindow(
        long_usd=sum(b.long_usd for b in buckets),
        short_usd=sum(b.short_usd for b in buckets),
        long_count=None,  # Coinglass aggregates USD only; counts are not sent
        short_count=None,
        window_ms=now_ms - buckets[0].ts_ms,
        end_ms=now_ms,
    )


__all__ = [
    "WindowReading",
    "coinglass_window",
    "liquidation_window",
    "running_hub",
    "stats",
    "venue_symbols",
]
