"""The shared cache: TTL, single flight (in-process and across processes on the real Redis),
stale-if-error and cached absence."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import httpx
import pytest

from graph.server.services import build_backend
from providers.errors import UpstreamServerError
from providers.metrics import Metrics
from resolvers.cache import SharedCache
from tests.support import REDIS_URL, STARTUP_CALLS, ApiServer, Replay, ServerProcess, gql


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _memory(clock: Clock | None = None, stale_s: float = 60.0) -> SharedCache:
    return SharedCache(
        build_backend(None, f"t-{uuid.uuid4().hex}"),
        Metrics(),
        stale_if_error_s=stale_s,
        distributed=False,
        clock=clock or Clock(),
    )


class Upstream:
    """Counts fetches; can be told to fail. Values are opaque tokens, not market data."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.calls = 0
        self.fail = False
        self.delay_s = delay_s

    async def fetch(self) -> object:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if self.fail:
            raise UpstreamServerError("down", provider="venue", endpoint="thing", status=500)
        return ("token", self.calls)


async def test_hit_within_ttl_and_refetch_after() -> None:
    clock = Clock()
    cache, up = _memory(clock), Upstream()
    first = await cache.get_or_fetch("price", "venue:price:X", 5, up.fetch)
    clock.now += 4.9
    again = await cache.get_or_fetch("price", "venue:price:X", 5, up.fetch)
    clock.now += 0.2
    later = await cache.get_or_fetch("price", "venue:price:X", 5, up.fetch)
    assert (first.value, again.value, later.value) == (("token", 1), ("token", 1), ("token", 2))
    assert up.calls == 2
    assert cache.grade()["hits"] == 1


async def test_concurrent_misses_make_one_call() -> None:
    cache, up = _memory(), Upstream(delay_s=0.05)
    results = await asyncio.gather(
        *(cache.get_or_fetch("price", "venue:price:X", 5, up.fetch) for _ in range(50))
    )
    assert up.calls == 1
    assert {r.value for r in results} == {("token", 1)}


async def test_concurrent_misses_share_a_failure_without_retrying_it() -> None:
    cache, up = _memory(), Upstream(delay_s=0.05)
    up.fail = True
    results = await asyncio.gather(
        *(cache.get_or_fetch("price", "venue:price:X", 5, up.fetch) for _ in range(10)),
        return_exceptions=True,
    )
    assert up.calls == 1
    assert all(isinstance(r, UpstreamServerError) for r in results)


async def test_stale_if_error_is_bounded() -> None:
    clock = Clock()
    cache, up = _memory(clock, stale_s=30), Upstream()
    await cache.get_or_fetch("price", "k", 5, up.fetch)
    up.fail = True
    clock.now += 20  # expired 15 s ago, inside the 30 s stale window
    stale = await cache.get_or_fetch("price", "k", 5, up.fetch)
    assert stale.stale and stale.value == ("token", 1) and stale.fresh_for_s == 0
    clock.now += 20  # 35 s past expiry: too old to serve
    with pytest.raises(UpstreamServerError):
        await cache.get_or_fetch("price", "k", 5, up.fetch)
    assert cache.stats["price"].stale == 1


async def test_many_keys_one_fetch_and_absence_is_cached() -> None:
    cache = _memory()
    calls: list[int] = []

    async def all_symbols(missing: Sequence[str]) -> dict[str, Any]:
        calls.append(len(missing))
        return {"p:A": "a", "p:B": "b", "p:C": "c"}

    def flight(_: Sequence[str]) -> str:
        return "p:*"

    got = await cache.get_or_fetch_many("price", ["p:A", "p:Z"], 5, all_symbols, flight)
    assert got["p:A"].value == "a"  # type: ignore[union-attr]
    assert isinstance(got["p:Z"], KeyError)
    again = await cache.get_or_fetch_many("price", ["p:B", "p:C", "p:Z"], 5, all_symbols, flight)
    assert [again[k].value for k in ("p:B", "p:C")] == ["b", "c"]  # type: ignore[union-attr]
    assert isinstance(again["p:Z"], KeyError)
    assert calls == [2]


async def test_a_cancelled_caller_cancels_neither_the_fetch_nor_the_other_callers() -> None:
    cache, up = _memory(), Upstream(delay_s=0.1)
    first = asyncio.create_task(cache.get_or_fetch("price", "k", 5, up.fetch))
    await asyncio.sleep(0.01)  # the first caller leads the flight
    others = [asyncio.create_task(cache.get_or_fetch("price", "k", 5, up.fetch)) for _ in range(3)]
    await asyncio.sleep(0.01)
    first.cancel()
    results = await asyncio.gather(*others)
    assert [r.value for r in results] == [("token", 1)] * 3
    assert up.calls == 1
    assert first.cancelled()


async def test_a_dead_cache_backend_is_a_miss_not_an_outage() -> None:
    dead = SharedCache(
        build_backend("redis://127.0.0.1:1/0", f"t-{uuid.uuid4().hex}"),  # nothing listens
        Metrics(),
        stale_if_error_s=60,
        distributed=True,
        flight_wait_s=1,
    )
    up = Upstream()
    try:
        first = await dead.get_or_fetch("price", "k", 5, up.fetch)
        again = await dead.get_or_fetch("price", "k", 5, up.fetch)
    finally:
        await dead.close()
    assert (first.value, again.value) == (("token", 1), ("token", 2))  # served, uncached


@pytest.fixture
async def redis_caches() -> AsyncIterator[Callable[[], SharedCache]]:
    namespace = f"test-{uuid.uuid4().hex}"
    made: list[SharedCache] = []

    def make() -> SharedCache:
        cache = SharedCache(
            build_backend(REDIS_URL, namespace),
            Metrics(),
            stale_if_error_s=60,
            distributed=True,
            flight_wait_s=5,
        )
        made.append(cache)
        return cache

    yield make
    for cache in made:
        await cache.close()


async def test_redis_single_flight_spans_cache_instances(
    redis_caches: Callable[[], SharedCache],
) -> None:
    """Two caches on one Redis stand for two processes: one upstream call between them."""
    a, b = redis_caches(), redis_caches()
    up = Upstream(delay_s=0.2)
    results = await asyncio.gather(
        *(c.get_or_fetch("price", "venue:price:X", 5, up.fetch) for c in (a, b) * 10)
    )
    assert up.calls == 1
    assert {r.value for r in results} == {("token", 1)}
    fresh = await b.get_or_fetch("price", "venue:price:X", 5, up.fetch)
    assert fresh.value == ("token", 1) and up.calls == 1


async def test_second_server_process_answers_from_redis_with_zero_calls(replay: Replay) -> None:
    env = {
        "PERPGRAPH_REDIS_URL": REDIS_URL,
        "PERPGRAPH_CACHE_NAMESPACE": f"test-{uuid.uuid4().hex}",
        "PERPGRAPH_BINANCE_BASE_URL": replay.url,
        "PERPGRAPH_OKX_BASE_URL": replay.url,
        "PERPGRAPH_FEARGREED_BASE_URL": replay.url,
        "PERPGRAPH_RESPONSE_CACHE": "false",  # prove the data cache, not the response cache
    }
    first, second = ServerProcess(env), ServerProcess(env)
    query = '{ symbol(ticker: "BTC") { price markPrice funding { rate } } }'
    try:
        first.start()
        second.start()
        async with httpx.AsyncClient() as client:
            filled = await gql(client, first.url, query)
            calls_after_first = replay.calls()
            answered = await gql(client, second.url, query)
    finally:
        first.stop()
        second.stop()
    assert "errors" not in filled
    assert calls_after_first == {
        **STARTUP_CALLS,
        "/fapi/v2/ticker/price": 1,
        "/fapi/v1/premiumIndex": 1,
    }
    assert replay.calls() == calls_after_first  # the second process made 0 calls
    assert answered["data"] == filled["data"]
    assert answered["extensions"]["cost"]["actual"] == 0  # and says so
    assert filled["extensions"]["cost"]["actual"] > 0


async def test_response_cache_is_shared_through_redis(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    settings = {"redis_url": REDIS_URL, "cache_namespace": f"test-{uuid.uuid4().hex}"}
    one, two = api(**settings), api(**settings)
    query = '{ symbol(ticker: "BTC") { price } }'
    async with httpx.AsyncClient() as client:
        miss = await client.post(f"{one.url}/graphql", json={"query": query})
        hit = await client.post(f"{two.url}/graphql", json={"query": query})
    assert miss.headers["x-response-cache"] == "miss"
    assert hit.headers["x-response-cache"] == "hit"
    assert hit.json()["data"] == miss.json()["data"]
    assert hit.json()["extensions"]["cost"] == {"requested": 0, "actual": 0, "maximum": 1000}
