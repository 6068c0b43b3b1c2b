"""The MSS: a three-phase score of emerging coins (discovery, social confirmation,
institutional validation), 0-100, from documented tables of criteria. Pure and clock-free.
"""

from engine.mss.criteria import BY_KEY, CRITERIA, PHASE_MAX, SOURCE_TIERS, Criterion, Phase
from engine.mss.score import (
    Absent,
    CriterionResult,
    CriterionState,
    Input,
    MssResult,
    MssTier,
    PhaseResult,
    Reading,
    combine,
    score_phase,
)

__all__ = [
    "BY_KEY",
    "CRITERIA",
    "PHASE_MAX",
    "SOURCE_TIERS",
    "Absent",
    "Criterion",
    "CriterionResult",
    "CriterionState",
    "Input",
    "MssResult",
    "MssTier",
    "Phase",
    "PhaseResult",
    "Reading",
    "combine",
    "score_phase",
]
