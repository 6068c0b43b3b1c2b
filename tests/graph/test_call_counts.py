"""Upstream call counts, through the real server over HTTP, against the replay exchange.

Counts are read at the replay (requests it received per path) and, where noted, from the
server's own debug extensions; both must agree that a field not asked costs nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from providers.binance import venue as binance_venue
from tests.support import STARTUP_CALLS, ApiServer, Replay, gql

PRICE = "/fapi/v2/ticker/price"
PREMIUM = "/fapi/v1/premiumIndex"
INFO = "/fapi/v1/exchangeInfo"
# the request weights of one symbol's price and premium index (a batch of one symbol asks
# for that symbol alone), with the exchange info's when the start-up warm-up did not fetch it
ONE_SYMBOL = binance_venue.weight(PRICE) + binance_venue.weight(PREMIUM)
SPENT = (ONE_SYMBOL, ONE_SYMBOL + binance_venue.weight(INFO))

# Twenty Binance perpetuals listed in the replay's exchange info.
TWENTY = [
    "BTC", "ETH", "SOL", "XRP", "BNB", "DOGE", "ADA", "LINK", "AVAX", "DOT",
    "LTC", "BCH", "TRX", "ATOM", "NEAR", "FIL", "APT", "ARB", "OP", "SUI",
]  # fmt: skip


async def _warm_exchange_info(client: httpx.AsyncClient, server: ApiServer) -> None:
    result = await gql(client, server.url, '{ symbol(ticker: "ETH") { ticker } }')
    assert result["data"]["symbol"]["ticker"] == "ETH"


async def test_ticker_only_costs_nothing_once_exchange_info_is_cached(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        await _warm_exchange_info(client, server)
        assert replay.calls() == STARTUP_CALLS
        result = await gql(client, server.url, '{ symbol(ticker: "BTC") { ticker base } }')
    assert result["data"] == {"symbol": {"ticker": "BTC", "base": "BTC"}}
    assert result["extensions"]["cost"]["actual"] == 0
    assert replay.calls() == STARTUP_CALLS


async def test_price_costs_one_call_and_none_within_ttl(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        await _warm_exchange_info(client, server)
        first = await gql(client, server.url, '{ symbol(ticker: "BTC") { price } }', debug=True)
        assert replay.calls() == {**STARTUP_CALLS, PRICE: 1}
        again = await gql(client, server.url, '{ symbol(ticker: "BTC") { price } }', debug=True)
        expected = replay.venue(PRICE, symbol="BTCUSDT")
    assert replay.calls() == {**STARTUP_CALLS, PRICE: 2}  # the second is this test's own check
    assert first["data"]["symbol"]["price"] == float(expected["price"])
    assert again["data"] == first["data"]
    assert first["extensions"]["upstream"]["count"] == 1
    assert again["extensions"]["upstream"]["count"] == 0


async def test_twenty_symbols_cost_one_price_call(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    listed = ", ".join(f'"{t}"' for t in TWENTY)
    async with httpx.AsyncClient() as client:
        await _warm_exchange_info(client, server)
        result = await gql(
            client, server.url, f"{{ symbols(tickers: [{listed}]) {{ ticker price }} }}", debug=True
        )
    assert replay.calls() == {**STARTUP_CALLS, PRICE: 1}, result["extensions"]
    served = {row["symbol"]: float(row["price"]) for row in replay.venue(PRICE)}
    rows = result["data"]["symbols"]
    assert [r["ticker"] for r in rows] == TWENTY
    errors = {tuple(e["path"]): e["extensions"]["code"] for e in result.get("errors", [])}
    for i, row in enumerate(rows):
        venue = f"{row['ticker']}USDT"
        if venue in served:
            assert row["price"] == served[venue]
        else:  # listed, but the replay has no recorded price: absent, and said so
            assert row["price"] is None
            assert errors[("symbols", i, "price")] == "NO_DATA"
    assert any(r["price"] is not None for r in rows)


async def test_fields_sharing_an_endpoint_share_the_call(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = """{ symbol(ticker: "BTC") {
        price markPrice indexPrice funding { rate nextFundingTime }
        premiumIndex { fundingRate source } } }"""
    async with httpx.AsyncClient() as client:
        await _warm_exchange_info(client, server)
        result = await gql(client, server.url, query)
    assert replay.calls() == {**STARTUP_CALLS, PRICE: 1, PREMIUM: 1}
    sym = result["data"]["symbol"]
    recorded = replay.venue(PREMIUM, symbol="BTCUSDT")
    assert sym["markPrice"] == float(recorded["markPrice"])
    assert sym["funding"]["rate"] == float(recorded["lastFundingRate"])
    assert sym["premiumIndex"]["source"] == "binance via perpgraph-replay"


async def test_fifty_concurrent_cold_queries_make_one_call_per_endpoint(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = '{ symbol(ticker: "BTC") { price markPrice funding { rate } } }'
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=60)) as client:
        results = await asyncio.gather(*(gql(client, server.url, query) for _ in range(50)))
    assert replay.calls() == {**STARTUP_CALLS, PRICE: 1, PREMIUM: 1}
    assert all(r["data"] == results[0]["data"] for r in results)
    assert "errors" not in results[0]
    # the three calls are spent once between the fifty, at their request weights
    spent = [r["extensions"]["cost"]["actual"] for r in results]
    assert sum(spent) in SPENT
    assert spent.count(0) >= 47


async def test_response_cache_answers_a_hot_query_without_executing(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api()
    query = '{ symbol(ticker: "BTC") { price funding { rate } } }'
    stats_query = "{ cacheStats { hits misses } }"
    async with httpx.AsyncClient() as client:
        first = await client.post(f"{server.url}/graphql", json={"query": query})
        after_first = await gql(client, server.url, stats_query)
        second = await client.post(f"{server.url}/graphql", json={"query": query})
        after_second = await gql(client, server.url, stats_query)
    assert first.headers["x-response-cache"] == "miss"
    assert second.headers["x-response-cache"] == "hit"
    assert second.json()["data"] == first.json()["data"]
    assert first.json()["extensions"]["cost"]["actual"] in SPENT
    assert second.json()["extensions"]["cost"]["actual"] == 0
    # the hit never reached the resolvers: no shared-cache lookup happened for it
    assert after_second == after_first
    assert after_first["data"]["cacheStats"]["misses"] >= 2
    assert replay.calls() == {**STARTUP_CALLS, PRICE: 1, PREMIUM: 1}


async def test_a_venues_no_data_answer_is_cached_like_a_value(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = '{ symbol(ticker: "BTC") { takerVolume(period: "1h") { source } } }'
    async with httpx.AsyncClient() as client:
        first = await gql(client, server.url, query)
        again = await gql(client, server.url, query)
    for result in (first, again):
        assert result["data"]["symbol"]["takerVolume"] is None
        assert [e["extensions"]["code"] for e in result["errors"]] == ["NO_DATA"]
    assert replay.calls()["/futures/data/takerlongshortRatio"] == 1


async def test_metrics_count_upstream_calls_by_provider_endpoint_and_outcome(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        await gql(client, server.url, '{ symbol(ticker: "BTC") { price takerVolume { source } } }')
        text = (await client.get(f"{server.url}/metrics")).text
    lines = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("perpgraph_upstream_calls_total{")
    }
    assert lines == {  # the two symbol lists of start-up, then the query's own
        'perpgraph_upstream_calls_total{endpoint="/api/v5/public/instruments",outcome="ok",provider="okx"}': 1.0,
        'perpgraph_upstream_calls_total{endpoint="/fapi/v1/exchangeInfo",outcome="ok",provider="binance"}': 1.0,
        'perpgraph_upstream_calls_total{endpoint="/fapi/v2/ticker/price",outcome="ok",provider="binance"}': 1.0,
        'perpgraph_upstream_calls_total{endpoint="/futures/data/takerlongshortRatio",outcome="not_served",provider="binance"}': 1.0,
    }
    assert sum(replay.calls().values()) == 4
    assert 'perpgraph_cache_requests_total{dataset="price",result="miss"} 1.0' in text
    assert "perpgraph_http_request_seconds_bucket" in text


async def test_candle_consumers_in_one_fetch_size_share_one_klines_call(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    """``candles(limit: 30)``, ``candles(limit: 100)`` and the signal's 100 hourly candles all
    fall in the 100-row fetch: one klines call, each cut to its own limit."""
    server = api(response_cache=False)
    query = """{ symbol(ticker: "BTC") {
        short: candles(interval: "1h", limit: 30) { candles { openTime close } }
        long: candles(interval: "1h", limit: 100) { candles { openTime close } }
        signal { direction } } }"""
    async with httpx.AsyncClient() as client:
        await _warm_exchange_info(client, server)
        result = await gql(client, server.url, query)
    assert replay.calls()["/fapi/v1/klines"] == 1
    recorded = replay.venue("/fapi/v1/klines", symbol="BTCUSDT", interval="1h", limit="100")
    short = result["data"]["symbol"]["short"]["candles"]
    long = result["data"]["symbol"]["long"]["candles"]
    assert [c["close"] for c in long] == [float(k[4]) for k in recorded]
    assert short == long[-30:]
