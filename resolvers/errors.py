"""The errors of a request, one tree above the providers' own (``providers/errors.py``).

    RequestError                  the request cannot be served as asked      code, message
    ├── InvalidArgument           an argument outside its domain             BAD_LIMIT, BAD_PERIOD,
    │                                                                        BAD_INTERVAL, BAD_CURSOR,
    │                                                                        BAD_CATEGORY, BAD_ARGUMENT
    ├── UnknownSymbol             no venue lists the ticker                  UNKNOWN_SYMBOL (+ suggestions)
    ├── NotActionable             a NEUTRAL signal: nothing to record        NEUTRAL_SIGNAL
    ├── NotConfigured             this deployment has no key or setting      NOT_CONFIGURED
    │                             for the source asked
    ├── IngestNotRunning          no liquidation stream runs here            INGEST_NOT_RUNNING
    └── Refused                   refused before or while it runs: the       GRAPHQL_VALIDATION_FAILED,
                                  document's shape, its cost, the caller's   QUERY_TOO_COSTLY, TIMEOUT,
                                  access, its rate, the server's load        RESPONSE_TOO_LARGE,
                                                                             UNAUTHENTICATED, FORBIDDEN,
                                                                             RATE_LIMITED, OVERLOADED

    ProviderError                 an upstream failed or refused (its own tree, providers/errors.py)
    └── FallbackExhausted         the primary venue failed, then the         the primary's code
                                  fallback venue too                         (+ the fallback's)

``graph.errors`` maps both trees to ``extensions.code`` in one place and masks everything
else. The engine refuses in its own pure terms (``ValueError`` for an argument out of range,
``engine.discovery.InvalidCursor``): the resolver that called it converts the refusal into
this tree, chained with ``from``, so no bare built-in exception crosses a resolver.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from strawberry.utils.str_converters import to_camel_case

from providers.errors import ProviderError


class RequestError(Exception):
    """Why this request cannot be answered as asked; ``code`` is stable."""

    code = "REQUEST_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(RequestError):
    """A client argument is out of its domain; ``code`` names which kind (BAD_LIMIT...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_QUOTED = re.compile(r"""('[^']*'|"[^"]*")""")  # a caller's own value: kept as sent
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def schema_words(message: str) -> str:
    """An engine's ``ValueError`` message as the schema speaks: each snake_case name outside
    quotes (the engine's parameters: ``swing_length``) in camelCase, as the argument is
    spelled (``swingLength``), by Strawberry's own converter, the one that names the schema's
    arguments. For engine messages only: they name parameters, not values."""

    def camel(match: re.Match[str]) -> str:
        return to_camel_case(match.group(0))

    parts = _QUOTED.split(message)
    return "".join(part if n % 2 else _SNAKE.sub(camel, part) for n, part in enumerate(parts))


class UnknownSymbol(RequestError):
    """No venue lists the symbol. ``suggestions`` are close canonical tickers."""

    code = "UNKNOWN_SYMBOL"

    def __init__(self, text: str, suggestions: tuple[str, ...]) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown symbol {text!r}{hint}")
        self.text = text
        self.suggestions = suggestions


class NotActionable(RequestError):
    """A NEUTRAL signal: only LONG and SHORT are recorded."""

    code = "NEUTRAL_SIGNAL"

    def __init__(self, ticker: str) -> None:
        super().__init__(f"{ticker}'s signal is NEUTRAL: only LONG and SHORT are recorded")


class NotConfigured(RequestError):
    """A source this deployment has no key or setting for; reported, never faked."""

    code = "NOT_CONFIGURED"


class IngestNotRunning(RequestError):
    """No liquidation stream runs in this deployment (``PERPGRAPH_LIQUIDATION_STREAMS``)."""

    code = "INGEST_NOT_RUNNING"

    def __init__(self) -> None:
        super().__init__(
            "no liquidation stream is ingested here: set PERPGRAPH_LIQUIDATION_STREAMS"
        )


class Refused(RequestError):
    """The request is refused as a whole: a limit, the caller's access or the server's
    load. ``retry_after_s`` says when trying again can succeed; ``details`` join the
    error's ``extensions`` (e.g. the computed cost)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        retry_after_s: float | None = None,
        details: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.retry_after_s = retry_after_s
        self.details = dict(details or {})
        self.headers: dict[str, str] = {}  # HTTP headers its answer carries (RateLimit-*)


class FallbackExhausted(ProviderError):
    """The primary venue failed and so did the fallback venue: reported as the primary
    (its code, provider, endpoint and retry-after), with the fallback beside it."""

    def __init__(self, primary: ProviderError, fallback: ProviderError) -> None:
        super().__init__(
            primary.message,
            provider=primary.provider,
            endpoint=primary.endpoint,
            status=primary.status,
            retry_after_s=primary.retry_after_s,
        )
        self.code = primary.code
        self.transient = primary.transient
        self.primary = primary
        self.fallback = fallback


__all__ = [
    "FallbackExhausted",
    "IngestNotRunning",
    "InvalidArgument",
    "NotActionable",
    "NotConfigured",
    "Refused",
    "RequestError",
    "UnknownSymbol",
]
