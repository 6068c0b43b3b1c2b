"""Swagger UI at ``/docs``, ReDoc at ``/redoc``, and the files they load at
``/static/{path}``, from the package itself: never a CDN.

``graph/server/static/manifest.json`` (written by ``tools/vendor_assets.py``, whose
docstring gives its format) lists every file served: npm packages' files at
``/static/NAME@VERSION/PATH``, our own at ``/static/perpgraph/...``. Nothing else is
served, so no path can reach outside those files. They are read once per process and
checked against the manifest's SRI hashes (a mismatch fails at start: the browsers would
refuse the file anyway). A package's paths carry its version, so its files are cached for a
year (``immutable``); our own files and the pages are revalidated by ETag. Text files are
gzipped on first demand and kept so.

The pages name their scripts and stylesheets with ``integrity`` and ``crossorigin``, by
relative addresses (the assets follow the page under a path prefix; the document's
address, ``openapi_url``, is as given), and run no inline script: Swagger UI is
started by ``perpgraph/docs-init.js``, ReDoc by its own ``<redoc spec-url>`` element.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import gzip
import hashlib
import html
import importlib.resources
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from strawberry.http.ides import get_graphql_ide_html

from graph.server.problems import problem

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",  # a package.json that states a package's licence
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    "": "text/plain; charset=utf-8",  # LICENSE, NOTICE
}
COMPRESSIBLE = ("text/", "image/svg+xml")
MIN_GZIP_BYTES = 1024


class Asset:
    """One file as served: its bytes, and its gzipped bytes once asked for."""

    def __init__(self, body: bytes, media_type: str, cache_control: str) -> None:
        self.body = body
        self.media_type = media_type
        self.cache_control = cache_control
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        self.compressible = media_type.startswith(COMPRESSIBLE) and len(body) >= MIN_GZIP_BYTES
        self._gzipped: bytes | None = None

    async def gzipped(self) -> bytes:
        if self._gzipped is None:  # ~50 ms for the largest: off the event loop, once
            self._gzipped = await asyncio.to_thread(gzip.compress, self.body, 6, mtime=0)
        return self._gzipped


class Assets:
    """The manifest's files, read and checked; how a page names them."""

    def __init__(self, manifest: Mapping[str, Any], read: Callable[[str], bytes]) -> None:
        self.files: dict[str, Asset] = {}
        self.integrity: dict[str, str] = {}
        self.versions: dict[str, str] = {}
        listed: dict[str, tuple[str, str]] = {}  # served path -> (integrity, cache-control)
        for name, package in manifest["packages"].items():
            self.versions[name] = package["version"]
            for path, meta in package["files"].items():
                served = f"{name}@{package['version']}/{path}"
                listed[served] = (meta["integrity"], IMMUTABLE)
        for path, meta in manifest["own"].items():
            listed[path] = (meta["integrity"], REVALIDATE)
        for path, (expected, cache_control) in listed.items():
            body = read(path)
            if _integrity(body) != expected:
                raise RuntimeError(
                    f"graph/server/static/{path} does not match manifest.json: "
                    "run `.venv/bin/python tools/vendor_assets.py`"
                )
            media_type = MEDIA_TYPES.get(_suffix(path), "application/octet-stream")
            self.files[path] = Asset(body, media_type, cache_control)
            self.integrity[path] = expected

    def path(self, package: str, file: str) -> str:
        """Where ``file`` of ``package`` (an npm name, or ``perpgraph`` for our own) is
        served, under ``/static/``."""
        if package == "perpgraph":
            path = f"perpgraph/{file}"
        else:
            path = f"{package}@{self.versions[package]}/{file}"
        if path not in self.files:
            raise KeyError(f"{path} is not in the manifest")
        return path

    def script(self, package: str, file: str) -> str:
        path = self.path(package, file)
        return (
            f'<script src="static/{html.escape(path)}" integrity="{self.integrity[path]}"'
            ' crossorigin="anonymous"></script>'
        )

    def stylesheet(self, package: str, file: str) -> str:
        path = self.path(package, file)
        return (
            f'<link rel="stylesheet" href="static/{html.escape(path)}"'
            f' integrity="{self.integrity[path]}" crossorigin="anonymous">'
        )

    def icon(self, package: str, file: str, sizes: str) -> str:
        path = self.path(package, file)
        return (
            f'<link rel="icon" type="image/png" href="static/{html.escape(path)}" sizes="{sizes}">'
        )


def _integrity(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


@functools.cache
def load() -> Assets:
    """The packaged files (a few MB), read once per process."""
    static = importlib.resources.files("graph.server").joinpath("static")
    manifest = json.loads(static.joinpath("manifest.json").read_text())
    return Assets(manifest, lambda path: static.joinpath(path).read_bytes())


def _suffix(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name[name.rindex(".") :] if "." in name else ""


def _page(title: str, head: str, body: str) -> Asset:
    text = (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n{head}\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
    return Asset(text.encode(), "text/html; charset=utf-8", REVALIDATE)


def swagger_page(assets: Assets, openapi_url: str) -> Asset:
    head = "\n".join(
        [
            assets.stylesheet("swagger-ui-dist", "swagger-ui.css"),
            assets.icon("swagger-ui-dist", "favicon-32x32.png", "32x32"),
            assets.icon("swagger-ui-dist", "favicon-16x16.png", "16x16"),
        ]
    )
    body = "\n".join(
        [
            f'<div id="swagger-ui" data-openapi-url="{html.escape(openapi_url)}"></div>',
            assets.script("swagger-ui-dist", "swagger-ui-bundle.js"),
            assets.script("perpgraph", "docs-init.js"),
        ]
    )
    return _page("perpgraph REST API: Swagger UI", head, body)


def redoc_page(assets: Assets, openapi_url: str) -> Asset:
    body = "\n".join(
        [
            f'<redoc spec-url="{html.escape(openapi_url)}"></redoc>',
            assets.script("redoc", "bundles/redoc.standalone.js"),
        ]
    )
    return _page("perpgraph REST API: ReDoc", "", body)


def _accepts_gzip(accept_encoding: str) -> bool:
    for part in accept_encoding.split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() != "gzip":
            continue
        name, _, value = params.partition("=")
        if name.strip().lower() != "q":
            return True
        try:
            return float(value) > 0
        except ValueError:
            return False
    return False


async def _send(request: Request, asset: Asset) -> Response:
    headers = {"cache-control": asset.cache_control}
    body, etag = asset.body, asset.etag
    if asset.compressible:
        headers["vary"] = "accept-encoding"
        if _accepts_gzip(request.headers.get("accept-encoding", "")):
            body, etag = await asset.gzipped(), asset.etag[:-1] + '-gz"'
            headers["content-encoding"] = "gzip"
    headers["etag"] = etag
    asked = request.headers.get("if-none-match", "")
    if asked.strip() == "*" or etag in (tag.strip().removeprefix("W/") for tag in asked.split(",")):
        return Response(status_code=304, headers=headers)
    headers["content-length"] = str(len(body))
    if request.method == "HEAD":
        body = b""
    return Response(body, headers=headers, media_type=asset.media_type)


CDN = "https://unpkg.com/"  # where Strawberry's GraphiQL page takes its files from
_CDN_FILE = re.compile(r'(src|href)="https://unpkg\.com/([^"]+)"(\s+)integrity="([^"]+)"')


def graphiql_page(assets: Assets, *, cdn: bool = False) -> str:
    """Strawberry's GraphiQL page with its seven files served from here (``cdn``: from
    unpkg.com, as Strawberry serves it). Each file it names must be in the manifest with
    the integrity hash the page gives it (the very files it names), or this raises: a
    GraphiQL that would stay on "Loading..." fails at start instead."""
    page = get_graphql_ide_html(graphql_ide="graphiql")
    if cdn:
        return page

    def local(match: re.Match[str]) -> str:
        attribute, path, space, expected = match.groups()
        if assets.integrity.get(path) != expected:
            raise RuntimeError(
                f"GraphiQL names {CDN}{path} ({expected}), which graph/server/static does not"
                " hold: add it to tools/vendor_assets.py and run it"
            )
        return f'{attribute}="/static/{path}"{space}integrity="{expected}"'

    served = _CDN_FILE.sub(local, page)
    if CDN in served:
        raise RuntimeError(f"GraphiQL names a file of {CDN} without its integrity hash")
    return served


def asset_routes(openapi_url: str = "/openapi.json") -> list[BaseRoute]:
    """``GET /docs`` (Swagger UI), ``GET /redoc`` (ReDoc), both reading ``openapi_url``,
    and ``GET /static/{path}`` for the files of the manifest (``HEAD`` for each too)."""
    assets = load()
    docs = swagger_page(assets, openapi_url)
    redoc = redoc_page(assets, openapi_url)

    async def serve_docs(request: Request) -> Response:
        return await _send(request, docs)

    async def serve_redoc(request: Request) -> Response:
        return await _send(request, redoc)

    async def serve_static(request: Request) -> Response:
        asset = assets.files.get(request.path_params["path"])
        if asset is None:
            return problem(404, "NOT_FOUND", "no such file")
        return await _send(request, asset)

    return [
        Route("/docs", serve_docs),
        Route("/redoc", serve_redoc),
        Route("/static/{path:path}", serve_static),
    ]


__all__ = [
    "Asset",
    "Assets",
    "asset_routes",
    "graphiql_page",
    "load",
    "redoc_page",
    "swagger_page",
]
