"""Binance USD-M futures routes (``/fapi/...``, ``/futures/data/...``) served from recordings.

Which file serves which route: ``binance_data`` (premiumIndex, exchangeInfo, openInterest,
depth, fundingRate, aggTrades, bookTicker) and ``kline_sources`` (klines, markPriceKlines).
Derived answers: ``ticker/price`` is the newest recorded kline's close (``time`` = its
closeTime); ``ticker/24hr`` is computed from the last 24 h of the symbol's newest kline
series (see ``klines.rolling_24h``). A route or symbol with no recording answers as Binance
does for an unknown symbol: HTTP 400 ``{"code":-1121,"msg":"Invalid symbol."}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .binance_data import BinanceData
from .kline_sources import KLINE_FILES, MARK_PRICE_FILES, KlineBook
from .klines import VALID_INTERVALS, rolling_24h, select_window, wire_row
from .store import RecordedStore
from .wire import json_response, raw_json_response

__all__ = ["BinanceError", "binance_error_body", "binance_routes"]

#: Routes Binance has but nothing was recorded for: every symbol is unknown here.
UNRECORDED_SYMBOL_ROUTES = (
    "/futures/data/openInterestHist",
    "/futures/data/globalLongShortAccountRatio",
    "/futures/data/topLongShortAccountRatio",
    "/futures/data/topLongShortPositionRatio",
    "/futures/data/takerlongshortRatio",
    "/futures/data/basis",
    "/fapi/v1/trades",
    "/fapi/v1/historicalTrades",
    "/fapi/v1/continuousKlines",
    "/fapi/v1/indexPriceKlines",
    "/fapi/v1/premiumIndexKlines",
)
DEPTH_LIMITS = (5, 10, 20, 50, 100, 500, 1000)


class BinanceError(Exception):
    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status


def binance_error_body(code: int, msg: str) -> dict[str, object]:
    return {"code": code, "msg": msg}


def invalid_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def _symbol(request: Request, required: bool = True) -> str | None:
    value = request.query_params.get("symbol") or None
    if value is None and required:
        msg = "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."
        raise BinanceError(-1102, msg)
    return value.upper() if value is not None else None


def _int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 20:
        msg = f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'."
        raise BinanceError(-1100, msg)
    return int(raw)


def _limit(request: Request, default: int, maximum: int, allowed: Sequence[int] = ()) -> int:
    limit = _int(request, "limit")
    if limit is None:
        return default
    if (allowed and limit not in allowed) or not 1 <= limit <= maximum:
        raise BinanceError(-1130, "Data sent for parameter 'limit' is not valid.")
    return limit


Handler = Callable[[Request], Awaitable[Response]]


class BinanceRoutes:
    def __init__(self, store: RecordedStore) -> None:
        self.data = BinanceData(store)
        self.book = KlineBook(store, KLINE_FILES, "klines")
        self.mark_book = KlineBook(store, MARK_PRICE_FILES, "mark")

    async def ping(self, request: Request) -> Response:
        return json_response({})

    async def exchange_info(self, request: Request) -> Response:
        return raw_json_response(self.data.exchange_info_bytes())

    async def premium_index(self, request: Request) -> Response:
        symbol = _symbol(request, required=False)
        if symbol is None:
            return json_response(self.data.premium_index())
        entry = self.data.premium_index_by_symbol().get(symbol)
        if entry is None:
            raise invalid_symbol()
        return json_response(entry)

    async def klines(self, request: Request) -> Response:
        return self._klines(request, self.book, default_limit=500)

    async def mark_price_klines(self, request: Request) -> Response:
        return self._klines(request, self.mark_book, default_limit=500)

    def _klines(self, request: Request, book: KlineBook, default_limit: int) -> Response:
        symbol = _symbol(request)
        assert symbol is not None
        interval = request.query_params.get("interval")
        if not interval:
            msg = "Mandatory parameter 'interval' was not sent, was empty/null, or malformed."
            raise BinanceError(-1102, msg)
        if interval not in VALID_INTERVALS:
            raise BinanceError(-1120, "Invalid interval.")
        limit = _limit(request, default_limit, 1500)
        start, end = _int(request, "startTime"), _int(request, "endTime")
        series = book.series(symbol, interval)
        if series is None:
            raise invalid_symbol()
        window = select_window(series.candles, start, end, limit)
        return json_response([wire_row(c) for c in window])

    def _price(self, symbol: str) -> dict[str, object] | None:
        newest = self.book.newest(symbol)
        if newest is None:
            return None
        last = newest.candles[-1]
        return {"symbol": symbol, "price": wire_row(last)[4], "time": last.close_ms}

    async def ticker_price(self, request: Request) -> Response:
        return self._per_symbol(request, self.book.symbols(), self._price)

    def _stats(self, symbol: str) -> dict[str, object] | None:
        newest = self.book.newest(symbol)
        if newest is None:
            return None
        return rolling_24h(symbol, newest.candles, newest.interval)

    async def ticker_24hr(self, request: Request) -> Response:
        return self._per_symbol(request, self.book.symbols(), self._stats)

    async def book_ticker(self, request: Request) -> Response:
        symbols = self.data.book_ticker_symbols()
        return self._per_symbol(request, symbols, self.data.book_ticker)

    def _per_symbol(
        self,
        request: Request,
        symbols: Sequence[str],
        build: Callable[[str], dict[str, Any] | None],
    ) -> Response:
        symbol = _symbol(request, required=False)
        if symbol is None:
            rows = [build(s) for s in symbols]
            return json_response([r for r in rows if r is not None])
        row = build(symbol)
        if row is None:
            raise invalid_symbol()
        return json_response(row)

    async def funding_rate(self, request: Request) -> Response:
        symbol = _symbol(request, required=False)
        limit = _limit(request, 100, 1000)
        start, end = _int(request, "startTime"), _int(request, "endTime")
        if symbol is None:
            records = [r for s in self.data.funding_symbols() for r in self.data.funding(s) or []]
            records.sort(key=lambda r: (r.funding_time_ms, r.symbol))
        else:
            found = self.data.funding(symbol)
            if found is None:
                raise invalid_symbol()
            records = found
        chosen = [
            r
            for r in records
            if (start is None or r.funding_time_ms >= start)
            and (end is None or r.funding_time_ms <= end)
        ]
        chosen = chosen[:limit] if start is not None else chosen[-limit:]
        return json_response([r.wire() for r in chosen])

    async def open_interest(self, request: Request) -> Response:
        symbol = _symbol(request)
        assert symbol is not None
        body = self.data.open_interest(symbol)
        if body is None:
            raise invalid_symbol()
        return json_response(body)

    async def depth(self, request: Request) -> Response:
        symbol = _symbol(request)
        assert symbol is not None
        limit = _limit(request, 500, 1000, DEPTH_LIMITS)
        book = self.data.depth(symbol)
        if book is None:
            raise invalid_symbol()
        book["bids"], book["asks"] = book["bids"][:limit], book["asks"][:limit]
        return json_response(book)

    async def agg_trades(self, request: Request) -> Response:
        symbol = _symbol(request)
        assert symbol is not None
        limit = _limit(request, 500, 1000)
        from_id = _int(request, "fromId")
        start, end = _int(request, "startTime"), _int(request, "endTime")
        trades = self.data.agg_trades(symbol)
        if trades is None:
            raise invalid_symbol()
        if from_id is not None:
            return json_response([t for t in trades if int(t["a"]) >= from_id][:limit])
        chosen = [
            t
            for t in trades
            if (start is None or int(t["T"]) >= start) and (end is None or int(t["T"]) <= end)
        ]
        return json_response(chosen[:limit] if start is not None else chosen[-limit:])

    async def unrecorded(self, request: Request) -> Response:
        _symbol(request)
        raise invalid_symbol()


def _guard(handler: Handler) -> Handler:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except BinanceError as exc:
            return json_response(binance_error_body(exc.code, exc.msg), exc.status)

    return run


def binance_routes(store: RecordedStore) -> list[Route]:
    r = BinanceRoutes(store)
    table: dict[str, Handler] = {
        "/fapi/v1/ping": r.ping,
        "/fapi/v1/exchangeInfo": r.exchange_info,
        "/fapi/v1/premiumIndex": r.premium_index,
        "/fapi/v1/klines": r.klines,
        "/fapi/v1/markPriceKlines": r.mark_price_klines,
        "/fapi/v1/ticker/price": r.ticker_price,
        "/fapi/v2/ticker/price": r.ticker_price,
        "/fapi/v1/ticker/24hr": r.ticker_24hr,
        "/fapi/v1/ticker/bookTicker": r.book_ticker,
        "/fapi/v1/fundingRate": r.funding_rate,
        "/fapi/v1/openInterest": r.open_interest,
        "/fapi/v1/depth": r.depth,
        "/fapi/v1/aggTrades": r.agg_trades,
        **dict.fromkeys(UNRECORDED_SYMBOL_ROUTES, r.unrecorded),
    }
    return [Route(path, _guard(h), methods=["GET"]) for path, h in table.items()]
