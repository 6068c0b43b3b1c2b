"""Redis as a helper, never a single point of failure: short timeouts and a breaker.

Every Redis call of a request (the data cache, its single-flight lock, the response cache,
the rate-limit counters, the liquidation bus) goes through an ``Outage``: it is given
``TIMEOUT_S`` (250 ms) to answer; one that fails or is late opens the breaker for
``RETRY_S``, during which callers use their in-process fallback at once without waiting on
Redis; the next call after that tries Redis again. The outage is logged once when it
starts and once when Redis answers again, whatever the traffic.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

T = TypeVar("T")
TIMEOUT_S = 0.25
RETRY_S = 5.0
# what says Redis is away (refused, dropped, hung), as against an error of the call itself
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, TimeoutError, OSError)


class Outage:
    def __init__(
        self,
        what: str,
        log: logging.Logger,
        *,
        timeout_s: float = TIMEOUT_S,
        retry_s: float = RETRY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._what = what
        self._log = log
        self._timeout_s = timeout_s
        self._retry_s = retry_s
        self._clock = clock
        self._until = 0.0  # the breaker is open until then (0: Redis is believed up)
        self._opened_at = 0.0

    @property
    def away(self) -> bool:
        """True while the breaker is open: use the fallback, do not wait on Redis."""
        return self._until > self._clock()

    async def call(
        self, redis: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]
    ) -> T:
        """``redis()`` within the timeout, else (and while the breaker is open) ``fallback()``.
        Only a refused, dropped or late connection counts as an outage; another error (a
        value that no longer unpickles) is the caller's to handle."""
        if self.away:
            return await fallback()
        started = self._clock()
        try:
            async with asyncio.timeout(self._timeout_s):
                result = await redis()
        except UNREACHABLE as exc:
            self.failed(exc)
            return await fallback()
        self.succeeded(started)
        return result

    def failed(self, exc: BaseException) -> None:
        now = self._clock()
        if self._until == 0.0:
            self._log.warning(
                "%s failed (%s): the in-process fallbacks answer until it is back",
                self._what,
                type(exc).__name__,
            )
            self._opened_at = now
        self._until = now + self._retry_s

    def succeeded(self, started: float | None = None) -> None:
        """Redis answered. A call that started before the breaker opened says nothing
        about Redis now, and leaves it open."""
        if self._until != 0.0 and (started is None or started >= self._opened_at):
            self._log.warning("%s answers again", self._what)
            self._until = 0.0


__all__ = ["RETRY_S", "TIMEOUT_S", "UNREACHABLE", "Outage"]
