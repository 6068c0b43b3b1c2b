"""Hyperliquid info routes (``POST /info``, dispatched on the body's ``type``) served from
recordings under ``hyperliquid/``, verbatim: numbers stay strings, times ms integers.

========================  ===================================================================
``type`` (body fields)    recorded source and what has data
========================  ===================================================================
``meta``                  ``meta-2023-07-17.json`` byte for byte (28 coins); only the main dex
                          (``dex`` absent or ``""``)
``allMids``               ``allMids-2023-07-17.json`` byte for byte; main dex only
``l2Book`` (``coin``)     ``l2Book-DYDX-2023-07-17.json`` (DYDX, 20 levels a side) and
                          ``l2Book-BTC-sample-5levels.json`` (BTC, trimmed: no ``n``), byte for
                          byte; only at full precision (``nSigFigs`` absent or null)
``candleSnapshot``        ``candleSnapshot-kPEPE-1h-2023-05-21.json``: kPEPE, 1h, 24 candles
(``req``: ``coin``,       2023-05-21T20:00Z..2023-05-22T19:00Z. The recorded rows that overlap
``interval``,             ``startTime``..``endTime`` (``T >= startTime`` and ``t <= endTime``,
``startTime``,            as the recorded request shows), unchanged, oldest first; ``[]`` when
``endTime``)              none does
``clearinghouseState``    ``clearinghouseState-2023-03-27.json`` byte for byte, for user
(``user``)                0x5e9ee1089755c3435139848e47e6635505d5a13a (case-insensitive)
``fundingHistory``        BTC: ``fundingHistory-BTC-from-2023-04-19.json`` (hourly,
(``coin``,                2023-05-12..2023-07-17) and ``fundingHistory-BTC-sample-2026-02.json``
``startTime``,            (3 rows, 2026-02-01), rows with ``startTime <= time <= endTime``,
``endTime``)              oldest first, at most 500 (the venue's page); the years between are
                          not recorded and stay missing
``metaAndAssetCtxs``      nothing real recorded (only a doc example, never served): ``null``
``recentTrades``          nothing recorded: ``null``
========================  ===================================================================

Anything not recorded (another coin, interval, user, dex, an aggregated book) answers as
Hyperliquid does for a market it does not list: HTTP 200 with the body ``null``. The live
venue answers an address without history with an empty account; the replay does not make
one up and answers ``null`` too. ``metaAndAssetCtxs`` has no coin to be unknown; ``null`` is
the nearest answer the venue gives for data it does not have. A body Hyperliquid could not
read (not JSON, not an object, an unknown ``type``, a missing or mistyped field, a user that
is not ``0x`` + 40 hex digits, an unknown interval) answers HTTP 422 with the plain text
``Failed to deserialize the JSON body into the target type``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .store import RecordedStore
from .wire import json_response, raw_json_response

__all__ = ["HyperliquidBodyError", "hyperliquid_routes"]

META = "hyperliquid/meta-2023-07-17.json"
ALL_MIDS = "hyperliquid/allMids-2023-07-17.json"
L2_BOOKS = {
    "DYDX": "hyperliquid/l2Book-DYDX-2023-07-17.json",
    "BTC": "hyperliquid/l2Book-BTC-sample-5levels.json",
}
CANDLES = {("kPEPE", "1h"): "hyperliquid/candleSnapshot-kPEPE-1h-2023-05-21.json"}
CLEARINGHOUSE = {
    "0x5e9ee1089755c3435139848e47e6635505d5a13a": "hyperliquid/clearinghouseState-2023-03-27.json"
}
FUNDING = {
    "BTC": (
        "hyperliquid/fundingHistory-BTC-from-2023-04-19.json",
        "hyperliquid/fundingHistory-BTC-sample-2026-02.json",
    )
}
FUNDING_PAGE = 500
INTERVALS = frozenset(
    {"1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "8h", "12h", "1d", "3d", "1w", "1M"}
)
UNREADABLE = "Failed to deserialize the JSON body into the target type"
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


class HyperliquidBodyError(Exception):
    """A request body Hyperliquid would refuse with HTTP 422."""


def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = body.get(name)
    if value is None or isinstance(value, bool) or not isinstance(value, kind):
        raise HyperliquidBodyError(name)
    return value


def _optional_int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise HyperliquidBodyError(name)
    return value


def _main_dex(body: dict[str, Any]) -> bool:
    dex = body.get("dex")
    if dex is not None and not isinstance(dex, str):
        raise HyperliquidBodyError("dex")
    return not dex


def _null() -> Response:
    """Hyperliquid's answer for a market (or account) it has nothing on."""
    return json_response(None)


class HyperliquidRoutes:
    def __init__(self, store: RecordedStore) -> None:
        self.store = store

    def meta(self, body: dict[str, Any]) -> Response:
        return raw_json_response(self.store.raw(META)) if _main_dex(body) else _null()

    def all_mids(self, body: dict[str, Any]) -> Response:
        return raw_json_response(self.store.raw(ALL_MIDS)) if _main_dex(body) else _null()

    def meta_and_asset_ctxs(self, body: dict[str, Any]) -> Response:
        _main_dex(body)
        return _null()  # no real recording

    def l2_book(self, body: dict[str, Any]) -> Response:
        coin = _field(body, "coin", str)
        for name in ("nSigFigs", "mantissa"):
            _optional_int(body, name)
        path = L2_BOOKS.get(coin)
        if path is None or body.get("nSigFigs") is not None:
            return _null()  # aggregated books were not recorded
        return raw_json_response(self.store.raw(path))

    def candle_snapshot(self, body: dict[str, Any]) -> Response:
        req = _field(body, "req", dict)
        coin = _field(req, "coin", str)
        interval = _field(req, "interval", str)
        if interval not in INTERVALS:
            raise HyperliquidBodyError("interval")
        start = _field(req, "startTime", int)
        end = _optional_int(req, "endTime")
        path = CANDLES.get((coin, interval))
        if path is None:
            return _null()
        rows = self.store.json(path)
        return json_response(
            [r for r in rows if int(r["T"]) >= start and (end is None or int(r["t"]) <= end)]
        )

    def clearinghouse_state(self, body: dict[str, Any]) -> Response:
        user = _field(body, "user", str)
        if not _ADDRESS.fullmatch(user):
            raise HyperliquidBodyError("user")
        path = CLEARINGHOUSE.get(user.lower())
        if path is None or not _main_dex(body):
            return _null()
        return raw_json_response(self.store.raw(path))

    def funding_history(self, body: dict[str, Any]) -> Response:
        coin = _field(body, "coin", str)
        start = _field(body, "startTime", int)
        end = _optional_int(body, "endTime")
        paths = FUNDING.get(coin)
        if paths is None:
            return _null()
        rows = self.store.memo(
            f"hyperliquid:funding:{coin}",
            lambda: sorted(
                (row for p in paths for row in self.store.json(p)), key=lambda r: int(r["time"])
            ),
        )
        chosen = [
            r for r in rows if int(r["time"]) >= start and (end is None or int(r["time"]) <= end)
        ]
        return json_response(chosen[:FUNDING_PAGE])

    def recent_trades(self, body: dict[str, Any]) -> Response:
        _field(body, "coin", str)
        return _null()  # nothing recorded


Handler = Callable[[dict[str, Any]], Response]


def hyperliquid_routes(store: RecordedStore) -> list[Route]:
    r = HyperliquidRoutes(store)
    table: dict[str, Handler] = {
        "meta": r.meta,
        "allMids": r.all_mids,
        "metaAndAssetCtxs": r.meta_and_asset_ctxs,
        "l2Book": r.l2_book,
        "candleSnapshot": r.candle_snapshot,
        "clearinghouseState": r.clearinghouse_state,
        "fundingHistory": r.funding_history,
        "recentTrades": r.recent_trades,
    }

    async def info(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict):
                raise HyperliquidBodyError("body")
            info_type = body.get("type")
            handler = table.get(info_type) if isinstance(info_type, str) else None
            if handler is None:
                raise HyperliquidBodyError("type")
            return handler(body)
        except (ValueError, HyperliquidBodyError):
            return PlainTextResponse(UNREADABLE, status_code=422)

    return [Route("/info", info, methods=["POST"])]
