"""The rule judge, rule by rule (engine/verdict/rules.py docstring, rules 1-9).

The first table runs the whole engine on recorded hours (tests/engine/verdict/cases.py):
``compute_signal`` on a symbol's recorded candles, funding, Fear & Greed and optionally its
liquidations, and ``trade_plan`` on the same candles. Each row names the rules it shows and
why they fire. The second table moves one input of a recorded run to a rule's limit (the
signal's own fields: quality, confidence, contributions, ATR %), never a price.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from engine.signal.model import (
    Confidence,
    Direction,
    FactorResult,
    Mode,
    SignalResult,
    SourceState,
)
from engine.signal.modes import MODE_INFO
from engine.verdict.model import CheckKind, Judge, RiskMode, TradePlan, Verdict, VerdictKind
from engine.verdict.plan import trade_plan
from engine.verdict.rules import (
    AGAINST_SHARE,
    CONTESTED_SHARE,
    EXTREME_ATR_PCT,
    HIGH_ATR_PCT,
    LOW_QUALITY_PCT,
    balance,
    judge,
)
from tests.engine.verdict import cases

CONS, AGGR, ULTRA = Mode.CONSERVATIVE, Mode.AGGRESSIVE, Mode.ULTRA
CONFIRM, DOWNSIZE, SKIP, WAIT = (
    VerdictKind.CONFIRM,
    VerdictKind.DOWNSIZE,
    VerdictKind.SKIP,
    VerdictKind.WAIT,
)
NORMAL, REDUCED, DEFENSIVE = RiskMode.NORMAL, RiskMode.REDUCED, RiskMode.DEFENSIVE
WARNINGS = ("volatility", "data_quality", "stale_sources", "factors_against", "confidence")
STALE, FAILED = SourceState.STALE, SourceState.FAILED


def _raised(v: Verdict) -> tuple[str, ...]:
    return tuple(c.name for c in v.checks if c.kind is CheckKind.WARNING and not c.passed)


def _recorded(
    symbol: str,
    end: int,
    mode: Mode,
    liquidations: bool = False,
    states: dict[str, SourceState] | None = None,
) -> tuple[SignalResult, TradePlan | None]:
    signal = cases.run(symbol, end, mode, liquidations=liquidations, states=states)
    plan = cases.plan_for(signal, symbol, end)
    return signal, plan


# (symbol, end, mode, with liquidations, source states) -> (verdict, risk, multiplier, raised)
RECORDED = [
    # rules 6, 8, 9: SHORT 30.74 is 14.26 past 45 at 100 % quality (HIGH); funding pushes back
    # 3.76 of 26.79 points (14 %), ATR 1.53 %: no warning. 1.2 (HIGH) x 1.0 (AGGRESSIVE)
    pytest.param("BTCUSDT", 100, AGGR, False, None, CONFIRM, NORMAL, 1.2, (), id="high-aggressive"),
    # rule 6: the same hour in CONSERVATIVE with its liquidations: HIGH x 1.25, the 1.5 maximum
    pytest.param("BTCUSDT", 100, CONS, True, None, CONFIRM, NORMAL, 1.5, (), id="max-conservative"),
    # rule 6: and in ULTRA: HIGH x 0.5
    pytest.param("BTCUSDT", 100, ULTRA, False, None, CONFIRM, NORMAL, 0.6, (), id="high-ultra"),
    # a LONG: 66.75 is 11.75 past 55 (HIGH); fear & greed against 1.46 of 19.67 points (7 %)
    pytest.param("ETHUSDT", 620, AGGR, False, None, CONFIRM, NORMAL, 1.2, (), id="long-high"),
    # LONG 63.83 is 8.83 past 55: MEDIUM, 1.0
    pytest.param("BTCUSDT", 340, AGGR, False, None, CONFIRM, NORMAL, 1.0, (), id="long-medium"),
    # rules 5e, 8, 9: LONG 57.64 is 2.64 past 55: LOW confidence, base 0.6, one warning
    pytest.param("BTCUSDT", 420, AGGR, False, None, DOWNSIZE, REDUCED, 0.6, ("confidence",), id="low-confidence"),
    # rule 5c: funding served stale: quality 87.5 % (still HIGH), x 0.75
    pytest.param("BTCUSDT", 100, AGGR, False, {"funding": STALE}, DOWNSIZE, REDUCED, 0.9,
                 ("stale_sources",), id="stale-source"),
    # rule 5b: liquidations and OI failed: quality 8 of 12 = 66.67 % < 70 (and MEDIUM: < 80 %)
    pytest.param("BTCUSDT", 100, AGGR, False, {"liquidations": FAILED, "open_interest": FAILED},
                 DOWNSIZE, REDUCED, 0.75, ("data_quality",), id="low-quality"),
    # rule 5d: SHORT 39.51 (MEDIUM); momentum and funding push back 8.90 of 28.28 points (31.5 %)
    pytest.param("BTCUSDT", 118, AGGR, True, None, DOWNSIZE, REDUCED, 0.75, ("factors_against",),
                 id="factors-against"),
    # rules 5d+5e, 9: 26.3 % against and LOW (0.32 past 45): two warnings, DEFENSIVE; 0.6 x 0.75
    pytest.param("BTCUSDT", 123, AGGR, False, None, DOWNSIZE, DEFENSIVE, 0.45,
                 ("factors_against", "confidence"), id="two-warnings"),
    # rules 5a, 9: ETH's hourly ATR is 2.16 % after the early-March drop: HIGH x 0.5, DEFENSIVE
    pytest.param("ETHUSDT", 103, AGGR, False, None, DOWNSIZE, DEFENSIVE, 0.6, ("volatility",),
                 id="high-volatility"),
    # rules 5a, 7: ULTRA MEDIUM with ATR 2.69 %: 1.0 x 0.5 x 0.5 = 0.25, exactly the minimum
    pytest.param("ETHUSDT", 114, ULTRA, False, None, DOWNSIZE, DEFENSIVE, 0.25, ("volatility",),
                 id="at-the-minimum"),
    # rule 7: ULTRA LOW (0.34 past 49) with 39.8 % against: 0.6 x 0.5 x 0.75 = 0.225 < 0.25
    pytest.param("BTCUSDT", 105, ULTRA, False, None, SKIP, DEFENSIVE, 0.0,
                 ("factors_against", "confidence"), id="too-small"),
    # rule 4: momentum +14.77 and funding +0.35 against liquidations -18.46 and F&G -0.92: 43.8 %
    pytest.param("BTCUSDT", 128, ULTRA, True, None, SKIP, DEFENSIVE, 0.0, ("factors_against",),
                 id="contested"),
    # rule 1: 48.66 is between 45 and 55
    pytest.param("BTCUSDT", 105, AGGR, False, None, WAIT, DEFENSIVE, 0.0, (), id="neutral"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("symbol", "end", "mode", "liquidations", "states", "kind", "risk", "multiplier", "raised"),
    RECORDED,
)
def test_recorded_runs(
    symbol: str,
    end: int,
    mode: Mode,
    liquidations: bool,
    states: dict[str, SourceState] | None,
    kind: VerdictKind,
    risk: RiskMode,
    multiplier: float,
    raised: tuple[str, ...],
) -> None:
    signal, plan = _recorded(symbol, end, mode, liquidations, states)
    verdict = judge(signal, plan, mode)
    assert (verdict.verdict, verdict.risk_mode, verdict.position_multiplier) == (
        kind,
        risk,
        multiplier,
    )
    assert _raised(verdict) == raised
    assert verdict.judge is Judge.RULES
    assert (verdict.model, verdict.latency_ms, verdict.fallback_reason) == (None, None, None)
    assert verdict.plan == (None if kind is WAIT else plan)
    assert verdict.summary.startswith(f"{kind.value}")


def test_checks_of_a_recorded_run() -> None:
    """One SUPPORT check per factor with data, in factor order, then the five warnings."""
    signal, plan = _recorded("BTCUSDT", 100, AGGR)
    verdict = judge(signal, plan)
    available = [f for f in signal.factors if f.available]
    assert [(c.name, c.kind) for c in verdict.checks] == [
        *((f.name, CheckKind.SUPPORT) for f in available),
        *((name, CheckKind.WARNING) for name in WARNINGS),
    ]
    support = {c.name: c for c in verdict.checks if c.kind is CheckKind.SUPPORT}
    for f in available:  # SHORT: a negative contribution is for it
        assert support[f.name].passed is (f.contribution < 0)
        side = "for" if f.contribution < 0 else "against"
        assert support[f.name].detail == (
            f"{f.contribution:+.2f} points, {side} SHORT: {f.explanation}"
        )
    assert not support["funding"].passed  # positive funding leans LONG
    assert all(c.passed for c in verdict.checks if c.kind is CheckKind.WARNING)
    b = balance(signal)
    assert verdict.summary == (
        f"CONFIRM SHORT at 1.20x (NORMAL): score {signal.score:.2f} is "
        f"{45 - signal.score:.2f} points past 45 (AGGRESSIVE mode) with HIGH confidence and "
        f"{b.factors_for} of {b.factors} factors for; no risk warnings."
    )


def test_rule_1_neutral_waits_whatever_else() -> None:
    signal, _ = _recorded("BTCUSDT", 105, AGGR)
    assert signal.direction is Direction.NEUTRAL
    verdict = judge(signal, None)
    assert [c.name for c in verdict.checks] == ["data_quality", "stale_sources"]
    assert verdict.summary == (
        f"WAIT: the signal is NEUTRAL (score {signal.score:.2f} is between 45 and 55 in "
        "AGGRESSIVE mode); nothing to act on."
    )
    # with a plan given (of any direction), volatility is checked too, but the plan is dropped
    plan = trade_plan(Direction.LONG, cases.window("BTCUSDT", 105))
    with_plan = judge(signal, plan)
    assert [c.name for c in with_plan.checks] == ["volatility", "data_quality", "stale_sources"]
    assert (with_plan.verdict, with_plan.plan, with_plan.position_multiplier) == (WAIT, None, 0.0)
    # below the quality minimum the engine gives no direction: the summary says why
    failed = {n: FAILED for n in ("klines", "funding", "liquidations", "long_short_ratio")}
    poor = cases.run("BTCUSDT", 100, AGGR, states=failed)
    assert not poor.quality.sufficient and poor.direction is Direction.NEUTRAL
    waited = judge(poor, None)
    assert waited.verdict is WAIT and waited.risk_mode is DEFENSIVE
    assert waited.summary == (
        f"WAIT: data quality {poor.quality.score_pct:.2f} % is below the 50 % minimum, so the "
        "signal gives no direction; nothing to act on."
    )


def test_rule_2_no_plan_skips() -> None:
    signal, _ = _recorded("ETHUSDT", 620, AGGR)
    candles = cases.window("ETHUSDT", 620)[-14:]  # ATR(14) needs 15
    plan = trade_plan(signal.direction, candles)
    assert plan is None
    verdict = judge(signal, plan)
    assert (verdict.verdict, verdict.risk_mode, verdict.position_multiplier) == (SKIP, DEFENSIVE, 0)
    assert verdict.summary == (
        "SKIP LONG: no trade plan (too few candles to measure the ATR), so no stop can be placed."
    )
    volatility = next(c for c in verdict.checks if c.name == "volatility")
    assert not volatility.passed and volatility.detail.startswith("no ATR")


def test_rule_3_extreme_volatility_skips() -> None:
    """ETH on 4-hour candles (recorded hours grouped by 4) reached an ATR above 4 %."""
    signal, _ = _recorded("ETHUSDT", 103, AGGR)
    _, plan = cases.plan_in_band(signal.direction, "ETHUSDT", EXTREME_ATR_PCT, 100.0, hours=4)
    verdict = judge(signal, plan)
    assert (verdict.verdict, verdict.risk_mode, verdict.position_multiplier) == (SKIP, DEFENSIVE, 0)
    assert verdict.plan == plan
    assert verdict.summary == (
        f"SKIP SHORT: volatility is extreme (ATR {plan.atr_pct:.2f} % of the price, at or above "
        "4 %)."
    )


def _factors(signal: SignalResult, pro: float, con: float) -> tuple[FactorResult, ...]:
    """The signal's first two factors with data, one giving ``pro`` points for its direction
    and one ``con`` against; the others without data."""
    sign = 1.0 if signal.direction is Direction.LONG else -1.0
    available = [f for f in signal.factors if f.available][:2]
    moved = {available[0].name: sign * pro, available[1].name: -sign * con}
    return tuple(
        replace(f, contribution=moved[f.name])
        if f.name in moved
        else replace(f, available=False, sub_score=None, contribution=0.0)
        for f in signal.factors
    )


def _stale(signal: SignalResult) -> SignalResult:
    sources = tuple(
        replace(s, state=STALE) if s.name == "funding" else s for s in signal.quality.sources
    )
    return replace(signal, quality=replace(signal.quality, sources=sources))


Change = Callable[[SignalResult, TradePlan], tuple[SignalResult, TradePlan]]


def _quality(pct: float) -> Change:
    return lambda s, p: (replace(s, quality=replace(s.quality, score_pct=pct)), p)


def _atr_pct(pct: float) -> Change:
    return lambda s, p: (s, replace(p, atr_pct=pct))


def _balance(pro: float, con: float) -> Change:
    return lambda s, p: (replace(s, factors=_factors(s, pro, con)), p)


def _as(confidence: Confidence, mode: Mode) -> Change:
    return lambda s, p: (replace(s, confidence=confidence, mode=MODE_INFO[mode]), p)


def _then(*changes: Change) -> Change:
    def run(s: SignalResult, p: TradePlan) -> tuple[SignalResult, TradePlan]:
        for change in changes:
            s, p = change(s, p)
        return s, p

    return run


def _stale_funding(s: SignalResult, p: TradePlan) -> tuple[SignalResult, TradePlan]:
    return _stale(s), p


LIMITS = [  # a change to the clean recorded run -> (verdict, risk, multiplier, raised)
    # rules 5d and 4 at their limits: 1 point against 3 is 25 %, 2 against 3 is 40 %
    pytest.param(_balance(3.0, 1.0), DOWNSIZE, REDUCED, 0.9, ("factors_against",), id="against-at-25"),
    pytest.param(_balance(3.01, 1.0), CONFIRM, NORMAL, 1.2, (), id="against-below-25"),
    pytest.param(_balance(3.0, 2.0), SKIP, DEFENSIVE, 0.0, ("factors_against",), id="against-at-40"),
    pytest.param(_balance(3.01, 2.0), DOWNSIZE, REDUCED, 0.9, ("factors_against",), id="against-below-40"),
    pytest.param(_balance(3.0, 0.0), CONFIRM, NORMAL, 1.2, (), id="zero-is-not-against"),
    # rule 5b at its limit: 70 % is not low, just below is
    pytest.param(_quality(LOW_QUALITY_PCT), CONFIRM, NORMAL, 1.2, (), id="quality-at-70"),
    pytest.param(_quality(69.99), DOWNSIZE, REDUCED, 0.9, ("data_quality",), id="quality-below-70"),
    # rules 5a and 3 at their limits
    pytest.param(_atr_pct(HIGH_ATR_PCT - 0.01), CONFIRM, NORMAL, 1.2, (), id="atr-below-2"),
    pytest.param(_atr_pct(HIGH_ATR_PCT), DOWNSIZE, DEFENSIVE, 0.6, ("volatility",), id="atr-at-2"),
    pytest.param(_atr_pct(EXTREME_ATR_PCT - 0.01), DOWNSIZE, DEFENSIVE, 0.6, ("volatility",), id="atr-below-4"),
    pytest.param(_atr_pct(EXTREME_ATR_PCT), SKIP, DEFENSIVE, 0.0, ("volatility",), id="atr-at-4"),
    # rule 6: the other confidences and modes, no warning but low confidence
    pytest.param(_as(Confidence.MEDIUM, CONS), CONFIRM, NORMAL, 1.25, (), id="medium-conservative"),
    pytest.param(_as(Confidence.MEDIUM, ULTRA), CONFIRM, NORMAL, 0.5, (), id="medium-ultra"),
    pytest.param(_as(Confidence.LOW, CONS), DOWNSIZE, REDUCED, 0.75, ("confidence",), id="low-conservative"),
    pytest.param(_as(Confidence.LOW, AGGR), DOWNSIZE, REDUCED, 0.6, ("confidence",), id="low-aggressive"),
    # rules 5 and 9: the cuts multiply; three warnings are DEFENSIVE
    pytest.param(_then(_quality(60.0), _stale_funding, _atr_pct(HIGH_ATR_PCT)),
                 DOWNSIZE, DEFENSIVE, round(1.2 * 0.5 * 0.75 * 0.75, 2),
                 ("volatility", "data_quality", "stale_sources"), id="three-cuts"),
    # rule 9: two warnings without high volatility are DEFENSIVE too
    pytest.param(_then(_quality(60.0), _stale_funding), DOWNSIZE, DEFENSIVE, round(1.2 * 0.75 * 0.75, 2),
                 ("data_quality", "stale_sources"), id="two-cuts"),
    # rule 7: LOW in ULTRA with one 0.75 cut is 0.225, below 0.25
    pytest.param(_then(_as(Confidence.LOW, ULTRA), _stale_funding), SKIP, DEFENSIVE, 0.0,
                 ("stale_sources", "confidence"), id="below-the-minimum"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "kind", "risk", "multiplier", "raised"), LIMITS)
def test_rules_at_their_limits(
    change: Change, kind: VerdictKind, risk: RiskMode, multiplier: float, raised: tuple[str, ...]
) -> None:
    """A clean recorded run (CONFIRM, 1.2: HIGH, AGGRESSIVE, no warning), one input moved."""
    signal, plan = _recorded("BTCUSDT", 100, AGGR)
    assert plan is not None and judge(signal, plan).verdict is CONFIRM
    verdict = judge(*change(signal, plan))
    assert (verdict.verdict, verdict.risk_mode, verdict.position_multiplier) == (
        kind,
        risk,
        multiplier,
    )
    assert _raised(verdict) == raised


def test_contested_limit_constants_are_as_documented() -> None:
    assert (AGAINST_SHARE, CONTESTED_SHARE) == (0.25, 0.40)
    assert (HIGH_ATR_PCT, EXTREME_ATR_PCT, LOW_QUALITY_PCT) == (2.0, 4.0, 70.0)


def test_mode_and_plan_must_match_the_signal() -> None:
    signal, plan = _recorded("BTCUSDT", 100, AGGR)
    assert plan is not None
    with pytest.raises(ValueError, match="computed in AGGRESSIVE mode, not ULTRA"):
        judge(signal, plan, ULTRA)
    other = trade_plan(Direction.LONG, cases.window("BTCUSDT", 100))
    with pytest.raises(ValueError, match="a LONG plan for a SHORT signal"):
        judge(signal, other)


def test_every_recorded_hour_keeps_the_bounds() -> None:
    """Over every 7th recorded hour of three coins, both input sets and all modes."""
    seen: set[VerdictKind] = set()
    for symbol in ("BTCUSDT", "ETHUSDT", "SOLUSDT"):
        for end in range(cases.WINDOW, 720, 7):
            for liquidations in (False, True):
                for mode in Mode:
                    signal, plan = _recorded(symbol, end, mode, liquidations)
                    v = judge(signal, plan)
                    seen.add(v.verdict)
                    assert 0.0 <= v.position_multiplier <= 1.5
                    assert (v.position_multiplier == 0) is (v.verdict in (SKIP, WAIT))
                    assert (v.verdict is WAIT) is (signal.direction is Direction.NEUTRAL)
                    if v.verdict is not WAIT:  # every SKIP rule raises a warning too
                        assert (v.verdict is CONFIRM) is (not _raised(v))
                    if v.verdict in (SKIP, WAIT):
                        assert v.risk_mode is DEFENSIVE
                    if v.verdict is CONFIRM:
                        assert v.risk_mode is NORMAL and v.position_multiplier >= 0.5
    assert seen == set(VerdictKind)
