"""Rate-limit leases: a caller far from its limit is counted in-process between visits to
the counters, and is still refused at exactly its limit on one instance, however many of
its requests arrive at once; instances that share Redis overshoot by at most the
documented tenth."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from limits.aio.storage import MemoryStorage

from graph.server import ratelimit
from graph.server.ratelimit import LEASE_SHARE, RateLimiter, from_settings
from resolvers.access import Caller, Role
from resolvers.errors import Refused
from tests.support import REDIS_URL

BUDGETS = {name: "100000/day" for name in ("anonymous", "read", "write", "admin")}
# Limits per day: `limits`' sliding window weighs the previous window's count by the time
# left, rounded down, so a test that crossed a minute's boundary could rightly see one or
# two more admitted than the limit; a day's boundary is not crossed in a test's second.


def _limiter(rate: str, redis_url: str | None = None, namespace: str = "test") -> RateLimiter:
    rates = {"anonymous": rate, "read": rate, "write": rate, "admin": rate}
    return RateLimiter(from_settings(rates, BUDGETS), redis_url, namespace)


class _Counting(MemoryStorage):
    """limits' in-process storage, counting the hits it was asked; with ``pause``, each
    call waits as long before answering, as a round trip to Redis would."""

    def __init__(self, pause: float = 0.0) -> None:
        super().__init__()
        self.hits = 0
        self._pause = pause

    async def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        self.hits += 1
        await asyncio.sleep(self._pause)
        return await super().acquire_sliding_window_entry(key, limit, expiry, amount)

    async def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        await asyncio.sleep(self._pause)
        return await super().get_sliding_window(key, expiry)


async def _all_at_once(limiter: RateLimiter, caller: Caller, workers: int) -> int:
    """``workers`` tasks admitting requests without pause until refused; how many were
    admitted in all."""

    async def worker() -> int:
        return len(await _admitted(limiter, caller, 10_000))

    return sum(await asyncio.gather(*(worker() for _ in range(workers))))


async def _admitted(limiter: RateLimiter, caller: Caller, tries: int) -> list[str]:
    """The RateLimit-Remaining of each admitted try; stops at the first refusal."""
    remaining = []
    for _ in range(tries):
        try:
            headers = await limiter.admit(caller)
        except Refused as refused:
            assert refused.code == "RATE_LIMITED"
            break
        remaining.append(headers["ratelimit-remaining"])
    return remaining


async def test_a_caller_is_refused_at_exactly_its_limit_with_exact_headers() -> None:
    limiter = _limiter("200/day")
    storage = _Counting()
    limiter._memory.storage = storage  # count what is asked
    caller = Caller(Role.READ, None, "192.0.2.1")
    remaining = await _admitted(limiter, caller, 250)
    assert remaining == [str(n) for n in range(199, -1, -1)]  # 200 admitted, then refused
    # far from the limit most requests were counted here: the counters were asked far
    # fewer times than there were requests
    assert storage.hits < 100


async def test_requests_arriving_at_once_are_admitted_exactly_up_to_the_limit() -> None:
    """64 requests of one caller at a time against counters that take a millisecond to
    answer: one asks, the others wait for its lease; never more than the limit."""
    limiter = _limiter("600/day")
    limiter._memory.storage = _Counting(pause=0.001)
    assert await _all_at_once(limiter, Caller(Role.READ, None, "192.0.2.1"), 64) == 600


async def test_requests_arriving_at_once_through_redis_are_admitted_exactly() -> None:
    limiter = _limiter("600/day", REDIS_URL, f"test-{uuid.uuid4().hex}")
    try:
        assert await _all_at_once(limiter, Caller(Role.READ, None, "192.0.2.1"), 64) == 600
    finally:
        await limiter.close()


async def test_what_a_lease_admitted_is_counted_when_it_lapses_or_the_role_changes() -> None:
    rates = {"anonymous": "100/day", "read": "100/day", "write": "50/day"}
    limiter = RateLimiter(from_settings({**rates, "admin": "100/day"}, BUDGETS), None, "test")
    as_read, as_write = Caller(Role.READ, "k1", "192.0.2.1"), Caller(Role.WRITE, "k1", "192.0.2.1")
    first = await _admitted(limiter, as_read, 5)  # 1 asked, 4 on the lease
    await asyncio.sleep(0.15)  # the lease lapses
    second = await _admitted(limiter, as_read, 5)
    assert first + second == [str(n) for n in range(99, 89, -1)]  # every one counted
    await _admitted(limiter, as_write, 1)  # the key's role changed: a lease of another limit
    assert await _admitted(limiter, as_read, 1) == ["89"]


async def test_what_a_lease_admitted_survives_an_asker_cancelled_while_adding_it() -> None:
    limiter = _limiter("100/day")
    limiter._memory.storage = _Counting(pause=0.05)  # each counter call takes 50 ms
    caller = Caller(Role.READ, None, "192.0.2.1")
    assert await _admitted(limiter, caller, 4) == ["99", "98", "97", "96"]  # 3 on the lease
    await asyncio.sleep(0.15)  # the lease lapses
    asking = asyncio.create_task(limiter.admit(caller))
    await asyncio.sleep(0.02)  # adding what the lease admitted
    asking.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asking
    assert await _admitted(limiter, caller, 1) == ["95"]  # the 3 counted, the cancelled not


async def test_lapsed_leases_are_settled_when_the_table_is_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ratelimit, "MAX_LEASES", 4)
    limiter = _limiter("100/day")
    callers = [Caller(Role.READ, None, f"192.0.2.{n}") for n in range(1, 6)]
    for caller in callers[:4]:
        assert len(await _admitted(limiter, caller, 3)) == 3  # 1 asked, 2 on its lease
    await asyncio.sleep(0.15)  # every lease lapses
    await _admitted(limiter, callers[4], 1)  # a fifth caller: the table is full, settle
    await asyncio.sleep(0.01)  # the settling runs in the background
    assert not limiter._leases.keys() & {c.identity for c in callers[:4]}
    for caller in callers[:4]:  # each one's 3 were counted
        assert await _admitted(limiter, caller, 1) == ["96"]


async def test_leases_are_per_caller() -> None:
    """One caller's lease never admits another's request."""
    limiter = _limiter("50/day")
    one, other = Caller(Role.READ, None, "192.0.2.1"), Caller(Role.READ, None, "192.0.2.2")
    assert len(await _admitted(limiter, one, 60)) == 50
    assert len(await _admitted(limiter, other, 60)) == 50


async def test_two_instances_sharing_redis_overshoot_by_at_most_a_tenth_each() -> None:
    namespace = f"test-{uuid.uuid4().hex}"
    first, second = (_limiter("100/day", REDIS_URL, namespace) for _ in range(2))
    caller = Caller(Role.READ, None, "192.0.2.1")
    admitted = 0
    try:
        for _ in range(150):  # alternate between the instances, as a load balancer would
            for limiter in (first, second):
                try:
                    await limiter.admit(caller)
                    admitted += 1
                except Refused:
                    pass
    finally:
        await first.close()
        await second.close()
    assert 100 <= admitted <= 100 + 2 * (100 // LEASE_SHARE)
