"""Bad input gets a coded error, never a 500 or a traceback, and the server keeps serving."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from tests.support import STARTUP_CALLS, ApiServer, Replay, gql


def _codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


async def test_unknown_ticker_gets_code_and_suggestions(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, '{ symbol(ticker: "BTCX") { ticker price } }')
        many = await gql(client, server.url, '{ symbols(tickers: ["ETH", "NOPE123"]) { ticker } }')
    assert result["data"] == {"symbol": None}
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "UNKNOWN_SYMBOL"
    assert "BTC" in error["extensions"]["suggestions"]
    # in a list, only the unknown entry is null
    assert many["data"]["symbols"][0] == {"ticker": "ETH"}
    assert many["data"]["symbols"][1] is None
    assert [tuple(e["path"]) for e in many["errors"]] == [("symbols", 1)]
    assert _codes(many) == ["UNKNOWN_SYMBOL"]
    assert not replay.calls().get("/fapi/v2/ticker/price")  # price was never asked


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ('candles(interval: "7m") { interval }', "BAD_INTERVAL"),
        ('candles(interval: "1h", limit: -1) { interval }', "BAD_LIMIT"),
        ('candles(interval: "1h", limit: 1000000) { interval }', "BAD_LIMIT"),
        ("fundingHistory(limit: 0) { source }", "BAD_LIMIT"),
        ('openInterestHistory(period: "2m") { source }', "BAD_PERIOD"),
        ("orderbook(depth: 7) { spread }", "BAD_LIMIT"),
        ("recentTrades(limit: 99999) { source }", "BAD_LIMIT"),
    ],
)
async def test_bad_arguments_get_codes_without_upstream_calls(
    api: Callable[..., ApiServer], replay: Replay, field: str, code: str
) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, f'{{ symbol(ticker: "BTC") {{ ticker {field} }} }}')
    assert result["data"]["symbol"]["ticker"] == "BTC"
    assert _codes(result) == [code]
    assert replay.calls() == STARTUP_CALLS  # the symbol lists of start-up, nothing more


async def test_too_many_symbols_is_a_coded_error(api: Callable[..., ApiServer]) -> None:
    server = api(max_symbols_per_query=3)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, '{ symbols(tickers: ["A","B","C","D"]) { ticker } }')
    assert _codes(result) == ["BAD_LIMIT"]


def _nested(levels: int) -> str:
    return '{ symbol(ticker: "BTC") ' + "{ x " * levels + "{ y }" + " }" * levels + " }"


async def test_deep_queries_are_rejected(api: Callable[..., ApiServer]) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        thousand = await gql(client, server.url, _nested(1000))
        twenty = await gql(client, server.url, _nested(20))
        ok = await gql(client, server.url, get_introspection_query())
    # 1,000 levels: graphql-core's parser refuses the nesting before anything else runs
    assert thousand.get("data") is None
    assert _codes(thousand) == ["GRAPHQL_PARSE_FAILED"]
    assert "nested too deeply" in thousand["errors"][0]["message"]
    # 20 levels parse, and Strawberry's depth limiter (max_query_depth) rejects them
    assert twenty.get("data") is None
    assert set(_codes(twenty)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert any("exceeds maximum operation depth" in e["message"] for e in twenty["errors"])
    assert "errors" not in ok  # GraphiQL's own introspection stays within the limit


async def test_ten_thousand_aliases_are_rejected(api: Callable[..., ApiServer]) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(10_000))
    # with room in the body and token limits, the alias limiter itself rejects it
    roomy = api(max_body_bytes=1_000_000, max_tokens=100_000)
    # with the defaults the token limiter stops it before the document is parsed
    default = api(max_body_bytes=1_000_000)
    async with httpx.AsyncClient() as client:
        by_aliases = await gql(client, roomy.url, f"{{ {aliases} }}")
        by_tokens = await gql(client, default.url, f"{{ {aliases} }}")
    assert _codes(by_aliases) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "aliases" in by_aliases["errors"][0]["message"]
    assert _codes(by_tokens) == ["GRAPHQL_PARSE_FAILED"]
    assert "token" in by_tokens["errors"][0]["message"].lower()


async def _chunks(count: int, size: int) -> AsyncIterator[bytes]:
    for _ in range(count):
        yield b" " * size


async def test_body_over_the_limit_gets_413(api: Callable[..., ApiServer]) -> None:
    server = api(max_body_bytes=2048)
    async with httpx.AsyncClient() as client:
        big = await client.post(
            f"{server.url}/graphql", json={"query": "{ __typename }" + " " * 4096}
        )
        chunked = await client.post(
            f"{server.url}/graphql",
            content=_chunks(4, 1024),
            headers={"content-type": "application/json"},
        )
        fine = await gql(client, server.url, "{ __typename }")
    assert big.status_code == 413
    assert big.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert chunked.status_code == 413
    assert fine["data"] == {"__typename": "Query"}


async def test_malformed_requests_are_4xx_not_500(api: Callable[..., ApiServer]) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        not_json = await client.post(
            f"{server.url}/graphql", content=b"{nope", headers={"content-type": "application/json"}
        )
        syntax = await gql(client, server.url, "{ symbol(ticker: ")
        unknown_field = await gql(client, server.url, "{ nope }")
        mutation = await client.post(f"{server.url}/graphql", json={"query": "mutation { x }"})
    assert 400 <= not_json.status_code < 500
    assert _codes(syntax) == ["GRAPHQL_PARSE_FAILED"]
    assert _codes(unknown_field) == ["GRAPHQL_VALIDATION_FAILED"]
    assert mutation.status_code < 500


async def test_graphiql_and_health_endpoints(api: Callable[..., ApiServer]) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        page = await client.get(f"{server.url}/graphql", headers={"accept": "text/html"})
        health = await client.get(f"{server.url}/healthz")
        ready = await client.get(f"{server.url}/readyz")
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert health.json() == {"status": "ok"}
    assert ready.json() == {"status": "ready"}
