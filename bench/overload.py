"""Safety figures for ``make bench``: overload, memory, and Redis as a helper.

1. Overload: the uncached capacity of ``{ symbol(ticker:"BTC") { price funding { rate } } }``
   (response cache off) is measured with wrk; then an open-loop generator
   (``bench.open_loop``: requests sent on schedule whatever the answers do, latency counted
   from the time each was due) offers 2x, 4x and 8x that rate for a few seconds each, while
   a process of its own (``bench.health_probe``) probes ``/healthz``. Reported: admitted
   (200) p50/p99, refused (503 / 429) p99, health p99, and the generator's own lateness
   (small: it was not the bottleneck).
   Retry storm: closed-loop clients that ignore Retry-After, adaptive bound vs a fixed one.
2. Memory: 1,200 distinct documents of about 13 KB each, sent one after another; the
   server's RSS before and after (from /proc).
3. Redis hung (accepts, never answers): ``symbol{price}`` latencies.
4. Redis killed while serving: hot-query capacity with Redis up and after it is killed,
   and the log lines the server wrote meanwhile.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench import open_loop
from bench.open_loop import percentile
from tests.support import ServerProcess, free_port

ROOT = Path(__file__).resolve().parents[1]
QUERY = '{ symbol(ticker: "BTC") { price funding { rate } } }'
SECONDS = float(os.environ.get("PERPGRAPH_BENCH_OVERLOAD_S", "4"))


def _server(env: dict[str, str], log: Path, ready: str = "/readyz") -> ServerProcess:
    """``perpgraph serve`` in its own process, its log kept in ``log`` to be counted."""
    server = ServerProcess(env, log)
    server.start(ready)
    return server


def _request(body: bytes, port: int) -> bytes:
    return (
        f"POST /graphql HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body


def _start_health_probe(url: str) -> subprocess.Popen[str]:
    """``bench.health_probe`` in its own process (``_health_latencies`` stops it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.health_probe", url],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _health_latencies(probe: subprocess.Popen[str]) -> list[float]:
    out, _ = probe.communicate("", timeout=30)  # stdin closed: it stops and reports
    latencies: list[float] = json.loads(out)
    return latencies


def overload(replay_env: dict[str, str], work: Path, capacity_wrk: Any) -> dict[str, Any]:
    env = {**replay_env, "PERPGRAPH_RESPONSE_CACHE": "false",
           "PERPGRAPH_TTL_PRICE_S": "3600", "PERPGRAPH_TTL_PREMIUM_INDEX_S": "3600"}  # fmt: skip
    server = _server(env, work / "overload.log")
    try:
        body = json.dumps({"query": QUERY})
        payload = _request(body.encode(), server.port)
        capacity_wrk(server.url + "/graphql", body, 2)  # warm-up
        capacity = _answered_per_s(capacity_wrk(server.url + "/graphql", body, 5))
        # The first second of overload, from the bound at its ceiling (64): the bound
        # adapts within it; reported on its own, then the runs measured after it.
        onset = open_loop.offer("127.0.0.1", server.port, payload, capacity * 2, 1.0)
        time.sleep(1)
        runs = {}
        for factor in (2, 4, 8):
            probe = _start_health_probe(server.url)
            run = open_loop.offer("127.0.0.1", server.port, payload, capacity * factor, SECONDS)
            health = _health_latencies(probe)
            run["healthz_p99_ms"] = percentile(sorted(health), 99)
            run["healthz_max_ms"] = round(max(health), 2)
            runs[f"{factor}x"] = run
            time.sleep(1)
    finally:
        server.stop()
    return {
        "query": QUERY,
        "uncached_capacity_per_s": capacity,
        "max_in_flight": 64,
        "loop_lag_target_ms": 0.5,
        "onset_2x_first_second": onset,
        "runs": runs,
        "targets": {"admitted_p99_ms": 250, "refused_p99_ms": 10, "healthz_p99_ms": 100},
    }


def _answered_per_s(measured: dict[str, Any]) -> int:
    """wrk's rate of 200 answers (what it counts as requests includes the refused)."""
    answered: float = measured["requests_per_s"] * (1 - measured["non2xx"] / measured["requests"])
    return round(answered)


def storm(replay_env: dict[str, str], work: Path, wrk: Any) -> dict[str, Any]:
    """Clients that retry at once whatever Retry-After says (wrk: every connection sends
    again as soon as it has an answer, 503 or not), 128 and 512 connections against 64
    slots: requests answered 200 per second with the adaptive bound, and with the bound
    fixed at 64 (a lag target no loop reaches) as the baseline, in the same run."""
    env = {**replay_env, "PERPGRAPH_RESPONSE_CACHE": "false",
           "PERPGRAPH_TTL_PRICE_S": "3600", "PERPGRAPH_TTL_PREMIUM_INDEX_S": "3600"}  # fmt: skip
    body = json.dumps({"query": QUERY})
    out: dict[str, Any] = {}
    for name, extra in (("adaptive", {}), ("fixed_64", {"PERPGRAPH_LOOP_LAG_TARGET_MS": "1e9"})):
        server = _server({**env, **extra}, work / f"storm-{name}.log")
        try:
            out[name] = {}
            for connections in (128, 512):
                wrk(server.url + "/graphql", body, 2, connections)
                measured = wrk(server.url + "/graphql", body, 4, connections)
                out[name][f"{connections}_connections_answered_per_s"] = _answered_per_s(measured)
        finally:
            server.stop()
    for connections in (128, 512):
        key = f"{connections}_connections_answered_per_s"
        out[f"ratio_{connections}"] = round(out["adaptive"][key] / out["fixed_64"][key], 2)
    return out


def memory(replay_env: dict[str, str], work: Path) -> dict[str, Any]:
    server = _server(replay_env, work / "memory.log")
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            client.post("/graphql", json={"query": "{ __typename }"})
            before = server.rss_mib()
            sizes = []
            for n in range(1200):
                # distinct valid documents of ~13 KB (45 aliases, under the limit of 50)
                fields = " ".join(f"a{n}_{i}_{'x' * 270}: __typename" for i in range(45))
                doc = "{ " + fields + " }"
                sizes.append(len(doc))
                answer = client.post("/graphql", json={"query": doc})
                assert "errors" not in answer.json(), answer.text[:200]  # parsed, validated, run
            after = server.rss_mib()
    finally:
        server.stop()
    return {
        "documents": 1200,
        "document_bytes": round(statistics.mean(sizes)),
        "rss_before_mib": round(before, 1),
        "rss_after_mib": round(after, 1),
        "grew_mib": round(after - before, 1),
        "target_grew_mib": 100,
    }


def redis_hung(replay_env: dict[str, str], work: Path) -> dict[str, Any]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)  # accepts (the backlog), never answers
    env = {**replay_env, "PERPGRAPH_REDIS_URL": f"redis://127.0.0.1:{listener.getsockname()[1]}/0"}
    server = _server(env, work / "redis-hung.log", ready="/healthz")
    try:
        times = []
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for _ in range(50):
                started = time.perf_counter()
                answer = client.post(
                    "/graphql", json={"query": '{ symbol(ticker: "BTC") { price } }'}
                )
                times.append((time.perf_counter() - started) * 1000)
                assert answer.json()["data"]["symbol"]["price"] > 0, answer.text
    finally:
        server.stop()
        listener.close()
    return {
        "first_ms": round(times[0], 1),
        "p50_ms": percentile(sorted(times), 50),
        "max_ms": round(max(times), 1),
        "target_ms": 500,
    }


def redis_killed(replay_env: dict[str, str], work: Path, wrk: Any) -> dict[str, Any]:
    port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    env = {**replay_env, "PERPGRAPH_REDIS_URL": f"redis://127.0.0.1:{port}/0",
           "PERPGRAPH_TTL_PRICE_S": "3600", "PERPGRAPH_TTL_PREMIUM_INDEX_S": "3600"}  # fmt: skip
    server = _server(env, work / "redis-killed.log")
    try:
        body = json.dumps({"query": QUERY})
        wrk(server.url + "/graphql", body, 2)
        up = wrk(server.url + "/graphql", body, 5)
        lines_before = len(server.log_lines())
        redis.send_signal(signal.SIGKILL)
        redis.wait()
        down = wrk(server.url + "/graphql", body, 5)
        lines = server.log_lines()[lines_before:]
    finally:
        server.stop()
        if redis.poll() is None:
            redis.kill()
    return {
        "hot_per_s_redis_up": up["requests_per_s"],
        "hot_per_s_redis_killed": down["requests_per_s"],
        "p99_ms_redis_killed": down.get("p99_ms"),
        "log_lines_after_kill": len(lines),
        "log_lines": [line[:160] for line in lines[:5]],
    }


def run(replay_url: str, wrk: Any) -> dict[str, Any]:
    from bench.run import bench_env

    env = bench_env(replay_url)
    work = ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    return {
        "overload": overload(env, work, wrk),
        "retry_storm": storm(env, work, wrk),
        "memory_unique_documents": memory(env, work),
        "redis_hung": redis_hung(env, work),
        "redis_killed": redis_killed(env, work, wrk),
    }


__all__ = ["run"]
