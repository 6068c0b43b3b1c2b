"""Signal updates: one computation per (symbol, mode) on an interval, however many
subscribers, pushed only when the direction or the score band changes.

A watch starts with its first subscriber and stops with its last. Each run computes the
signal through a fresh request context (fresh loaders over the shared cache), so its
fetches are shared with every query in the same cache TTLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from engine.signal.model import Mode
from engine.symbols import SymbolRef
from resolvers import signals
from resolvers.context import Services
from resolvers.loaders import fresh_context

log = logging.getLogger("perpgraph.watch")


def band(score: float, width: float) -> int:
    return math.floor(score / width)


class Inbox:
    """A subscriber's bounded queue of updates (a full one drops its oldest)."""

    def __init__(self, maxsize: int = 50) -> None:
        self.items: deque[signals.Computed] = deque(maxlen=maxsize)
        self._ready = asyncio.Event()

    def put(self, item: signals.Computed) -> None:
        self.items.append(item)
        self._ready.set()

    async def get(self) -> signals.Computed:
        while not self.items:
            self._ready.clear()
            await self._ready.wait()
        return self.items.popleft()


@dataclass(slots=True)
class _Watch:
    task: asyncio.Task[None] | None = None
    inboxes: set[Inbox] = field(default_factory=set)
    last: signals.Computed | None = None


class SignalWatcher:
    def __init__(self, services: Services, interval_s: float, band_points: float = 5.0) -> None:
        self._services = services
        self._interval_s = interval_s
        self._band = band_points
        self._watches: dict[tuple[str, str, Mode], _Watch] = {}
        self.runs = 0  # computations made, for tests: once per watch and interval

    @contextlib.asynccontextmanager
    async def subscribe(self, refs: Sequence[SymbolRef], mode: Mode) -> AsyncIterator[Inbox]:
        inbox = Inbox()
        keys = [(r.ticker, r.quote, mode) for r in refs]
        for ref, key in zip(refs, keys, strict=True):
            watch = self._watches.setdefault(key, _Watch())
            watch.inboxes.add(inbox)
            if watch.last is not None:
                inbox.put(watch.last)  # the current signal at once
            if watch.task is None:
                watch.task = asyncio.create_task(self._run(ref, mode, watch))
        try:
            yield inbox
        finally:
            for key in keys:
                watch = self._watches[key]
                watch.inboxes.discard(inbox)
                if not watch.inboxes and watch.task is not None:
                    watch.task.cancel()
                    del self._watches[key]

    async def _run(self, ref: SymbolRef, mode: Mode, watch: _Watch) -> None:
        while True:
            ctx = fresh_context(self._services)
            try:
                computed = await signals.signal(ctx, ref, mode)
            except Exception as exc:  # a failed run is skipped; the next may succeed
                log.info("signal update for %s skipped: %s", ref.ticker, type(exc).__name__)
            else:
                self.runs += 1
                if self._changed(watch.last, computed):
                    watch.last = computed
                    for inbox in watch.inboxes:
                        inbox.put(computed)
            await asyncio.sleep(self._interval_s)

    def _changed(self, last: signals.Computed | None, new: signals.Computed) -> bool:
        if last is None:
            return True
        old, cur = last.result, new.result
        return old.direction is not cur.direction or band(old.score, self._band) != band(
            cur.score, self._band
        )


__all__ = ["Inbox", "SignalWatcher", "band"]
