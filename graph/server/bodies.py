"""A POST body, read and checked before anything parses it.

``read_body`` stops reading at the size limit (413); ``parse_body`` says why a body is not a
GraphQL request (400): not UTF-8, JSON nested deeper than ``MAX_JSON_NESTING`` (checked
without recursion, before ``json.loads`` could recurse), not an object with a ``query``
string, a field of the wrong type, a lone surrogate that could not be encoded to answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from starlette.responses import Response
from starlette.types import Message, Receive, Scope

MAX_JSON_NESTING = 32


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    headers: dict[str, str] | None = None,
    extensions: dict[str, object] | None = None,
) -> Response:
    """A request refused before GraphQL runs, in GraphQL's error shape."""
    body = {"errors": [{"message": message, "extensions": {"code": code, **(extensions or {})}}]}
    return Response(
        json.dumps(body), status_code=status, headers=headers, media_type="application/json"
    )


def parse_body(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The GraphQL request a POST body holds, or why it holds none (``(None, reason)``):
    UTF-8 JSON, at most ``MAX_JSON_NESTING`` deep, an object whose ``query`` is a string and
    whose ``operationName``, ``variables`` and ``extensions`` have their types, with no lone
    surrogate anywhere (``"\\ud800"`` cannot be encoded to answer)."""
    payload, problem = _decoded(body, "the request body")
    if problem is not None:
        return None, problem
    if isinstance(payload, list):
        return None, "batched requests are not supported: send one operation per request"
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return None, "the request body must be a JSON object with a 'query' string"
    for name, kind in (("operationName", str), ("variables", dict), ("extensions", dict)):
        value = payload.get(name)
        if value is not None and not isinstance(value, kind):
            return None, f"'{name}' must be {'a string' if kind is str else 'an object'} or null"
    problem = lone_surrogate(payload, "the request")
    return (None, problem) if problem is not None else (payload, None)


def parse_object(
    body: bytes, what: str = "the request body"
) -> tuple[dict[str, Any] | None, str | None]:
    """A JSON object (REST and RPC parameters) under the same checks as a GraphQL request's
    body: UTF-8, nesting bounded before parsing, no lone surrogate."""
    payload, problem = _decoded(body, what)
    if problem is not None:
        return None, problem
    if not isinstance(payload, dict):
        return None, f"{what} must be a JSON object"
    problem = lone_surrogate(payload, what)
    return (None, problem) if problem is not None else (payload, None)


def _decoded(body: bytes, what: str) -> tuple[Any, str | None]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None, f"{what} is not valid UTF-8"
    return _load_json(text, what)


def lone_surrogate(payload: Any, what: str) -> str | None:
    """Why ``payload`` cannot be answered in (a string holding a lone surrogate), or None."""
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return f"{what} holds a string that is not valid Unicode (a lone surrogate)"
    return None


def _load_json(text: str, what: str) -> tuple[Any, str | None]:
    """``json.loads(text)``, refused (``(None, reason)``) before it could recurse too deep."""
    if _nesting(text) > MAX_JSON_NESTING:
        return None, f"{what} nests deeper than {MAX_JSON_NESTING} levels"
    try:
        return json.loads(text), None
    except (ValueError, RecursionError):  # a 5,000-digit number is a ValueError too
        return None, f"{what} is not valid JSON"


def _nesting(text: str) -> int:
    """The deepest bracket nesting of a JSON text, strings skipped (linear, no recursion)."""
    brackets = text.count("[") + text.count("{")
    if brackets <= MAX_JSON_NESTING:  # cannot nest deeper than it has brackets: the usual case
        return brackets
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


GONE = b"\x00gone"  # sentinel: the client disconnected mid-body


def check_get(query_string: str) -> str | None:
    """Why a GET's parameters are not a GraphQL request (None when they may be one): the
    same checks as a POST body's, for ``variables`` and ``extensions`` given as JSON."""
    from urllib.parse import parse_qs

    try:
        params = parse_qs(query_string, errors="strict")
    except UnicodeDecodeError:
        return "the query string is not valid UTF-8"
    for name in ("variables", "extensions"):
        for value in params.get(name, []):
            parsed, problem = _load_json(value, f"'{name}'")
            if problem is not None:
                return problem
            if parsed is not None and not isinstance(parsed, dict):
                return f"'{name}' must be a JSON object"
            problem = lone_surrogate(parsed, f"'{name}'")  # "\ud800" cannot be answered in
            if problem is not None:
                return problem
    return None


def get_request(query_string: str) -> dict[str, Any] | None:
    """The GraphQL request of a GET's parameters (``check_get`` passed them), or None when
    they hold no query."""
    from urllib.parse import parse_qs

    params = parse_qs(query_string)
    query = params.get("query", [None])[0]
    if query is None:
        return None
    request: dict[str, Any] = {
        "query": query,
        "operationName": params.get("operationName", [None])[0],
    }
    for name in ("variables", "extensions"):
        if name in params:
            request[name] = json.loads(params[name][0])
    return request


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes | None:
    """The whole body; None as soon as it is known to exceed ``limit`` bytes; ``GONE``
    when the client disconnects before the body is complete."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return GONE
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, then: Receive | None = None) -> Receive:
    """A receive that gives ``body`` whole, then what ``then`` says (the client's own
    connection: that it left), or, without ``then``, that the client has gone."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


def decoded(headers: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """ASGI's header pairs as text (latin-1, as HTTP carries them)."""
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in headers}


__all__ = [
    "GONE",
    "MAX_JSON_NESTING",
    "check_get",
    "decoded",
    "error_response",
    "get_request",
    "lone_surrogate",
    "parse_body",
    "read_body",
    "replay",
]
