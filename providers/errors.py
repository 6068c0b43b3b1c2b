"""The one error tree for everything that talks to the outside world.

    ProviderError                      provider, endpoint, status, retry_after_s, code
    ├── ProviderUnavailable            transient: worth retrying later
    │   ├── UpstreamTimeout            connect/read/pool timeout or the call's deadline   UPSTREAM_TIMEOUT
    │   ├── UpstreamUnreachable        connection refused/reset, DNS, protocol errors     UPSTREAM_UNREACHABLE
    │   ├── UpstreamServerError        HTTP 5xx                                           UPSTREAM_ERROR
    │   ├── UpstreamRateLimited        HTTP 429 / 418, or our own weight budget spent     RATE_LIMITED
    │   └── CircuitOpen                too many recent failures; calls paused             CIRCUIT_OPEN
    ├── ProviderRejected               the venue said no (HTTP 4xx other than 429/418)    UPSTREAM_REJECTED
    │   └── SymbolNotServed            the venue does not serve this symbol/dataset       NO_DATA
    └── ProviderBadData                body was not JSON or failed payload validation     BAD_UPSTREAM_DATA

Foreign exceptions (httpx, json, pydantic) are converted in ``providers.http`` only, chained
with ``from``. ``code`` is the stable string the API puts in ``extensions.code``.
Messages never contain secrets or full URLs with query strings.
"""

from __future__ import annotations


class ProviderError(Exception):
    code = "UPSTREAM_FAILED"
    transient = False

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        endpoint: str,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.endpoint = endpoint
        self.status = status
        self.retry_after_s = retry_after_s

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, provider={self.provider!r}, "
            f"endpoint={self.endpoint!r}, status={self.status!r}, "
            f"retry_after_s={self.retry_after_s!r})"
        )


class ProviderUnavailable(ProviderError):
    code = "UPSTREAM_UNAVAILABLE"
    transient = True


class UpstreamTimeout(ProviderUnavailable):
    code = "UPSTREAM_TIMEOUT"


class UpstreamUnreachable(ProviderUnavailable):
    code = "UPSTREAM_UNREACHABLE"


class UpstreamServerError(ProviderUnavailable):
    code = "UPSTREAM_ERROR"


class UpstreamRateLimited(ProviderUnavailable):
    code = "RATE_LIMITED"


class CircuitOpen(ProviderUnavailable):
    code = "CIRCUIT_OPEN"


class ProviderRejected(ProviderError):
    code = "UPSTREAM_REJECTED"


class SymbolNotServed(ProviderRejected):
    code = "NO_DATA"


class ProviderBadData(ProviderError):
    code = "BAD_UPSTREAM_DATA"


__all__ = [
    "CircuitOpen",
    "ProviderBadData",
    "ProviderError",
    "ProviderRejected",
    "ProviderUnavailable",
    "SymbolNotServed",
    "UpstreamRateLimited",
    "UpstreamServerError",
    "UpstreamTimeout",
    "UpstreamUnreachable",
]
