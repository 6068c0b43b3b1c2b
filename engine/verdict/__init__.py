"""Verdicts: whether to act on a signal, how big, where the stop and targets go, and how it went.

Pure and clock-free. ``plan.trade_plan`` places the stop and targets from real candles,
``rules.judge`` decides the verdict by documented rules (and stands in for the AI judge via
``ai.fallback``; ``ai.from_ai`` holds an AI answer to the verdict's bounds), and
``accuracy.evaluate`` scores a recorded verdict against the candles that followed it.
"""

from engine.verdict.accuracy import (
    HORIZONS_MS,
    Hit,
    Outcome,
    OutcomeRow,
    Stats,
    by_mode,
    by_symbol_direction,
    by_verdict,
    evaluate,
    group_stats,
    stats,
)
from engine.verdict.ai import InvalidAiVerdict, ai_checks, fallback, from_ai
from engine.verdict.model import (
    MAX_POSITION_MULTIPLIER,
    CheckKind,
    Judge,
    LayerCheck,
    RiskMode,
    SizeHint,
    TradePlan,
    Verdict,
    VerdictKind,
)
from engine.verdict.plan import trade_plan
from engine.verdict.rules import judge, layer_checks

__all__ = [
    "HORIZONS_MS",
    "MAX_POSITION_MULTIPLIER",
    "CheckKind",
    "Hit",
    "InvalidAiVerdict",
    "Judge",
    "LayerCheck",
    "Outcome",
    "OutcomeRow",
    "RiskMode",
    "SizeHint",
    "Stats",
    "TradePlan",
    "Verdict",
    "VerdictKind",
    "ai_checks",
    "by_mode",
    "by_symbol_direction",
    "by_verdict",
    "evaluate",
    "fallback",
    "from_ai",
    "group_stats",
    "judge",
    "layer_checks",
    "stats",
    "trade_plan",
]
