"""Building blocks of the per-venue tables (``providers/<venue>/venue.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from engine.intervals import INTERVAL_MS


@dataclass(frozen=True, slots=True)
class LimitRange:
    """Accepted ``limit`` values of one endpoint: ``low``..``high`` and the venue's default."""

    low: int
    high: int
    default: int

    def check(self, name: str, limit: int) -> None:
        """Raise ``ValueError`` naming the accepted range when ``limit`` is outside it."""
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise ValueError(f"{name} limit must be an integer, got {limit!r}")
        if not self.low <= limit <= self.high:
            raise ValueError(
                f"{name} limit {limit} out of range; accepted: {self.low}..{self.high}"
            )


def interval_table(*names: str) -> MappingProxyType[str, int]:
    """The candle intervals a venue serves, with their length in ms (read-only)."""
    return MappingProxyType({name: INTERVAL_MS[name] for name in names})


__all__ = ["LimitRange", "interval_table"]
