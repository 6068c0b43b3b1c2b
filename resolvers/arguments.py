"""Argument checks, run before any upstream call: each refusal is an ``InvalidArgument``
with its stable code."""

from __future__ import annotations

from collections.abc import Sized

from engine.intervals import INTERVAL_MS, STAT_PERIODS
from resolvers.errors import InvalidArgument


def check_limit(name: str, value: int, low: int, high: int, code: str = "BAD_LIMIT") -> int:
    if not low <= value <= high:
        raise InvalidArgument(code, f"{name} must be between {low} and {high}, got {value}")
    return value


def check_indicator_period(name: str, value: int, low: int, high: int) -> int:
    """An indicator's period (RSI 14...): out of range is ``BAD_PERIOD``."""
    return check_limit(name, value, low, high, code="BAD_PERIOD")


def check_stats_period(period: str) -> str:
    """A venue statistics period ("5m", "1h"...): unknown is ``BAD_PERIOD``."""
    if period not in STAT_PERIODS:
        raise InvalidArgument("BAD_PERIOD", f"period must be one of {', '.join(STAT_PERIODS)}")
    return period


def check_interval(interval: str) -> int:
    """A candle interval; its length in ms. Unknown is ``BAD_INTERVAL``."""
    if interval not in INTERVAL_MS:
        raise InvalidArgument("BAD_INTERVAL", f"interval must be one of {', '.join(INTERVAL_MS)}")
    return INTERVAL_MS[interval]


def check_ticker_count(tickers: Sized, max_symbols: int) -> None:
    """A list of tickers: 1 to ``max_symbols`` entries (``BAD_LIMIT``)."""
    if not 1 <= len(tickers) <= max_symbols:
        raise InvalidArgument("BAD_LIMIT", f"tickers takes 1 to {max_symbols} entries")


__all__ = [
    "check_indicator_period",
    "check_interval",
    "check_limit",
    "check_stats_period",
    "check_ticker_count",
]
