"""Frozen types of a verdict: whether to act on a signal, how big, where the stop and targets go.

A signal says where the score points; a ``Verdict`` says what to do about it. The trade plan
(``TradePlan``) is always computed by the engine from real candles (``engine.verdict.plan``);
a judge, rule-based or AI, only decides the verdict, the risk mode and the size multiplier.
Prices are in the quote currency, percentages are percent (1.5 means 1.5 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from engine.signal.model import Direction

MAX_POSITION_MULTIPLIER = 1.5  # a verdict's size is at most 1.5 times the size hint


class VerdictKind(Enum):
    """What to do with a signal.

    CONFIRM: trade it as planned, at ``position_multiplier`` times the size hint.
    DOWNSIZE: trade it, smaller than the same signal would get without its warnings.
    SKIP: the signal has a direction but it should not be traded (multiplier 0).
    WAIT: the signal has no direction (NEUTRAL); nothing to act on yet (multiplier 0).
    """

    CONFIRM = "CONFIRM"
    DOWNSIZE = "DOWNSIZE"
    SKIP = "SKIP"
    WAIT = "WAIT"


class RiskMode(Enum):
    """How cautiously to handle the trade, beyond its size.

    NORMAL: conditions as expected (no risk warning): follow the whole plan, every target.
    REDUCED: one risk warning: trade the smaller size; consider taking profit earlier.
    DEFENSIVE: protect capital: no new position (SKIP, WAIT), or a position taken in high
        volatility or against several warnings: take profit at the first target, keep the stop.
    """

    NORMAL = "NORMAL"
    REDUCED = "REDUCED"
    DEFENSIVE = "DEFENSIVE"


class Judge(Enum):
    """Who decided the verdict: the AI model, or the documented rules (``engine.verdict.rules``)."""

    AI = "AI"
    RULES = "RULES"


class CheckKind(Enum):
    """SUPPORT: one factor of the signal read as evidence for or against its direction.
    WARNING: one risk check (volatility, data quality, stale sources, ...)."""

    SUPPORT = "SUPPORT"
    WARNING = "WARNING"


@dataclass(frozen=True, slots=True)
class LayerCheck:
    """One line of a verdict's reasoning. ``passed`` is True when the check favours acting:
    a factor pointing the signal's way (SUPPORT), a risk that is not present (WARNING)."""

    name: str  # a factor's name (SUPPORT) or a risk check's name (WARNING)
    kind: CheckKind
    passed: bool
    detail: str  # one line with the figures behind the check


@dataclass(frozen=True, slots=True)
class SizeHint:
    """How big a position keeps the loss at the stop to ``account_risk_pct`` of equity.

    ``position_pct_of_equity = 100 * account_risk_pct / stop_distance_pct``: the position's
    notional as a percentage of account equity (risking 1 % with a 2 % stop is a position of
    50 % of equity). ``leverage_needed = position_pct_of_equity / 100``: the notional over the
    equity, the least leverage that opens the position (at or below 1: no leverage needed).
    A verdict's ``position_multiplier`` scales the position (and the risk) further.
    """

    account_risk_pct: float  # loss at the stop, % of equity, before the multiplier
    stop_distance_pct: float  # |entry - stop| / entry, %
    position_pct_of_equity: float
    leverage_needed: float


@dataclass(frozen=True, slots=True)
class TradePlan:
    """Entry, ATR-based stop and targets for a LONG or SHORT, from real candles.

    ``entry`` is the last candle's close; ``atr`` the average true range of the candles given
    (quote currency, their interval) and ``atr_pct = 100 * atr / entry``. Targets are nearest
    first; ``risk_reward[i] = |take_profits[i] - entry| / |entry - stop_loss|``.
    """

    direction: Direction  # LONG or SHORT, never NEUTRAL
    entry: float
    atr: float
    atr_pct: float
    stop_loss: float
    take_profits: tuple[float, ...]  # nearest first
    risk_reward: tuple[float, ...]  # one per target
    size_hint: SizeHint
    text: str  # the plan as one paragraph


@dataclass(frozen=True, slots=True)
class Verdict:
    """A judge's answer about one signal.

    ``position_multiplier`` (0 to 1.5) scales ``plan.size_hint``: 1.0 is the full hint, 0 is
    no position (always 0 for SKIP and WAIT). ``plan`` is None when no plan could be made
    (NEUTRAL signal, too few candles). ``model`` and ``latency_ms`` describe the AI call
    (``model`` is None when the rules answered; ``latency_ms`` may then be the time a failed
    AI call took). ``fallback_reason`` says why the rules answered in place of the AI; None
    when the AI answered or the rules were asked directly.
    """

    verdict: VerdictKind
    risk_mode: RiskMode
    position_multiplier: float
    summary: str
    checks: tuple[LayerCheck, ...]
    plan: TradePlan | None
    judge: Judge
    model: str | None = None
    latency_ms: float | None = None
    fallback_reason: str | None = None


__all__ = [
    "MAX_POSITION_MULTIPLIER",
    "CheckKind",
    "Judge",
    "LayerCheck",
    "RiskMode",
    "SizeHint",
    "TradePlan",
    "Verdict",
    "VerdictKind",
]
