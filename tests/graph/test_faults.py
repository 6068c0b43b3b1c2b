"""Upstream faults: the failed field is null with its code, the rest is served, and the
server keeps serving. Faults are injected at the replay exchange on one endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support import ApiServer, Replay, gql

PREMIUM = "/fapi/v1/premiumIndex"
QUERY = '{ symbol(ticker: "BTC") { ticker price markPrice } }'


def _error_at(result: dict[str, Any], *path: object) -> dict[str, Any]:
    matches = [e for e in result.get("errors", []) if tuple(e["path"]) == path]
    assert len(matches) == 1, result
    found: dict[str, Any] = matches[0]
    return found


def _binance_calls(replay: Replay) -> int:
    return sum(n for p, n in replay.calls().items() if p.startswith(("/fapi", "/futures")))


@pytest.mark.parametrize(
    ("rule", "code", "max_calls"),
    [
        ({"mode": "timeout", "hang_s": 5}, "UPSTREAM_TIMEOUT", 3),
        ({"mode": "status", "status": 500}, "UPSTREAM_ERROR", 3),
        ({"mode": "status", "status": 503}, "UPSTREAM_ERROR", 3),
        ({"mode": "malformed"}, "BAD_UPSTREAM_DATA", 1),
        ({"mode": "reset"}, "UPSTREAM_UNREACHABLE", 3),
        ({"mode": "truncated"}, "UPSTREAM_UNREACHABLE", 3),
    ],
    ids=["timeout", "500", "503", "malformed", "reset", "truncated"],
)
async def test_failed_endpoint_nulls_only_its_fields(
    api: Callable[..., ApiServer], replay: Replay, rule: dict[str, Any], code: str, max_calls: int
) -> None:
    server = api(response_cache=False)
    replay.fault(route=PREMIUM, **rule)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, QUERY)
        symbol = result["data"]["symbol"]
        assert symbol["ticker"] == "BTC"
        assert symbol["price"] is not None  # another endpoint, still served
        assert symbol["markPrice"] is None
        error = _error_at(result, "symbol", "markPrice")
        assert error["extensions"]["code"] == code
        assert error["extensions"]["provider"] == "binance"
        assert "Traceback" not in str(result)
        # transient faults are retried, within bounds; bad data is not retried
        calls = replay.calls()[PREMIUM]
        assert 1 <= calls <= max_calls
        if code == "BAD_UPSTREAM_DATA":
            assert calls == 1
        # the server keeps serving once the fault is gone
        replay.reset()
        healed = await gql(client, server.url, QUERY)
        assert "errors" not in healed
        assert healed["data"]["symbol"]["markPrice"] is not None
        assert (await client.get(f"{server.url}/healthz")).status_code == 200


@pytest.mark.parametrize("status", [429, 418])
async def test_rate_limit_stops_calls_to_the_host_until_retry_after(
    api: Callable[..., ApiServer], replay: Replay, status: int
) -> None:
    server = api(response_cache=False)
    replay.fault(route=PREMIUM, mode="status", status=status, retry_after_s=30, times=1)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, QUERY)
        error = _error_at(result, "symbol", "markPrice")
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["retryAfter"] == 30
        assert result["data"]["symbol"]["price"] is not None
        before = _binance_calls(replay)
        # inside Retry-After: nothing goes to Binance, for this or any other endpoint
        later = await gql(
            client, server.url, '{ symbol(ticker: "ETH") { markPrice fundingHistory { source } } }'
        )
        assert _binance_calls(replay) == before
        assert _error_at(later, "symbol", "markPrice")["extensions"]["code"] == "RATE_LIMITED"
        assert 0 < _error_at(later, "symbol", "markPrice")["extensions"]["retryAfter"] <= 30
        metrics = (await client.get(f"{server.url}/metrics")).text
    skipped = 'perpgraph_upstream_skipped_total{endpoint="/fapi/v1/premiumIndex",provider="binance",reason="retry_after"}'
    assert skipped in metrics


async def test_stale_value_is_served_marked_when_upstream_fails(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False, ttl_premium_index_s=0.2, stale_if_error_s=60)
    query = '{ symbol(ticker: "BTC") { premiumIndex { markPrice stale } } }'
    async with httpx.AsyncClient() as client:
        fresh = await gql(client, server.url, query)
        assert fresh["data"]["symbol"]["premiumIndex"]["stale"] is False
        replay.fault(route=PREMIUM, mode="status", status=500)
        import asyncio

        await asyncio.sleep(0.3)
        stale = await gql(client, server.url, query)
    assert "errors" not in stale
    assert stale["data"]["symbol"]["premiumIndex"] == {
        "markPrice": fresh["data"]["symbol"]["premiumIndex"]["markPrice"],
        "stale": True,
    }


async def test_binance_down_falls_back_to_okx_and_says_so(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    replay.fault(route="/fapi/v2/ticker/price", mode="status", status=500)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, '{ symbol(ticker: "BTC") { price } }')
    calls = replay.calls()
    assert calls.get("/api/v5/market/ticker") == 1  # the fallback venue was asked
    error = _error_at(result, "symbol", "price")
    # the replay has no recorded OKX ticker for BTC: the primary's failure is reported,
    # with what the fallback said beside it
    assert error["extensions"]["code"] == "UPSTREAM_ERROR"
    assert error["extensions"]["provider"] == "binance"
    assert error["extensions"]["fallback"] == {"provider": "okx", "code": "NO_DATA"}


async def test_fallback_that_cannot_serve_the_arguments_is_reported_not_internal(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    replay.fault(route="/fapi/v1/klines", mode="status", status=500)
    async with httpx.AsyncClient() as client:
        result = await gql(
            client, server.url, '{ symbol(ticker: "BTC") { candles(interval: "8h") { interval } } }'
        )
    error = _error_at(result, "symbol", "candles")
    assert error["extensions"]["code"] == "UPSTREAM_ERROR"
    assert error["extensions"]["fallback"] == {"provider": "okx", "code": "NO_DATA"}
    assert "/api/v5/market/candles" not in replay.calls()  # OKX has no 8h bar: never asked


async def test_symbols_resolve_from_okx_when_binance_listing_is_down(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    replay.fault(route="/fapi/v1/exchangeInfo", mode="status", status=503)
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        result = await gql(
            client, server.url, '{ symbol(ticker: "btc") { ticker venueSymbols { binance okx } } }'
        )
    assert "errors" not in result
    assert result["data"]["symbol"] == {
        "ticker": "BTC",
        "venueSymbols": {"binance": None, "okx": "BTC-USDT-SWAP"},
    }
    assert replay.calls()["/api/v5/public/instruments"] == 1
