"""CoinGecko public API v3 client: one typed method per endpoint.

Every call is a GET through the shared ``UpstreamHttp``; values are asked for in USD. The
optional demo key travels in the ``x-cg-demo-api-key`` header, never in the URL, and never in
an error message or a log line. HTTP statuses are mapped by the shared layer: 404 with an
``{"error": ...}`` body (unknown coin) ``SymbolNotServed``, other 4xx (401 bad key, 10005 plan
restricted) ``ProviderRejected``, 429 ``UpstreamRateLimited``, 5xx ``UpstreamServerError``; a
body that does not fit the payload models is ``ProviderBadData``. Every call costs one call
of the per-minute budget (weight 1).

Answers depend only on the arguments, so results can be cached under
``coingecko:<endpoint>:<arguments>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from engine.domain import CoinMarket, CoinMarkets, Sourced, TrendingCoins, series_as_of
from providers.coingecko import venue
from providers.coingecko.models import MARKETS, CoinDetail, Trending
from providers.coingecko.venue import VENUE
from providers.http import Fetched, UpstreamHttp
from providers.payloads import validated

_T = TypeVar("_T")

# coins/{id} with market data only: the other sections are large and unused
_COIN_PARAMS: Mapping[str, str] = MappingProxyType(
    {
        "localization": "false",
        "tickers": "false",
        "market_data": "true",
        "community_data": "false",
        "developer_data": "false",
        "sparkline": "false",
    }
)


class CoinGeckoClient:
    """Coin market data from CoinGecko (``https://api.coingecko.com``).

    ``api_key`` is the optional plain demo key (the app unwraps its ``SecretStr``); it is kept
    private and left out of ``repr``. Without it CoinGecko limits calls per IP.
    """

    PROVIDER = VENUE.provider

    def __init__(self, http: UpstreamHttp, base_url: str, api_key: str | None = None) -> None:
        if api_key is not None:
            venue.check_api_key(api_key)
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._headers: Mapping[str, str] | None = (
            None if api_key is None else MappingProxyType({VENUE.api_key_header: api_key})
        )

    def __repr__(self) -> str:
        key = "None" if self._headers is None else "<hidden>"
        return f"{type(self).__name__}(base_url={self._base_url!r}, api_key={key})"

    async def markets(
        self,
        order: str = VENUE.default_order,
        per_page: int = VENUE.per_page.default,
        page: int = 1,
        category: str | None = None,
    ) -> CoinMarkets:
        """GET /api/v3/coins/markets?vs_currency=usd — one page of coins ranked by ``order``
        (``market_cap_desc`` by default), optionally within a ``category``. Weight 1.

        Per coin, in USD: price, market cap, fully diluted valuation, 24 h volume, high and low;
        supplies (circulating, total, max) in coins; 1 h and 24 h price change and 24 h market
        cap change in percent; ``last_updated_ms``. ``per_page`` 1..250. A page past the end,
        or a filter nothing matches, is an empty page (no error). ``as_of_ms`` is the newest
        row's ``last_updated`` (never later than receipt).
        """
        path = VENUE.markets_path
        venue.check_order(order)
        VENUE.per_page.check("coins/markets", per_page)
        venue.check_page(page)
        params: dict[str, str | int] = {
            "vs_currency": VENUE.vs_currency,
            "order": order,
            "per_page": per_page,
            "page": page,
            "price_change_percentage": VENUE.price_change_windows,
        }
        if category is not None:
            venue.check_category(category)
            params["category"] = category
        fetched = await self._get(path, path, params)
        return self._coin_markets(fetched, path, order, page, per_page, category)

    async def markets_by_symbols(self, symbols: tuple[str, ...]) -> CoinMarkets:
        """GET /api/v3/coins/markets?vs_currency=usd&symbols=a,b&include_tokens=top — the
        coins with these symbols (lower case, 1..50), for each symbol the one CoinGecko ranks
        top by market cap (``include_tokens=top``; symbols are not unique across coins).
        Same fields and units as ``markets``; a symbol CoinGecko does not know has no row.
        Weight 1.
        """
        path = VENUE.markets_path
        venue.check_symbols(symbols)
        params: dict[str, str | int] = {
            "vs_currency": VENUE.vs_currency,
            "symbols": ",".join(symbols),
            "include_tokens": "top",
            "per_page": VENUE.per_page.high,
            "price_change_percentage": VENUE.price_change_windows,
        }
        fetched = await self._get(path, path, params)
        return self._coin_markets(fetched, path, VENUE.default_order, 1, VENUE.per_page.high, None)

    async def trending(self) -> TrendingCoins:
        """GET /api/v3/search/trending — the coins most searched on CoinGecko in the last
        24 h, most trending first (NFTs and categories of the answer are not read). Weight 1.

        Per coin: USD price, BTC price, 24 h USD change in percent, market cap and 24 h volume
        in USD (CoinGecko sends those two as display strings; anything but ``$1,234[.5]`` is
        None). The answer has no time: ``as_of_ms`` is the receive time.
        """
        path = VENUE.trending_path
        fetched = await self._get(path, path, None)
        payload = self._validate(Trending.model_validate, fetched.body, path)
        coins = sorted(
            (entry.item.to_domain() for entry in payload.coins), key=lambda c: c.position
        )
        return TrendingCoins(coins=tuple(coins), meta=self._meta(fetched, None))

    async def coin(self, coin_id: str) -> CoinMarket:
        """GET /api/v3/coins/{id} (market data only) — one coin by CoinGecko id
        (``bitcoin``, not ``btc``). Weight 1.

        Same units as ``markets``: USD values, supplies in coins, changes in percent. An
        unknown id (HTTP 404) is ``SymbolNotServed``. ``as_of_ms`` is the market data's
        ``last_updated`` (never later than receipt).
        """
        path = venue.coin_path(coin_id)
        endpoint = VENUE.coin_endpoint
        fetched = await self._get(endpoint, path, _COIN_PARAMS)
        payload = self._validate(CoinDetail.model_validate, fetched.body, endpoint)
        return payload.to_domain(fetched.sourced(self.PROVIDER))

    # -- helpers ---------------------------------------------------------------------------

    async def _get(
        self, endpoint: str, path: str, params: Mapping[str, str | int] | None
    ) -> Fetched:
        return await self._http.get_json(
            self.PROVIDER,
            endpoint,
            self._base_url + path,
            params=params,
            weight=1,
            headers=self._headers,
        )

    def _coin_markets(
        self, fetched: Fetched, path: str, order: str, page: int, per_page: int,
        category: str | None,
    ) -> CoinMarkets:  # fmt: skip
        """A ``coins/markets`` answer; ``as_of_ms`` is its newest row's ``last_updated``."""
        rows = self._validate(MARKETS.validate_python, fetched.body, path)
        received = fetched.sourced(self.PROVIDER)
        coins = tuple(row.to_domain(received) for row in rows)
        stamps = [c.last_updated_ms for c in coins if c.last_updated_ms is not None]
        return CoinMarkets(
            coins=coins,
            order=order,
            page=page,
            per_page=per_page,
            category=category,
            meta=self._meta(fetched, max(stamps) if stamps else None),
        )

    def _meta(self, fetched: Fetched, newest_ms: int | None) -> Sourced:
        return fetched.sourced(self.PROVIDER).at(series_as_of(newest_ms, fetched.received_ms))

    def _validate(self, parse: Callable[[Any], _T], body: Any, endpoint: str) -> _T:
        return validated(parse, body, self.PROVIDER, endpoint)


__all__ = ["CoinGeckoClient"]
