"""Building the process-wide services from settings (shared by ``serve``, ``ingest`` and
``watch``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx

from graph.settings import Settings
from providers import binance, coingecko, coinglass, feargreed, hyperliquid, lunarcrush, okx
from providers.aijudge import AiJudgeClient, JudgeMetrics
from providers.http import HostPolicy, UpstreamHttp
from providers.metrics import Metrics
from resolvers.bus import LiquidationBus
from resolvers.cache import SharedCache, build_backend
from resolvers.context import Limits, Services, Ttls
from resolvers.hub import LiquidationHub


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


def build_services(
    settings: Settings,
    http: UpstreamHttp,
    cache: SharedCache,
    metrics: Metrics,
    hub: LiquidationHub,
    bus: LiquidationBus | None = None,
) -> Services:
    return Services(
        binance=binance.BinanceFuturesClient(http, settings.binance_base_url),
        okx=okx.OkxClient(http, settings.okx_base_url),
        feargreed=feargreed.FearGreedClient(http, settings.feargreed_base_url),
        cache=cache,
        metrics=metrics,
        ttls=ttls(settings),
        limits=Limits(
            max_symbols=settings.max_symbols_per_query,
            max_candles=settings.max_candles,
            min_signal_quality_pct=settings.signal_min_quality_pct,
            account_risk_pct=settings.verdict_account_risk_pct,
        ),
        coinglass=(
            coinglass.CoinglassClient(
                http, settings.coinglass_base_url, settings.coinglass_api_key.get_secret_value()
            )
            if settings.coinglass_api_key
            else None
        ),
        lunarcrush=(
            lunarcrush.LunarCrushClient(
                http, settings.lunarcrush_base_url, settings.lunarcrush_api_key.get_secret_value()
            )
            if settings.lunarcrush_api_key
            else None
        ),
        hyperliquid=hyperliquid.HyperliquidClient(http, settings.hyperliquid_base_url),
        coingecko=coingecko.CoinGeckoClient(
            http,
            settings.coingecko_base_url,
            settings.coingecko_api_key.get_secret_value() if settings.coingecko_api_key else None,
        ),
        whale_addresses=tuple(
            a.strip() for a in settings.hyperliquid_whale_addresses.split(",") if a.strip()
        ),
        aijudge=ai_judge(settings, metrics),
        hub=hub,
        bus=bus,
    )


def ai_judge(settings: Settings, metrics: Metrics) -> AiJudgeClient | None:
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


@contextlib.asynccontextmanager
async def standalone_services(
    settings: Settings,
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    """The services of a command that runs without the HTTP server (``ingest``, ``watch``),
    and their HTTP client (alerts use it too): the shared cache on Redis when configured,
    with the liquidation bus; everything closed on exit."""
    metrics = Metrics()
    redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
    backend = build_backend(redis_url, settings.cache_namespace)
    cache = SharedCache(
        backend,
        metrics,
        stale_if_error_s=settings.stale_if_error_s,
        distributed=redis_url is not None,
        flight_wait_s=settings.single_flight_wait_s,
    )
    bus = LiquidationBus(backend.client, settings.cache_namespace) if redis_url else None
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(cache.close)
        client = await stack.enter_async_context(httpx.AsyncClient())
        http = UpstreamHttp(client, metrics, policies(settings))
        services = build_services(settings, http, cache, metrics, LiquidationHub(metrics), bus)
        if services.aijudge is not None:
            stack.push_async_callback(services.aijudge.aclose)
        yield services, client


__all__ = ["build_services", "policies", "standalone_services", "ttls"]
