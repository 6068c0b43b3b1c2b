"""Coinglass open API v4 (keyed) service facts, in one frozen table.

Sources: Coinglass v4 docs (Authentication: header ``CG-API-KEY``; Errors & Rate Limits;
Quickstart: success is HTTP 200 with ``code`` "0", errors come as HTTP status and/or business
``code``) and the official API pages mirrored in coinglass-official/coinglass-api-skills
(``futures/liquidation/API.md``, ``futures/long-short-ratio/API.md``: paths, parameters,
intervals, limits). The recorded doc examples are in ``shared/data/recorded/coinglass``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Unpack

from engine.domain import RatioKind
from providers.http import HostPolicy, HostTuning
from providers.venue_table import LimitRange, interval_table


@dataclass(frozen=True, slots=True)
class CoinglassVenue:
    provider: str
    default_base_url: str
    api_key_header: str  # the key travels in this header, never in the URL
    intervals: MappingProxyType[str, int]  # history endpoints' ``interval`` values
    history_limit: LimitRange  # rows per request of the */history endpoints
    liquidation_history_path: str
    ratio_paths: MappingProxyType[RatioKind, str]
    ok_code: str  # the envelope's ``code`` is a string
    auth_codes: frozenset[str]  # invalid or missing key, or the plan lacks the endpoint
    rate_limited_codes: frozenset[str]
    server_codes: frozenset[str]  # 408 request took too long, 500 server error
    rate_limits_per_min: MappingProxyType[str, int]  # by plan (counted per key)
    usage_headers: tuple[str, str]  # (limit per minute, used this minute), sent on answers


VENUE = CoinglassVenue(
    provider="coinglass",
    default_base_url="https://open-api-v4.coinglass.com",
    api_key_header="CG-API-KEY",
    intervals=interval_table(
        "1m", "3m", "5m", "15m", "30m", "1h", "4h", "6h", "8h", "12h", "1d", "1w"
    ),
    history_limit=LimitRange(low=1, high=1000, default=1000),
    liquidation_history_path="/api/futures/liquidation/history",
    ratio_paths=MappingProxyType(
        {
            RatioKind.GLOBAL_ACCOUNTS: "/api/futures/global-long-short-account-ratio/history",
            RatioKind.TOP_ACCOUNTS: "/api/futures/top-long-short-account-ratio/history",
            RatioKind.TOP_POSITIONS: "/api/futures/top-long-short-position-ratio/history",
        }
    ),
    ok_code="0",
    auth_codes=frozenset({"401"}),
    rate_limited_codes=frozenset({"429"}),
    server_codes=frozenset({"408", "500"}),
    rate_limits_per_min=MappingProxyType(
        {"HOBBYIST": 30, "STARTUP": 80, "STANDARD": 300, "PROFESSIONAL": 1200}
    ),
    usage_headers=("API-KEY-MAX-LIMIT", "API-KEY-USE-LIMIT"),
)


# -- argument checks (defence in depth: the API layer validates first) ---------------------


def check_exchange(exchange: str) -> None:
    """A Coinglass exchange name as it writes them (``Binance``, ``OKX``, ``Bybit``)."""
    if not exchange or any(c.isspace() or c in "/?#&=," for c in exchange):
        raise ValueError(f"invalid Coinglass exchange {exchange!r}: expected e.g. 'Binance'")


def check_pair(symbol: str) -> None:
    """A trading pair as the exchange writes it on Coinglass (``BTCUSDT``)."""
    if not symbol or any(c.isspace() or c in "/?#&=" for c in symbol):
        raise ValueError(f"invalid Coinglass pair {symbol!r}: expected e.g. 'BTCUSDT'")


def check_interval(interval: str) -> None:
    if interval not in VENUE.intervals:
        accepted = ", ".join(VENUE.intervals)
        raise ValueError(f"unsupported Coinglass interval {interval!r}; accepted: {accepted}")


def check_api_key(api_key: str) -> None:
    """A usable key: a non-empty header value. The message never contains the key."""
    if not isinstance(api_key, str) or not api_key.strip() or any(c in api_key for c in "\r\n"):
        raise ValueError("the Coinglass API key is empty or not a single-line string")


# -- HTTP policy -----------------------------------------------------------------------------


def not_served(_status: int, _body: Any) -> bool:
    """Coinglass documents no "unknown symbol" code, so no answer is read as one here; the
    client reports an empty ``data`` as no data."""
    return False


def host_policy(**tuning: Unpack[HostTuning]) -> HostPolicy:
    """Coinglass's ``HostPolicy``: timeouts and retries from settings.

    No weight budget is set: the per-minute limit depends on the key's plan
    (``rate_limits_per_min``); HTTP 429 pauses the host through the shared layer.
    """
    return HostPolicy(provider=VENUE.provider, not_served=not_served, **tuning)


__all__ = [
    "VENUE",
    "CoinglassVenue",
    "check_api_key",
    "check_exchange",
    "check_interval",
    "check_pair",
    "host_policy",
    "not_served",
]
