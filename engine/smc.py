"""Smart Money Concepts (SMC) read from a candle series, oldest first.

Terms, as this module computes them (``L`` is ``SmcParams.swing_length``; "index" is a
position in the input sequence; prices are in the candles' quote currency):

- **Swing high**: candle ``i`` whose high is strictly above the highs of the ``L`` candles
  on each side; **swing low** mirrors it with lows. A swing is *confirmed* at candle
  ``i + L``, so the last ``L`` candles never hold one. One candle can be both.
- **Structure**: walking the candles in order, the reference high (low) is the most recently
  confirmed swing high (low) that no close has broken yet; it counts from the candle after
  its confirmation, and a newer swing replaces it even when lower (higher). A close
  strictly above the reference high is a bullish break, strictly below the reference low a bearish break; the
  broken level is then spent. A break in the direction of the current trend is a **BOS**
  (break of structure), against it a **CHoCH** (change of character). The trend starts
  NEUTRAL and takes the direction of every break; the first break is a BOS.
- **Fair value gap (FVG)**: three candles ``i - 2, i - 1, i`` with
  ``high[i-2] < low[i]`` (bullish, the gap is ``high[i-2]..low[i]``) or
  ``low[i-2] > high[i]`` (bearish, ``high[i]..low[i-2]``), reported at the middle candle.
- **Liquidity pool**: consecutive swing highs (lows) whose prices spread by at most
  ``equal_tolerance_pct`` % of the first one's price: equal highs (lows), where stop orders
  rest. Its level is the highest high (lowest low); it is *swept* by the first candle after
  its last swing trading strictly beyond that level.
- **Order block (OB)**: for each break, the last candle of the opposite colour before the
  breaking candle (bearish ``close < open`` for a bullish break, bullish for a bearish one),
  searched back no further than the broken swing; its zone is that candle's low..high.
  A candle is one block at most, for the first break it precedes.
- **Mitigated**: a bullish FVG or OB is mitigated by the first candle after it is known
  (after the gap's third candle, after the block's breaking candle) whose low reaches its
  bottom; a bearish one by a high reaching its top: price went all the way through.

Everything is pure and index-based: the same candles give the same answer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise
from typing import TypeVar

from engine.domain import Candle
from engine.intervals import INTERVAL_MS

SWING_LENGTH = 3  # candles each side of a swing, by default
EQUAL_TOLERANCE_PCT = 0.1  # equal highs/lows spread, % of price, by default


class Direction(Enum):
    BULLISH = "BULLISH"
    BEARISH = "BEARISH"


class Bias(Enum):
    BULLISH = "BULLISH"
    BEARISH = "BEARISH"
    NEUTRAL = "NEUTRAL"


class SwingKind(Enum):
    HIGH = "HIGH"
    LOW = "LOW"


class BreakKind(Enum):
    BOS = "BOS"  # break of structure: with the trend
    CHOCH = "CHOCH"  # change of character: against the trend, which flips


class LiquidityKind(Enum):
    EQUAL_HIGHS = "EQUAL_HIGHS"
    EQUAL_LOWS = "EQUAL_LOWS"


@dataclass(frozen=True, slots=True)
class SmcParams:
    """``swing_length``: candles each side of a swing (>= 1). ``fvg_min_size_pct``: gaps
    narrower than this % of the middle candle's close are ignored (0 keeps every gap).
    ``equal_tolerance_pct``: the largest spread of an equal-highs/lows cluster, in % of its
    first swing's price."""

    swing_length: int = SWING_LENGTH
    fvg_min_size_pct: float = 0.0
    equal_tolerance_pct: float = EQUAL_TOLERANCE_PCT

    def __post_init__(self) -> None:
        _check_length(self.swing_length)
        _check_pct("fvg_min_size_pct", self.fvg_min_size_pct)
        _check_pct("equal_tolerance_pct", self.equal_tolerance_pct)


@dataclass(frozen=True, slots=True)
class Swing:
    kind: SwingKind
    index: int
    open_time_ms: int
    price: float  # the candle's high (HIGH) or low (LOW)
    confirmed_index: int  # index + swing_length: the first candle that knows it


@dataclass(frozen=True, slots=True)
class StructureBreak:
    kind: BreakKind
    direction: Direction
    level: float  # the broken swing's price
    swing_index: int
    swing_time_ms: int
    index: int  # the candle whose close broke the level
    open_time_ms: int
    close: float


@dataclass(frozen=True, slots=True)
class FairValueGap:
    direction: Direction
    index: int  # the middle candle of the three
    open_time_ms: int
    top: float
    bottom: float
    mitigated_index: int | None  # first candle after the third that went through the gap
    mitigated_time_ms: int | None

    @property
    def mitigated(self) -> bool:
        return self.mitigated_index is not None


@dataclass(frozen=True, slots=True)
class LiquidityPool:
    kind: LiquidityKind
    level: float  # highest of equal highs, lowest of equal lows
    swing_indexes: tuple[int, ...]  # two or more, oldest first
    swing_times_ms: tuple[int, ...]
    swept_index: int | None  # first candle after the last swing trading beyond ``level``
    swept_time_ms: int | None

    @property
    def swept(self) -> bool:
        return self.swept_index is not None


@dataclass(frozen=True, slots=True)
class OrderBlock:
    direction: Direction  # the break's direction
    index: int
    open_time_ms: int
    top: float  # the candle's high
    bottom: float  # the candle's low
    break_index: int  # the candle that broke structure; mitigation is looked for after it
    mitigated_index: int | None
    mitigated_time_ms: int | None

    @property
    def mitigated(self) -> bool:
        return self.mitigated_index is not None


@dataclass(frozen=True, slots=True)
class SmcSummary:
    """Where the series stands at its last candle.

    ``bias`` is the direction of the latest break (NEUTRAL before any). "Above" means a
    zone's bottom is above the last close, "below" its top is below it; the nearest is the
    one with the smallest gap to the close (the most recent on a tie). Unmitigated zones
    that contain the last close are listed in ``*_at_close`` instead.
    """

    bias: Bias
    last_break: StructureBreak | None
    last_swing_high: Swing | None
    last_swing_low: Swing | None
    last_close: float | None
    fvg_above: FairValueGap | None
    fvg_below: FairValueGap | None
    fvgs_at_close: tuple[FairValueGap, ...]
    order_block_above: OrderBlock | None
    order_block_below: OrderBlock | None
    order_blocks_at_close: tuple[OrderBlock, ...]


@dataclass(frozen=True, slots=True)
class SmcAnalysis:
    params: SmcParams
    swings: tuple[Swing, ...]
    breaks: tuple[StructureBreak, ...]
    fair_value_gaps: tuple[FairValueGap, ...]
    liquidity: tuple[LiquidityPool, ...]
    order_blocks: tuple[OrderBlock, ...]
    summary: SmcSummary


@dataclass(frozen=True, slots=True)
class TimeframeBias:
    interval: str
    bias: Bias
    weight: int


@dataclass(frozen=True, slots=True)
class MultiTimeframeBias:
    """See ``combine_timeframes``. ``score`` is in -1..1 (+1: every timeframe bullish)."""

    bias: Bias
    score: float
    timeframes: tuple[TimeframeBias, ...]  # shortest interval first
    aligned: bool  # every timeframe has the same non-neutral bias
    conflict: bool  # at least one timeframe is bullish and another bearish
    against: tuple[str, ...]  # intervals whose bias opposes the combined one


def _check_length(length: int) -> None:
    if isinstance(length, bool) or not isinstance(length, int) or length < 1:
        raise ValueError(f"swing_length must be an integer >= 1, got {length!r}")


def _check_pct(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")


def _check_order(candles: Sequence[Candle]) -> None:
    for before, after in pairwise(candles):
        if after.open_time_ms <= before.open_time_ms:
            raise ValueError(
                f"candles must be oldest first with distinct open times: "
                f"{after.open_time_ms} follows {before.open_time_ms}"
            )


def _swings(candles: Sequence[Candle], length: int) -> tuple[Swing, ...]:
    found: list[Swing] = []
    for i in range(length, len(candles) - length):
        c = candles[i]
        others = [*candles[i - length : i], *candles[i + 1 : i + length + 1]]
        if all(c.high > o.high for o in others):
            found.append(Swing(SwingKind.HIGH, i, c.open_time_ms, c.high, i + length))
        if all(c.low < o.low for o in others):
            found.append(Swing(SwingKind.LOW, i, c.open_time_ms, c.low, i + length))
    return tuple(found)


def swing_points(candles: Sequence[Candle], length: int = SWING_LENGTH) -> tuple[Swing, ...]:
    """Confirmed fractal swing highs and lows (module docstring), by index, HIGH first."""
    _check_length(length)
    _check_order(candles)
    return _swings(candles, length)


_BREAK_SIDES = ((SwingKind.HIGH, Direction.BULLISH), (SwingKind.LOW, Direction.BEARISH))


def _breaks(candles: Sequence[Candle], swings: Sequence[Swing]) -> tuple[StructureBreak, ...]:
    confirmed: dict[int, list[Swing]] = {}
    for s in swings:
        confirmed.setdefault(s.confirmed_index, []).append(s)
    trend = Bias.NEUTRAL
    ref: dict[SwingKind, Swing | None] = {SwingKind.HIGH: None, SwingKind.LOW: None}
    found: list[StructureBreak] = []
    for k, c in enumerate(candles):
        for kind, direction in _BREAK_SIDES:
            level = ref[kind]
            if level is None:
                continue
            beyond = c.close > level.price if kind is SwingKind.HIGH else c.close < level.price
            if not beyond:
                continue
            against = trend is not Bias.NEUTRAL and trend.value != direction.value
            found.append(
                StructureBreak(
                    kind=BreakKind.CHOCH if against else BreakKind.BOS,
                    direction=direction,
                    level=level.price,
                    swing_index=level.index,
                    swing_time_ms=level.open_time_ms,
                    index=k,
                    open_time_ms=c.open_time_ms,
                    close=c.close,
                )
            )
            trend = Bias(direction.value)
            ref[kind] = None
        # a swing confirmed by this candle is a reference from the next one on (no look-ahead;
        # the confirming candle could not close beyond it anyway)
        for s in confirmed.get(k, ()):
            ref[s.kind] = s
    return tuple(found)


def structure_breaks(
    candles: Sequence[Candle], length: int = SWING_LENGTH
) -> tuple[StructureBreak, ...]:
    """Every BOS and CHoCH over the swings of ``length`` (module docstring), oldest first."""
    return _breaks(candles, swing_points(candles, length))


def _through(
    candles: Sequence[Candle], start: int, direction: Direction, top: float, bottom: float
) -> int | None:
    """The first index from ``start`` whose price reaches the zone's far edge."""
    for j in range(start, len(candles)):
        c = candles[j]
        if direction is Direction.BULLISH and c.low <= bottom:
            return j
        if direction is Direction.BEARISH and c.high >= top:
            return j
    return None


def _time(candles: Sequence[Candle], index: int | None) -> int | None:
    return None if index is None else candles[index].open_time_ms


def fair_value_gaps(
    candles: Sequence[Candle], min_size_pct: float = 0.0
) -> tuple[FairValueGap, ...]:
    """Three-candle gaps (module docstring) at least ``min_size_pct`` % of the middle
    candle's close wide, with their mitigation by the candles after the third."""
    _check_pct("fvg_min_size_pct", min_size_pct)
    _check_order(candles)
    found: list[FairValueGap] = []
    for i in range(2, len(candles)):
        first, middle, third = candles[i - 2], candles[i - 1], candles[i]
        if first.high < third.low:
            direction, top, bottom = Direction.BULLISH, third.low, first.high
        elif first.low > third.high:
            direction, top, bottom = Direction.BEARISH, first.low, third.high
        else:
            continue
        if top - bottom < min_size_pct / 100.0 * abs(middle.close):
            continue
        hit = _through(candles, i + 1, direction, top, bottom)
        found.append(
            FairValueGap(
                direction, i - 1, middle.open_time_ms, top, bottom, hit, _time(candles, hit)
            )
        )
    return tuple(found)


_POOL_SIDES = (
    (SwingKind.HIGH, LiquidityKind.EQUAL_HIGHS),
    (SwingKind.LOW, LiquidityKind.EQUAL_LOWS),
)


def _pools(
    candles: Sequence[Candle], swings: Sequence[Swing], tolerance_pct: float
) -> tuple[LiquidityPool, ...]:
    found: list[LiquidityPool] = []
    for kind, pool_kind in _POOL_SIDES:
        clusters: list[list[Swing]] = []
        for s in (s for s in swings if s.kind is kind):
            group = clusters[-1] if clusters else None
            if group is not None:
                prices = [g.price for g in group] + [s.price]
                if max(prices) - min(prices) <= tolerance_pct / 100.0 * abs(group[0].price):
                    group.append(s)
                    continue
            clusters.append([s])
        for group in clusters:
            if len(group) < 2:
                continue
            high = kind is SwingKind.HIGH
            level = max(g.price for g in group) if high else min(g.price for g in group)
            swept = next(
                (
                    j
                    for j in range(group[-1].index + 1, len(candles))
                    if (candles[j].high > level if high else candles[j].low < level)
                ),
                None,
            )
            found.append(
                LiquidityPool(
                    pool_kind,
                    level,
                    tuple(g.index for g in group),
                    tuple(g.open_time_ms for g in group),
                    swept,
                    _time(candles, swept),
                )
            )
    return tuple(sorted(found, key=lambda p: p.swing_indexes[-1]))


def liquidity_pools(
    candles: Sequence[Candle],
    length: int = SWING_LENGTH,
    tolerance_pct: float = EQUAL_TOLERANCE_PCT,
) -> tuple[LiquidityPool, ...]:
    """Equal highs and equal lows (module docstring), ordered by their last swing."""
    _check_pct("equal_tolerance_pct", tolerance_pct)
    return _pools(candles, swing_points(candles, length), tolerance_pct)


def _last_opposite(candles: Sequence[Candle], b: StructureBreak) -> int | None:
    """The last candle before the break, back to the broken swing, coloured against it."""
    for j in range(b.index - 1, b.swing_index - 1, -1):
        c = candles[j]
        if b.direction is Direction.BULLISH and c.close < c.open:
            return j
        if b.direction is Direction.BEARISH and c.close > c.open:
            return j
    return None


def _order_blocks(
    candles: Sequence[Candle], breaks: Sequence[StructureBreak]
) -> tuple[OrderBlock, ...]:
    found: list[OrderBlock] = []
    seen: set[tuple[int, Direction]] = set()
    for b in breaks:
        j = _last_opposite(candles, b)
        if j is None or (j, b.direction) in seen:  # one candle, one block: its first break
            continue
        seen.add((j, b.direction))
        c = candles[j]
        hit = _through(candles, b.index + 1, b.direction, c.high, c.low)
        found.append(
            OrderBlock(
                b.direction, j, c.open_time_ms, c.high, c.low, b.index, hit, _time(candles, hit)
            )
        )
    return tuple(found)


def order_blocks(candles: Sequence[Candle], length: int = SWING_LENGTH) -> tuple[OrderBlock, ...]:
    """The order block of every BOS/CHoCH (module docstring), in the order of the breaks."""
    return _order_blocks(candles, structure_breaks(candles, length))


_Zone = TypeVar("_Zone", FairValueGap, OrderBlock)


def _nearest(
    zones: Sequence[_Zone], close: float
) -> tuple[_Zone | None, _Zone | None, tuple[_Zone, ...]]:
    open_zones = [z for z in zones if not z.mitigated]
    above = [z for z in open_zones if z.bottom > close]
    below = [z for z in open_zones if z.top < close]
    inside = tuple(z for z in open_zones if z.bottom <= close <= z.top)
    up = min(above, key=lambda z: (z.bottom - close, -z.index), default=None)
    down = min(below, key=lambda z: (close - z.top, -z.index), default=None)
    return up, down, inside


def analyze_smc(candles: Sequence[Candle], params: SmcParams | None = None) -> SmcAnalysis:
    """Swings, breaks, FVGs, liquidity pools, order blocks and a summary of ``candles``
    (oldest first, distinct open times). Fewer than three candles give empty results."""
    p = SmcParams() if params is None else params
    swings = swing_points(candles, p.swing_length)
    breaks = _breaks(candles, swings)
    gaps = fair_value_gaps(candles, p.fvg_min_size_pct)
    blocks = _order_blocks(candles, breaks)
    close = candles[-1].close if candles else None
    highs = [s for s in swings if s.kind is SwingKind.HIGH]
    lows = [s for s in swings if s.kind is SwingKind.LOW]
    fvg_up, fvg_down, fvg_in = _nearest(gaps, close) if close is not None else (None, None, ())
    ob_up, ob_down, ob_in = _nearest(blocks, close) if close is not None else (None, None, ())
    summary = SmcSummary(
        bias=Bias(breaks[-1].direction.value) if breaks else Bias.NEUTRAL,
        last_break=breaks[-1] if breaks else None,
        last_swing_high=highs[-1] if highs else None,
        last_swing_low=lows[-1] if lows else None,
        last_close=close,
        fvg_above=fvg_up,
        fvg_below=fvg_down,
        fvgs_at_close=fvg_in,
        order_block_above=ob_up,
        order_block_below=ob_down,
        order_blocks_at_close=ob_in,
    )
    pools = _pools(candles, swings, p.equal_tolerance_pct)
    return SmcAnalysis(p, swings, breaks, gaps, pools, blocks, summary)


_SIGN = {Bias.BULLISH: 1, Bias.BEARISH: -1, Bias.NEUTRAL: 0}


def combine_timeframes(analyses: Mapping[str, SmcAnalysis]) -> MultiTimeframeBias:
    """One bias from several intervals' analyses (keys: interval names such as "15m").

    Intervals are ranked by length; the ``n``-th shortest weighs ``n``, so higher
    timeframes weigh more. ``score = sum(weight * s) / sum(weight)`` with ``s`` = +1
    bullish, -1 bearish, 0 neutral; the combined bias is the sign of the score (NEUTRAL at
    0, or when there is no analysis).
    """
    unknown = sorted(k for k in analyses if k not in INTERVAL_MS)
    if unknown:
        raise ValueError(f"unknown intervals {unknown}; known: {sorted(INTERVAL_MS)}")
    ordered = sorted(analyses, key=INTERVAL_MS.__getitem__)
    frames = tuple(
        TimeframeBias(name, analyses[name].summary.bias, rank)
        for rank, name in enumerate(ordered, start=1)
    )
    total = sum(f.weight * _SIGN[f.bias] for f in frames)
    weights = sum(f.weight for f in frames)
    bias = Bias.BULLISH if total > 0 else Bias.BEARISH if total < 0 else Bias.NEUTRAL
    biases = {f.bias for f in frames}
    return MultiTimeframeBias(
        bias=bias,
        score=total / weights if weights else 0.0,
        timeframes=frames,
        aligned=len(biases) == 1 and Bias.NEUTRAL not in biases,
        conflict={Bias.BULLISH, Bias.BEARISH} <= biases,
        against=tuple(f.interval for f in frames if _SIGN[f.bias] * _SIGN[bias] < 0),
    )


__all__ = [
    "EQUAL_TOLERANCE_PCT",
    "SWING_LENGTH",
    "Bias",
    "BreakKind",
    "Direction",
    "FairValueGap",
    "LiquidityKind",
    "LiquidityPool",
    "MultiTimeframeBias",
    "OrderBlock",
    "SmcAnalysis",
    "SmcParams",
    "SmcSummary",
    "StructureBreak",
    "Swing",
    "SwingKind",
    "TimeframeBias",
    "analyze_smc",
    "combine_timeframes",
    "fair_value_gaps",
    "liquidity_pools",
    "order_blocks",
    "structure_breaks",
    "swing_points",
]
