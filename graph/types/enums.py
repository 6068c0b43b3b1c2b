"""The engine's enums, registered as GraphQL enums under their schema names.

The schema shows the engine's own members, so a graph type passes an engine value through
unconverted. Registering decorates the engine class in place (Strawberry keeps its
definition on it); the engine itself never imports Strawberry. ``graph.types`` imports this
module first, so every type that annotates one of these enums finds it registered.
"""

from __future__ import annotations

import strawberry

from engine import discovery, indicators, scalping, scalping_inputs, smc
from engine.ask import Intent
from engine.domain import PositionSide, RatioKind
from engine.mss.criteria import Phase as MssPhase
from engine.mss.score import CriterionState, MssTier
from engine.signal.model import Confidence, Direction, Mode
from engine.verdict.model import CheckKind, Judge, RiskMode, VerdictKind

strawberry.enum(
    Mode,
    name="SignalMode",
    description=(
        "How far the score must lean to give a direction. Default thresholds (SHORT at or"
        " below / LONG at or above): CONSERVATIVE 35/65, AGGRESSIVE 45/55, ULTRA 49/51; a"
        " deployment may set its own, which a signal's modeInfo shows."
    ),
)
strawberry.enum(Intent, name="AskIntent", description="What an ask question wants to know.")
strawberry.enum(Direction, name="Direction")
strawberry.enum(Confidence, name="Confidence")
strawberry.enum(
    RatioKind, name="LongShortKind", description="Which long/short ratio Binance reports."
)
strawberry.enum(
    PositionSide, name="LiquidatedSide", description="The side of the position that was liquidated."
)
strawberry.enum(
    discovery.UniverseSort,
    name="UniverseSort",
    description="Universe order; rows lacking the sorted value come last.",
)
strawberry.enum(
    discovery.ScanDirection,
    name="SmartMoneyDirection",
    description="Which end of the score the scan ranks first.",
)
strawberry.enum(
    discovery.FlowBias,
    name="SmartMoneyBias",
    description="From the score: at or above 25 ACCUMULATION, at or below -25 DISTRIBUTION; "
    "NEUTRAL between, and whenever less than 50 % of the factor weight is present.",
)
strawberry.enum(
    VerdictKind,
    name="VerdictKind",
    description="CONFIRM: trade it at positionMultiplier x the size hint. DOWNSIZE: trade "
    "it smaller, for the warnings raised. SKIP: it has a direction but should not be traded. "
    "WAIT: no direction yet.",
)
strawberry.enum(
    RiskMode,
    name="RiskMode",
    description="NORMAL: no risk warning, follow the whole plan. REDUCED: one warning, "
    "consider taking profit earlier. DEFENSIVE: no new position, or take profit at the "
    "first target and keep the stop.",
)
strawberry.enum(
    Judge, name="Judge", description="AI: the model decided. RULES: the documented rule judge did."
)
strawberry.enum(
    CheckKind,
    name="CheckKind",
    description="SUPPORT: a factor read for or against. WARNING: a risk check.",
)
strawberry.enum(
    indicators.Alignment,
    name="EmaAlignment",
    description="BULLISH: close > EMA 9 > EMA 21 > EMA 50; BEARISH the mirror.",
)
strawberry.enum(
    indicators.Structure,
    name="PriceStructure",
    description="UP: higher highs and higher lows; DOWN: lower highs and lows.",
)
strawberry.enum(
    smc.Bias,
    name="SmcBias",
    description="A timeframe's bias is the direction of its latest structure break (NEUTRAL "
    "before any); the combined bias is the sign of the weighted score.",
)
strawberry.enum(smc.Direction, name="SmcDirection")
strawberry.enum(smc.SwingKind, name="SwingKind")
strawberry.enum(
    smc.BreakKind,
    name="StructureBreakKind",
    description="BOS: a break with the current trend; CHOCH (change of character): against it.",
)
strawberry.enum(smc.LiquidityKind, name="LiquidityKind")
strawberry.enum(scalping.LevelKind, name="ScalpingLevelKind")
strawberry.enum(
    scalping_inputs.RsiZone, name="ScalpingRsiZone", description="OVERBOUGHT >= 70, OVERSOLD <= 30."
)
strawberry.enum(
    MssPhase,
    name="MssPhaseName",
    description="DISCOVERY (0-30: FDV, age, supply), SOCIAL (0-35: LunarCrush metrics and a "
    "buy-pressure bonus), INSTITUTIONAL (0-35: open interest, top traders, whales, walls).",
)
strawberry.enum(
    CriterionState,
    name="MssCriterionState",
    description="SCORED, or why not: NO_DATA (the source had no value), FAILED (the source "
    "failed), NOT_CONFIGURED (a keyed source without its key). Unscored criteria are left "
    "out of the maxima.",
)
strawberry.enum(
    MssTier,
    name="MssTier",
    description="By score: EXCEPTIONAL >= 85 and STRONG >= 75 (both with every scored phase "
    "at its pass mark), PROMISING >= 60, WATCH >= 40, WEAK below; INSUFFICIENT_DATA when "
    "nothing was scored or quality is under its minimum.",
)
