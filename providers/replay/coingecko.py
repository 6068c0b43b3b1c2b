"""CoinGecko v3 routes (``GET /api/v3/...``) served from recordings under ``coingecko/``.

=====================================  ============================================================
route                                  recorded source and what has data
=====================================  ============================================================
``coins/markets?vs_currency=usd``      ``coins-markets-250-2026-03-20.json``: the top 250 by market
(``order``, ``per_page``, ``page``,    cap on 2026-03-20, recorded with ``price_change_percentage=
``ids``, ``symbols``, ``category``)    1h`` (every row keeps that field). ``order`` absent or
                                       ``market_cap_desc`` only; rows are the recorded objects
                                       unchanged, cut to the page (``per_page`` 1..250, default
                                       100; ``page`` from 1); ``ids`` keeps the recorded rows of
                                       those ids, ``symbols`` (comma-separated, any case) those
                                       of those symbols, one a symbol (the first, as the page is
                                       in market-cap order: ``include_tokens=top``). A page past the
                                       250th row, another currency, order or any ``category``
                                       (none was recorded) answers ``[]``, as CoinGecko does
                                       when no coin matches
``search/trending``                    ``search-trending-2026-03-20.json`` byte for byte
``coins/{id}``                         ``coins-bitcoin-full-tickers-2023-07-16.json`` byte for byte
                                       for ``bitcoin`` (the full body: tickers, market data,
                                       ``genesis_date``, ``categories``); any other id: 404
``coins/{id}/market_chart``            ``market_chart-{bitcoin,ethereum,solana}-usd-days30-*.json``
(``vs_currency=usd``, ``days=30``)     byte for byte; another id, currency or span: 404
``coins/categories``                   ``coins-categories-2025-09-06.json`` byte for byte
``coins/list``                         ``coins-list-2026-05-12.json`` byte for byte
=====================================  ============================================================

``coins-markets-30-2025-03-04.json`` is never served: its prices look like EUR although the
recorder's script asked for USD. Unknown ids answer as CoinGecko does: HTTP 404
``{"error":"coin not found"}``; ``[]`` is CoinGecko's answer when a ``coins/markets`` filter
matches nothing (unknown ``ids``); that it is also its answer for an unknown ``category`` is
assumed. A missing ``vs_currency`` answers HTTP 400 ``{"error":"Missing parameter
vs_currency"}`` (the wording is not confirmed).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .store import RecordedStore
from .wire import json_response, raw_json_response

__all__ = ["coingecko_routes"]

MARKETS = "coingecko/coins-markets-250-2026-03-20.json"
TRENDING = "coingecko/search-trending-2026-03-20.json"
COINS = {"bitcoin": "coingecko/coins-bitcoin-full-tickers-2023-07-16.json"}
CHARTS = {
    "bitcoin": "coingecko/market_chart-bitcoin-usd-days30-2023-06-13.json",
    "ethereum": "coingecko/market_chart-ethereum-usd-days30-2023-06-09.json",
    "solana": "coingecko/market_chart-solana-usd-days30-2023-06-09.json",
}
CHART_DAYS = "30"
CATEGORIES = "coingecko/coins-categories-2025-09-06.json"
COINS_LIST = "coingecko/coins-list-2026-05-12.json"
MARKETS_CURRENCY = "usd"
MARKETS_ORDER = "market_cap_desc"
PER_PAGE_DEFAULT, PER_PAGE_MAX = 100, 250


def _error(message: str, status: int) -> Response:
    return json_response({"error": message}, status)


def _positive(raw: str | None, default: int) -> int | None:
    """A positive integer parameter, its default when absent, None when malformed."""
    if raw is None or raw == "":
        return default
    return int(raw) if raw.isdigit() and int(raw) >= 1 else None


def _top_per_symbol(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of rows sharing a symbol, the first (the recorded page is in market-cap order): what
    ``include_tokens=top`` answers."""
    seen: set[str] = set()
    kept = []
    for row in rows:
        symbol = str(row["symbol"]).lower()
        if symbol not in seen:
            seen.add(symbol)
            kept.append(row)
    return kept


class CoinGeckoRoutes:
    def __init__(self, store: RecordedStore) -> None:
        self.store = store

    async def markets(self, request: Request) -> Response:
        q = request.query_params
        currency = q.get("vs_currency")
        if not currency:
            return _error("Missing parameter vs_currency", 400)
        per_page = _positive(q.get("per_page"), PER_PAGE_DEFAULT)
        page = _positive(q.get("page"), 1)
        if per_page is None or page is None:
            return _error("invalid parameter", 400)
        per_page = min(per_page, PER_PAGE_MAX)
        recorded = (
            currency.lower() == MARKETS_CURRENCY
            and q.get("order", MARKETS_ORDER) == MARKETS_ORDER
            and not q.get("category")
        )
        rows: list[dict[str, Any]] = self.store.json(MARKETS) if recorded else []
        ids = q.get("ids")
        if ids:
            wanted = {i.strip() for i in ids.split(",")}
            rows = [r for r in rows if r["id"] in wanted]
        symbols = q.get("symbols")
        if symbols:
            wanted = {s.strip().lower() for s in symbols.split(",")}
            rows = _top_per_symbol([r for r in rows if str(r["symbol"]).lower() in wanted])
        start = (page - 1) * per_page
        return json_response(rows[start : start + per_page])

    async def trending(self, request: Request) -> Response:
        return raw_json_response(self.store.raw(TRENDING))

    async def coin(self, request: Request) -> Response:
        recorded = COINS.get(request.path_params["id"])
        if recorded is None:
            return _error("coin not found", 404)
        return raw_json_response(self.store.raw(recorded))

    async def market_chart(self, request: Request) -> Response:
        q = request.query_params
        if not q.get("vs_currency"):
            return _error("Missing parameter vs_currency", 400)
        recorded = CHARTS.get(request.path_params["id"])
        if recorded is None or q["vs_currency"].lower() != MARKETS_CURRENCY:
            return _error("coin not found", 404)
        if q.get("days") != CHART_DAYS:
            return _error("no recording for this span", 404)
        return raw_json_response(self.store.raw(recorded))

    async def categories(self, request: Request) -> Response:
        return raw_json_response(self.store.raw(CATEGORIES))

    async def coins_list(self, request: Request) -> Response:
        return raw_json_response(self.store.raw(COINS_LIST))


def coingecko_routes(store: RecordedStore) -> list[Route]:
    r = CoinGeckoRoutes(store)
    return [
        Route("/api/v3/coins/markets", r.markets, methods=["GET"]),
        Route("/api/v3/search/trending", r.trending, methods=["GET"]),
        Route("/api/v3/coins/categories", r.categories, methods=["GET"]),
        Route("/api/v3/coins/list", r.coins_list, methods=["GET"]),
        Route("/api/v3/coins/{id}/market_chart", r.market_chart, methods=["GET"]),
        Route("/api/v3/coins/{id}", r.coin, methods=["GET"]),
    ]
