"""Work is bounded before it starts: the document's shape in one linear walk, its cost
before any upstream call, the response's size, the execution's deadline, and the number
of requests in flight."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import graphql
import httpx

from graph.guard.cost import document_cost
from graph.schema import build_schema
from tests.support import ApiServer, Replay, gql

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
EXAMPLES = re.findall(r"```graphql\n(.*?)```", README, flags=re.DOTALL)
TICKERS = ["BTC", "ETH", "SOL", "XRP", "BNB", "DOGE", "ADA", "AVAX", "LINK", "DOT"]


def _chain(n: int) -> str:
    """n fragments, each spreading the next twice: 2^n fields once spread in place."""
    links = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    return " ".join(["query { ...F0 }", *links, f"fragment F{n} on Query {{ __typename }}"])


def _codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


async def test_a_fragment_chain_is_refused_in_linear_time(api: Callable[..., ApiServer]) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        await gql(client, server.url, "{ __typename }")  # connection and first request paid
        took = []
        for _ in range(3):  # the best of three: the start-up warm-up may still be running
            started = time.perf_counter()
            thirty = await gql(client, server.url, _chain(30))
            took.append(time.perf_counter() - started)
        two = await gql(client, server.url, _chain(2))  # four fields once spread: allowed
    assert thirty.get("data") is None
    assert _codes(thirty) == ["GRAPHQL_VALIDATION_FAILED"]
    # refused by the first limit it passes: __typename, spread in place, repeats past 20
    assert "more than 20 times" in thirty["errors"][0]["message"]
    assert min(took) < 0.05, f"{min(took) * 1000:.1f} ms"
    assert two["data"] == {"__typename": "Query"}


async def test_fragments_that_are_unknown_or_circular_are_coded(
    api: Callable[..., ApiServer],
) -> None:
    server = api()
    ring = " ".join(f"fragment R{i} on Query {{ ...R{(i + 1) % 50} }}" for i in range(50))
    big_ring = " ".join(f"fragment R{i} on Query {{ ...R{(i + 1) % 500} }}" for i in range(500))
    async with httpx.AsyncClient() as client:
        missing = await gql(client, server.url, "{ ...Missing }")
        circular = await gql(client, server.url, "query { ...R0 } " + ring)
        many = await gql(client, server.url, "query { ...R0 } " + big_ring)
        huge_int = await gql(
            client, server.url, "{ fearGreed(limit: " + "9" * 5000 + ") { value } }"
        )
    assert missing["errors"][0]["message"] == "Unknown fragment 'Missing'."
    assert "within itself" in circular["errors"][0]["message"]
    assert "500 fragments" in many["errors"][0]["message"]
    assert "too long to read" in huge_int["errors"][0]["message"]  # not Python's own words
    for result in (missing, circular, many, huge_int):
        assert result.get("data") is None
        assert _codes(result) == ["GRAPHQL_VALIDATION_FAILED"]


def _costly_analysis(count: int) -> str:
    """The issue's first document: aliases of signals, SMC over five intervals, indicators
    over 1,500 candles, books and trades, each on another symbol."""
    return (
        "{ "
        + " ".join(
            f'a{i}: symbol(ticker: "{t}") {{ signal {{ score }} '
            f'smc(intervals: ["1m", "5m", "15m", "1h", "4h"], limit: 1500) {{ bias }} '
            f'indicators(interval: "1h", limit: 1500) {{ rsi }} orderbook(depth: 1000) {{ spread }} '
            f"recentTrades(limit: 1000) {{ source }} }}"
            for i, t in enumerate((TICKERS * 4)[:count])
        )
        + " }"
    )


INTERVALS = ["1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w"]


def _many_intervals() -> str:
    """The issue's second document: 49 aliases of symbols(50 tickers), other intervals."""
    tickers = ", ".join(f'"{t}{n}"' for n in range(5) for t in TICKERS)
    return "{ " + " ".join(
        f'b{i}: symbols(tickers: [{tickers}]) {{ candles(interval: "{INTERVALS[i % 14]}") {{ interval }} }}'
        for i in range(49)
    ) + " }"  # fmt: skip


async def test_costly_documents_are_refused_before_any_upstream_call(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        await gql(client, server.url, '{ symbol(ticker: "BTC") { ticker } }')  # symbols known
        replay.reset()
        analysis = await gql(client, server.url, _costly_analysis(37))
        intervals = await gql(client, server.url, _many_intervals())
    for result in (analysis, intervals):
        assert result.get("data") is None
        (error,) = result["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
        cost = error["extensions"]["cost"]
        assert cost["requested"] > cost["maximum"] == 1000
    assert replay.calls() == {}  # not one upstream call


def test_every_readme_example_is_within_the_default_budget() -> None:
    schema = build_schema()
    assert len(EXAMPLES) >= 6
    costs = {
        " ".join(e.split())[:60]: document_cost(schema._schema, graphql.parse(e), None, None, 10**9)
        for e in EXAMPLES
    }
    assert all(0 <= c <= 1000 for c in costs.values()), costs
    assert max(costs.values()) > 0


def test_distinct_upstream_calls_are_counted_once() -> None:
    schema = build_schema()

    def cost(query: str) -> int:
        return document_cost(schema._schema, graphql.parse(query), None, None, 10**9)

    one = cost('{ symbol(ticker: "BTC") { candles(interval: "1h") { interval } } }')
    same_twice = cost(
        '{ a: symbol(ticker: "BTC") { candles(interval: "1h") { interval } }'
        ' b: symbol(ticker: "btc") { candles(interval: "1h") { source } } }'
    )
    other_interval = cost(
        '{ a: symbol(ticker: "BTC") { candles(interval: "1h") { interval } }'
        ' b: symbol(ticker: "BTC") { candles(interval: "4h") { interval } } }'
    )
    listed = str(TICKERS).replace("'", '"')
    ten_symbols = cost(
        f'{{ symbols(tickers: {listed}) {{ candles(interval: "1h") {{ interval }} }} }}'
    )
    prices = cost(f"{{ symbols(tickers: {listed}) {{ price }} }}")
    assert same_twice == one
    assert other_interval > one
    assert ten_symbols > 5 * (one - 1)  # per symbol, the exchange info once
    assert prices == cost('{ symbol(ticker: "BTC") { price } }')  # one all-symbol call
    variables = document_cost(
        schema._schema,
        graphql.parse("query($t: [String!]!) { symbols(tickers: $t) { candles { interval } } }"),
        None,
        {"t": TICKERS},
        10**9,
    )
    assert variables == ten_symbols


async def test_cost_is_reported_with_what_was_spent(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = '{ symbol(ticker: "BTC") { candles(interval: "1h", limit: 10) { interval } } }'
    async with httpx.AsyncClient() as client:
        cold = await gql(client, server.url, query, debug=True)
        warm = await gql(client, server.url, query)
    cold_cost, warm_cost = cold["extensions"]["cost"], warm["extensions"]["cost"]
    assert cold_cost["requested"] == warm_cost["requested"] > 0
    assert 0 < cold_cost["actual"] <= cold_cost["requested"]
    assert len(cold["extensions"]["upstream"]["calls"]) >= 1
    assert warm_cost["actual"] == 0  # the data cache answered


async def test_the_deadline_cancels_a_slow_operation(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(request_timeout_s=0.3, response_cache=False)
    replay.fault(route="/fapi/v1/klines", latency_ms=2000)
    async with httpx.AsyncClient() as client:
        started = time.perf_counter()
        slow = await gql(client, server.url, '{ symbol(ticker: "BTC") { candles { interval } } }')
        took = time.perf_counter() - started
        fine = await gql(client, server.url, "{ __typename }")
    assert _codes(slow) == ["TIMEOUT"]
    assert slow.get("data") is None
    assert took < 1.5
    assert fine["data"] == {"__typename": "Query"}


async def test_a_response_over_the_cap_is_replaced_by_a_coded_error(
    api: Callable[..., ApiServer],
) -> None:
    server = api(max_response_bytes=2048)
    async with httpx.AsyncClient() as client:
        big = await gql(client, server.url, "{ __schema { types { name description } } }")
        small = await gql(client, server.url, "{ __typename }")
    assert big.get("data") is None
    assert _codes(big) == ["RESPONSE_TOO_LARGE"]
    assert small["data"] == {"__typename": "Query"}


async def test_requests_past_the_in_flight_bound_are_shed_at_once(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(max_in_flight=2, response_cache=False)
    replay.fault(route="/fapi/v1/klines", latency_ms=1000)
    query = {"query": '{ symbol(ticker: "BTC") { candles { interval } } }'}
    async with httpx.AsyncClient(timeout=10) as client:
        await gql(client, server.url, '{ symbol(ticker: "BTC") { ticker } }')
        slow = [
            asyncio.create_task(client.post(f"{server.url}/graphql", json=query)) for _ in range(2)
        ]
        await asyncio.sleep(0.3)  # both admitted and waiting on the slow upstream
        started = time.perf_counter()
        shed = await client.post(
            f"{server.url}/graphql",
            json={"query": "{ __typename }"},
            headers={"origin": "http://localhost:3000"},  # a page allowed in development
        )
        shed_took = time.perf_counter() - started
        health = await client.get(f"{server.url}/healthz")
        admitted = await asyncio.gather(*slow)
    assert shed.status_code == 503
    assert shed.headers["retry-after"] == "1"
    assert shed.json()["errors"][0]["extensions"]["code"] == "OVERLOADED"
    # the page may read the refusal (CORS) and it carries the security headers
    assert shed.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "retry-after" in shed.headers["access-control-expose-headers"]
    assert shed.headers["x-content-type-options"] == "nosniff"
    assert shed_took < 0.1
    assert health.status_code == 200  # outside the bound
    assert all(r.status_code == 200 for r in admitted)
