"""LunarCrush API v4 routes (``GET /api4/public/...``) served from recordings under
``lunarcrush/`` (one recording session, 2025-07-23; PROVENANCE.md, second batch).

=========================================  ========================================================
route                                      recorded source and what has data
=========================================  ========================================================
``coins/list/v2`` (``symbols``, ``limit``)  ``coins-list-v2-symbols-BTC-limit1-2025-07-23.json``:
                                           LunarCrush's row for BTC. Asked for symbols that
                                           include BTC (or for none), the recorded body byte for
                                           byte; asked only for others, the recorded envelope
                                           with ``data: []`` and ``config.symbols`` as asked
                                           (the rest of ``config`` is the recording's, e.g.
                                           ``limit: 1``). That LunarCrush answers unknown
                                           symbols with no rows is assumed: not recorded
``coins/{coin}/v1``                        ``coins-btc-v1-2025-07-23.json`` for ``btc`` (any case)
``coins/{coin}/meta/v1``                   ``coins-btc-meta-v1-2025-07-23.json`` for ``btc``
``coins/{coin}/time-series/v2``            ``coins-btc-time-series-v2-2025-07-16_23.json`` for
                                           ``btc`` (178 hourly rows; LunarCrush ignored ``limit``
                                           when it was recorded, and so does this)
=========================================  ========================================================

Anything else, and every coin but BTC on the per-coin routes, answers HTTP 404 with
LunarCrush's error shape (``{"error": "Error: ..."}``; the wording for an unknown coin was not
recorded). Topics (``topic/{topic}/v1``, ``topics/list/v1``) were never recorded: 404 too.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .store import RecordedStore
from .wire import json_response, raw_json_response

__all__ = ["lunarcrush_routes"]

PREFIX = "/api4/public"
COINS_LIST = "lunarcrush/coins-list-v2-symbols-BTC-limit1-2025-07-23.json"
PER_COIN = {
    "v1": "lunarcrush/coins-btc-v1-2025-07-23.json",
    "meta": "lunarcrush/coins-btc-meta-v1-2025-07-23.json",
    "time-series": "lunarcrush/coins-btc-time-series-v2-2025-07-16_23.json",
}
RECORDED_COIN = "BTC"


def _not_found(what: str) -> Response:
    return json_response({"error": f"Error: {what} not found"}, 404)


class LunarCrushRoutes:
    def __init__(self, store: RecordedStore) -> None:
        self.store = store

    async def coins_list(self, request: Request) -> Response:
        asked = request.query_params.get("symbols")
        wanted = {s.strip().upper() for s in asked.split(",") if s.strip()} if asked else None
        if wanted is None or RECORDED_COIN in wanted:
            return raw_json_response(self.store.raw(COINS_LIST))
        body: dict[str, Any] = self.store.json(COINS_LIST)
        return json_response({"config": {**body["config"], "symbols": asked}, "data": []})

    def _per_coin(self, kind: str) -> Any:
        async def serve(request: Request) -> Response:
            if request.path_params["coin"].upper() != RECORDED_COIN:
                return _not_found("coin")
            return raw_json_response(self.store.raw(PER_COIN[kind]))

        return serve


def lunarcrush_routes(store: RecordedStore) -> list[Route]:
    r = LunarCrushRoutes(store)
    return [
        Route(f"{PREFIX}/coins/list/v2", r.coins_list, methods=["GET"]),
        Route(f"{PREFIX}/coins/{{coin}}/v1", r._per_coin("v1"), methods=["GET"]),
        Route(f"{PREFIX}/coins/{{coin}}/meta/v1", r._per_coin("meta"), methods=["GET"]),
        Route(
            f"{PREFIX}/coins/{{coin}}/time-series/v2", r._per_coin("time-series"), methods=["GET"]
        ),
    ]
