"""The ``/graphql`` endpoint: the caller, its rate, the body, the response cache, then the view.

Every HTTP request is first given a caller (``graph.server.auth``: its API key, or the
anonymous role) and takes one request of the caller's rate (429 RATE_LIMITED when none is
left, 401 UNAUTHENTICATED for a key that is not valid). A POST body over the limit gets 413,
one not sent as ``application/json`` 415, one that is not a GraphQL request 400
(``graph.server.bodies``); a query whose answer is in the response cache is answered from
it without parsing or executing; otherwise the view (``graph.server.view``) runs it and a
cacheable answer is stored for as long as its data is fresh. An answer over the size cap is
replaced by RESPONSE_TOO_LARGE. GET (GraphiQL, queries over GET) skips the body and the
response cache; WebSockets go to the subscription server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

from graphql import OperationType as OperationKind
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.guard.extension import operation_type
from graph.server.auth import Authenticator, presented_key
from graph.server.bodies import (
    GONE,
    check_get,
    decoded,
    error_response,
    get_request,
    parse_body,
    read_body,
    replay,
)
from graph.server.ratelimit import RateLimiter
from graph.server.response_cache import MemoryResponseStore, ResponseStore, cache_key, is_query
from graph.server.run_operation import ADMITTED_KEY, BODY_KEY, DEADLINE_KEY
from graph.server.shedding import BODY_IN, RESERVED, Slots
from graph.server.subscriptions import EVENT_STREAM_HEADERS, SSE_COMPLETE, SubscriptionServer
from graph.server.view import (
    DEBUG_HEADER,
    GRAPHQL_RESPONSE,
    META_KEY,
    REFUSAL_STATUS,
    PerpGraphQL,
    negotiate,
    wants_debug,
)
from graph.server.web import Origins
from providers.http import collect_calls
from resolvers.access import Caller
from resolvers.errors import Refused
from resolvers.loaders import RequestMeta
from resolvers.outage import Outage

log = logging.getLogger("perpgraph.endpoint")

MIN_CACHE_S = 0.05
LOCAL_ENTRIES = 256  # responses (each at most 256 KiB) kept in-process while Redis is away
STREAMED_KEY = "perpgraph.streamed"  # in the scope: this request became an event stream


def refusal_response(refused: Refused) -> Response:
    """A refusal before GraphQL runs, with its HTTP status, Retry-After and own headers."""
    headers = dict(refused.headers)
    if refused.retry_after_s is not None:
        headers["retry-after"] = str(max(1, round(refused.retry_after_s)))
        refused.details.setdefault("retryAfter", refused.retry_after_s)
    if refused.code == "UNAUTHENTICATED":
        headers["www-authenticate"] = "Bearer"
    return error_response(
        REFUSAL_STATUS.get(refused.code, 503),
        refused.code,
        refused.message,
        headers=headers,
        extensions=refused.details,
    )


class GraphQLEndpoint:
    """ASGI app in front of ``PerpGraphQL``."""

    def __init__(
        self,
        view: PerpGraphQL,
        store: ResponseStore | None,
        *,
        auth: Authenticator,
        limiter: RateLimiter,
        max_body_bytes: int,
        max_cached_bytes: int = 256 * 1024,
        max_response_bytes: int = 4 * 1024 * 1024,
        max_tokens: int = 5000,
        max_connections_per_client: int = 50,
        on_request: Callable[[int, float | None], None] | None = None,
        subscriptions: ASGIApp | None = None,
        origins: Origins | None = None,
        slots: Slots | None = None,
        body_timeout_s: float = 10.0,
        redis_outage: Outage | None = None,
    ) -> None:
        self._origins = origins
        self._store_outage = redis_outage or Outage("Redis", log)
        self._slots = slots
        self._body_timeout_s = body_timeout_s
        self._view = view
        self._store = store
        self._local_store = MemoryResponseStore(LOCAL_ENTRIES)  # for while Redis is away
        self._auth = auth
        self._limiter = limiter
        self._max_body = max_body_bytes
        self._max_cached = max_cached_bytes
        self._max_response = max_response_bytes
        self._max_tokens = max_tokens
        self._on_request = on_request
        self._max_ws_per_client = max_connections_per_client
        self._subscriptions: ASGIApp = subscriptions or view
        self._ws_per_client: dict[str, int] = {}
        # what ends every answer from the response cache: a hit runs nothing, spends nothing
        cost = {"cost": {"requested": 0, "actual": 0, "maximum": view.max_cost}}
        self._hit_cost = b',"extensions":' + json.dumps(cost, separators=(",", ":")).encode() + b"}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        try:
            status = await self._http(scope, receive, send)
        finally:
            # an event stream lasts as long as its client wants: not a request's latency
            if self._on_request is not None:
                elapsed = None if scope.get(STREAMED_KEY) else time.perf_counter() - started
                self._on_request(status, elapsed)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> int:
        if self._slots is not None and scope.pop(RESERVED, False):
            # The protocol's reservation held the slot from the read until now, so that the
            # requests read in the same turn were refused there; the request takes it again
            # once admitted, as any other: checking a key may wait on PostgreSQL, and the
            # rate limiter on Redis, and those waits must not hold slots (a few unknown keys
            # would fill the bound for everyone). With no wait, the slot is taken back at once.
            self._slots.release()
        headers = _headers(scope)
        graphql_response, may_stream, stream_answers = negotiate(headers.get("accept"))
        if scope["method"] == "HEAD":  # as GET, without the body (and never as a stream)
            scope, send = {**scope, "method": "GET"}, _headers_only(send)
            may_stream = stream_answers = False
        if graphql_response:
            send = _as_graphql_response(send)
        try:
            caller, limit_headers = scope.get(ADMITTED_KEY) or await self.admit(scope, headers)
        except Refused as refused:
            response = refusal_response(refused)
            await response(scope, receive, send)
            return int(response.status_code)
        meta = RequestMeta(
            caller=caller, deadline_s=scope.get(DEADLINE_KEY), graphql_response=graphql_response
        )
        meta.headers.update(limit_headers)
        meta.charge = partial(self._charge, caller)  # not a closure over meta: no cycle
        scope[META_KEY] = meta
        streams = (may_stream, stream_answers)
        if scope["method"] == "POST":
            return await self._post(scope, receive, send, headers, meta, streams)
        query_string = scope.get("query_string", b"").decode("latin-1")
        problem = check_get(query_string)
        if problem is not None:
            await error_response(400, "BAD_REQUEST", problem)(scope, receive, send)
            return 400
        if may_stream:
            request = get_request(query_string)
            streamed, send = await self._streamed(
                scope, receive, send, request, meta, headers, stream_answers
            )
            if streamed is not None:
                return streamed
        if not self._take_slot():
            await self._shed(scope, receive, send)
            return 503
        try:
            captured = _Capture(send, meta, keep=False, max_bytes=self._max_response)
            with collect_calls() as calls:
                meta.calls = calls
                await self._view(scope, receive, captured.send)
            return captured.status
        finally:
            self._give_slot()

    async def admit(
        self, scope: Scope, headers: dict[str, str] | None = None
    ) -> tuple[Caller, dict[str, str]]:
        """The caller of an HTTP request (by its key and address) admitted by the rate
        limiter, with the rate-limit headers its answer carries; Refused otherwise (a wrong
        key also counts against its address). Another route's request admitted here once
        passes the result on in its inner requests' scope (``ADMITTED_KEY``)."""
        headers = _headers(scope) if headers is None else headers
        key, address = presented_key(headers), _address(scope)
        if key is not None and not self._auth.vouched_for(key):
            await self._limiter.may_present_key(address)
        try:
            caller = await self._auth.caller(key, address)
        except Refused as refused:
            if key is not None and refused.code == "UNAUTHENTICATED":
                await self._limiter.bad_key(address)
            raise
        return caller, await self._limiter.admit(caller)

    def _take_slot(self) -> bool:
        return self._slots is None or self._slots.take()

    def _give_slot(self) -> None:
        if self._slots is not None:
            self._slots.give()

    async def _shed(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self._slots is not None
        await self._slots.refuse(send)

    async def _charge(self, caller: Caller, meta: RequestMeta, cost: int) -> dict[str, float]:
        """The operation's cost from the caller's budget; over it, the answer is a 429."""
        try:
            throttle = await self._limiter.charge(caller, cost)
        except Refused as refused:
            if refused.code != "RATE_LIMITED":  # over the whole budget: a GraphQL error
                raise
            meta.status = 429
            if refused.retry_after_s is not None:
                meta.headers["retry-after"] = str(max(1, round(refused.retry_after_s)))
            raise
        return throttle.as_json()

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Subscriptions; a browser page from an origin not allowed, or a client address
        holding ``max_connections_per_client`` sockets already, is refused (close code
        1008, policy violation)."""
        origin = _headers(scope).get("origin")
        if origin is not None and self._origins is not None and not self._origins.allows(origin):
            await send({"type": "websocket.close", "code": 1008})  # a page of another site
            return
        client = _address(scope)
        if not self._connect(client):
            await send({"type": "websocket.close", "code": 1008})
            return
        try:
            await self._subscriptions(scope, receive, send)
        finally:
            self._disconnect(client)

    async def _streamed(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: dict[str, Any] | None,
        meta: RequestMeta,
        headers: dict[str, str],
        stream_answers: bool,
    ) -> tuple[int | None, Send]:
        """For a client that accepts event streams: a subscription streams (its status);
        anything else goes on (None) with the send its answer takes, one event when the
        client prefers events to JSON."""
        if request is not None:
            subscription = self._subscription(request)
            if subscription is None:
                await self._shed(scope, receive, send)
                return 503, send
            if subscription:
                return await self._stream(scope, receive, send, request, meta, headers), send
        return None, _as_event_stream(send) if stream_answers else send

    def _subscription(self, request: dict[str, Any]) -> bool | None:
        """Whether a request is a subscription (a parse of its document), worked out inside
        the in-flight bound; None when the bound is full."""
        if not self._take_slot():
            return None
        try:
            return _subscription(request, self._max_tokens)
        finally:
            self._give_slot()

    async def _stream(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        request: dict[str, Any],
        meta: RequestMeta,
        headers: dict[str, str],
    ) -> int:
        """A subscription as server-sent events: from an allowed origin (as a WebSocket),
        counted with the client's WebSockets."""
        origin = headers.get("origin")
        if origin is not None and self._origins is not None and not self._origins.allows(origin):
            message = "this origin may not open event streams here"
            await error_response(403, "FORBIDDEN", message)(scope, receive, send)
            return 403
        assert isinstance(self._subscriptions, SubscriptionServer), "streams need the server"
        client = _address(scope)
        if not self._connect(client):
            message = f"this address holds {self._max_ws_per_client} streams already"
            refused = error_response(
                429, "TOO_MANY_CONNECTIONS", message, headers={"retry-after": "5"}
            )
            await refused(scope, receive, send)
            return 429
        scope[STREAMED_KEY] = True
        try:
            assert meta.caller is not None
            await self._subscriptions.serve_sse(scope, receive, send, request, meta.caller)
        finally:
            self._disconnect(client)
        return 200

    def _connect(self, client: str) -> bool:
        """One more long-lived connection (WebSocket or event stream) of ``client``'s, if
        it holds fewer than ``max_connections_per_client``."""
        if self._ws_per_client.get(client, 0) >= self._max_ws_per_client:
            return False
        self._ws_per_client[client] = self._ws_per_client.get(client, 0) + 1
        return True

    def _disconnect(self, client: str) -> None:
        left = self._ws_per_client[client] - 1
        if left:
            self._ws_per_client[client] = left
        else:
            del self._ws_per_client[client]

    async def _post(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        headers: dict[str, str],
        meta: RequestMeta,
        streams: tuple[bool, bool] = (False, False),
    ) -> int:
        try:
            body = scope.get(BODY_KEY)  # a registry operation's, made in this process
            if body is not None and len(body) <= self._max_body:
                pass
            elif scope.get(BODY_IN):  # all of it is here already: nothing to wait for
                body = await read_body(scope, receive, self._max_body)
            else:
                async with asyncio.timeout(self._body_timeout_s):
                    body = await read_body(scope, receive, self._max_body)
        except TimeoutError:
            message = f"the request body did not arrive within {self._body_timeout_s:g} s"
            await error_response(408, "REQUEST_TIMEOUT", message)(scope, receive, send)
            return 408
        if body is GONE:  # the client left before sending its whole body: nothing to run
            return 499
        if body is None:
            response = error_response(413, "PAYLOAD_TOO_LARGE", "request body too large")
            await response(scope, receive, send)
            return 413
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":  # also keeps cross-site form posts out
            response = error_response(
                415, "UNSUPPORTED_MEDIA_TYPE", "send the request as content-type application/json"
            )
            await response(scope, receive, send)
            return 415
        request = _parsed(body)
        if isinstance(request, str):
            await error_response(400, "BAD_REQUEST", request)(scope, receive, send)
            return 400
        scope["headers"] = [  # as Strawberry reads it (it matches the media type exactly)
            (k, b"application/json" if k == b"content-type" else v) for k, v in scope["headers"]
        ]
        may_stream, stream_answers = streams
        if may_stream:
            streamed, send = await self._streamed(
                scope, receive, send, request.payload, meta, headers, stream_answers
            )
            if streamed is not None:
                return streamed
        if not self._take_slot():
            await self._shed(scope, receive, send)
            return 503
        try:
            return await self._run(scope, send, body, request, headers, meta)
        finally:
            self._give_slot()

    async def _run(
        self,
        scope: Scope,
        send: Send,
        body: bytes,
        request: _Parsed,
        headers: dict[str, str],
        meta: RequestMeta,
    ) -> int:
        debug = wants_debug(meta, headers.get(DEBUG_HEADER))
        key = None if debug or self._store is None else request.cache_key(self._max_tokens)
        if key is not None and meta.caller is not None:  # what a role sees may differ
            key = f"{meta.caller.role.name}:{key}"
        if key is not None and self._store is not None:
            hit = await self._store_get(key)
            if hit is not None:  # nothing runs: nothing is spent
                await _send_json(send, hit[:-1] + self._hit_cost, b"hit", meta.headers)
                return 200
        captured = _Capture(send, meta, keep=key is not None, max_bytes=self._max_response)
        with collect_calls() as calls:
            meta.calls = calls
            await self._view(scope, replay(body), captured.send)
        if (
            key is not None
            and self._store is not None
            and captured.status == 200
            and meta.cacheable
            and meta.min_fresh_s is not None
            and meta.min_fresh_s >= MIN_CACHE_S
        ):
            answer = b"".join(captured.chunks)
            if len(answer) <= self._max_cached:
                stored = _stored(answer)
                if stored is not None:
                    await self._store_set(key, stored, meta.min_fresh_s)
        return captured.status

    async def _store_get(self, key: str) -> bytes | None:
        """While Redis is away (down or hung) the in-process store stands in for it."""
        store = self._store
        assert store is not None
        if not getattr(store, "shared", False):
            return await store.get(key)
        local = self._local_store
        return await self._store_outage.call(lambda: store.get(key), lambda: local.get(key))

    async def _store_set(self, key: str, payload: bytes, ttl_s: float) -> None:
        store = self._store
        assert store is not None
        if not getattr(store, "shared", False):
            await store.set(key, payload, ttl_s)
            return
        local = self._local_store
        await self._store_outage.call(
            lambda: store.set(key, payload, ttl_s), lambda: local.set(key, payload, ttl_s)
        )


def _subscription(request: dict[str, Any], max_tokens: int) -> bool:
    query = request.get("query")
    name = request.get("operationName")
    if not isinstance(query, str) or not (name is None or isinstance(name, str)):
        return False
    return operation_type(query, name, max_tokens) is OperationKind.SUBSCRIPTION


def _as_event_stream(send: Send) -> Send:
    """A send that turns one GraphQL answer into an event stream of one ``next`` event with
    it, then ``complete``: the graphql-sse protocol's answer to a query or a mutation, and
    to a request that did not validate (the event carries its errors), with 200. A refusal
    of another kind (405, 429, 503) keeps its status, headers and JSON body."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def as_events(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            if message["status"] not in (200, 400):
                await send(message)
            return
        if message["type"] != "http.response.body" or start["status"] not in (200, 400):
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        lines = b"".join(chunks).splitlines() or [b""]
        event = b"event: next\n" + b"".join(b"data: " + line + b"\n" for line in lines)
        event += b"\n" + SSE_COMPLETE.encode()
        kept = [(k, v) for k, v in start.get("headers", []) if k not in _REPLACED]
        headers = [*kept, *EVENT_STREAM_HEADERS, (b"content-length", str(len(event)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": event})

    return as_events


_REPLACED = frozenset((b"content-type", b"content-length"))


def _headers_only(send: Send) -> Send:
    """A send that passes a response's start and drops its body (HEAD)."""

    async def headers_only(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b""}
        await send(message)

    return headers_only


def _as_graphql_response(send: Send) -> Send:
    """A send that labels JSON answers application/graphql-response+json, for a client that
    asked for it (the bytes are the same)."""

    async def relabelled(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = dict(message)
            message["headers"] = [
                (k, GRAPHQL_RESPONSE_BYTES if k == b"content-type" and v == JSON else v)
                for k, v in message.get("headers", [])
            ]
        await send(message)

    return relabelled


JSON = b"application/json"
GRAPHQL_RESPONSE_BYTES = GRAPHQL_RESPONSE.encode() + b"; charset=utf-8"


def _headers(scope: Scope) -> dict[str, str]:
    return decoded(scope["headers"])


def _address(scope: Scope) -> str:
    return str((scope.get("client") or ("unknown", 0))[0])


def _stored(payload: bytes) -> bytes | None:
    """A response as the cache keeps it: its data alone (a hit runs nothing, so it has no
    cost of its own, and nobody's extensions are shown to another); None when it is not a
    complete answer: no data, or errors beside it (a field that failed is not kept as null
    for the next asker). Only the answer's own ``errors`` count: data may hold a field of
    that name (``ask`` lists the failures of the operation it ran there)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("data") is None or "errors" in data:
        return None
    return json.dumps({"data": data["data"]}, separators=(",", ":")).encode()


class _Parsed:
    """A POST body that ``parse_body`` accepted. Its response-cache key (None unless the
    operation is a query) is worked out when first asked for, inside the in-flight bound
    (it parses the document), and kept with a remembered body."""

    __slots__ = ("_key", "_known_for", "payload")

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload  # shared by every request with the same body: read only
        self._known_for: int | None = None  # the token limit the key was worked out under
        self._key: str | None = None

    def cache_key(self, max_tokens: int) -> str | None:
        if self._known_for != max_tokens:
            payload = self.payload
            query = is_query(payload["query"], payload.get("operationName"), max_tokens)
            self._key = cache_key(payload) if query else None
            self._known_for = max_tokens
        return self._key


REMEMBERED_BODY_BYTES = 2048  # hot queries are small: their parsing is remembered


def _parsed(body: bytes) -> _Parsed | str:
    """The request a body holds (``_Parsed``), or why it holds none. Bodies of up to
    ``REMEMBERED_BODY_BYTES`` are parsed once (at most 1,024 of them, 2 MiB, are kept):
    a hot query asked again goes from its bytes to its cache key in one lookup."""
    if len(body) <= REMEMBERED_BODY_BYTES:
        return _parsed_small(body)
    return _parse(body)


def _parse(body: bytes) -> _Parsed | str:
    payload, problem = parse_body(body)
    return _Parsed(payload) if payload is not None else str(problem)


_parsed_small = lru_cache(maxsize=1024)(_parse)


class _Capture:
    """Passes the view's answer on, with the headers and status the request earned (its
    rate-limit headers; 429 when its cost budget was spent), keeping the body for the
    cache when asked; an answer over ``max_bytes`` (its content-length) is replaced by a
    RESPONSE_TOO_LARGE error."""

    def __init__(self, send: Send, meta: RequestMeta, *, keep: bool, max_bytes: int) -> None:
        self._send = send
        self._meta = meta
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
            self.status = self._meta.status or message["status"]
            extra = [(k.encode(), v.encode()) for k, v in self._meta.headers.items()]
            message = dict(message)
            message["status"] = self.status
            message["headers"] = [
                *message.get("headers", []),
                *extra,
                (b"x-response-cache", b"miss"),
            ]
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
        self.chunks = []
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
        await _send_json(self._send, body, b"miss", self._meta.headers)


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


async def _send_json(
    send: Send, body: bytes, cache_state: bytes, extra: dict[str, str] | None = None
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-response-cache", cache_state),
        *((k.encode(), v.encode()) for k, v in (extra or {}).items()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


__all__ = ["GraphQLEndpoint", "refusal_response"]
