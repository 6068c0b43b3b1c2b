"""The rules standing in for the AI (``fallback``) and AI answers held to the bounds
(``from_ai``), on recorded runs (tests/engine/verdict/cases.py)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import pytest

from engine.signal.model import Direction, Mode, SignalResult
from engine.verdict.ai import MAX_SUMMARY_CHARS, InvalidAiVerdict, ai_checks, fallback, from_ai
from engine.verdict.model import CheckKind, Judge, LayerCheck, RiskMode, TradePlan, VerdictKind
from engine.verdict.plan import trade_plan
from engine.verdict.rules import judge, layer_checks
from tests.engine.verdict import cases

AI_CHECKS = (LayerCheck("momentum", CheckKind.SUPPORT, True, "price falling on every leg"),)


def _short() -> tuple[SignalResult, TradePlan | None]:
    signal = cases.run("BTCUSDT", 100, Mode.AGGRESSIVE)  # SHORT, HIGH
    return signal, cases.plan_for(signal, "BTCUSDT", 100)


def _answer(**fields: Any) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "verdict": VerdictKind.CONFIRM,
        "risk_mode": RiskMode.NORMAL,
        "position_multiplier": 1.1,
        "summary": "Momentum and liquidations agree; confirm at a little above the hint.",
        "checks": AI_CHECKS,
        "model": "gpt-4o-mini",
        "latency_ms": 812.5,
    }
    answer.update(fields)
    return answer


def test_fallback_marks_the_rule_verdict_with_the_reason() -> None:
    signal, plan = _short()
    rules = judge(signal, plan)
    timed_out = fallback(rules, "timeout after 8.0 s", latency_ms=8004.2)
    assert timed_out == replace(
        rules, fallback_reason="timeout after 8.0 s", latency_ms=8004.2, model=None
    )
    assert timed_out.judge is Judge.RULES
    no_key = fallback(rules, "  AI judge not configured (no API key) ")
    assert (no_key.fallback_reason, no_key.latency_ms) == (
        "AI judge not configured (no API key)",
        None,
    )
    with pytest.raises(ValueError, match="needs its reason"):
        fallback(rules, " ")
    ai = from_ai(signal, plan, **_answer())
    with pytest.raises(ValueError, match="only a rule verdict"):
        fallback(ai, "refusal")


def test_a_valid_answer_keeps_the_engine_s_plan() -> None:
    signal, plan = _short()
    verdict = from_ai(signal, plan, **_answer())
    assert verdict.judge is Judge.AI
    assert verdict.plan is plan  # the AI gives no prices
    assert (verdict.verdict, verdict.risk_mode, verdict.position_multiplier) == (
        VerdictKind.CONFIRM,
        RiskMode.NORMAL,
        1.1,
    )
    assert (verdict.model, verdict.latency_ms, verdict.fallback_reason) == (
        "gpt-4o-mini",
        812.5,
        None,
    )
    assert verdict.checks == AI_CHECKS


@pytest.mark.parametrize(
    ("fields", "kind", "risk", "multiplier"),
    [
        ({"position_multiplier": 2.7}, VerdictKind.CONFIRM, RiskMode.NORMAL, 1.5),
        ({"position_multiplier": 0.333333}, VerdictKind.CONFIRM, RiskMode.NORMAL, 0.33),
        (
            {"verdict": VerdictKind.DOWNSIZE, "risk_mode": RiskMode.REDUCED,
             "position_multiplier": 0.5},
            VerdictKind.DOWNSIZE, RiskMode.REDUCED, 0.5,
        ),
        # SKIP means no position and protecting capital, whatever else the answer says
        (
            {"verdict": VerdictKind.SKIP, "position_multiplier": 0.8},
            VerdictKind.SKIP, RiskMode.DEFENSIVE, 0.0,
        ),
        (
            {"verdict": VerdictKind.SKIP, "position_multiplier": -3.0},
            VerdictKind.SKIP, RiskMode.DEFENSIVE, 0.0,
        ),
    ],
)  # fmt: skip
def test_answers_are_clamped_to_the_bounds(
    fields: dict[str, Any], kind: VerdictKind, risk: RiskMode, multiplier: float
) -> None:
    signal, plan = _short()
    verdict = from_ai(signal, plan, **_answer(**fields))
    assert (verdict.verdict, verdict.risk_mode, verdict.position_multiplier) == (
        kind,
        risk,
        multiplier,
    )


def test_neutral_signal_waits_without_a_plan() -> None:
    signal = cases.run("BTCUSDT", 105, Mode.AGGRESSIVE)
    assert signal.direction is Direction.NEUTRAL
    verdict = from_ai(signal, None, **_answer(verdict=VerdictKind.WAIT, position_multiplier=1.0))
    assert (verdict.verdict, verdict.position_multiplier, verdict.plan) == (
        VerdictKind.WAIT,
        0.0,
        None,
    )
    with pytest.raises(InvalidAiVerdict, match="CONFIRM on a NEUTRAL signal"):
        from_ai(signal, None, **_answer())


@pytest.mark.parametrize(
    ("fields", "no_plan", "message"),
    [
        ({"position_multiplier": math.nan}, False, "not a number"),
        ({"position_multiplier": math.inf}, False, "not a number"),
        ({"summary": "  "}, False, "empty summary"),
        ({"model": ""}, False, "no model"),
        ({"latency_ms": -1.0}, False, "latency"),
        ({"verdict": VerdictKind.WAIT}, False, "WAIT on a SHORT signal"),
        ({}, True, "CONFIRM without a trade plan"),
        ({"position_multiplier": -0.5}, False, "CONFIRM at a multiplier of 0"),
        ({"position_multiplier": 0.004}, False, "at a multiplier of 0"),  # rounds to 0.00
    ],
)
def test_invalid_answers_raise_for_the_fallback(
    fields: dict[str, Any], no_plan: bool, message: str
) -> None:
    signal, plan = _short()
    with pytest.raises(InvalidAiVerdict, match=message):
        from_ai(signal, None if no_plan else plan, **_answer(**fields))


def test_long_summary_is_cut() -> None:
    signal, plan = _short()
    words = " ".join(f.explanation for f in signal.factors) * 10
    verdict = from_ai(signal, plan, **_answer(summary=words))
    assert len(words) > MAX_SUMMARY_CHARS
    assert len(verdict.summary) <= MAX_SUMMARY_CHARS and verdict.summary.endswith("…")


def test_a_plan_for_the_other_direction_is_the_caller_s_mistake() -> None:
    signal, _ = _short()
    other = trade_plan(Direction.LONG, cases.window("BTCUSDT", 100))
    with pytest.raises(ValueError, match="a LONG plan for a SHORT signal") as raised:
        from_ai(signal, other, **_answer())
    assert not isinstance(raised.value, InvalidAiVerdict)


def test_ai_points_become_checks_after_the_rules_own() -> None:
    signal, plan = _short()
    notes = ai_checks(["liquidations and momentum agree", " "], ["funding leans the other way"])
    assert notes == (
        LayerCheck("ai", CheckKind.SUPPORT, True, "liquidations and momentum agree"),
        LayerCheck("ai", CheckKind.WARNING, False, "funding leans the other way"),
    )
    verdict = from_ai(signal, plan, **_answer(checks=(*layer_checks(signal, plan), *notes)))
    assert verdict.checks[-2:] == notes
    assert verdict.checks[:-2] == judge(signal, plan).checks
