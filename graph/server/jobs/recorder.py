"""The signal recorder (``perpgraph watch``, or inside ``serve`` when enabled): every
``interval`` it computes the watchlist's signals and verdicts, records each LONG or SHORT
that is a new move, then scores the recorded verdicts that have come due.

A move is new unless the same ticker was recorded in the same direction within the
cooldown: one move is one record. The last record of each ticker is read back from the
history at the first scan, so a restart keeps the cooldown (when PostgreSQL answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from engine.signal.model import Direction, Mode
from engine.signal.modes import parse_mode
from graph.server.jobs.background import run_in_background
from graph.server.services import open_services
from graph.server.settings import Settings
from providers.errors import ProviderError
from providers.history import HistoryFilter
from resolvers import history, symbols, verdicts
from resolvers.context import fresh_context
from resolvers.services import Services

log = logging.getLogger("perpgraph.recorder")


@dataclass(slots=True)
class ScanReport:
    recorded: list[str] = field(default_factory=list)  # tickers
    skipped: dict[str, str] = field(default_factory=dict)  # ticker -> why
    outcomes: int = 0


class Recorder:
    def __init__(
        self,
        services: Services,
        tickers: Sequence[str],
        mode: Mode,
        interval: timedelta,
        cooldown: timedelta,
    ) -> None:
        self._services = services
        self._tickers = tuple(tickers)
        self._mode = mode
        self._interval = interval
        self._cooldown = cooldown
        self._last: dict[str, tuple[str, datetime]] = {}  # ticker -> (direction, recorded at)
        self._seeded = False

    async def run(self) -> None:
        """Scan until cancelled; a failed scan is logged and the next one comes on time."""
        while True:
            try:
                report = await self.scan(datetime.now(UTC))
                log.info(
                    "watch scan: recorded %s, scored %d outcomes",
                    report.recorded or "nothing",
                    report.outcomes,
                )
            except Exception:  # one bad scan must not end the watcher; log it whole
                log.exception("watch scan failed")
            await asyncio.sleep(self._interval.total_seconds())

    async def scan(self, now: datetime) -> ScanReport:
        report = ScanReport()
        await self._seed()
        for ticker in self._tickers:  # one ticker failing never stops the others
            try:
                why = await self._one(ticker, now)
            except Exception as exc:
                why = getattr(exc, "code", None) or type(exc).__name__
                log.warning("watch: %s not recorded (%s)", ticker, why)
            if why is None:
                report.recorded.append(ticker)
            else:
                report.skipped[ticker] = why
        try:
            report.outcomes = await history.evaluate_due(self._services, now)
        except ProviderError as exc:  # PostgreSQL down: the next scan scores them
            log.warning("scoring due verdicts failed: %s", exc.code)
        return report

    async def _one(self, ticker: str, now: datetime) -> str | None:
        """Record ``ticker``'s move, or say why not."""
        ctx = fresh_context(self._services)
        ref = await symbols.resolve_symbol(ctx, ticker)
        judged = await verdicts.verdict(ctx, ref, self._mode)
        direction = judged.computed.result.direction
        if direction is Direction.NEUTRAL:
            return "NEUTRAL"
        last = self._last.get(ref.ticker)
        if last is not None and last[0] == direction.value and now - last[1] < self._cooldown:
            return "cooldown"
        await history.record(ctx, ref, self._mode, "watcher", self._cooldown, now)
        self._last[ref.ticker] = (direction.value, now)
        return None

    async def _seed(self) -> None:
        if self._seeded:
            return
        store = history.store_of(self._services)
        try:
            for ticker in self._tickers:
                page = await store.history(HistoryFilter(ticker=ticker.upper()), first=1)
                for entry in page.entries:
                    s = entry.signal
                    self._last[s.ticker] = (s.direction, s.recorded_at)
        except ProviderError as exc:
            log.warning("cooldowns not read back from the history (%s)", exc.code)
            return
        self._seeded = True


def recorder(settings: Settings, services: Services) -> Recorder:
    """The recorder of ``PERPGRAPH_WATCHLIST`` in ``PERPGRAPH_WATCH_MODE``."""
    tickers = [t.strip() for t in settings.watchlist.split(",") if t.strip()]
    if not tickers:
        raise ValueError("PERPGRAPH_WATCHLIST names no ticker")
    return Recorder(
        services,
        tickers,
        parse_mode(settings.watch_mode),
        interval=timedelta(minutes=settings.watch_interval_min),
        cooldown=timedelta(minutes=settings.watch_cooldown_min),
    )


def start_in_serve(
    settings: Settings, services: Services, stack: contextlib.AsyncExitStack
) -> None:
    """In ``serve`` with ``PERPGRAPH_WATCH_ENABLED``: the recorder as a background task."""
    if not settings.watch_enabled:
        return
    if services.history is None:
        raise ValueError("PERPGRAPH_WATCH_ENABLED needs PERPGRAPH_DATABASE_URL")
    run_in_background(stack, recorder(settings, services).run(), "perpgraph-recorder")


async def run_watch(settings: Settings) -> None:
    """``perpgraph watch``: the recorder alone (no HTTP server), until stopped."""
    if settings.database_url is None:
        raise SystemExit("perpgraph watch needs PERPGRAPH_DATABASE_URL (it records signals)")
    async with open_services(settings) as services:
        await recorder(settings, services).run()


__all__ = ["Recorder", "ScanReport", "recorder", "run_watch", "start_in_serve"]
