"""The ``ScalpingSnapshot``: one symbol's real-time layers for scalpers, each a lazy field.

A layer fetches only its own data when asked (``resolvers.scalping``); every layer is
nullable, and a failed one is null with a coded error while the others are served. Each
layer object says where its data came from (``source``, ``asOf``, ``stale``; the layer
types are in ``types_scalping_layers`` and ``types_whales``). ``summary`` reads the layers
selected beside it on the same snapshot, and only those: the snapshot field records its
own selection when it resolves (``selection_of``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from enum import Enum
from typing import Any

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from engine import scalping as rules
from engine import scalping_inputs as readings
from engine.symbols import SymbolRef
from graph.types import Ctx
from graph.types.liquidation import StatsWindow
from graph.types.market import FearGreedType, LongShortKind, ms_to_dt, origin
from graph.types.scalping_layers import (
    RsiZone,
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
from graph.types.signal import Direction
from graph.types.whales import ScalpingWhalesType
from resolvers import scalping as layers
from resolvers import scalping_summary
from resolvers.arguments import check_interval

# --- summary ---------------------------------------------------------------------------------


@strawberry.enum(name="ScalpingLevelKind")
class LevelKind(Enum):
    RECENT_HIGH = "RECENT_HIGH"
    RECENT_LOW = "RECENT_LOW"
    VWAP = "VWAP"
    BID_WALL = "BID_WALL"
    ASK_WALL = "ASK_WALL"


@strawberry.type(name="ScalpingKeyLevel")
class KeyLevelType:
    kind: LevelKind
    price: float
    layer: str = strawberry.field(description="The layer it comes from.")
    distance_pct: float | None = strawberry.field(
        description="From the price layer's price (else the book's mid), percent; + = above."
    )

    @classmethod
    def from_engine(cls, k: rules.KeyLevel) -> KeyLevelType:
        return cls(
            kind=LevelKind(k.kind.value),
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
    "summary on this snapshot (rules and weights in engine/scalping.py).",
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
            bias=Direction(s.bias.value),
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
        zone = RsiZone(readings.rsi_zone(r.value).value)
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
        c = await layers.ratio(
            info.context, self.ref, LongShortKind.GLOBAL_ACCOUNTS.to_domain(), period
        )
        return ScalpingRatioType.from_cached(c)

    @strawberry.field(description="Binance's top traders' long/short ratio by position.")
    async def smart_money(
        self, info: Ctx, period: str = layers.RATIO_PERIOD
    ) -> ScalpingRatioType | None:
        c = await layers.ratio(
            info.context, self.ref, LongShortKind.TOP_POSITIONS.to_domain(), period
        )
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


def _included(directives: Mapping[str, Mapping[str, Any]]) -> bool:
    """@skip / @include as GraphQL applies them (their ``if`` is already resolved)."""
    skip, include = directives.get("skip"), directives.get("include")
    return not (skip is not None and skip.get("if") is True) and not (
        include is not None and include.get("if") is False
    )


def _fields(selections: Iterable[Selection]) -> Iterator[SelectedField]:
    """The fields selected, fragments flattened, skipped ones left out, in document order."""
    for s in selections:
        if not _included(s.directives):
            continue
        if isinstance(s, SelectedField):
            yield s
        else:  # fragment spread or inline fragment: on ScalpingSnapshot, as validation ensures
            yield from _fields(s.selections)


def _int(args: Mapping[str, Any], name: str, default: int) -> int:
    value = args.get(name)  # literals arrive as their text, variables as coerced values
    return default if value is None else int(value)


def _float(args: Mapping[str, Any], name: str, default: float) -> float:
    value = args.get(name)
    return default if value is None else float(value)


def _str(args: Mapping[str, Any], name: str, default: str) -> str:
    value = args.get(name)
    return default if value is None else str(value)


def _window_ms(args: Mapping[str, Any]) -> int:
    value = args.get("window")
    if value is None:
        return StatsWindow.H1.value
    if isinstance(value, StatsWindow):
        return value.value
    if isinstance(value, str):  # a literal: the enum's name
        return StatsWindow[value].value
    return int(value)


def selection_of(info: Ctx) -> scalping_summary.Selection:
    """The layers selected on the snapshot field being resolved, with their arguments."""
    first: dict[str, SelectedField] = {}
    whale_positions = False
    for node in info.selected_fields:  # one per field node merged under this response key
        for f in _fields(node.selections):
            first.setdefault(f.name, f)
            if f.name == "whales":
                whale_positions |= any(x.name == "positions" for x in _fields(f.selections))

    def args(name: str) -> Mapping[str, Any] | None:
        f = first.get(name)
        return None if f is None else f.arguments

    book, rsi, delta = args("orderbook"), args("rsi"), args("volumeDelta")
    liq, ls, sm, large = (
        args("liquidations"),
        args("longShortRatio"),
        args("smartMoney"),
        args("largeTrades"),
    )
    return scalping_summary.Selection(
        price="price" in first,
        orderbook_depth=None if book is None else _int(book, "depth", layers.BOOK_DEPTH),
        rsi_period=None if rsi is None else _int(rsi, "period", layers.RSI_PERIOD),
        volume_delta_last=None
        if delta is None
        else _int(delta, "last", layers.VOLUME_DELTA_CANDLES),
        liquidations_window_ms=None if liq is None else _window_ms(liq),
        funding="funding" in first,
        long_short_period=None if ls is None else _str(ls, "period", layers.RATIO_PERIOD),
        smart_money_period=None if sm is None else _str(sm, "period", layers.RATIO_PERIOD),
        whale_positions=whale_positions,
        fear_greed="fearGreed" in first,
        trend="trend" in first,
        large_trades=None
        if large is None
        else (_int(large, "first", layers.LARGE_TRADES), _float(large, "minNotional", 0.0)),
        social="social" in first,
    )


def scalping_snapshot(info: Ctx, ref: SymbolRef, interval: str) -> ScalpingSnapshotType:
    """The snapshot of ``ref`` at ``interval`` (BAD_INTERVAL when unknown), with the
    selection its summary reads."""
    check_interval(interval)
    return ScalpingSnapshotType(ref=ref, selection=selection_of(info), interval=interval)


__all__ = ["ScalpingSnapshotType", "scalping_snapshot", "selection_of"]
