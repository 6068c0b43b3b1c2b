"""Load shedding: a bound on operations running at once, the excess refused at once.

An HTTP request takes a slot once its body has arrived (a client that sends its body
slowly holds no slot, only its own connection), and gives it back when its answer is
written. A ``POST /graphql`` read whole in one read holds one already from the read until
its task starts, in uvicorn's protocol (``graph.server.protocol``; ``RESERVED`` in its
scope), so that the requests read after it in the same turn of the loop find it taken and
are refused there, cheaply; the endpoint gives that one back as it starts and takes one
again once the request is admitted (a key looked up, the rate limit asked), so that no
slot is held while those wait. With every slot taken, a request is answered 503 with
``Retry-After`` (and OVERLOADED in GraphQL's error shape) in the time it takes to write
that answer: the server
keeps serving what it admitted at its normal latency, a client backs off instead of piling
up a backlog nobody waits for, and routes outside the endpoint (``/healthz``, ``/readyz``)
keep answering.

How many slots there are adapts to the one thing they protect, the event loop
(``watch_loop_lag`` measures how late a 5 ms timer fires: the 90th percentile of the
ticks of a step, so with the 20 ticks of an on-time loop two long pauses, a garbage
collection, do not count; a late loop fires fewer, and one is left out). Every 0.1 s and
at least 3 ticks, whichever is later, the bound counts as reached if a request found every
slot taken:

- reached, and the loop later than ``PERPGRAPH_LOOP_LAG_TARGET_MS`` at two steps in a row
  (not a burst of arrivals): the admitted requests are competing for the CPU, each one
  more only makes all of them, and every refusal, later; the bound falls in proportion
  (``target / late``, at most halved, never under ``FLOOR``);
- since the cuts began, at two steps in a row, fewer requests answered (under ``KEPT`` of
  the step before the first cut) for nothing: either more arriving (over ``MORE`` times as
  many, answered or refused: clients that retry at once whatever Retry-After says, who ask
  faster the faster they are refused), or the loop no less late (``NO_BETTER``: late from
  something else than the admitted requests, e.g. from refusing, while those wait on an
  upstream and cost no CPU). Fewer slots then only mean fewer answers: every cut is undone
  and the bound held for ``HOLD_STEPS``. Fewer answers with the loop less late are the
  price of promptness, and stand;
- loop on time: the cuts were right; the bound rises by an eighth (at least one) if it was
  reached, by one if not, up to ``PERPGRAPH_MAX_IN_FLIGHT``. A target no loop reaches
  (``PERPGRAPH_LOOP_LAG_TARGET_MS=1e9``) fixes the bound at ``PERPGRAPH_MAX_IN_FLIGHT``.

Measured (8x capacity offered on 2 cores, the load generator on the same cores,
2026-12-04): a fixed bound of 64 kept admitted requests' p99 at 101 ms and refusals' at
32 ms; 16 fixed slots 34 and 12 ms; the adaptive bound 24 and 11 ms in the last
``make bench`` (5 to 18 ms across the day's runs). On 2026-12-07, with the slot taken in
the protocol, steps by time, and requests that leave no cyclic garbage
(``graph.schema.Executor``): refusals' p99 3.7 to 6.4 ms at 8x in four runs, against 9.3
and 10.8 ms for the code before in two runs with the same load generator. Clients
retrying at once on 128 and 512 connections were answered 668 and 339 times a second,
against 593 and 330 with the bound fixed at 64, in the same run (2026-12-04).
"""

from __future__ import annotations

import asyncio
import json
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from providers.metrics import Metrics

FLOOR = 4  # slots the bound never falls under
TICK_S = 0.005  # the lateness probe's period
STEP_S = 0.1  # time between adjustments
MIN_TICKS = 3  # the fewest ticks an adjustment is judged on
KEPT = 0.7  # cuts after which fewer than this share was answered, with
MORE = 1.25  # more than this many times as many arriving (answered or refused),
NO_BETTER = 1.0  # or the loop no less late than (this share of) before the cuts,
HOLD_STEPS = 50  # are undone, and the bound is held for 5 s
# in a request's scope: a slot ``ShedInProtocol`` took for it as its body arrived (see there)
RESERVED = "perpgraph.slot"
# in a request's scope: its whole body has arrived (``ShedInProtocol``), so reading it cannot
# wait on the client, and needs no read deadline (a timer a request: 7 % of the hot path)
BODY_IN = "perpgraph.body_in"


class Slots:
    def __init__(
        self, limit: int, metrics: Metrics, retry_after_s: int = 1, max_body_bytes: int = 65536
    ) -> None:
        self.ceiling = limit
        self.max_body_bytes = max_body_bytes  # bodies the protocol may drain to refuse
        self.limit = limit
        self._floor = min(FLOOR, limit)
        self._metrics = metrics
        self.in_use = 0
        self._peak = 0  # most slots in use since the last adjustment
        self._answered = 0  # requests that gave their slot back since then
        self._refused = 0  # and requests refused
        # (bound, answered, answered and refused, lateness) at the step before the cuts
        self._before: tuple[int, int, int, float] | None = None
        self._short = 0  # steps in a row since then with fewer answered, for nothing
        self._hold = 0  # steps left with the bound held where an undo put it
        self._late = False  # whether the loop was late at the last step
        metrics.in_flight_limit.set(limit)
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
        ]  # the security headers come from graph.server.web.BrowserHeaders, around this

    @property
    def full(self) -> bool:
        return self.in_use >= self.limit

    def take(self) -> bool:
        """A slot, or False when all are in use."""
        if self.full:
            return False
        self.in_use += 1
        self._peak = max(self._peak, self.in_use)
        return True

    def adjust(self, late_s: float, target_s: float) -> None:
        """One step of the bound (see the module's text): cut only if it was reached since
        the last step (a bound nobody reached is not what made the loop late, nor what
        kept a request out); raised by one when idle and on time."""
        answered, self._answered = self._answered, 0
        refused, self._refused = self._refused, 0
        handled = answered + refused
        reached = self._peak >= self.limit or refused > 0
        self._peak = min(self.in_use, self.limit - 1)  # those still running reach nothing
        late = late_s > target_s
        if not reached:  # nothing to judge: whatever was being cut is over
            self._before, self._short = None, 0
        elif self._before is not None:  # cutting: fewer answered, and for nothing?
            _, answered_before, handled_before, late_before = self._before
            retried = handled > handled_before * MORE  # refused faster, asked faster
            no_better = late and late_s >= late_before * NO_BETTER
            short = answered < answered_before * KEPT and (retried or no_better)
            self._short = self._short + 1 if short else 0
            if self._short == 2:  # two steps in a row: the cuts cost answers, undo them
                self.limit, self._hold = self._before[0], HOLD_STEPS
                self._before, self._short = None, 0
        if self._hold:  # the bound stays where the undo put it
            self._hold -= 1
        elif reached and late and self._late:  # late twice: not a burst
            cut = max(0.5, target_s / late_s)
            lower = max(self._floor, min(self.limit - 1, int(self.limit * cut)))
            if lower < self.limit:  # at the floor there is nothing to cut
                self._before = self._before or (self.limit, answered, handled, late_s)
                self.limit = lower
        elif not late:  # the loop keeps up: the cuts, if any, were right
            self._before, self._short = None, 0
            step = max(1, self.limit // 8) if reached else 1  # back to the ceiling, idle
            self.limit = min(self.ceiling, self.limit + step)
        self._late = late
        self._metrics.in_flight_limit.set(self.limit)

    def give(self) -> None:
        self.in_use -= 1
        self._answered += 1

    def release(self) -> None:
        """A slot taken for a request that was answered without running (refused)."""
        self.in_use -= 1

    def encoded(self, extra: list[tuple[bytes, bytes]]) -> bytes:
        """The refusal as bytes on the wire, with ``extra`` headers (``ShedInProtocol``)."""
        head = b"".join(k + b": " + v + b"\r\n" for k, v in [*self._headers, *extra])
        return b"HTTP/1.1 503 Service Unavailable\r\n" + head + b"\r\n" + self._body

    def count_refusal(self, reason: str = "overloaded") -> None:
        """``overloaded``: refused through ASGI; ``overloaded_early``: by the protocol."""
        self._metrics.http_refused.labels(reason).inc()
        self._refused += 1

    async def refuse(self, send: Send) -> None:
        """Answer 503 OVERLOADED (counted) on ``send``."""
        self.count_refusal()
        await send({"type": "http.response.start", "status": 503, "headers": self._headers})
        await send({"type": "http.response.body", "body": self._body})


async def watch_loop_lag(slots: Slots, target_s: float, metrics: Metrics) -> None:
    """Forever: how late a ``TICK_S`` timer fires, and every ``STEP_S`` one
    ``slots.adjust`` on the 90th percentile of that lateness (the 18th of 20 ticks on
    time). The step is a span of time, not a count of ticks: a late loop fires fewer ticks
    (at 8 ms late, 20 ticks took 0.26 s, measured), and it is when it is late that the bound
    must be judged promptly."""
    late: list[float] = []
    begun = time.perf_counter()
    while True:  # perf_counter, not loop.time(): uvloop's clock counts whole milliseconds
        due = time.perf_counter() + TICK_S
        await asyncio.sleep(TICK_S)
        now = time.perf_counter()
        late.append(now - due)
        if now - begun >= STEP_S - TICK_S / 2 and len(late) >= MIN_TICKS:
            late.sort()
            typical = max(0.0, late[max(0, len(late) * 9 // 10 - 1)])
            metrics.loop_lag.set(typical)
            slots.adjust(typical, target_s)
            late.clear()
            begun = now


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
        if RESERVED in scope:  # the protocol took a slot for it: the endpoint gives it back
            try:
                await self._app(scope, receive, send)
            finally:
                if scope.pop(RESERVED, False):  # never reached the endpoint
                    self._slots.release()
        elif scope["type"] != "http" or scope["path"] != self._path:
            await self._app(scope, receive, send)
        elif self._slots.full:
            await self._slots.refuse(send)
        else:
            await self._app(scope, receive, send)


__all__ = ["RESERVED", "ShedWhenFull", "Slots", "watch_loop_lag"]
