"""Liquidations from the ingested streams: subscriptions and rolling statistics."""

from __future__ import annotations

import time

from engine.signal import aggregate_liquidations
from engine.signal.model import LiquidationWindow
from engine.symbols import SymbolRef
from resolvers.context import Context
from resolvers.errors import InvalidArgument
from resolvers.hub import LiquidationHub


class IngestNotRunning(InvalidArgument):
    """No liquidation stream runs in this deployment (``PERPGRAPH_LIQUIDATION_STREAMS``)."""

    def __init__(self) -> None:
        super().__init__(
            "INGEST_NOT_RUNNING",
            "no liquidation stream is ingested here: set PERPGRAPH_LIQUIDATION_STREAMS",
        )


def running_hub(ctx: Context) -> LiquidationHub:
    """The hub subscriptions read: fed by this process's ingest, or by the Redis relay."""
    hub = ctx.services.hub
    if hub is None or not (hub.feeds or ctx.services.bus is not None):
        raise IngestNotRunning
    return hub


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


__all__ = ["IngestNotRunning", "running_hub", "stats", "venue_symbols"]
