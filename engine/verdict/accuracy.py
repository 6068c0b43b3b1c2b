"""Accuracy: how a recorded verdict's trade went over the candles that followed it.

Pure: the recorded trade (direction, entry, stop, targets, size) and the later candles in,
one ``Outcome`` per horizon out (1 h, 4 h and 24 h by default); then win rates and average
returns over many outcomes, grouped by verdict kind, by mode, or by symbol and direction.

Per horizon ``h``, for a LONG (a SHORT mirrors every comparison and sign):

- The window is the candles that open at or after ``entry_time_ms`` and before
  ``entry_time_ms + h``. A candle that opened before the entry is left out: its high and low
  may come from before the trade existed. Candles must be closed, oldest first, each
  ``interval_ms`` long.
- ``complete``: the window covers the horizon: its first candle opens within one interval of
  the entry, each next one ``interval_ms`` after the previous (no gap where a hit could
  hide), and the last ends (open + interval) at or after ``entry_time_ms + h``.
- ``return_pct`` = ``100 * (close - entry) / entry`` at the window's newest candle (the
  horizon's close when complete, the latest so far when not); None with no candle yet.
- ``first_hit``: the candles are read in order; the first candle whose low reaches the stop
  (``low <= stop_loss``) or whose high reaches the first target (``high >= take_profits[0]``)
  decides it: STOP or TARGET1, else NEITHER. A candle that reaches both does not say which
  came first; it counts as STOP, the conservative reading (``both_in_one_candle`` is then
  True). ``hit_time_ms`` is that candle's open time (the hit happened within it). A hit is
  final even when the window is not yet complete.
- ``trade_return_pct``: the trade exits at the stop (STOP), at the first target (TARGET1),
  or at the window's newest close (NEITHER): ``100 * (exit - entry) / entry``. Exits fill
  exactly at the level: no slippage, no fees.
- ``pnl_pct_of_equity = trade_return_pct * position_pct_of_equity / 100 * multiplier``: the
  suggested size's gain or loss as a % of equity (at the stop, about ``-account_risk_pct *
  multiplier``).

Aggregates count complete outcomes of one horizon only. A *win* is a positive trade return
(target 1 first, or no level reached and the close in the trade's favour). Rows of every
verdict kind are counted the same way, as if the signal were traded along its direction, so
a good judge shows lower win rates for SKIP than for CONFIRM.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise
from typing import TypeVar

from engine.domain import Candle
from engine.signal.model import Direction, Mode
from engine.verdict.model import MAX_POSITION_MULTIPLIER, SizeHint, VerdictKind

HOUR_MS = 3_600_000
HORIZONS_MS = (HOUR_MS, 4 * HOUR_MS, 24 * HOUR_MS)

K = TypeVar("K", bound=Hashable)


class Hit(Enum):
    """Which level the price reached first: the stop, the first target, or neither yet."""

    STOP = "STOP"
    TARGET1 = "TARGET1"
    NEITHER = "NEITHER"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A recorded trade at one horizon (module docstring). Returns are direction-signed %."""

    horizon_ms: int
    complete: bool
    candles: int  # in the window
    return_pct: float | None
    first_hit: Hit
    hit_time_ms: int | None  # open time of the candle that reached the level
    both_in_one_candle: bool  # the deciding candle reached the stop and target 1
    trade_return_pct: float | None
    pnl_pct_of_equity: float | None


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """One outcome with what it is grouped by."""

    symbol: str
    direction: Direction
    mode: Mode
    verdict: VerdictKind
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Stats:
    """Complete outcomes of one horizon: counts, win rate and averages (None when none)."""

    count: int
    wins: int
    stop_first: int
    target_first: int
    win_rate_pct: float | None
    avg_return_pct: float | None  # the market's move at the horizon, along the direction
    avg_trade_return_pct: float | None  # what the trade made (exit at stop, target or close)
    avg_pnl_pct_of_equity: float | None  # at the suggested size


def _check(
    direction: Direction,
    entry: float,
    stop_loss: float,
    take_profits: Sequence[float],
    position_multiplier: float,
    interval_ms: int,
    horizons: Sequence[int],
) -> None:
    if direction is Direction.NEUTRAL:
        raise ValueError("a NEUTRAL signal has no trade to evaluate")
    if not (math.isfinite(entry) and entry > 0):
        raise ValueError(f"entry must be a positive price, got {entry}")
    if not take_profits:
        raise ValueError("take_profits must name at least one target")
    sign = 1.0 if direction is Direction.LONG else -1.0
    if not sign * (entry - stop_loss) > 0:
        raise ValueError(
            f"stop {stop_loss} is not on the losing side of {entry} for a {direction.value}"
        )
    if not sign * (take_profits[0] - entry) > 0:
        raise ValueError(
            f"target {take_profits[0]} is not on the winning side of {entry} for a {direction.value}"
        )
    if not 0 <= position_multiplier <= MAX_POSITION_MULTIPLIER:
        raise ValueError(f"position_multiplier must be within 0..1.5, got {position_multiplier}")
    if interval_ms <= 0 or not horizons or any(h <= 0 for h in horizons):
        raise ValueError("interval_ms and every horizon must be positive")


def _window(candles: Sequence[Candle], start_ms: int, end_ms: int) -> list[Candle]:
    return [c for c in candles if start_ms <= c.open_time_ms < end_ms]


def _covers(window: Sequence[Candle], start_ms: int, end_ms: int, interval_ms: int) -> bool:
    if not window or window[0].open_time_ms >= start_ms + interval_ms:
        return False
    contiguous = all(b.open_time_ms - a.open_time_ms == interval_ms for a, b in pairwise(window))
    return contiguous and window[-1].open_time_ms + interval_ms >= end_ms


def _first_hit(
    window: Sequence[Candle], sign: float, stop_loss: float, target: float
) -> tuple[Hit, Candle | None, bool]:
    for c in window:
        # times sign, a SHORT's comparisons read as a LONG's (its worst price is the high)
        worst, best = (c.low, c.high) if sign > 0 else (c.high, c.low)
        stopped = sign * worst <= sign * stop_loss
        reached = sign * best >= sign * target
        if stopped:  # both in one candle: the order inside it is unknown, take the stop
            return Hit.STOP, c, reached
        if reached:
            return Hit.TARGET1, c, False
    return Hit.NEITHER, None, False


def evaluate(
    direction: Direction,
    entry: float,
    entry_time_ms: int,
    stop_loss: float,
    take_profits: Sequence[float],
    position_multiplier: float,
    size_hint: SizeHint,
    candles_after: Sequence[Candle],
    *,
    interval_ms: int,
    horizons: Sequence[int] = HORIZONS_MS,
) -> tuple[Outcome, ...]:
    """One ``Outcome`` per horizon (ms after ``entry_time_ms``), by the module docstring's
    rules. ``candles_after``: closed candles of ``interval_ms``, oldest first (earlier ones
    are ignored). Raises ValueError for a NEUTRAL direction, a stop or first target on the
    wrong side of the entry, a multiplier outside 0..1.5, or a non-positive interval or
    horizon.
    """
    _check(direction, entry, stop_loss, take_profits, position_multiplier, interval_ms, horizons)
    sign = 1.0 if direction is Direction.LONG else -1.0

    def signed_pct(price: float) -> float:
        return sign * 100.0 * (price - entry) / entry

    outcomes = []
    for horizon_ms in horizons:
        end_ms = entry_time_ms + horizon_ms
        window = _window(candles_after, entry_time_ms, end_ms)
        hit, candle, both = _first_hit(window, sign, stop_loss, take_profits[0])
        return_pct = signed_pct(window[-1].close) if window else None
        exit_pct = {
            Hit.STOP: signed_pct(stop_loss),
            Hit.TARGET1: signed_pct(take_profits[0]),
            Hit.NEITHER: return_pct,
        }[hit]
        pnl = (
            None
            if exit_pct is None
            else exit_pct * size_hint.position_pct_of_equity / 100.0 * position_multiplier
        )
        outcomes.append(
            Outcome(
                horizon_ms=horizon_ms,
                complete=_covers(window, entry_time_ms, end_ms, interval_ms),
                candles=len(window),
                return_pct=return_pct,
                first_hit=hit,
                hit_time_ms=None if candle is None else candle.open_time_ms,
                both_in_one_candle=both,
                trade_return_pct=exit_pct,
                pnl_pct_of_equity=pnl,
            )
        )
    return tuple(outcomes)


# --- aggregates --------------------------------------------------------------------------------


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def stats(rows: Iterable[OutcomeRow], horizon_ms: int) -> Stats:
    """Counts, win rate (%) and average returns over the complete outcomes at ``horizon_ms``."""
    done = [r.outcome for r in rows if r.outcome.horizon_ms == horizon_ms and r.outcome.complete]
    trade = [o.trade_return_pct for o in done if o.trade_return_pct is not None]
    wins = sum(1 for value in trade if value > 0)
    return Stats(
        count=len(done),
        wins=wins,
        stop_first=sum(1 for o in done if o.first_hit is Hit.STOP),
        target_first=sum(1 for o in done if o.first_hit is Hit.TARGET1),
        win_rate_pct=100.0 * wins / len(done) if done else None,
        avg_return_pct=_mean([o.return_pct for o in done if o.return_pct is not None]),
        avg_trade_return_pct=_mean(trade),
        avg_pnl_pct_of_equity=_mean(
            [o.pnl_pct_of_equity for o in done if o.pnl_pct_of_equity is not None]
        ),
    )


def group_stats(
    rows: Iterable[OutcomeRow], horizon_ms: int, key: Callable[[OutcomeRow], K]
) -> dict[K, Stats]:
    """``stats`` per ``key(row)``, keys in order of first appearance; a group whose outcomes
    at ``horizon_ms`` are all incomplete is listed with count 0."""
    groups: dict[K, list[OutcomeRow]] = {}
    for row in rows:
        if row.outcome.horizon_ms == horizon_ms:
            groups.setdefault(key(row), []).append(row)
    return {k: stats(group, horizon_ms) for k, group in groups.items()}


def by_verdict(rows: Iterable[OutcomeRow], horizon_ms: int) -> Mapping[VerdictKind, Stats]:
    """Stats per verdict kind, in ``VerdictKind`` order."""
    found = group_stats(rows, horizon_ms, lambda r: r.verdict)
    return {k: found[k] for k in VerdictKind if k in found}


def by_mode(rows: Iterable[OutcomeRow], horizon_ms: int) -> Mapping[Mode, Stats]:
    """Stats per signal mode, in ``Mode`` order."""
    found = group_stats(rows, horizon_ms, lambda r: r.mode)
    return {k: found[k] for k in Mode if k in found}


def by_symbol_direction(
    rows: Iterable[OutcomeRow], horizon_ms: int
) -> Mapping[tuple[str, Direction], Stats]:
    """Stats per (symbol, direction), by symbol, then LONG before SHORT."""
    found = group_stats(rows, horizon_ms, lambda r: (r.symbol, r.direction))
    order = list(Direction)
    return {k: found[k] for k in sorted(found, key=lambda k: (k[0], order.index(k[1])))}


__all__ = [
    "HORIZONS_MS",
    "Hit",
    "Outcome",
    "OutcomeRow",
    "Stats",
    "by_mode",
    "by_symbol_direction",
    "by_verdict",
    "evaluate",
    "group_stats",
    "stats",
]
