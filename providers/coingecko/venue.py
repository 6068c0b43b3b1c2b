"""CoinGecko public API v3 service facts, in one frozen table.

Sources: CoinGecko API docs (Setting Up Your API Key: the demo key goes in the header
``x-cg-demo-api-key`` on ``api.coingecko.com``; Errors & Rate Limits: 400/401/403/408/429/500/
503 and the codes 10002/10005/10010/10011; demo plan 100 calls/min, keyless callers limited
per IP; the endpoint pages of ``coins/markets``, ``search/trending`` and ``coins/{id}``), the
coingecko/coingecko-typescript issue #42 (rate-limited demo-key answers were seen carrying
``x-ratelimit-limit``/``-remaining``/``-reset``, the reset as a date, and no ``Retry-After``),
and the recorded bodies in ``shared/data/recorded/coingecko``.

An unknown coin id is HTTP 404 ``{"error": "coin not found"}``; a ``coins/markets`` filter that
matches nothing (e.g. unknown ``ids``) is HTTP 200 ``[]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Unpack
from urllib.parse import quote

from providers.http import HostPolicy, HostTuning
from providers.venue_table import LimitRange


@dataclass(frozen=True, slots=True)
class CoinGeckoVenue:
    provider: str
    default_base_url: str
    api_key_header: str  # the demo key travels in this header, never in the URL
    markets_path: str
    trending_path: str
    coin_path: str  # with the id url-quoted in
    coin_endpoint: str  # metrics label of coins/{id} (ids never become labels)
    vs_currency: str  # every value is asked for in USD
    orders: frozenset[str]  # coins/markets ``order`` values
    default_order: str
    per_page: LimitRange  # coins/markets rows per page
    price_change_windows: str  # extra price-change windows asked of coins/markets
    rate_limits_per_min: MappingProxyType[str, str]
    rate_limit_headers: tuple[str, str, str]  # limit, remaining, reset (a date, no Retry-After)


VENUE = CoinGeckoVenue(
    provider="coingecko",
    default_base_url="https://api.coingecko.com",
    api_key_header="x-cg-demo-api-key",
    markets_path="/api/v3/coins/markets",
    trending_path="/api/v3/search/trending",
    coin_path="/api/v3/coins/{id}",
    coin_endpoint="/api/v3/coins/{id}",
    vs_currency="usd",
    orders=frozenset(
        {"market_cap_desc", "market_cap_asc", "volume_desc", "volume_asc", "id_asc", "id_desc"}
    ),
    default_order="market_cap_desc",
    per_page=LimitRange(low=1, high=250, default=100),
    price_change_windows="1h",
    rate_limits_per_min=MappingProxyType(
        {"demo key": "100 calls / min", "no key": "per IP, shared by everyone on it"}
    ),
    rate_limit_headers=("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"),
)


def coin_path(coin_id: str) -> str:
    """``/api/v3/coins/<id>`` with the id checked and url-quoted."""
    check_coin_id(coin_id)
    return VENUE.coin_path.format(id=quote(coin_id, safe=""))


# -- argument checks (defence in depth: the API layer validates first) ---------------------


def _slug_ok(value: str) -> bool:
    return (
        isinstance(value, str)
        and bool(value)
        and value == value.strip()
        and not any(c.isspace() or c in "/?#&=%\\" for c in value)
    )


def check_coin_id(coin_id: str) -> None:
    """A CoinGecko coin id (``bitcoin``, ``usd-coin``), not a symbol (``btc``)."""
    if not _slug_ok(coin_id):
        raise ValueError(f"invalid CoinGecko coin id {coin_id!r}: expected e.g. 'bitcoin'")


def check_category(category: str) -> None:
    """A CoinGecko category id (``layer-1``, ``meme-token``)."""
    if not _slug_ok(category):
        raise ValueError(f"invalid CoinGecko category {category!r}: expected e.g. 'layer-1'")


MAX_SYMBOLS = 50  # coin symbols asked in one coins/markets call
_SYMBOL = re.compile(r"[a-z0-9]{1,20}")


def check_symbols(symbols: tuple[str, ...]) -> None:
    """Coin symbols for ``coins/markets?symbols=``: 1..50, lower-case letters and digits."""
    if not 1 <= len(symbols) <= MAX_SYMBOLS:
        raise ValueError(f"ask CoinGecko for 1 to {MAX_SYMBOLS} coin symbols at once")
    for symbol in symbols:
        if not _SYMBOL.fullmatch(symbol):
            raise ValueError(f"invalid CoinGecko coin symbol {symbol!r}: a-z and 0-9")


def check_order(order: str) -> None:
    if order not in VENUE.orders:
        accepted = ", ".join(sorted(VENUE.orders))
        raise ValueError(f"unsupported CoinGecko order {order!r}; accepted: {accepted}")


def check_page(page: int) -> None:
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise ValueError(f"page must be an integer >= 1, got {page!r}")


def check_api_key(api_key: str) -> None:
    """A usable key: a non-empty, single-line header value. The message never has the key."""
    if not isinstance(api_key, str) or not api_key.strip() or any(c in api_key for c in "\r\n"):
        raise ValueError("the CoinGecko API key is empty or not a single-line string")


# -- HTTP policy -----------------------------------------------------------------------------


def not_served(status: int, body: Any) -> bool:
    """True for CoinGecko's answer to an unknown id: HTTP 404 with ``{"error": "..."}``."""
    return status == 404 and isinstance(body, dict) and isinstance(body.get("error"), str)


def host_policy(**tuning: Unpack[HostTuning]) -> HostPolicy:
    """CoinGecko's ``HostPolicy``: timeouts and retries from settings.

    No weight budget: CoinGecko counts calls per minute (per key, or per IP without one) and
    sends no used-weight header. HTTP 429 pauses the host through the shared layer for the
    answer's ``Retry-After`` when it has one; CoinGecko's own 429s were seen without it (the
    reset is in ``x-ratelimit-reset``, which the shared layer does not read), and then the
    pause is ``default_retry_after_s``.
    """
    return HostPolicy(provider=VENUE.provider, not_served=not_served, **tuning)


__all__ = [
    "MAX_SYMBOLS",
    "VENUE",
    "CoinGeckoVenue",
    "check_api_key",
    "check_category",
    "check_coin_id",
    "check_order",
    "check_page",
    "check_symbols",
    "coin_path",
    "host_policy",
    "not_served",
]
