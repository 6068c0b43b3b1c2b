"""Per-request loading over the shared cache: batched all-symbol loaders and memoized jobs.

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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from providers.errors import SymbolNotServed
from providers.http import CallRecord
from resolvers import datasets
from resolvers.access import Caller
from resolvers.cache import Cached, SharedCache
from resolvers.datasets import Batch, Job
from resolvers.services import Services

T = TypeVar("T")
# takes an operation's cost from the caller's budget; what is left (throttleStatus)
Charge = Callable[["RequestMeta", int], Awaitable[dict[str, float]]]


@dataclass(slots=True)
class RequestMeta:
    """Per request: freshness of the data used, whether the response may be cached, the
    upstream calls made and the cost the request was admitted at (``graph.guard``)."""

    min_fresh_s: float | None = None
    cacheable: bool = True
    calls: list[CallRecord] = field(default_factory=list)
    cost: int | None = None
    max_cost: int | None = None  # the most one request may cost (graph.guard sets both)
    caller: Caller | None = None  # None: work of the server's own (full access)
    # given this meta when called, so it need not capture it (a closure over the meta it is
    # kept in would be a reference cycle, each request's garbage left to the collector)
    charge: Charge | None = None
    throttle: dict[str, float] | None = None
    status: int | None = None  # an HTTP status the answer must carry (429 when throttled)
    deadline_s: float | None = None  # this operation's own deadline (a registry operation's)
    headers: dict[str, str] = field(default_factory=dict)  # and its headers
    # the client accepts application/graphql-response+json (GraphQL over HTTP): a request
    # error is then a 4xx without a data entry
    graphql_response: bool = False

    def used(self, fresh_for_s: float, stale: bool) -> None:
        if stale:
            self.cacheable = False
        if self.min_fresh_s is None or fresh_for_s < self.min_fresh_s:
            self.min_fresh_s = fresh_for_s


def _all_symbol_loader(
    cache: SharedCache, meta: RequestMeta, batch: Batch[Any]
) -> DataLoader[str, Cached[Any]]:
    provider, dataset = batch.provider, batch.dataset

    async def load(symbols: list[str]) -> list[Cached[Any] | BaseException]:
        keys = [datasets.key(provider, dataset, s) for s in symbols]
        prefix = len(provider) + len(dataset) + 2

        def venue_symbol(missing: Sequence[str]) -> str | None:
            # one missing symbol: the cheap one-symbol endpoint; more: one all-symbol call
            return missing[0][prefix:] if len(missing) == 1 else None

        async def fetch_many(missing: Sequence[str]) -> dict[str, Any]:
            try:
                rows = await batch.fetch(venue_symbol(missing))
            except SymbolNotServed:  # one-symbol ask the venue says it cannot serve
                return {}
            return {datasets.key(provider, dataset, row.symbol): row for row in rows}

        def flight(missing: Sequence[str]) -> str:
            return datasets.key(provider, dataset, venue_symbol(missing) or "*")

        found = await cache.get_or_fetch_many(dataset, keys, batch.ttl_s, fetch_many, flight)
        out: list[Cached[Any] | BaseException] = []
        for key in keys:
            item = found[key]
            if isinstance(item, KeyError):  # the venue's answer did not include it
                out.append(_not_served(provider, dataset))
            elif isinstance(item, BaseException):
                out.append(item)
            else:
                out.append(_noted(meta, item))
        return out

    return DataLoader(load)


def _noted(meta: RequestMeta, cached: Cached[T]) -> Cached[T]:
    """``cached``, its freshness counted in what the request used (the response cache's TTL)."""
    meta.used(cached.fresh_for_s, cached.stale)
    return cached


# what an all-symbol dataset holds, in a caller's words (its name is the cache's)
DATASET_WORDS = {
    "price": "price",
    "ticker_24h": "24-hour ticker",
    "premium_index": "mark price and funding",
}


def _not_served(provider: str, dataset: str) -> SymbolNotServed:
    words = DATASET_WORDS.get(dataset, dataset.replace("_", " "))
    return SymbolNotServed(
        f"{provider} has no {words} data for this symbol", provider=provider, endpoint=dataset
    )


class Loaders:
    """Fresh for every request; shares the process-wide cache through ``services``.

    Nothing a loader holds refers back to this object or to the request's meta through a
    closure over ``self``: a request's objects are freed as soon as it ends instead of
    waiting, as cyclic garbage, for the collector (whose pauses delay every request then).
    A loader is built when first asked for.
    """

    def __init__(self, services: Services, meta: RequestMeta) -> None:
        self._services = services
        self._meta = meta
        self._loaders: dict[str, DataLoader[str, Cached[Any]]] = {}
        self._jobs: dict[str, asyncio.Future[Cached[Any]]] = {}

    @property
    def price(self) -> DataLoader[str, Cached[Any]]:
        return self._loader(datasets.prices)

    @property
    def ticker_24h(self) -> DataLoader[str, Cached[Any]]:
        return self._loader(datasets.tickers_24h)

    @property
    def premium(self) -> DataLoader[str, Cached[Any]]:
        return self._loader(datasets.premium_indexes)

    def _loader(self, make: Callable[[Services], Batch[Any]]) -> DataLoader[str, Cached[Any]]:
        loader = self._loaders.get(make.__name__)
        if loader is None:
            batch = make(self._services)
            loader = _all_symbol_loader(self._services.cache, self._meta, batch)
            self._loaders[make.__name__] = loader
        return loader

    async def _run(self, job: Job[T]) -> Cached[T]:
        cached = await self._services.cache.get_or_fetch(job.dataset, job.key, job.ttl_s, job.fetch)
        return _noted(self._meta, cached)

    async def job(self, job: Job[T]) -> Cached[T]:
        """The job's value, fetched once per request however many fields ask for it."""
        running = self._jobs.get(job.key)
        if running is None:
            running = self._jobs[job.key] = asyncio.ensure_future(self._run(job))
            running.add_done_callback(_retrieved)
        # shielded: one asking field being cancelled must not cancel the others' fetch
        result: Cached[T] = await asyncio.shield(running)
        return result

    def cancel_pending(self) -> None:
        """Cancel this request's jobs still running (its deadline passed, or it ended
        without them). A fetch other requests share goes on in the shared cache, bounded by
        its venue's read timeout, and fills the cache for the next asker."""
        for running in self._jobs.values():
            running.cancel()  # a finished one ignores it


def _retrieved(done: asyncio.Future[Any]) -> None:
    """A job's failure is re-raised to each field awaiting it; once the request is gone
    nobody is, and asyncio would log it as never retrieved."""
    if not done.cancelled():
        done.exception()


__all__ = ["Charge", "Loaders", "RequestMeta"]
