"""Signal modes: one score, three pairs of thresholds, and a lenient parser for their names."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

from engine.signal.model import Direction, Mode, ModeInfo

DEFAULT_MODE = Mode.AGGRESSIVE

MODE_INFO: Mapping[Mode, ModeInfo] = MappingProxyType(
    {
        Mode.CONSERVATIVE: ModeInfo(
            mode=Mode.CONSERVATIVE,
            short_at_or_below=35.0,
            long_at_or_above=65.0,
            risk_level="LOW",
            description="Only strong agreement between factors gives a direction.",
            best_use="Swing trades and larger positions; few signals, most of them NEUTRAL.",
        ),
        Mode.AGGRESSIVE: ModeInfo(
            mode=Mode.AGGRESSIVE,
            short_at_or_below=45.0,
            long_at_or_above=55.0,
            risk_level="MEDIUM",
            description="The default: a moderate lean of the factors gives a direction.",
            best_use="Day trading with normal position sizes.",
        ),
        Mode.ULTRA: ModeInfo(
            mode=Mode.ULTRA,
            short_at_or_below=49.0,
            long_at_or_above=51.0,
            risk_level="HIGH",
            description="Almost any lean gives a direction; many signals, many of them weak.",
            best_use="Scalping with small positions and tight stops.",
        ),
    }
)

# Lower-case alias -> mode. Numbers follow the table order (1 = most cautious).
ALIASES: Mapping[str, Mode] = MappingProxyType(
    {
        "1": Mode.CONSERVATIVE,
        "conservative": Mode.CONSERVATIVE,
        "safe": Mode.CONSERVATIVE,
        "2": Mode.AGGRESSIVE,
        "aggressive": Mode.AGGRESSIVE,
        "balanced": Mode.AGGRESSIVE,
        "3": Mode.ULTRA,
        "ultra": Mode.ULTRA,
        "extreme": Mode.ULTRA,
        "scalping": Mode.ULTRA,
    }
)


def parse_mode(text: str | int) -> Mode:
    """A mode from a number (1, 2, 3) or a name, any case, surrounding spaces ignored.

    Accepted: 1/conservative/safe, 2/aggressive/balanced, 3/ultra/extreme/scalping.
    Anything else (booleans included) raises ValueError listing the accepted values.
    """
    key = None if isinstance(text, bool) else str(text).strip().lower()
    mode = ALIASES.get(key) if key is not None else None
    if mode is None:
        accepted = ", ".join(ALIASES)
        raise ValueError(f"unknown signal mode {text!r}; accepted (any case): {accepted}")
    return mode


def with_thresholds(thresholds: Mapping[Mode, tuple[float, float]]) -> Mapping[Mode, ModeInfo]:
    """``MODE_INFO`` with each given mode's (short at or below, long at or above) pair in
    place of its own (a deployment's settings). ValueError unless 0 <= short < long <= 100
    (a score at one threshold could otherwise be both SHORT and LONG)."""
    table = dict(MODE_INFO)
    for mode, (short, long) in thresholds.items():
        if not 0 <= short < long <= 100:
            raise ValueError(
                f"{mode.name} thresholds must satisfy 0 <= short < long <= 100,"
                f" not short {short:g} and long {long:g}"
            )
        table[mode] = dataclasses.replace(
            MODE_INFO[mode], short_at_or_below=short, long_at_or_above=long
        )
    return MappingProxyType(table)


def direction_for(
    score: float, mode: Mode, modes: Mapping[Mode, ModeInfo] = MODE_INFO
) -> Direction:
    """SHORT when ``score`` (0..100) is at or below the mode's low threshold (in
    ``modes``), LONG at or above its high one, NEUTRAL between (and for NaN)."""
    info = modes[mode]
    if score <= info.short_at_or_below:
        return Direction.SHORT
    if score >= info.long_at_or_above:
        return Direction.LONG
    return Direction.NEUTRAL


__all__ = [
    "ALIASES",
    "DEFAULT_MODE",
    "MODE_INFO",
    "direction_for",
    "parse_mode",
    "with_thresholds",
]
