"""An answered request leaves no reference cycles behind: everything it built is freed as
it ends, by reference counting, instead of waiting for the cyclic collector, whose pauses
(5-17 ms twice a second at 8x load, measured before this held) stop every request in flight,
refusals included."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable

import httpx
from graphql.execution.executor import Executor

from resolvers.access import Caller
from resolvers.context import Context
from resolvers.loaders import Loaders, RequestMeta
from tests.support import ApiServer, gql

QUERIES = [
    '{ symbol(ticker: "BTC") { price funding { rate } } }',  # the benchmarks' uncached query
    '{ symbol(ticker: "ETH") { price change24hPct high24h markPrice candles { interval } } }',
    '{ symbols(tickers: ["BTC", "SOL"]) { ticker markPrice } }',
]
PER_REQUEST = (Context, Loaders, RequestMeta, Caller, Executor)


async def test_answered_requests_leave_no_cyclic_garbage(api: Callable[..., ApiServer]) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient(timeout=10) as client:
        for query in QUERIES:  # the first of each builds what the process keeps
            assert "errors" not in await gql(client, server.url, query)
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector would free is kept, to be seen
        try:
            for _ in range(3):
                for query in QUERIES:
                    assert "errors" not in await gql(client, server.url, query)
            gc.collect()
            left = Counter(type(o).__name__ for o in gc.garbage if isinstance(o, PER_REQUEST))
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
    assert left == Counter()
