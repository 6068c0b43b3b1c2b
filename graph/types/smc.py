"""GraphQL types of Smart Money Concepts, built from ``resolvers.analysis``.

Definitions live in the engine's docstrings (``engine.smc``); the descriptions here say them
briefly. Prices are in the quote currency, times are candle open times (UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TypeVar

import strawberry

from engine import smc as smc_engine
from engine.domain import Candle
from graph.types.market import MarketData, ms_to_dt, origin
from resolvers.analysis import SmcResult, SmcTimeframe, newest

Z = TypeVar("Z")
R = TypeVar("R")


def _dt(ms: int) -> datetime:
    return ms_to_dt(ms)  # type: ignore[return-value]  # never None for an int


def _opt(build: Callable[[Z], R], value: Z | None) -> R | None:
    return None if value is None else build(value)


@strawberry.type(
    name="SmcSwing",
    description="A candle whose high (low) is strictly above (below) those of the `swingLength` "
    "candles on each side; known only `swingLength` candles later.",
)
class SwingType:
    kind: smc_engine.SwingKind
    time: datetime
    price: float = strawberry.field(description="The candle's high (HIGH) or low (LOW).")
    confirmed_time: datetime = strawberry.field(description="The candle that confirmed it.")

    @classmethod
    def from_engine(cls, s: smc_engine.Swing, candles: tuple[Candle, ...]) -> SwingType:
        return cls(
            kind=s.kind,
            time=_dt(s.open_time_ms),
            price=s.price,
            confirmed_time=_dt(candles[s.confirmed_index].open_time_ms),
        )


@strawberry.type(
    name="StructureBreak",
    description="A close strictly beyond the latest confirmed, unbroken swing high (bullish) "
    "or low (bearish).",
)
class StructureBreakType:
    kind: smc_engine.BreakKind
    direction: smc_engine.Direction
    level: float = strawberry.field(description="The broken swing's price.")
    swing_time: datetime
    time: datetime = strawberry.field(description="The candle whose close broke the level.")
    close: float

    @classmethod
    def from_engine(cls, b: smc_engine.StructureBreak) -> StructureBreakType:
        return cls(
            kind=b.kind,
            direction=b.direction,
            level=b.level,
            swing_time=_dt(b.swing_time_ms),
            time=_dt(b.open_time_ms),
            close=b.close,
        )


@strawberry.type(
    name="FairValueGap",
    description="Three candles whose first and third do not overlap: bullish when the first "
    "high is below the third low (gap first high..third low), bearish the mirror. Mitigated by "
    "the first later candle that trades through the whole gap.",
)
class FairValueGapType:
    direction: smc_engine.Direction
    time: datetime = strawberry.field(description="The middle candle.")
    top: float
    bottom: float
    mitigated: bool
    mitigated_time: datetime | None

    @classmethod
    def from_engine(cls, g: smc_engine.FairValueGap) -> FairValueGapType:
        return cls(
            direction=g.direction,
            time=_dt(g.open_time_ms),
            top=g.top,
            bottom=g.bottom,
            mitigated=g.mitigated,
            mitigated_time=ms_to_dt(g.mitigated_time_ms),
        )


@strawberry.type(
    name="LiquidityZone",
    description="Equal highs (lows): consecutive swing highs (lows) within "
    f"{smc_engine.EQUAL_TOLERANCE_PCT} % of each other, where stops rest. Swept by the first "
    "later candle trading beyond the level.",
)
class LiquidityZoneType:
    kind: smc_engine.LiquidityKind
    level: float = strawberry.field(description="Highest of the equal highs, lowest of the lows.")
    swing_times: list[datetime] = strawberry.field(description="Two or more, oldest first.")
    swept: bool
    swept_time: datetime | None

    @classmethod
    def from_engine(cls, p: smc_engine.LiquidityPool) -> LiquidityZoneType:
        return cls(
            kind=p.kind,
            level=p.level,
            swing_times=[_dt(t) for t in p.swing_times_ms],
            swept=p.swept,
            swept_time=ms_to_dt(p.swept_time_ms),
        )


@strawberry.type(
    name="OrderBlock",
    description="For a structure break, the last candle of the opposite colour before the "
    "breaking candle (back to the broken swing); its zone is that candle's low..high. "
    "Mitigated by the first later candle that trades through it.",
)
class OrderBlockType:
    direction: smc_engine.Direction = strawberry.field(description="The break's direction.")
    time: datetime
    top: float
    bottom: float
    break_time: datetime
    mitigated: bool
    mitigated_time: datetime | None

    @classmethod
    def from_engine(cls, o: smc_engine.OrderBlock, candles: tuple[Candle, ...]) -> OrderBlockType:
        return cls(
            direction=o.direction,
            time=_dt(o.open_time_ms),
            top=o.top,
            bottom=o.bottom,
            break_time=_dt(candles[o.break_index].open_time_ms),
            mitigated=o.mitigated,
            mitigated_time=ms_to_dt(o.mitigated_time_ms),
        )


@strawberry.type(
    name="SmcSummary",
    description="Where the newest candle stands. Above: an unmitigated zone whose bottom is "
    "above the last close; below: whose top is below it; nearest: the smallest gap to the "
    "close. Zones containing the close are listed in the *AtClose fields.",
)
class SmcSummaryType:
    bias: smc_engine.Bias
    last_close: float | None
    last_break: StructureBreakType | None
    last_swing_high: SwingType | None
    last_swing_low: SwingType | None
    fvg_above: FairValueGapType | None
    fvg_below: FairValueGapType | None
    fvgs_at_close: list[FairValueGapType]
    order_block_above: OrderBlockType | None
    order_block_below: OrderBlockType | None
    order_blocks_at_close: list[OrderBlockType]

    @classmethod
    def from_engine(cls, s: smc_engine.SmcSummary, candles: tuple[Candle, ...]) -> SmcSummaryType:
        swing = partial(SwingType.from_engine, candles=candles)
        block = partial(OrderBlockType.from_engine, candles=candles)
        return cls(
            bias=s.bias,
            last_close=s.last_close,
            last_break=_opt(StructureBreakType.from_engine, s.last_break),
            last_swing_high=_opt(swing, s.last_swing_high),
            last_swing_low=_opt(swing, s.last_swing_low),
            fvg_above=_opt(FairValueGapType.from_engine, s.fvg_above),
            fvg_below=_opt(FairValueGapType.from_engine, s.fvg_below),
            fvgs_at_close=[FairValueGapType.from_engine(g) for g in s.fvgs_at_close],
            order_block_above=_opt(block, s.order_block_above),
            order_block_below=_opt(block, s.order_block_below),
            order_blocks_at_close=[block(b) for b in s.order_blocks_at_close],
        )


@strawberry.type(
    name="SmcTimeframe",
    description="SMC of one interval's candles. Lists are the newest `last` "
    "entries (1..1500), oldest first; null with BAD_LIMIT for another `last`.",
)
class SmcTimeframeType(MarketData):
    interval: str
    candle_count: int
    weight: int = strawberry.field(description="Weight in the combined bias (n-th shortest: n).")
    bias: smc_engine.Bias
    last_close: float | None
    data: strawberry.Private[SmcTimeframe]

    def _candles(self) -> tuple[Candle, ...]:
        return self.data.candles.value.candles

    @strawberry.field(description="Confirmed swing highs and lows.")
    def swings(self, last: int = 20) -> list[SwingType] | None:
        candles = self._candles()
        return [SwingType.from_engine(s, candles) for s in newest(self.data.analysis.swings, last)]

    @strawberry.field(description="Every BOS and CHOCH.")
    def structure_breaks(self, last: int = 20) -> list[StructureBreakType] | None:
        return [StructureBreakType.from_engine(b) for b in newest(self.data.analysis.breaks, last)]

    @strawberry.field
    def fair_value_gaps(
        self, unmitigated_only: bool = False, last: int = 20
    ) -> list[FairValueGapType] | None:
        gaps = self.data.analysis.fair_value_gaps
        kept = [g for g in gaps if not (unmitigated_only and g.mitigated)]
        return [FairValueGapType.from_engine(g) for g in newest(kept, last)]

    @strawberry.field(description="Equal highs and lows, ordered by their last swing.")
    def liquidity_zones(
        self, unswept_only: bool = False, last: int = 20
    ) -> list[LiquidityZoneType] | None:
        pools = [p for p in self.data.analysis.liquidity if not (unswept_only and p.swept)]
        return [LiquidityZoneType.from_engine(p) for p in newest(pools, last)]

    @strawberry.field(description="One per break at most, in the order of the breaks.")
    def order_blocks(
        self, unmitigated_only: bool = False, last: int = 20
    ) -> list[OrderBlockType] | None:
        candles = self._candles()
        blocks = self.data.analysis.order_blocks
        kept = [b for b in blocks if not (unmitigated_only and b.mitigated)]
        return [OrderBlockType.from_engine(b, candles) for b in newest(kept, last)]

    @strawberry.field
    def summary(self) -> SmcSummaryType:
        return SmcSummaryType.from_engine(self.data.analysis.summary, self._candles())

    @classmethod
    def from_timeframe(cls, t: SmcTimeframe) -> SmcTimeframeType:
        summary = t.analysis.summary
        return cls(
            interval=t.interval,
            candle_count=len(t.candles.value.candles),
            weight=t.weight,
            bias=summary.bias,
            last_close=summary.last_close,
            data=t,
            **origin(t.candles),
        )


@strawberry.type(
    name="Smc",
    description="Smart Money Concepts over one or several intervals, with a combined bias: "
    "the n-th shortest interval weighs n.",
)
class SmcType:
    bias: smc_engine.Bias = strawberry.field(description="The sign of the score.")
    score: float = strawberry.field(
        description="Weighted mean of the timeframes' biases (+1 bullish, -1 bearish, 0 neutral)."
    )
    aligned: bool = strawberry.field(description="Every timeframe has the same non-neutral bias.")
    conflict: bool = strawberry.field(description="One timeframe is bullish and another bearish.")
    against: list[str] = strawberry.field(description="Intervals opposing the combined bias.")
    timeframes: list[SmcTimeframeType] = strawberry.field(description="Shortest interval first.")

    @classmethod
    def from_result(cls, r: SmcResult) -> SmcType:
        c = r.combined
        return cls(
            bias=c.bias,
            score=c.score,
            aligned=c.aligned,
            conflict=c.conflict,
            against=list(c.against),
            timeframes=[SmcTimeframeType.from_timeframe(t) for t in r.timeframes],
        )


__all__ = ["SmcTimeframeType", "SmcType"]
