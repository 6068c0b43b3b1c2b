"""The ASGI application and its lifespan, the only place that builds I/O objects.

Routes: ``/graphql`` (POST queries, GET GraphiQL, WebSocket), ``/healthz`` (process alive),
``/readyz`` (services built and Redis reachable when configured), ``/metrics`` (Prometheus).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send

from engine.signal import check_weights
from graph.endpoint import GraphQLEndpoint, PerpGraphQL
from graph.fanout import SubscriptionServer
from graph.history_runtime import start_in_serve
from graph.ingest import Ingest, feed_names
from graph.response_cache import MemoryResponseStore, RedisResponseStore
from graph.schema import build_schema
from graph.settings import Settings
from graph.wiring import build_services, policies
from providers.errors import ProviderError
from providers.http import UpstreamHttp
from providers.metrics import Metrics
from resolvers import symbols
from resolvers.bus import LiquidationBus
from resolvers.cache import SharedCache, build_backend
from resolvers.context import Services
from resolvers.hub import LiquidationHub
from resolvers.watch import SignalWatcher

log = logging.getLogger("perpgraph.app")


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _warm(services: Services) -> None:
    try:
        await symbols.warm_symbols(services)
    except ProviderError as exc:  # the first query will try again
        log.warning("symbol list not loaded at start-up: %s (%s)", exc.message, exc.code)
    # Everything built so far (modules, schema, symbol list) lives as long as the process:
    # move it out of the collector's sight so full collections stay short on the hot path.
    gc.collect()
    gc.freeze()


class _Deferred:
    """ASGI app that forwards to the endpoint the lifespan built (503 before that)."""

    def __init__(self, holder: dict[str, Any]) -> None:
        self._holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self._holder.get("endpoint")
        if endpoint is None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1013})
                return
            await JSONResponse({"error": "starting up"}, status_code=503)(scope, receive, send)
            return
        await endpoint(scope, receive, send)


def create_app(settings: Settings | None = None) -> Starlette:
    """The API. Everything with I/O is built in the lifespan and closed after it."""
    settings = settings or Settings()
    check_weights()  # the eight factor weights must sum to exactly 100
    feed_names(settings)  # an unknown liquidation stream name fails here, not at first use
    metrics = Metrics()
    schema = build_schema(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        parser_cache_size=settings.parser_cache_size,
        validation_cache_size=settings.validation_cache_size,
    )
    holder: dict[str, Any] = {}
    graphql = _Deferred(holder)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
        async with contextlib.AsyncExitStack() as stack:  # closes whatever was built, in reverse
            client = await stack.enter_async_context(
                httpx.AsyncClient(
                    limits=httpx.Limits(
                        max_connections=settings.http_max_connections,
                        max_keepalive_connections=settings.http_max_connections,
                    ),
                    headers={"user-agent": "perpgraph/0.1"},
                )
            )
            backend = build_backend(redis_url, settings.cache_namespace)
            cache = SharedCache(
                backend,
                metrics,
                stale_if_error_s=settings.stale_if_error_s,
                distributed=redis_url is not None,
                flight_wait_s=settings.single_flight_wait_s,
            )
            stack.push_async_callback(cache.close)
            hub = LiquidationHub(metrics, queue_size=settings.subscriber_queue_size)
            bus = None
            if redis_url:  # liquidations arrive over Redis, from whichever process ingests
                bus = LiquidationBus(backend.client, settings.cache_namespace)
                relay = asyncio.create_task(bus.relay(hub), name="perpgraph-liquidation-relay")
                stack.push_async_callback(_cancelled, relay)
            http = UpstreamHttp(client, metrics, policies(settings))
            services = build_services(settings, http, cache, metrics, hub, bus)
            if services.aijudge is not None:
                stack.push_async_callback(services.aijudge.aclose)
            watcher = SignalWatcher(
                services, settings.signal_update_interval_s, settings.signal_update_band_points
            )
            services = dataclasses.replace(services, watcher=watcher)
            services = await start_in_serve(settings, services, client, stack)
            store: Any = None
            if settings.response_cache:
                store = (
                    RedisResponseStore(backend.client, settings.cache_namespace)
                    if redis_url
                    else MemoryResponseStore(settings.response_cache_max_entries)
                )
            view = PerpGraphQL(
                services,
                schema=schema,
                graphql_ide="graphiql" if settings.graphiql else None,
            )  # WebSockets are served by SubscriptionServer below, with the limits

            def on_request(status: int, seconds: float) -> None:
                metrics.http_requests.labels("/graphql", f"{status // 100}xx").inc()
                metrics.http_latency.labels("/graphql").observe(seconds)

            ingest = Ingest(settings, services, hub)
            await ingest.start()
            stack.push_async_callback(ingest.stop)
            warm = asyncio.create_task(_warm(services), name="perpgraph-warm-symbols")
            stack.push_async_callback(_cancelled, warm)
            holder.update(
                endpoint=GraphQLEndpoint(
                    view,
                    store,
                    max_body_bytes=settings.max_body_bytes,
                    max_cached_bytes=settings.response_cache_max_bytes,
                    max_tokens=settings.max_tokens,
                    max_connections_per_client=settings.max_connections_per_client,
                    on_request=on_request,
                    subscriptions=SubscriptionServer(
                        schema,
                        lambda ws: view.get_context(ws, None),
                        metrics,
                        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
                        connection_init_timeout_s=settings.connection_init_timeout_s,
                        queue_size=settings.subscriber_queue_size,
                    ),
                ),
                backend=backend,
                redis=redis_url is not None,
            )
            stack.callback(holder.clear)
            log.info("perpgraph ready", extra={"redis": redis_url is not None})
            yield

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        if "endpoint" not in holder:
            return JSONResponse({"status": "starting"}, status_code=503)
        if holder["redis"]:
            try:
                await holder["backend"].client.ping()
            except Exception as exc:  # any failure means not ready; say which kind
                return JSONResponse(
                    {"status": "redis unreachable", "error": type(exc).__name__}, status_code=503
                )
        return JSONResponse({"status": "ready"})

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
        ],
        lifespan=lifespan,
    )


__all__ = ["create_app"]
