"""Binance USD-M liquidation streams replayed from the derived forceOrder recording.

==================================  ===========================================================
WebSocket path                      each message
==================================  ===========================================================
``/ws/!forceOrder@arr``             the event object (raw stream)
``/stream?streams=!forceOrder@arr`` ``{"stream":"!forceOrder@arr","data":<event>}`` (combined;
                                    other stream names in ``streams`` are accepted and stay quiet)
==================================  ===========================================================

Events come from ``binance-futures/forceOrder-derived-2025-10-22.csv`` (472 rows, 2025-10-22
09:36:42 → 09:43:33 UTC), in file order, rebuilt as
``{"e":"forceOrder","E":ms,"o":{"s":symbol,"S":side,"ap":avg_price,"z":filled_qty,"T":ms}}``.
``E`` and ``T`` both carry the row's ``timestamp`` (ISO, read as UTC) in ms: the recorder kept
one time and which of the two it was is not recorded. ``ap`` and ``z`` are the CSV text as
written (the recorder's float rendering, e.g. ``"1252.0"`` where Binance sends ``"1252"``).
``o``, ``f``, ``q``, ``p``, ``X`` and ``l`` are not in the recording and are left out; so is
``usd_value`` (the recorder's ``ap * z``, not a Binance field).

The one verbatim message (``forceOrder-raw-example-IOTXUSDT-2021-10-19.json``) is not
played: it is four years older than the CSV, so replaying it first would mean either a
four-year silence or a gap that was never recorded. It stays a shape fixture for tests.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from .faults import CallCounter
from .store import RecordedStore
from .streams import Frame, StreamRegistry, serve_stream
from .wire import encode_json

__all__ = ["FORCE_ORDER_CSV", "FORCE_ORDER_STREAM", "binance_ws_routes", "force_order_events"]

FORCE_ORDER_CSV = "binance-futures/forceOrder-derived-2025-10-22.csv"
FORCE_ORDER_STREAM = "!forceOrder@arr"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _ms(timestamp: str) -> int:
    when = datetime.fromisoformat(timestamp).replace(tzinfo=UTC)
    return (when - _EPOCH) // timedelta(milliseconds=1)


def force_order_events(store: RecordedStore) -> list[dict[str, Any]]:
    """The recorded liquidations as ``forceOrder`` event objects, in recorded order."""

    def build() -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for row in csv.DictReader(store.text(FORCE_ORDER_CSV).splitlines()):
            ms = _ms(row["timestamp"])
            order = {
                "s": row["symbol"],
                "S": row["side"],
                "ap": row["avg_price"],
                "z": row["filled_qty"],
                "T": ms,
            }
            events.append({"e": "forceOrder", "E": ms, "o": order})
        return events

    return store.memo("binance:ws:forceOrder:events", build)


def _frames(store: RecordedStore, combined: bool) -> list[Frame]:
    def build() -> list[Frame]:
        frames = []
        for event in force_order_events(store):
            body = {"stream": FORCE_ORDER_STREAM, "data": event} if combined else event
            frames.append(Frame(event["E"], encode_json(body).decode("utf-8")))
        return frames

    return store.memo(f"binance:ws:forceOrder:frames:{combined}", build)


def binance_ws_routes(
    store: RecordedStore, registry: StreamRegistry, calls: CallCounter
) -> list[WebSocketRoute]:
    async def raw(websocket: WebSocket) -> None:
        await serve_stream(websocket, registry, calls, _frames(store, combined=False))

    async def combined(websocket: WebSocket) -> None:
        names = websocket.query_params.get("streams", "").split("/")
        frames = _frames(store, combined=True) if FORCE_ORDER_STREAM in names else []
        await serve_stream(websocket, registry, calls, frames)

    return [
        WebSocketRoute(f"/ws/{FORCE_ORDER_STREAM}", raw),
        WebSocketRoute("/stream", combined),
    ]
