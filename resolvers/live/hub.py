"""The liquidation hub: one ingest publishes, any number of subscribers read.

* ``publish`` never waits: each subscriber has a bounded queue; a full queue drops its
  oldest event and counts the drop (``perpgraph_hub_dropped_total``).
* Filters run before enqueue, so a subscriber's queue holds only what it asked for.
* ``subscribe()`` is an async context manager that always unregisters.
* Two feeds reporting the same event (or a feed replaying it after a reconnect) publish it
  once: events are deduplicated on (venue, symbol, side, time, price, USD value to six
  significant digits). The USD value, not the quantity, because Coinglass reports the
  value and its quantity is derived (value / price), so it may differ in the last bits.
* The hub keeps the last 24 h of events (bounded) for rolling statistics.
* With ``restart_on_rewind`` (only under the demo's looping replay: never for live
  venues), a venue whose events go back in time by more than ``REWIND_MS`` (5 min) started
  over (the recording playing again, with its recorded times): what the hub remembers of
  that venue (for deduplication and statistics) is forgotten, so the new pass is
  delivered, and counted once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass

from engine.domain import Liquidation, PositionSide, cents
from providers.metrics import Metrics

DAY_MS = 24 * 3_600_000
# A feed that reconnects may repeat what it sent before (the replay, from its first frame);
# a venue going back more than this started over (the demo's 7-minute recording, looped).
# A recording shorter than this would not be delivered again: its repeats stay duplicates.
REWIND_MS = 5 * 60_000
TOPIC = "liquidations"


@dataclass(frozen=True, slots=True)
class LiquidationFilter:
    """Which events a subscriber wants. Empty ``symbols`` means all."""

    symbols: frozenset[str] = frozenset()
    side: PositionSide | None = None
    min_notional_usd: float = 0.0

    def __call__(self, event: Liquidation) -> bool:
        return (
            (not self.symbols or event.symbol in self.symbols)
            and (self.side is None or event.side is self.side)
            and cents(event.notional_usd) >= self.min_notional_usd  # as shown
        )


class Subscription:
    """One subscriber's bounded queue. Iterate it to receive events."""

    def __init__(self, wants: Callable[[Liquidation], bool], maxsize: int) -> None:
        self.wants = wants
        self.queue: deque[Liquidation] = deque()
        self.maxsize = maxsize
        self.dropped = 0
        self._ready = asyncio.Event()

    def offer(self, event: Liquidation) -> bool:
        """Enqueue without waiting; True when the oldest event had to be dropped."""
        dropped = len(self.queue) >= self.maxsize
        if dropped:
            self.queue.popleft()
            self.dropped += 1
        self.queue.append(event)
        self._ready.set()
        return dropped

    async def get(self) -> Liquidation:
        await self.wait()
        return self.queue.popleft()

    async def wait(self) -> None:
        """Until at least one event is queued."""
        while not self.queue:
            self._ready.clear()
            await self._ready.wait()

    def drain(self) -> tuple[list[Liquidation], int]:
        """Every queued event (oldest first) and the drops since the last drain."""
        events, dropped = list(self.queue), self.dropped
        self.queue.clear()
        self.dropped = 0
        return events, dropped

    def __aiter__(self) -> AsyncIterator[Liquidation]:
        return self

    async def __anext__(self) -> Liquidation:
        return await self.get()


def _identity(event: Liquidation) -> tuple[object, ...]:
    value = f"{event.notional_usd:.6g}"
    return (event.venue, event.symbol, event.side, event.ts_ms, event.price, value)


class LiquidationHub:
    """In-process fan-out of liquidation events (one per API process)."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        queue_size: int = 1000,
        keep_ms: int = DAY_MS,
        max_kept: int = 200_000,
        dedupe_window: int = 10_000,
        restart_on_rewind: bool = False,
    ) -> None:
        self._restart_on_rewind = restart_on_rewind
        self._metrics = metrics
        self._queue_size = queue_size
        self._subscribers: set[Subscription] = set()
        self._seen: OrderedDict[tuple[object, ...], None] = OrderedDict()
        self._dedupe_window = dedupe_window
        self._recent: deque[Liquidation] = deque(maxlen=max_kept)
        self._keep_ms = keep_ms
        self._newest_ms: dict[str, int] = {}  # per venue: the latest event time seen
        self.published = 0
        self.duplicates = 0
        self.feeds: tuple[str, ...] = ()  # names of the ingest feeds running into this hub
        self.started_ms: int | None = None  # when they started (stats cannot see before)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, event: Liquidation) -> bool:
        """Fan one event out; False when it was a duplicate. Never waits."""
        if self._restart_on_rewind:
            newest = self._newest_ms.get(event.venue)
            if newest is not None and event.ts_ms < newest - REWIND_MS:
                self._forget(event.venue)
                newest = None
            if newest is None or event.ts_ms > newest:
                self._newest_ms[event.venue] = event.ts_ms
        key = _identity(event)
        if key in self._seen:
            self.duplicates += 1
            return False
        self._seen[key] = None
        if len(self._seen) > self._dedupe_window:
            self._seen.popitem(last=False)
        self.published += 1
        self._remember(event)
        delivered = dropped = 0
        for sub in self._subscribers:
            if sub.wants(event):
                delivered += 1
                dropped += sub.offer(event)
        if delivered:
            self._metrics.hub_delivered.labels(TOPIC).inc(delivered)
        if dropped:
            self._metrics.hub_dropped.labels(TOPIC).inc(dropped)
        return True

    def publish_many(self, events: Iterable[Liquidation]) -> None:
        for event in events:
            self.publish(event)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, wants: Callable[[Liquidation], bool] = LiquidationFilter(), maxsize: int | None = None
    ) -> AsyncIterator[Subscription]:
        sub = Subscription(wants, maxsize or self._queue_size)
        self._subscribers.add(sub)
        self._metrics.hub_subscribers.labels(TOPIC).set(len(self._subscribers))
        try:
            yield sub
        finally:
            self._subscribers.discard(sub)
            self._metrics.hub_subscribers.labels(TOPIC).set(len(self._subscribers))

    def recent(self, symbol: str | None, since_ms: int) -> list[Liquidation]:
        """Kept events at or after ``since_ms`` (oldest first), of one symbol or all."""
        return [
            e
            for e in self._recent
            if e.ts_ms >= since_ms and (symbol is None or e.symbol == symbol)
        ]

    def _forget(self, venue: str) -> None:
        """A venue started over: its events seen so far are no longer duplicates, nor counted."""
        self._seen = OrderedDict((key, None) for key in self._seen if key[0] != venue)
        kept = [e for e in self._recent if e.venue != venue]
        self._recent = deque(kept, maxlen=self._recent.maxlen)

    def _remember(self, event: Liquidation) -> None:
        self._recent.append(event)
        horizon = event.ts_ms - self._keep_ms
        while self._recent and self._recent[0].ts_ms < horizon:
            self._recent.popleft()


__all__ = ["LiquidationFilter", "LiquidationHub", "Subscription"]
