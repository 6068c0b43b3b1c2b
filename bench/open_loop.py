"""An open-loop HTTP load generator: requests are sent on schedule whatever the answers do.

A closed-loop tool (wrk) waits for an answer before sending again, so an overloaded server
slows its own load down and its latency hides in the generator. Here request *i* is due at
``start + i / rate``; a request whose time has come and finds no idle connection waits for
one, and the wait counts in its latency (measured from the time it was due, so a queue
anywhere, in the server or here, shows). The generator shares the machine's cores with the
server, so it is written to cost little: one ``asyncio.Protocol`` per connection on uvloop,
a status line and ``content-length`` parsed by hand, no task per request. How late it sent
(its own lag, from the time a request was due to the time the generator got to it, before
any wait for a free connection) is reported beside the latencies: if it is large, the
generator, not the server, was the bottleneck.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import time
from collections import deque
from typing import Any

import uvloop

SETTLE_S = 0.5  # between opening the connections and the first request due


def percentile(values: list[float], p: int) -> float | None:
    """The ``p``-th percentile of sorted ``values`` (None when empty), rounded to 0.01."""
    if not values:
        return None
    return round(values[min(len(values) - 1, int(len(values) * p / 100))], 2)


class _Connection(asyncio.Protocol):
    def __init__(self, run: _Run) -> None:
        self._run = run
        self._buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.due = 0.0  # when the request in flight on this connection was due
        self.busy = False
        self.alive = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not asyncio's class

    def send(self, due: float) -> None:
        assert self.transport is not None
        self.due, self.busy = due, True
        self.transport.write(self._run.payload)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        length = None
        for line in bytes(self._buffer[:end]).split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        if length is None:  # every answer measured here has one; anything else is a bug
            raise RuntimeError("an answer without content-length: " + repr(self._buffer[:200]))
        if len(self._buffer) < end + 4 + length:
            return
        status = int(self._buffer[9:12])
        del self._buffer[: end + 4 + length]
        self.busy = False
        self._run.answered(self, status)

    def connection_lost(self, exc: Exception | None) -> None:
        """The server closed it: a request in flight on it failed (counted as ``lost``),
        and the connection is used no more."""
        self.alive = False
        if self.busy:
            self.busy = False
            self._run.failed()


class _Run:
    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.loop = asyncio.get_running_loop()
        self.idle: deque[_Connection] = deque()
        self.waiting: deque[float] = deque()  # due times of requests with no connection yet
        self.results: list[tuple[int, float]] = []
        self.lags: list[float] = []
        self.lost = 0
        self.outstanding = 0
        self.done = asyncio.Event()  # set when every request sent has its answer

    def due(self, at: float) -> None:
        self.lags.append((time.perf_counter() - at) * 1000)  # how late the generator is
        self.outstanding += 1
        self.done.clear()
        while self.idle and not self.idle[0].alive:
            self.idle.popleft()
        if self.idle:
            self._send(self.idle.popleft(), at)
        else:
            self.waiting.append(at)

    def _send(self, connection: _Connection, due: float) -> None:
        connection.send(due)  # a wait for a free connection counts in the latency

    def answered(self, connection: _Connection, status: int) -> None:
        self.results.append((status, (time.perf_counter() - connection.due) * 1000))
        self._settled()
        if self.waiting:
            self._send(connection, self.waiting.popleft())
        else:
            self.idle.append(connection)

    def failed(self) -> None:
        self.lost += 1
        self._settled()

    def _settled(self) -> None:
        self.outstanding -= 1
        if not self.outstanding:
            self.done.set()


async def _drive(
    host: str, port: int, payload: bytes, rate: float, seconds: float, connections: int
) -> _Run:
    run = _Run(payload)
    opened = []
    for _ in range(connections):
        _, protocol = await run.loop.create_connection(lambda: _Connection(run), host, port)
        opened.append(protocol)
    run.idle.extend(opened)
    # The server accepts the connections in its own time (hundreds at once took it tens of
    # milliseconds, measured): the first request is due once it has, so that what is
    # measured is answering requests, not setting up connections.
    await asyncio.sleep(SETTLE_S)
    start = time.perf_counter()  # not loop.time(): uvloop's counts whole milliseconds
    total = int(rate * seconds)
    sent = 0
    while sent < total:
        due = min(total, max(0, math.floor((time.perf_counter() - start) * rate) + 1))
        while sent < due:
            run.due(start + sent / rate)
            sent += 1
        await asyncio.sleep(0.001)
    if run.outstanding:
        with contextlib.suppress(TimeoutError):  # what is unanswered then stays unanswered
            await asyncio.wait_for(run.done.wait(), 30)
    for connection in opened:
        if connection.transport is not None:
            connection.transport.close()
    return run


def offer(
    host: str, port: int, payload: bytes, rate: float, seconds: float, connections: int = 512
) -> dict[str, Any]:
    """Offer ``rate`` requests per second of ``payload`` (a whole HTTP/1.1 request) for
    ``seconds``; latencies of the answers by kind (200, refused 429/503, other)."""
    # No collections while measuring: with a hundred thousand results kept, one full
    # collection pauses the generator for 50-150 ms (measured), and every answer that
    # arrives meanwhile would count the pause as the server's latency.
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        run = uvloop.run(_drive(host, port, payload, rate, seconds, connections))
    finally:
        if enabled:
            gc.enable()
    admitted = sorted(ms for status, ms in run.results if status == 200)
    refused = sorted(ms for status, ms in run.results if status in (429, 503))
    lags = sorted(run.lags)
    return {
        "offered_per_s": round(rate),
        "due": len(run.lags),
        "answered": len(run.results),
        "admitted": len(admitted),
        "refused": len(refused),
        "other": len(run.results) - len(admitted) - len(refused),
        "lost": run.lost,
        "unanswered": run.outstanding,  # sent or due, with no answer after 30 s
        "admitted_p50_ms": percentile(admitted, 50),
        "admitted_p99_ms": percentile(admitted, 99),
        "refused_p50_ms": percentile(refused, 50),
        "refused_p99_ms": percentile(refused, 99),
        "generator_lag_p99_ms": percentile(lags, 99),
    }


__all__ = ["offer", "percentile"]
