"""Per-request jobs: fetched once per key, and never held up by an unrelated slow job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from graph.wiring import build_services, policies
from providers.http import UpstreamHttp
from providers.metrics import Metrics
from resolvers.cache import SharedCache, build_backend
from resolvers.context import RequestMeta, Services
from resolvers.hub import LiquidationHub
from resolvers.loaders import Job, Loaders
from tests.support import replay_settings


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    settings = replay_settings("http://127.0.0.1:9")  # no job here reaches a venue
    metrics = Metrics()
    cache = SharedCache(
        build_backend(None, "test-loaders"), metrics, stale_if_error_s=0, distributed=False
    )
    async with httpx.AsyncClient() as client:
        http = UpstreamHttp(client, metrics, policies(settings))
        yield build_services(settings, http, cache, metrics, LiquidationHub(metrics))


async def test_a_job_is_fetched_once_per_request_however_many_ask(services: Services) -> None:
    fetches = 0

    async def fetch() -> str:
        nonlocal fetches
        fetches += 1
        await asyncio.sleep(0)
        return "value"

    loaders = Loaders(services, RequestMeta())
    job = Job("dataset", "key-once", 60, fetch)
    results = await asyncio.gather(*(loaders.job(job) for _ in range(5)))
    assert [r.value for r in results] == ["value"] * 5
    assert fetches == 1


async def test_a_cached_job_does_not_wait_for_an_unrelated_slow_one(services: Services) -> None:
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "slow"

    async def quick() -> str:
        return "quick"

    warm = Loaders(services, RequestMeta())
    await warm.job(Job("dataset", "key-quick", 60, quick))  # now in the shared cache

    loaders = Loaders(services, RequestMeta())
    slow_task = asyncio.ensure_future(loaders.job(Job("dataset", "key-slow", 60, slow)))
    quick_result = await asyncio.wait_for(
        loaders.job(Job("dataset", "key-quick", 60, quick)), timeout=5
    )
    assert quick_result.value == "quick"
    assert not slow_task.done()  # answered while the slow fetch of the same tick still runs
    release.set()
    assert (await slow_task).value == "slow"


async def test_one_cancelled_asker_does_not_cancel_the_fetch_for_the_others(
    services: Services,
) -> None:
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "done"

    loaders = Loaders(services, RequestMeta())
    job = Job("dataset", "key-shared", 60, slow)
    first = asyncio.ensure_future(loaders.job(job))
    second = asyncio.ensure_future(loaders.job(job))
    await asyncio.sleep(0)
    first.cancel()
    release.set()
    assert (await second).value == "done"
    assert first.cancelled()
