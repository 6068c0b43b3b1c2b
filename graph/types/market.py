"""GraphQL object types for market data, each built from a cached domain object.

Every market object says where it came from (``source``), when the venue says it was true
(``asOf``) and whether it was served past its TTL because the upstream failed (``stale``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry

from engine import orderbook as book_math
from engine.domain import (
    BookLevel,
    Candle,
    Candles,
    FearGreed,
    FearGreedPoint,
    FundingHistory,
    FundingRecord,
    LongShortPoint,
    LongShortRatio,
    OpenInterestHistory,
    OpenInterestPoint,
    OrderBook,
    RatioKind,
    RecentTrades,
    Sourced,
    TakerVolume,
    TakerVolumePoint,
    Trade,
)
from resolvers.cache import Cached


def ms_to_dt(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC)


def origin(cached: Cached[Any]) -> dict[str, Any]:
    """The three provenance fields every market type carries."""
    meta: Sourced = cached.value.meta
    return {"source": meta.source, "as_of": ms_to_dt(meta.as_of_ms), "stale": cached.stale}


@strawberry.interface(description="Where and when a market value comes from.")
class MarketData:
    source: str = strawberry.field(description="Venue that answered, e.g. 'binance', 'okx'.")
    as_of: datetime = strawberry.field(description="Time the venue stamped on the data.")
    stale: bool = strawberry.field(
        description="True when served past its TTL because the upstream failed."
    )


@strawberry.type(name="FundingRecord")
class FundingRecordType:
    funding_time: datetime
    rate: float = strawberry.field(description="Funding rate as a fraction (0.0001 = 0.01 %).")
    mark_price: float | None

    @classmethod
    def from_domain(cls, r: FundingRecord) -> FundingRecordType:
        return cls(
            funding_time=ms_to_dt(r.funding_time_ms),  # type: ignore[arg-type]
            rate=r.funding_rate,
            mark_price=r.mark_price,
        )


@strawberry.type(name="FundingHistory")
class FundingHistoryType(MarketData):
    data: strawberry.Private[FundingHistory]

    @strawberry.field(description="Oldest first.")
    def records(self) -> list[FundingRecordType]:
        return [FundingRecordType.from_domain(r) for r in self.data.records]

    @classmethod
    def from_cached(cls, c: Cached[FundingHistory]) -> FundingHistoryType:
        return cls(data=c.value, **origin(c))


@strawberry.type(name="OpenInterestPoint")
class OpenInterestPointType:
    time: datetime
    base_qty: float
    value_usd: float | None

    @classmethod
    def from_domain(cls, p: OpenInterestPoint) -> OpenInterestPointType:
        return cls(time=ms_to_dt(p.ts_ms), base_qty=p.base_qty, value_usd=p.value_usd)  # type: ignore[arg-type]


@strawberry.type(name="OpenInterestHistory")
class OpenInterestHistoryType(MarketData):
    period: str
    data: strawberry.Private[OpenInterestHistory]

    @strawberry.field(description="Oldest first.")
    def points(self) -> list[OpenInterestPointType]:
        return [OpenInterestPointType.from_domain(p) for p in self.data.points]

    @classmethod
    def from_cached(cls, c: Cached[OpenInterestHistory]) -> OpenInterestHistoryType:
        return cls(period=c.value.period, data=c.value, **origin(c))


@strawberry.type(name="LongShortPoint")
class LongShortPointType:
    time: datetime
    ratio: float
    long_fraction: float | None
    short_fraction: float | None

    @classmethod
    def from_domain(cls, p: LongShortPoint) -> LongShortPointType:
        return cls(
            time=ms_to_dt(p.ts_ms),  # type: ignore[arg-type]
            ratio=p.long_short_ratio,
            long_fraction=p.long_fraction,
            short_fraction=p.short_fraction,
        )


@strawberry.type(name="LongShortRatio")
class LongShortRatioType(MarketData):
    kind: RatioKind
    period: str
    data: strawberry.Private[LongShortRatio]

    @strawberry.field(description="Oldest first.")
    def points(self) -> list[LongShortPointType]:
        return [LongShortPointType.from_domain(p) for p in self.data.points]

    @classmethod
    def from_cached(cls, c: Cached[LongShortRatio]) -> LongShortRatioType:
        return cls(kind=c.value.kind, period=c.value.period, data=c.value, **origin(c))


@strawberry.type(name="TakerVolumePoint")
class TakerVolumePointType:
    time: datetime
    buy_volume: float
    sell_volume: float
    buy_sell_ratio: float

    @classmethod
    def from_domain(cls, p: TakerVolumePoint) -> TakerVolumePointType:
        return cls(
            time=ms_to_dt(p.ts_ms),  # type: ignore[arg-type]
            buy_volume=p.buy_volume,
            sell_volume=p.sell_volume,
            buy_sell_ratio=p.buy_sell_ratio,
        )


@strawberry.type(name="TakerVolume")
class TakerVolumeType(MarketData):
    period: str
    data: strawberry.Private[TakerVolume]

    @strawberry.field(description="Oldest first.")
    def points(self) -> list[TakerVolumePointType]:
        return [TakerVolumePointType.from_domain(p) for p in self.data.points]

    @classmethod
    def from_cached(cls, c: Cached[TakerVolume]) -> TakerVolumeType:
        return cls(period=c.value.period, data=c.value, **origin(c))


@strawberry.type(name="Candle")
class CandleType:
    open_time: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float = strawberry.field(description="Base-asset volume.")
    close_time: datetime | None
    quote_volume: float | None
    trade_count: int | None
    taker_buy_base_volume: float | None

    @classmethod
    def from_domain(cls, c: Candle) -> CandleType:
        return cls(
            open_time=ms_to_dt(c.open_time_ms),  # type: ignore[arg-type]
            open=c.open,
            high=c.high,
            low=c.low,
            close=c.close,
            volume=c.volume,
            close_time=ms_to_dt(c.close_time_ms),
            quote_volume=c.quote_volume,
            trade_count=c.trade_count,
            taker_buy_base_volume=c.taker_buy_base_volume,
        )


@strawberry.type(name="Candles")
class CandlesType(MarketData):
    interval: str
    data: strawberry.Private[Candles]

    @strawberry.field(description="Oldest first; the newest may still be open.")
    def candles(self) -> list[CandleType]:
        return [CandleType.from_domain(b) for b in self.data.candles]

    @classmethod
    def from_cached(cls, c: Cached[Candles]) -> CandlesType:
        return cls(interval=c.value.interval, data=c.value, **origin(c))


@strawberry.type(name="BookLevel")
class BookLevelType:
    price: float
    quantity: float

    @classmethod
    def from_domain(cls, level: BookLevel) -> BookLevelType:
        return cls(price=level.price, quantity=level.quantity)


@strawberry.type(name="OrderBook")
class OrderBookType(MarketData):
    data: strawberry.Private[OrderBook]

    @strawberry.field(description="Best (highest) first.")
    def bids(self) -> list[BookLevelType]:
        return [BookLevelType.from_domain(x) for x in self.data.bids]

    @strawberry.field(description="Best (lowest) first.")
    def asks(self) -> list[BookLevelType]:
        return [BookLevelType.from_domain(x) for x in self.data.asks]

    @strawberry.field(
        description="(bid qty - ask qty) / (bid qty + ask qty) over the levels returned."
    )
    def imbalance(self) -> float | None:
        return book_math.imbalance(self.data)

    @strawberry.field(description="Best ask - best bid.")
    def spread(self) -> float | None:
        return book_math.spread(self.data)

    @strawberry.field(description="Spread over mid, basis points.")
    def spread_bps(self) -> float | None:
        return book_math.spread_bps(self.data)

    @classmethod
    def from_cached(cls, c: Cached[OrderBook]) -> OrderBookType:
        return cls(data=c.value, **origin(c))


@strawberry.type(name="Trade")
class TradeType:
    id: str
    price: float
    quantity: float
    time: datetime
    taker_side: str = strawberry.field(description="BUY or SELL: the side of the aggressor.")

    @classmethod
    def from_domain(cls, t: Trade) -> TradeType:
        return cls(
            id=str(t.trade_id),
            price=t.price,
            quantity=t.quantity,
            time=ms_to_dt(t.ts_ms),  # type: ignore[arg-type]
            taker_side="SELL" if t.buyer_is_maker else "BUY",
        )


@strawberry.type(name="RecentTrades")
class RecentTradesType(MarketData):
    data: strawberry.Private[RecentTrades]

    @strawberry.field(description="Oldest first.")
    def trades(self) -> list[TradeType]:
        return [TradeType.from_domain(t) for t in self.data.trades]

    @classmethod
    def from_cached(cls, c: Cached[RecentTrades]) -> RecentTradesType:
        return cls(data=c.value, **origin(c))


@strawberry.type(name="FearGreedPoint")
class FearGreedPointType:
    value: int = strawberry.field(description="0 = extreme fear, 100 = extreme greed.")
    classification: str
    time: datetime

    @classmethod
    def from_domain(cls, p: FearGreedPoint) -> FearGreedPointType:
        return cls(value=p.value, classification=p.classification, time=ms_to_dt(p.ts_ms))  # type: ignore[arg-type]


@strawberry.type(name="FearGreed")
class FearGreedType(MarketData):
    value: int | None = strawberry.field(description="The newest value.")
    classification: str | None
    data: strawberry.Private[FearGreed]

    @strawberry.field(description="Newest first.")
    def history(self) -> list[FearGreedPointType]:
        return [FearGreedPointType.from_domain(p) for p in self.data.points]

    @classmethod
    def from_cached(cls, c: Cached[FearGreed]) -> FearGreedType:
        points = c.value.points
        return cls(
            value=points[0].value if points else None,
            classification=points[0].classification if points else None,
            data=c.value,
            **origin(c),
        )


__all__ = [
    "CandlesType",
    "FearGreedType",
    "FundingHistoryType",
    "LongShortRatioType",
    "MarketData",
    "OpenInterestHistoryType",
    "OrderBookType",
    "RecentTradesType",
    "TakerVolumeType",
    "ms_to_dt",
    "origin",
]
