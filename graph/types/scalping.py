"""The ``ScalpingSnapshot``: one symbol's real-time layers for scalpers, each a lazy field.

A layer fetches only its own data when asked (``resolvers.scalping``); every layer is
nullable, and a failed one is null with a coded error while the others are served. Each
layer object says where its data came from (``source``, ``asOf``, ``stale``; the layer
types are in ``graph.types.scalping_layers`` and ``graph.types.whales``). ``summary`` reads the layers
selected beside it on the same snapshot, and only those: the snapshot field records its
own selection when it resolves (``selection_of``).
"""

from __future__ import annotations

import time
from typing import Any

import strawberry

from engine import scalping as rules
from engine import scalping_inputs as readings
from engine.domain import RatioKind
from engine.signal.model import Direction
from engine.symbols import SymbolRef
from graph.types import Ctx
from graph.types.liquidation import StatsWindow
from graph.types.market import FearGreedType, ms_to_dt, origin
from graph.types.scalping_layers import (
    ScalpingFundingType,
    ScalpingLargeTradesType,
    ScalpingLiquidationsType,
    ScalpingOrderBookType,
    ScalpingPriceType,
    ScalpingRatioType,
    ScalpingRsiType,
    ScalpingSocialType,
    ScalpingTrendType,
    ScalpingVolumeDeltaType,
    layer_origin,
)
from graph.types.selection import selected_fields
from graph.types.whales import ScalpingWhalesType
from resolvers import scalping as layers
from resolvers import scalping_summary
from resolvers.arguments import check_interval

# --- summary ---------------------------------------------------------------------------------


@strawberry.type(name="ScalpingKeyLevel")
class KeyLevelType:
    kind: rules.LevelKind
    price: float
    layer: str = strawberry.field(description="The layer it comes from.")
    distance_pct: float | None = strawberry.field(
        description="From the price layer's price (else the book's mid), percent; + = above."
    )

    @classmethod
    def from_engine(cls, k: rules.KeyLevel) -> KeyLevelType:
        return cls(
            kind=k.kind,
            price=k.price,
            layer=k.layer.value,
            distance_pct=k.distance_pct,
        )


@strawberry.type(name="ScalpingVote")
class VoteType:
    layer: str
    score: float = strawberry.field(description="-1 (SHORT) .. 1 (LONG).")
    weight: float
    reason: str


@strawberry.type(
    name="ScalpingSummary",
    description="Bias, key levels and a one-line read from the layers selected beside the "
    "summary on this snapshot.",
)
class ScalpingSummaryType:
    bias: Direction
    score: float = strawberry.field(description="Weighted mean of the votes, -1..1.")
    coverage_pct: float = strawberry.field(description="Weight of the layers that voted, of 100.")
    based_on: list[str] = strawberry.field(description="Layers read (voted or gave a level).")
    missing: list[str] = strawberry.field(
        description="Layers selected but not read: failed (see their errors) or no value."
    )
    key_levels: list[KeyLevelType] = strawberry.field(description="Highest price first.")
    support: KeyLevelType | None = strawberry.field(description="Nearest level below the price.")
    resistance: KeyLevelType | None = strawberry.field(description="Nearest level above.")
    read: str
    votes: list[VoteType]

    @classmethod
    def from_result(cls, r: scalping_summary.SummaryResult) -> ScalpingSummaryType:
        s = r.summary
        return cls(
            bias=s.bias,
            score=s.score,
            coverage_pct=s.coverage_pct,
            based_on=[layer.value for layer in s.based_on],
            missing=[layer.value for layer in r.missing],
            key_levels=[KeyLevelType.from_engine(k) for k in s.key_levels],
            support=KeyLevelType.from_engine(s.support) if s.support else None,
            resistance=KeyLevelType.from_engine(s.resistance) if s.resistance else None,
            read=s.read,
            votes=[
                VoteType(layer=v.layer.value, score=v.score, weight=v.weight, reason=v.reason)
                for v in s.votes
            ],
        )


# --- the snapshot ----------------------------------------------------------------------------


@strawberry.type(
    name="ScalpingSnapshot",
    description="Real-time layers for scalping one symbol. Each layer fetches only its own "
    "data when selected; a failed layer is null with a coded error and the rest is served.",
)
class ScalpingSnapshotType:
    ref: strawberry.Private[SymbolRef]
    selection: strawberry.Private[scalping_summary.Selection]
    interval: str = strawberry.field(description="Candle interval of the candle layers.")

    @strawberry.field
    def ticker(self) -> str:
        return self.ref.ticker

    @strawberry.field(
        description="Price and the newest candles of the interval (one klines call shared by "
        "price, rsi, volumeDelta and trend)."
    )
    async def price(self, info: Ctx) -> ScalpingPriceType | None:
        r = await layers.price(info.context, self.ref, self.interval)
        return ScalpingPriceType.from_reading(r)

    @strawberry.field(description="Imbalance, spread and walls from one depth call.")
    async def orderbook(
        self, info: Ctx, depth: int = layers.BOOK_DEPTH
    ) -> ScalpingOrderBookType | None:
        c = await layers.orderbook(info.context, self.ref, depth)
        return ScalpingOrderBookType(data=c.value, depth=depth, **origin(c))

    @strawberry.field(description="RSI of the interval's closes (the candle layers' klines).")
    async def rsi(self, info: Ctx, period: int = layers.RSI_PERIOD) -> ScalpingRsiType | None:
        r = await layers.rsi(info.context, self.ref, self.interval, period)
        zone = readings.rsi_zone(r.value)
        return ScalpingRsiType(value=r.value, period=period, zone=zone, **layer_origin(r))

    @strawberry.field(
        description="Taker buy minus sell volume over the last candles; null with NO_DATA "
        "when the venue's candles carry no taker volume."
    )
    async def volume_delta(
        self, info: Ctx, last: int = layers.VOLUME_DELTA_CANDLES
    ) -> ScalpingVolumeDeltaType | None:
        r = await layers.volume_delta(info.context, self.ref, self.interval, last)
        return ScalpingVolumeDeltaType.from_reading(r)

    @strawberry.field(
        description="Recent liquidations: the ingested stream when one runs, else the REST "
        "data the signal reads (Coinglass when keyed, else OKX's orders)."
    )
    async def liquidations(
        self, info: Ctx, window: StatsWindow = StatsWindow.H1
    ) -> ScalpingLiquidationsType | None:
        now_ms = _now_ms()
        r = await layers.liquidations(info.context, self.ref, window.value, now_ms)
        return ScalpingLiquidationsType.from_reading(r, window)

    @strawberry.field(description="Current funding rate (Binance premium index, OKX fallback).")
    async def funding(self, info: Ctx) -> ScalpingFundingType | None:
        c = await layers.funding(info.context, self.ref)
        return ScalpingFundingType(
            rate=c.value.funding_rate,
            next_funding_time=ms_to_dt(c.value.next_funding_time_ms),
            **origin(c),
        )

    @strawberry.field(description="Binance's long/short ratio of all accounts.")
    async def long_short_ratio(
        self, info: Ctx, period: str = layers.RATIO_PERIOD
    ) -> ScalpingRatioType | None:
        c = await layers.ratio(info.context, self.ref, RatioKind.GLOBAL_ACCOUNTS, period)
        return ScalpingRatioType.from_cached(c)

    @strawberry.field(description="Binance's top traders' long/short ratio by position.")
    async def smart_money(
        self, info: Ctx, period: str = layers.RATIO_PERIOD
    ) -> ScalpingRatioType | None:
        c = await layers.ratio(info.context, self.ref, RatioKind.TOP_POSITIONS, period)
        return ScalpingRatioType.from_cached(c)

    @strawberry.field(description="Hyperliquid whales: positions and large prints in this coin.")
    def whales(self) -> ScalpingWhalesType | None:
        return ScalpingWhalesType(coin=self.ref.venues.hyperliquid, ref=self.ref)

    @strawberry.field(description="alternative.me Fear & Greed, the newest value.")
    async def fear_greed(self, info: Ctx) -> FearGreedType | None:
        return FearGreedType.from_cached(await layers.fear_greed(info.context))

    @strawberry.field(description="EMA 9/21/50 alignment and higher highs / lower lows.")
    async def trend(self, info: Ctx) -> ScalpingTrendType | None:
        return ScalpingTrendType.from_reading(
            await layers.trend(info.context, self.ref, self.interval)
        )

    @strawberry.field(description="The largest of the newest 1000 Binance aggTrades by notional.")
    async def large_trades(
        self, info: Ctx, first: int = layers.LARGE_TRADES, min_notional: float = 0.0
    ) -> ScalpingLargeTradesType | None:
        r = await layers.large_trades(info.context, self.ref, first, min_notional)
        return ScalpingLargeTradesType.from_reading(r)

    @strawberry.field(description="LunarCrush sentiment (NOT_CONFIGURED without its key).")
    async def social(self, info: Ctx) -> ScalpingSocialType | None:
        c = await layers.social(info.context, self.ref)
        return ScalpingSocialType(
            topic=c.value.topic,
            sentiment_pct=c.value.sentiment_pct,
            posts=c.value.posts,
            **origin(c),
        )

    @strawberry.field(
        description="Reads only the layers selected beside it on this snapshot (with their "
        "arguments; the first when a layer is selected twice; whales when its positions are "
        "selected) and fetches nothing else. Selected alone it reads nothing: NEUTRAL, "
        "basedOn []."
    )
    async def summary(self, info: Ctx) -> ScalpingSummaryType | None:
        result = await scalping_summary.summary(
            info.context, self.ref, self.interval, self.selection
        )
        return ScalpingSummaryType.from_result(result)


def _now_ms() -> int:
    return int(time.time() * 1000)


# --- reading the snapshot's own selection ------------------------------------------------------


def selection_of(info: Ctx) -> scalping_summary.Selection:
    """The layers selected on the snapshot field being resolved, with their arguments as
    the layer fields receive them (the schema's defaults applied)."""
    chosen = selected_fields(info)

    def args(layer: str) -> dict[str, Any] | None:
        found = chosen.get(layer)
        return None if found is None else found.arguments

    book, rsi, delta, liq = (
        args("orderbook"),
        args("rsi"),
        args("volume_delta"),
        args("liquidations"),
    )
    ls, sm, large = args("long_short_ratio"), args("smart_money"), args("large_trades")
    whales = chosen.get("whales")
    return scalping_summary.Selection(
        price="price" in chosen,
        orderbook_depth=None if book is None else book["depth"],
        rsi_period=None if rsi is None else rsi["period"],
        volume_delta_last=None if delta is None else delta["last"],
        liquidations_window_ms=None if liq is None else liq["window"].value,
        funding="funding" in chosen,
        long_short_period=None if ls is None else ls["period"],
        smart_money_period=None if sm is None else sm["period"],
        whale_positions=whales is not None and "positions" in whales.subfields(),
        fear_greed="fear_greed" in chosen,
        trend="trend" in chosen,
        large_trades=None if large is None else (large["first"], large["min_notional"]),
        social="social" in chosen,
    )


def scalping_snapshot(info: Ctx, ref: SymbolRef, interval: str) -> ScalpingSnapshotType:
    """The snapshot of ``ref`` at ``interval`` (BAD_INTERVAL when unknown), with the
    selection its summary reads."""
    check_interval(interval)
    return ScalpingSnapshotType(ref=ref, selection=selection_of(info), interval=interval)


__all__ = ["ScalpingSnapshotType", "scalping_snapshot", "selection_of"]
