"""The weighted score of the available factors, its direction, confidence and reasons."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType

from engine.signal.factors import FACTORS, FactorSpec, Reading
from engine.signal.model import (
    Confidence,
    DataQuality,
    Direction,
    FactorResult,
    Mode,
    ModeInfo,
    SignalInputs,
    SignalResult,
    SourceState,
    SourceStatus,
)
from engine.signal.modes import MODE_INFO, direction_for
from engine.signal.quality import assess

NEUTRAL_SCORE = 50.0
TOP_FACTORS = 3
# (min points beyond the crossed threshold, min quality %) per confidence, best first.
CONFIDENCE_RULES: tuple[tuple[Confidence, float, float], ...] = (
    (Confidence.HIGH, 10.0, 80.0),
    (Confidence.MEDIUM, 3.0, 60.0),
)


class NoPrice(ValueError):
    """No usable price: a signal cannot be computed. The message says why."""


def _describe(status: SourceStatus) -> str:
    """``name STATE (code): detail``, leaving out what is unknown."""
    text = f"{status.name} {status.state.value}"
    if status.code:
        text += f" ({status.code})"
    if status.detail:
        text += f": {status.detail}"
    return text


def _no_price(price: float | None, sources: Sequence[SourceStatus]) -> str:
    if price is not None:
        return f"no price: the price source gave an unusable value {price!r}"
    status = next((s for s in sources if s.name == "price"), None)
    if status is None:
        return "no price: the price source was not reported"
    via = f" via {status.provider}" if status.provider else ""
    return f"no price: {_describe(status)}{via}"


def _left_out(spec: FactorSpec, by_name: Mapping[str, SourceStatus]) -> str:
    """Why a factor has no reading: its sources' failures, else what it needs."""
    problems = [
        _describe(status)
        for name in spec.sources
        if (status := by_name.get(name)) is not None
        and status.state in (SourceState.FAILED, SourceState.NOT_CONFIGURED)
    ]
    if problems:
        return f"left out: {'; '.join(problems)}"
    return f"left out: needs {spec.needs}"


def confidence_for(
    score: float, direction: Direction, info: ModeInfo, quality_pct: float
) -> Confidence:
    """How far past the crossed threshold the score is, and on how good data.

    ``distance`` = score - long threshold for LONG, short threshold - score for SHORT
    (score points). HIGH when distance >= 10 and quality >= 80 %; MEDIUM when
    distance >= 3 and quality >= 60 %; otherwise LOW. NEUTRAL is always LOW.
    """
    if direction is Direction.LONG:
        distance = score - info.long_at_or_above
    elif direction is Direction.SHORT:
        distance = info.short_at_or_below - score
    else:
        return Confidence.LOW
    for confidence, min_distance, min_quality in CONFIDENCE_RULES:
        if distance >= min_distance and quality_pct >= min_quality:
            return confidence
    return Confidence.LOW


def _factor_result(
    spec: FactorSpec,
    reading: Reading | None,
    available_weight: int,
    by_name: Mapping[str, SourceStatus],
) -> FactorResult:
    source = ", ".join(spec.sources)
    if reading is None:
        return FactorResult(
            name=spec.name,
            weight=spec.weight,
            sub_score=None,
            available=False,
            contribution=0.0,
            explanation=_left_out(spec, by_name),
            source=source,
            raw=MappingProxyType({}),
        )
    return FactorResult(
        name=spec.name,
        weight=spec.weight,
        sub_score=reading.sub_score,
        available=True,
        contribution=spec.weight / available_weight * (reading.sub_score - NEUTRAL_SCORE),
        explanation=reading.explanation,
        source=source,
        raw=reading.raw,
    )


def _factor_results(
    inputs: SignalInputs, by_name: Mapping[str, SourceStatus]
) -> tuple[float, tuple[FactorResult, ...]]:
    """(unrounded score, all eight factor results in table order)."""
    readings: list[tuple[FactorSpec, Reading | None]] = [(s, s.read(inputs)) for s in FACTORS]
    available_weight = sum(spec.weight for spec, reading in readings if reading is not None)
    weighted = 0.0
    for spec, reading in readings:
        if reading is not None:
            weighted += spec.weight * reading.sub_score
    score = weighted / available_weight if available_weight else NEUTRAL_SCORE
    results = tuple(_factor_result(s, r, available_weight, by_name) for s, r in readings)
    return score, results


def _reasons(
    score: float,
    scored: Direction,
    confidence: Confidence,
    info: ModeInfo,
    result_factors: Sequence[FactorResult],
    top: Sequence[FactorResult],
    quality: DataQuality,
) -> tuple[str, ...]:
    mode = info.mode.value
    low, high = info.short_at_or_below, info.long_at_or_above
    if not quality.sufficient:
        first = (
            f"NEUTRAL: data quality {quality.score_pct:.2f} % is below the "
            f"{quality.minimum_pct:.2f} % minimum, so no direction is given "
            f"(score {score:.2f} alone would be {scored.value})"
        )
    elif scored is Direction.LONG:
        first = f"LONG: score {score:.2f} is at or above {high:g} ({mode} mode)"
    elif scored is Direction.SHORT:
        first = f"SHORT: score {score:.2f} is at or below {low:g} ({mode} mode)"
    else:
        first = f"NEUTRAL: score {score:.2f} is between {low:g} and {high:g} ({mode} mode)"
    lines = [first, f"Confidence {confidence.value} at {quality.score_pct:.2f} % data quality"]
    if top:
        moved = ", ".join(f"{f.name} {f.contribution:+.2f}" for f in top)
        lines.append(f"Moved most by: {moved}")
    else:
        lines.append("No factor had data: the score is the neutral 50")
    missing = [f.name for f in result_factors if not f.available]
    if missing:
        lines.append(f"Left out (no usable data): {', '.join(missing)}")
    down = [
        f"{s.name} {s.state.value}"
        for s in quality.sources
        if s.state in (SourceState.FAILED, SourceState.NOT_CONFIGURED)
    ]
    if down:
        lines.append(f"Sources without data: {', '.join(down)}")
    stale = [s.name for s in quality.sources if s.state is SourceState.STALE]
    if stale:
        lines.append(f"Served stale: {', '.join(stale)}")
    return tuple(lines)


def _insufficient(
    sources: Sequence[SourceStatus], factors: Sequence[FactorResult]
) -> list[SourceStatus]:
    """Sources that answered but gave a factor too little to read count as failed for
    quality: a factor's absence lowers data quality whatever the reason."""
    answered = {s.name for s in sources if s.state is SourceState.OK}
    starved = {
        name
        for spec, f in zip(FACTORS, factors, strict=True)
        if not f.available and all(n in answered for n in spec.sources)  # else a failure says why
        for name in spec.sources
    }
    return [
        replace(s, state=SourceState.FAILED, code="INSUFFICIENT_DATA",
                detail=f"answered, but too little data for {', '.join(_fed_by(s.name))}")
        if s.name in starved
        else s
        for s in sources
    ]  # fmt: skip


def _fed_by(source: str) -> list[str]:
    return [spec.name for spec in FACTORS if source in spec.sources]


def compute_signal(
    inputs: SignalInputs,
    sources: Sequence[SourceStatus],
    mode: Mode,
    now_ms: int,
    min_quality_pct: float = 50.0,
    modes: Mapping[Mode, ModeInfo] = MODE_INFO,
) -> SignalResult:
    """One symbol's signal from its inputs and the status of every source tried.

    ``score = sum(w_i * s_i) / sum(w_i)`` over the factors with a reading (weights of
    ``FACTORS``, sub-scores 0..100), 50 when none has one, rounded to 2 decimals before
    the direction is decided so that the shown score and the direction agree. A factor
    without a reading is listed with ``available=False`` and the reason; its weight is
    spread over the rest. ``contribution_i = w_i / sum(w) * (s_i - 50)``, so the
    contributions add up to ``score - 50``; ``top_factors`` are the three largest by
    absolute contribution (table order on ties). The direction comes from ``mode``
    (``direction_for``, with the thresholds of ``modes``) unless data quality (``quality.assess``) is below
    ``min_quality_pct``, which gives NEUTRAL. Confidence: ``confidence_for``.
    ``now_ms`` (Unix ms) becomes ``generated_at_ms``.
    Raises NoPrice when ``inputs.price`` is None, not finite or not positive.
    """
    price = inputs.price
    if price is None or not (math.isfinite(price) and price > 0):
        raise NoPrice(_no_price(price, sources))
    by_name = {s.name: s for s in sources}
    raw_score, factors = _factor_results(inputs, by_name)
    quality = assess(_insufficient(sources, factors), min_quality_pct)
    score = round(min(100.0, max(0.0, raw_score)), 2)
    info = modes[mode]
    scored = direction_for(score, mode, modes)
    direction = scored if quality.sufficient else Direction.NEUTRAL
    confidence = confidence_for(score, direction, info, quality.score_pct)
    available = [f for f in factors if f.available]
    top = tuple(sorted(available, key=lambda f: -abs(f.contribution))[:TOP_FACTORS])
    reasons = _reasons(score, scored, confidence, info, factors, top, quality)
    return SignalResult(
        direction=direction,
        score=score,
        confidence=confidence,
        mode=info,
        factors=factors,
        top_factors=top,
        reasons=reasons,
        quality=quality,
        generated_at_ms=now_ms,
    )


__all__ = ["CONFIDENCE_RULES", "NoPrice", "compute_signal", "confidence_for"]
