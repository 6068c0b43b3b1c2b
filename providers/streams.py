"""Keep one upstream WebSocket alive and turn its frames into domain events.

    connect (+ on_connect, e.g. a subscribe message)
      -> read frames -> parse(text) -> [events] -> publish(event), in arrival order
      -> on any drop: count a gap, log one line, back off (full jitter), reconnect
      -> after ``rotate_after_s``: open a fresh connection, then close the old one

Venue packages (``providers/<venue>/ws.py``) supply the URL, the parse function and any
subscribe message; everything about staying connected lives here. websockets answers the
server's protocol pings itself and sends its own (``ping_interval_s``); a venue that wants an
application-level text ping when idle (OKX: ``"ping"``, answered by ``"pong"``) passes an
``AppKeepalive``.

What is counted where (``Metrics``, label ``provider``):
- ``ingest_connections{reason}``: every connection opened: ``first``, ``reconnect`` (after a
  drop), ``rotate`` (proactive, before the venue's 24 h cut).
- ``ingest_gaps``: every drop of an open connection (the stream was down until the reconnect).
- ``ingest_events{result="published"}``: every event handed to ``publish``;
  ``{result="malformed"}``: every frame that could not be parsed (skipped, never fatal).
The same numbers are on ``StreamCounters`` for tests and health checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, fields
from typing import Generic, Protocol, TypedDict, TypeVar

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidURI, WebSocketException

from providers.errors import ProviderBadData
from providers.metrics import Metrics

log = logging.getLogger("perpgraph.ingest")

EventT = TypeVar("EventT")


class MalformedFrame(ProviderBadData):
    """A frame that is not the payload its channel promises; it is counted and skipped."""


class StaleConnection(Exception):
    """No frame arrived within one idle interval after an application-level ping."""


class FrameSocket(Protocol):
    """The part of a websockets ``ClientConnection`` the loop uses."""

    async def recv(self) -> str | bytes: ...

    async def send(self, message: str) -> None: ...

    async def close(self) -> None: ...


Connect = Callable[[str], Awaitable[FrameSocket]]
OnConnect = Callable[[FrameSocket], Awaitable[None]]
Publish = Callable[[EventT], Awaitable[None] | None]

# What ends a connection and is worth reconnecting for. InvalidURI is a configuration error.
_DROPS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    WebSocketException,
    StaleConnection,
)


@dataclass(frozen=True, slots=True)
class StreamTuning:
    """The numbers of the reconnect loop, in seconds; every one has a production default."""

    backoff_base_s: float = 1.0  # first reconnect waits uniform(0, base)
    backoff_max_s: float = 30.0  # the cap of uniform(0, base * 2**attempt)
    healthy_after_s: float = 60.0  # a connection up this long resets the backoff
    rotate_after_s: float | None = 23.5 * 3600  # Binance cuts every connection at 24 h
    open_timeout_s: float = 10.0  # TCP + TLS + WebSocket handshake
    close_timeout_s: float = 5.0  # closing handshake, then the socket is dropped
    ping_interval_s: float | None = 20.0  # websockets' protocol pings (pongs are automatic)
    ping_timeout_s: float | None = 20.0
    idle_ping_s: float | None = None  # app-level ping after this long without a frame

    def backoff_s(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform(0, min(max, base * 2**attempt))."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2.0 ** min(attempt, 32))
        return rng.uniform(0.0, ceiling)


class StreamTuningKwargs(TypedDict, total=False):
    """``StreamTuning`` as keyword arguments (``**loop_tuning`` of the venue streams)."""

    backoff_base_s: float
    backoff_max_s: float
    healthy_after_s: float
    rotate_after_s: float | None
    open_timeout_s: float
    close_timeout_s: float
    ping_interval_s: float | None
    ping_timeout_s: float | None
    idle_ping_s: float | None


TUNING_NAMES = frozenset(f.name for f in fields(StreamTuning))


@dataclass(frozen=True, slots=True)
class AppKeepalive:
    """An application-level ping: ``text`` is sent when idle; ``replies`` are dropped unread."""

    text: str
    replies: frozenset[str]


@dataclass(slots=True)
class StreamCounters:
    """Running totals of one stream object (the metrics hold the same, by label)."""

    connections: int = 0  # opened, any reason
    reconnects: int = 0  # opened after a drop
    rotations: int = 0  # opened to replace an ageing connection
    gaps: int = 0  # drops of an open connection
    failed_connects: int = 0
    malformed: int = 0  # frames skipped
    events: int = 0  # events published
    pings_sent: int = 0  # application-level pings


def websockets_connect(tuning: StreamTuning) -> Connect:
    """The production ``connect``: websockets' asyncio client with the tuning's timeouts."""

    async def connect(url: str) -> FrameSocket:
        return await ws_connect(
            url,
            open_timeout=tuning.open_timeout_s,
            close_timeout=tuning.close_timeout_s,
            ping_interval=tuning.ping_interval_s,
            ping_timeout=tuning.ping_timeout_s,
        )

    return connect


def _describe(exc: BaseException, secrets: Sequence[str] = ()) -> str:
    """One short reason for a log line: the close code or the exception, with any of
    ``secrets`` (a key carried in the URL) blanked out."""
    if isinstance(exc, ConnectionClosed):
        frame = exc.rcvd or exc.sent
        return f"closed with code {frame.code}" if frame else "closed without a close frame"
    return _redact(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, secrets)


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


class UpstreamStream(Generic[EventT]):
    """One upstream WebSocket kept open for as long as ``run`` runs.

    ``parse`` turns one text frame into zero or more events, or raises ``MalformedFrame``;
    any other exception from it is logged and counted as malformed too. Binary frames are
    malformed. ``publish`` may be a plain function or a coroutine function; its errors are
    not swallowed (publishing is the hub's job and must not fail).
    """

    def __init__(
        self,
        *,
        provider: str,
        url: str,
        parse: Callable[[str], Sequence[EventT]],
        metrics: Metrics,
        on_connect: OnConnect | None = None,
        keepalive: AppKeepalive | None = None,
        connect: Connect | None = None,
        tuning: StreamTuning | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        secrets: Sequence[str] = (),
    ) -> None:
        self.provider = provider
        self.url = url  # may carry a key (Coinglass): never logged, see ``secrets``
        self._secrets = tuple(s for s in secrets if s)
        self.tuning = tuning or StreamTuning()
        self.counters = StreamCounters()
        self._parse = parse
        self._metrics = metrics
        self._on_connect = on_connect
        self._keepalive = keepalive
        self._connect = connect or websockets_connect(self.tuning)
        self._rng = rng or random.Random()
        self._clock = clock
        self._attempt = 0  # consecutive failures since the last healthy connection
        self._published = metrics.ingest_events.labels(provider, "published")
        self._malformed = metrics.ingest_events.labels(provider, "malformed")

    # -- the loop ------------------------------------------------------------------------

    async def run(self, publish: Publish[EventT]) -> None:
        """Receive and publish until cancelled; every drop is followed by a reconnect."""
        ws: FrameSocket | None = None
        try:
            ws = await self._open_until_up("first")
            up_since = self._clock()
            rotate_at = self._rotation_due(up_since)
            while True:
                try:
                    await self._pump(ws, publish, rotate_at)
                    fresh = await self._open_beside(ws, publish)
                except _DROPS as exc:
                    self._note_drop(exc, up_since)
                    dropped, ws = ws, None
                    await self._close_quietly(dropped)
                    ws = await self._open_until_up("reconnect")
                    up_since = self._clock()
                    rotate_at = self._rotation_due(up_since)
                    continue
                if fresh is None:  # the old connection still works: keep it, retry later
                    rotate_at = self._clock() + self.tuning.backoff_s(self._attempt, self._rng)
                    self._attempt += 1
                    continue
                old, ws = ws, fresh
                await self._close_quietly(old)
                up_since = self._clock()
                rotate_at = self._rotation_due(up_since)
        finally:
            if ws is not None:
                await self._close_quietly(ws)

    def _rotation_due(self, up_since: float) -> float | None:
        every = self.tuning.rotate_after_s
        return None if every is None else up_since + every

    async def _pump(self, ws: FrameSocket, publish: Publish[EventT], until: float | None) -> None:
        """Read frames until ``until`` (monotonic seconds; None: forever) or a drop.

        With an ``AppKeepalive``, ``idle_ping_s`` without a frame sends its ping; another
        ``idle_ping_s`` without any frame (the pong included) is a stale connection.
        """
        keepalive = self._keepalive
        idle_s = self.tuning.idle_ping_s if keepalive is not None else None
        last_frame = self._clock()
        pinged_at: float | None = None
        while True:
            now = self._clock()
            if until is not None and now >= until:
                return
            wait = None if until is None else until - now
            if idle_s is not None:
                due = (last_frame if pinged_at is None else pinged_at) + idle_s
                wait = due - now if wait is None else min(wait, due - now)
            try:
                async with asyncio.timeout(None if wait is None else max(wait, 0.0)):
                    frame = await ws.recv()
            except TimeoutError:
                if keepalive is None or idle_s is None:
                    continue  # the rotation is due
                now = self._clock()
                if pinged_at is not None and now - pinged_at >= idle_s:
                    raise StaleConnection(f"no frame within {idle_s:g} s of a ping") from None
                if pinged_at is None and now - last_frame >= idle_s:
                    await ws.send(keepalive.text)
                    pinged_at = now
                    self.counters.pings_sent += 1
                continue
            last_frame = self._clock()
            pinged_at = None
            await self._handle(frame, publish)

    async def _handle(self, frame: str | bytes, publish: Publish[EventT]) -> None:
        if self._keepalive is not None and frame in self._keepalive.replies:
            return
        if not isinstance(frame, str):
            self._count_malformed(f"a binary frame of {len(frame)} bytes")
            return
        try:
            events = self._parse(frame)
        except MalformedFrame as exc:
            self._count_malformed(exc.message)
            return
        except Exception:  # a parser bug must not end the stream; log it whole
            log.exception("%s stream: parser failed on a frame", self.provider)
            self._count_malformed(None)
            return
        for event in events:
            result = publish(event)
            if inspect.isawaitable(result):
                await result
            self.counters.events += 1
            self._published.inc()

    def _count_malformed(self, why: str | None) -> None:
        self.counters.malformed += 1
        self._malformed.inc()
        if why is not None:
            log.warning("%s stream: skipped a malformed frame (%s)", self.provider, why)

    # -- connections ---------------------------------------------------------------------

    async def _open(self, reason: str) -> FrameSocket:
        """Connect and run ``on_connect``; a failure closes the half-open socket."""
        ws = await self._connect(self.url)
        try:
            if self._on_connect is not None:
                await self._on_connect(ws)
        except BaseException:
            await self._close_quietly(ws)
            raise
        self.counters.connections += 1
        if reason == "reconnect":
            self.counters.reconnects += 1
        elif reason == "rotate":
            self.counters.rotations += 1
        self._metrics.ingest_connections.labels(self.provider, reason).inc()
        return ws

    async def _open_until_up(self, reason: str) -> FrameSocket:
        """Open a connection, backing off between failed attempts, however long it takes."""
        first_try = reason == "first"
        while True:
            if not first_try:
                await asyncio.sleep(self.tuning.backoff_s(self._attempt, self._rng))
                self._attempt += 1
            first_try = False
            try:
                return await self._open(reason)
            except InvalidURI as exc:
                raise ValueError(_describe(exc, self._secrets)) from None
            except _DROPS as exc:
                self.counters.failed_connects += 1
                why = _describe(exc, self._secrets)
                log.warning("%s stream: connect failed (%s); retrying", self.provider, why)

    async def _open_beside(self, old: FrameSocket, publish: Publish[EventT]) -> FrameSocket | None:
        """Make before break: open a fresh connection while still reading the old one.

        Returns None when the fresh connection failed but the old one is still up; raises
        the old one's drop when both are gone.
        """
        reader = asyncio.create_task(self._pump(old, publish, None))
        fresh: FrameSocket | None = None
        try:
            try:
                fresh = await self._open("rotate")
            except InvalidURI as exc:
                raise ValueError(_describe(exc, self._secrets)) from None
            except _DROPS as exc:
                why = _describe(exc, self._secrets)
                log.warning("%s stream: rotation failed (%s)", self.provider, why)
            finally:
                reader.cancel()
                await asyncio.wait([reader])
            failure = None if reader.cancelled() else reader.exception()
            # The old connection dropping during the handshake is harmless once the fresh
            # one is up; anything else (a publish error) propagates.
            if failure is not None and not (fresh is not None and isinstance(failure, _DROPS)):
                raise failure
        except BaseException:
            if fresh is not None:
                await self._close_quietly(fresh)
            raise
        if fresh is not None:
            log.info("%s stream: rotated to a fresh connection", self.provider)
        return fresh

    def _note_drop(self, exc: BaseException, up_since: float) -> None:
        up_for = self._clock() - up_since
        if up_for >= self.tuning.healthy_after_s:
            self._attempt = 0
        self.counters.gaps += 1
        self._metrics.ingest_gaps.labels(self.provider).inc()
        log.warning(
            "%s stream dropped after %.1f s up (%s); reconnecting",
            self.provider,
            up_for,
            _describe(exc, self._secrets),
        )

    async def _close_quietly(self, ws: FrameSocket) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self.tuning.close_timeout_s):
                await ws.close()


def tuning_from(defaults: StreamTuningKwargs, overrides: StreamTuningKwargs) -> StreamTuning:
    """A venue's defaults with the caller's overrides on top."""
    merged: StreamTuningKwargs = {**defaults, **overrides}
    unknown = set(merged) - TUNING_NAMES
    if unknown:
        raise TypeError(f"unknown stream tuning: {', '.join(sorted(unknown))}")
    return StreamTuning(**merged)


class VenueStream(Generic[EventT]):
    """What a venue's stream class exposes: its counters, its tuning, and ``run``.

    Subclasses build ``self._stream`` (an ``UpstreamStream``) in ``__init__``."""

    _stream: UpstreamStream[EventT]

    @property
    def counters(self) -> StreamCounters:
        return self._stream.counters

    @property
    def tuning(self) -> StreamTuning:
        return self._stream.tuning

    async def run(self, publish: Publish[EventT]) -> None:
        """Publish each event in arrival order until cancelled; reconnects on drops."""
        await self._stream.run(publish)


__all__ = [
    "AppKeepalive",
    "Connect",
    "FrameSocket",
    "MalformedFrame",
    "OnConnect",
    "Publish",
    "StaleConnection",
    "StreamCounters",
    "StreamTuning",
    "StreamTuningKwargs",
    "UpstreamStream",
    "VenueStream",
    "tuning_from",
    "websockets_connect",
]
