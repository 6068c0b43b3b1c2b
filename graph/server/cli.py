"""``perpgraph`` command line: serve, replay, ingest, migrate, watch, export-schema.

perpgraph serve [--host H] [--port P] [--workers N] [--replay]
perpgraph replay [--host H] [--port P]
perpgraph ingest            (the liquidation streams alone, publishing to Redis)
perpgraph migrate           (the history database's SQL migrations)
perpgraph watch             (the signal recorder alone)
perpgraph keys create --role read|write|admin --name N | keys list | keys revoke ID
perpgraph export-schema
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import uvicorn

from graph.schema import build_schema
from graph.server.logs import configure, log_config
from graph.server.protocol import ShedInProtocol
from graph.server.settings import Settings
from providers.binance import ws as binance_ws

_REPLAYED = ("BINANCE", "OKX", "FEARGREED", "HYPERLIQUID", "COINGECKO")
# the recorded streams the demo loops: Binance's liquidations (OKX's recording holds one push
# of a kind its ingest does not subscribe to: nothing to play again)
LOOPED_STREAMS = (binance_ws.WS_VENUE.raw_path,)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How uvicorn serves the app (``serve``, and the tests' servers, use these)."""
    proxies = settings.trusted_proxies.strip()
    return {
        "access_log": False,
        "ws": "websockets-sansio",
        "ws_max_size": settings.max_body_bytes,  # a WebSocket message as large as a body
        # compressing would deflate each frame once per connection (its own zlib context):
        # off, a group's frame is framed alike for all (PERPGRAPH_WS_COMPRESSION)
        "ws_per_message_deflate": settings.ws_compression,
        "server_header": False,  # no banner
        "http": ShedInProtocol,  # refuses at capacity before any ASGI work
        # X-Forwarded-For is believed from the listed proxies only (uvicorn believes
        # loopback by default, so anyone local could pose as any address)
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or "",
    }


def _serve(args: argparse.Namespace) -> int:
    if args.replay:  # workers read it from the environment too
        os.environ["PERPGRAPH_REPLAY"] = "true"
    settings = Settings()
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    workers = args.workers or settings.workers
    configure(settings.log_level)
    if workers > 1 and settings.database_url is not None:
        # each process needs its own history outbox (one writer per file), and the recorder
        # must run once: serve history with one worker, or run `perpgraph watch` beside it
        raise SystemExit("PERPGRAPH_DATABASE_URL needs --workers 1 (history has one writer)")
    replay = None
    if args.replay:
        from providers.replay.server import ReplayServer
        from providers.replay.streams import StreamRule

        replay = ReplayServer(port=0)
        if settings.replay_loop:  # each liquidation recording plays again when it ends
            for path in LOOPED_STREAMS:
                replay.app.streams.add(StreamRule(path=path, loop=True))
        url = replay.start()
        for venue in _REPLAYED:  # workers read settings from the environment
            os.environ[f"PERPGRAPH_{venue}_BASE_URL"] = url
        for venue in ("BINANCE", "OKX"):  # the replayed liquidation streams
            os.environ[f"PERPGRAPH_{venue}_WS_URL"] = "ws" + url.removeprefix("http")
        print(f"replay exchange on {url} (recorded data, not live)", file=sys.stderr)
    try:
        uvicorn.run(
            "graph.server.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=log_config(settings.log_level),
            **uvicorn_options(settings),
        )
    finally:
        if replay is not None:
            replay.stop()
    return 0


def _replay(args: argparse.Namespace) -> int:
    from providers.replay.server import run_replay

    configure("INFO")
    run_replay(args.host or "127.0.0.1", 8900 if args.port is None else args.port)
    return 0


def _until_stopped(job: Callable[[Settings], Coroutine[Any, Any, None]]) -> int:
    """Run a job of ``perpgraph ingest`` / ``watch`` until Ctrl-C or SIGTERM."""
    import asyncio
    import contextlib

    settings = Settings()
    configure(settings.log_level)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(job(settings))
    return 0


def _ingest(_: argparse.Namespace) -> int:
    from graph.server.jobs.ingest import run_ingest

    return _until_stopped(run_ingest)


def _migrate(_: argparse.Namespace) -> int:
    """Apply the pending migrations over one connection of its own: not through the
    services, whose history store would take the outbox file of a server running beside."""
    import asyncio

    from providers.history import migrate

    settings = Settings()
    configure(settings.log_level)
    if settings.database_url is None:
        raise SystemExit("perpgraph migrate needs PERPGRAPH_DATABASE_URL")
    applied = asyncio.run(migrate(settings.database_url.get_secret_value()))
    print(f"applied: {', '.join(applied)}" if applied else "nothing to apply: up to date")
    return 0


def _watch(_: argparse.Namespace) -> int:
    from graph.server.jobs.recorder import run_watch

    return _until_stopped(run_watch)


def _keys(args: argparse.Namespace) -> int:
    """``perpgraph keys create|list|revoke``: the API keys in PostgreSQL. A new key is
    printed once, on stdout, and never again (only its digest is stored)."""
    import asyncio

    from providers.errors import ProviderError
    from providers.history.keys import KeyStore

    settings = Settings()
    if settings.database_url is None:
        raise SystemExit(
            "perpgraph keys needs PERPGRAPH_DATABASE_URL (or give digests in PERPGRAPH_API_KEYS)"
        )

    dsn = settings.database_url.get_secret_value()

    async def run() -> str:
        store = KeyStore(dsn)
        try:
            if args.action == "create":
                made = await store.create(args.name, args.role)
                return f"{made.key}\nid {made.record.id}, role {made.record.role}: keep the key now, it is not shown again"
            if args.action == "revoke":
                if await store.revoke(args.id):
                    return f"revoked {args.id}"
                raise SystemExit(f"no live key with id {args.id}")
            rows = await store.all()
            return (
                "\n".join(
                    f"{r.id}  {r.role:<5}  {r.created_at:%Y-%m-%d %H:%M}  "
                    f"{'revoked ' + format(r.revoked_at, '%Y-%m-%d %H:%M') if r.revoked_at else 'live':<24}  {r.name}"
                    for r in rows
                )
                or "no keys"
            )
        finally:
            await store.close()

    try:
        print(asyncio.run(run()))
    except (ProviderError, ValueError) as exc:
        raise SystemExit(f"perpgraph keys: {getattr(exc, 'message', exc)}") from None
    return 0


def _export_schema(_: argparse.Namespace) -> int:
    sys.stdout.write(build_schema().as_str() + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="perpgraph", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the GraphQL API server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.add_argument(
        "--replay",
        action="store_true",
        help="start the replay exchange on loopback and point every provider at it",
    )
    serve.set_defaults(run=_serve)
    replay = sub.add_parser("replay", help="run the replay exchange alone")
    replay.add_argument("--host")
    replay.add_argument("--port", type=int)
    replay.set_defaults(run=_replay)
    ingest = sub.add_parser("ingest", help="run the liquidation streams alone, onto Redis")
    ingest.set_defaults(run=_ingest)
    migrate = sub.add_parser("migrate", help="apply the history database's SQL migrations")
    migrate.set_defaults(run=_migrate)
    watch = sub.add_parser(
        "watch", help="record the watchlist's signals and score their outcomes, no server"
    )
    watch.set_defaults(run=_watch)
    keys = sub.add_parser("keys", help="make, list and revoke API keys (PostgreSQL)")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a key; it is printed once")
    create.add_argument("--role", choices=("read", "write", "admin"), default="read")
    create.add_argument("--name", required=True)
    actions.add_parser("list", help="every key: id, role, made, revoked, name (never the key)")
    revoke = actions.add_parser("revoke", help="refuse a key from now on, on every instance")
    revoke.add_argument("id")
    keys.set_defaults(run=_keys)
    export = sub.add_parser("export-schema", help="print the GraphQL SDL to stdout")
    export.set_defaults(run=_export_schema)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
