"""LunarCrush API v4 (keyed) service facts, in one frozen table.

Sources: LunarCrush's endpoint reference as served on lunarcrush.ai (base
``https://lunarcrush.com/api4/public``, ``Authorization: Bearer <API_KEY>``, topic rules: "all
lower case and can only include letters, numbers, spaces, # and $") and LunarCrush's own
``lunarcrush/lunar-api-v3-to-v4`` script (``GET /api4/public/topic/{topic}/v1`` with
``data.num_posts``, ``types_count``, ``types_interactions`` and ``types_sentiment_detail``
``{network: {positive, neutral, negative}}``; a topic without posts has no ``num_posts``).
Errors as a body ``{"error": "..."}`` (e.g. "Rate limit exceeded (minute)") come from a
third-party client's notes (saizk/LunarCrushAPI) and are handled defensively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Unpack
from urllib.parse import quote

from providers.http import HostPolicy, HostTuning


@dataclass(frozen=True, slots=True)
class LunarCrushVenue:
    provider: str
    default_base_url: str
    topic_path: str  # format with the URL-quoted topic
    topic_endpoint: str  # the metrics label: one series for every topic
    auth_header: str
    auth_scheme: str
    topic_pattern: re.Pattern[str]
    rate_limit_marker: str  # lower-cased text of the rate-limit ``error`` body
    coins_list_path: str  # ``coins/list/v2``: one row per coin, filtered by ``symbols``
    max_symbols: int  # symbols asked in one coins-list call
    symbol_pattern: re.Pattern[str]


VENUE = LunarCrushVenue(
    provider="lunarcrush",
    default_base_url="https://lunarcrush.com",
    topic_path="/api4/public/topic/{topic}/v1",
    topic_endpoint="/api4/public/topic/:topic/v1",
    auth_header="Authorization",
    auth_scheme="Bearer",
    topic_pattern=re.compile(r"[a-z0-9 #$]+"),
    rate_limit_marker="rate limit",
    coins_list_path="/api4/public/coins/list/v2",
    max_symbols=100,
    symbol_pattern=re.compile(r"[A-Z0-9]{1,20}"),
)


def topic_path(topic: str) -> str:
    """The path of one topic; ``#``, ``$`` and spaces are percent-encoded."""
    check_topic(topic)
    return VENUE.topic_path.format(topic=quote(topic, safe=""))


# -- argument checks (defence in depth: the API layer validates first) ---------------------


def check_topic(topic: str) -> None:
    """A LunarCrush topic: lower case letters, digits, spaces, ``#`` and ``$``."""
    if not VENUE.topic_pattern.fullmatch(topic) or topic != topic.strip():
        raise ValueError(
            f"invalid LunarCrush topic {topic!r}: lower case letters, digits, spaces, # and $"
            " (e.g. 'bitcoin', '$btc')"
        )


def check_symbols(symbols: tuple[str, ...]) -> None:
    """Coin symbols for ``coins/list/v2``: 1..``max_symbols`` upper-case letters and digits."""
    if not 1 <= len(symbols) <= VENUE.max_symbols:
        raise ValueError(f"ask LunarCrush for 1 to {VENUE.max_symbols} symbols at once")
    for symbol in symbols:
        if not VENUE.symbol_pattern.fullmatch(symbol):
            raise ValueError(f"invalid LunarCrush coin symbol {symbol!r}: A-Z and 0-9")


def check_api_key(api_key: str) -> None:
    """A usable key: a non-empty single-line string. The message never contains the key."""
    if not isinstance(api_key, str) or not api_key.strip() or any(c in api_key for c in "\r\n"):
        raise ValueError("the LunarCrush API key is empty or not a single-line string")


# -- HTTP policy -----------------------------------------------------------------------------


def not_served(_status: int, _body: Any) -> bool:
    """LunarCrush documents no "unknown topic" answer; the client reads a topic without posts
    as no data instead."""
    return False


def host_policy(**tuning: Unpack[HostTuning]) -> HostPolicy:
    """LunarCrush's ``HostPolicy``: timeouts and retries from settings. Its per-minute limit
    depends on the key's plan, so no weight budget is set; HTTP 429 pauses the host."""
    return HostPolicy(provider=VENUE.provider, not_served=not_served, **tuning)


__all__ = [
    "VENUE",
    "LunarCrushVenue",
    "check_api_key",
    "check_symbols",
    "check_topic",
    "host_policy",
    "not_served",
    "topic_path",
]
