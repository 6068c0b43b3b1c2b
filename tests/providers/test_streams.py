"""The reconnect loop of ``providers.streams`` against a real WebSocket server on loopback.

``FrameServer`` is shared with the venue stream tests: each accepted connection gets its
index and runs the test's script (send recorded frames, drop, wait for a ping, ...), while
everything the client sends is kept per connection.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from providers.metrics import Metrics
from providers.streams import AppKeepalive, MalformedFrame, StreamTuning, UpstreamStream

WAIT_S = 2.0  # upper bound of any one wait; the suite itself takes ~1 s
FAST: dict[str, Any] = {"backoff_base_s": 0.01, "backoff_max_s": 0.05, "close_timeout_s": 1.0}


@dataclass
class Conn:
    index: int
    ws: ServerConnection
    received: list[str] = field(default_factory=list)
    inbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    async def next_message(self) -> str:
        async with asyncio.timeout(WAIT_S):
            return await self.inbox.get()

    def drop(self) -> None:
        """End the TCP connection without a close frame, after flushing what was sent."""
        self.ws.transport.close()


Script = Callable[[Conn], Awaitable[None]]


@dataclass
class FrameServer:
    script: Script
    url: str = ""
    conns: list[Conn] = field(default_factory=list)
    log: list[str] = field(default_factory=list)  # "open 0", "close 0", ... in order

    async def _handler(self, ws: ServerConnection) -> None:
        conn = Conn(len(self.conns), ws)
        self.conns.append(conn)
        self.log.append(f"open {conn.index}")
        reader = asyncio.create_task(self._read(conn))
        try:
            await self.script(conn)
        finally:
            reader.cancel()
            await asyncio.wait([reader])
            await ws.wait_closed() if ws.transport.is_closing() else await ws.close()
            self.log.append(f"close {conn.index}")

    @staticmethod
    async def _read(conn: Conn) -> None:
        try:
            async for message in conn.ws:
                text = message if isinstance(message, str) else message.decode()
                conn.received.append(text)
                conn.inbox.put_nowait(text)
        except ConnectionClosed:
            pass


@asynccontextmanager
async def frame_server(script: Script) -> AsyncIterator[FrameServer]:
    server = FrameServer(script)
    async with serve(server._handler, "127.0.0.1", 0) as ws_server:
        port = ws_server.sockets[0].getsockname()[1]
        server.url = f"ws://127.0.0.1:{port}"
        yield server


async def stay_open(conn: Conn) -> None:
    await conn.ws.wait_closed()


async def until(condition: Callable[[], bool]) -> None:
    """Poll a condition on what the stream or the server recorded, for at most ``WAIT_S``."""
    async with asyncio.timeout(WAIT_S):
        while not condition():
            await asyncio.sleep(0.005)


async def stop(task: asyncio.Task[None]) -> None:
    """Cancel a ``run()`` task; it must end cancelled, leaving no task of its own behind."""
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0)
    current = asyncio.current_task()
    mine = [
        t
        for t in asyncio.all_tasks()
        if t is not current and "_pump" in repr(t.get_coro()) and not t.done()
    ]
    assert mine == []


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def echo_parse(text: str) -> list[str]:
    """Each text frame is one event; a frame starting with "!" is malformed."""
    if text.startswith("!"):
        raise MalformedFrame("bang", provider="test", endpoint="test")
    return [text]


def test_backoff_is_full_jitter_under_a_cap() -> None:
    tuning = StreamTuning(backoff_base_s=0.5, backoff_max_s=4.0)
    rng = random.Random(7)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, 4.0), (500, 4.0)]:
        delays = [tuning.backoff_s(attempt, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # spread over the whole range, not fixed


async def test_drop_reconnect_malformed_and_clean_cancel() -> None:
    async def script(conn: Conn) -> None:
        if conn.index == 0:
            for text in ("a", "!bad", "b"):
                await conn.ws.send(text)
            await conn.ws.send(b"\x00binary")
            conn.drop()
        else:
            await conn.ws.send("c")
            await stay_open(conn)

    metrics = Metrics()
    got: list[str] = []
    async with frame_server(script) as server:
        stream = UpstreamStream(
            provider="test",
            url=server.url,
            parse=echo_parse,
            metrics=metrics,
            tuning=StreamTuning(**FAST),
        )
        task = asyncio.create_task(stream.run(got.append))
        await until(lambda: len(got) == 3)
        await stop(task)
        await until(lambda: server.log[-1] == "close 1")

    assert got == ["a", "b", "c"]
    c = stream.counters
    assert (c.connections, c.reconnects, c.gaps, c.malformed, c.events) == (2, 1, 1, 2, 3)
    assert sample(metrics, "perpgraph_ingest_connections_total", provider="test", reason="first")
    assert sample(
        metrics, "perpgraph_ingest_connections_total", provider="test", reason="reconnect"
    ) == (1)
    assert sample(metrics, "perpgraph_ingest_gaps_total", provider="test") == 1
    assert (
        sample(metrics, "perpgraph_ingest_events_total", provider="test", result="malformed") == 2
    )
    assert (
        sample(metrics, "perpgraph_ingest_events_total", provider="test", result="published") == 3
    )


async def test_failed_handshakes_are_retried_with_backoff() -> None:
    refused: list[int] = []

    def refuse_twice(conn: ServerConnection, request: Any) -> Any:
        if len(refused) < 2:
            refused.append(1)
            return conn.respond(503, "busy\n")
        return None

    async def script(conn: Conn) -> None:
        await conn.ws.send("hello")
        await stay_open(conn)

    got: list[str] = []
    server = FrameServer(script)
    async with serve(server._handler, "127.0.0.1", 0, process_request=refuse_twice) as ws_server:
        port = ws_server.sockets[0].getsockname()[1]
        stream = UpstreamStream(
            provider="test",
            url=f"ws://127.0.0.1:{port}",
            parse=echo_parse,
            metrics=Metrics(),
            tuning=StreamTuning(**FAST),
        )
        task = asyncio.create_task(stream.run(got.append))
        await until(lambda: got == ["hello"])
        await stop(task)
    assert (stream.counters.failed_connects, stream.counters.connections) == (2, 1)
    assert stream.counters.gaps == 0  # nothing was flowing yet


async def test_rotation_opens_the_fresh_connection_before_closing_the_old() -> None:
    async def script(conn: Conn) -> None:
        await conn.ws.send(f"hello from {conn.index}")
        await stay_open(conn)

    metrics = Metrics()
    got: list[str] = []
    async with frame_server(script) as server:
        stream = UpstreamStream(
            provider="test",
            url=server.url,
            parse=echo_parse,
            metrics=metrics,
            tuning=StreamTuning(**FAST, rotate_after_s=0.2),
        )
        task = asyncio.create_task(stream.run(got.append))
        await until(lambda: "close 0" in server.log)
        await stop(task)

    assert server.log.index("open 1") < server.log.index("close 0")
    assert got[:2] == ["hello from 0", "hello from 1"]
    assert stream.counters.rotations >= 1 and stream.counters.gaps == 0
    assert sample(metrics, "perpgraph_ingest_connections_total", provider="test", reason="rotate")
    assert sample(metrics, "perpgraph_ingest_gaps_total", provider="test") == 0


async def test_a_silent_connection_is_pinged_then_dropped_as_stale() -> None:
    async def script(conn: Conn) -> None:
        if conn.index == 0:
            assert await conn.next_message() == "ping"  # and never answer
        else:
            await conn.ws.send("after")
        await stay_open(conn)

    got: list[str] = []
    async with frame_server(script) as server:
        stream = UpstreamStream(
            provider="test",
            url=server.url,
            parse=echo_parse,
            metrics=Metrics(),
            keepalive=AppKeepalive("ping", frozenset({"pong"})),
            tuning=StreamTuning(**FAST, idle_ping_s=0.1),
        )
        task = asyncio.create_task(stream.run(got.append))
        await until(lambda: got == ["after"])
        await stop(task)
    assert server.conns[0].received == ["ping"]
    assert (stream.counters.pings_sent, stream.counters.gaps, stream.counters.reconnects) == (
        1,
        1,
        1,
    )


async def test_a_coroutine_publish_is_awaited() -> None:
    async def script(conn: Conn) -> None:
        await conn.ws.send("x")
        await stay_open(conn)

    got: list[str] = []

    async def publish(event: str) -> None:
        await asyncio.sleep(0)
        got.append(event)

    async with frame_server(script) as server:
        stream = UpstreamStream(
            provider="test", url=server.url, parse=echo_parse, metrics=Metrics()
        )
        task = asyncio.create_task(stream.run(publish))
        await until(lambda: got == ["x"])
        await stop(task)
