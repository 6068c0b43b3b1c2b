"""``make bench``'s MSS figures (issue 14): a whole ``mss`` cold with latency injected at every
replay route, and ``mssScan`` of 50 candidates (their upstream calls and wall time).

Both run against the replay with a LunarCrush key, so the social phase calls LunarCrush's
recorded route too. Each ``mss`` run is a coin not asked before on a fresh cache namespace:
every one of its calls goes upstream.
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.support import ServerProcess

MSS_TICKERS = ["BTC", "ETH", "SOL", "SUSHI", "XRP", "DOGE", "BNB", "ADA"]
MSS_FIELDS = """score points maxPoints tier
  discovery { points maxPoints } social { points maxPoints } institutional { points maxPoints }"""
SCAN_SIZE = 50
SCAN_QUERY = """query($t: [String!]) { mssScan(tickers: $t, first: 50) { scanned
  entries { ticker errorCode mss { score tier } } } }"""


def _server(env: dict[str, str], replay_url: str) -> ServerProcess:
    env = env | {
        "PERPGRAPH_RESPONSE_CACHE": "false",
        "PERPGRAPH_CACHE_NAMESPACE": f"bench-{uuid.uuid4().hex}",
        "PERPGRAPH_LUNARCRUSH_BASE_URL": replay_url,
        "PERPGRAPH_LUNARCRUSH_API_KEY": "bench-key-not-real",
    }
    api = ServerProcess(env)
    api.start()
    time.sleep(0.5)  # the start-up symbol-list loads
    return api


def _listed(replay_url: str, count: int) -> list[str]:
    """``count`` base assets the replay's exchange info lists as TRADING USDT perpetuals."""
    info = httpx.get(f"{replay_url}/fapi/v1/exchangeInfo").json()
    bases = [
        s["baseAsset"]
        for s in info["symbols"]
        if s["status"] == "TRADING" and s.get("contractType") == "PERPETUAL"
        and s["quoteAsset"] == "USDT"
    ]  # fmt: skip
    return list(dict.fromkeys(bases))[:count]


def _calls(replay_url: str) -> dict[str, int]:
    return dict(httpx.get(f"{replay_url}/_replay/calls").json())


def run(
    replay_url: str, bench_env: Callable[[str], dict[str, str]], injected_ms: int
) -> dict[str, Any]:
    env = bench_env(replay_url)
    rule = {"route": "*", "latency_ms": injected_ms}
    out: dict[str, Any] = {"injected_latency_ms": injected_ms}
    api = _server(env, replay_url)
    try:
        client = httpx.Client(base_url=api.url, timeout=60)
        client.get("/healthz")
        httpx.post(f"{replay_url}/_replay/faults", json=rule).raise_for_status()
        runs = []
        for ticker in MSS_TICKERS:
            httpx.delete(f"{replay_url}/_replay/calls")
            query = f'{{ mss(ticker: "{ticker}") {{ {MSS_FIELDS} }} }}'
            started = time.perf_counter()
            result = client.post("/graphql", json={"query": query}).json()
            elapsed = (time.perf_counter() - started) * 1000
            calls = _calls(replay_url)
            runs.append(
                {
                    "ticker": ticker,
                    "ms": round(elapsed, 1),
                    "upstream_calls": sum(calls.values()),
                    "score": result["data"]["mss"]["score"],
                    "errors": len(result.get("errors", [])),
                }
            )
        times = [float(r["ms"]) for r in runs]
        out["mss_cold"] = {
            "runs": runs,
            "median_ms": statistics.median(times),
            "median_in_upstream_latencies": round(statistics.median(times) / injected_ms, 3),
            "target": "close to one upstream latency (all three phases' calls concurrent)",
        }
        client.close()
    finally:
        httpx.delete(f"{replay_url}/_replay/faults")
        api.stop()
    out["scan_50"] = _scan(env, replay_url, rule)
    return out


def _scan(env: dict[str, str], replay_url: str, rule: dict[str, Any]) -> dict[str, Any]:
    api = _server(env, replay_url)
    try:
        client = httpx.Client(base_url=api.url, timeout=120)
        tickers = _listed(replay_url, SCAN_SIZE)
        httpx.post(f"{replay_url}/_replay/faults", json=rule).raise_for_status()
        httpx.delete(f"{replay_url}/_replay/calls")
        started = time.perf_counter()
        result = client.post("/graphql", json={"query": SCAN_QUERY, "variables": {"t": tickers}})
        elapsed = (time.perf_counter() - started) * 1000
        calls = _calls(replay_url)
        body = result.json()
        client.close()
    finally:
        httpx.delete(f"{replay_url}/_replay/faults")
        api.stop()
    scan = body["data"]["mssScan"]
    return {
        "candidates": len(tickers),
        "scanned": scan["scanned"],
        "scored": sum(1 for e in scan["entries"] if e["mss"] and e["mss"]["score"] is not None),
        "wall_ms": round(elapsed, 1),
        "upstream_calls": sum(calls.values()),
        "upstream_calls_by_path": calls,
        "note": "CoinGecko and LunarCrush answer all candidates in one call each; Binance's "
        "statistics and book cost 4 calls a candidate, 8 candidates at a time",
    }


__all__ = ["run"]
