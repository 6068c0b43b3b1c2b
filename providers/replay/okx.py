"""OKX v5 public routes (``/api/v5/...``) served from recordings, in the envelope
``{"code":"0","msg":"","data":[...]}`` with every value a string, as recorded.

============================================  ==========================================================
route                                         recorded source (under ``okx/``) and instIds with data
============================================  ==========================================================
``public/instruments?instType=SWAP``          ``instruments-SWAP-2022-05-13.json`` verbatim (166 SWAPs)
``public/funding-rate?instId``                ``ws-v5-public-samples-tardis.jsonl`` funding-rate pushes:
                                              WNCG-USDT-SWAP, SOS-USDT-SWAP (recorded without
                                              ``fundingRate``: the key stays absent)
``public/open-interest?instType&instId``      same file, open-interest push: WNCG-USDT-SWAP
``market/ticker?instId``, ``market/tickers``  same file, tickers push: WNCG-USDT-SWAP
``public/mark-price?instType&instId``         ``mark-price-BTC-USDT-SWAP-sample-2025-04-14.json``
                                              (BTC-USDT-SWAP) and the mark-price push (WNCG-USDT-SWAP)
``public/funding-rate-history?instId``        ``funding-rate-history-BTC-USDT-SWAP-sample-…json``
                                              (BTC-USDT-SWAP, 2 rows)
``market/candles?instId&bar``                 ``candles-sample-2025-05-12.json``: BTC-USDT (instId
                                              inferred by PROVENANCE), bar 1m, 2 rows, newest first
``public/liquidation-orders?instType&``       same file, liquidation-orders push: instType
``instFamily|uly|instId``                     FUTURES, family XRP-USD (XRP-USD-230929), one detail.
                                              ``after``/``before`` page on the details' ``ts``;
                                              ``state`` is not recorded and not filtered on. The
                                              doc example (IOST-USDT SWAP) is never served.
============================================  ==========================================================

The WS push ``data[]`` objects have the REST fields (PROVENANCE), so they are served as REST
rows unchanged. Anything not recorded answers as OKX does for a missing instrument:
HTTP 200 ``{"code":"51001","msg":"Instrument ID does not exist","data":[]}`` (OKX documents
51001 with HTTP status 200). A missing required parameter: HTTP 400
``{"code":"50014","msg":"Parameter <name> can not be empty.","data":[]}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .store import RecordedStore
from .wire import json_response, raw_json_response

__all__ = ["OkxError", "okx_error_body", "okx_routes"]

INSTRUMENTS = "okx/instruments-SWAP-2022-05-13.json"
WS_SAMPLES = "okx/ws-v5-public-samples-tardis.jsonl"
MARK_PRICE = "okx/mark-price-BTC-USDT-SWAP-sample-2025-04-14.json"
FUNDING_HISTORY = {"BTC-USDT-SWAP": "okx/funding-rate-history-BTC-USDT-SWAP-sample-2024-01-01.json"}
CANDLES = {("BTC-USDT", "1m"): "okx/candles-sample-2025-05-12.json"}


class OkxError(Exception):
    def __init__(self, code: str, msg: str, status: int = 200) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status


def okx_error_body(code: str, msg: str) -> dict[str, object]:
    return {"code": code, "msg": msg, "data": []}


def no_instrument() -> OkxError:
    return OkxError("51001", "Instrument ID does not exist")


def _ok(data: list[Any]) -> Response:
    return json_response({"code": "0", "msg": "", "data": data})


def _param(request: Request, name: str, required: bool = True) -> str | None:
    value = request.query_params.get(name) or None
    if value is None and required:
        raise OkxError("50014", f"Parameter {name} can not be empty.", 400)
    return value


def _limit(request: Request, default: int, maximum: int) -> int:
    raw = request.query_params.get("limit")
    if not raw:
        return default
    if not raw.isdigit():
        raise OkxError("51000", "Parameter limit error", 400)
    return max(1, min(int(raw), maximum))


def _page(rows: list[Any], ts: Callable[[Any], int], request: Request, limit: int) -> list[Any]:
    """OKX paging over newest-first rows: ``after`` = older than, ``before`` = newer than."""
    after, before = request.query_params.get("after"), request.query_params.get("before")
    if after and after.isdigit():
        rows = [r for r in rows if ts(r) < int(after)]
    if before and before.isdigit():
        rows = [r for r in rows if ts(r) > int(before)]
    return rows[:limit]


class OkxRoutes:
    def __init__(self, store: RecordedStore) -> None:
        self.store = store

    def _pushes(self, channel: str) -> list[dict[str, Any]]:
        def build() -> list[dict[str, Any]]:
            return [
                row
                for msg in self.store.jsonl(WS_SAMPLES)
                if msg["arg"]["channel"] == channel
                for row in msg["data"]
            ]

        return self.store.memo(f"okx:push:{channel}", build)

    def _by_inst(self, rows: list[dict[str, Any]], request: Request, need_id: bool) -> Response:
        inst_type = _param(request, "instType", required=not need_id)
        inst_id = _param(request, "instId", required=need_id)
        chosen = [
            r
            for r in rows
            if (inst_id is None or r["instId"] == inst_id)
            and (inst_type is None or r["instType"] == inst_type)
        ]
        if not chosen:
            raise no_instrument()
        return _ok(chosen)

    async def instruments(self, request: Request) -> Response:
        inst_type = _param(request, "instType")
        if inst_type != "SWAP":
            raise no_instrument()
        inst_id, uly = _param(request, "instId", False), _param(request, "uly", False)
        family = _param(request, "instFamily", False)
        if inst_id is None and uly is None and family is None:
            return raw_json_response(self.store.raw(INSTRUMENTS))
        rows = self.store.json(INSTRUMENTS)["data"]
        chosen = [
            r
            for r in rows
            if (inst_id is None or r["instId"] == inst_id)
            and (uly is None or r.get("uly") == uly)
            and (family is None or r.get("instFamily", r.get("uly")) == family)
        ]
        if not chosen:
            raise no_instrument()
        return _ok(chosen)

    async def funding_rate(self, request: Request) -> Response:
        return self._by_inst(self._pushes("funding-rate"), request, need_id=True)

    async def open_interest(self, request: Request) -> Response:
        return self._by_inst(self._pushes("open-interest"), request, need_id=False)

    async def ticker(self, request: Request) -> Response:
        return self._by_inst(self._pushes("tickers"), request, need_id=True)

    async def tickers(self, request: Request) -> Response:
        return self._by_inst(self._pushes("tickers"), request, need_id=False)

    async def mark_price(self, request: Request) -> Response:
        rows = [*self.store.json(MARK_PRICE)["data"], *self._pushes("mark-price")]
        return self._by_inst(rows, request, need_id=False)

    async def funding_rate_history(self, request: Request) -> Response:
        inst_id = _param(request, "instId")
        path = FUNDING_HISTORY.get(inst_id or "")
        if path is None:
            raise no_instrument()
        rows = self.store.json(path)["data"]
        limit = _limit(request, 100, 100)
        return _ok(_page(rows, lambda r: int(r["fundingTime"]), request, limit))

    async def candles(self, request: Request) -> Response:
        inst_id = _param(request, "instId")
        bar = request.query_params.get("bar") or "1m"
        path = CANDLES.get((inst_id or "", bar))
        if path is None:
            raise no_instrument()
        rows = self.store.json(path)["data"]
        limit = _limit(request, 100, 300)
        return _ok(_page(rows, lambda r: int(r[0]), request, limit))

    async def liquidation_orders(self, request: Request) -> Response:
        inst_type = _param(request, "instType")
        family = _param(request, "instFamily", False)
        uly = _param(request, "uly", False)
        inst_id = _param(request, "instId", False)
        if family is None and uly is None and inst_id is None:
            raise OkxError("50014", "Parameter instFamily can not be empty.", 400)
        _limit(request, 100, 100)  # validated; one recorded object, nothing to cut
        chosen = [
            r
            for r in self._pushes("liquidation-orders")
            if r["instType"] == inst_type
            and (family is None or r.get("instFamily") == family)
            and (uly is None or r.get("uly") == uly)
            and (inst_id is None or r["instId"] == inst_id)
        ]
        if not chosen:
            raise no_instrument()
        return _ok(_page_details(chosen, request))


def _page_details(rows: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
    """Rows with only the details inside ``after``/``before`` (by ``ts``); rows left with no
    details are dropped. Without either parameter the rows are returned as recorded."""
    after, before = request.query_params.get("after"), request.query_params.get("before")
    lower = int(before) if before and before.isdigit() else None
    upper = int(after) if after and after.isdigit() else None
    if lower is None and upper is None:
        return rows
    paged = []
    for row in rows:
        details = [
            d
            for d in row["details"]
            if (upper is None or int(d["ts"]) < upper) and (lower is None or int(d["ts"]) > lower)
        ]
        if details:
            paged.append({**row, "details": details})
    return paged


Handler = Callable[[Request], Awaitable[Response]]


def _guard(handler: Handler) -> Handler:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except OkxError as exc:
            return json_response(okx_error_body(exc.code, exc.msg), exc.status)

    return run


def okx_routes(store: RecordedStore) -> list[Route]:
    r = OkxRoutes(store)
    table: dict[str, Handler] = {
        "/api/v5/public/instruments": r.instruments,
        "/api/v5/public/funding-rate": r.funding_rate,
        "/api/v5/public/funding-rate-history": r.funding_rate_history,
        "/api/v5/public/open-interest": r.open_interest,
        "/api/v5/public/mark-price": r.mark_price,
        "/api/v5/market/ticker": r.ticker,
        "/api/v5/market/tickers": r.tickers,
        "/api/v5/market/candles": r.candles,
        "/api/v5/public/liquidation-orders": r.liquidation_orders,
    }
    return [Route(path, _guard(h), methods=["GET"]) for path, h in table.items()]
