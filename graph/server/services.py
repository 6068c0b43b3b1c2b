"""The composition root: ``open_services`` builds every I/O object from the settings, once,
and closes them in reverse order on exit. ``serve``, ``ingest``, ``watch``, the tests and
the benchmark (through ``serve``) all build their services here.

    open_services(settings)
      -> httpx.AsyncClient (one connection pool: limits, user agent)  -> UpstreamHttp
      -> the shared cache (aiocache in memory, or on Redis)            -> the liquidation bus
      -> one client per provider (keyed ones only with their key)
      -> the liquidation hub, the AI judge, the history store, Telegram alerts
      -> the signal update feed (over fresh request contexts of these services)
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from aiocache import Cache
from aiocache.base import BaseCache
from aiocache.serializers import PickleSerializer

from engine.mss.criteria import Phase
from engine.signal.model import Mode
from engine.symbols import SymbolRef
from graph.server.auth import Authenticator
from graph.server.jobs.alerts import Alerts
from graph.server.ratelimit import RateLimiter, from_settings
from graph.server.settings import Settings, mode_table
from providers import binance, coingecko, coinglass, feargreed, hyperliquid, lunarcrush, okx
from providers.aijudge import AiJudgeClient, JudgeMetrics
from providers.errors import UpstreamTimeout, UpstreamUnreachable
from providers.history import HistoryStore, migrate
from providers.history.keys import KeyStore
from providers.history.watchlist import WatchlistStore
from providers.http import HostPolicy, UpstreamHttp
from providers.metrics import Metrics
from providers.telegram import TelegramClient
from resolvers import signals
from resolvers.cache import SharedCache
from resolvers.context import fresh_context
from resolvers.live.bus import LiquidationBus
from resolvers.live.hub import LiquidationHub
from resolvers.live.signal_updates import SignalUpdateFeed
from resolvers.services import Limits, Services, Ttls

log = logging.getLogger("perpgraph.services")
USER_AGENT = "perpgraph/0.1"


def ttls(s: Settings) -> Ttls:
    return Ttls(
        price=s.ttl_price_s,
        ticker_24h=s.ttl_ticker_24h_s,
        premium_index=s.ttl_premium_index_s,
        funding=s.ttl_funding_s,
        funding_history=s.ttl_funding_history_s,
        open_interest=s.ttl_open_interest_s,
        open_interest_history=s.ttl_open_interest_history_s,
        ratios=s.ttl_ratios_s,
        taker_volume=s.ttl_taker_volume_s,
        orderbook=s.ttl_orderbook_s,
        trades=s.ttl_trades_s,
        fear_greed=s.ttl_fear_greed_s,
        exchange_info=s.ttl_exchange_info_s,
        liquidations=s.ttl_liquidations_s,
        social=s.ttl_social_s,
        whales=s.ttl_whales_s,
        discovery=s.ttl_discovery_s,
        klines_divisor=s.ttl_klines_divisor,
        klines_min=s.ttl_klines_min_s,
        klines_max=s.ttl_klines_max_s,
    )


def policies(s: Settings) -> dict[str, HostPolicy]:
    common: dict[str, Any] = {
        "connect_timeout_s": s.http_connect_timeout_s,
        "pool_timeout_s": s.http_pool_timeout_s,
        "max_attempts": s.http_max_attempts,
        "backoff_base_s": s.http_backoff_base_s,
        "backoff_max_s": s.http_backoff_max_s,
        "breaker_threshold": s.http_breaker_threshold,
        "breaker_cooldown_s": s.http_breaker_cooldown_s,
        "default_retry_after_s": s.http_default_retry_after_s,
    }
    return {
        binance.BinanceFuturesClient.PROVIDER: binance.venue.host_policy(
            read_timeout_s=s.binance_read_timeout_s,
            deadline_s=s.binance_deadline_s,
            weight_safety_margin=s.binance_weight_safety_margin,
            **common,
        ),
        okx.OkxClient.PROVIDER: okx.venue.host_policy(
            read_timeout_s=s.okx_read_timeout_s, deadline_s=s.okx_deadline_s, **common
        ),
        feargreed.FearGreedClient.PROVIDER: feargreed.venue.host_policy(
            read_timeout_s=s.feargreed_read_timeout_s, deadline_s=s.feargreed_deadline_s, **common
        ),
        coinglass.CoinglassClient.PROVIDER: coinglass.venue.host_policy(
            read_timeout_s=s.coinglass_read_timeout_s, deadline_s=s.coinglass_deadline_s, **common
        ),
        lunarcrush.LunarCrushClient.PROVIDER: lunarcrush.venue.host_policy(
            read_timeout_s=s.lunarcrush_read_timeout_s, deadline_s=s.lunarcrush_deadline_s, **common
        ),
        hyperliquid.HyperliquidClient.PROVIDER: hyperliquid.venue.host_policy(
            read_timeout_s=s.hyperliquid_read_timeout_s,
            deadline_s=s.hyperliquid_deadline_s,
            **common,
        ),
        coingecko.CoinGeckoClient.PROVIDER: coingecko.venue.host_policy(
            read_timeout_s=s.coingecko_read_timeout_s, deadline_s=s.coingecko_deadline_s, **common
        ),
    }


# Cached values are pickled domain objects: a release that changes their shape bumps this,
# so that it never reads what an older release (still running beside it) stored.
VALUE_FORMAT = 2  # 2: Sourced carries provider and via


def build_backend(redis_url: str | None, namespace: str) -> BaseCache:
    """aiocache in memory, or on Redis (values pickled: only our own processes write them)."""
    namespace = f"{namespace}:v{VALUE_FORMAT}"
    if not redis_url:
        return Cache(Cache.MEMORY, namespace=namespace)
    url = urlsplit(redis_url)
    return Cache(
        Cache.REDIS,
        endpoint=url.hostname or "127.0.0.1",
        port=url.port or 6379,
        db=int(url.path.lstrip("/") or 0),
        password=url.password,
        ssl=url.scheme == "rediss",
        serializer=PickleSerializer(),
        namespace=namespace,
    )


def _ai_judge(settings: Settings, metrics: Metrics) -> AiJudgeClient | None:
    """The AI judge when a key is set; None leaves every verdict to the rules."""
    if settings.openai_api_key is None:
        return None
    return AiJudgeClient(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        timeout_s=settings.ai_judge_timeout_s,
        metrics=JudgeMetrics(metrics.registry),
    )


async def _history_store(settings: Settings) -> HistoryStore | None:
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


def _alerts(settings: Settings, client: httpx.AsyncClient) -> Alerts | None:
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


def _key(secret: Any) -> str | None:
    return None if secret is None else str(secret.get_secret_value())


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings, *, metrics: Metrics | None = None, history: bool = True
) -> AsyncIterator[Services]:
    """Every I/O object the settings configure, closed in reverse order on exit.

    ``history=False`` leaves the history store closed: a process that records nothing
    (``perpgraph ingest``) must not take the outbox file of a server running beside it.
    """
    metrics = metrics or Metrics()
    redis_url = _key(settings.redis_url)
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            httpx.AsyncClient(
                limits=httpx.Limits(
                    max_connections=settings.http_max_connections,
                    max_keepalive_connections=settings.http_max_connections,
                ),
                headers={"user-agent": USER_AGENT},
            )
        )
        cache = SharedCache(
            build_backend(redis_url, settings.cache_namespace),
            metrics,
            stale_if_error_s=settings.stale_if_error_s,
            distributed=redis_url is not None,
            flight_wait_s=settings.single_flight_wait_s,
            # answers while Redis is away (each process on its own until it is back)
            fallback=build_backend(None, settings.cache_namespace) if redis_url else None,
        )
        stack.push_async_callback(cache.close)
        http = UpstreamHttp(client, metrics, policies(settings))
        aijudge = _ai_judge(settings, metrics)
        if aijudge is not None:
            stack.push_async_callback(aijudge.aclose)
        store = await _history_store(settings) if history else None
        if store is not None:
            stack.push_async_callback(store.close)
        watchlist = None
        if history and settings.database_url is not None:  # opened lazily, at its first use
            watchlist = WatchlistStore(settings.database_url.get_secret_value())
            stack.push_async_callback(watchlist.close)
        alerts = _alerts(settings, client)
        if alerts is not None:
            stack.push_async_callback(alerts.drain)  # before the HTTP client closes

        async def compute(ref: SymbolRef, mode: Mode) -> signals.Computed:
            # one fresh request context per run; ``services`` is bound just below
            return await signals.signal(fresh_context(services), ref, mode)

        coinglass_key, lunarcrush_key = (
            _key(settings.coinglass_api_key),
            _key(settings.lunarcrush_api_key),
        )
        services = Services(
            binance=binance.BinanceFuturesClient(http, settings.binance_base_url),
            okx=okx.OkxClient(http, settings.okx_base_url),
            feargreed=feargreed.FearGreedClient(http, settings.feargreed_base_url),
            hyperliquid=hyperliquid.HyperliquidClient(http, settings.hyperliquid_base_url),
            coingecko=coingecko.CoinGeckoClient(
                http, settings.coingecko_base_url, _key(settings.coingecko_api_key)
            ),
            coinglass=(
                coinglass.CoinglassClient(http, settings.coinglass_base_url, coinglass_key)
                if coinglass_key
                else None
            ),
            lunarcrush=(
                lunarcrush.LunarCrushClient(http, settings.lunarcrush_base_url, lunarcrush_key)
                if lunarcrush_key
                else None
            ),
            cache=cache,
            metrics=metrics,
            ttls=ttls(settings),
            limits=Limits(
                max_symbols=settings.max_symbols_per_query,
                max_candles=settings.max_candles,
                min_signal_quality_pct=settings.signal_min_quality_pct,
                account_risk_pct=settings.verdict_account_risk_pct,
                modes=mode_table(settings),
                mss_pass_marks={
                    Phase.DISCOVERY: settings.mss_pass_mark_discovery_pct,
                    Phase.SOCIAL: settings.mss_pass_mark_social_pct,
                    Phase.INSTITUTIONAL: settings.mss_pass_mark_institutional_pct,
                },
                min_mss_quality_pct=settings.mss_min_quality_pct,
            ),
            hub=LiquidationHub(
                metrics,
                queue_size=settings.subscriber_queue_size,
                # the replay's recording looping: never for live venues
                restart_on_rewind=settings.replay and settings.replay_loop,
            ),
            bus=(
                LiquidationBus(cache.redis, settings.cache_namespace, outage=cache.outage)
                if redis_url
                else None
            ),
            signal_updates=SignalUpdateFeed(
                compute, settings.signal_update_interval_s, settings.signal_update_band_points
            ),
            whale_addresses=tuple(
                a.strip() for a in settings.hyperliquid_whale_addresses.split(",") if a.strip()
            ),
            aijudge=aijudge,
            history=store,
            alerts=alerts,
            watchlist=watchlist,
        )
        yield services


@dataclass(frozen=True, slots=True)
class Access:
    """Who may call, and how much: the server's own pair, beside the resolvers' services."""

    auth: Authenticator
    limiter: RateLimiter


@contextlib.asynccontextmanager
async def open_access(settings: Settings, services: Services) -> AsyncIterator[Access]:
    """The authenticator (over the key table when PostgreSQL is configured) and the rate
    limiter (over Redis when configured, behind the services' Redis breaker), closed on exit."""
    store = None
    if settings.database_url is not None:
        store = KeyStore(settings.database_url.get_secret_value())
    rates = {n: getattr(settings, f"rate_limit_{n}") for n in ROLE_LIMITS}
    budgets = {n: getattr(settings, f"cost_budget_{n}") for n in ROLE_LIMITS}
    limiter = RateLimiter(
        from_settings(rates, budgets),
        _key(settings.redis_url),
        settings.cache_namespace,
        outage=services.cache.outage,
    )
    try:
        yield Access(
            Authenticator(
                anonymous=settings.anonymous,
                static_keys=_key(settings.api_keys) or "",
                store=store,
                cache_s=settings.key_cache_s,
            ),
            limiter,
        )
    finally:
        await limiter.close()
        if store is not None:
            await store.close()


ROLE_LIMITS = ("anonymous", "read", "write", "admin")

__all__ = ["Access", "build_backend", "open_access", "open_services", "policies", "ttls"]
