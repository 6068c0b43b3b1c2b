"""Hyperliquid info API service facts, in one frozen table.

Sources: Hyperliquid API docs (Info endpoint, its Perpetuals page, Rate limits and user
limits) as mirrored by SDKs that cite them (the nktkas/hyperliquid TypeScript schemas;
guilder-client-hyperliquid's rate-limit table), and the recorded bodies in
``shared/data/recorded/hyperliquid``. Every request is ``POST /info`` with a JSON body whose
``type`` selects the query. Numbers arrive as strings, times as ms integers.

Answers the venue gives that the client relies on:

* a market it does not list: HTTP 200 with the body ``null`` (``l2Book`` is typed so in the
  SDK; client code that met it reports the same of ``candleSnapshot``);
* a body it cannot read (unknown ``type``, a missing or mistyped field, a malformed user
  address): HTTP 422 with the plain text ``Failed to deserialize the JSON body into the
  target type``;
* too much weight: HTTP 429.

``recentTrades`` is served by the public info endpoint (SDKs and node providers list it) but
is not on the official Info endpoint page; its answer is at most about ten recent prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Unpack

from providers.http import HostPolicy, HostTuning
from providers.venue_table import interval_table


@dataclass(frozen=True, slots=True)
class HyperliquidVenue:
    provider: str
    default_base_url: str
    info_path: str  # every query is POST {base}/info
    intervals: MappingProxyType[str, int]  # candleSnapshot intervals with a fixed length
    weight_limit_1m: int  # aggregated request weight per minute per IP
    weights: MappingProxyType[str, int]  # base weight of each info ``type`` used here
    default_weight: int  # every other info request
    items_per_extra_weight: MappingProxyType[str, int]  # +1 weight per this many items
    candle_cap: int  # at most this many candles per answer (the most recent ones)
    funding_interval_h: int  # funding is paid every hour


VENUE = HyperliquidVenue(
    provider="hyperliquid",
    default_base_url="https://api.hyperliquid.xyz",
    info_path="/info",
    # "1M" (calendar month) is left out: it has no fixed length in ms.
    intervals=interval_table(
        "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "8h", "12h", "1d", "3d", "1w"
    ),
    weight_limit_1m=1200,
    weights=MappingProxyType(
        {
            "l2Book": 2,
            "allMids": 2,
            "clearinghouseState": 2,
            "metaAndAssetCtxs": 20,
            "candleSnapshot": 20,
            "recentTrades": 20,
        }
    ),
    default_weight=20,
    items_per_extra_weight=MappingProxyType({"candleSnapshot": 60, "recentTrades": 20}),
    candle_cap=5000,
    funding_interval_h=1,
)

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def endpoint(info_type: str) -> str:
    """The metrics label of one info query, e.g. ``/info:l2Book``."""
    return f"{VENUE.info_path}:{info_type}"


def weight(info_type: str, expected_items: int = 0) -> int:
    """Request weight of one info query: its base weight, plus one per block of items the
    answer is expected to carry where the venue charges for items."""
    base = VENUE.weights.get(info_type, VENUE.default_weight)
    per = VENUE.items_per_extra_weight.get(info_type)
    return base + (expected_items // per if per else 0)


def expected_candles(interval: str, start_ms: int, end_ms: int) -> int:
    """How many candles a ``candleSnapshot`` window can hold (capped as the venue caps it)."""
    step = VENUE.intervals[interval]
    return min(VENUE.candle_cap, (end_ms - start_ms) // step + 1)


# -- argument checks (defence in depth: the API layer validates first) ---------------------


def check_coin(coin: str) -> None:
    """A Hyperliquid coin as its universe writes it (``BTC``, ``kPEPE``, ``xyz:XYZ100``)."""
    if not isinstance(coin, str) or not coin or any(c.isspace() for c in coin):
        raise ValueError(f"invalid Hyperliquid coin {coin!r}: expected e.g. 'BTC' or 'kPEPE'")


def check_interval(interval: str) -> None:
    if interval not in VENUE.intervals:
        accepted = ", ".join(VENUE.intervals)
        raise ValueError(f"unsupported Hyperliquid interval {interval!r}; accepted: {accepted}")


def check_window(start_ms: int, end_ms: int) -> None:
    for name, value in (("start_ms", start_ms), ("end_ms", end_ms)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer of ms, got {value!r}")
    if end_ms < start_ms:
        raise ValueError(f"end_ms {end_ms} is before start_ms {start_ms}")


def check_user(user: str) -> None:
    """An account address: ``0x`` and 40 hex digits (anything else the venue answers 422)."""
    if not isinstance(user, str) or not _ADDRESS.fullmatch(user):
        raise ValueError(f"invalid Hyperliquid user address {user!r}: expected 0x + 40 hex")


# -- HTTP policy -----------------------------------------------------------------------------


def not_served(status: int, body: Any) -> bool:
    """True for Hyperliquid's answer about a market it does not list: HTTP 200, body null."""
    return status == 200 and body is None


def host_policy(*, weight_safety_margin: float = 0.1, **tuning: Unpack[HostTuning]) -> HostPolicy:
    """Hyperliquid's ``HostPolicy``: venue facts filled in, timeouts and retries from settings.

    Hyperliquid reports no used-weight header, so the shared layer counts the weight this
    process sends against 1200/min, keeping ``weight_safety_margin`` of it in reserve for
    other clients on the same IP (0.1 -> calls stop at 1080). HTTP 429 pauses the host.
    """
    if not 0.0 <= weight_safety_margin < 1.0:
        raise ValueError("weight_safety_margin must be in [0, 1)")
    return HostPolicy(
        provider=VENUE.provider,
        weight_limit_1m=int(VENUE.weight_limit_1m * (1.0 - weight_safety_margin)),
        not_served=not_served,
        **tuning,
    )


__all__ = [
    "VENUE",
    "HyperliquidVenue",
    "check_coin",
    "check_interval",
    "check_user",
    "check_window",
    "endpoint",
    "expected_candles",
    "host_policy",
    "not_served",
    "weight",
]
