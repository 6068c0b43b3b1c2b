"""Load shedding: a bound on requests in flight, the excess refused at once, never queued.

Past the bound, a request is answered 503 with ``Retry-After`` (and OVERLOADED in GraphQL's
error shape) in the time it takes to write the answer: the server keeps serving what it
admitted at its normal latency, a client backs off instead of piling up a backlog that
nobody waits for, and routes outside the bound (``/healthz``, ``/readyz``) keep answering.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from providers.metrics import Metrics


class InFlightLimit:
    """ASGI wrapper: at most ``limit`` HTTP requests of ``app`` at once."""

    def __init__(self, app: ASGIApp, limit: int, metrics: Metrics, retry_after_s: int = 1) -> None:
        self._app = app
        self._limit = limit
        self._metrics = metrics
        self._in_flight = 0
        self._refusal = json.dumps(
            {
                "errors": [
                    {
                        "message": f"the server is at capacity: retry after {retry_after_s} s",
                        "extensions": {"code": "OVERLOADED", "retryAfter": retry_after_s},
                    }
                ]
            }
        ).encode()
        self._headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self._refusal)).encode()),
            (b"retry-after", str(retry_after_s).encode()),
        ]

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        if self._in_flight >= self._limit:
            self._metrics.http_refused.labels("overloaded").inc()
            await send({"type": "http.response.start", "status": 503, "headers": self._headers})
            await send({"type": "http.response.body", "body": self._refusal})
            return
        self._in_flight += 1
        try:
            await self._app(scope, receive, send)
        finally:
            self._in_flight -= 1


__all__ = ["InFlightLimit"]
