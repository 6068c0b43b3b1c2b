"""alternative.me Crypto Fear & Greed Index: service facts, in one frozen table.

Source: alternative.me API page for ``/fng/`` and the recorded bodies in
``shared/data/recorded/alternative-me``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Unpack

from providers.http import HostPolicy, HostTuning


@dataclass(frozen=True, slots=True)
class FearGreedVenue:
    provider: str
    default_base_url: str
    index_path: str
    response_format: str
    limit_all: int  # limit=0 returns the whole history
    default_limit: int
    value_min: int
    value_max: int


VENUE = FearGreedVenue(
    provider="alternative.me",
    default_base_url="https://api.alternative.me",
    index_path="/fng/",
    response_format="json",
    limit_all=0,
    default_limit=1,
    value_min=0,
    value_max=100,
)


def check_limit(limit: int) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < VENUE.limit_all:
        raise ValueError(
            f"fear & greed limit must be an integer >= 0 (0 = whole history), got {limit!r}"
        )


def not_served(_status: int, _body: Any) -> bool:
    """The index has no symbols, so nothing is ever "not served"."""
    return False


def host_policy(**tuning: Unpack[HostTuning]) -> HostPolicy:
    """alternative.me's ``HostPolicy``: no weight header, timeouts and retries from settings."""
    return HostPolicy(provider=VENUE.provider, not_served=not_served, **tuning)


__all__ = ["VENUE", "FearGreedVenue", "check_limit", "host_policy", "not_served"]
