"""Signal updates: one computation per (symbol, mode) on an interval, however many
subscribers, pushed only when the direction or the score band changes.

Updates of a (symbol, mode) start with its first subscriber and stop with its last. Each
run computes the signal with the ``compute`` it was given (the server passes one that makes a fresh request
context over the shared cache), so its fetches are shared with every query in the same
cache TTLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from engine.signal.model import Mode
from engine.symbols import SymbolRef
from resolvers import signals

Compute = Callable[[SymbolRef, Mode], Awaitable[signals.Computed]]

log = logging.getLogger("perpgraph.signal_updates")


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
class _Updates:
    task: asyncio.Task[None] | None = None
    inboxes: set[Inbox] = field(default_factory=set)
    last: signals.Computed | None = None


class SignalUpdateFeed:
    """Implements ``resolvers.services.SignalUpdates``."""

    def __init__(self, compute: Compute, interval_s: float, band_points: float = 5.0) -> None:
        self._compute = compute
        self._interval_s = interval_s
        self._band = band_points
        self._updates: dict[tuple[str, str, Mode], _Updates] = {}

    @contextlib.asynccontextmanager
    async def subscribe(self, refs: Sequence[SymbolRef], mode: Mode) -> AsyncIterator[Inbox]:
        inbox = Inbox()
        # one entry per (symbol, mode): a ticker named twice (or by two spellings) would
        # otherwise be released twice on the way out, and the second release would fail
        # before the later symbols' updates were stopped
        by_key = {(r.ticker, r.quote, mode): r for r in refs}
        keys = list(by_key)
        for key, ref in by_key.items():
            updates = self._updates.setdefault(key, _Updates())
            updates.inboxes.add(inbox)
            if updates.last is not None:
                inbox.put(updates.last)  # the current signal at once
            if updates.task is None:
                updates.task = asyncio.create_task(self._run(ref, mode, updates))
        try:
            yield inbox
        finally:
            for key in keys:
                running = self._updates.get(key)
                if running is None:
                    continue
                running.inboxes.discard(inbox)
                if not running.inboxes and running.task is not None:
                    running.task.cancel()
                    del self._updates[key]

    async def _run(self, ref: SymbolRef, mode: Mode, updates: _Updates) -> None:
        while True:
            try:
                computed = await self._compute(ref, mode)
            except Exception as exc:  # a failed run is skipped; the next may succeed
                log.info("signal update for %s skipped: %s", ref.ticker, type(exc).__name__)
            else:
                if self._changed(updates.last, computed):
                    updates.last = computed
                    for inbox in updates.inboxes:
                        inbox.put(computed)
            await asyncio.sleep(self._interval_s)

    def _changed(self, last: signals.Computed | None, new: signals.Computed) -> bool:
        if last is None:
            return True
        old, cur = last.result, new.result
        return old.direction is not cur.direction or band(old.score, self._band) != band(
            cur.score, self._band
        )


__all__ = ["Compute", "Inbox", "SignalUpdateFeed", "band"]
