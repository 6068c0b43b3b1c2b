"""Per-caller request rates and cost budgets, with the ``limits`` library.

Each caller (an API key, or a client address for anonymous callers) has, per role, a
request rate (``PERPGRAPH_RATE_LIMIT_<ROLE>``, e.g. ``600/minute``) and a budget of cost
points (``PERPGRAPH_COST_BUDGET_<ROLE>``): every request takes one request, every operation
its static cost (``graph.guard.cost``) from the budget, before it runs. Sliding-window
counters; in Redis when ``PERPGRAPH_REDIS_URL`` is set (every instance shares them), in
memory otherwise. Redis is a helper here too (``resolvers.outage``): a Redis call that fails
or takes over 250 ms falls back to the in-process counters until Redis answers again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import limits
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import ConnectionPool

from resolvers.access import Caller, Role
from resolvers.errors import Refused
from resolvers.outage import TIMEOUT_S, Outage

T = TypeVar("T")
log = logging.getLogger("perpgraph.ratelimit")
BAD_KEYS = limits.parse("30/minute")  # keys that were not valid, per client address


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

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    def _limits(self, caller: Caller) -> Limits:
        """An anonymous caller's limits are the anonymous ones, whatever role it has."""
        return self._per_role[Role.NONE if caller.anonymous else caller.role]

    async def admit(self, caller: Caller) -> dict[str, str]:
        """Take one request of ``caller``'s rate; RATE_LIMITED (with the wait) when none is
        left. Returns the RateLimit headers of the answer."""
        item = self._limits(caller).requests
        allowed, stats = await self._hit(item, caller.identity, 1)
        headers = _headers(item, stats)
        if not allowed:
            refused = _limited(
                f"more than {item.amount} requests per {_per(item)} from this caller", stats
            )
            refused.headers = headers
            raise refused
        return headers

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


def _headers(item: limits.RateLimitItem, stats: limits.WindowStats) -> dict[str, str]:
    reset = max(0, math.ceil(stats.reset_time - time.time()))
    return {
        "ratelimit-limit": str(item.amount),
        "ratelimit-remaining": str(max(stats.remaining, 0)),
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
