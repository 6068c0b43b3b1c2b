"""The ASGI application: its routes and its lifespan, which opens the services
(``open_services``) and starts the background jobs.

Routes: ``/graphql`` (POST queries, GET GraphiQL, WebSocket), the registry's operations
(``/api/v1/{operationId}``, ``/invoke``, ``/openapi.json``, ``/gpt/action-schema``, MCP at
``/mcp``; the documents read as ``/docs`` by Swagger UI and ``/redoc`` by ReDoc, from
packaged assets under ``/static/``), ``/healthz`` (process alive), ``/readyz`` (services built and Redis reachable
when configured), ``/metrics`` (Prometheus).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from engine.signal import check_weights
from graph.operations import load_registry
from graph.schema import build_schema
from graph.server import assets, web
from graph.server.assets import asset_routes, graphiql_page
from graph.server.auth import Authenticator, presented_key
from graph.server.bodies import error_response
from graph.server.endpoint import GraphQLEndpoint, refusal_response
from graph.server.jobs import recorder
from graph.server.jobs.background import run_in_background
from graph.server.jobs.ingest import Ingest, feed_names
from graph.server.mcp_tools import McpTools
from graph.server.response_cache import MemoryResponseStore, RedisResponseStore, ResponseStore
from graph.server.rest import RestApi, version
from graph.server.services import open_access, open_services
from graph.server.settings import Settings, operation_timeouts
from graph.server.shedding import ShedWhenFull, Slots, watch_loop_lag
from graph.server.subscriptions import SubscriptionServer
from graph.server.view import PerpGraphQL
from graph.server.web import Origins
from providers.errors import ProviderError
from providers.metrics import Metrics
from resolvers import symbols
from resolvers.access import Role, require
from resolvers.errors import Refused
from resolvers.services import Services

log = logging.getLogger("perpgraph.app")
# The cyclic collector's thresholds. With Python's default (700, 10, 10) the objects a
# large request holds while it runs (its document, graphql-core's validation visitors)
# reach the oldest generation, and each full collection then also walks every cached
# dataset: 190-230 ms pauses every few hostile requests (measured, 671 hostile documents
# twice). A larger young generation lets more of a request die young, and full
# collections come after 100 middle ones instead of 10: the longest pause measured in
# the same run fell to 85 ms.
GC_THRESHOLDS = (5_000, 10, 100)


async def _warm_okx(services: Services) -> None:
    try:
        await symbols.warm_okx_instruments(services)
    except ProviderError as exc:  # a query that needs it will try again
        log.warning("OKX swap list not loaded at start-up: %s (%s)", exc.message, exc.code)


async def _warm(services: Services) -> None:
    try:
        await symbols.warm_symbols(services)
    except ProviderError as exc:  # the first query will try again
        log.warning("Binance symbol list not loaded at start-up: %s (%s)", exc.message, exc.code)
    # Everything built so far (modules, schema, symbol list) lives as long as the process:
    # move it out of the collector's sight so full collections stay short on the hot path.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


class _Running:
    """What the lifespan built; empty before start-up and after shutdown."""

    def __init__(self) -> None:
        self.endpoint: GraphQLEndpoint | None = None
        self.services: Services | None = None
        self.auth: Authenticator | None = None


class _Deferred:
    """ASGI app that forwards to the endpoint the lifespan built (503 before that)."""

    def __init__(self, running: _Running) -> None:
        self._running = running

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self._running.endpoint
        if endpoint is None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1013})
                return
            starting = error_response(
                503,
                "STARTING_UP",
                "the server is starting: retry in a moment",
                headers={"retry-after": "1"},
            )
            await starting(scope, receive, send)
            return
        await endpoint(scope, receive, send)


class _PostFirst:
    """``POST /graphql`` straight to the endpoint; everything else through Starlette.

    The hot request skips the router's route-by-route matching and the exception
    middleware (the endpoint raises no ``HTTPException``: every error it knows is an
    answer); an exception that escapes still meets Starlette's ``ServerErrorMiddleware``
    (a 500, logged), as behind the router. Other methods go through the router, which
    answers GET and HEAD and tells the rest 405 with ``Allow``. Measured under wrk: the
    router and the two middleware were 9 % of a response-cache hit's time."""

    def __init__(self, app: Starlette, graphql: ASGIApp) -> None:
        self._app = app
        self._graphql = ServerErrorMiddleware(graphql)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/graphql" and scope["method"] == "POST":
            scope["app"] = self._app  # as Starlette sets it
            await self._graphql(scope, receive, send)
        else:
            await self._app(scope, receive, send)


def _response_store(settings: Settings, services: Services) -> ResponseStore | None:
    if not settings.response_cache:
        return None
    if services.cache.redis is not None:
        return RedisResponseStore(services.cache.redis, settings.cache_namespace)
    return MemoryResponseStore(settings.response_cache_max_entries)


def create_app(settings: Settings | None = None) -> ASGIApp:
    """The API. Everything with I/O is built in the lifespan and closed after it."""
    settings = settings or Settings()
    production = settings.env == "production"
    check_weights()  # the eight factor weights must sum to exactly 100
    feed_names(settings)  # an unknown liquidation stream name fails here, not at first use
    metrics = Metrics()
    schema = build_schema(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_fragments=settings.max_fragments,
        max_fields=settings.max_fields,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_cost,
        document_cache_bytes=settings.document_cache_bytes,
        private_role=Role.ADMIN if production else Role.NONE,
    )
    origins = Origins(settings)
    slots = Slots(settings.max_in_flight, metrics, max_body_bytes=settings.max_body_bytes)
    running = _Running()

    latency = metrics.http_latency.labels("/graphql")  # the children, looked up once
    answered = {n: metrics.http_requests.labels("/graphql", f"{n}xx") for n in range(1, 6)}

    def on_request(status: int, seconds: float | None) -> None:
        answered[min(max(status // 100, 1), 5)].inc()
        if seconds is not None:  # an event stream is counted, not timed
            latency.observe(seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with (
            open_services(settings, metrics=metrics) as services,
            open_access(settings, services) as access,
            contextlib.AsyncExitStack() as jobs,  # stopped before the services close
        ):
            if services.bus is not None:  # liquidations arrive over Redis, from any ingest
                run_in_background(jobs, services.bus.relay(services.hub), "perpgraph-relay")
            await jobs.enter_async_context(mcp.run())
            recorder.start_in_serve(settings, services, jobs)
            ingest = Ingest(settings, services)
            await ingest.start()
            jobs.push_async_callback(ingest.stop)
            run_in_background(jobs, _warm(services), "perpgraph-warm-symbols")
            run_in_background(jobs, _warm_okx(services), "perpgraph-warm-okx")
            lag_target_s = settings.loop_lag_target_ms / 1000
            run_in_background(
                jobs, watch_loop_lag(slots, lag_target_s, metrics), "perpgraph-loop-lag"
            )
            view = PerpGraphQL(
                services,
                deadline_s=settings.request_timeout_s,
                max_cost=settings.max_cost,
                private_role=Role.ADMIN if production else Role.NONE,
                schema=schema,
                graphql_ide="graphiql" if settings.graphiql and not production else None,
                ide_html=graphiql_page(assets.load(), cdn=settings.graphiql_cdn),
                max_tokens=settings.max_tokens,
            )  # WebSockets are served by SubscriptionServer below, with the limits
            subscriptions = SubscriptionServer(
                schema,
                view.subscription_context,
                metrics,
                authenticate=access.auth.caller,
                limiter=access.limiter,
                key_cache_s=settings.key_cache_s,
                max_tokens=settings.max_tokens,
                max_message_bytes=settings.max_body_bytes,
                max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
                connection_init_timeout_s=settings.connection_init_timeout_s,
                queue_size=settings.subscriber_queue_size,
            )
            running.endpoint = GraphQLEndpoint(
                view,
                _response_store(settings, services),
                auth=access.auth,
                limiter=access.limiter,
                redis_outage=services.cache.outage,
                slots=slots,
                origins=origins,
                body_timeout_s=settings.body_timeout_s,
                max_body_bytes=settings.max_body_bytes,
                max_cached_bytes=settings.response_cache_max_bytes,
                max_response_bytes=settings.max_response_bytes,
                max_tokens=settings.max_tokens,
                max_connections_per_client=settings.max_connections_per_client,
                on_request=on_request,
                subscriptions=subscriptions,
            )
            subscriptions.http = running.endpoint  # queries and mutations sent over a socket
            running.services = services
            running.auth = access.auth
            log.info("perpgraph ready", extra={"redis": services.cache.redis is not None})
            try:
                yield
            finally:
                running.endpoint = running.services = running.auth = None

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        services = running.services
        if services is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        if services.cache.redis is not None:
            try:
                async with asyncio.timeout(0.25):  # a hung Redis must not hang the probe
                    await services.cache.redis.ping()
            except Exception as exc:  # any failure means not ready; say which kind
                return JSONResponse(
                    {"status": "redis unreachable", "error": type(exc).__name__}, status_code=503
                )
        return JSONResponse({"status": "ready"})

    async def metrics_endpoint(request: Request) -> Response:
        """Prometheus text, for admins (an anonymous caller is one only in development)."""
        auth = running.auth
        if auth is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        try:
            caller = await auth.caller(
                presented_key(request.headers), request.client.host if request.client else "unknown"
            )
            require(caller, Role.ADMIN, "/metrics")
        except Refused as refused:
            return refusal_response(refused)
        return Response(metrics.render(), media_type="text/plain; version=0.0.4")

    graphql = _Deferred(running)
    registry = load_registry()
    registry.validate(schema._schema)  # a document that does not fit fails here, at start
    rest = RestApi(
        registry,
        schema._schema,
        graphql,
        operation_timeouts(settings),
        max_body_bytes=settings.max_body_bytes,
        public_base_url=settings.public_base_url,
        anonymous=settings.anonymous != "none",
        body_timeout_s=settings.body_timeout_s,
        max_symbols=settings.max_symbols_per_query,
        max_candles=settings.max_candles,
    )
    mcp = McpTools(
        rest,
        registry,
        version=version(),
        public_base_url=settings.public_base_url,
        allowed_origins=origins.mcp_patterns(),
        check_host=not production or settings.public_base_url is not None,
        endpoint=lambda: running.endpoint,
        slots=slots,
        max_body_bytes=settings.max_body_bytes,
        body_timeout_s=settings.body_timeout_s,
    )
    app = Starlette(
        routes=[
            # first: the router tries each route's pattern in turn, and this one is the hot one
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/api/v1/{operation_id}", rest),  # every method: it says which it takes
            Route("/invoke", rest.invoke, methods=["POST"]),
            Route("/openapi.json", rest.openapi_json),
            Route("/gpt/action-schema", rest.gpt_action_schema),
            Route("/mcp", mcp.app),  # every method: POST is served, the rest told so
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            *asset_routes(),  # /docs (Swagger UI), /redoc (ReDoc), /static/...
        ],
        lifespan=lifespan,
    )
    # Shedding before Starlette (refusing must cost almost nothing), inside the browser
    # headers: a page told 503 can read its Retry-After (CORS) like any other answer.
    outer = web.BrowserHeaders(
        ShedWhenFull(_PostFirst(app, graphql), slots),
        hsts=settings.behind_tls,
        origins=origins,
        cdn=settings.graphiql_cdn,
    )
    outer.refusal = (slots, slots.encoded(outer.headers_without_origin))  # ShedInProtocol's
    return outer


__all__ = ["create_app"]
