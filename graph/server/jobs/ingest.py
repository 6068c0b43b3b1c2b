"""The liquidation ingest: one task per upstream feed, publishing into the process's hub.

``PERPGRAPH_LIQUIDATION_STREAMS`` names the feeds (``binance``, ``okx``, and ``coinglass``,
which needs ``PERPGRAPH_COINGLASS_API_KEY``); each name is its venue package's provider name
and ``FEEDS`` says how each is opened. Each feed keeps one upstream WebSocket whatever the
number of subscribers; reconnects, rotation and malformed frames are the streams' business
(``providers.streams``) and are counted there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from engine.domain import Liquidation
from graph.server.services import open_services
from graph.server.settings import Settings
from providers.binance import ws as binance_ws
from providers.coinglass import ws as coinglass_ws
from providers.errors import ProviderError
from providers.okx import ws as okx_ws
from providers.streams import VenueStream
from resolvers import datasets
from resolvers.services import Services

log = logging.getLogger("perpgraph.ingest")

Opener = Callable[[Settings, Services], Awaitable[VenueStream[Liquidation]]]


async def _binance(settings: Settings, services: Services) -> VenueStream[Liquidation]:
    return binance_ws.BinanceLiquidationStream(settings.binance_ws_url, services.metrics)


async def _okx(settings: Settings, services: Services) -> VenueStream[Liquidation]:
    """OKX sends contract counts: its instrument list (through the shared cache) gives each
    swap's contract size; without the list, OKX liquidations are skipped (and counted)."""
    job = datasets.okx_instruments(services)
    try:
        listing = await services.cache.get_or_fetch(job.dataset, job.key, job.ttl_s, job.fetch)
    except ProviderError as exc:
        log.warning("okx instrument list unavailable (%s): okx liquidations skipped", exc.code)
        return okx_ws.OkxLiquidationStream(settings.okx_ws_url, services.metrics, lambda _: None)
    sizes = {c.venue_symbol: c.contract_size for c in listing.value.contracts}
    return okx_ws.OkxLiquidationStream(settings.okx_ws_url, services.metrics, sizes.get)


async def _coinglass(settings: Settings, services: Services) -> VenueStream[Liquidation]:
    key = settings.coinglass_api_key
    assert key is not None  # feed_names refuses the feed without it
    return coinglass_ws.CoinglassLiquidationStream(
        settings.coinglass_ws_url, key.get_secret_value(), services.metrics
    )


FEEDS: dict[str, Opener] = {
    binance_ws.PROVIDER: _binance,
    okx_ws.PROVIDER: _okx,
    coinglass_ws.PROVIDER: _coinglass,
}


def feed_names(settings: Settings) -> tuple[str, ...]:
    """The configured feeds; an unknown name, or Coinglass without its key, fails here."""
    names = tuple(n.strip().lower() for n in settings.liquidation_streams.split(",") if n.strip())
    unknown = sorted(set(names) - set(FEEDS))
    if unknown:
        raise ValueError(f"unknown liquidation stream(s) {unknown}; known: {', '.join(FEEDS)}")
    if coinglass_ws.PROVIDER in names and settings.coinglass_api_key is None:
        raise ValueError("the coinglass liquidation stream needs PERPGRAPH_COINGLASS_API_KEY")
    return names


class Ingest:
    """Runs the configured feeds until stopped: into the services' hub directly, or, with
    Redis, onto the bus (every API process relays the bus into its own hub)."""

    def __init__(self, settings: Settings, services: Services) -> None:
        self._settings = settings
        self._services = services
        self._tasks: list[asyncio.Task[None]] = []
        self._outage = services.cache.outage

    async def start(self) -> None:
        names = feed_names(self._settings)
        if not names:
            return
        for name in names:
            stream = await FEEDS[name](self._settings, self._services)
            self._tasks.append(
                asyncio.create_task(stream.run(self._publish), name=f"ingest-{name}")
            )
        started_ms = int(time.time() * 1000)
        bus, hub = self._services.bus, self._services.hub
        hub.feeds, hub.started_ms = names, started_ms  # this process's own, whatever Redis does
        if bus is not None:
            try:
                await bus.mark_started(names, started_ms)
            except Exception as exc:  # Redis down at start-up: serve, and publish locally
                self._outage.failed(exc)
        log.info("liquidation ingest running", extra={"feeds": list(names)})

    async def _publish(self, event: Liquidation) -> None:
        """To every instance over Redis; while Redis is away, to this process's subscribers
        (the other instances miss those events: counted in the log's outage lines)."""
        bus, hub = self._services.bus, self._services.hub
        if bus is None:
            hub.publish(event)
            return

        async def locally() -> None:
            hub.publish(event)

        await self._outage.call(lambda: bus.publish(event), locally)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._services.bus is None:
            self._services.hub.feeds = ()


async def run_ingest(settings: Settings) -> None:
    """``perpgraph ingest``: the configured feeds onto Redis, no HTTP server, until stopped.

    N API instances relay from Redis, so one upstream connection per feed serves them all.
    """
    if settings.redis_url is None:
        raise SystemExit("perpgraph ingest needs PERPGRAPH_REDIS_URL (it publishes to Redis)")
    if not feed_names(settings):
        raise SystemExit("PERPGRAPH_LIQUIDATION_STREAMS names no feed to ingest")
    async with open_services(settings, history=False) as services:
        ingest = Ingest(settings, services)
        await ingest.start()
        try:
            await asyncio.Event().wait()  # until cancelled (SIGINT/SIGTERM)
        finally:
            await ingest.stop()


__all__ = ["FEEDS", "Ingest", "feed_names", "run_ingest"]
