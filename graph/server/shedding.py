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

from starlette.responses import Response

from graph.server.bodies import error_response
from providers.metrics import Metrics


class Slots:
    def __init__(self, limit: int, metrics: Metrics, retry_after_s: int = 1) -> None:
        self._limit = limit
        self._metrics = metrics
        self._retry_after_s = retry_after_s
        self.in_use = 0

    def take(self) -> bool:
        """A slot, or False (counted as shed) when all are in use."""
        if self.in_use >= self._limit:
            self._metrics.http_refused.labels("overloaded").inc()
            return False
        self.in_use += 1
        return True

    def give(self) -> None:
        self.in_use -= 1

    def refusal(self) -> Response:
        return error_response(
            503,
            "OVERLOADED",
            f"the server is at capacity: retry after {self._retry_after_s} s",
            headers={"retry-after": str(self._retry_after_s)},
            extensions={"retryAfter": self._retry_after_s},
        )


__all__ = ["Slots"]
