"""GraphQL types of verdicts (``engine.verdict``): the decision, its checks, its trade plan."""

from __future__ import annotations

import strawberry

from engine.verdict import LayerCheck, SizeHint, TradePlan
from engine.verdict.model import CheckKind, Judge, RiskMode, VerdictKind
from graph.types.signal import SignalType
from resolvers.verdicts import Judged


@strawberry.type(name="LayerCheck")
class LayerCheckType:
    name: str
    kind: CheckKind
    passed: bool = strawberry.field(description="True when the check favours acting.")
    detail: str

    @classmethod
    def from_engine(cls, c: LayerCheck) -> LayerCheckType:
        return cls(name=c.name, kind=c.kind, passed=c.passed, detail=c.detail)


@strawberry.type(
    name="SizeHint",
    description="The position that loses accountRiskPct of equity at the stop (before the "
    "verdict's positionMultiplier): positionPctOfEquity = 100 x risk / stop distance.",
)
class SizeHintType:
    account_risk_pct: float
    stop_distance_pct: float
    position_pct_of_equity: float
    leverage_needed: float = strawberry.field(
        description="Notional over equity: the least leverage that opens the position."
    )

    @classmethod
    def from_engine(cls, s: SizeHint) -> SizeHintType:
        return cls(
            account_risk_pct=s.account_risk_pct,
            stop_distance_pct=s.stop_distance_pct,
            position_pct_of_equity=s.position_pct_of_equity,
            leverage_needed=s.leverage_needed,
        )


@strawberry.type(
    name="Volatility",
    description="The ATR-based trade plan, from the signal's own hourly candles: entry at "
    "the last close, stop 1.5 ATR away, targets at 1R, 2R and 3R.",
)
class VolatilityType:
    entry: float
    atr: float = strawberry.field(description="Average true range (14) of the 1 h candles.")
    atr_pct: float = strawberry.field(description="ATR as a percentage of the entry.")
    stop_loss: float
    take_profits: list[float] = strawberry.field(description="Nearest first.")
    risk_reward: list[float] = strawberry.field(description="One per target.")
    size_hint: SizeHintType
    trade_plan: str = strawberry.field(description="The plan as one paragraph.")

    @classmethod
    def from_engine(cls, p: TradePlan) -> VolatilityType:
        return cls(
            entry=p.entry,
            atr=p.atr,
            atr_pct=p.atr_pct,
            stop_loss=p.stop_loss,
            take_profits=list(p.take_profits),
            risk_reward=list(p.risk_reward),
            size_hint=SizeHintType.from_engine(p.size_hint),
            trade_plan=p.text,
        )


@strawberry.type(name="Verdict")
class VerdictType:
    verdict: VerdictKind
    risk_mode: RiskMode
    position_multiplier: float = strawberry.field(
        description="0 to 1.5 times the size hint; 0 for SKIP and WAIT."
    )
    summary: str
    layer_checks: list[LayerCheckType]
    volatility: VolatilityType | None = strawberry.field(
        description="Null when no plan could be made (NEUTRAL signal, too few candles)."
    )
    judge: Judge
    model: str | None = strawberry.field(description="The AI model, when the AI answered.")
    latency_ms: float | None = strawberry.field(
        description="Time the AI call took (also when it failed and the rules answered)."
    )
    fallback_reason: str | None = strawberry.field(
        description="Why the rules answered in place of the AI: no key, timeout, http 500, "
        "quota, rate limited, refusal, invalid output, ..."
    )
    signal: SignalType = strawberry.field(description="The signal this verdict judged.")

    @classmethod
    def from_judged(cls, j: Judged) -> VerdictType:
        v = j.verdict
        return cls(
            verdict=v.verdict,
            risk_mode=v.risk_mode,
            position_multiplier=v.position_multiplier,
            summary=v.summary,
            layer_checks=[LayerCheckType.from_engine(c) for c in v.checks],
            volatility=None if v.plan is None else VolatilityType.from_engine(v.plan),
            judge=v.judge,
            model=v.model,
            latency_ms=v.latency_ms,
            fallback_reason=v.fallback_reason,
            signal=SignalType.from_computed(j.computed),
        )


__all__ = ["VerdictType"]
