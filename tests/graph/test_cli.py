"""The ``perpgraph`` command: export-schema, and ``serve --replay`` answering over HTTP."""

from __future__ import annotations

import asyncio
import os
import select
import subprocess
import sys
import time
import uuid

import asyncpg
import httpx

from providers.history import MIGRATIONS
from tests.support import ROOT, free_port


def test_export_schema_prints_the_committed_sdl() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "graph.server.cli", "export-schema"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out == (ROOT / "schema.graphql").read_text()


def test_serve_with_replay_serves_graphiql_and_recorded_data() -> None:
    port = free_port()
    env = {**os.environ, "PERPGRAPH_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph.server.cli", "serve", "--replay", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.1)
        assert proc.stderr is not None
        said = ""
        while "replay exchange on " not in said:  # "replay exchange on http://... (recorded"
            ready, _, _ = select.select(
                [proc.stderr], [], [], max(0.0, deadline - time.monotonic())
            )
            assert ready, "the server never said where its replay exchange is"
            said = proc.stderr.readline().decode()
            assert said, "the server never said where its replay exchange is"
        replay_url = said.split("replay exchange on ", 1)[1].split(" ", 1)[0]
        rules = httpx.get(f"{replay_url}/_replay/streams").json()["streams"]
        page = httpx.get(f"{url}/graphql", headers={"accept": "text/html"})
        answer = httpx.post(
            f"{url}/graphql",
            json={
                "query": '{ symbol(ticker: "btc") { ticker markPrice premiumIndex { source } } }'
            },
            timeout=30,
        ).json()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if proc.stderr:
            proc.stderr.close()
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    # the demo keeps streaming: every recorded stream plays again when it ends
    assert [(r["path"], r["loop"]) for r in rules] == [("/ws/!forceOrder@arr", True)]
    symbol = answer["data"]["symbol"]
    assert symbol["ticker"] == "BTC"
    assert symbol["markPrice"] > 0
    assert symbol["premiumIndex"]["source"] == "binance via perpgraph-replay"


def test_migrate_applies_once_then_is_up_to_date() -> None:
    name = f"perpgraph_cli_{uuid.uuid4().hex[:10]}"
    admin = "postgresql://postgres@127.0.0.1:5432/test"

    async def admin_sql(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin_sql(f'CREATE DATABASE "{name}"'))
    env = {**os.environ, "PERPGRAPH_DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{name}"}
    try:
        runs = [
            subprocess.run(
                [sys.executable, "-m", "graph.server.cli", "migrate"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            for _ in range(2)
        ]
    finally:
        asyncio.run(admin_sql(f'DROP DATABASE IF EXISTS "{name}"'))
    migrations = sorted(p.stem.split("_")[0] for p in MIGRATIONS.glob("*.sql"))
    assert runs == [f"applied: {', '.join(migrations)}", "nothing to apply: up to date"]


def test_migrate_and_watch_without_a_database_say_what_is_missing() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PERPGRAPH_DATABASE_URL"}
    for command in ("migrate", "watch"):
        done = subprocess.run(
            [sys.executable, "-m", "graph.server.cli", command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode != 0
        assert "PERPGRAPH_DATABASE_URL" in done.stderr
