"""The ``/graphql`` endpoint: body checks, whole-response cache, debug, then Strawberry.

HTTP POSTs pass through here first: a body over the limit gets 413, one that is not sent as
``application/json`` 415, one that is not a UTF-8 JSON object of a GraphQL request 400
(coded BAD_REQUEST, never a 500); a query
whose answer is in the response cache is answered from it without parsing or executing;
otherwise Strawberry runs it with a fresh ``Context`` under the execution deadline
(TIMEOUT), an answer over the size cap is replaced by RESPONSE_TOO_LARGE, and a cacheable
answer is stored for as long as its data is fresh. GET (GraphiQL, queries over GET) and
WebSocket traffic go straight to Strawberry.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from graph.errors import present
from graph.server.response_cache import ResponseStore, cache_key, is_query
from providers.http import CallRecord, collect_calls
from resolvers.context import Context, fresh_context
from resolvers.errors import Refused
from resolvers.loaders import RequestMeta
from resolvers.services import Services

log = logging.getLogger("perpgraph.endpoint")

META_KEY = "perpgraph.meta"
DEBUG_HEADER = b"x-perpgraph-debug"
MIN_CACHE_S = 0.05
MAX_JSON_NESTING = 32  # a request body's JSON: deeper is refused before anything recurses


def points_spent(calls: list[CallRecord]) -> int:
    """The cost points the upstream calls actually made (``graph.guard.cost``'s units)."""
    return sum(max(1, c.weight) for c in calls if not c.outcome.startswith("skipped"))


def _refusal(refused: Refused) -> ExecutionResult:
    return ExecutionResult(
        data=None, errors=[GraphQLError(refused.message, original_error=refused)]
    )


class PerpGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context, the execution deadline, the cost and the
    debug extensions."""

    def __init__(
        self,
        services: Services,
        *,
        deadline_s: float = 20.0,
        max_cost: int = 1000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.services = services
        self._deadline_s = deadline_s
        self.max_cost = max_cost

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """One operation over HTTP under the deadline; a subscription, an unknown or
        ambiguous operation name and a missing query are coded request errors."""
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        if not self.allow_queries_via_get and request_adapter.method == "GET":
            allowed -= {OperationType.QUERY}
        try:
            async with asyncio.timeout(self._deadline_s):
                return await self.schema.execute(
                    request_data.query,
                    root_value=root_value,
                    variable_values=request_data.variables,
                    context_value=context,
                    operation_name=request_data.operation_name,
                    allowed_operation_types=allowed,
                    operation_extensions=request_data.extensions,
                )
        except TimeoutError:
            return _refusal(
                Refused(
                    "TIMEOUT",
                    f"the operation did not finish within {self._deadline_s:g} s and was cancelled",
                )
            )
        except InvalidOperationTypeError as e:
            return _refusal(Refused("BAD_REQUEST", e.as_http_error_reason(request_adapter.method)))
        except CannotGetOperationTypeError as e:
            return _refusal(Refused("BAD_REQUEST", e.as_http_error_reason()))
        except MissingQueryError:
            return _refusal(Refused("BAD_REQUEST", "No GraphQL query found in the request"))

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
        if isinstance(meta, RequestMeta) and meta.cost is not None:
            extensions = dict(data.get("extensions") or {})
            extensions["cost"] = {
                "requested": meta.cost,
                "actual": points_spent(meta.calls),
                "maximum": self.max_cost,
            }
            data["extensions"] = extensions
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
        max_response_bytes: int = 4 * 1024 * 1024,
        max_tokens: int = 5000,
        max_connections_per_client: int = 50,
        on_request: Callable[[int, float], None] | None = None,
        subscriptions: ASGIApp | None = None,
    ) -> None:
        self._view = view
        self._store = store
        self._max_body = max_body_bytes
        self._max_cached = max_cached_bytes
        self._max_response = max_response_bytes
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
            await _error(413, "PAYLOAD_TOO_LARGE", "request body too large")(scope, receive, send)
            return 413
        headers = dict(scope["headers"])
        media_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if media_type != b"application/json":  # also keeps cross-site form posts out
            await _error(
                415, "UNSUPPORTED_MEDIA_TYPE", "send the request as content-type application/json"
            )(scope, receive, send)
            return 415
        problem = check_body(body)
        if problem is not None:
            await _error(400, "BAD_REQUEST", problem)(scope, receive, send)
            return 400
        debug = headers.get(DEBUG_HEADER, b"").lower() not in (b"", b"0", b"false")
        key = None if debug or self._store is None else _key_for(body, self._max_tokens)
        if key is not None and self._store is not None:
            hit = await self._store_get(key)
            if hit is not None:  # nothing runs: nothing is spent
                cost = {"requested": 0, "actual": 0, "maximum": self._view.max_cost}
                await _send_json(send, _with_cost(hit, cost), b"hit")
                return 200
        meta = RequestMeta()
        scope[META_KEY] = meta
        captured = _Capture(send, keep=key is not None, max_bytes=self._max_response)
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
                await self._store_set(key, _without_cost(payload), meta.min_fresh_s)
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


def _error(status: int, code: str, message: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(json.dumps(body), status_code=status, media_type="application/json")


def check_body(body: bytes) -> str | None:
    """Why ``body`` is not a GraphQL request over POST (None when it is one): UTF-8 JSON,
    at most ``MAX_JSON_NESTING`` deep, an object whose ``query`` is a string and whose
    ``operationName``, ``variables`` and ``extensions`` have their types, with no lone
    surrogate anywhere (``"\\ud800"`` cannot be encoded to answer)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "the request body is not valid UTF-8"
    if _nesting(text) > MAX_JSON_NESTING:
        return f"the request body's JSON nests deeper than {MAX_JSON_NESTING} levels"
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # a 5,000-digit number is a ValueError too
        return "the request body is not valid JSON"
    if isinstance(payload, list):
        return "batched requests are not supported: send one operation per request"
    if not isinstance(payload, dict):
        return "the request body must be a JSON object with a 'query' string"
    if not isinstance(payload.get("query"), str):
        return "the request body must be a JSON object with a 'query' string"
    for name, kind in (("operationName", str), ("variables", dict), ("extensions", dict)):
        value = payload.get(name)
        if value is not None and not isinstance(value, kind):
            return f"'{name}' must be {'a string' if kind is str else 'an object'} or null"
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return "the request holds a string that is not valid Unicode (a lone surrogate)"
    return None


def _nesting(text: str) -> int:
    """The deepest bracket nesting of a JSON text, strings skipped (linear, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _without_cost(payload: bytes) -> bytes:
    """A response as the cache keeps it: a hit runs nothing, so it carries no cost."""
    if b'"cost":' not in payload:
        return payload
    data = json.loads(payload)
    extensions = data.get("extensions") or {}
    extensions.pop("cost", None)
    if not extensions:
        data.pop("extensions", None)
    return json.dumps(data, separators=(",", ":")).encode()


def _with_cost(payload: bytes, cost: dict[str, int]) -> bytes:
    """A stored response (an object with ``data`` and no ``extensions``: responses with
    errors, debug or cost are never stored as such) with the cost of this answer."""
    extension = json.dumps({"cost": cost}, separators=(",", ":")).encode()
    return payload[: payload.rindex(b"}")] + b',"extensions":' + extension + b"}"


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
    """Passes the view's answer on, keeping its body for the cache when asked; an answer
    over ``max_bytes`` (its content-length) is replaced by a RESPONSE_TOO_LARGE error."""

    def __init__(self, send: Send, *, keep: bool, max_bytes: int) -> None:
        self._send = send
        self._keep = keep
        self._max_bytes = max_bytes
        self._too_large: int | None = None
        self.status = 500
        self.chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            size = _content_length(message.get("headers", []))
            if size is not None and size > self._max_bytes:
                self._too_large = size
                return
            self.status = message["status"]
            message = dict(message)
            message["headers"] = [*message.get("headers", []), (b"x-response-cache", b"miss")]
        elif message["type"] == "http.response.body":
            if self._too_large is not None:
                if not message.get("more_body", False):
                    await self._refuse_size()
                return
            if self._keep:
                self.chunks.append(message.get("body", b""))
        await self._send(message)

    async def _refuse_size(self) -> None:
        self.status, self._keep = 200, False
        body = json.dumps(
            {
                "data": None,
                "errors": [
                    {
                        "message": f"the response is {self._too_large:,} bytes, over the"
                        f" {self._max_bytes:,}-byte limit: select fewer fields or symbols",
                        "extensions": {"code": "RESPONSE_TOO_LARGE"},
                    }
                ],
            }
        ).encode()
        await _send_json(self._send, body, b"miss")


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


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
