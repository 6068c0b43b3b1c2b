"""Verdicts: a signal, its trade plan, and a judge's decision about acting on it.

The signal and the plan's candles come through the request's loaders (the plan reads the
same hourly candles as the signal: one klines call for both). The AI judge answers when a
key is configured; any failure of it (no key, timeout, error, quota, refusal, invalid
output, an answer outside the verdict's bounds) hands the decision to the rule judge, and
the verdict says which judge answered and why. The AI is sent only the signal's numbers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from engine.signal.model import Direction, Mode, SignalResult
from engine.symbols import SymbolRef
from engine.verdict import (
    InvalidAiVerdict,
    RiskMode,
    TradePlan,
    Verdict,
    VerdictKind,
    ai_checks,
    fallback,
    from_ai,
    judge,
    trade_plan,
)
from providers.aijudge import AiAnswer, JudgeUnavailable, SignalNumbers
from resolvers import market, signals
from resolvers.context import Context
from resolvers.errors import InvalidArgument

log = logging.getLogger("perpgraph.verdicts")

PLAN_CANDLES = signals.CANDLES  # the signal's own hourly candles: one klines call for both


@dataclass(frozen=True, slots=True)
class Judged:
    """A verdict with the signal it judged."""

    computed: signals.Computed
    verdict: Verdict


def check_risk_pct(account_risk_pct: float) -> float:
    if not 0 < account_risk_pct <= 100:
        raise InvalidArgument(
            "BAD_ARGUMENT",
            f"accountRiskPct must be above 0 and at most 100, got {account_risk_pct}",
        )
    return account_risk_pct


async def verdict(
    ctx: Context,
    ref: SymbolRef,
    mode: Mode,
    account_risk_pct: float | None = None,
    computed: signals.Computed | None = None,
) -> Judged:
    """The verdict on one symbol's signal in one mode, decided once per request and signal:
    on ``computed`` when given (a signal already in hand), else on the request's own."""
    risk = check_risk_pct(
        ctx.services.limits.account_risk_pct if account_risk_pct is None else account_risk_pct
    )
    if computed is None:
        computed = await signals.signal(ctx, ref, mode)  # once per request and mode
    key = ("verdict", ref.ticker, ref.quote, mode, risk, computed.result.generated_at_ms)
    running = ctx.verdicts.get(key)
    if running is None:
        running = ctx.verdicts[key] = asyncio.ensure_future(_decide(ctx, ref, risk, computed))
    judged: Judged = await asyncio.shield(running)
    return judged


async def _decide(
    ctx: Context, ref: SymbolRef, risk_pct: float, computed: signals.Computed
) -> Judged:
    plan = await _plan(ctx, ref, computed.result, risk_pct)
    rules = judge(computed.result, plan)
    client = ctx.services.aijudge
    if client is None or not client.configured:
        return Judged(computed, fallback(rules, "no key"))
    if computed.result.direction is Direction.NEUTRAL:
        return Judged(computed, rules)  # nothing for a judge to weigh: the rules say WAIT
    started = time.perf_counter()
    try:
        answer = await client.judge(numbers(ref, computed, plan))
        return Judged(computed, _from_answer(computed.result, plan, answer))
    except JudgeUnavailable as exc:
        reason = exc.reason
    except InvalidAiVerdict as exc:
        reason = f"invalid output: {exc}"
    latency_ms = (time.perf_counter() - started) * 1000
    log.info("ai judge unavailable (%s); the rules answered", reason)
    return Judged(computed, fallback(rules, reason, latency_ms=latency_ms))


async def _plan(
    ctx: Context, ref: SymbolRef, signal: SignalResult, risk_pct: float
) -> TradePlan | None:
    if signal.direction is Direction.NEUTRAL:
        return None
    candles = await market.candles(ctx, ref, *PLAN_CANDLES)
    now_ms = int(time.time() * 1000)
    closed = [  # the plan reads closed candles: the newest one may still be forming
        c for c in candles.value.candles if c.close_time_ms is None or c.close_time_ms < now_ms
    ]
    return trade_plan(signal.direction, closed, account_risk_pct=risk_pct)


def _from_answer(signal: SignalResult, plan: TradePlan | None, answer: AiAnswer) -> Verdict:
    a = answer.verdict
    return from_ai(
        signal,
        plan,
        verdict=VerdictKind(a.verdict),
        risk_mode=RiskMode(a.risk_mode),
        position_multiplier=a.position_multiplier,
        summary=a.summary,
        checks=ai_checks(a.supporting, a.warnings),
        model=answer.model,
        latency_ms=answer.latency_ms,
    )


def numbers(ref: SymbolRef, computed: signals.Computed, plan: TradePlan | None) -> SignalNumbers:
    """What the AI is told: the signal's numbers and the plan's levels, nothing else."""
    r = computed.result
    out: dict[str, float | int | str | None] = {
        "ticker": ref.ticker,
        "direction": r.direction.value,
        "score": round(r.score, 2),
        "mode": r.mode.mode.value,
        "long_at_or_above": r.mode.long_at_or_above,
        "short_at_or_below": r.mode.short_at_or_below,
        "confidence": r.confidence.value,
        "data_quality_pct": round(r.quality.score_pct, 1),
        "price": computed.price,
    }
    for f in r.factors:
        out[f"factor.{f.name}.weight"] = f.weight
        out[f"factor.{f.name}.sub_score"] = None if f.sub_score is None else round(f.sub_score, 2)
        out[f"factor.{f.name}.contribution"] = round(f.contribution, 3)
    if plan is not None:
        out |= {
            "plan.entry": plan.entry,
            "plan.atr_pct": round(plan.atr_pct, 3),
            "plan.stop_loss": plan.stop_loss,
            "plan.stop_distance_pct": round(plan.size_hint.stop_distance_pct, 3),
        }
        for i, (target, rr) in enumerate(zip(plan.take_profits, plan.risk_reward, strict=True)):
            out[f"plan.target{i + 1}"] = target
            out[f"plan.target{i + 1}.risk_reward"] = round(rr, 2)
    return out


__all__ = ["Judged", "check_risk_pct", "numbers", "verdict"]
