"""Load shedding: a bound on operations running at once, the excess refused at once.

An HTTP request takes a slot once its body has arrived (a client that sends its body
slowly holds no slot, only its own connection), and gives it back when its answer is
written. With every slot taken, a request is answered 503 with ``Retry-After`` (and
OVERLOADED in GraphQL's error shape) in the time it takes to write that answer: the server
keeps serving what it admitted at its normal latency, a client backs off instead of piling
up a backlog nobody waits for, and routes outside the endpoint (``/healthz``, ``/readyz``)
keep answering.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from providers.metrics import Metrics


class Slots:
    def __init__(self, limit: int, metrics: Metrics, retry_after_s: int = 1) -> None:
        self._limit = limit
        self._metrics = metrics
        self.in_use = 0
        # the one refusal, encoded once: it is sent under load, when every microsecond counts
        self._body = json.dumps(
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
            (b"content-length", str(len(self._body)).encode()),
            (b"retry-after", str(retry_after_s).encode()),
            (b"x-content-type-options", b"nosniff"),
        ]

    @property
    def full(self) -> bool:
        return self.in_use >= self._limit

    def take(self) -> bool:
        """A slot, or False when all are in use."""
        if self.full:
            return False
        self.in_use += 1
        return True

    def give(self) -> None:
        self.in_use -= 1

    async def refuse(self, send: Send) -> None:
        """Answer 503 OVERLOADED (counted) on ``send``."""
        self._metrics.http_refused.labels("overloaded").inc()
        await send({"type": "http.response.start", "status": 503, "headers": self._headers})
        await send({"type": "http.response.body", "body": self._body})


class ShedWhenFull:
    """The outermost ASGI wrapper: while every slot is in use, a request to ``path`` is
    answered 503 before routing, middleware, authentication or its body cost anything
    (measured: refusing inside the endpoint, after authentication and the rate limiter,
    kept up with twice the capacity but not with four times)."""

    def __init__(self, app: ASGIApp, slots: Slots, path: str = "/graphql") -> None:
        self._app = app
        self._slots = slots
        self._path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._slots.full and scope["path"] == self._path:
            await self._slots.refuse(send)
            return
        await self._app(scope, receive, send)


__all__ = ["ShedWhenFull", "Slots"]
