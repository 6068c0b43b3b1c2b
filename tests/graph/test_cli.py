"""The ``perpgraph`` command: export-schema, and ``serve --replay`` answering over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.support import ROOT, free_port


def test_export_schema_prints_the_committed_sdl() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "graph.cli", "export-schema"],
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
        [sys.executable, "-m", "graph.cli", "serve", "--replay", "--port", str(port)],
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
    symbol = answer["data"]["symbol"]
    assert symbol["ticker"] == "BTC"
    assert symbol["markPrice"] > 0
    assert symbol["premiumIndex"]["source"] == "binance via perpgraph-replay"
