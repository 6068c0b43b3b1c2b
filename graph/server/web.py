"""What a browser is told: allowed origins (CORS and WebSocket), security headers.

Origins come from ``PERPGRAPH_CORS_ORIGINS`` (a comma list); empty means localhost origins
in development and none in production. The same list decides which browser pages may open
a WebSocket (a browser always sends ``Origin``; a client that sends none is not a page).
Every answer carries ``nosniff``, a referrer policy, a CSP under which GraphiQL, Swagger UI
and ReDoc work from this origin alone (GraphiQL from unpkg.com when so set; ReDoc
adds its own styles and searches in a blob: worker; the logo it would fetch from its CDN is
refused), and nothing frames it, no ``server`` banner, and HSTS when
``PERPGRAPH_BEHIND_TLS`` says a TLS proxy serves the API.
"""

from __future__ import annotations

import re

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.server.settings import Settings

LOCALHOST = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$"


def csp(cdn: bool = False) -> str:
    """The Content-Security-Policy: GraphiQL, Swagger UI and ReDoc from this origin, or
    GraphiQL's files from unpkg.com when ``cdn`` (``PERPGRAPH_GRAPHIQL_CDN``)."""
    cdn_host = " https://unpkg.com" if cdn else ""
    return (
        f"default-src 'self'; script-src 'self' 'unsafe-inline'{cdn_host}; "
        f"style-src 'self' 'unsafe-inline'{cdn_host}; font-src 'self' data:{cdn_host}; "
        f"img-src 'self' data:{cdn_host}; connect-src 'self' ws: wss:; "
        "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


class Origins:
    """The browser origins this deployment answers."""

    def __init__(self, settings: Settings) -> None:
        self.listed = tuple(o.strip() for o in settings.cors_origins.split(",") if o.strip())
        self.pattern = LOCALHOST if not self.listed and settings.env == "development" else None

    def allows(self, origin: str) -> bool:
        if origin in self.listed:
            return True
        return self.pattern is not None and re.match(self.pattern, origin) is not None

    def mcp_patterns(self) -> list[str]:
        """The same origins as the MCP SDK's check takes them (``host:*`` for any port)."""
        if self.pattern is None:
            return list(self.listed)
        local = [
            f"{s}://{h}:*" for s in ("http", "https") for h in ("localhost", "127.0.0.1", "[::1]")
        ]
        local += [
            f"{s}://{h}" for s in ("http", "https") for h in ("localhost", "127.0.0.1", "[::1]")
        ]
        return [*self.listed, *local]


class BrowserHeaders:
    """ASGI wrapper: every HTTP answer gets the security headers; a request from a browser
    page (it has ``Origin``) goes through Starlette's CORS middleware, and one without
    (curl, a server, an LLM tool) is only told ``Vary: Origin``, as that middleware would
    tell it, without the cost of asking (measured: a tenth of a hot query's time)."""

    def __init__(self, app: ASGIApp, *, hsts: bool, origins: Origins, cdn: bool = False) -> None:
        self._app = app
        self._cors = CORSMiddleware(
            app,
            allow_origins=list(origins.listed),
            allow_origin_regex=origins.pattern,
            allow_methods=["GET", "POST"],
            allow_headers=[
                "authorization", "content-type", "x-api-key",
                "mcp-protocol-version", "mcp-method", "mcp-name",  # what MCP clients send
            ],
            expose_headers=["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "retry-after"],
            max_age=600,
        )  # fmt: skip
        self._headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", csp(cdn).encode()),
        ]
        if hsts:
            self._headers.append(
                (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
            )
        self._not_a_page = [*self._headers, (b"vary", b"Origin")]
        # set by the app: (its in-flight bound, its refusal as bytes), for ShedInProtocol
        self.refusal: tuple[object, bytes] | None = None

    @property
    def headers_without_origin(self) -> list[tuple[bytes, bytes]]:
        """What every answer to a request without ``Origin`` is given."""
        return list(self._not_a_page)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        page = any(name == b"origin" for name, _ in scope["headers"])
        added = self._headers if page else self._not_a_page

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                message = {**message, "headers": [*kept, *added]}
            await send(message)

        await (self._cors if page else self._app)(scope, receive, with_headers)


__all__ = ["BrowserHeaders", "Origins", "csp"]
