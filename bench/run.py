"""``make bench``: measured figures, written as JSON to bench/results.json.

1. Hot query: requests/s and p50/p99 of ``{symbol(ticker:"BTC"){price funding{rate}}}``
   against the API, and of a plain Starlette endpoint returning the same JSON, by the same
   load generator (wrk) on loopback, in the same run.
2. Cold latency of a 20-field query with 100 ms injected at every replay route: every field's
   data is fetched (the symbol list is loaded at start-up); target under 1.3 x 100 ms.
3. Time to reject hostile documents (1,000 levels deep, 10,000 and 3,000 aliases).
4. marketSummary over the default five coins with 100 ms injected: cold and warm latency
   and upstream calls per summary; target cold under 3 upstream latencies.
5. Liquidation fan-out (bench/subscribers.py): 1,000 subscribers at 10, 50 and 200 events/s,
   with and without one stuck subscriber.
6. A full scalping snapshot (every layer) with 100 ms injected at every route, cold: its
   sources are fetched concurrently, so it should take close to one upstream latency.
   The MSS (bench/mss.py): a whole ``mss`` cold the same way, and ``mssScan`` of 50
   candidates (upstream calls and wall time).
7. Safety (bench/overload.py): 2x/4x/8x the uncached capacity offered open-loop, RSS after
   1,200 distinct 13 KB documents, Redis hung and Redis killed while serving.

Both servers run as their own uvicorn processes (1 worker) against the replay exchange.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import mss, overload, subscribers, unlimited  # noqa: E402
from graph.operations import load_registry  # noqa: E402
from graph.server.settings import Settings  # noqa: E402
from providers.replay.hyperliquid import CLEARINGHOUSE  # noqa: E402
from providers.replay.server import ReplayServer  # noqa: E402
from tests.support import ServerProcess, free_port  # noqa: E402

REPLAYED = ("BINANCE", "OKX", "FEARGREED", "HYPERLIQUID", "COINGECKO")
HOT_QUERY = '{ symbol(ticker: "BTC") { price funding { rate } } }'
COLD_FIELDS = """
  price markPrice indexPrice change24hPct quoteVolume24h high24h low24h
  funding { rate nextFundingTime }
  fundingHistory(limit: 10) { source }
  openInterest { baseQty usd }
  openInterestHistory(period: "1h", limit: 10) { source }
  globalRatio: longShortRatio(kind: GLOBAL_ACCOUNTS) { source }
  topAccounts: longShortRatio(kind: TOP_ACCOUNTS) { source }
  topPositions: longShortRatio(kind: TOP_POSITIONS) { source }
  takerVolume(period: "1h") { source }
  m1: candles(interval: "1m", limit: 100) { interval }
  m5: candles(interval: "5m", limit: 100) { interval }
  h1: candles(interval: "1h", limit: 100) { interval }
  orderbook(depth: 20) { spread }
  recentTrades(limit: 20) { source }
"""
COLD_TICKERS = ["BTC", "ETH", "SOL", "XRP", "DOGE", "BNB", "ADA", "LINK", "AVAX", "DOT"]
WRK_SECONDS = int(os.environ.get("PERPGRAPH_BENCH_SECONDS", "10"))
WRK_CONNECTIONS = 32
INJECTED_MS = int(os.environ.get("PERPGRAPH_BENCH_INJECTED_MS", "100"))


def bench_env(replay_url: str) -> dict[str, str]:
    """Every provider on the replay, the per-caller limits lifted (``bench.unlimited``)."""
    return {f"PERPGRAPH_{v}_BASE_URL": replay_url for v in REPLAYED} | unlimited()


def wrk(url: str, body: str, seconds: int, connections: int = WRK_CONNECTIONS) -> dict[str, Any]:
    env = {**os.environ, "PERPGRAPH_BENCH_QUERY": body}
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(ROOT / "bench/wrk_post.lua"),
            url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def plain_server(body: bytes) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PERPGRAPH_BENCH_BODY": body.decode()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.plain_app:app", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.post(f"{url}/graphql", content=b"{}")
            return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("plain server did not start")


def hot(replay_url: str) -> dict[str, Any]:
    env = bench_env(replay_url)
    # long TTLs so the run measures the hot path, not refills
    env.update({"PERPGRAPH_TTL_PRICE_S": "3600", "PERPGRAPH_TTL_PREMIUM_INDEX_S": "3600"})
    api = ServerProcess(env)
    api.start()
    body = json.dumps({"query": HOT_QUERY})
    try:
        answer = httpx.post(
            f"{api.url}/graphql", content=body, headers={"content-type": "application/json"}
        )
        answer.raise_for_status()
        assert "errors" not in answer.json(), answer.text
        plain, plain_url = plain_server(answer.content)
        try:
            wrk(f"{api.url}/graphql", body, 2)  # warm-up
            wrk(f"{plain_url}/graphql", body, 2)
            graphql = wrk(f"{api.url}/graphql", body, WRK_SECONDS)
            baseline = wrk(f"{plain_url}/graphql", body, WRK_SECONDS)
        finally:
            plain.terminate()
            plain.wait()
    finally:
        api.stop()
    return {
        "query": HOT_QUERY,
        "graphql": graphql,
        "plain_starlette": baseline,
        "ratio_of_plain": round(graphql["requests_per_s"] / baseline["requests_per_s"], 3),
        "target_ratio": 0.8,  # issue 13: 0.8 of the plain endpoint
    }


SHIM_ROUNDS = 3
SHIM_SECONDS = max(2, WRK_SECONDS // 2)


def rest_shim(replay_url: str) -> dict[str, Any]:
    """The REST surface's overhead over GraphQL for the same registry operation (``signal``
    for BTC), hot (the response cache answers both) and cold (response cache off, the data
    cache warm): requests per second of each in ``SHIM_ROUNDS`` alternating rounds, and
    REST's as a share of GraphQL's (the median round's)."""
    op = load_registry().operations["signal"]
    body = json.dumps(
        {"query": op.document, "variables": {"ticker": "BTC"}, "operationName": op.id}
    )
    out: dict[str, Any] = {"operation": op.id}
    for name, cache in (("hot", "true"), ("cold", "false")):
        env = bench_env(replay_url) | {"PERPGRAPH_RESPONSE_CACHE": cache}
        # every dataset kept an hour: "cold" is the response cache off, not upstream calls
        env |= {
            f"PERPGRAPH_{f.upper()}": "3600" for f in Settings.model_fields if f.startswith("ttl_")
        }
        api = ServerProcess(env)
        api.start()
        try:
            rest_url = f"{api.url}/api/v1/signal?ticker=BTC"
            assert httpx.get(rest_url).status_code == 200
            wrk(f"{api.url}/graphql", body, 2)  # warm-up
            wrk(rest_url, "", 2)
            rounds = []  # alternating, so that the machine's drift falls on both alike
            for _ in range(SHIM_ROUNDS):
                graphql = wrk(f"{api.url}/graphql", body, SHIM_SECONDS)
                rest = wrk(rest_url, "", SHIM_SECONDS)
                share = rest["requests_per_s"] / graphql["requests_per_s"]
                rounds.append({"graphql": graphql, "rest": rest, "share": round(share, 3)})
        finally:
            api.stop()
        shares = sorted(r["share"] for r in rounds)
        out[name] = {"rounds": rounds, "rest_share_of_graphql": shares[len(shares) // 2]}
    out["target"] = "REST hot within 1.2x of GraphQL hot: a share of at least 0.833"
    return out


def cold(replay_url: str) -> dict[str, Any]:
    env = bench_env(replay_url)
    env["PERPGRAPH_RESPONSE_CACHE"] = "false"
    env["PERPGRAPH_CACHE_NAMESPACE"] = f"bench-{uuid.uuid4().hex}"
    api = ServerProcess(env)
    api.start()
    runs: list[dict[str, Any]] = []
    try:
        time.sleep(0.5)  # let the start-up symbol-list load finish
        rule = {"route": "*", "latency_ms": INJECTED_MS}
        httpx.post(f"{replay_url}/_replay/faults", json=rule).raise_for_status()
        httpx.delete(f"{replay_url}/_replay/calls")
        client = httpx.Client(base_url=api.url, timeout=30)
        client.get("/healthz")  # one kept-alive connection, as a real frontend has
        for ticker in COLD_TICKERS:
            query = f'{{ symbol(ticker: "{ticker}") {{ {COLD_FIELDS} }} }}'
            started = time.perf_counter()
            response = client.post("/graphql", json={"query": query})
            elapsed_ms = (time.perf_counter() - started) * 1000
            result = response.json()
            fields = len(result["data"]["symbol"])
            errors = sorted({e["extensions"]["code"] for e in result.get("errors", [])})
            runs.append(
                {
                    "ticker": ticker,
                    "ms": round(elapsed_ms, 1),
                    "fields": fields,
                    "error_codes": errors,
                }
            )
        calls = httpx.get(f"{replay_url}/_replay/calls").json()
        client.close()
    finally:
        httpx.delete(f"{replay_url}/_replay/faults")
        api.stop()
    times: list[float] = [float(r["ms"]) for r in runs]
    return {
        "injected_latency_ms": INJECTED_MS,
        "runs": runs,
        "median_ms": statistics.median(times),
        "max_ms": max(times),
        "median_in_upstream_latencies": round(statistics.median(times) / max(INJECTED_MS, 1), 3),
        "target_in_upstream_latencies": 1.15,  # issue 13
        "upstream_calls": sum(calls.values()),
        "upstream_calls_by_path": calls,
    }


SUMMARY_QUERY = """{ marketSummary { sentiment failed { ticker code } coins { ticker direction score }
  averageScore liquidationPressure { label } explanationEn explanationId } }"""


def summary(replay_url: str) -> dict[str, Any]:
    """marketSummary (5 coins) with 100 ms injected at every route: cold, then warm."""
    env = bench_env(replay_url)
    env["PERPGRAPH_CACHE_NAMESPACE"] = f"bench-{uuid.uuid4().hex}"
    api = ServerProcess(env)
    api.start()
    try:
        time.sleep(0.5)  # the start-up symbol-list load
        rule = {"route": "*", "latency_ms": INJECTED_MS}
        httpx.post(f"{replay_url}/_replay/faults", json=rule).raise_for_status()
        httpx.delete(f"{replay_url}/_replay/calls")
        with httpx.Client(base_url=api.url, timeout=60) as client:
            client.get("/healthz")
            timings = []
            for _ in range(3):  # cold, then warm twice
                started = time.perf_counter()
                result = client.post("/graphql", json={"query": SUMMARY_QUERY}).json()
                timings.append(round((time.perf_counter() - started) * 1000, 1))
                if len(timings) == 1:
                    cold_calls = httpx.get(f"{replay_url}/_replay/calls").json()
            all_calls = httpx.get(f"{replay_url}/_replay/calls").json()
        body = result["data"]["marketSummary"]
    finally:
        httpx.delete(f"{replay_url}/_replay/faults")
        api.stop()
    return {
        "injected_latency_ms": INJECTED_MS,
        "cold_ms": timings[0],
        "cold_in_upstream_latencies": round(timings[0] / max(INJECTED_MS, 1), 2),
        "warm_ms": timings[1:],
        "target_cold_in_upstream_latencies": 2.0,  # issue 13
        "upstream_calls_cold": sum(cold_calls.values()),
        "upstream_calls_by_path": cold_calls,
        "upstream_calls_warm": sum(all_calls.values()) - sum(cold_calls.values()),
        "coins": [c["ticker"] for c in body["coins"]],
        "failed": body["failed"],
        "sentiment": body["sentiment"],
    }


SCALPING_LAYERS = """
  price { price recentHigh recentLow vwap } rsi { value } volumeDelta { delta }
  trend { emaAlignment structure } orderbook { imbalance spreadBps } funding { rate }
  fearGreed { value } largeTrades { scanned } longShortRatio { ratio } smartMoney { ratio }
  liquidations { longUsd shortUsd } whales { positions { accounts } recentTrades { scanned } }
  social { topic } summary { bias basedOn read }
"""
SCALPING_TICKERS = ["BTC", "ETH", "SOL", "SUSHI", "DOGE"]


def scalping(replay_url: str) -> dict[str, Any]:
    """Every scalping layer, cold, with 100 ms injected at every route (one query per
    ticker). The symbol lists (Binance's and OKX's, which OKX liquidations need) are
    cached first, as they are at start-up and for an hour after."""
    env = bench_env(replay_url)
    env["PERPGRAPH_RESPONSE_CACHE"] = "false"
    env["PERPGRAPH_CACHE_NAMESPACE"] = f"bench-{uuid.uuid4().hex}"
    env["PERPGRAPH_HYPERLIQUID_WHALE_ADDRESSES"] = ",".join(CLEARINGHOUSE)  # the recorded one
    api = ServerProcess(env)
    api.start()
    runs: list[dict[str, Any]] = []
    try:
        client = httpx.Client(base_url=api.url, timeout=30)
        time.sleep(0.5)  # the start-up symbol-list load
        warm = '{ scalping(ticker: "BTC") { liquidations { longUsd } } }'
        client.post("/graphql", json={"query": warm})  # OKX's instrument list, cached 1 h
        rule = {"route": "*", "latency_ms": INJECTED_MS}
        httpx.post(f"{replay_url}/_replay/faults", json=rule).raise_for_status()
        for ticker in SCALPING_TICKERS:
            httpx.delete(f"{replay_url}/_replay/calls")
            query = f'{{ scalping(ticker: "{ticker}", interval: "5m") {{ {SCALPING_LAYERS} }} }}'
            started = time.perf_counter()
            result = client.post("/graphql", json={"query": query}).json()
            elapsed_ms = (time.perf_counter() - started) * 1000
            calls = httpx.get(f"{replay_url}/_replay/calls").json()
            layers = result["data"]["scalping"]
            runs.append(
                {
                    "ticker": ticker,
                    "ms": round(elapsed_ms, 1),
                    "upstream_calls": sum(calls.values()),
                    "layers_served": sorted(k for k, v in layers.items() if v is not None),
                    "error_codes": sorted(
                        {e["extensions"]["code"] for e in result.get("errors", [])}
                    ),
                }
            )
        client.close()
    finally:
        httpx.delete(f"{replay_url}/_replay/faults")
        api.stop()
    times = [float(r["ms"]) for r in runs]
    return {
        "injected_latency_ms": INJECTED_MS,
        "runs": runs,
        "median_ms": statistics.median(times),
        "max_ms": max(times),
        "median_in_upstream_latencies": round(statistics.median(times) / max(INJECTED_MS, 1), 3),
        "sequential_would_be_ms": statistics.median(r["upstream_calls"] for r in runs)
        * INJECTED_MS,
    }


def hostile(replay_url: str) -> dict[str, Any]:
    """Time to reject hostile documents with the default settings (median of 20 each)."""
    env = bench_env(replay_url)
    api = ServerProcess(env)
    api.start()
    deep = '{ symbol(ticker: "BTC") ' + "{ x " * 1000 + "{ y }" + " }" * 1000 + " }"
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(10_000)) + " }"
    tokens = "{ " + " ".join(f"a{i}: __typename" for i in range(3_000)) + " }"
    out: dict[str, Any] = {}
    try:
        with httpx.Client(base_url=api.url, timeout=30) as client:
            for name, doc in (
                ("depth_1000", deep),
                ("aliases_10000", aliases),
                ("aliases_3000", tokens),
            ):
                times, status, codes = [], 0, set()
                for _ in range(20):
                    started = time.perf_counter()
                    response = client.post("/graphql", json={"query": doc})
                    times.append((time.perf_counter() - started) * 1000)
                    status = response.status_code
                    codes |= {e["extensions"]["code"] for e in response.json().get("errors", [])}
                out[name] = {
                    "body_bytes": len(json.dumps({"query": doc})),
                    "status": status,
                    "codes": sorted(codes),
                    "median_ms": round(statistics.median(times), 2),
                }
    finally:
        api.stop()
    return out


def warm_replay(replay_url: str) -> None:
    """Make the replay parse its recordings before timing: a real venue has no such cost."""
    with httpx.Client(base_url=replay_url) as client:
        client.get("/fapi/v2/ticker/price")
        for ticker in COLD_TICKERS:
            symbol = f"{ticker}USDT"
            client.get("/fapi/v1/ticker/24hr", params={"symbol": symbol})
            client.get("/fapi/v1/fundingRate", params={"symbol": symbol})
            client.get("/fapi/v1/premiumIndex", params={"symbol": symbol})
            for interval in ("1m", "5m", "1h"):
                client.get("/fapi/v1/klines", params={"symbol": symbol, "interval": interval})


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed: `apt-get install wrk` (make bench does this)", file=sys.stderr)
        return 2
    replay = ReplayServer(port=0)
    replay_url = replay.start()
    warm_replay(replay_url)
    try:
        results = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
            "hot_query": hot(replay_url),
            "cold_20_fields": cold(replay_url),
            "hostile_queries": hostile(replay_url),
            "market_summary": summary(replay_url),
            "scalping_snapshot": scalping(replay_url),
            "mss": mss.run(replay_url, bench_env, INJECTED_MS),
            "rest_shim": rest_shim(replay_url),
            "subscribers": subscribers.run(),
            "safety": overload.run(replay_url, wrk),
        }
    finally:
        replay.stop()
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
