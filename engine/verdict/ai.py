"""The AI judge's side of the engine: a rule verdict standing in for it, and its answers held
to the verdict's bounds. Pure; the OpenAI call itself lives in ``providers``.

An AI answer decides the verdict, the risk mode, the size multiplier, the summary and the
checks; never prices: the plan is always the engine's (``engine.verdict.plan``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from engine.signal.model import Direction, SignalResult
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

MAX_SUMMARY_CHARS = 600  # an AI summary longer than this is cut


class InvalidAiVerdict(ValueError):
    """An AI answer that breaks the verdict's bounds; the caller falls back to the rules."""


def fallback(verdict: Verdict, reason: str, *, latency_ms: float | None = None) -> Verdict:
    """``verdict`` (from ``rules.judge``) answering in place of the AI, with why: ``reason`` is
    one line (no key, timeout, HTTP 500, refusal, invalid output, ...); ``latency_ms`` is
    how long the failed AI attempt took, when it was made."""
    if verdict.judge is not Judge.RULES:
        raise ValueError("only a rule verdict can answer in place of the AI")
    if not reason.strip():
        raise ValueError("a fallback needs its reason")
    return replace(verdict, model=None, latency_ms=latency_ms, fallback_reason=reason.strip())


def ai_checks(supporting: Sequence[str], warnings: Sequence[str]) -> tuple[LayerCheck, ...]:
    """An AI answer's free-text points as layer checks named ``ai``: each supporting point a
    passed SUPPORT check, each warning a raised WARNING check, in the order given; blank
    points are dropped. A caller may put them after the rules' own ``layer_checks``."""
    return (
        *(LayerCheck("ai", CheckKind.SUPPORT, True, t.strip()) for t in supporting if t.strip()),
        *(LayerCheck("ai", CheckKind.WARNING, False, t.strip()) for t in warnings if t.strip()),
    )


def from_ai(
    signal: SignalResult,
    plan: TradePlan | None,
    *,
    verdict: VerdictKind,
    risk_mode: RiskMode,
    position_multiplier: float,
    summary: str,
    checks: Sequence[LayerCheck],
    model: str,
    latency_ms: float,
) -> Verdict:
    """A verdict from an AI answer's fields, held to the rules' bounds.

    The plan is always the engine's (the AI never gives prices). The multiplier is clamped
    to 0..1.5 and rounded to 2 decimals; SKIP and WAIT get multiplier 0 and the DEFENSIVE
    risk mode (what they mean); a summary longer than 600 characters is cut.
    Raises ``InvalidAiVerdict`` (so the caller falls back) for: a multiplier that is not a
    finite number, an empty summary or model name, a negative latency, WAIT on a signal with
    a direction or anything but WAIT on a NEUTRAL one, and CONFIRM or DOWNSIZE without a
    plan (no stop) or at a multiplier of 0. A plan for the other direction is the caller's
    mistake, not the AI's: ValueError.
    """
    if plan is not None and plan.direction is not signal.direction:
        raise ValueError(f"a {plan.direction.value} plan for a {signal.direction.value} signal")
    if not math.isfinite(position_multiplier):
        raise InvalidAiVerdict(f"position multiplier is not a number: {position_multiplier}")
    if not summary.strip():
        raise InvalidAiVerdict("empty summary")
    if not model.strip():
        raise InvalidAiVerdict("no model name")
    if not (math.isfinite(latency_ms) and latency_ms >= 0):
        raise InvalidAiVerdict(f"latency must be a non-negative number, got {latency_ms}")
    neutral = signal.direction is Direction.NEUTRAL
    if neutral != (verdict is VerdictKind.WAIT):
        raise InvalidAiVerdict(
            f"{verdict.value} on a {signal.direction.value} signal: WAIT is for NEUTRAL only"
        )
    trades = verdict in (VerdictKind.CONFIRM, VerdictKind.DOWNSIZE)
    clamped = min(MAX_POSITION_MULTIPLIER, max(0.0, position_multiplier))
    multiplier = round(clamped, 2) if trades else 0.0
    if trades and plan is None:
        raise InvalidAiVerdict(f"{verdict.value} without a trade plan: no stop can be placed")
    if trades and multiplier == 0:
        raise InvalidAiVerdict(f"{verdict.value} at a multiplier of 0")
    text = summary.strip()
    if len(text) > MAX_SUMMARY_CHARS:
        text = text[: MAX_SUMMARY_CHARS - 1].rstrip() + "…"
    return Verdict(
        verdict=verdict,
        risk_mode=risk_mode if trades else RiskMode.DEFENSIVE,
        position_multiplier=multiplier,
        summary=text,
        checks=tuple(checks),
        plan=None if neutral else plan,
        judge=Judge.AI,
        model=model.strip(),
        latency_ms=latency_ms,
    )


__all__ = ["MAX_SUMMARY_CHARS", "InvalidAiVerdict", "ai_checks", "fallback", "from_ai"]
