"""The rule judge: from a signal and its trade plan to a verdict, a risk mode and a size.

Pure: a ``SignalResult`` and the engine's ``TradePlan`` in, a ``Verdict`` (judge RULES) out.
The same rules answer whenever the AI judge cannot (``engine.verdict.ai.fallback``).

Terms: ``distance`` = points past the crossed threshold (score - long threshold for a LONG,
short threshold - score for a SHORT). A factor with data is *for* the direction when its
contribution points that way (positive for a LONG, negative for a SHORT), *against* when it
points the other way, neutral at exactly 0. ``against share`` = the points against over the
points for and against (|contribution| summed). Volatility is ``plan.atr_pct``; its limits
are set for 1 h candles, the timeframe the signal reads.

The rules, in order; the first that decides the verdict ends the list:

1. A NEUTRAL signal gives WAIT, DEFENSIVE, multiplier 0: there is no direction to act on
   (the score is between the thresholds, or data quality is below the minimum).
2. No trade plan (too few candles for the ATR) gives SKIP: no stop can be placed, and a
   trade without a stop is not taken.
3. Extreme volatility, ATR at or above ``EXTREME_ATR_PCT`` (4 %) of the price, gives SKIP:
   the 1.5-ATR stop would be 6 % away and stops slip most when the market moves fastest. No
   recorded hour of BTC, ETH or SOL reached it (March 2025); ETH's 4-hour candles did.
4. A contested signal, against share at or above ``CONTESTED_SHARE`` (40 %), gives SKIP: for
   every 3 points pushing the score one way, 2 or more push it back.
5. Five risk checks (WARNING). Each one raised cuts the size, except low confidence, whose
   cut is already in the base of rule 6:
   a. ``volatility``: ATR at or above ``HIGH_ATR_PCT`` (2 %; in the recorded March 2025
      hours that is above BTC's 99th percentile, 1.8 %, and at SOL's 90th): x 0.5, for
      slippage and whipsaws around a wider stop;
   b. ``data_quality``: quality below ``LOW_QUALITY_PCT`` (70 %: nearly a third of the
      weighted sources missing): x 0.75;
   c. ``stale_sources``: any source served stale (past its TTL): x 0.75;
   d. ``factors_against``: against share at or above ``AGAINST_SHARE`` (25 %): x 0.75;
   e. ``confidence``: LOW confidence (no cut here).
6. ``multiplier = base(confidence) x mode scale x the cuts of rule 5``, at most 1.5, rounded
   to 2 decimals. Base: HIGH 1.2, MEDIUM 1.0, LOW 0.6. Mode scale: CONSERVATIVE 1.25 (its
   directions need strong agreement; best for larger positions), AGGRESSIVE 1.0, ULTRA 0.5
   (almost any lean gives a direction: small positions). The largest, 1.2 x 1.25, is 1.5.
7. A multiplier below ``MIN_MULTIPLIER`` (0.25) gives SKIP with multiplier 0: the warnings
   have left a position too small to be worth its fees and attention.
8. No warning raised (confidence MEDIUM or HIGH included) gives CONFIRM; otherwise DOWNSIZE
   (smaller than the same signal would get without its warnings).
9. Risk mode: DEFENSIVE for SKIP and WAIT, with high volatility, or with two or more warnings
   raised (low confidence counts); REDUCED with exactly one; NORMAL with none.

Layer checks: one SUPPORT check per factor with data, in the signal's factor order (passed
when it is for the direction), then the five WARNING checks of rule 5 in that order (passed
when not raised). A NEUTRAL signal has only the direction-free checks: volatility (when a
plan is given), data quality and stale sources.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from engine.signal.model import (
    Confidence,
    Direction,
    FactorResult,
    Mode,
    SignalResult,
    SourceState,
)
from engine.verdict.model import (
    MAX_POSITION_MULTIPLIER,
    CheckKind,
    Judge,
    LayerCheck,
    RiskMode,
    TradePlan,
    Verdict,
    VerdictKind,
)

HIGH_ATR_PCT = 2.0
EXTREME_ATR_PCT = 4.0
LOW_QUALITY_PCT = 70.0
AGAINST_SHARE = 0.25
CONTESTED_SHARE = 0.40
MIN_MULTIPLIER = 0.25
BASE_MULTIPLIER: Mapping[Confidence, float] = MappingProxyType(
    {Confidence.HIGH: 1.2, Confidence.MEDIUM: 1.0, Confidence.LOW: 0.6}
)
MODE_SCALE: Mapping[Mode, float] = MappingProxyType(
    {Mode.CONSERVATIVE: 1.25, Mode.AGGRESSIVE: 1.0, Mode.ULTRA: 0.5}
)
# The cut of each raised warning (rule 5); confidence has none: its cut is the base.
WARNING_CUT: Mapping[str, float] = MappingProxyType(
    {"volatility": 0.5, "data_quality": 0.75, "stale_sources": 0.75, "factors_against": 0.75}
)
WARNING_LABEL: Mapping[str, str] = MappingProxyType(
    {
        "volatility": "high volatility",
        "data_quality": "low data quality",
        "stale_sources": "stale sources",
        "factors_against": "factors against",
        "confidence": "low confidence",
    }
)


@dataclass(frozen=True, slots=True)
class Balance:
    """Points (|contribution|) for and against a direction over the factors with data."""

    points_for: float
    points_against: float
    factors_for: int
    factors_against: int
    factors: int  # with data

    @property
    def against_share(self) -> float:
        total = self.points_for + self.points_against
        return self.points_against / total if total > 0 else 0.0


def _sign(direction: Direction) -> float:
    return {Direction.LONG: 1.0, Direction.SHORT: -1.0}.get(direction, 0.0)


def balance(signal: SignalResult) -> Balance:
    """How the factors with data divide between for and against the signal's direction."""
    sign = _sign(signal.direction)
    pro = con = 0.0
    n_pro = n_con = n = 0
    for f in signal.factors:
        if not f.available:
            continue
        n += 1
        signed = sign * f.contribution
        if signed > 0:
            pro, n_pro = pro + signed, n_pro + 1
        elif signed < 0:
            con, n_con = con - signed, n_con + 1
    return Balance(pro, con, n_pro, n_con, n)


def distance(signal: SignalResult) -> float:
    """Score points past the crossed threshold; 0 for NEUTRAL."""
    if signal.direction is Direction.LONG:
        return signal.score - signal.mode.long_at_or_above
    if signal.direction is Direction.SHORT:
        return signal.mode.short_at_or_below - signal.score
    return 0.0


# --- checks -----------------------------------------------------------------------------------


def _support(f: FactorResult, direction: Direction) -> LayerCheck:
    signed = _sign(direction) * f.contribution
    side = "for" if signed > 0 else "against" if signed < 0 else "neutral to"
    return LayerCheck(
        name=f.name,
        kind=CheckKind.SUPPORT,
        passed=signed > 0,
        detail=f"{f.contribution:+.2f} points, {side} {direction.value}: {f.explanation}",
    )


def _warning(name: str, raised: bool, detail: str) -> LayerCheck:
    return LayerCheck(name=name, kind=CheckKind.WARNING, passed=not raised, detail=detail)


def _volatility(plan: TradePlan | None) -> LayerCheck:
    if plan is None:
        return _warning("volatility", True, "no ATR: too few candles to measure volatility")
    level = "normal"
    if plan.atr_pct >= EXTREME_ATR_PCT:
        level = "extreme"
    elif plan.atr_pct >= HIGH_ATR_PCT:
        level = "high"
    return _warning(
        "volatility",
        plan.atr_pct >= HIGH_ATR_PCT,
        f"ATR {plan.atr_pct:.2f} % of the price, {level} (high from {HIGH_ATR_PCT:g} %, "
        f"extreme from {EXTREME_ATR_PCT:g} %)",
    )


def _data_quality(signal: SignalResult) -> LayerCheck:
    pct = signal.quality.score_pct
    return _warning(
        "data_quality",
        pct < LOW_QUALITY_PCT,
        f"data quality {pct:.2f} % (low below {LOW_QUALITY_PCT:g} %, "
        f"no direction below {signal.quality.minimum_pct:g} %)",
    )


def _stale(signal: SignalResult) -> LayerCheck:
    stale = [s.name for s in signal.quality.sources if s.state is SourceState.STALE]
    detail = f"served stale: {', '.join(stale)}" if stale else "no source served stale"
    return _warning("stale_sources", bool(stale), detail)


def _against(b: Balance) -> LayerCheck:
    return _warning(
        "factors_against",
        b.against_share >= AGAINST_SHARE,
        f"{b.factors_against} of {b.factors} factors against: {b.points_against:.2f} of "
        f"{b.points_for + b.points_against:.2f} points ({100 * b.against_share:.1f} %; "
        f"a warning from {100 * AGAINST_SHARE:g} %, contested from {100 * CONTESTED_SHARE:g} %)",
    )


def _confidence(signal: SignalResult) -> LayerCheck:
    info = signal.mode
    threshold = (
        info.long_at_or_above if signal.direction is Direction.LONG else info.short_at_or_below
    )
    return _warning(
        "confidence",
        signal.confidence is Confidence.LOW,
        f"{signal.confidence.value} confidence: score {signal.score:.2f} is "
        f"{distance(signal):.2f} points past {threshold:g} ({info.mode.value} mode) at "
        f"{signal.quality.score_pct:.2f} % data quality",
    )


def layer_checks(signal: SignalResult, plan: TradePlan | None) -> tuple[LayerCheck, ...]:
    """The layer checks of the module docstring, in their order."""
    if signal.direction is Direction.NEUTRAL:
        free = [_data_quality(signal), _stale(signal)]
        return tuple([_volatility(plan), *free] if plan is not None else free)
    support = [_support(f, signal.direction) for f in signal.factors if f.available]
    warnings = [
        _volatility(plan),
        _data_quality(signal),
        _stale(signal),
        _against(balance(signal)),
        _confidence(signal),
    ]
    return (*support, *warnings)


# --- the judge --------------------------------------------------------------------------------


def _verdict(
    kind: VerdictKind,
    risk: RiskMode,
    multiplier: float,
    summary: str,
    found: Sequence[LayerCheck],
    plan: TradePlan | None,
) -> Verdict:
    return Verdict(
        verdict=kind,
        risk_mode=risk,
        position_multiplier=multiplier,
        summary=summary,
        checks=tuple(found),
        plan=plan,
        judge=Judge.RULES,
    )


def _neutral_summary(signal: SignalResult) -> str:
    q, info = signal.quality, signal.mode
    if not q.sufficient:
        return (
            f"WAIT: data quality {q.score_pct:.2f} % is below the {q.minimum_pct:g} % minimum, "
            "so the signal gives no direction; nothing to act on."
        )
    return (
        f"WAIT: the signal is NEUTRAL (score {signal.score:.2f} is between "
        f"{info.short_at_or_below:g} and {info.long_at_or_above:g} in {info.mode.value} mode); "
        "nothing to act on."
    )


def _raised(found: Sequence[LayerCheck]) -> list[str]:
    return [c.name for c in found if c.kind is CheckKind.WARNING and not c.passed]


def judge(signal: SignalResult, plan: TradePlan | None, mode: Mode | None = None) -> Verdict:
    """The rule verdict on ``signal`` with the engine's ``plan`` (module docstring, rules 1-9).

    ``mode`` defaults to the mode the signal was computed in; a different one raises
    ValueError (the distance and the mode scale must use the thresholds that gave the
    direction). A plan for the other direction raises ValueError too.
    """
    if mode is not None and mode is not signal.mode.mode:
        raise ValueError(
            f"the signal was computed in {signal.mode.mode.value} mode, not {mode.value}"
        )
    d = signal.direction
    if plan is not None and d is not Direction.NEUTRAL and plan.direction is not d:
        raise ValueError(f"a {plan.direction.value} plan for a {d.value} signal")
    found = layer_checks(signal, plan)
    if d is Direction.NEUTRAL:  # rule 1
        return _verdict(
            VerdictKind.WAIT, RiskMode.DEFENSIVE, 0.0, _neutral_summary(signal), found, None
        )
    skip = _skip_reason(signal, plan)  # rules 2-4
    if skip is not None:
        summary = f"SKIP {d.value}: {skip}."
        return _verdict(VerdictKind.SKIP, RiskMode.DEFENSIVE, 0.0, summary, found, plan)
    raised = _raised(found)
    cut = math.prod(WARNING_CUT.get(name, 1.0) for name in raised)
    size = BASE_MULTIPLIER[signal.confidence] * MODE_SCALE[signal.mode.mode] * cut  # rule 6
    multiplier = round(min(MAX_POSITION_MULTIPLIER, size), 2)
    labels = ", ".join(WARNING_LABEL[name] for name in raised)
    if size < MIN_MULTIPLIER:  # rule 7
        summary = (
            f"SKIP {d.value}: the warnings ({labels}) leave {size:.2f}x of the size hint, "
            f"below the {MIN_MULTIPLIER:g}x minimum."
        )
        return _verdict(VerdictKind.SKIP, RiskMode.DEFENSIVE, 0.0, summary, found, plan)
    kind = VerdictKind.DOWNSIZE if raised else VerdictKind.CONFIRM  # rule 8
    risk = risk_mode_for(kind, raised)
    b = balance(signal)
    threshold = (
        signal.mode.long_at_or_above if d is Direction.LONG else signal.mode.short_at_or_below
    )
    tail = f"warnings: {labels}" if raised else "no risk warnings"
    summary = (
        f"{kind.value} {d.value} at {multiplier:.2f}x ({risk.value}): score {signal.score:.2f} "
        f"is {distance(signal):.2f} points past {threshold:g} ({signal.mode.mode.value} mode) "
        f"with {signal.confidence.value} confidence and {b.factors_for} of {b.factors} "
        f"factors for; {tail}."
    )
    return _verdict(kind, risk, multiplier, summary, found, plan)


def _skip_reason(signal: SignalResult, plan: TradePlan | None) -> str | None:
    """Rules 2-4: why a directional signal is not traded whatever its size, else None."""
    if plan is None:
        return "no trade plan (too few candles to measure the ATR), so no stop can be placed"
    if plan.atr_pct >= EXTREME_ATR_PCT:
        return (
            f"volatility is extreme (ATR {plan.atr_pct:.2f} % of the price, at or above "
            f"{EXTREME_ATR_PCT:g} %)"
        )
    b = balance(signal)
    if b.against_share >= CONTESTED_SHARE:
        return (
            f"the signal is contested ({b.factors_against} of {b.factors} factors against "
            f"carry {100 * b.against_share:.1f} % of the points, at or above "
            f"{100 * CONTESTED_SHARE:g} %)"
        )
    return None


def risk_mode_for(kind: VerdictKind, raised: Sequence[str]) -> RiskMode:
    """Rule 9 from the verdict and the names of the raised warnings."""
    if kind in (VerdictKind.SKIP, VerdictKind.WAIT) or "volatility" in raised or len(raised) > 1:
        return RiskMode.DEFENSIVE
    return RiskMode.REDUCED if raised else RiskMode.NORMAL


__all__ = [
    "AGAINST_SHARE",
    "BASE_MULTIPLIER",
    "CONTESTED_SHARE",
    "EXTREME_ATR_PCT",
    "HIGH_ATR_PCT",
    "LOW_QUALITY_PCT",
    "MIN_MULTIPLIER",
    "MODE_SCALE",
    "WARNING_CUT",
    "Balance",
    "balance",
    "distance",
    "judge",
    "layer_checks",
    "risk_mode_for",
]
