"""Errors at the API boundary: stable ``extensions.code`` for what is expected, a mask for
the rest.

The one place where errors become ``extensions``: GraphQL's own parse and validation
errors, the providers' tree (``providers/errors.py``) and the request tree
(``resolvers/errors.py``) keep their message and get their code; anything else becomes
"Internal server error" with code INTERNAL for the client and is logged whole (STYLE.md
point 8).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError

from providers.errors import ProviderError
from resolvers.errors import FallbackExhausted, Refused, RequestError, UnknownSymbol

log = logging.getLogger("perpgraph.errors")


def _provider_extensions(err: ProviderError) -> dict[str, Any]:
    ext: dict[str, Any] = {"code": err.code, "provider": err.provider, "endpoint": err.endpoint}
    if err.retry_after_s is not None:
        ext["retryAfter"] = err.retry_after_s
    return ext


def classify(error: GraphQLError) -> tuple[str, dict[str, Any]] | None:
    """(message, extensions) for an expected error; None when it must be masked."""
    original = error.original_error
    if original is None:
        if isinstance(error, GraphQLSyntaxError):
            return error.message, {"code": "GRAPHQL_PARSE_FAILED"}
        if error.path is None:  # validation errors point at the document, not a result path
            return error.message, {"code": "GRAPHQL_VALIDATION_FAILED"}
        return None  # an execution error of our own making (e.g. a non-null violation)
    if isinstance(original, GraphQLError):
        return classify(original)
    if isinstance(original, ProviderError):
        ext = _provider_extensions(original)
        if isinstance(original, FallbackExhausted):
            fallback = original.fallback
            ext["fallback"] = {"provider": fallback.provider, "code": fallback.code}
        return original.message, ext
    if isinstance(original, UnknownSymbol):
        return original.message, {"code": original.code, "suggestions": list(original.suggestions)}
    if isinstance(original, Refused):
        ext = {"code": original.code, **original.details}
        if original.retry_after_s is not None:
            ext["retryAfter"] = original.retry_after_s
        return original.message, ext
    if isinstance(original, RequestError):
        return original.message, {"code": original.code}
    return None


def present(error: GraphQLError) -> GraphQLError:
    """The error as a client sees it: coded when expected, masked otherwise.

    Applied where results leave the server (the view's ``process_result``) rather than in a
    schema extension, because errors raised while a cached parse runs skip the extensions'
    operation hook.
    """
    known = classify(error)
    message, ext = known or ("Internal server error", {"code": "INTERNAL"})
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=ext,
    )


def describe(exc: Exception) -> tuple[str, str]:
    """(message, code) of an exception caught outside GraphQL's own error path; an
    unexpected one is logged whole and masked."""
    known = classify(GraphQLError(str(exc), original_error=exc))
    if known is None:
        left_out = _UNEXPECTED.take()
        if left_out is not None:
            more = f" ({left_out} similar lines left out)" if left_out else ""
            log.error("unexpected error%s", more, exc_info=exc)
        return "Internal server error", "INTERNAL"
    return known[0], str(known[1]["code"])


class LogBudget:
    """At most ``burst`` lines per ``window_s`` seconds; the lines left out are counted and
    said in the next line written, so no client can flood the log with its errors."""

    def __init__(self, burst: int, window_s: float, clock: Callable[[], float] = time.monotonic):
        self._burst = burst
        self._window_s = window_s
        self._clock = clock
        self._window_start = -window_s
        self._written = 0
        self.suppressed = 0

    def take(self) -> int | None:
        """None: leave the line out; else the lines left out since the last one written."""
        now = self._clock()
        if now - self._window_start >= self._window_s:
            self._window_start, self._written = now, 0
        if self._written >= self._burst:
            self.suppressed += 1
            return None
        self._written += 1
        left_out, self.suppressed = self.suppressed, 0
        return left_out


_UNEXPECTED = LogBudget(burst=10, window_s=60.0)  # tracebacks
_EXPECTED = LogBudget(burst=100, window_s=10.0)  # one-line coded errors


def log_errors(errors: list[GraphQLError]) -> None:
    """Expected errors in one line each; unexpected ones with their whole traceback; both
    within their log budget."""
    for error in errors:
        known = classify(error)
        budget = _UNEXPECTED if known is None else _EXPECTED
        left_out = budget.take()
        if left_out is None:
            continue
        more = f" ({left_out} similar lines left out)" if left_out else ""
        if known is None:
            log.error("unexpected error at %s%s", error.path, more, exc_info=error.original_error)
        else:
            log.info("%s at %s: %s%s", known[1]["code"], error.path, known[0], more)


__all__ = ["LogBudget", "classify", "describe", "log_errors", "present"]
