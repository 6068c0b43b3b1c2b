"""Recorded WebSocket streams: pacing, looping and per-stream faults.

A stream is a list of recorded :class:`Frame` s (the frame text and its recorded time). Each
accepted connection plays it from the first frame: frame *i* is sent ``(t_i - t_0) / speed``
after playback started (``speed`` 0 = as fast as the socket takes them). After the last frame
the connection stays open and quiet, as the venue keeps it, unless ``loop`` starts the same
frames again right away (the recording holds no gap between its last and first frame, so none
is made up; values and times repeat unchanged and consumers deduplicate).

A :class:`StreamRule` matches a WebSocket path exactly, by prefix (``"/ws/*"``) or every
stream (``"*"``); the most specific wins; one is taken per accepted connection (``times``
counts connections, None = until cleared). Without a rule: ``speed`` 1 (the recorded pace),
no loop, no faults. ``disconnect_after`` N closes the socket (code 1001, going away) right
after the Nth data frame; ``malformed_every`` M replaces every Mth data frame with the first
half of its text (never valid JSON). Control frames (OKX acks and pongs) are never counted,
paced or broken. Data frames sent are counted per path in :class:`StreamRegistry`.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from .faults import CallCounter

__all__ = [
    "Frame",
    "StreamConnection",
    "StreamRegistry",
    "StreamRule",
    "serve_stream",
]


@dataclass(frozen=True, slots=True)
class Frame:
    """One recorded message: its exact text and its recorded time (ms since the epoch)."""

    t_ms: int
    text: str


MIN_PASS_S = 1.0  # a looped stream plays at most one pass a second


@dataclass(frozen=True, slots=True)
class StreamRule:
    path: str  # exact WebSocket path, "prefix*", or "*"
    speed: float = 1.0
    loop: bool = False
    disconnect_after: int | None = None
    malformed_every: int | None = None
    times: int | None = None
    start_delay_s: float = 0.0  # quiet time before the first frame (subscribers can attach)

    def __post_init__(self) -> None:
        if not self.path or not (self.path.startswith("/") or self.path == "*"):
            raise ValueError("path must be a path starting with '/' or '*'")
        if self.speed < 0:
            raise ValueError("speed must be >= 0")
        if self.start_delay_s < 0:
            raise ValueError("start_delay_s must be >= 0")
        for key in ("disconnect_after", "malformed_every", "times"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ValueError(f"{key} must be null or >= 1")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StreamRule:
        """Builds a rule from admin JSON; unknown keys or wrong types raise ``ValueError``."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
        if not isinstance(data.get("path"), str):
            raise ValueError("path is required")
        for key in ("speed", "start_delay_s"):
            number = data.get(key, 0.0)
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError(f"{key} must be a number")
        if not isinstance(data.get("loop", False), bool):
            raise ValueError("loop must be true or false")
        for key in ("disconnect_after", "malformed_every", "times"):
            value = data.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ValueError(f"{key} must be null or an integer")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def matches(self, path: str) -> int:
        """Specificity of the match (0 = no match): exact > longest prefix > '*'."""
        if self.path == path:
            return 1_000_000
        if self.path == "*":
            return 1
        if self.path.endswith("*") and path.startswith(self.path[:-1]):
            return 1 + len(self.path)
        return 0


class StreamRegistry:
    """Active stream rules with their remaining ``times``, and data frames sent per path.
    Safe to use from any thread."""

    def __init__(self, rules: list[StreamRule] | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, tuple[StreamRule, int | None]] = {}
        self._frames: Counter[str] = Counter()
        for rule in rules or []:
            self.add(rule)

    def add(self, rule: StreamRule) -> None:
        with self._lock:
            self._rules[rule.path] = (rule, rule.times)

    def remove(self, path: str) -> bool:
        with self._lock:
            return self._rules.pop(path, None) is not None

    def clear(self) -> int:
        """Drops every rule and resets the frame counts; returns how many rules there were."""
        with self._lock:
            count = len(self._rules)
            self._rules.clear()
            self._frames.clear()
            return count

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**r.to_dict(), "remaining": n} for r, n in self._rules.values()]

    def frames(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._frames.items()))

    def count_frame(self, path: str) -> None:
        with self._lock:
            self._frames[path] += 1

    def take(self, path: str) -> StreamRule:
        """The rule for a new connection to ``path`` (counting one use), or the default."""
        with self._lock:
            scored = [(rule.matches(path), rule, n) for rule, n in self._rules.values()]
            scored = [s for s in scored if s[0] > 0]
            if not scored:
                return StreamRule(path=path)
            _, rule, remaining = max(scored, key=lambda s: s[0])
            if remaining is not None:
                if remaining <= 1:
                    del self._rules[rule.path]
                else:
                    self._rules[rule.path] = (rule, remaining - 1)
            return rule


# A send to a socket the client already left: starlette raises WebSocketDisconnect or
# RuntimeError, uvicorn ClientDisconnected (an OSError).
_GONE = (WebSocketDisconnect, RuntimeError, OSError)


class StreamConnection:
    """One accepted connection: plays frame lists under its rule and reads client messages.

    Sends are serialised by a lock, so playback tasks and control answers never interleave.
    """

    def __init__(self, websocket: WebSocket, rule: StreamRule, registry: StreamRegistry) -> None:
        self.websocket, self.rule, self.registry = websocket, rule, registry
        self.path: str = websocket.scope["path"]
        self.sent = 0  # data frames on this connection, for disconnect_after / malformed_every
        self._lock = asyncio.Lock()
        self._ended = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def send_control(self, text: str) -> None:
        """An answer that is not recorded data (ack, pong): unpaced, uncounted."""
        async with self._lock:
            if not self._ended.is_set():
                await self.websocket.send_text(text)

    def start(self, frames: Sequence[Frame]) -> asyncio.Task[None]:
        """Plays ``frames`` in the background from now; cancel the task to stop it."""
        task = asyncio.ensure_future(self._play(frames))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def run(self, on_text: Callable[[str], Awaitable[None]] | None = None) -> None:
        """Reads client text until the client leaves or the rule closes the socket, then
        stops every playback task."""
        reader = asyncio.ensure_future(self._read(on_text))
        ended = asyncio.ensure_future(self._ended.wait())
        try:
            await asyncio.wait({reader, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._ended.set()
            pending = [reader, ended, *self._tasks]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _read(self, on_text: Callable[[str], Awaitable[None]] | None) -> None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if on_text is not None and text is not None:
                await on_text(text)

    async def _play(self, frames: Sequence[Frame]) -> None:
        if not frames:
            return
        loop = asyncio.get_running_loop()
        speed, t0 = self.rule.speed, frames[0].t_ms
        try:
            if self.rule.start_delay_s:
                await asyncio.sleep(self.rule.start_delay_s)
            while True:
                started = loop.time()
                for frame in frames:
                    if speed > 0:
                        await asyncio.sleep(
                            started + (frame.t_ms - t0) / 1000 / speed - loop.time()
                        )
                    else:
                        await asyncio.sleep(0)  # let readers and other connections run
                    if not await self._send_data(frame.text):
                        return
                if not self.rule.loop:
                    return
                # a recording that plays in no time (one frame, one timestamp, speed 0)
                # waits out the rest of a second: looping never spins
                await asyncio.sleep(max(0.0, started + MIN_PASS_S - loop.time()))
        except _GONE:
            self._ended.set()

    async def _send_data(self, text: str) -> bool:
        """Sends one data frame under the rule; False once the connection is over."""
        rule = self.rule
        async with self._lock:
            if self._ended.is_set():
                return False
            self.sent += 1
            if rule.malformed_every is not None and self.sent % rule.malformed_every == 0:
                text = text[: max(1, len(text) // 2)]
            await self.websocket.send_text(text)
            self.registry.count_frame(self.path)
            if rule.disconnect_after is not None and self.sent >= rule.disconnect_after:
                self._ended.set()
                await self.websocket.close(code=1001)
                return False
        return True


async def serve_stream(
    websocket: WebSocket,
    registry: StreamRegistry,
    calls: CallCounter,
    frames: Sequence[Frame],
    on_text: Callable[[StreamConnection, str], Awaitable[None]] | None = None,
) -> None:
    """Accepts, counts the connection in ``calls`` under its path, plays ``frames`` from now
    (none: a quiet connection) and serves until either side closes."""
    path: str = websocket.scope["path"]
    rule = registry.take(path)
    await websocket.accept()
    calls.add(path)
    conn = StreamConnection(websocket, rule, registry)
    if frames:
        conn.start(frames)

    async def handle(text: str) -> None:
        if on_text is not None:
            await on_text(conn, text)

    try:
        await conn.run(handle)
    except _GONE:
        return
