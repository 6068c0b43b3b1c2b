"""The ``/graphql`` endpoint: body limit, whole-response cache, debug, then Strawberry.

HTTP POSTs pass through here first: a body over the limit gets 413; a query whose answer is
in the response cache is answered from it without parsing or executing; otherwise Strawberry
runs it with a fresh ``Context`` and the answer is stored for as long as its data is fresh.
GET (GraphiQL, queries over GET) and WebSocket traffic go straight to Strawberry.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from graph.errors import present
from graph.server.response_cache import ResponseStore, cache_key, is_query
from providers.http import collect_calls
from resolvers.context import Context, fresh_context
from resolvers.loaders import RequestMeta
from resolvers.services import Services

log = logging.getLogger("perpgraph.endpoint")

META_KEY = "perpgraph.meta"
DEBUG_HEADER = b"x-perpgraph-debug"
MIN_CACHE_S = 0.05


class PerpGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context and the debug extensions."""

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        meta = request.scope.get(META_KEY)
        if not isinstance(meta, RequestMeta):
            meta = RequestMeta()
        debug = request.headers.get(DEBUG_HEADER.decode()) not in (None, "", "0", "false")
        return fresh_context(self.services, meta, debug=debug)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            result.errors = [present(e) for e in result.errors]
        data = await super().process_result(request, result)
        meta = request.scope.get(META_KEY)
        debug = request.headers.get(DEBUG_HEADER.decode()) not in (None, "", "0", "false")
        if debug and isinstance(meta, RequestMeta):
            calls = [
                {
                    "provider": c.provider,
                    "endpoint": c.endpoint,
                    "outcome": c.outcome,
                    "ms": c.latency_ms,
                }
                for c in meta.calls
            ]
            extensions = dict(data.get("extensions") or {})
            extensions["upstream"] = {"calls": calls, "count": len(calls)}
            extensions["dataFreshForS"] = meta.min_fresh_s
            data["extensions"] = extensions
        return data


class GraphQLEndpoint:
    """ASGI app in front of ``PerpGraphQL``."""

    def __init__(
        self,
        view: PerpGraphQL,
        store: ResponseStore | None,
        *,
        max_body_bytes: int,
        max_cached_bytes: int = 256 * 1024,
        max_tokens: int = 5000,
        max_connections_per_client: int = 50,
        on_request: Callable[[int, float], None] | None = None,
        subscriptions: ASGIApp | None = None,
    ) -> None:
        self._view = view
        self._store = store
        self._max_body = max_body_bytes
        self._max_cached = max_cached_bytes
        self._max_tokens = max_tokens
        self._on_request = on_request
        self._max_ws_per_client = max_connections_per_client
        self._subscriptions: ASGIApp = subscriptions or view
        self._ws_per_client: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["method"] != "POST":
            await self._view(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        try:
            status = await self._post(scope, receive, send)
        finally:
            if self._on_request is not None:
                self._on_request(status, time.perf_counter() - started)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Subscriptions; one client address holds at most ``max_connections_per_client``
        sockets (more are refused with close code 1008, policy violation)."""
        client = (scope.get("client") or ("unknown", 0))[0]
        if self._ws_per_client.get(client, 0) >= self._max_ws_per_client:
            await send({"type": "websocket.close", "code": 1008})
            return
        self._ws_per_client[client] = self._ws_per_client.get(client, 0) + 1
        try:
            await self._subscriptions(scope, receive, send)
        finally:
            left = self._ws_per_client[client] - 1
            if left:
                self._ws_per_client[client] = left
            else:
                del self._ws_per_client[client]

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> int:
        body = await _read_body(scope, receive, self._max_body)
        if body is _GONE:  # the client left before sending its whole body: nothing to run
            return 499
        if body is None:
            await Response(
                json.dumps(
                    {
                        "errors": [
                            {
                                "message": "request body too large",
                                "extensions": {"code": "PAYLOAD_TOO_LARGE"},
                            }
                        ]
                    }
                ),
                status_code=413,
                media_type="application/json",
            )(scope, receive, send)
            return 413
        headers = dict(scope["headers"])
        debug = headers.get(DEBUG_HEADER, b"").lower() not in (b"", b"0", b"false")
        key = None if debug or self._store is None else _key_for(body, self._max_tokens)
        if key is not None and self._store is not None:
            hit = await self._store_get(key)
            if hit is not None:
                await _send_json(send, hit, b"hit")
                return 200
        meta = RequestMeta()
        scope[META_KEY] = meta
        captured = _Capture(send, keep=key is not None)
        with collect_calls() as calls:
            meta.calls = calls
            await self._view(scope, _replay(body), captured.send)
        if (
            key is not None
            and self._store is not None
            and captured.status == 200
            and meta.cacheable
            and meta.min_fresh_s is not None
            and meta.min_fresh_s >= MIN_CACHE_S
        ):
            payload = b"".join(captured.chunks)
            if len(payload) <= self._max_cached and b'"errors":' not in payload:
                await self._store_set(key, payload, meta.min_fresh_s)
        return captured.status

    async def _store_get(self, key: str) -> bytes | None:
        """A response-cache failure (Redis down) is a miss: the query still runs."""
        assert self._store is not None
        try:
            return await self._store.get(key)
        except Exception as exc:
            log.warning("response cache read failed: %s", type(exc).__name__)
            return None

    async def _store_set(self, key: str, payload: bytes, ttl_s: float) -> None:
        assert self._store is not None
        try:
            await self._store.set(key, payload, ttl_s)
        except Exception as exc:
            log.warning("response cache write failed: %s", type(exc).__name__)


def _key_for(body: bytes, max_tokens: int) -> str | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return None
    op = payload.get("operationName")
    if op is not None and not isinstance(op, str):
        return None
    if not is_query(payload["query"], op, max_tokens):
        return None
    return cache_key(payload)


_GONE = b"\x00gone"  # sentinel: the client disconnected mid-body


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole body; None as soon as it is known to exceed ``limit`` bytes; ``_GONE``
    when the client disconnects before the body is complete."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return _GONE
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class _Capture:
    def __init__(self, send: Send, *, keep: bool) -> None:
        self._send = send
        self._keep = keep
        self.status = 500
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            message = dict(message)
            message["headers"] = [*message.get("headers", []), (b"x-response-cache", b"miss")]
        elif message["type"] == "http.response.body" and self._keep:
            self.chunks.append(message.get("body", b""))
        await self._send(message)


async def _send_json(send: Send, body: bytes, cache_state: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-response-cache", cache_state),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


__all__ = ["GraphQLEndpoint", "PerpGraphQL"]
