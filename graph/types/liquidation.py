"""GraphQL types of the liquidation stream and its rolling statistics."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from engine.domain import Liquidation, PositionSide, cents
from engine.signal.model import LiquidationWindow
from engine.symbols import parse
from graph.types.market import ms_to_dt


@strawberry.enum(description="Rolling window of liquidation statistics.")
class StatsWindow(Enum):
    H1 = 3_600_000
    H4 = 4 * 3_600_000
    H12 = 12 * 3_600_000
    H24 = 24 * 3_600_000


def ticker_of(venue_symbol: str) -> str:
    try:
        return parse(venue_symbol)[0]
    except ValueError:
        return venue_symbol


@strawberry.type(name="Liquidation")
class LiquidationType:
    ticker: str
    venue_symbol: str
    venue: str
    side: PositionSide = strawberry.field(description="A SELL order liquidates a LONG.")
    price: float
    quantity: float = strawberry.field(description="Base-asset units.")
    notional_usd: float = strawberry.field(description="Price x quantity, USD, to the cent.")
    time: datetime

    @classmethod
    def from_domain(cls, e: Liquidation) -> LiquidationType:
        return cls(
            ticker=ticker_of(e.symbol),
            venue_symbol=e.symbol,
            venue=e.venue,
            side=e.side,
            price=e.price,
            quantity=e.quantity,
            notional_usd=cents(e.notional_usd),
            time=ms_to_dt(e.ts_ms),  # type: ignore[arg-type]
        )


@strawberry.type(name="LiquidationStats")
class LiquidationStatsType:
    ticker: str
    window: StatsWindow
    long_usd: float = strawberry.field(description="Long positions liquidated, USD.")
    short_usd: float
    long_count: int
    short_count: int
    largest: list[LiquidationType] = strawberry.field(description="Largest first.")
    source: str = strawberry.field(
        description="The ingested stream. Binance pushes at most one liquidation per symbol "
        "per second, so its feed is a sample, not the full tape."
    )
    as_of: datetime

    @classmethod
    def from_window(
        cls, ticker: str, window: StatsWindow, w: LiquidationWindow, source: str
    ) -> LiquidationStatsType:
        return cls(
            ticker=ticker,
            window=window,
            long_usd=cents(w.long_usd),
            short_usd=cents(w.short_usd),
            long_count=w.long_count or 0,
            short_count=w.short_count or 0,
            largest=[LiquidationType.from_domain(e) for e in w.largest],
            source=source,
            as_of=ms_to_dt(w.end_ms),  # type: ignore[arg-type]
        )


@strawberry.type(
    name="LiquidationBatch",
    description="The liquidations of one interval of a `liquidationFeed`, in one message.",
)
class LiquidationBatchType:
    events: list[LiquidationType] = strawberry.field(description="Oldest first.")
    long_usd: float = strawberry.field(description="Long positions liquidated, USD, to the cent.")
    short_usd: float
    long_count: int
    short_count: int
    dropped: int = strawberry.field(
        description="Events of this feed dropped since the previous batch (its queue was "
        "full: PERPGRAPH_SUBSCRIBER_QUEUE_SIZE); 0 unless the server fell behind."
    )
    sent_at: datetime = strawberry.field(description="When the server cut this batch.")

    @classmethod
    def from_events(
        cls, events: list[Liquidation], dropped: int, now_ms: int
    ) -> LiquidationBatchType:
        # the sums of the amounts as shown (each to the cent), so they add up for a reader
        longs = [cents(e.notional_usd) for e in events if e.side is PositionSide.LONG]
        shorts = [cents(e.notional_usd) for e in events if e.side is PositionSide.SHORT]
        return cls(
            events=[LiquidationType.from_domain(e) for e in events],
            long_usd=cents(sum(longs)),
            short_usd=cents(sum(shorts)),
            long_count=len(longs),
            short_count=len(shorts),
            dropped=dropped,
            sent_at=ms_to_dt(now_ms),  # type: ignore[arg-type]
        )


__all__ = [
    "LiquidationBatchType",
    "LiquidationStatsType",
    "LiquidationType",
    "StatsWindow",
    "ticker_of",
]
