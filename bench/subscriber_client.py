"""One worker process of ``bench/subscribers.py``: many graphql-transport-ws subscribers.

The parent starts it with ``multiprocessing`` (spawn) and talks to it over a ``Pipe``:

1. the worker opens ``count`` connections (connection_init -> ack -> subscribe) and sends
   ``("ready", opened, errors)``;
2. every subscriber stamps each ``next`` message with ``time.monotonic()`` (CLOCK_MONOTONIC,
   system-wide on Linux, so comparable with the parent's send stamps) under its event key
   (venueSymbol, time);
3. the parent sends ``("finish", expected_per_client, send_times, idle_s, max_wait_s)``; the
   worker waits until every subscriber has ``expected_per_client`` events (or nothing arrived
   for ``idle_s``, or ``max_wait_s`` passed), closes everything and sends ``("result", {...})``
   with the latencies (seconds, as ``array('d')`` bytes) and counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from array import array
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

FIELDS = "ticker venueSymbol venue side price quantity notionalUsd time"
# per event: one message per event; feed: liquidationFeed, one message per 250 ms interval
QUERIES = {
    "event": f"subscription {{ liquidations {{ {FIELDS} }} }}",
    "feed": f"subscription {{ liquidationFeed(intervalMs: 250) {{ events {{ {FIELDS} }} "
    "longUsd shortUsd longCount shortCount dropped } }",
}
QUERY = QUERIES["event"]
PROTOCOLS = [Subprotocol("graphql-transport-ws")]
CONNECT_CONCURRENCY = 32
HANDSHAKE_TIMEOUT_S = 30.0


def event_key_ms(venue_symbol: str, time_iso: str) -> tuple[str, int]:
    """The event key as the parent records it: (symbol, event time in ms)."""
    return venue_symbol, round(datetime.fromisoformat(time_iso).timestamp() * 1000)


async def open_subscription(
    url: str, query: str = QUERY, **connect_kwargs: Any
) -> ClientConnection:
    """connection_init -> connection_ack -> subscribe (id 1); returns the open socket."""
    ws = await websockets.connect(
        url,
        subprotocols=PROTOCOLS,
        open_timeout=HANDSHAKE_TIMEOUT_S,
        close_timeout=1,
        ping_interval=None,
        max_size=2**20,
        **connect_kwargs,
    )
    try:
        async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
            await ws.send(json.dumps({"type": "connection_init"}))
            ack = json.loads(await ws.recv())
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"no connection_ack: {ack}")
            subscribe = {"id": "1", "type": "subscribe", "payload": {"query": query}}
            await ws.send(json.dumps(subscribe))
    except BaseException:
        ws.transport.abort()
        raise
    return ws


class Worker:
    def __init__(self, url: str, count: int, mode: str = "event") -> None:
        self.url = url
        self.count = count
        self.mode = mode
        self.messages = 0  # frames received (a feed's frame holds many events)
        self.received: dict[tuple[str, str], list[float]] = {}
        self.per_client = [0] * count
        self.errors: list[str] = []
        self.sockets: list[ClientConnection] = []
        self.last_receipt = 0.0

    async def _connect(self, sem: asyncio.Semaphore) -> ClientConnection | None:
        async with sem:
            try:
                return await open_subscription(self.url, QUERIES[self.mode])
            except Exception as exc:  # counted and reported, the others go on
                self.errors.append(f"{type(exc).__name__}: {exc}"[:200])
                return None

    async def _read(self, index: int, ws: ClientConnection) -> None:
        received = self.received
        clock = time.monotonic
        try:
            async for raw in ws:
                t = clock()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "next":
                    data = (message.get("payload") or {}).get("data") or {}
                    if self.mode == "feed":
                        batch = data.get("liquidationFeed")
                        events = None if batch is None else batch["events"]
                    else:
                        event = data.get("liquidations")
                        events = None if event is None else [event]
                    if events is None:
                        self.errors.append(f"next without data: {str(message)[:150]}")
                        continue
                    self.messages += 1
                    for event in events:
                        key = (event["venueSymbol"], event["time"])
                        stamps = received.get(key)
                        if stamps is None:
                            received[key] = [t]
                        else:
                            stamps.append(t)
                    self.per_client[index] += len(events)
                    self.last_receipt = t
                elif kind == "ping":
                    await ws.send('{"type":"pong"}')
                elif kind in ("error", "complete"):
                    self.errors.append(f"{kind}: {str(message)[:150]}")
                    return
        except websockets.ConnectionClosed as exc:
            self.errors.append(f"closed: {exc}"[:200])

    async def run(self, conn: Connection) -> None:
        sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
        opened = await asyncio.gather(*(self._connect(sem) for _ in range(self.count)))
        self.sockets = [ws for ws in opened if ws is not None]
        self.per_client = [0] * len(self.sockets)
        readers = [asyncio.create_task(self._read(i, ws)) for i, ws in enumerate(self.sockets)]
        conn.send(("ready", len(self.sockets), self.errors[:5]))
        command = await asyncio.to_thread(_recv, conn, 600.0)
        try:
            if command is None or command[0] != "finish":
                return
            _, expected, send_times, idle_s, max_wait_s = command
            await self._drain(expected, idle_s, max_wait_s)
            conn.send(("result", self._result(send_times)))
        finally:
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
            for ws in self.sockets:
                ws.transport.abort()

    async def _drain(self, expected: int, idle_s: float, max_wait_s: float) -> None:
        deadline = time.monotonic() + max_wait_s
        last_total, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            total = sum(self.per_client)
            if all(n >= expected for n in self.per_client):
                return
            now = time.monotonic()
            if total != last_total:
                last_total, last_change = total, now
            elif now - last_change > idle_s:
                return
            await asyncio.sleep(0.05)

    def _result(self, send_times: dict[tuple[str, int], float]) -> dict[str, Any]:
        latencies = array("d")
        unmatched = 0
        for (symbol, time_iso), stamps in self.received.items():
            sent = send_times.get(event_key_ms(symbol, time_iso))
            if sent is None:
                unmatched += len(stamps)
                continue
            latencies.extend(t - sent for t in stamps)
        first = min((min(s) for s in self.received.values()), default=0.0)
        return {
            "clients": len(self.sockets),
            "received": sum(self.per_client),
            "messages": self.messages,
            "per_client": list(self.per_client),
            "latencies": latencies.tobytes(),
            "unmatched": unmatched,
            "first_receipt": first,
            "last_receipt": self.last_receipt,
            "errors": self.errors[:5],
            "error_count": len(self.errors),
        }


def _recv(conn: Connection, timeout_s: float) -> Any:
    return conn.recv() if conn.poll(timeout_s) else None


def worker_main(url: str, count: int, conn: Connection, mode: str = "event") -> None:
    """Process entry point (must be importable for the spawn start method)."""
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:  # plain asyncio works too, with more client-side overhead
        runner = asyncio.Runner()
    with runner, contextlib.suppress(KeyboardInterrupt):
        try:
            runner.run(Worker(url, count, mode).run(conn))
        except Exception as exc:
            with contextlib.suppress(Exception):
                conn.send(("failed", f"{type(exc).__name__}: {exc}"[:500]))
    conn.close()
