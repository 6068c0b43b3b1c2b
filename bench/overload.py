"""Safety figures for ``make bench``: overload, memory, and Redis as a helper.

1. Overload: the uncached capacity of ``{ symbol(ticker:"BTC") { price funding { rate } } }``
   (response cache off) is measured with wrk; then an open-loop generator (``Generator``:
   requests sent on schedule whatever the answers do, latency counted from the scheduled
   time) offers 2x, 4x and 8x that rate for a few seconds each, while a separate process
   probes ``/healthz``. Reported: admitted (200) p50/p99, refused (503 / 429) p99, health p99.
2. Memory: 1,200 distinct documents of about 13 KB each, sent one after another; the
   server's RSS before and after (from /proc).
3. Redis hung (accepts, never answers): ``symbol{price}`` latencies.
4. Redis killed while serving: hot-query capacity with Redis up and after it is killed,
   and the log lines the server wrote meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUERY = '{ symbol(ticker: "BTC") { price funding { rate } } }'
SECONDS = float(os.environ.get("PERPGRAPH_BENCH_OVERLOAD_S", "4"))


class Server:
    """``perpgraph serve`` in its own process, its log in a file (counted, never blocking)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        from tests.support import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log
        base = {"PERPGRAPH_LIQUIDATION_STREAMS": "", "PERPGRAPH_LOG_LEVEL": "WARNING"}
        self._env = {**os.environ, **base, **env}
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, ready: str = "/readyz") -> Server:
        with self._log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "graph.server.cli", "serve", "--port", str(self.port)],
                cwd=ROOT, env=self._env, stdout=subprocess.DEVNULL, stderr=out,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + ready, timeout=0.5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start: " + self._log.read_text()[-1000:])

    def rss_mib(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def log_lines(self) -> list[str]:
        return self._log.read_text().splitlines()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _request(body: bytes, port: int) -> bytes:
    return (
        f"POST /graphql HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body


async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    return status


async def _open_loop(port: int, rate: float, seconds: float, connections: int) -> dict[str, Any]:
    """Send at ``rate`` per second on schedule over up to ``connections`` sockets; a request
    that finds no free socket waits for one, and its wait counts in its latency."""
    payload = _request(json.dumps({"query": QUERY}).encode(), port)
    idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    results: list[tuple[int, float]] = []
    loop = asyncio.get_running_loop()

    async def one(scheduled: float) -> None:
        reader, writer = await idle.get()
        writer.write(payload)
        status = await _answer(reader)
        results.append((status, (loop.time() - scheduled) * 1000))
        idle.put_nowait((reader, writer))

    start = loop.time() + 0.05
    total = int(rate * seconds)
    tasks = []
    sent = 0
    while sent < total:
        now = loop.time()
        due = min(total, int((now - start) * rate) + 1)
        while sent < due:
            tasks.append(asyncio.ensure_future(one(start + sent / rate)))
            sent += 1
        await asyncio.sleep(0.001)
    await asyncio.gather(*tasks)
    while not idle.empty():
        idle.get_nowait()[1].close()
    admitted = sorted(ms for status, ms in results if status == 200)
    refused = sorted(ms for status, ms in results if status in (429, 503))
    return {
        "offered_per_s": round(rate),
        "answered_per_s": round(len(results) / seconds),
        "admitted": len(admitted),
        "refused": len(refused),
        "other": len(results) - len(admitted) - len(refused),
        "admitted_p50_ms": _pct(admitted, 50),
        "admitted_p99_ms": _pct(admitted, 99),
        "refused_p50_ms": _pct(refused, 50),
        "refused_p99_ms": _pct(refused, 99),
    }


def _pct(values: list[float], p: int) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(len(values) * p / 100))], 2)


def _probe_health(url: str, stop: threading.Event, out: list[float]) -> None:
    """/healthz every 10 ms from a thread of its own (blocking I/O, its own socket)."""
    with httpx.Client() as client:
        while not stop.is_set():
            started = time.perf_counter()
            client.get(url + "/healthz", timeout=10)
            out.append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)


def overload(replay_env: dict[str, str], work: Path, capacity_wrk: Any) -> dict[str, Any]:
    env = {**replay_env, "PERPGRAPH_RESPONSE_CACHE": "false",
           "PERPGRAPH_TTL_PRICE_S": "3600", "PERPGRAPH_TTL_PREMIUM_INDEX_S": "3600"}  # fmt: skip
    server = Server(env, work / "overload.log").start()
    try:
        body = json.dumps({"query": QUERY})
        capacity_wrk(server.url + "/graphql", body, 2)  # warm-up
        capacity = capacity_wrk(server.url + "/graphql", body, 5)["requests_per_s"]
        runs = {}
        for factor in (2, 4, 8):
            health: list[float] = []
            stop = threading.Event()
            prober = threading.Thread(target=_probe_health, args=(server.url, stop, health))
            prober.start()
            run = asyncio.run(_open_loop(server.port, capacity * factor, SECONDS, 512))
            stop.set()
            prober.join()
            run["healthz_p99_ms"] = _pct(sorted(health), 99)
            run["healthz_max_ms"] = round(max(health), 2)
            runs[f"{factor}x"] = run
            time.sleep(1)
    finally:
        server.stop()
    return {
        "query": QUERY,
        "uncached_capacity_per_s": capacity,
        "max_in_flight": 64,
        "runs": runs,
        "targets": {"admitted_p99_ms": 250, "refused_p99_ms": 10, "healthz_p99_ms": 100},
    }


def memory(replay_env: dict[str, str], work: Path) -> dict[str, Any]:
    server = Server(replay_env, work / "memory.log").start()
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
    server = Server(env, work / "redis-hung.log").start(ready="/healthz")
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
        "p50_ms": _pct(sorted(times), 50),
        "max_ms": round(max(times), 1),
        "target_ms": 500,
    }


def redis_killed(replay_env: dict[str, str], work: Path, wrk: Any) -> dict[str, Any]:
    from tests.support import free_port

    port = free_port()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)
    env = {**replay_env, "PERPGRAPH_REDIS_URL": f"redis://127.0.0.1:{port}/0",
           "PERPGRAPH_TTL_PRICE_S": "3600", "PERPGRAPH_TTL_PREMIUM_INDEX_S": "3600"}  # fmt: skip
    server = Server(env, work / "redis-killed.log").start()
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
        "memory_unique_documents": memory(env, work),
        "redis_hung": redis_hung(env, work),
        "redis_killed": redis_killed(env, work, wrk),
    }


__all__ = ["run"]
