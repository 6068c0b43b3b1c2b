"""Redis is a helper, never a single point of failure: the server starts and answers with
Redis refusing connections or hung (accepting, never answering), says so in readiness,
and logs the outage once."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support import ApiServer, Replay, free_port, gql

PRICE = '{ symbol(ticker: "BTC") { price } }'
STATS = '{ liquidationStats(ticker: "BTC") { longUsd } }'


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: a hung Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _redis_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "Redis" in r.getMessage()]


async def _timed(client: httpx.AsyncClient, url: str, query: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    result = await gql(client, url, query)
    return time.perf_counter() - started, result


async def test_the_server_starts_and_serves_with_redis_refusing(
    api: Callable[..., ApiServer], replay: Replay, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    refused = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    server = api(  # the ingest runs, and writes to Redis at start-up
        redis_url=refused,
        liquidation_streams="binance",
        binance_ws_url="ws" + replay.url.removeprefix("http"),
    )
    async with httpx.AsyncClient() as client:
        health = await client.get(f"{server.url}/healthz")
        ready = await client.get(f"{server.url}/readyz")
        answers = [await gql(client, server.url, PRICE) for _ in range(30)]
        stats = await gql(client, server.url, STATS)
    assert health.status_code == 200
    assert ready.status_code == 503 and ready.json()["status"] == "redis unreachable"
    recorded = float(replay.venue("/fapi/v2/ticker/price", symbol="BTCUSDT")["price"])
    assert all(a["data"]["symbol"]["price"] == recorded for a in answers)
    (error,) = stats["errors"]
    assert error["extensions"]["code"] == "UPSTREAM_UNREACHABLE"
    assert error["extensions"]["provider"] == "redis"
    failed = [line for line in _redis_lines(caplog) if "failed" in line]
    assert 1 <= len(failed) <= 2  # the outage, said once (the relay says its own once)


async def test_a_hung_redis_costs_a_request_at_most_a_quarter_second(
    api: Callable[..., ApiServer], hung_redis: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    server = api(redis_url=hung_redis)
    async with httpx.AsyncClient(timeout=10) as client:
        timed = [await _timed(client, server.url, PRICE) for _ in range(5)]
        ready_started = time.perf_counter()
        ready = await client.get(f"{server.url}/readyz")
        ready_took = time.perf_counter() - ready_started
        fear = await _timed(client, server.url, "{ fearGreed { value } }")
    assert all(r["data"]["symbol"]["price"] > 0 for _, r in timed)
    assert max(t for t, _ in timed) < 0.5, [round(t, 3) for t, _ in timed]
    assert fear[0] < 0.5 and fear[1]["data"]["fearGreed"]["value"] is not None
    assert ready.status_code == 503 and ready_took < 0.5
    assert len([line for line in _redis_lines(caplog) if "failed" in line]) == 1


async def test_with_redis_away_hot_queries_are_answered_from_the_in_process_response_cache(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(redis_url=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    async with httpx.AsyncClient() as client:
        first = await client.post(f"{server.url}/graphql", json={"query": PRICE})
        replay.reset()
        again = [
            await client.post(f"{server.url}/graphql", json={"query": PRICE}) for _ in range(5)
        ]
    assert first.headers["x-response-cache"] == "miss"
    assert [a.headers["x-response-cache"] for a in again] == ["hit"] * 5
    assert all(a.json()["data"] == first.json()["data"] for a in again)
    assert replay.calls() == {}  # nothing asked of the venue again
