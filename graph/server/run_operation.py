"""A registry operation run as one ``POST /graphql`` of the caller's, inside the process.

REST, the ``/invoke`` RPC and MCP own no resolvers: each turns its caller's request into
the operation's document and variables and hands that, with the caller's own key and
address, to the GraphQL endpoint's ASGI app. So every surface gets the same
authentication, roles, rate limits, cost limits, in-flight bound, response cache and
deadline (the operation's own, ``DEADLINE_KEY``), and the same answer.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope

from graph.operations import Operation
from graph.server.bodies import decoded, replay
from graph.server.view import DEBUG_HEADER

_DATA = b'{"data":'
DEADLINE_KEY = "perpgraph.deadline_s"  # in the scope: this request's execution deadline
# in the scope: (caller, rate-limit headers) of a request already admitted by the endpoint's
# rate limiter on its way in (MCP admits each of its requests): not admitted, nor counted,
# twice. Only the server sets scope keys, so no client can claim it.
ADMITTED_KEY = "perpgraph.admitted"
# in the scope: the inner request's whole body, there already (no read, no read deadline)
BODY_KEY = "perpgraph.body"
_encode = json.JSONEncoder(separators=(",", ":")).encode  # one encoder, not one a call
# the caller's headers an operation is run with: who it is, and what it sent them from
PASSED = (b"authorization", b"x-api-key", b"user-agent", b"x-forwarded-for", b"forwarded")


@dataclass
class Answer:
    """What the GraphQL endpoint answered: status, headers, and its body (``raw``, and
    ``body`` parsed when first asked for: a response-cache hit may be passed on as it is)."""

    status: int
    raw_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    raw: bytes = b""
    _body: dict[str, Any] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return decoded(self.raw_headers)

    def passed(self, names: frozenset[bytes]) -> list[tuple[bytes, bytes]]:
        """The headers named in ``names`` (lower case), as they came."""
        return [(k, v) for k, v in self.raw_headers if k.lower() in names]

    @property
    def body(self) -> dict[str, Any]:
        if self._body is None:
            try:
                parsed = json.loads(self.raw) if self.raw else {}
            except ValueError:
                parsed = {"errors": [{"message": self.raw.decode("utf-8", "replace")[:200]}]}
            self._body = parsed if isinstance(parsed, dict) else {}
        return self._body

    @property
    def errors(self) -> list[dict[str, Any]]:
        errors = self.body.get("errors")
        return errors if isinstance(errors, list) else []

    def cached_data(self) -> bytes | None:
        """The data of a response-cache hit as the bytes it was stored as (such an answer
        is a whole, error-free ``{"data":...,"extensions":...}``), or None."""
        if self.status != 200 or (b"x-response-cache", b"hit") not in self.raw_headers:
            return None
        if not self.raw.startswith(_DATA):
            return None
        end = self.raw.rfind(b',"extensions":')  # the cost the endpoint appended, last
        return self.raw[len(_DATA) : end] if end > 0 else None


@functools.cache
def _request_start(op_id: str, document: str) -> bytes:
    """The ``POST /graphql`` body of an operation up to its variables (the document is the
    same every time: encoding it, a kilobyte with escapes, was a tenth of a REST request)."""
    start = json.dumps({"query": document, "operationName": op_id}, separators=(",", ":"))
    return start[:-1].encode() + b',"variables":'


async def run_operation(
    graphql: ASGIApp,
    scope: Scope,
    receive: Receive,
    op: Operation,
    variables: Mapping[str, Any],
    *,
    deadline_s: float,
    debug: bool = False,
) -> Answer:
    """``op`` with ``variables`` through ``graphql`` for the caller of ``scope`` (an HTTP
    request to another route, whose body has been read: its client address and key
    headers are kept, and its ``receive`` tells when the caller leaves)."""
    body = _request_start(op.id, op.document) + _encode(dict(variables)).encode() + b"}"
    headers = [(k, v) for k, v in scope.get("headers", []) if k in PASSED]
    if debug:
        headers.append((DEBUG_HEADER.encode(), b"1"))
    return await post_graphql(graphql, scope, body, headers, receive, deadline_s=deadline_s)


async def post_graphql(
    graphql: ASGIApp,
    scope: Scope,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    receive: Receive,
    *,
    deadline_s: float | None = None,
) -> Answer:
    """``body`` (a GraphQL request) as a ``POST /graphql`` with ``headers`` (the caller's
    key among them) from the client of ``scope`` (an HTTP request or a WebSocket), through
    ``graphql``: the endpoint's own path, every limit included. ``receive`` says, after
    the body, that the caller left."""
    headers = [
        *headers,
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    inner: Scope = {
        "type": "http",
        "asgi": scope.get("asgi", {"version": "3.0"}),
        "http_version": scope.get("http_version", "1.1"),
        "method": "POST",
        "scheme": "https" if scope.get("scheme") in ("https", "wss") else "http",
        "server": scope.get("server"),
        "client": scope.get("client"),
        "root_path": "",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "headers": headers,
        "state": {},
        BODY_KEY: body,
    }
    if deadline_s is not None:
        inner[DEADLINE_KEY] = deadline_s
    if ADMITTED_KEY in scope:
        inner[ADMITTED_KEY] = scope[ADMITTED_KEY]
    answer = Answer(status=500)
    chunks: list[bytes] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.raw_headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    # after the body: whatever the caller's connection says next (that it left)
    await graphql(inner, replay(body, then=receive), send)
    answer.raw = b"".join(chunks)
    return answer


__all__ = [
    "ADMITTED_KEY",
    "BODY_KEY",
    "DEADLINE_KEY",
    "PASSED",
    "Answer",
    "post_graphql",
    "run_operation",
]
