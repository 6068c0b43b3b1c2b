"""The Redis breaker: opens on a refused or late call, not on the call's own error, and only
a call that started after it opened can close it."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from resolvers.outage import Outage


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def _fallback() -> str:
    return "fallback"


async def test_a_refused_call_opens_it_and_a_later_success_closes_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    clock = Clock()
    outage = Outage("Redis", logging.getLogger("test.outage"), retry_s=5, clock=clock)

    async def refused() -> str:
        raise RedisConnectionError("refused")

    async def fine() -> str:
        return "redis"

    assert await outage.call(refused, _fallback) == "fallback"
    assert outage.away
    assert await outage.call(fine, _fallback) == "fallback"  # open: Redis not even asked
    for _ in range(10):
        await outage.call(refused, _fallback)
    clock.now += 6
    assert await outage.call(fine, _fallback) == "redis"
    assert not outage.away
    assert [r.getMessage() for r in caplog.records] == [
        "Redis failed (ConnectionError): the in-process fallbacks answer until it is back",
        "Redis answers again",
    ]


async def test_a_slow_success_from_before_the_failure_leaves_it_open() -> None:
    clock = Clock()
    outage = Outage("Redis", logging.getLogger("test.outage"), clock=clock)
    release = asyncio.Event()

    async def slow() -> str:
        await release.wait()
        return "redis"

    async def refused() -> str:
        raise RedisConnectionError("refused")

    early = asyncio.create_task(outage.call(slow, _fallback))
    await asyncio.sleep(0)
    clock.now += 0.1
    await outage.call(refused, _fallback)  # opens while the slow call is still out
    release.set()
    assert await early == "redis"
    assert outage.away  # the early answer says nothing about Redis now


async def test_an_error_of_the_call_itself_is_not_an_outage() -> None:
    outage = Outage("Redis", logging.getLogger("test.outage"))

    async def corrupt() -> str:
        raise ValueError("a value that no longer unpickles")

    with pytest.raises(ValueError):
        await outage.call(corrupt, _fallback)
    assert not outage.away


async def test_a_hung_call_is_given_up_after_the_timeout() -> None:
    outage = Outage("Redis", logging.getLogger("test.outage"), timeout_s=0.05)

    async def hung() -> str:
        await asyncio.Event().wait()
        return "never"

    assert await outage.call(hung, _fallback) == "fallback"
    assert outage.away
