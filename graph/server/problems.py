"""GraphQL's error codes as HTTP statuses and RFC 9457 problem details, for REST and RPC.

A problem is ``application/problem+json``: ``type`` (``about:blank``: the status says what
kind), ``title`` (the status's phrase), ``status``, ``detail`` (the first error's message)
and, as extension members, ``code`` (the GraphQL error code, stable) and ``errors`` (every
error, as GraphQL gave it). Never a traceback: what the GraphQL layer masked stays masked.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from starlette.responses import Response

STATUS = {
    "UNKNOWN_SYMBOL": 404,
    "NO_DATA": 404,
    "NOT_CONFIGURED": 501,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "RATE_LIMITED": 429,
    "OVERLOADED": 503,
    "TIMEOUT": 504,
    "UPSTREAM_TIMEOUT": 504,
    "UPSTREAM_UNREACHABLE": 502,
    "UPSTREAM_ERROR": 502,
    "UPSTREAM_FAILED": 502,
    "UPSTREAM_REJECTED": 502,
    "BAD_UPSTREAM_DATA": 502,
    "CIRCUIT_OPEN": 503,
    "UPSTREAM_UNAVAILABLE": 503,
    "KEYS_UNAVAILABLE": 503,
    "INGEST_NOT_RUNNING": 503,
    "QUERY_TOO_COSTLY": 422,
    "RESPONSE_TOO_LARGE": 422,
    "NEUTRAL_SIGNAL": 409,  # a valid request the market's present state refuses
    "WATCHLIST_FULL": 409,  # the key's list is at its size: remove a coin first
    "INVALID_RECORD": 422,
    "BAD_USER_INPUT": 400,
    "GRAPHQL_VALIDATION_FAILED": 422,
    "STARTING_UP": 503,
    "PAYLOAD_TOO_LARGE": 413,
    "REQUEST_TIMEOUT": 408,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "OUTBOX_FAILED": 503,
    "INTERNAL": 500,
}


def status_of(code: str) -> int:
    """The HTTP status of a GraphQL error code: ``BAD_*`` (the caller's argument) 400,
    ``UPSTREAM_*`` 502, anything else this server's own failure, 500."""
    if code in STATUS:
        return STATUS[code]
    if code.startswith("BAD_") or code.startswith("GRAPHQL_"):
        return 400
    if code.startswith("UPSTREAM_"):
        return 502
    return 500


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers=headers,
        media_type="application/problem+json",
    )


def code_of(error: dict[str, Any]) -> str:
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return code if isinstance(code, str) else "INTERNAL"


__all__ = ["STATUS", "code_of", "problem", "status_of"]
