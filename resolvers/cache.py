"""The cross-request cache: TTL per dataset, single flight, stale-if-error, statistics.

Keys are ``provider:dataset:params``. Entries keep the time they were stored, and the
backend keeps them ``ttl + stale_if_error_s`` so that an expired value can still be served,
marked stale, when the upstream fails. The backend, built by ``graph.server.services``, is
aiocache's in-memory cache by default and Redis when ``PERPGRAPH_REDIS_URL`` is set; with
Redis, the single-flight lock is a Redis key too, so concurrent misses in several processes
make one upstream call. While Redis fails or hangs (``resolvers.outage``: 250 ms, then a
breaker), an in-process backend answers instead and flights are this process's only.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiocache.base import BaseCache

from providers.errors import ProviderBadData, ProviderError, ProviderUnavailable, SymbolNotServed
from providers.metrics import Metrics
from resolvers.outage import Outage

T = TypeVar("T")
log = logging.getLogger("perpgraph.cache")


@dataclass(frozen=True, slots=True)
class Entry:
    value: Any
    stored_at: float  # wall-clock seconds
    ttl_s: float


@dataclass(frozen=True, slots=True)
class Absent:
    """Stored for a key the upstream does not serve, so absence is cached like a value.

    With ``provider`` set it came from the venue's own "no such symbol/data" answer and is
    given back as that ``SymbolNotServed``; without, the key was missing from an
    all-symbol answer and the caller decides what to say (it gets a ``KeyError``).
    """

    provider: str | None = None
    endpoint: str = ""
    message: str = ""

    def error(self, key: str) -> Exception:
        if self.provider is None:
            return KeyError(key)
        return SymbolNotServed(self.message, provider=self.provider, endpoint=self.endpoint)


@dataclass(frozen=True, slots=True)
class Cached(Generic[T]):
    """A value with its freshness: ``stale`` when served past its TTL because of an error."""

    value: T
    stale: bool
    fresh_for_s: float  # seconds of freshness left (0 when stale)


@dataclass(slots=True)
class DatasetStats:
    hits: int = 0
    misses: int = 0
    stale: int = 0


class SharedCache:
    """get-or-fetch over an aiocache backend, shared by every request of the process."""

    def __init__(
        self,
        backend: BaseCache,
        metrics: Metrics,
        *,
        stale_if_error_s: float,
        distributed: bool,
        flight_wait_s: float = 10.0,
        clock: Callable[[], float] = time.time,
        fallback: BaseCache | None = None,
        outage: Outage | None = None,
    ) -> None:
        self._backend = backend
        self._fallback = fallback or backend  # used while Redis is away
        self.outage = outage or Outage("Redis", log)  # one breaker for every use of Redis
        self._metrics = metrics
        self._stale_s = stale_if_error_s
        self._distributed = distributed
        self._flight_wait_s = flight_wait_s
        self._clock = clock
        self._flights: dict[str, asyncio.Task[dict[str, Entry]]] = {}
        self._last_backend_warning = 0.0
        # the Redis client behind aiocache, for the single-flight lock (SET NX, compare-del)
        self._redis: Any = getattr(backend, "client", None)
        self.stats: dict[str, DatasetStats] = defaultdict(DatasetStats)

    @property
    def redis(self) -> Any:
        """The Redis client behind the cache (``redis.asyncio.Redis``), or None in memory."""
        return self._redis

    @property
    def redis_away(self) -> bool:
        """True while Redis is failing: the in-process fallback answers."""
        return self._distributed and self.outage.away

    async def close(self) -> None:
        if self._fallback is not self._backend:
            await self._fallback.close()
        client = getattr(self._backend, "client", None)
        if client is None:
            await self._backend.close()
            return
        # aiocache's Redis backend calls the deprecated ``close()`` and leaves the pool it
        # built open on redis>=5; close both the modern way.
        await client.aclose()
        await client.connection_pool.disconnect()

    # -- public ----------------------------------------------------------------------------

    async def get_or_fetch(
        self, dataset: str, key: str, ttl_s: float, fetch: Callable[[], Awaitable[T]]
    ) -> Cached[T]:
        """The cached value of ``key``, or ``fetch()`` once however many callers miss."""

        async def fetch_one(_: Sequence[str]) -> dict[str, Any]:
            try:
                return {key: await fetch()}
            except SymbolNotServed as err:  # a venue's "no such data" is an answer: cache it
                return {key: Absent(err.provider, err.endpoint, err.message)}

        result = (await self.get_or_fetch_many(dataset, [key], ttl_s, fetch_one, lambda _: key))[
            key
        ]
        if isinstance(result, BaseException):
            raise result
        return result

    async def get_or_fetch_many(
        self,
        dataset: str,
        keys: Sequence[str],
        ttl_s: float,
        fetch: Callable[[Sequence[str]], Awaitable[dict[str, T]]],
        flight_key: Callable[[Sequence[str]], str],
    ) -> dict[str, Cached[T] | BaseException]:
        """Cached values for ``keys``; one ``fetch(missing)`` fills every missing one.

        ``fetch`` gets the missing keys and returns values by key; it may return more keys
        than asked (an all-symbol endpoint), and all of them are stored. A missing key it
        does not return is absent upstream: its slot holds ``KeyError`` (or the venue's
        ``SymbolNotServed`` when it said so). ``flight_key(missing)`` names the upstream call
        for single flight. Upstream failures leave a stale value (marked) where one is young
        enough, else the error, in the failed keys' slots.
        """
        now = self._clock()
        found = await self._read(keys)
        out: dict[str, Cached[T] | BaseException] = {}
        missing: list[str] = []
        for key in keys:
            entry = found.get(key)
            if entry is not None and now - entry.stored_at < entry.ttl_s:
                self._count(dataset, "hit")
                if isinstance(entry.value, Absent):
                    out[key] = entry.value.error(key)
                else:
                    out[key] = Cached(entry.value, False, entry.ttl_s - (now - entry.stored_at))
            else:
                missing.append(key)
                self._count(dataset, "miss")
        if not missing:
            return out
        try:
            fetched = await self._single_flight(flight_key(missing), ttl_s, fetch, missing)
        except (ProviderUnavailable, ProviderBadData) as err:
            for key in missing:
                out[key] = self._stale_or(err, dataset, found.get(key), now)
            return out
        for key in missing:
            entry = fetched.get(key)
            if entry is None:
                out[key] = KeyError(key)
            elif isinstance(entry.value, Absent):
                out[key] = entry.value.error(key)
            else:
                fresh = max(0.0, entry.ttl_s - (self._clock() - entry.stored_at))
                out[key] = Cached(entry.value, False, fresh)
        return out

    def grade(self) -> dict[str, Any]:
        """Hit ratio per dataset and overall, with a letter grade."""
        rows = []
        hits = misses = 0
        for name, st in sorted(self.stats.items()):
            total = st.hits + st.misses
            rows.append((name, st.hits, st.misses, st.stale, st.hits / total if total else 0.0))
            hits += st.hits
            misses += st.misses
        ratio = hits / (hits + misses) if hits + misses else 0.0
        return {"datasets": rows, "hits": hits, "misses": misses, "ratio": ratio}

    # -- internals ------------------------------------------------------------------------

    def _count(self, dataset: str, result: str) -> None:
        st = self.stats[dataset]
        if result == "hit":
            st.hits += 1
        elif result == "miss":
            st.misses += 1
        else:
            st.stale += 1
        self._metrics.cache_requests.labels(dataset, result).inc()

    def _stale_or(
        self, err: ProviderError, dataset: str, entry: Entry | None, now: float
    ) -> Cached[Any] | BaseException:
        if (
            entry is not None
            and not isinstance(entry.value, Absent)
            and now - entry.stored_at < entry.ttl_s + self._stale_s
        ):
            self._count(dataset, "stale")
            return Cached(entry.value, True, 0.0)
        return err

    def _backend_failed(self, what: str, exc: Exception) -> None:
        """A cache that fails is a miss, not an outage: log (at most every 10 s) and go on."""
        now = time.monotonic()
        if now - self._last_backend_warning > 10:
            self._last_backend_warning = now
            log.warning("cache backend %s failed: %s: %s", what, type(exc).__name__, exc)

    async def _on_backend(self, op: Callable[[BaseCache], Awaitable[T]]) -> T:
        """``op`` on Redis (bounded, behind the breaker) or on the in-process fallback."""
        if not self._distributed:
            return await op(self._backend)
        return await self.outage.call(lambda: op(self._backend), lambda: op(self._fallback))

    async def _read(self, keys: Sequence[str]) -> dict[str, Entry]:
        async def read(backend: BaseCache) -> list[Any]:
            if len(keys) == 1:  # the hot path: one key, one GET
                return [await backend.get(keys[0])]
            return list(await backend.multi_get(list(keys)))

        try:
            values = await self._on_backend(read)
        except Exception as exc:  # a backend failure reads as a miss
            self._backend_failed("read", exc)
            return {}
        return {k: v for k, v in zip(keys, values, strict=True) if isinstance(v, Entry)}

    async def _write(
        self, values: dict[str, Any], ttl_s: float, expected: Sequence[str]
    ) -> dict[str, Entry]:
        stored_at = self._clock()
        entries = {k: Entry(v, stored_at, ttl_s) for k, v in values.items()}
        for key in expected:
            entries.setdefault(key, Entry(Absent(), stored_at, ttl_s))
        if entries:
            keep = max(1, int(ttl_s + self._stale_s + 1))
            try:
                await self._on_backend(
                    lambda backend: backend.multi_set(list(entries.items()), ttl=keep)
                )
            except Exception as exc:  # the answer is still good for this request
                self._backend_failed("write", exc)
        return entries

    async def _single_flight(
        self,
        flight_key: str,
        ttl_s: float,
        fetch: Callable[[Sequence[str]], Awaitable[dict[str, Any]]],
        missing: Sequence[str],
    ) -> dict[str, Entry]:
        """Run ``fetch`` once per flight key in this process (and across processes on Redis).

        The fetch runs in a task of its own: a caller that is cancelled (its request gone)
        neither cancels the fetch nor the other callers waiting for it.
        """
        task = self._flights.get(flight_key)
        if task is None:
            task = asyncio.create_task(self._fly(ttl_s, fetch, missing, flight_key))
            self._flights[flight_key] = task
            task.add_done_callback(lambda done: self._landed(flight_key, done))
        return await asyncio.shield(task)

    def _landed(self, flight_key: str, task: asyncio.Task[dict[str, Entry]]) -> None:
        if self._flights.get(flight_key) is task:
            del self._flights[flight_key]
        if not task.cancelled():
            task.exception()  # retrieved here: every waiter re-raises it for itself

    async def _fly(
        self,
        ttl_s: float,
        fetch: Callable[[Sequence[str]], Awaitable[dict[str, Any]]],
        missing: Sequence[str],
        flight_key: str,
    ) -> dict[str, Entry]:
        if self._distributed and not self.outage.away:
            return await self._distributed_fetch(flight_key, ttl_s, fetch, missing)
        return await self._write(await fetch(missing), ttl_s, missing)

    async def _try_lock(self, lock_key: str, token: str) -> bool:
        """SET NX PX on Redis. When Redis fails, go ahead without the lock."""

        async def without() -> bool:
            return True

        acquired = await self.outage.call(
            lambda: self._redis.set(lock_key, token, nx=True, px=int(self._flight_wait_s * 1000)),
            without,
        )
        return bool(acquired)

    async def _unlock(self, lock_key: str, token: str) -> None:
        """Delete the lock only if it is still ours (it may have expired and been retaken)."""

        async def nothing() -> None:
            return None

        await self.outage.call(lambda: self._redis.eval(_RELEASE, 1, lock_key, token), nothing)

    async def _distributed_fetch(
        self,
        flight_key: str,
        ttl_s: float,
        fetch: Callable[[Sequence[str]], Awaitable[dict[str, Any]]],
        missing: Sequence[str],
    ) -> dict[str, Entry]:
        """Redis lock ``lock:<flight>``: the holder fetches; others poll for its result."""
        lock_key = self._backend.build_key(f"lock:{flight_key}")
        token = uuid.uuid4().hex
        deadline = self._clock() + self._flight_wait_s
        while True:
            if await self._try_lock(lock_key, token):
                try:
                    return await self._write(await fetch(missing), ttl_s, missing)
                finally:
                    await self._unlock(lock_key, token)
            await asyncio.sleep(0.02)
            now = self._clock()
            found = await self._read(missing)
            fresh = {k: e for k, e in found.items() if now - e.stored_at < e.ttl_s}
            if len(fresh) == len(missing):
                return fresh
            if now > deadline:  # the holder died or is stuck: fetch ourselves
                return await self._write(await fetch(missing), ttl_s, missing)


_RELEASE = """
if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) end
return 0
"""


__all__ = ["Cached", "SharedCache"]
