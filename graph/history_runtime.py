"""Building the history side from settings: the PostgreSQL store (migrated at start-up),
Telegram alerts, the signal recorder, and the ``perpgraph migrate`` / ``watch`` commands."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from datetime import timedelta

import httpx

from engine.signal.modes import parse_mode
from graph.settings import Settings
from providers.errors import UpstreamTimeout, UpstreamUnreachable
from providers.history import HistoryStore, migrate
from providers.telegram import TelegramClient
from resolvers.context import Services
from resolvers.history import Alerts
from resolvers.recorder import Recorder

log = logging.getLogger("perpgraph.history")


async def open_history(settings: Settings) -> HistoryStore | None:
    """The store when ``PERPGRAPH_DATABASE_URL`` is set, open, migrated when PostgreSQL
    answers (else at its first use: the store migrates lazily). None without a URL."""
    if settings.database_url is None:
        return None
    dsn = settings.database_url.get_secret_value()
    store = HistoryStore(
        dsn,
        outbox_path=settings.history_outbox_path,
        pool_max=settings.database_pool_max,
        auto_migrate=True,
    )
    await store.open()
    try:
        applied = await migrate(dsn)
    except (UpstreamUnreachable, UpstreamTimeout) as exc:  # records wait; migrated later
        log.warning("history: PostgreSQL not reachable at start-up (%s)", exc.code)
    except BaseException:  # a failing migration or a refused login: nothing left open
        await store.close()
        raise
    else:
        if applied:
            log.info("history: applied migrations %s", applied)
    return store


def alerts(settings: Settings, client: httpx.AsyncClient) -> Alerts | None:
    """Telegram alerts when both the bot token and the chat id are set."""
    if settings.telegram_bot_token is None or not settings.telegram_chat_id:
        return None
    return Alerts(
        TelegramClient(
            client,
            settings.telegram_bot_token.get_secret_value(),
            settings.telegram_chat_id,
            base_url=settings.telegram_base_url,
            max_attempts=settings.telegram_max_attempts,
        )
    )


def recorder(settings: Settings, services: Services) -> Recorder:
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


async def run_migrate(settings: Settings) -> list[str]:
    """``perpgraph migrate``: apply the pending migrations and say which."""
    if settings.database_url is None:
        raise SystemExit("perpgraph migrate needs PERPGRAPH_DATABASE_URL")
    return await migrate(settings.database_url.get_secret_value())


async def run_watch(settings: Settings) -> None:
    """``perpgraph watch``: the recorder alone (no HTTP server), until stopped."""
    from graph.wiring import standalone_services

    if settings.database_url is None:
        raise SystemExit("perpgraph watch needs PERPGRAPH_DATABASE_URL (it records signals)")
    async with (
        standalone_services(settings) as (services, client),
        contextlib.AsyncExitStack() as stack,
    ):
        store = await open_history(settings)
        assert store is not None  # the URL was checked above
        stack.push_async_callback(store.close)
        sender = alerts(settings, client)
        if sender is not None:
            stack.push_async_callback(sender.drain)
        await recorder(settings, _with(services, store, sender)).run()


def _with(services: Services, store: HistoryStore | None, sender: Alerts | None) -> Services:
    return dataclasses.replace(services, history=store, alerts=sender)


async def start_in_serve(
    settings: Settings,
    services: Services,
    client: httpx.AsyncClient,
    stack: contextlib.AsyncExitStack,
) -> Services:
    """In ``serve``: the store and alerts into the services, and the recorder when enabled."""
    store = await open_history(settings)
    if store is not None:
        stack.push_async_callback(store.close)
    sender = alerts(settings, client)
    if sender is not None:
        stack.push_async_callback(sender.drain)
    services = _with(services, store, sender)
    if settings.watch_enabled:
        if store is None:
            raise ValueError("PERPGRAPH_WATCH_ENABLED needs PERPGRAPH_DATABASE_URL")
        task = asyncio.create_task(recorder(settings, services).run(), name="perpgraph-recorder")

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

        stack.push_async_callback(stop)
    return services


__all__ = ["alerts", "open_history", "recorder", "run_migrate", "run_watch", "start_in_serve"]
