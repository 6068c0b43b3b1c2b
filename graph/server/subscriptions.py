"""GraphQL subscriptions over WebSocket with grouped execution.

Subscribers that send the same document, variables and operation want the same bytes, so
each such *group* runs one Strawberry subscription: every event is executed once, its
payload serialized once, and only the small frame envelope (the subscriber's id) is added
per subscriber. Each connection has one bounded outgoing queue (a full queue drops its
oldest frame and counts it) and one sender task, so a client that stops reading slows
nobody else.

Both protocols on one path: ``graphql-transport-ws`` and the legacy ``graphql-ws``.
Close codes: 4400 bad message (not JSON, not an object, an unknown type), 4401 a
``subscribe`` before ``connection_init``, 4403 a key that is not valid (or none where one is
needed) in ``connection_init``, 4406 unsupported subprotocol, 4408 no ``connection_init`` in
time, 4409 duplicate id, 4429 repeated ``connection_init``, 1009 a message over the body
limit. A document that does not parse or validate is an ``error`` message for its id.

A query or a mutation sent over the socket runs once as the connection's caller's own
``POST /graphql`` (``post_graphql``): the same rate limit, cost budget, in-flight bound,
response cache and deadline as over HTTP; its answer is one ``next`` (``data``) and
``complete``, a request the endpoint refused (4xx, 5xx) an ``error``.

The caller is decided once per connection, from the ``connection_init`` payload
(``{"Authorization": "Bearer <key>"}`` or ``{"apiKey": "<key>"}``). Groups are per role (what
an operation may see depends on it); a group runs under the caller of its first member,
whose role every member shares.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from asyncio import FIRST_COMPLETED
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import strawberry
from graphql import GraphQLError, OperationType
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError

from graph.errors import log_errors, present
from graph.guard.extension import operation_type
from graph.server.auth import presented_key
from graph.server.bodies import lone_surrogate
from graph.server.ratelimit import RateLimiter
from graph.server.run_operation import PASSED, post_graphql
from providers.metrics import Metrics
from resolvers.access import Caller
from resolvers.errors import Refused
from resolvers.loaders import RequestMeta

log = logging.getLogger("perpgraph.subscriptions")
TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"
SSE = "graphql-sse"  # GraphQL over server-sent events, distinct connections mode
SSE_COMPLETE = "event: complete\ndata: \n\n"
EVENT_STREAM_HEADERS = (
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),  # nginx: pass each event on as it comes
)
# what a member hears of a bug (the log has the rest)
INTERNAL = [{"message": "Internal server error", "extensions": {"code": "INTERNAL"}}]
SSE_HEARTBEAT_S = 15.0  # a comment line this often keeps proxies from closing a quiet stream


def _payload_json(result: ExecutionResult) -> str:
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        log_errors(result.errors)
        payload["errors"] = [present(e).formatted for e in result.errors]
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


class TextSink(Protocol):
    """Where an outbox's frames go: a WebSocket, or a server-sent event stream."""

    async def send_text(self, data: str) -> None: ...


class Outbox:
    """One connection's bounded queue of text frames and its sender."""

    def __init__(self, ws: TextSink, maxsize: int, on_drop: Callable[[], None]) -> None:
        self.ws = ws
        self.frames: deque[str] = deque()
        self.maxsize = maxsize
        self.on_drop = on_drop
        self._ready = asyncio.Event()

    def put(self, frame: str) -> None:
        if len(self.frames) >= self.maxsize:
            self.frames.popleft()
            self.on_drop()
        self.frames.append(frame)
        self._ready.set()

    async def run(self) -> None:
        while True:
            while not self.frames:
                self._ready.clear()
                await self._ready.wait()
            await self.ws.send_text(self.frames.popleft())


@dataclass(eq=False)
class Member:
    outbox: Outbox
    op_id: str
    protocol: str
    # the connection's open operations: an ended group frees the id for reuse
    registry: dict[str, Member] = field(default_factory=dict)

    def frame(self, payload_json: str) -> str:
        if self.protocol == SSE:
            return f"event: next\ndata: {payload_json}\n\n"
        kind = "next" if self.protocol == TRANSPORT_WS else "data"
        return f'{{"id":{json.dumps(self.op_id)},"type":"{kind}","payload":{payload_json}}}'

    def complete(self) -> str:
        if self.protocol == SSE:
            return SSE_COMPLETE
        return json.dumps({"id": self.op_id, "type": "complete"})

    def error(self, errors: list[dict[str, Any]]) -> str:
        if self.protocol == TRANSPORT_WS:
            return json.dumps({"id": self.op_id, "type": "error", "payload": errors})
        if self.protocol == SSE:  # the protocol: errors before execution are a next event
            return self.frame(json.dumps({"errors": errors}, ensure_ascii=False)) + SSE_COMPLETE
        return json.dumps({"id": self.op_id, "type": "error", "payload": errors[0]})


@dataclass(eq=False)
class Group:
    key: tuple[str, str, str, str | None]  # (role, document, variables, operation name)
    members: set[Member] = field(default_factory=set)
    task: asyncio.Task[None] | None = None


class SubscriptionServer:
    """The ``/graphql`` WebSocket endpoint."""

    def __init__(
        self,
        schema: strawberry.Schema,
        make_context: Callable[..., Any],
        metrics: Metrics,
        *,
        authenticate: Callable[[str | None, str], Awaitable[Caller]],
        limiter: RateLimiter | None = None,
        key_cache_s: float = 1.0,
        max_tokens: int = 5000,
        max_subscriptions_per_connection: int,
        connection_init_timeout_s: float,
        queue_size: int,
        max_message_bytes: int = 64 * 1024,
    ) -> None:
        self._schema = schema
        self._make_context = make_context
        self._authenticate = authenticate
        self._limiter = limiter
        self._key_cache_s = key_cache_s
        self._max_tokens = max_tokens
        self._max_message_bytes = max_message_bytes
        self._metrics = metrics
        self._max_subs = max_subscriptions_per_connection
        self._init_timeout_s = connection_init_timeout_s
        self._queue_size = queue_size
        self._groups: dict[tuple[str, str, str, str | None], Group] = {}
        # the GraphQL endpoint that runs queries and mutations sent over a socket (the
        # application sets it: the endpoint holds this server)
        self.http: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ws = WebSocket(scope, receive, send)
        offered = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",")]
        protocol = next((p for p in (TRANSPORT_WS, LEGACY_WS) if p in offered), None)
        if protocol is None:
            await ws.accept()
            await ws.close(4406, "Subprotocol not acceptable")
            return
        await ws.accept(subprotocol=protocol)
        await _Connection(self, ws, protocol, send).run()

    async def serve_sse(
        self, scope: Scope, receive: Receive, send: Send, request: dict[str, Any], caller: Caller
    ) -> None:
        """A subscription as server-sent events (the graphql-sse protocol, distinct
        connections mode): one member of the same groups as WebSocket subscribers, with
        the same bounded queue and drop accounting, until its stream completes or the
        client goes. ``request`` is a parsed GraphQL request; the endpoint admitted it."""
        headers = list(EVENT_STREAM_HEADERS)
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        stream = _EventStream(send)
        outbox = Outbox(stream, self._queue_size, self._dropped)
        sender = asyncio.create_task(outbox.run())
        member = Member(outbox, "sse", SSE)
        self.join(member, request["query"], request.get("variables") or {},
                  request.get("operationName"), caller)  # fmt: skip
        ended = asyncio.create_task(stream.ended.wait())
        gone = asyncio.create_task(_disconnected(receive))
        try:
            while True:  # until the stream completes, the client goes, or sending fails
                done, _ = await asyncio.wait(
                    {ended, gone, sender}, timeout=SSE_HEARTBEAT_S, return_when=FIRST_COMPLETED
                )
                if done:
                    break
                if not outbox.frames:  # a queue with frames in it keeps the stream busy
                    outbox.put(": ping\n\n")
        finally:
            self.leave(member)
            for task in (ended, gone, sender):
                task.cancel()
            if sender.done() and not sender.cancelled():
                sender.exception()  # the client left mid-write: retrieved, not logged as lost
            with contextlib.suppress(Exception):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _dropped(self) -> None:
        self._metrics.hub_dropped.labels("frames").inc()

    # -- groups ----------------------------------------------------------------------------

    def join(
        self, member: Member, query: str, variables: dict[str, Any], op: str | None, caller: Caller
    ) -> None:
        # one group per role: what a subscription may see depends on the role, never on
        # which key of that role asked
        key = (caller.role.name, query, json.dumps(variables, sort_keys=True), op)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = Group(key)
            group.task = asyncio.create_task(self._run_group(group, query, variables, op, caller))
        group.members.add(member)
        self._count()

    def leave(self, member: Member) -> None:
        for key, group in list(self._groups.items()):
            if member in group.members:
                group.members.discard(member)
                if not group.members and group.task is not None:
                    group.task.cancel()
                    del self._groups[key]
        self._count()

    def _count(self) -> None:
        self._metrics.ws_subscriptions.set(sum(len(g.members) for g in self._groups.values()))
        self._metrics.ws_groups.set(len(self._groups))

    async def _run_group(
        self,
        group: Group,
        query: str,
        variables: dict[str, Any],
        op: str | None,
        caller: Caller,
    ) -> None:
        try:
            await self._stream_group(group, query, variables, op, caller)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug: tell the members, log it whole, free the group
            log.error("subscription group failed", exc_info=exc)
            self._end(group, lambda m: m.error(INTERNAL))

    async def _stream_group(
        self,
        group: Group,
        query: str,
        variables: dict[str, Any],
        op: str | None,
        caller: Caller,
    ) -> None:
        limiter = self._limiter

        async def charge(_: RequestMeta, cost: int) -> dict[str, float]:
            assert limiter is not None
            return (await limiter.charge(caller, cost)).as_json()

        context = self._make_context(caller, charge if limiter is not None else None)
        result = await self._schema.subscribe(query, variables or None, context, None, op)
        if isinstance(result, PreExecutionError):
            self._refuse(group, result)
            return
        if isinstance(result, ExecutionResult):  # an immediate result, not a stream
            payload = _payload_json(result)
            self._end(group, lambda m: m.frame(payload), complete=True)
            return
        try:
            async for item in result:
                if isinstance(item, PreExecutionError):  # it did not parse or validate
                    self._refuse(group, item)
                    return
                payload = _payload_json(item)  # executed and serialized once per group
                # ...and framed once per id (clients mostly number their first operation
                # alike): the members of a group are sent the very same string
                frames: dict[tuple[str, str], str] = {}
                for member in list(group.members):
                    key = (member.protocol, member.op_id)
                    frame = frames.get(key)
                    if frame is None:
                        frame = frames[key] = member.frame(payload)
                    member.outbox.put(frame)
        finally:
            with contextlib.suppress(Exception):
                await result.aclose()
        self._end(group, lambda m: m.complete())

    def _refuse(self, group: Group, result: ExecutionResult) -> None:
        """A subscription that never started: an ``error`` message, as both protocols say."""
        if result.errors:
            log_errors(result.errors)
        errors: list[dict[str, Any]] = [
            dict(present(e).formatted) for e in result.errors or [GraphQLError("invalid")]
        ]
        self._end(group, lambda m: m.error(errors))

    def _end(self, group: Group, frame: Callable[[Member], str], complete: bool = False) -> None:
        for member in list(group.members):
            member.outbox.put(frame(member))
            if complete:
                member.outbox.put(member.complete())
            member.registry.pop(member.op_id, None)
        group.members.clear()
        if self._groups.get(group.key) is group:  # a newer group may hold the key by now
            del self._groups[group.key]
        self._count()


class _SocketText:
    """What a WebSocket member's outbox sends to: the connection's ASGI send, with no
    wrapper between (this is the path every delivered frame takes)."""

    __slots__ = ("_send",)

    def __init__(self, send: Send) -> None:
        self._send = send

    async def send_text(self, data: str) -> None:
        await self._send({"type": "websocket.send", "text": data})


class _EventStream:
    """What an SSE member's outbox sends to: the body of one streaming HTTP response."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.ended = asyncio.Event()

    async def send_text(self, data: str) -> None:
        await self._send({"type": "http.response.body", "body": data.encode(), "more_body": True})
        if data.endswith(SSE_COMPLETE):
            self.ended.set()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class _Connection:
    def __init__(
        self, server: SubscriptionServer, ws: WebSocket, protocol: str, send: Send
    ) -> None:
        self.server = server
        self.ws = ws
        self.protocol = protocol
        self.members: dict[str, Member] = {}
        self.once: dict[str, asyncio.Task[None]] = {}  # queries and mutations running
        self.outbox = Outbox(_SocketText(send), server._queue_size, self._dropped)
        self.caller: Caller | None = None
        self.key: str | None = None
        self.address = str((ws.client or ("unknown", 0))[0])

    def _dropped(self) -> None:
        self.server._dropped()

    async def run(self) -> None:
        sender = asyncio.create_task(self.outbox.run())
        rechecks: asyncio.Task[None] | None = None
        try:
            if not await self._handshake():
                return
            if self.key is not None:
                rechecks = asyncio.create_task(self._recheck_key())
            while True:
                message = await self._receive()
                if message is None or not await self._handle(message):
                    return
        except (WebSocketDisconnect, RuntimeError, json.JSONDecodeError, KeyError, TypeError):
            pass
        finally:
            if rechecks is not None:
                rechecks.cancel()
            for member in self.members.values():
                self.server.leave(member)
            for task in self.once.values():
                task.cancel()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
            if self.ws.client_state is WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await self.ws.close()

    async def _receive(self) -> Any:
        """The next message as JSON; None (the socket closed with 1009) when it is larger
        than the body limit of HTTP requests."""
        text = await self.ws.receive_text()
        if len(text) > self.server._max_message_bytes:
            await self.ws.close(1009, "Message too big")
            return None
        try:
            return json.loads(text)
        except ValueError:  # not JSON (or a number too long to read)
            await self.ws.close(4400, "Invalid message received: not JSON")
            return None

    async def _handshake(self) -> bool:
        try:
            async with asyncio.timeout(self.server._init_timeout_s):
                message = await self._receive()
        except TimeoutError:
            await self.ws.close(4408, "Connection initialisation timeout")
            return False
        if message is None:
            return False
        if isinstance(message, dict) and message.get("type") in ("subscribe", "start"):
            await self.ws.close(4401, "Unauthorized: send connection_init first")
            return False
        if not isinstance(message, dict) or message.get("type") != "connection_init":
            await self.ws.close(4400, "Expected connection_init")
            return False
        payload = message.get("payload")
        self.key = _presented(payload if isinstance(payload, dict) else {})
        try:
            self.caller = await self.server._authenticate(self.key, self.address)
        except Refused as refused:
            # 1013 "try again later" when keys cannot be checked: the key may well be good
            code = 1013 if refused.code == "KEYS_UNAVAILABLE" else 4403
            await self.ws.close(code, refused.message[:120])
            return False
        await self.ws.send_text('{"type":"connection_ack"}')
        return True

    async def _recheck_key(self) -> None:
        """A key revoked while its socket is open: the socket closes (4403) as soon as the
        key is refused again, within ``PERPGRAPH_KEY_CACHE_S``."""
        while True:
            await asyncio.sleep(self.server._key_cache_s)
            try:
                await self.server._authenticate(self.key, self.address)
            except Refused as refused:
                if refused.code == "UNAUTHENTICATED":
                    await self.ws.close(4403, "the API key was revoked")
                    return

    async def _handle(self, message: Any) -> bool:
        if not isinstance(message, dict):
            await self.ws.close(4400, "Invalid message")
            return False
        kind = message.get("type")
        if kind == "connection_init":
            await self.ws.close(4429, "Too many initialisation requests")
            return False
        if kind == "ping":
            self.outbox.put('{"type":"pong"}')
        elif kind in ("subscribe", "start"):
            await self._start(message)
        elif kind in ("complete", "stop"):
            member = self.members.pop(str(message.get("id")), None)
            if member is not None:
                self.server.leave(member)
            once = self.once.pop(str(message.get("id")), None)
            if once is not None:
                once.cancel()
        elif kind == "connection_terminate":
            return False
        elif kind != "pong":
            await self.ws.close(4400, f"Unknown message type {kind!r}")
            return False
        return True

    async def _start(self, message: dict[str, Any]) -> None:
        op_id = str(message.get("id"))
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            await self.ws.close(4400, "The payload must be an object")
            return
        member = Member(self.outbox, op_id, self.protocol, self.members)
        if op_id in self.members or op_id in self.once:
            await self.ws.close(4409, f"Subscriber for {op_id} already exists")
            return
        if len(self.members) + len(self.once) >= self.server._max_subs:
            limit = {
                "message": "Subscription limit reached",
                "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS"},
            }
            self.outbox.put(member.error([limit]))
            return
        query = payload.get("query")
        if not isinstance(query, str):
            missing = {
                "message": "A subscription needs a query",
                "extensions": {"code": "BAD_REQUEST"},
            }
            self.outbox.put(member.error([missing]))
            return
        variables = payload.get("variables") or {}
        op = payload.get("operationName")
        if not isinstance(variables, dict) or not (op is None or isinstance(op, str)):
            bad = [{"message": "variables must be an object and operationName a string",
                    "extensions": {"code": "BAD_REQUEST"}}]  # fmt: skip
            self.outbox.put(member.error(bad))
            return
        assert self.caller is not None  # the handshake decided it
        surrogate = lone_surrogate(payload, "the payload")
        if surrogate is not None:  # it could be neither run nor echoed back
            self.outbox.put(
                member.error([{"message": surrogate, "extensions": {"code": "BAD_REQUEST"}}])
            )
            return
        # a query, a mutation, or a document whose operation is not known (it does not
        # parse, names no operation of its own or several): the endpoint's answer says which
        if operation_type(query, op, self.server._max_tokens) is not OperationType.SUBSCRIPTION:
            request = {"query": query, "variables": variables, "operationName": op}
            task = asyncio.create_task(self._run_once(member, request))
            self.once[op_id] = task
            return
        if self.server._limiter is not None:
            try:
                await self.server._limiter.admit(self.caller)
            except Refused as refused:
                limited = {"message": refused.message,
                           "extensions": {"code": refused.code, "retryAfter": refused.retry_after_s}}  # fmt: skip
                self.outbox.put(member.error([limited]))
                return
        self.members[op_id] = member
        self.server.join(member, query, variables, op, self.caller)

    async def _run_once(self, member: Member, request: dict[str, Any]) -> None:
        """A query or mutation, as this connection's caller's ``POST /graphql``. The answer
        is asked for as application/graphql-response+json, so a request that never ran
        (it did not parse or validate, or was refused) comes back as a 4xx: an ``error``."""
        http = self.server.http
        try:
            if http is None:
                raise RuntimeError("no GraphQL endpoint to run queries over the socket")
            body = json.dumps(request, separators=(",", ":"), ensure_ascii=False).encode()
            headers = [(k, v) for k, v in self.ws.scope["headers"] if k in _PASSED_WS]
            headers.append((b"accept", b"application/graphql-response+json"))
            if self.key is not None:
                headers.append((b"authorization", b"Bearer " + self.key.encode()))
            answer = await post_graphql(http, self.ws.scope, body, headers, _open)
            if answer.status == 200:
                member.outbox.put(member.frame(answer.raw.decode()))
                member.outbox.put(member.complete())
            else:
                member.outbox.put(member.error(answer.errors or _failed(answer.status)))
        except Exception as exc:  # a bug: the client hears INTERNAL, the log the rest
            log.error("a query over a WebSocket failed", exc_info=exc)
            member.outbox.put(member.error(INTERNAL))
        finally:  # the id may name a newer operation by now (complete, then the same id)
            if self.once.get(member.op_id) is asyncio.current_task():
                del self.once[member.op_id]


# a WebSocket's headers a query over it is run with (its key comes from connection_init)
_PASSED_WS = frozenset(PASSED) - {b"authorization", b"x-api-key"}


async def _open() -> Message:
    """The receive of a query run over a socket, after its body: the socket stays open
    (when it closes, the query's task is cancelled)."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def _failed(status: int) -> list[dict[str, Any]]:
    return [{"message": f"the request failed (HTTP {status})", "extensions": {"code": "INTERNAL"}}]


def _presented(payload: dict[str, Any]) -> str | None:
    """The key in a ``connection_init`` payload, read as HTTP headers are: ``Authorization:
    Bearer``, else ``apiKey`` (or ``X-API-Key``)."""
    fields = {k.lower(): v for k, v in payload.items() if isinstance(v, str)}
    api_key = fields.get("apikey") or fields.get("x-api-key", "")
    return presented_key({"authorization": fields.get("authorization", ""), "x-api-key": api_key})


__all__ = ["EVENT_STREAM_HEADERS", "SSE", "SSE_COMPLETE", "SubscriptionServer"]
