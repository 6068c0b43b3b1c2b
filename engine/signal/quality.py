"""Data quality: every source a signal reads, its tier, and the quality score they earn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from engine.signal.model import DataQuality, SourceState, SourceStatus, Tier

SOURCES: Mapping[str, Tier] = MappingProxyType(
    {
        "price": Tier.CRITICAL,
        "klines": Tier.IMPORTANT,
        "funding": Tier.IMPORTANT,
        "open_interest": Tier.IMPORTANT,
        "liquidations": Tier.IMPORTANT,
        "long_short_ratio": Tier.IMPORTANT,
        "top_traders": Tier.IMPORTANT,
        "social": Tier.OPTIONAL,
        "fear_greed": Tier.OPTIONAL,
    }
)

TIER_WEIGHT: Mapping[Tier, float] = MappingProxyType(
    {Tier.CRITICAL: 3.0, Tier.IMPORTANT: 2.0, Tier.OPTIONAL: 1.0}
)
# Share of its tier weight a source earns; NOT_CONFIGURED is absent: it is left out.
STATE_CREDIT: Mapping[SourceState, float] = MappingProxyType(
    {SourceState.OK: 1.0, SourceState.STALE: 0.5, SourceState.FAILED: 0.0}
)


def assess(
    sources: Sequence[SourceStatus],
    minimum_pct: float,
    tiers: Mapping[str, Tier] = SOURCES,
) -> DataQuality:
    """Quality in % of the sources listed: ``100 * earned / possible``, 2 decimals.

    Each listed source may earn its tier weight (CRITICAL 3, IMPORTANT 2, OPTIONAL 1):
    OK earns all of it, STALE half, FAILED nothing. NOT_CONFIGURED sources (a keyed source
    without its key) are kept in the list but left out of ``possible``, so a missing key
    never lowers quality. Sources not listed are not counted: list every source tried.
    With nothing countable the quality is 0. ``sufficient`` when quality >= ``minimum_pct``.
    ``tiers`` names the sources and their tiers (a signal's ``SOURCES`` unless given: the
    MSS has its own). Raises ValueError for a name not in ``tiers``, a name listed twice,
    or a minimum outside 0..100.
    """
    if not 0.0 <= minimum_pct <= 100.0:
        raise ValueError(f"minimum_pct must be within 0..100, got {minimum_pct}")
    seen: set[str] = set()
    earned = possible = 0.0
    for status in sources:
        tier = tiers.get(status.name)
        if tier is None:
            raise ValueError(f"unknown source {status.name!r}; known: {', '.join(tiers)}")
        if status.name in seen:
            raise ValueError(f"source {status.name!r} listed twice")
        seen.add(status.name)
        credit = STATE_CREDIT.get(status.state)
        if credit is None:  # NOT_CONFIGURED
            continue
        possible += TIER_WEIGHT[tier]
        earned += TIER_WEIGHT[tier] * credit
    score_pct = round(100.0 * earned / possible, 2) if possible > 0 else 0.0
    return DataQuality(
        score_pct=score_pct,
        minimum_pct=minimum_pct,
        sufficient=score_pct >= minimum_pct,
        sources=tuple(sources),
    )


__all__ = ["SOURCES", "STATE_CREDIT", "TIER_WEIGHT", "assess"]
