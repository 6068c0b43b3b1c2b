"""Reading a registry operation's GraphQL ``data`` and writing its numbers, for the
one-line answers.

Reading never fails: a missing, null or mistyped value is None. Numbers are the data's own,
written with a dot for decimals and no thousands separator (a comma would read as a decimal
point in Indonesian).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from engine.ask.model import Understood

MODE_NAMES = {
    "en": {"CONSERVATIVE": "conservative", "AGGRESSIVE": "aggressive", "ULTRA": "ultra"},
    "id": {"CONSERVATIVE": "konservatif", "AGGRESSIVE": "agresif", "ULTRA": "ultra"},
}
SHOWN = 5  # coins named at most in a list answer


# -- reading the data --------------------------------------------------------------------------


def get(data: Any, *path: str | int) -> Any:
    """The value at ``path`` (keys and list indexes) in ``data``; None when any step is
    missing, null or of the wrong kind."""
    value = data
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, Sequence) or isinstance(value, str):
                return None
            value = value[step] if -len(value) <= step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, Mapping) else None
        if value is None:
            return None
    return value


def number(data: Any, *path: str | int) -> float | None:
    """A finite number at ``path``, None otherwise (booleans are not numbers)."""
    value = get(data, *path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def text(data: Any, *path: str | int) -> str | None:
    value = get(data, *path)
    return value if isinstance(value, str) and value else None


def items(data: Any, *path: str | int) -> list[Any] | None:
    value = get(data, *path)
    return value if isinstance(value, list) else None


# -- formatting --------------------------------------------------------------------------------


def price_text(value: float) -> str:
    """A price: two decimals from 1 up (``102285.10``), four significant digits below
    (``0.00001234``)."""
    if value == 0:
        return "0"
    if abs(value) >= 1:
        return f"{value:.2f}"
    digits = 3 - math.floor(math.log10(abs(value)))
    return f"{value:.{digits}f}"


def score_text(value: float) -> str:
    """A score as the data has it, at most two decimals: ``63``, ``50.62``."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def mode_text(u: Understood, data_mode: str | None = None) -> str:
    """``aggressive mode`` / ``mode agresif``: the mode the data names, else the one asked."""
    names = MODE_NAMES[u.language]
    mode = data_mode if data_mode in names else u.mode.name
    return f"{names[mode]} mode" if u.language == "en" else f"mode {names[mode]}"


def say(u: Understood, en: str, id_: str) -> str:
    """The text in the asker's language."""
    return id_ if u.language == "id" else en


def missing(u: Understood, en_subject: str, id_subject: str) -> str:
    """``<subject>: not available right now.`` in the asker's language."""
    return say(
        u, f"{en_subject}: not available right now.", f"{id_subject}: tidak tersedia saat ini."
    )


def coin_of(u: Understood, found: Any = None) -> str:
    """The coin's ticker as the data names it, else as it was asked."""
    return text(found, "ticker") or (u.tickers[0] if u.tickers else "?")


def hours_text(u: Understood, hours: float) -> str:
    shown = score_text(hours)
    return say(u, f"{shown}h", f"{shown} jam")


def join(parts: list[str]) -> str:
    """The non-empty parts, comma separated."""
    return ", ".join(p for p in parts if p)


def smart_money_part(candidate: Any) -> str | None:
    """``BTC ACCUMULATION +35``, None without a ticker, bias or score."""
    coin, bias, score = (
        text(candidate, "ticker"),
        text(candidate, "bias"),
        number(candidate, "score"),
    )
    if coin is None or bias is None or score is None:
        return None
    return f"{coin} {bias} {score:+.0f}"


__all__ = [
    "MODE_NAMES", "SHOWN", "coin_of", "get", "hours_text", "items", "join", "missing",
    "mode_text", "number", "price_text", "say", "score_text", "smart_money_part", "text",
]  # fmt: skip
