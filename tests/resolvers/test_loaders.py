"""Per-request jobs: fetched once per key, and never held up by an unrelated slow job."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from graph.server.services import open_services
from resolvers.datasets import Job
from resolvers.loaders import Loaders, RequestMeta
from resolvers.services import Services
from tests.support import replay_settings


@pytest.fixture
async def services() -> AsyncIterator[Services]:
    settings = replay_settings("http://127.0.0.1:9")  # no job here reaches a venue
    async with open_services(settings) as services:
        yield services


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
