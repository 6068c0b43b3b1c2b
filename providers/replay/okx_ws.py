"""OKX v5 public WebSocket (``/ws/v5/public``) replaying the recorded pushes.

The client sends ``{"id"?, "op": "subscribe"|"unsubscribe", "args": [{"channel": ..., ...}]}``.
Each arg is answered as OKX does, ``{"id"?, "event": "subscribe", "arg": <arg>,
"connId": "<8 hex>"}`` (``id`` echoed only when sent), and a subscription then plays the
recorded pushes of ``okx/ws-v5-public-samples-tardis.jsonl`` whose ``arg`` equals the
subscribed arg, each line sent verbatim. For ``liquidation-orders`` that is one push, arg
``{"channel":"liquidation-orders","instType":"FUTURES"}`` (XRP-USD-230929, 2023-03-30);
``instType`` SWAP (or any arg with nothing recorded) gets the ack and then no data, like a
quiet channel. The other recorded channels (funding-rate, mark-price, open-interest, tickers
by ``instId``) are played the same way. A push's time for pacing is its ``data[0].ts`` or
first ``details[].ts`` (one push per arg is recorded, so pacing rarely matters here).

A request that is not JSON or has no ``op``/``args`` gets OKX's error
``{"event":"error","code":"60012","msg":"Invalid request: <text>","connId":...}``. The text
``ping`` is answered ``pong`` (OKX's keepalive). Speed, loop and faults: ``streams``; each
subscription's playback starts at its ack.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from .faults import CallCounter
from .store import RecordedStore
from .streams import Frame, StreamConnection, StreamRegistry, serve_stream
from .wire import encode_json

__all__ = ["OKX_PUBLIC_WS", "okx_ws_routes"]

OKX_PUBLIC_WS = "/ws/v5/public"
WS_SAMPLES = "okx/ws-v5-public-samples-tardis.jsonl"


def _push_ms(push: dict[str, Any]) -> int | None:
    for row in push.get("data") or []:
        if "ts" in row:
            return int(row["ts"])
        for detail in row.get("details") or []:
            if "ts" in detail:
                return int(detail["ts"])
    return None


def _pushes(store: RecordedStore) -> list[tuple[dict[str, Any], Frame]]:
    """Every recorded push: its ``arg`` and the line as recorded."""

    def build() -> list[tuple[dict[str, Any], Frame]]:
        out: list[tuple[dict[str, Any], Frame]] = []
        last_ms = 0
        for line in store.text(WS_SAMPLES).splitlines():
            if not line.strip():
                continue
            push = json.loads(line)
            ms = _push_ms(push)
            last_ms = last_ms if ms is None else ms
            out.append((push["arg"], Frame(last_ms, line)))
        return out

    return store.memo("okx:ws:pushes", build)


def _invalid(request_text: str, conn_id: str) -> str:
    msg = f"Invalid request: {request_text}"
    body = {"event": "error", "code": "60012", "msg": msg, "connId": conn_id}
    return encode_json(body).decode("utf-8")


def _parse(text: str) -> tuple[Any, str, list[dict[str, Any]]] | None:
    """(id, op, args) of a well-formed request, else None."""
    try:
        request = json.loads(text)
    except ValueError:
        return None
    if not isinstance(request, dict):
        return None
    op, args = request.get("op"), request.get("args")
    if op not in ("subscribe", "unsubscribe") or not isinstance(args, list) or not args:
        return None
    if not all(isinstance(a, dict) and isinstance(a.get("channel"), str) for a in args):
        return None
    return request.get("id"), op, args


def okx_ws_routes(
    store: RecordedStore, registry: StreamRegistry, calls: CallCounter
) -> list[WebSocketRoute]:
    async def public(websocket: WebSocket) -> None:
        conn_id = secrets.token_hex(4)  # a connection id, not market data
        playing: dict[str, asyncio.Task[None]] = {}

        async def on_text(conn: StreamConnection, text: str) -> None:
            if text == "ping":
                await conn.send_control("pong")
                return
            parsed = _parse(text)
            if parsed is None:
                await conn.send_control(_invalid(text, conn_id))
                return
            req_id, op, args = parsed
            head: dict[str, Any] = {} if req_id is None else {"id": req_id}
            for arg in args:
                ack = {**head, "event": op, "arg": arg, "connId": conn_id}
                await conn.send_control(encode_json(ack).decode("utf-8"))
                key = encode_json(dict(sorted(arg.items()))).decode("utf-8")
                if op == "unsubscribe":
                    task = playing.pop(key, None)
                    if task is not None:
                        task.cancel()
                elif key not in playing:
                    frames = [f for a, f in _pushes(store) if a == arg]
                    playing[key] = conn.start(frames)

        await serve_stream(websocket, registry, calls, [], on_text)

    return [WebSocketRoute(OKX_PUBLIC_WS, public)]
