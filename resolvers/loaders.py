"""Per-request DataLoaders over the shared cache.

Each loader batches the keys asked in one tick, takes what the shared cache holds, and
makes one upstream call for the rest. All-symbol endpoints (prices, 24 h tickers, premium
index) answer any number of symbols with one call; a single missing symbol uses the cheaper
one-symbol endpoint. A failed key's slot holds its exception (STYLE.md point 9).

Jobs (datasets that cannot be batched) are memoized per request instead: the first ask
starts the fetch, later asks of the same key await it. They are deliberately not a
DataLoader: a DataLoader resolves a batch only when its slowest member is done, so a job
answered at once from the cache (OKX's instrument list, say) would wait for an unrelated
slow fetch of the same tick, and whatever depends on it would start one upstream latency
late.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from providers.errors import SymbolNotServed
from resolvers.cache import Cached
from resolvers.context import Context, RequestMeta, Services

T = TypeVar("T")
AllSymbols = Callable[[str | None], Awaitable[Sequence[Any]]]


@dataclass(frozen=True, slots=True)
class Job:
    """One non-batchable upstream dataset: cache key parts, TTL and how to fetch it."""

    dataset: str
    key: str
    ttl_s: float
    fetch: Callable[[], Awaitable[Any]]


def _not_served(provider: str, dataset: str) -> SymbolNotServed:
    return SymbolNotServed(
        f"{provider} has no {dataset} data for this symbol", provider=provider, endpoint=dataset
    )


class Loaders:
    """Fresh for every request; shares the process-wide cache through ``services``."""

    def __init__(self, services: Services, meta: RequestMeta) -> None:
        self._services = services
        self._meta = meta
        b = services.binance
        ttl = services.ttls
        self.price = self._all_symbol_loader("binance", "price", ttl.price, b.ticker_prices)
        self.ticker_24h = self._all_symbol_loader(
            "binance", "ticker_24h", ttl.ticker_24h, b.tickers_24h
        )
        self.premium = self._all_symbol_loader(
            "binance", "premium_index", ttl.premium_index, b.premium_index
        )
        self._jobs: dict[Hashable, asyncio.Future[Cached[Any]]] = {}

    def _note(self, cached: Cached[Any]) -> Any:
        self._meta.used(cached.fresh_for_s, cached.stale)
        return cached

    def _all_symbol_loader(
        self, provider: str, dataset: str, ttl_s: float, fetch: AllSymbols
    ) -> DataLoader[str, Cached[Any]]:
        cache = self._services.cache

        async def load(symbols: list[str]) -> list[Cached[Any] | BaseException]:
            keys = [f"{provider}:{dataset}:{s}" for s in symbols]
            prefix = len(provider) + len(dataset) + 2

            def venue_symbol(missing: Sequence[str]) -> str | None:
                # one missing symbol: the cheap one-symbol endpoint; more: one all-symbol call
                return missing[0][prefix:] if len(missing) == 1 else None

            async def fetch_many(missing: Sequence[str]) -> dict[str, Any]:
                try:
                    rows = await fetch(venue_symbol(missing))
                except SymbolNotServed:  # one-symbol ask the venue says it cannot serve
                    return {}
                return {f"{provider}:{dataset}:{row.symbol}": row for row in rows}

            def flight(missing: Sequence[str]) -> str:
                return f"{provider}:{dataset}:{venue_symbol(missing) or '*'}"

            found = await cache.get_or_fetch_many(dataset, keys, ttl_s, fetch_many, flight)
            out: list[Cached[Any] | BaseException] = []
            for key in keys:
                item = found[key]
                if isinstance(item, KeyError):  # the venue's answer did not include it
                    out.append(_not_served(provider, dataset))
                elif isinstance(item, BaseException):
                    out.append(item)
                else:
                    out.append(self._note(item))
            return out

        return DataLoader(load)

    async def _run(self, job: Job) -> Cached[Any]:
        cached = await self._services.cache.get_or_fetch(job.dataset, job.key, job.ttl_s, job.fetch)
        return self._note(cached)  # type: ignore[no-any-return]

    async def job(self, job: Job) -> Cached[Any]:
        """The job's value, fetched once per request however many fields ask for it."""
        running = self._jobs.get(job.key)
        if running is None:
            running = self._jobs[job.key] = asyncio.ensure_future(self._run(job))
        # shielded: one asking field being cancelled must not cancel the others' fetch
        return await asyncio.shield(running)


def fresh_context(services: Services, *, debug: bool = False) -> Context:
    """A request's context: fresh loaders and freshness record over the shared services."""
    meta = RequestMeta()
    return Context(services, Loaders(services, meta), meta, debug)


__all__ = ["Job", "Loaders", "fresh_context"]
