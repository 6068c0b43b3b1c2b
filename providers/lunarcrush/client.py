"""LunarCrush API v4 client (keyed): social sentiment of a topic, and coins' social metrics.

The key travels as ``Authorization: Bearer <key>`` (never in the URL). HTTP statuses are
mapped by the shared HTTP layer (401/403 rejected, 429 rate limited, 5xx unavailable). An
answer with an ``error`` text instead of ``data`` becomes ``UpstreamRateLimited`` when the
text speaks of a rate limit, else ``ProviderRejected``; the text itself is never repeated in
the error (it could quote the request). Every call is weight 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from engine.domain import SocialCoin, SocialSentiment
from providers.errors import ProviderRejected, SymbolNotServed, UpstreamRateLimited
from providers.http import UpstreamHttp
from providers.lunarcrush import venue
from providers.lunarcrush.models import CoinsListResponse, TopicResponse
from providers.lunarcrush.venue import VENUE
from providers.payloads import validated

_T = TypeVar("_T")


class LunarCrushClient:
    """Social metrics from LunarCrush (``https://lunarcrush.com``, API under ``/api4``).

    ``api_key`` is the plain key (the app unwraps its ``SecretStr``); it is kept private and
    left out of ``repr``.
    """

    PROVIDER = VENUE.provider

    def __init__(self, http: UpstreamHttp, base_url: str, api_key: str) -> None:
        venue.check_api_key(api_key)
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._headers: Mapping[str, str] = MappingProxyType(
            {VENUE.auth_header: f"{VENUE.auth_scheme} {api_key}"}
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, api_key=<hidden>)"

    async def topic_sentiment(self, topic: str) -> SocialSentiment:
        """GET /api4/public/topic/{topic}/v1 — sentiment of a social topic over the last 24 h.

        ``topic`` is LunarCrush's: lower case letters, digits, spaces, ``#`` and ``$``
        (``"bitcoin"``, ``"$btc"``; ``coins/list/v2`` gives each coin's ``topic``).
        ``sentiment_pct`` is positive posts as a percent of positive + negative ones, summed
        over the networks of ``types_sentiment_detail`` (neutral left out: 50 = balanced);
        ``posts`` is ``num_posts``. ``as_of_ms`` is ``config.generated`` when sent, else the
        receive time. A topic without posts (or without any positive or negative one) is
        ``SymbolNotServed``. Weight 1.
        """
        path = venue.topic_path(topic)
        endpoint = VENUE.topic_endpoint
        fetched = await self._http.get_json(
            self.PROVIDER, endpoint, self._base_url + path, weight=1, headers=self._headers
        )
        self._raise_for_error_body(fetched.body, endpoint)
        response = self._validate(TopicResponse.model_validate, fetched.body, endpoint)
        sentiment = response.to_domain(topic, fetched.sourced(self.PROVIDER))
        if sentiment is None:
            raise SymbolNotServed(
                "lunarcrush has no social posts to weigh for this topic",
                provider=self.PROVIDER,
                endpoint=endpoint,
            )
        return sentiment

    async def coins(self, symbols: tuple[str, ...]) -> tuple[SocialCoin, ...]:
        """GET /api4/public/coins/list/v2?symbols=A,B — LunarCrush's row for each coin it
        knows among ``symbols`` (upper case, 1..100); of two coins sharing a symbol, the one
        best ranked by market cap. A symbol with no row is a coin without data here (that
        LunarCrush leaves unknown symbols out rather than failing is assumed: no such answer
        was recorded); a row that does not validate is left out alone. Per coin: Galaxy Score, AltRank (and both a day before),
        social volume and interactions over 24 h, social dominance, sentiment (% positive),
        categories and LunarCrush's topic. The list has no generation time: ``as_of_ms``
        is the receive time. Weight 1.
        """
        venue.check_symbols(symbols)
        path = VENUE.coins_list_path
        params: dict[str, str | int] = {
            "symbols": ",".join(symbols),
            "sort": "market_cap_rank",  # as the recorded answer was sorted
            "limit": min(4 * len(symbols), 1000),  # room for other coins of the same symbols
        }
        fetched = await self._http.get_json(
            self.PROVIDER, path, self._base_url + path, params=params, weight=1,
            headers=self._headers,
        )  # fmt: skip
        self._raise_for_error_body(fetched.body, path)
        response = self._validate(CoinsListResponse.model_validate, fetched.body, path)
        return response.to_domain(fetched.sourced(self.PROVIDER))

    # -- helpers ---------------------------------------------------------------------------

    def _raise_for_error_body(self, body: Any, endpoint: str) -> None:
        """``{"error": "..."}`` without ``data``: the error it stands for (text not repeated)."""
        if not isinstance(body, dict) or "data" in body or "error" not in body:
            return
        text = str(body["error"]).lower()
        if VENUE.rate_limit_marker in text:
            raise UpstreamRateLimited(
                "lunarcrush rate limit reached", provider=self.PROVIDER, endpoint=endpoint
            )
        raise ProviderRejected(
            "lunarcrush refused the request (error body)", provider=self.PROVIDER, endpoint=endpoint
        )

    def _validate(self, parse: Callable[[Any], _T], body: Any, endpoint: str) -> _T:
        return validated(parse, body, self.PROVIDER, endpoint)


__all__ = ["LunarCrushClient"]
