"""Per-route latency and fault injection, call counting and the ``Via`` header.

A :class:`FaultRule` matches a request path exactly, by prefix (``"/fapi/*"``) or for every
venue route (``"*"``); the most specific rule wins. Admin paths (``/_replay/...``) are never
faulted nor counted. Order for a matched request: count it, wait ``latency_ms``, then:

========== ================================================================================
mode       what the client sees
========== ================================================================================
None       the normal answer (latency only)
status     ``status`` with a venue-style error body, ``Retry-After`` when ``retry_after_s``
timeout    nothing for ``hang_s`` seconds (default 30), then the normal answer
malformed  HTTP 200, a body that is not valid JSON (the first half of the real body)
truncated  the real headers with the full Content-Length, half the body, then the
           connection closes (httpx: ``RemoteProtocolError``)
reset      the response head, no body, connection closed (httpx: ``RemoteProtocolError``)
========== ================================================================================

``times`` = how many matching requests the rule affects before it expires (None = until
cleared). Waits end early when the client disconnects, so a hung request never outlives it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast, get_args

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .wire import VIA, encode_json

__all__ = [
    "ADMIN_PREFIX",
    "CallCounter",
    "FaultMode",
    "FaultRegistry",
    "FaultRule",
    "ReplayMiddleware",
    "fault_body",
]

ADMIN_PREFIX = "/_replay"
FaultMode = Literal["status", "timeout", "malformed", "truncated", "reset"]
_MODES: tuple[str, ...] = get_args(FaultMode)


@dataclass(frozen=True, slots=True)
class FaultRule:
    route: str  # exact path, "prefix*", or "*"
    latency_ms: float = 0
    mode: FaultMode | None = None
    status: int = 500
    retry_after_s: float | None = None
    times: int | None = None
    hang_s: float = 30.0

    def __post_init__(self) -> None:
        if not self.route or not (self.route.startswith("/") or self.route == "*"):
            raise ValueError("route must be a path starting with '/' or '*'")
        if self.mode is not None and self.mode not in _MODES:
            raise ValueError(f"mode must be null or one of {', '.join(_MODES)}")
        if not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status code")
        if self.latency_ms < 0 or self.hang_s < 0 or (self.retry_after_s or 0) < 0:
            raise ValueError("latency_ms, hang_s and retry_after_s must be >= 0")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be null or >= 1")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """Builds a rule from admin JSON; unknown keys or wrong types raise ``ValueError``."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
        numbers = {
            "latency_ms": (int, float),
            "retry_after_s": (int, float),
            "hang_s": (int, float),
        }
        for key, kinds in {**numbers, "status": (int,), "times": (int,)}.items():
            value = data.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
                raise ValueError(f"{key} must be a number")
        if not isinstance(data.get("route"), str):
            raise ValueError("route is required")
        for key in ("latency_ms", "status", "hang_s"):
            if key in data and data[key] is None:
                raise ValueError(f"{key} must not be null")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def matches(self, path: str) -> int:
        """Specificity of the match (0 = no match): exact > longest prefix > '*'."""
        if self.route == path:
            return 1_000_000
        if self.route == "*":
            return 1
        if self.route.endswith("*") and path.startswith(self.route[:-1]):
            return 1 + len(self.route)
        return 0


class FaultRegistry:
    """Active rules by route with their remaining ``times``; safe to use from any thread."""

    def __init__(self, rules: list[FaultRule] | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: dict[str, tuple[FaultRule, int | None]] = {}
        for rule in rules or []:
            self.add(rule)

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules[rule.route] = (rule, rule.times)

    def remove(self, route: str) -> bool:
        with self._lock:
            return self._rules.pop(route, None) is not None

    def clear(self) -> int:
        with self._lock:
            count = len(self._rules)
            self._rules.clear()
            return count

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{**r.to_dict(), "remaining": n} for r, n in self._rules.values()]

    def take(self, path: str) -> FaultRule | None:
        """The rule for ``path``, counting one use of it (expired rules are dropped)."""
        with self._lock:
            scored = [(rule.matches(path), rule, n) for rule, n in self._rules.values()]
            scored = [s for s in scored if s[0] > 0]
            if not scored:
                return None
            _, rule, remaining = max(scored, key=lambda s: s[0])
            if remaining is not None:
                if remaining <= 1:
                    del self._rules[rule.route]
                else:
                    self._rules[rule.route] = (rule, remaining - 1)
            return rule


class CallCounter:
    """Venue requests received per path (faulted ones included)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, path: str) -> None:
        with self._lock:
            self._counts[path] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


_BINANCE_5XX = "An unknown error occurred while processing the request."


def fault_body(path: str, status: int, retry_after_s: float | None) -> dict[str, Any]:
    """The error body the venue owning ``path`` sends with ``status``."""
    if path.startswith("/api/v5/"):
        if status == 429:
            msg = "Too Many Requests"
            return {"code": "50011", "msg": msg, "data": []}
        if status == 503:
            msg = "Service temporarily unavailable, please try again later."
            return {"code": "50001", "msg": msg, "data": []}
        return {"code": "50026", "msg": "System error, please try again later.", "data": []}
    if path.startswith("/fng"):
        return {"name": "Fear and Greed Index", "data": [], "metadata": {"error": str(status)}}
    if status == 429:
        msg = (
            "Too many requests; current limit of IP(127.0.0.1) is 2400 requests per minute."
            " Please use the websocket for live updates to avoid polling the API."
        )
        return {"code": -1003, "msg": msg}
    if status == 418:
        until_ms = int((time.time() + (retry_after_s or 120)) * 1000)
        msg = (
            f"Way too many requests; IP(127.0.0.1) banned until {until_ms}."
            " Please use the websocket for live updates to avoid bans."
        )
        return {"code": -1003, "msg": msg}
    return {"code": -1000, "msg": _BINANCE_5XX}


def _seconds_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


async def _pause(seconds: float, receive: Receive) -> tuple[Receive, bool]:
    """Sleeps ``seconds`` unless the client disconnects first. Returns a ``receive`` that
    replays what was read meanwhile, and whether the client went away."""
    if seconds <= 0:
        return receive, False
    buffered: list[Message] = []

    async def watch() -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            buffered.append(message)

    sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
    watcher = asyncio.ensure_future(watch())
    try:
        done, _ = await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, watcher):
            task.cancel()
        await asyncio.gather(sleeper, watcher, return_exceptions=True)

    async def replay() -> Message:
        return buffered.pop(0) if buffered else await receive()

    return replay, watcher in done


class ReplayMiddleware:
    """Adds ``Via``, counts venue calls and applies the matching fault rule."""

    def __init__(self, app: ASGIApp, registry: FaultRegistry, calls: CallCounter) -> None:
        self.app, self.registry, self.calls = app, registry, calls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_via(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"via", VIA.encode())]
                message = {**message, "headers": headers}
            await send(message)

        path: str = scope["path"]
        if path.startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send_via)
            return
        self.calls.add(path)
        rule = self.registry.take(path)
        if rule is None:
            await self.app(scope, receive, send_via)
            return
        if rule.mode is None:
            await self._send_late(scope, receive, send_via, rule.latency_ms / 1000)
            return
        receive, gone = await _pause(rule.latency_ms / 1000, receive)
        if not gone and rule.mode == "timeout":
            receive, gone = await _pause(rule.hang_s, receive)
        if gone:
            return
        if rule.mode == "status":
            await self._send_status(path, rule, send_via)
        elif rule.mode in ("malformed", "truncated", "reset"):
            await self._send_broken(scope, receive, send_via, rule)
        else:
            await self.app(scope, receive, send_via)

    async def _send_late(
        self, scope: Scope, receive: Receive, send: Send, latency_s: float
    ) -> None:
        """The normal answer, sent ``latency_s`` after the request arrived.

        The answer is built first and the wait covers only what is left, as with a venue
        whose processing overlaps the network delay; so concurrent requests with injected
        latency all arrive one latency later instead of queueing behind each other's work.
        """
        started = time.monotonic()
        messages: list[Message] = []

        async def keep(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, keep)
        _, gone = await _pause(max(0.0, latency_s - (time.monotonic() - started)), receive)
        if gone:
            return
        for message in messages:
            await send(message)

    async def _send_status(self, path: str, rule: FaultRule, send: Send) -> None:
        body = encode_json(fault_body(path, rule.status, rule.retry_after_s))
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        if rule.retry_after_s is not None:
            headers.append((b"retry-after", _seconds_text(rule.retry_after_s).encode()))
        await send({"type": "http.response.start", "status": rule.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _send_broken(
        self, scope: Scope, receive: Receive, send: Send, rule: FaultRule
    ) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        half = body[: max(1, len(body) // 2)]
        headers = cast(list[tuple[bytes, bytes]], list(start.get("headers", [])))
        if rule.mode == "malformed":
            headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
            headers.append((b"content-length", b"%d" % len(half)))
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": half})
            return
        # Returning before the body is complete makes the server close the connection.
        await send({**start, "headers": headers})
        if rule.mode == "truncated":
            await send({"type": "http.response.body", "body": half, "more_body": True})
