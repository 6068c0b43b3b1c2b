"""Argument checks, run before any upstream call: each refusal is an ``InvalidArgument``
with its stable code."""

from __future__ import annotations

from collections.abc import Sized
from datetime import UTC, datetime

from engine.intervals import INTERVAL_MS, STAT_PERIODS
from resolvers.errors import InvalidArgument

EARLIEST = datetime(1, 1, 2, tzinfo=UTC)  # a moment whose UTC date exists, whatever its zone
LATEST = datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=UTC)


def check_moment(name: str, value: datetime, *, naive_is_utc: bool = False) -> datetime:
    """A time argument with its zone (one without is ``BAD_ARGUMENT``, or taken as UTC when
    ``naive_is_utc``), between 0001-01-02 and 9999-12-30 in UTC: a time of year 1 or 9999
    in another zone may fall outside the calendar once in UTC, which no store can keep."""
    if value.utcoffset() is None:
        if not naive_is_utc:
            raise InvalidArgument(
                "BAD_ARGUMENT", f"{name} needs a time zone, e.g. 2026-01-01T00:00:00Z"
            )
        value = value.replace(tzinfo=UTC)
    if not EARLIEST <= value <= LATEST:
        raise InvalidArgument(
            "BAD_ARGUMENT", f"{name} must lie between 0001-01-02 and 9999-12-30 in UTC"
        )
    return value


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
