"""Swagger UI at ``/docs`` and ReDoc at ``/redoc``, from the package's own files: every
asset a page names is served, is what the manifest's SRI hash says, and comes from this
origin; each package brings its licence; nothing outside the manifest is served.

The same checks run against ``asset_routes()`` alone (in process) and against the real
server. Whether the pages render is checked by hand in a browser (CI has none)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from graph.server.assets import IMMUTABLE, REVALIDATE, Assets, asset_routes, load
from tests.support import ApiServer

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "graph" / "server" / "static"
MANIFEST = json.loads((STATIC / "manifest.json").read_text())
PAGES = ("/docs", "/redoc")
MEDIA_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".json": "application/json",
}
NOT_SERVED = [
    "/static/",
    "/static/manifest.json",
    "/static/../assets.py",
    "/static/%2e%2e/assets.py",
    "/static/%2e%2e/%2e%2e/server/assets.py",
    "/static/perpgraph/../manifest.json",
    "/static/redoc@2.5.4/../swagger-ui-dist@5.36.0/LICENSE",  # a served file, by ..
    "/static/redoc@2.5.4",
    "/static/redoc@2.5.4/package.json",
    "/static/redoc@2.5.4/bundles/redoc.standalone.js.map",
    "/static/redoc@0.0.0/LICENSE",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/perpgraph%2f..%2f..%2fassets.py",
]
RawStatus = Callable[[str], Awaitable[int]]


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def served_files() -> dict[str, str]:
    """Every path the manifest lists, under /static/, with its integrity."""
    files = {
        f"/static/{name}@{package['version']}/{path}": meta["integrity"]
        for name, package in MANIFEST["packages"].items()
        for path, meta in package["files"].items()
    }
    files.update({f"/static/{path}": meta["integrity"] for path, meta in MANIFEST["own"].items()})
    return files


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


async def check_pages(client: httpx.AsyncClient, raw_status: RawStatus) -> None:
    """What both the in-process app and the real server must answer."""
    base = str(client.base_url).rstrip("/")
    files = served_files()
    named: set[str] = set()
    for page in PAGES:
        answer = await client.get(page)
        assert answer.status_code == 200, page
        assert answer.headers["content-type"] == "text/html; charset=utf-8"
        assert "http://" not in answer.text and "https://" not in answer.text, page
        scripts = 0
        for tag, attrs in tags_of(answer.text):
            address = attrs.get("src") or attrs.get("href")
            if address is None:
                continue
            assert not address.startswith("//"), (page, address)
            url = urljoin(f"{base}{page}", address)
            assert urlsplit(url).netloc == urlsplit(base).netloc, (page, address)
            path = urlsplit(url).path
            assert path in files, f"{page} names {address}, which the manifest does not list"
            named.add(path)
            asset = await client.get(path)
            assert asset.status_code == 200, path
            assert sri(asset.content) == files[path], path
            if tag == "script" or attrs.get("rel") == "stylesheet":
                assert attrs.get("integrity") == files[path], (page, address)
                assert "crossorigin" in attrs, (page, address)
                scripts += tag == "script"
        assert scripts, f"{page} loads no script"
        assert "<script>" not in answer.text, f"{page} has an inline script"
    assert "/static/perpgraph/docs-init.js" in named
    assert "/static/redoc@2.5.4/bundles/redoc.standalone.js" in named

    # every listed file: its bytes, type and caching; licences among them
    for path, integrity in files.items():
        asset = await client.get(path)
        assert asset.status_code == 200, path
        assert sri(asset.content) == integrity, path
        suffix = Path(path).suffix
        expected = MEDIA_TYPES.get(suffix, "text/plain")
        assert asset.headers["content-type"].startswith(expected), path
        own = path.startswith("/static/perpgraph/")
        assert asset.headers["cache-control"] == (REVALIDATE if own else IMMUTABLE), path
        again = await client.get(path, headers={"if-none-match": asset.headers["etag"]})
        assert again.status_code == 304 and again.content == b"", path
    for name, package in MANIFEST["packages"].items():
        assert package["licenseFiles"], name
        # a LICENSE file, or (a package that ships none) its package.json, which states it
        assert {"LICENSE", "package.json"} & set(package["licenseFiles"]), name
        for licence in package["licenseFiles"]:
            text = await client.get(f"/static/{name}@{package['version']}/{licence}")
            assert text.status_code == 200 and text.text.strip(), (name, licence)
            if licence == "package.json":
                assert text.json()["license"] == package["license"], name
        assert package["license"] in ("MIT", "Apache-2.0"), name
        if "LICENSE" in package["licenseFiles"]:
            licence = await client.get(f"/static/{name}@{package['version']}/LICENSE")
            assert ("MIT" if package["license"] == "MIT" else "Apache License") in licence.text

    for path in NOT_SERVED:
        assert await raw_status(path) == 404, path
    bundle = "/static/swagger-ui-dist@5.36.0/swagger-ui-bundle.js"
    head = await client.head(bundle)
    whole = await client.get(bundle)
    assert head.status_code == 200 and head.content == b""
    for header in ("content-length", "content-type", "etag", "cache-control", "content-encoding"):
        assert head.headers.get(header) == whole.headers.get(header), header
    assert (await client.post(bundle)).status_code == 405
    assert (await client.head("/docs")).status_code == 200


def _asgi_raw(app: ASGIApp) -> RawStatus:
    """The status ``app`` answers for a path exactly as given (httpx would resolve ``..``)."""

    async def status(path: str) -> int:
        raw = path.encode()
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": unquote(path),  # as a server gives it: unquoted, ``..`` left as sent
            "raw_path": raw,
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"test")],
            "server": ("test", 80),
            "client": ("127.0.0.1", 1),
        }
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return int(sent[0]["status"])

    return status


def _socket_raw(url: str) -> RawStatus:
    """The status a server answers for a request target sent byte for byte."""
    parts = urlsplit(url)

    async def status(path: str) -> int:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n"
            writer.write(request.encode())
            await writer.drain()
            line = await reader.readline()
        finally:
            writer.close()
            await writer.wait_closed()
        return int(line.split()[1])

    return status


async def _stub_openapi(request: Request) -> Response:
    return JSONResponse({"openapi": "3.1.0", "info": {"title": "stub", "version": "0"}})


def _app(openapi_url: str = "/openapi.json") -> Starlette:
    return Starlette(routes=[*asset_routes(openapi_url), Route("/openapi.json", _stub_openapi)])


async def test_the_pages_and_their_assets_in_process() -> None:
    app = _app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        await check_pages(client, _asgi_raw(app))
        docs, redoc = (await client.get("/docs")).text, (await client.get("/redoc")).text
        assert 'data-openapi-url="/openapi.json"' in docs
        assert '<redoc spec-url="/openapi.json">' in redoc
        assert (await client.get("/openapi.json")).status_code == 200


async def test_the_pages_and_their_assets_on_the_server(api: Callable[..., ApiServer]) -> None:
    server = api()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        await check_pages(client, _socket_raw(server.url))
        document = (await client.get("/openapi.json")).json()  # what the pages load
        schemes = document["components"]["securitySchemes"]
        assert schemes["ApiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}


async def test_text_is_gzipped_when_asked_and_only_then() -> None:
    app = _app()
    path = "/static/redoc@2.5.4/bundles/redoc.standalone.js"
    integrity = served_files()[path]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        zipped = await client.get(path, headers={"accept-encoding": "gzip, br"})
        plain = await client.get(path, headers={"accept-encoding": "identity"})
        refused = await client.get(path, headers={"accept-encoding": "gzip;q=0"})
        image = await client.get("/static/swagger-ui-dist@5.36.0/favicon-32x32.png")
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2
    assert sri(zipped.content) == sri(plain.content) == integrity  # httpx decodes it
    assert "content-encoding" not in plain.headers and "content-encoding" not in refused.headers
    assert zipped.headers["etag"] != plain.headers["etag"]  # two representations
    assert zipped.headers["vary"] == plain.headers["vary"] == "accept-encoding"
    assert "content-encoding" not in image.headers and "vary" not in image.headers


async def test_the_openapi_address_is_escaped_into_the_pages() -> None:
    app = _app('/openapi.json?a=1&b="2"')
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        docs, redoc = (await client.get("/docs")).text, (await client.get("/redoc")).text
    assert 'data-openapi-url="/openapi.json?a=1&amp;b=&quot;2&quot;"' in docs
    assert 'spec-url="/openapi.json?a=1&amp;b=&quot;2&quot;"' in redoc


def test_a_file_that_differs_from_the_manifest_fails_at_start() -> None:
    def tampered(path: str) -> bytes:
        data = (STATIC / path).read_bytes()
        return data + b"\n" if path == "perpgraph/docs-init.js" else data

    with pytest.raises(RuntimeError, match=r"vendor_assets\.py"):
        Assets(MANIFEST, tampered)
    assert set(load().files) == {path.removeprefix("/static/") for path in served_files()}


def test_the_manifest_is_what_the_vendoring_tool_would_write() -> None:
    """Also catches an edit to a file of our own without re-running the tool."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "vendor_assets.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    vendored = [path for package in MANIFEST["packages"].values() for path in package["files"]]
    assert not [path for path in vendored if path.endswith(".map")]
    on_disk = {p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*") if p.is_file()}
    listed = {path.removeprefix("/static/") for path in served_files()} | {"manifest.json"}
    assert on_disk == listed, "graph/server/static/ holds files the manifest does not list"


GRAPHIQL_FILES = 7  # what Strawberry's GraphiQL page names: React, ReactDOM, js-cookie, ...


async def test_graphiql_takes_its_files_from_here(api: Callable[..., ApiServer]) -> None:
    """GraphiQL's page (``GET /graphql`` from a browser) names its seven files at this
    origin, each the very file Strawberry's page names (its own integrity hash), served
    with those bytes; the CSP lets nothing in from elsewhere. With
    ``PERPGRAPH_GRAPHIQL_CDN`` they come from unpkg.com, as Strawberry serves them."""
    files = served_files()
    server = api()
    html_page = {"accept": "text/html"}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        page = await client.get("/graphql", headers=html_page)
        assert page.status_code == 200 and "GraphiQL" in page.text
        assert "unpkg.com" not in page.text
        assert "unpkg.com" not in page.headers["content-security-policy"]
        named = []
        for _tag, attrs in tags_of(page.text):
            address = attrs.get("src") or attrs.get("href")
            if address is None or address.startswith("data:"):
                continue
            assert address.startswith("/static/"), address
            assert attrs.get("integrity") == files[address], address
            asset = await client.get(address)
            assert asset.status_code == 200 and sri(asset.content) == files[address]
            named.append(address)
    assert len(named) == GRAPHIQL_FILES, named
    cdn = api(graphiql_cdn=True)
    async with httpx.AsyncClient(base_url=cdn.url, timeout=30) as client:
        page = await client.get("/graphql", headers=html_page)
    assert "https://unpkg.com/graphiql@3.8.3/graphiql.min.js" in page.text
    assert "https://unpkg.com" in page.headers["content-security-policy"]
