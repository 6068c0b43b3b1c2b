"""Per-caller request rates and cost budgets, with the ``limits`` library.

Each caller (an API key, or a client address for anonymous callers) has, per role, a
request rate (``PERPGRAPH_RATE_LIMIT_<ROLE>``, e.g. ``600/minute``) and a budget of cost
points (``PERPGRAPH_COST_BUDGET_<ROLE>``): every request takes one request, every operation
its static cost (``graph.guard.cost``) from the budget, before it runs. Sliding-window
counters; in Redis when ``PERPGRAPH_REDIS_URL`` is set (every instance shares them), in
memory otherwise. Redis is a helper here too (``resolvers.outage``): a Redis call that fails
or takes over 250 ms falls back to the in-process counters until Redis answers again.

Asking the counters costs two calls (the hit, then what is left for the RateLimit headers),
two Redis round trips when shared: a fifth of a hot query's time in memory. So a caller far
from its limit gets a lease: after the counters said ``remaining``, the next
``remaining // LEASE_SHARE`` requests within ``LEASE_S`` are admitted and counted here. The
request after them asks the counters again, and first adds what the lease admitted (an
addition that cannot be refused: those requests were answered). One request per caller
asks at a time; the caller's others wait for its answer, which may hold a new lease. Near
the limit the lease is empty and every request asks: a caller is refused at exactly its
limit on one instance, however many of its requests arrive at once; with several
instances sharing Redis, each may admit up to a tenth of what was left beyond it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar, cast

import limits
from limits.aio.storage import MemoryStorage, RedisStorage, SlidingWindowCounterSupport, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import ConnectionPool

from resolvers.access import Caller, Role
from resolvers.errors import Refused
from resolvers.outage import TIMEOUT_S, Outage

T = TypeVar("T")
log = logging.getLogger("perpgraph.ratelimit")
BAD_KEYS = limits.parse("30/minute")  # keys that were not valid, per client address
LEASE_S = 0.1
LEASE_SHARE = 10
MAX_LEASES = 4096  # past this many callers with a lease, the lapsed ones are settled


@dataclass(frozen=True, slots=True)
class Limits:
    requests: limits.RateLimitItem
    cost: limits.RateLimitItem


@dataclass(frozen=True, slots=True)
class Throttle:
    """What is left of a caller's cost budget: GraphQL's ``extensions.cost.throttleStatus``."""

    maximum: int
    available: int
    restore_rate: float  # points per second

    def as_json(self) -> dict[str, float]:
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": self.available,
            "restoreRate": round(self.restore_rate, 3),
        }


@dataclass(slots=True)
class _Lease:
    """What the counters said last for one caller, and what was admitted here since."""

    item: limits.RateLimitItem
    remaining: int
    reset_time: float
    allowance: int
    lapses: float  # time.monotonic()
    admitted: int = 0

    def admits(self, item: limits.RateLimitItem, now: float) -> bool:
        return self.item is item and now < self.lapses and self.admitted < self.allowance


class RateLimiter:
    def __init__(
        self,
        per_role: dict[Role, Limits],
        redis_url: str | None,
        namespace: str,
        outage: Outage | None = None,
    ) -> None:
        self._per_role = per_role
        self._memory = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._shared: SlidingWindowCounterRateLimiter | None = None
        self._pool: ConnectionPool | None = None
        if redis_url is not None:
            self._pool = ConnectionPool.from_url(
                redis_url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S
            )  # ours, so that it is closed with the server
            storage: Storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=f"{namespace}:limits",
                connection_pool=self._pool,  # type: ignore[arg-type]  # typed as str options
            )
            self._shared = SlidingWindowCounterRateLimiter(storage)
        self._outage = outage or Outage("Redis", log)
        self._leases: dict[str, _Lease] = {}
        self._asking: dict[str, asyncio.Event] = {}  # callers with a request at the counters
        self._settling: set[asyncio.Task[None]] = set()
        self._pruned = 0.0

    async def close(self) -> None:
        await asyncio.gather(*self._settling, return_exceptions=True)
        if self._pool is not None:
            await self._pool.aclose()

    def _limits(self, caller: Caller) -> Limits:
        """An anonymous caller's limits are the anonymous ones, whatever role it has."""
        return self._per_role[Role.NONE if caller.anonymous else caller.role]

    async def admit(self, caller: Caller) -> dict[str, str]:
        """Take one request of ``caller``'s rate; RATE_LIMITED (with the wait) when none is
        left. Returns the RateLimit headers of the answer."""
        item = self._limits(caller).requests
        identity = caller.identity
        while True:
            lease = self._leases.get(identity)
            if lease is not None and lease.admits(item, time.monotonic()):
                lease.admitted += 1
                return _headers(item, lease.remaining - lease.admitted, lease.reset_time)
            asking = self._asking.get(identity)
            if asking is None:
                break
            await asking.wait()  # its answer may hold a lease for this request too
        done = self._asking[identity] = asyncio.Event()
        try:
            return await self._ask(item, identity)
        finally:
            del self._asking[identity]
            done.set()

    async def _ask(self, item: limits.RateLimitItem, identity: str) -> dict[str, str]:
        """One request at the counters, after what the caller's last lease admitted."""
        owed = self._leases.pop(identity, None)
        if owed is not None and owed.admitted:
            try:
                await self._add(owed.item, identity, owed.admitted)
            except BaseException:  # cancelled, or Redis refused: still owed, by the next asker
                self._leases.setdefault(identity, owed)  # nobody else can lease meanwhile
                raise
        allowed, stats = await self._hit(item, identity, 1)
        headers = _headers(item, stats.remaining, stats.reset_time)
        if not allowed:
            refused = _limited(
                f"more than {item.amount} requests per {_per(item)} from this caller", stats
            )
            refused.headers = headers
            raise refused
        now = time.monotonic()
        allowance = stats.remaining // LEASE_SHARE
        if allowance and self._room_for_a_lease(now):
            self._leases[identity] = _Lease(
                item, stats.remaining, stats.reset_time, allowance, now + LEASE_S
            )
        return headers

    def _room_for_a_lease(self, now: float) -> bool:
        """Under ``MAX_LEASES`` leases, after dropping (at most once per ``LEASE_S``) the
        lapsed ones; what one of them admitted is added to the counters in the background
        (``_settle``)."""
        if len(self._leases) >= MAX_LEASES and now - self._pruned >= LEASE_S:
            self._pruned = now
            kept: dict[str, _Lease] = {}
            for identity, lease in self._leases.items():
                if now < lease.lapses or identity in self._asking:
                    kept[identity] = lease
                elif lease.admitted:
                    self._settle(identity, lease)
            self._leases = kept
        return len(self._leases) < MAX_LEASES

    def _settle(self, identity: str, lease: _Lease) -> None:
        task = asyncio.create_task(self._add(lease.item, identity, lease.admitted))
        self._settling.add(task)  # kept until done: a task nobody holds may be collected
        task.add_done_callback(self._settled)

    def _settled(self, task: asyncio.Task[None]) -> None:
        self._settling.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not count a lapsed lease: %s", type(task.exception()).__name__)

    async def _add(self, item: limits.RateLimitItem, identity: str, amount: int) -> None:
        """Count ``amount`` requests that were answered already: an entry of the same
        sliding window with no limit, so that it is never refused."""
        key = item.key_for(identity)

        async def add(limiter: SlidingWindowCounterRateLimiter) -> None:
            storage = cast(SlidingWindowCounterSupport, limiter.storage)
            await storage.acquire_sliding_window_entry(key, sys.maxsize, item.get_expiry(), amount)

        await self._counters(add)

    async def may_present_key(self, address: str) -> None:
        """RATE_LIMITED when ``address`` presented more than ``BAD_KEYS`` keys that were not
        valid this minute: guessing costs the guesser, not the key table."""
        identity = f"bad-key:{address}"
        stats = await self._counters(lambda limiter: limiter.get_window_stats(BAD_KEYS, identity))
        if stats.remaining <= 0:
            raise _limited(
                f"more than {BAD_KEYS.amount} keys that were not valid per minute", stats
            )

    async def bad_key(self, address: str) -> None:
        await self._hit(BAD_KEYS, f"bad-key:{address}", 1)

    async def charge(self, caller: Caller, cost: int) -> Throttle:
        """Take ``cost`` points of ``caller``'s budget; RATE_LIMITED (with the budget left)
        when the budget cannot cover it."""
        item = self._limits(caller).cost
        restore = item.amount / item.get_expiry()
        if cost > item.amount:  # no wait would ever let it through
            raise Refused(
                "QUERY_TOO_COSTLY",
                f"this operation costs {cost} points, more than this caller's whole budget of"
                f" {item.amount} per {_per(item)}",
                details={"cost": {"requested": cost, "maximum": item.amount}},
            )
        allowed, stats = await self._hit(item, caller.identity, max(cost, 0))
        throttle = Throttle(item.amount, stats.remaining, restore)
        if not allowed:
            wait = max(1, math.ceil((cost - stats.remaining) / restore))  # until enough is back
            raise Refused(
                "RATE_LIMITED",
                f"this operation costs {cost} points and {stats.remaining} of this caller's"
                f" {item.amount} per {_per(item)} are left",
                retry_after_s=float(wait),
                details={"cost": {"requested": cost, "throttleStatus": throttle.as_json()}},
            )
        return throttle

    async def _hit(
        self, item: limits.RateLimitItem, identity: str, cost: int
    ) -> tuple[bool, limits.WindowStats]:
        async def hit(limiter: SlidingWindowCounterRateLimiter) -> tuple[bool, limits.WindowStats]:
            allowed = await limiter.hit(item, identity, cost=cost)
            return allowed, await limiter.get_window_stats(item, identity)

        return await self._counters(hit)

    async def _counters(self, use: Callable[[SlidingWindowCounterRateLimiter], Awaitable[T]]) -> T:
        """``use`` on the Redis counters (behind the breaker), else on the in-process ones."""
        shared = self._shared
        if shared is None:
            return await use(self._memory)
        return await self._outage.call(lambda: use(shared), lambda: use(self._memory))


def _per(item: limits.RateLimitItem) -> str:
    return (
        f"{item.multiples} {item.GRANULARITY.name}" if item.multiples > 1 else item.GRANULARITY.name
    )


def _headers(item: limits.RateLimitItem, remaining: int, reset_time: float) -> dict[str, str]:
    reset = max(0, math.ceil(reset_time - time.time()))
    return {
        "ratelimit-limit": str(item.amount),
        "ratelimit-remaining": str(max(remaining, 0)),
        "ratelimit-reset": str(reset),
    }


def _limited(
    message: str, stats: limits.WindowStats, details: dict[str, object] | None = None
) -> Refused:
    wait = max(1, math.ceil(stats.reset_time - time.time()))
    return Refused("RATE_LIMITED", message, retry_after_s=float(wait), details=details)


def from_settings(rates: dict[str, str], budgets: dict[str, str]) -> dict[Role, Limits]:
    return {
        Role[name.upper()]: Limits(limits.parse(rates[name]), limits.parse(budgets[name]))
        for name in ("read", "write", "admin")
    } | {Role.NONE: Limits(limits.parse(rates["anonymous"]), limits.parse(budgets["anonymous"]))}


__all__ = ["RateLimiter", "Throttle", "from_settings"]
