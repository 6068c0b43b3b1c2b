"""The ScalpingSnapshot's layer objects, each built from one resolver reading.

Every layer implements ``MarketData``: ``source`` and ``asOf`` are those of the data it was
computed from (a candle layer: the klines; a whale layer: the Hyperliquid answer), and
``stale`` says it was served past its TTL because the upstream failed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry

from engine import orderbook as book_math
from engine import scalping_inputs as readings
from engine.domain import RatioKind, Trade, cents
from engine.indicators import Alignment, Structure
from engine.signal.model import LiquidationWindow
from graph.types.liquidation import LiquidationType, StatsWindow
from graph.types.market import (
    CandleType,
    MarketData,
    OrderBookType,
    origin,
)
from resolvers import scalping as layers
from resolvers.arguments import check_limit
from resolvers.cache import Cached


def layer_origin(r: layers.Reading[Any]) -> dict[str, Any]:
    return {"source": r.source, "as_of": to_dt(r.as_of_ms), "stale": r.stale}


def to_dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


# --- price -----------------------------------------------------------------------------------


@strawberry.type(name="ScalpingPrice")
class ScalpingPriceType(MarketData):
    price: float = strawberry.field(description="Close of the newest candle (may be open).")
    recent_high: float = strawberry.field(description="Highest high of the last rangeCandles.")
    recent_low: float = strawberry.field(description="Lowest low of the last rangeCandles.")
    range_candles: int
    vwap: float | None = strawberry.field(
        description="VWAP of the windowCandles candles read, anchored at windowStart; null "
        "when none traded."
    )
    window_start: datetime
    window_candles: int
    data: strawberry.Private[readings.PriceSnapshot]

    @strawberry.field(description="The newest candle: OHLCV; it may still be open.")
    def latest(self) -> CandleType:
        return CandleType.from_domain(self.data.candles[-1])

    @strawberry.field(description="The newest candles, oldest first.")
    def candles(self, last: int = 5) -> list[CandleType]:
        check_limit("last", last, 1, layers.WINDOW_CANDLES)
        return [CandleType.from_domain(c) for c in self.data.candles[-last:]]

    @classmethod
    def from_reading(cls, r: layers.Reading[readings.PriceSnapshot]) -> ScalpingPriceType:
        p = r.value
        return cls(
            price=p.price,
            recent_high=p.recent_high,
            recent_low=p.recent_low,
            range_candles=p.range_candles,
            vwap=p.vwap,
            window_start=to_dt(p.candles[0].open_time_ms),
            window_candles=len(p.candles),
            data=p,
            **layer_origin(r),
        )


# --- order book ------------------------------------------------------------------------------


@strawberry.type(name="OrderBookWall")
class OrderBookWallType:
    price: float
    quantity: float = strawberry.field(description="Base-asset units.")
    multiple: float = strawberry.field(description="Quantity over the side's average level.")

    @classmethod
    def from_domain(cls, w: book_math.Wall) -> OrderBookWallType:
        return cls(price=w.price, quantity=w.quantity, multiple=w.multiple)


@strawberry.type(name="ScalpingOrderBook")
class ScalpingOrderBookType(OrderBookType):
    depth: int = strawberry.field(description="Levels a side asked of the venue.")

    @strawberry.field
    def best_bid(self) -> float | None:
        return self.data.bids[0].price if self.data.bids else None

    @strawberry.field
    def best_ask(self) -> float | None:
        return self.data.asks[0].price if self.data.asks else None

    @strawberry.field(
        description="Bid levels over wallFactor x the average bid level size, nearest first."
    )
    def bid_walls(self) -> list[OrderBookWallType]:
        return [OrderBookWallType.from_domain(w) for w in book_math.side_walls(self.data.bids)]

    @strawberry.field(
        description="Ask levels over wallFactor x the average ask level size, nearest first."
    )
    def ask_walls(self) -> list[OrderBookWallType]:
        return [OrderBookWallType.from_domain(w) for w in book_math.side_walls(self.data.asks)]

    @strawberry.field
    def wall_factor(self) -> float:
        return book_math.WALL_FACTOR


# --- candle indicators -----------------------------------------------------------------------


@strawberry.type(name="ScalpingRsi")
class ScalpingRsiType(MarketData):
    value: float = strawberry.field(description="RSI 0..100 at the newest candle (may be open).")
    period: int
    zone: readings.RsiZone


@strawberry.type(name="ScalpingVolumeDelta")
class ScalpingVolumeDeltaType(MarketData):
    last: int = strawberry.field(description="Candles summed, the newest included.")
    delta: float = strawberry.field(description="Taker buy minus taker sell volume, base units.")
    taker_buy_volume: float
    taker_sell_volume: float
    volume: float
    delta_pct: float | None = strawberry.field(description="delta / volume x 100.")

    @classmethod
    def from_reading(cls, r: layers.Reading[readings.TakerFlow]) -> ScalpingVolumeDeltaType:
        f = r.value
        return cls(
            last=f.candles,
            delta=f.delta_base,
            taker_buy_volume=f.buy_base,
            taker_sell_volume=f.sell_base,
            volume=f.volume_base,
            delta_pct=f.delta_base / f.volume_base * 100 if f.volume_base > 0 else None,
            **layer_origin(r),
        )


@strawberry.type(name="ScalpingEma")
class EmaType:
    period: int
    value: float | None


@strawberry.type(name="ScalpingTrend")
class ScalpingTrendType(MarketData):
    ema_alignment: Alignment | None = strawberry.field(
        description="Null with fewer candles than the slowest EMA (50)."
    )
    structure: Structure | None = strawberry.field(description="Null under 30 candles.")
    higher_highs: bool | None
    higher_lows: bool | None
    lower_highs: bool | None
    lower_lows: bool | None
    emas: list[EmaType]
    candles: int

    @classmethod
    def from_reading(cls, r: layers.Reading[layers.TrendReading]) -> ScalpingTrendType:
        t = r.value.trend
        align: Alignment | None = t.ema_alignment
        struct: Structure | None = t.structure
        return cls(
            ema_alignment=align,
            structure=struct,
            higher_highs=t.higher_highs,
            higher_lows=t.higher_lows,
            lower_highs=t.lower_highs,
            lower_lows=t.lower_lows,
            emas=[EmaType(period=p, value=v) for p, v in r.value.emas],
            candles=r.value.candles,
            **layer_origin(r),
        )


# --- trades ----------------------------------------------------------------------------------


@strawberry.type(name="LargeTrade")
class LargeTradeType:
    id: str
    price: float
    quantity: float = strawberry.field(description="Base-asset units.")
    notional: float = strawberry.field(description="price x quantity, quote currency.")
    time: datetime
    taker_side: str = strawberry.field(description="BUY or SELL: the side of the aggressor.")

    @classmethod
    def from_domain(cls, t: Trade) -> LargeTradeType:
        return cls(
            id=str(t.trade_id),
            price=t.price,
            quantity=t.quantity,
            notional=readings.notional(t),
            time=to_dt(t.ts_ms),
            taker_side="SELL" if t.buyer_is_maker else "BUY",
        )


@strawberry.type(name="ScalpingLargeTrades")
class ScalpingLargeTradesType(MarketData):
    scanned: int = strawberry.field(description="Recent trades read (Binance aggTrades).")
    trades: list[LargeTradeType] = strawberry.field(description="Largest notional first.")
    buy_notional: float = strawberry.field(description="Taker buys among these trades.")
    sell_notional: float

    @classmethod
    def from_reading(cls, r: layers.Reading[layers.LargeTrades]) -> ScalpingLargeTradesType:
        flow = readings.trade_flow(r.value.trades)
        return cls(
            scanned=r.value.scanned,
            trades=[LargeTradeType.from_domain(t) for t in r.value.trades],
            buy_notional=flow.buy_notional,
            sell_notional=flow.sell_notional,
            **layer_origin(r),
        )


# --- positioning -----------------------------------------------------------------------------


@strawberry.type(name="ScalpingLiquidations")
class ScalpingLiquidationsType(MarketData):
    window: StatsWindow
    covered_from: datetime = strawberry.field(
        description="Start of the span the data covers (later than the window's start when "
        "the stream started later or OKX's pages ran out)."
    )
    long_usd: float = strawberry.field(description="Long positions liquidated, USD.")
    short_usd: float
    long_count: int | None = strawberry.field(description="Null when the source sends USD only.")
    short_count: int | None
    largest: list[LiquidationType] = strawberry.field(description="Largest first.")

    @classmethod
    def from_reading(
        cls, r: layers.Reading[LiquidationWindow], window: StatsWindow
    ) -> ScalpingLiquidationsType:
        w = r.value
        return cls(
            window=window,
            covered_from=to_dt(w.end_ms - w.window_ms),
            long_usd=cents(w.long_usd),
            short_usd=cents(w.short_usd),
            long_count=w.long_count,
            short_count=w.short_count,
            largest=[LiquidationType.from_domain(e) for e in w.largest],
            **layer_origin(r),
        )


@strawberry.type(name="ScalpingFunding")
class ScalpingFundingType(MarketData):
    rate: float = strawberry.field(description="Current funding rate as a fraction.")
    next_funding_time: datetime | None


@strawberry.type(name="ScalpingRatio")
class ScalpingRatioType(MarketData):
    kind: RatioKind
    period: str
    ratio: float = strawberry.field(description="Newest long/short ratio.")
    long_fraction: float | None
    short_fraction: float | None
    time: datetime
    change: float = strawberry.field(description="Newest minus oldest ratio of the points read.")
    points: int

    @classmethod
    def from_cached(cls, c: Cached[Any]) -> ScalpingRatioType:
        pts = c.value.points
        newest = pts[-1]
        return cls(
            kind=c.value.kind,
            period=c.value.period,
            ratio=newest.long_short_ratio,
            long_fraction=newest.long_fraction,
            short_fraction=newest.short_fraction,
            time=to_dt(newest.ts_ms),
            change=newest.long_short_ratio - pts[0].long_short_ratio,
            points=len(pts),
            **origin(c),
        )


@strawberry.type(name="ScalpingSocial")
class ScalpingSocialType(MarketData):
    topic: str
    sentiment_pct: float = strawberry.field(description="Share of positive posts, percent.")
    posts: int | None


__all__ = [
    "LargeTradeType", "OrderBookWallType", "ScalpingFundingType",
    "ScalpingLargeTradesType", "ScalpingLiquidationsType", "ScalpingOrderBookType",
    "ScalpingPriceType", "ScalpingRatioType", "ScalpingRsiType", "ScalpingSocialType",
    "ScalpingTrendType", "ScalpingVolumeDeltaType", "layer_origin", "to_dt",
]  # fmt: skip
