"""Running the real API server and the replay exchange on loopback for tests and benchmarks."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from graph.server.app import create_app
from graph.server.cli import uvicorn_options
from graph.server.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
# API keys of the test servers, one per role, made afresh for each run; the servers are
# given only their digests (PERPGRAPH_API_KEYS), as a stateless deploy would be
KEYS = {role: f"test-{role}-{secrets.token_urlsafe(24)}" for role in ("read", "write", "admin")}
STATIC_KEYS = ",".join(
    f"sha256:{hashlib.sha256(key.encode()).hexdigest()}:{role}:test" for role, key in KEYS.items()
)
RECORDED = ROOT / "providers" / "replay" / "data"
# what a server asks the replay for at start-up: its two symbol lists (``warm_symbols``)
STARTUP_CALLS = {"/fapi/v1/exchangeInfo": 1, "/api/v5/public/instruments": 1}


def replay_settings(replay_url: str, **overrides: Any) -> Settings:
    """Settings pointing every provider at the replay, with short test timeouts."""
    values: dict[str, Any] = {
        "binance_base_url": replay_url,
        "okx_base_url": replay_url,
        "feargreed_base_url": replay_url,
        "hyperliquid_base_url": replay_url,
        "coingecko_base_url": replay_url,
        "lunarcrush_base_url": replay_url,  # used only when a test gives a key
        "binance_read_timeout_s": 0.5,
        "okx_read_timeout_s": 0.5,
        "feargreed_read_timeout_s": 0.5,
        "hyperliquid_read_timeout_s": 0.5,
        "coingecko_read_timeout_s": 0.5,
        "binance_deadline_s": 1.5,
        "okx_deadline_s": 1.5,
        "feargreed_deadline_s": 1.5,
        "hyperliquid_deadline_s": 1.5,
        "coingecko_deadline_s": 1.5,
        "http_backoff_base_s": 0.01,
        "http_backoff_max_s": 0.05,
        "graphiql": True,
        "liquidation_streams": "",  # the stream tests turn it on
        "api_keys": STATIC_KEYS,
        # tests send hundreds of requests from one address; the rate-limit tests set their own
        **{
            f"rate_limit_{who}": "1000000/minute" for who in ("anonymous", "read", "write", "admin")
        },
        **{
            f"cost_budget_{who}": "100000000/minute"
            for who in ("anonymous", "read", "write", "admin")
        },
    }
    values.update(overrides)
    return Settings(**values)


class LoopbackServer:
    """An ASGI app under uvicorn in a daemon thread, on a free loopback port."""

    def __init__(self, app: Any, **config: Any) -> None:
        options: dict[str, Any] = {"log_level": "warning", "lifespan": "off", "ws": "none"}
        options.update(config)
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, **options))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.url = ""

    def start(self) -> str:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"{type(self).__name__} did not start")
            time.sleep(0.005)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> LoopbackServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ApiServer(LoopbackServer):
    """The real app (with its lifespan) under uvicorn in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        options = uvicorn_options(settings) | {"lifespan": "on"}  # as `perpgraph serve` runs it
        super().__init__(create_app(settings), **options)


class Replay:
    """Admin calls to a running replay exchange: call counts and fault rules."""

    def __init__(self, url: str) -> None:
        self.url = url

    def calls(self) -> dict[str, int]:
        return dict(httpx.get(f"{self.url}/_replay/calls").json())

    def reset(self) -> None:
        httpx.delete(f"{self.url}/_replay/calls").raise_for_status()
        httpx.delete(f"{self.url}/_replay/faults").raise_for_status()
        httpx.delete(f"{self.url}/_replay/streams").raise_for_status()

    def stream(self, **rule: Any) -> None:
        """Set a replay rule for a WebSocket stream (speed, start delay, faults)."""
        httpx.post(f"{self.url}/_replay/streams", json=rule).raise_for_status()

    def fault(self, **rule: Any) -> None:
        httpx.post(f"{self.url}/_replay/faults", json=rule).raise_for_status()

    def venue(self, path: str, **params: str) -> Any:
        """What the replay itself serves at a venue path: the expected values of a test."""
        response = httpx.get(f"{self.url}{path}", params=params)
        response.raise_for_status()
        return response.json()


async def gql(
    client: httpx.AsyncClient,
    url: str,
    query: str,
    *,
    debug: bool = False,
    role: str | None = None,
    **variables: Any,
) -> dict[str, Any]:
    """POST ``query``; ``role`` names the role whose test key is sent (``KEYS``)."""
    headers = {"x-perpgraph-debug": "1"} if debug else {}
    if role is not None:
        headers["authorization"] = f"Bearer {KEYS[role]}"
    body: dict[str, Any] = {"query": query}
    if variables:
        body["variables"] = variables
    response = await client.post(f"{url}/graphql", json=body, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


REDIS_URL = "redis://127.0.0.1:6379/0"


def steady(value: Any) -> Any:
    """``value`` without the times an answer is made at (each run has its own)."""
    if isinstance(value, dict):
        return {k: steady(v) for k, v in value.items() if k != "generatedAt"}
    if isinstance(value, list):
        return [steady(v) for v in value]
    return value


def query_params(examples: dict[str, Any]) -> httpx.QueryParams:
    """An operation's example variables as REST query parameters (a list repeated)."""
    params: list[tuple[str, str | int | float | bool | None]] = []
    for name, value in examples.items():
        for item in value if isinstance(value, list) else [value]:
            params.append((name, str(item).lower() if isinstance(item, bool) else str(item)))
    return httpx.QueryParams(params)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """``perpgraph serve`` as its own OS process, configured through the environment; what
    it writes on stderr (its log) goes to ``log`` (a temporary file unless given), so a
    chatty server never blocks on a full pipe and its lines can be counted."""

    def __init__(self, env: dict[str, str], log: Path | None = None) -> None:
        import tempfile

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = env
        self._proc: Any = None
        self._own_log = log is None  # removed at stop
        if log is None:
            handle, name = tempfile.mkstemp(prefix="perpgraph-serve-", suffix=".log")
            os.close(handle)
            log = Path(name)
        self.log = log

    @property
    def pid(self) -> int:
        assert self._proc is not None, "not started"
        return int(self._proc.pid)

    def start(self, ready: str = "/readyz") -> str:
        import subprocess
        import sys

        # no liquidation streams unless a test asks: they would reach for the live venues
        defaults = {"PERPGRAPH_LIQUIDATION_STREAMS": ""}
        env = {**os.environ, **defaults, **self._env, "PERPGRAPH_LOG_LEVEL": "WARNING"}
        with self.log.open("wb") as stderr:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "graph.server.cli", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(self.log.read_text()[-2000:])
            try:
                if httpx.get(f"{self.url}{ready}", timeout=0.5).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("server process did not become ready: " + self.log.read_text()[-1000:])

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except Exception:
                self._proc.kill()
        if self._own_log:
            self.log.unlink(missing_ok=True)
