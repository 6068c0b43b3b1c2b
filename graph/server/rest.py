"""REST: ``GET /api/v1/{operationId}`` (``POST`` for mutations) over the registry, and the
``POST /invoke`` RPC by the operations' RPC names, which answers the same.

Flat parameters become the operation's variables (``graph.operations.params``); the
operation runs as the caller's own ``POST /graphql`` (``run_operation``); the answer is the
operation's data as JSON, with an ``errors`` list beside it when some fields failed. When
nothing could be answered it is an RFC 9457 problem (``graph.server.problems``) with the
GraphQL error code. An answer over ``max_chars`` characters (GPT Actions reject larger
ones) has its longest lists cut, and says what was cut under ``trimmed``.
``?debug=true`` adds the upstream calls (``upstream``), for admins, as the debug header
does for GraphQL.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from graphql import GraphQLSchema
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from graph.operations import Operation, Registry
from graph.operations.openapi import openapi
from graph.operations.params import TRUE_WORDS, BadParameter, variables_from
from graph.server.bodies import GONE, decoded, parse_object, read_body
from graph.server.problems import code_of, problem, status_of
from graph.server.run_operation import Answer, run_operation

MAX_CHARS = 100_000  # GPT Actions' limit on a response
GPT_ACTIONS_MAX = 30  # operations a GPT Action takes
MAX_DOCUMENTS = 8  # OpenAPI documents kept, by the address they give
MAX_TRIM_PASSES = 64
UNTRIMMED = ("errors", "upstream")  # never cut: what failed, and the debug calls
PASSED_HEADERS = (
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "www-authenticate",
)
_PASSED_RAW = frozenset(name.encode() for name in PASSED_HEADERS)


@dataclass(slots=True)
class Reply:
    """A 200 answer, sent as two ASGI messages (a Starlette ``Response`` built for each hot
    answer was a tenth of its time), with the GraphQL answer's ``PASSED_HEADERS`` as they
    came. Read as a ``Response`` is: ``status_code``, ``body``, ``headers``."""

    body: bytes
    raw_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    status_code: int = 200

    @property
    def headers(self) -> dict[str, str]:
        return decoded(self.raw_headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self.body)).encode()),
            *self.raw_headers,
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


class RestApi:
    """``GET /api/v1/{operationId}`` (an ASGI app: the route calls it as one), ``POST
    /invoke`` (``invoke``) and the OpenAPI documents."""

    def __init__(
        self,
        registry: Registry,
        schema: GraphQLSchema,
        graphql: ASGIApp,
        timeouts: Mapping[str, float],
        *,
        max_body_bytes: int = 65536,
        max_chars: int = MAX_CHARS,
        public_base_url: str | None = None,
        anonymous: bool = True,
        body_timeout_s: float = 10.0,
        max_symbols: int = 50,
        max_candles: int = 1500,
    ) -> None:
        self._max_symbols = max_symbols  # the document states the deployment's bounds
        self._max_candles = max_candles
        self._body_timeout_s = body_timeout_s
        self._documents: dict[tuple[str, int | None], bytes] = {}  # (base URL, limit) -> JSON
        self._public_base_url = public_base_url
        self._anonymous = anonymous
        self._registry = registry
        self._schema = schema
        self._graphql = graphql
        self._timeouts = timeouts
        self._max_body = max_body_bytes
        self._max_chars = max_chars

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self.handle(Request(scope, receive))
        await answer(scope, receive, send)

    async def handle(self, request: Request) -> Response | Reply:
        op = self._registry.operations.get(request.path_params["operation_id"])
        if op is None:
            known = ", ".join(self._registry.operations)
            return problem(404, "UNKNOWN_OPERATION", f"no such operation; there are: {known}")
        method = "POST" if op.consequential else "GET"
        asked = "GET" if request.method == "HEAD" else request.method  # uvicorn drops the body
        if asked != method:
            return problem(
                405,
                "METHOD_NOT_ALLOWED",
                f"{op.id} is a {op.kind}: send it with {method}",
                headers={"allow": "POST" if op.consequential else "GET, HEAD"},
            )
        params: dict[str, list[Any]] = {}
        query = request.scope.get("query_string", b"").decode("latin-1")
        for name, value in parse_qsl(query, keep_blank_values=True):  # as Starlette reads it
            params.setdefault(name, []).append(value)
        debug = any(v.strip().lower() in TRUE_WORDS for v in params.pop("debug", []))
        if method == "POST":
            body = await self._json_body(request)
            if isinstance(body, Response):
                return body
            for name, value in body.items():
                params.setdefault(name, []).append(value)
        return await self.run(request, op, params, debug=debug)

    async def invoke(self, request: Request) -> Response | Reply:
        """``POST /invoke``: the replaced system's RPC. ``{"operation": "signals.get",
        "params": {"symbol": "BTC"}}``, or the parameters beside ``operation`` (flat); the
        answer is what REST answers for the same operation and parameters."""
        body = await self._json_body(request)
        if isinstance(body, Response):
            return body
        name = body.pop("operation", None)
        if not isinstance(name, str):
            return problem(
                400, "BAD_REQUEST", 'name the operation: {"operation": "signals.get", ...}'
            )
        op = self._registry.by_rpc.get(name)
        if op is None:
            known = ", ".join(sorted(self._registry.by_rpc))
            return problem(404, "UNKNOWN_OPERATION", f"no operation {name!r}; there are: {known}")
        nested = body.pop("params", None)
        if nested is not None and not isinstance(nested, dict):
            return problem(400, "BAD_REQUEST", "params must be an object")
        given = {**body, **(nested or {})}
        params = {key: [value] for key, value in given.items()}
        debug = request.query_params.get("debug", "").strip().lower() in TRUE_WORDS
        return await self.run(request, op, params, debug=debug)

    async def run(
        self, request: Request, op: Operation, params: dict[str, list[Any]], *, debug: bool
    ) -> Response | Reply:
        """``op`` with ``params`` for the caller of ``request``, answered as REST answers."""
        try:
            variables = variables_from(op, self._schema, params)
        except BadParameter as exc:
            return problem(400, "BAD_PARAMETER", str(exc))
        answer = await run_operation(
            self._graphql,
            request.scope,
            request.receive,
            op,
            variables,
            deadline_s=self._timeouts[op.timeout],
            debug=debug,
        )
        return self._respond(op, answer)

    async def openapi_json(self, request: Request) -> Response:
        """``/openapi.json``: every operation."""
        return Response(self.document(self._base(request), None), media_type="application/json")

    async def gpt_action_schema(self, request: Request) -> Response:
        """``/gpt/action-schema``: the first ``GPT_ACTIONS_MAX`` operations, as GPT Actions
        take at most that many."""
        document = self.document(self._base(request), GPT_ACTIONS_MAX)
        return Response(document, media_type="application/json")

    def _base(self, request: Request) -> str:
        """The address documents give: the configured public one, else the one asked at."""
        return self._public_base_url or str(request.base_url).rstrip("/")

    def document(self, base: str, limit: int | None) -> bytes:
        """The OpenAPI document (JSON) giving ``base`` as its server, of every operation or
        the first ``limit``; built once per address (about 14 ms each; a few kept, as the
        Host header is the caller's to choose)."""
        key = (base, limit)
        document = self._documents.get(key)
        if document is None:
            built = openapi(
                self._registry,
                self._schema,
                server_url=base,
                version=version(),
                anonymous=self._anonymous,
                limit=limit,
                max_symbols=self._max_symbols,
                max_candles=self._max_candles,
            )
            document = _dumps(built).encode()
            if len(self._documents) >= MAX_DOCUMENTS:
                self._documents.pop(next(iter(self._documents)))
            self._documents[key] = document
        return document

    async def _json_body(self, request: Request) -> dict[str, Any] | Response:
        """The POST body's JSON object, read as ``/graphql`` reads bodies: bounded in size
        and time, a client gone mid-body answered nothing, the JSON's nesting bounded."""
        raw = await read_bounded(
            request.scope, request.receive, self._max_body, self._body_timeout_s
        )
        if isinstance(raw, Response):
            return raw
        if not raw.strip():
            return {}
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":  # a cross-site form cannot send this
            return problem(415, "UNSUPPORTED_MEDIA_TYPE", "send the parameters as JSON")
        body, reason = parse_object(raw)
        if body is None:
            return problem(400, "BAD_REQUEST", reason or "not a JSON object")
        return body

    def _respond(self, op: Operation, answer: Answer) -> Response | Reply:
        passed = answer.passed(_PASSED_RAW)
        cached = answer.cached_data()
        if cached is not None and len(cached) <= self._max_chars:  # as stored: no re-encoding
            return Reply(cached, passed)
        headers = decoded(passed)
        errors = answer.errors
        data = answer.body.get("data")
        if answer.status != 200 or not isinstance(data, dict) or (errors and _empty(data)):
            code = code_of(errors[0]) if errors else "INTERNAL"
            status = answer.status if answer.status != 200 else status_of(code)
            if answer.status == 200 and code == "RATE_LIMITED" and _provider(errors[0]):
                status = 503  # a venue's limit, not the caller's: nothing for it to wait out
            detail = str(errors[0].get("message")) if errors else "no answer"
            return problem(status, code, detail, errors=errors, headers=headers)
        out: dict[str, Any] = dict(data)
        if errors:
            out["errors"] = errors
        upstream = (answer.body.get("extensions") or {}).get("upstream")
        if upstream is not None:
            out["upstream"] = upstream
        text = _dumps(out)
        if len(text) > self._max_chars:
            cut = _trim(out, self._max_chars)
            if cut is None:
                return problem(
                    422,
                    "RESPONSE_TOO_LARGE",
                    f"{op.id}'s answer is over {self._max_chars:,} characters even with its"
                    " lists cut: ask for fewer items",
                )
            text = _dumps(cut)
        return Reply(text.encode(), passed)


async def read_bounded(
    scope: Scope, receive: Receive, max_bytes: int, timeout_s: float
) -> bytes | Response:
    """A request's body, read as ``/graphql`` reads bodies (at most ``max_bytes``, within
    ``timeout_s``), or the problem that answers it (413, 408; 499 when the client left)."""
    try:
        async with asyncio.timeout(timeout_s):
            raw = await read_body(scope, receive, max_bytes)
    except TimeoutError:
        detail = f"the request body did not arrive within {timeout_s:g} s"
        return problem(408, "REQUEST_TIMEOUT", detail)
    if raw is GONE:
        return Response(status_code=499)  # nobody is there to read it
    if raw is None:
        return problem(413, "PAYLOAD_TOO_LARGE", "request body too large")
    return raw


def version() -> str:
    """This package's version, as the documents and MCP give it."""
    try:
        return importlib.metadata.version("perpgraph")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def _provider(error: dict[str, Any]) -> bool:
    extensions = error.get("extensions")
    return isinstance(extensions, dict) and extensions.get("provider") is not None


def _empty(data: dict[str, Any]) -> bool:
    return all(value is None for value in data.values())


_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _lists(value: Any, path: str) -> list[tuple[str, list[Any]]]:
    found: list[tuple[str, list[Any]]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if not path and key in UNTRIMMED:
                continue
            found += _lists(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        found.append((path, value))
        for i, item in enumerate(value):
            found += _lists(item, f"{path}[{i}]")
    return found


def _trim(body: dict[str, Any], max_chars: int) -> dict[str, Any] | None:
    """``body`` with its longest lists (by their own items) halved, longest first, until it
    fits in ``max_chars`` with the note saying what was cut; ``errors`` and ``upstream``
    are never cut. None if it cannot be made to fit in ``MAX_TRIM_PASSES`` cuts."""
    cut: dict[str, tuple[int, int]] = {}  # path -> (kept, of)
    note = "the answer was over the size a GPT Action takes: the longest lists were cut"
    for _ in range(MAX_TRIM_PASSES):
        trimmed = {**body, "trimmed": {"note": note, "lists": _notes(cut)}}
        if len(_dumps(trimmed)) <= max_chars:
            return trimmed
        candidates = [
            (len(items), path, items) for path, items in _lists(body, "") if len(items) > 1
        ]
        if not candidates:
            return None
        _, path, items = max(candidates, key=lambda c: c[0])
        of = cut.get(path, (len(items), len(items)))[1]
        keep = math.ceil(len(items) / 2)
        del items[keep:]
        cut[path] = (keep, of)
    return None


def _notes(cut: dict[str, tuple[int, int]]) -> list[dict[str, Any]]:
    return [{"path": path, "kept": kept, "of": of} for path, (kept, of) in sorted(cut.items())]


__all__ = ["MAX_CHARS", "Reply", "RestApi", "read_bounded"]
