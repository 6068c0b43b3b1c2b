"""Coinglass v4 payloads, named after the upstream fields.

Every answer is ``{"code": "0", "msg": "success", "data": ...}`` with ``code`` a string. Within
one endpoint some numbers are strings (``long_liquidation_usd``) and others JSON numbers (the
ratio percents); times are ms integers. Nothing is filled in.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, TypeAdapter

from engine.domain import LiquidationBucket, LongShortPoint
from providers.payloads import OptFloat, Payload


class Envelope(Payload):
    """``{"code": "0", "msg": "success", "data": ...}``; a non-"0" code is an error."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    code: str
    msg: str = ""
    data: Any = None


class LiquidationHistoryRow(Payload):
    """One ``liquidation/history`` bucket: USD liquidated per side, the bucket starting at
    ``time`` (ms). The USD amounts arrive as strings."""

    time: int
    long_liquidation_usd: float
    short_liquidation_usd: float

    def to_domain(self) -> LiquidationBucket:
        return LiquidationBucket(
            ts_ms=self.time,
            long_usd=self.long_liquidation_usd,
            short_usd=self.short_liquidation_usd,
        )


def _fraction(percent: float | None) -> float | None:
    """Coinglass sends shares in percent (73.88); the domain keeps fractions (0.7388)."""
    return None if percent is None else percent / 100.0


class GlobalAccountRatioRow(Payload):
    """``global-long-short-account-ratio/history``: shares of all accounts, in percent."""

    time: int
    global_account_long_percent: OptFloat = None
    global_account_short_percent: OptFloat = None
    global_account_long_short_ratio: float

    def to_domain(self) -> LongShortPoint:
        return LongShortPoint(
            ts_ms=self.time,
            long_short_ratio=self.global_account_long_short_ratio,
            long_fraction=_fraction(self.global_account_long_percent),
            short_fraction=_fraction(self.global_account_short_percent),
        )


class TopAccountRatioRow(Payload):
    """``top-long-short-account-ratio/history``: shares of top traders' accounts, in percent."""

    time: int
    top_account_long_percent: OptFloat = None
    top_account_short_percent: OptFloat = None
    top_account_long_short_ratio: float

    def to_domain(self) -> LongShortPoint:
        return LongShortPoint(
            ts_ms=self.time,
            long_short_ratio=self.top_account_long_short_ratio,
            long_fraction=_fraction(self.top_account_long_percent),
            short_fraction=_fraction(self.top_account_short_percent),
        )


class TopPositionRatioRow(Payload):
    """``top-long-short-position-ratio/history``: shares of top traders' positions, percent."""

    time: int
    top_position_long_percent: OptFloat = None
    top_position_short_percent: OptFloat = None
    top_position_long_short_ratio: float

    def to_domain(self) -> LongShortPoint:
        return LongShortPoint(
            ts_ms=self.time,
            long_short_ratio=self.top_position_long_short_ratio,
            long_fraction=_fraction(self.top_position_long_percent),
            short_fraction=_fraction(self.top_position_short_percent),
        )


LIQUIDATION_HISTORY = TypeAdapter(tuple[LiquidationHistoryRow, ...])
GLOBAL_ACCOUNT_RATIOS = TypeAdapter(tuple[GlobalAccountRatioRow, ...])
TOP_ACCOUNT_RATIOS = TypeAdapter(tuple[TopAccountRatioRow, ...])
TOP_POSITION_RATIOS = TypeAdapter(tuple[TopPositionRatioRow, ...])

__all__ = [
    "GLOBAL_ACCOUNT_RATIOS",
    "LIQUIDATION_HISTORY",
    "TOP_ACCOUNT_RATIOS",
    "TOP_POSITION_RATIOS",
    "Envelope",
    "GlobalAccountRatioRow",
    "LiquidationHistoryRow",
    "TopAccountRatioRow",
    "TopPositionRatioRow",
]
