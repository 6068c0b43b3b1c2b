"""The replay exchange: one Starlette app answering Binance USD-M, OKX v5 public,
alternative.me Fear & Greed, Hyperliquid info (``POST /info``), CoinGecko v3
(``/api/v3/...``) and LunarCrush v4 (``/api4/public/...``) paths from recorded real responses.

Routes and the files serving them are listed in ``binance``, ``okx``, ``feargreed``,
``hyperliquid``, ``coingecko`` and ``lunarcrush``;
the liquidation WebSocket streams in ``binance_ws`` and ``okx_ws`` (pacing and stream faults
in ``streams``); faults, latency and call counts in ``faults`` and ``admin``. Every response carries
``Via: 1.1 perpgraph-replay``. Unknown paths answer 404 in the owning venue's style
(Binance: ``{"code":-5000,"msg":"Path <path>, Method <method> is invalid"}``; OKX:
``{"code":"404","msg":"Not Found","data":[]}``; others ``{"error":"Not Found"}``).
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from .admin import admin_routes
from .binance import binance_error_body, binance_routes
from .binance_ws import binance_ws_routes
from .coingecko import coingecko_routes
from .faults import CallCounter, FaultRegistry, FaultRule, ReplayMiddleware
from .feargreed import feargreed_routes
from .hyperliquid import hyperliquid_routes
from .lunarcrush import lunarcrush_routes
from .okx import okx_error_body, okx_routes
from .okx_ws import okx_ws_routes
from .store import RecordedStore
from .streams import StreamRegistry
from .wire import json_response

__all__ = ["ReplayApp", "build_replay_app"]


async def _not_found(request: Request, exc: Exception) -> Response:
    path, method = request.url.path, request.method
    if path.startswith("/api/v5/"):
        return json_response(okx_error_body("404", "Not Found"), 404)
    if path.startswith(("/fapi/", "/futures/")):
        msg = f"Path {path}, Method {method} is invalid"
        return json_response(binance_error_body(-5000, msg), 404)
    return json_response({"error": "Not Found"}, 404)


class ReplayApp(Starlette):
    """Starlette with :class:`ReplayMiddleware` outermost, so even its 500s carry ``Via``."""

    def __init__(
        self,
        routes: list[BaseRoute],
        registry: FaultRegistry,
        calls: CallCounter,
        streams: StreamRegistry | None = None,
    ) -> None:
        self.faults, self.calls = registry, calls
        self.streams = streams if streams is not None else StreamRegistry()
        super().__init__(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
        self.router.redirect_slashes = False

    def build_middleware_stack(self) -> ASGIApp:
        return ReplayMiddleware(super().build_middleware_stack(), self.faults, self.calls)


def build_replay_app(
    data_dir: Path | None = None, faults: list[FaultRule] | None = None
) -> ReplayApp:
    """The replay app over ``data_dir`` (default: the package's copy of the recordings).

    ``faults`` are the initial fault rules. In-process, ``app.faults`` (:class:`FaultRegistry`)
    and ``app.calls`` (:class:`CallCounter`) give the same control as ``/_replay/faults`` and
    ``/_replay/calls`` over HTTP; ``app.streams`` (:class:`StreamRegistry`) as
    ``/_replay/streams`` for the WebSocket streams.
    """
    store = RecordedStore(data_dir)
    registry = FaultRegistry(faults)
    calls = CallCounter()
    streams = StreamRegistry()
    routes: list[BaseRoute] = [
        *binance_routes(store),
        *binance_ws_routes(store, streams, calls),
        *okx_routes(store),
        *okx_ws_routes(store, streams, calls),
        *feargreed_routes(store),
        *hyperliquid_routes(store),
        *coingecko_routes(store),
        *lunarcrush_routes(store),
        *admin_routes(registry, calls, streams),
    ]
    return ReplayApp(routes, registry, calls, streams)
