"""Number formatting and lean words shared by the factor explanations and the summaries.

Pure string helpers; no locale: decimals always use a dot, so the same figures appear
in every language's text.
"""

from __future__ import annotations

import math

HOUR_MS = 3_600_000
MINUTE_MS = 60_000


def usd(amount: float) -> str:
    """A USD amount, compact: ``$950``, ``$4.1K``, ``$12.3M``, ``$1.20B``."""
    if not math.isfinite(amount):
        return f"${amount}"
    size = abs(amount)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= limit:
            return (
                f"${amount / limit:.2f}{suffix}"
                if suffix == "B"
                else f"${amount / limit:.1f}{suffix}"
            )
    return f"${amount:.0f}"


def signed_pct(value_pct: float, digits: int = 2) -> str:
    """A percentage with its sign: ``+1.25 %``, ``-0.40 %``."""
    return f"{value_pct:+.{digits}f} %"


def duration(span_ms: int) -> str:
    """A span in words: ``24h``, ``90m``, ``45s``; hours when whole, else minutes."""
    if span_ms >= HOUR_MS and span_ms % HOUR_MS == 0:
        return f"{span_ms // HOUR_MS}h"
    if span_ms >= MINUTE_MS:
        return f"{round(span_ms / MINUTE_MS)}m"
    return f"{round(span_ms / 1000)}s"


def lean(sub_score: float) -> str:
    """The word for a 0-100 sub-score: bullish (>= 60), mildly bullish (> 52), neutral
    (48..52), mildly bearish (> 40), bearish (<= 40). Wording only; no rule depends on it."""
    if sub_score >= 60:
        return "bullish"
    if sub_score > 52:
        return "mildly bullish"
    if sub_score >= 48:
        return "neutral"
    if sub_score > 40:
        return "mildly bearish"
    return "bearish"


__all__ = ["duration", "lean", "signed_pct", "usd"]
