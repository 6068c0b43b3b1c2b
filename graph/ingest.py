"""The liquidation ingest: one task per upstream feed, publishing into the process's hub.

``PERPGRAPH_LIQUIDATION_STREAMS`` names the feeds (``binance``, ``okx``, and ``coinglass``,
which needs ``PERPGRAPH_COINGLASS_API_KEY``). Each feed keeps
one upstream WebSocket whatever the number of subscribers; reconnects, rotation and
malformed frames are the streams' business (``providers.streams``) and are counted there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from engine.domain import ExchangeInfo, Liquidation
from graph.settings import Settings
from providers.binance.ws import BinanceLiquidationStream
from providers.coinglass.ws import CoinglassLiquidationStream
from providers.errors import ProviderError
from providers.metrics import Metrics
from providers.okx.ws import OkxLiquidationStream
from resolvers.cache import Cached
from resolvers.context import Services
from resolvers.hub import LiquidationHub
from resolvers.symbols import okx_listing

log = logging.getLogger("perpgraph.ingest")
FEEDS = ("binance", "okx", "coinglass")


def feed_names(settings: Settings) -> tuple[str, ...]:
    names = tuple(n.strip().lower() for n in settings.liquidation_streams.split(",") if n.strip())
    unknown = sorted(set(names) - set(FEEDS))
    if unknown:
        raise ValueError(f"unknown liquidation stream(s) {unknown}; known: {', '.join(FEEDS)}")
    if "coinglass" in names and settings.coinglass_api_key is None:
        raise ValueError("the coinglass liquidation stream needs PERPGRAPH_COINGLASS_API_KEY")
    return names


async def _okx_contract_sizes(services: Services) -> Callable[[str], float | None]:
    """ctVal by instrument id from OKX's instrument list (through the shared cache)."""
    job = okx_listing(services)
    try:
        listing: Cached[ExchangeInfo] = await services.cache.get_or_fetch(
            job.dataset, job.key, job.ttl_s, job.fetch
        )
    except ProviderError as exc:
        log.warning("okx instrument list unavailable (%s): okx liquidations skipped", exc.code)
        return lambda _inst: None
    sizes = {c.venue_symbol: c.contract_size for c in listing.value.contracts}
    return sizes.get


class Ingest:
    """Runs the configured feeds until stopped: into ``hub`` directly, or, with Redis, onto
    the bus (every API process relays the bus into its own hub)."""

    def __init__(self, settings: Settings, services: Services, hub: LiquidationHub) -> None:
        self._settings = settings
        self._services = services
        self._hub = hub
        self._bus = services.bus
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        names = feed_names(self._settings)
        if not names:
            return
        metrics: Metrics = self._services.metrics
        for name in names:
            if name == "binance":
                binance = BinanceLiquidationStream(self._settings.binance_ws_url, metrics)
                self._spawn(name, binance.run(self._publish))
            elif name == "coinglass":
                key = self._settings.coinglass_api_key
                assert key is not None  # feed_names checked it
                coinglass = CoinglassLiquidationStream(
                    self._settings.coinglass_ws_url, key.get_secret_value(), metrics
                )
                self._spawn(name, coinglass.run(self._publish))
            else:
                sizes = await _okx_contract_sizes(self._services)
                okx = OkxLiquidationStream(self._settings.okx_ws_url, metrics, sizes)
                self._spawn(name, okx.run(self._publish))
        started_ms = int(time.time() * 1000)
        if self._bus is not None:
            await self._bus.mark_started(names, started_ms)
        else:
            self._hub.feeds, self._hub.started_ms = names, started_ms
        log.info("liquidation ingest running", extra={"feeds": list(names)})

    def _spawn(self, name: str, run: Coroutine[Any, Any, None]) -> None:
        self._tasks.append(asyncio.create_task(run, name=f"ingest-{name}"))

    async def _publish(self, event: Liquidation) -> None:
        if self._bus is not None:
            await self._bus.publish(event)
        else:
            self._hub.publish(event)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._bus is None:
            self._hub.feeds = ()


__all__ = ["FEEDS", "Ingest", "feed_names"]


async def run_ingest(settings: Settings) -> None:
    """``perpgraph ingest``: the configured feeds onto Redis, no HTTP server, until stopped.

    N API instances relay from Redis, so one upstream connection per feed serves them all.
    """
    from graph.wiring import standalone_services

    if settings.redis_url is None:
        raise SystemExit("perpgraph ingest needs PERPGRAPH_REDIS_URL (it publishes to Redis)")
    if not feed_names(settings):
        raise SystemExit("PERPGRAPH_LIQUIDATION_STREAMS names no feed to ingest")
    async with standalone_services(settings) as (services, _):
        assert services.hub is not None  # built with every set of services
        ingest = Ingest(settings, services, services.hub)
        await ingest.start()
        try:
            await asyncio.Event().wait()  # until cancelled (SIGINT/SIGTERM)
        finally:
            await ingest.stop()
