"""Signals through the server against the replay: shape, shared fetches, call counts,
factor failures and the price failure."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import websockets
from pydantic import ValidationError
from websockets.typing import Subprotocol

from engine.signal import FACTORS, SOURCES, direction_for
from engine.signal.model import Direction, Mode
from graph.server.settings import Settings
from tests.support import ApiServer, Replay, gql

SIGNAL = """{ signal(ticker: "BTC", mode: %s) {
    ticker direction score confidence price mode modeInfo { shortAtOrBelow longAtOrAbove }
    factors { name weight subScore contribution available explanation }
    topFactors { name contribution } reasons generatedAt debug { factor name value }
    dataQuality { scorePct minimumPct sufficient sources { name tier state provider code detail } }
} }"""


def _sources(signal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in signal["dataQuality"]["sources"]}


def _factors(signal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in signal["factors"]}


@pytest.mark.parametrize("mode", ["CONSERVATIVE", "AGGRESSIVE", "ULTRA"])
async def test_signal_shape_and_consistency(
    api: Callable[..., ApiServer], replay: Replay, mode: str
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, SIGNAL % mode)
    assert "errors" not in result
    signal = result["data"]["signal"]
    assert [(f["name"], f["weight"]) for f in signal["factors"]] == [
        (f.name, f.weight) for f in FACTORS
    ]
    assert sum(f["weight"] for f in signal["factors"]) == 100
    assert set(_sources(signal)) == set(SOURCES)
    assert signal["price"] == float(
        replay.venue("/fapi/v2/ticker/price", symbol="BTCUSDT")["price"]
    )
    # the direction follows the mode's thresholds (quality is sufficient here)
    assert signal["dataQuality"]["sufficient"] is True
    assert signal["direction"] == direction_for(signal["score"], Mode(mode)).value
    # renormalized: the score is the weighted mean of the available sub-scores
    available = [f for f in signal["factors"] if f["available"]]
    weighted = sum(f["weight"] * f["subScore"] for f in available) / sum(
        f["weight"] for f in available
    )
    assert signal["score"] == pytest.approx(weighted, abs=0.01)
    assert len(signal["topFactors"]) == min(3, len(available))
    # absent factors say why; not-configured keyed sources are listed, not faked
    assert _sources(signal)["social"]["state"] == "NOT_CONFIGURED"
    assert _factors(signal)["social"]["available"] is False
    assert signal["debug"], "raw metrics on request"


async def test_signal_and_price_of_one_symbol_fetch_the_price_once(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = """{ symbol(ticker: "BTC") { price markPrice candles(interval: "1h") { interval }
                 signal { direction } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert "errors" not in result
    calls = replay.calls()
    assert calls["/fapi/v2/ticker/price"] == 1
    assert calls["/fapi/v1/premiumIndex"] == 1  # markPrice and the funding factor share it
    assert calls["/fapi/v1/klines"] == 1  # candles field and momentum factor share it


async def test_five_signals_cost_one_call_per_all_symbol_endpoint(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    tickers = ["BTC", "ETH", "SOL", "DOGE", "ADA"]
    listed = ", ".join(f'"{t}"' for t in tickers)
    async with httpx.AsyncClient() as client:
        result = await gql(
            client, server.url, f"{{ signals(tickers: [{listed}]) {{ ticker score }} }}"
        )
    calls = replay.calls()
    # all-symbol endpoints: one call for the five symbols
    assert calls["/fapi/v2/ticker/price"] == 1
    assert calls["/fapi/v1/premiumIndex"] == 1
    assert calls["/fng/"] == 1
    # per-symbol endpoints: at most one call per symbol each
    per_symbol = ["/fapi/v1/klines", "/futures/data/openInterestHist",
                  "/futures/data/globalLongShortAccountRatio", "/futures/data/topLongShortPositionRatio"]  # fmt: skip
    for path in per_symbol:
        assert calls[path] <= len(tickers), path
    served = [r["ticker"] for r in result["data"]["signals"] if r is not None]
    assert served[:3] == ["BTC", "ETH", "SOL"]
    # symbols without a recorded price fail with the price source's code, at their entry
    for error in result.get("errors", []):
        assert error["path"][0] == "signals"
        assert error["extensions"]["code"] == "NO_DATA"


@pytest.mark.parametrize(
    ("route", "source", "factor"),
    [
        ("/fapi/v1/klines", "klines", "momentum"),
        ("/fapi/v1/premiumIndex", "funding", "funding"),
        ("/fng/", "fear_greed", "fear_greed"),
    ],
)
async def test_a_failing_factor_source_is_left_out_and_listed(
    api: Callable[..., ApiServer], replay: Replay, route: str, source: str, factor: str
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        healthy = (await gql(client, server.url, SIGNAL % "AGGRESSIVE"))["data"]["signal"]
    server_b = api(response_cache=False)
    replay.fault(route=route, mode="status", status=500)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server_b.url, SIGNAL % "AGGRESSIVE")
    assert "errors" not in result
    signal = result["data"]["signal"]
    assert _factors(healthy)[factor]["available"] is True
    assert _factors(signal)[factor]["available"] is False
    assert "UPSTREAM_ERROR" in _factors(signal)[factor]["explanation"]
    failed = _sources(signal)[source]
    assert (failed["state"], failed["code"]) == ("FAILED", "UPSTREAM_ERROR")
    assert signal["dataQuality"]["scorePct"] < healthy["dataQuality"]["scorePct"]


async def test_price_failure_is_a_coded_error_for_the_signal(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    replay.fault(route="/fapi/v2/ticker/price", mode="status", status=503)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, SIGNAL % "AGGRESSIVE")
    assert result["data"] == {"signal": None}
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "UPSTREAM_ERROR"
    assert error["extensions"]["provider"] == "binance"
    assert error["extensions"]["fallback"]["provider"] == "okx"


async def test_quality_below_the_minimum_gives_no_direction(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False, signal_min_quality_pct=90)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, SIGNAL % "ULTRA")
    signal = result["data"]["signal"]
    assert signal["dataQuality"]["sufficient"] is False
    assert signal["direction"] == Direction.NEUTRAL.value
    assert any("quality" in reason.lower() for reason in signal["reasons"])


async def test_market_summary(api: Callable[..., ApiServer], replay: Replay) -> None:
    server = api()
    query = """{ marketSummary { sentiment coins { ticker direction score price }
        failed { ticker code message }
        distribution { long short neutral } averageScore marketBias averageFundingRate
        liquidationPressure { label } explanationEn explanationId recommendations } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    summary = result["data"]["marketSummary"]
    tickers = [c["ticker"] for c in summary["coins"]] + [f["ticker"] for f in summary["failed"]]
    assert sorted(tickers) == sorted(["BTC", "ETH", "SOL", "XRP", "BNB"])
    # the replay has no recorded price for some of them: each says why, with its code
    assert all(f["code"] == "NO_DATA" and f["message"] for f in summary["failed"])
    assert summary["sentiment"] in {"BULLISH", "BEARISH", "NEUTRAL", "MIXED"}
    counts = summary["distribution"]
    assert counts["long"] + counts["short"] + counts["neutral"] == len(summary["coins"])
    assert f"{summary['averageScore']:.2f}" in summary["explanationEn"]
    assert f"{summary['averageScore']:.2f}" in summary["explanationId"]
    assert summary["explanationId"] != summary["explanationEn"]


async def test_bad_mode_is_a_validation_error(api: Callable[..., ApiServer]) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        result = await gql(
            client, server.url, '{ signal(ticker: "BTC", mode: RECKLESS) { score } }'
        )
    assert [e["extensions"]["code"] for e in result["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]


async def test_keyed_sources_are_used_when_keyed_and_keys_never_leak(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    """With keys set, liquidations, ratios and social go to Coinglass and LunarCrush. The
    replay has no recordings of either (only vendor doc examples exist, which it never
    serves), so those sources fail with a coded error (liquidations then fall back to OKX,
    which has no BTC orders recorded either); the keys appear nowhere."""
    secret_cg, secret_lc = "cg-test-key-7f3a", "lc-test-key-91bd"
    server = api(
        response_cache=False,
        coinglass_api_key=secret_cg,
        coinglass_base_url=replay.url,
        lunarcrush_api_key=secret_lc,
        lunarcrush_base_url=replay.url,
    )
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, SIGNAL % "AGGRESSIVE")
        metrics = (await client.get(f"{server.url}/metrics")).text
    signal = result["data"]["signal"]
    sources = _sources(signal)
    # Coinglass was asked first; when it failed, OKX's public orders were tried
    assert sources["liquidations"]["provider"] == "okx"
    assert sources["long_short_ratio"]["provider"] == "coinglass"
    assert sources["social"]["provider"] == "lunarcrush"
    for name in ("liquidations", "long_short_ratio", "top_traders", "social"):
        assert sources[name]["state"] == "FAILED", name
    calls = replay.calls()
    assert calls["/api/futures/liquidation/history"] == 1
    assert any(path.startswith("/api4/public/topic/") for path in calls)
    assert calls["/api/v5/public/liquidation-orders"] == 1  # the fallback after Coinglass
    text = str(result) + metrics
    assert secret_cg not in text and secret_lc not in text


async def test_market_summary_counts_one_market_once_however_spelled(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api()
    query = """{ marketSummary(tickers: ["BTC", "btcusdt", "BTC-USDT-SWAP", "NOPE1"]) {
        coins { ticker } failed { ticker code } distribution { long short neutral } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    summary = result["data"]["marketSummary"]
    assert [c["ticker"] for c in summary["coins"]] == ["BTC"]
    assert sum(summary["distribution"].values()) == 1
    assert summary["failed"] == [{"ticker": "NOPE1", "code": "UNKNOWN_SYMBOL"}]


@pytest.mark.parametrize(
    ("route", "source", "factor"),
    [
        ("/futures/data/openInterestHist", "open_interest", "oi_trend"),
        ("/futures/data/globalLongShortAccountRatio", "long_short_ratio", "long_short_ratio"),
        ("/futures/data/topLongShortPositionRatio", "top_traders", "smart_money"),
        ("/api/v5/public/liquidation-orders", "liquidations", "liquidations"),
    ],
)
async def test_sources_without_recordings_still_report_an_injected_failure(
    api: Callable[..., ApiServer], replay: Replay, route: str, source: str, factor: str
) -> None:
    """These sources have no recording for BTC (NO_DATA); a fault shows as its own code."""
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        before = (await gql(client, server.url, SIGNAL % "AGGRESSIVE"))["data"]["signal"]
    replay.fault(route=route, mode="status", status=502)
    server_b = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        after = (await gql(client, server_b.url, SIGNAL % "AGGRESSIVE"))["data"]["signal"]
    assert _sources(before)[source]["code"] == "NO_DATA"
    assert (_sources(after)[source]["state"], _sources(after)[source]["code"]) == (
        "FAILED",
        "UPSTREAM_ERROR",
    )
    assert _factors(after)[factor]["available"] is False
    assert "UPSTREAM_ERROR" in _factors(after)[factor]["explanation"]


async def test_signal_updates_compute_once_for_all_subscribers(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False, signal_update_interval_s=30)
    query = (
        'subscription { signalUpdates(tickers: ["BTC"], mode: ULTRA) { ticker direction score } }'
    )
    url = "ws" + server.url.removeprefix("http") + "/graphql"

    async def first_update() -> dict[str, Any]:
        async with websockets.connect(
            url, subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
            async with asyncio.timeout(10):
                message = json.loads(await ws.recv())
            assert message["type"] == "next", message
            update: dict[str, Any] = message["payload"]["data"]["signalUpdates"]
            return update

    one, two = await asyncio.gather(first_update(), first_update())
    async with httpx.AsyncClient() as client:
        now = (await gql(client, server.url, SIGNAL % "ULTRA"))["data"]["signal"]
    assert one == two
    assert (one["ticker"], one["direction"], one["score"]) == (
        "BTC",
        now["direction"],
        now["score"],
    )
    # two subscribers, one computation: the price was fetched once for both (and the
    # query afterwards found it in the shared cache)
    assert replay.calls()["/fapi/v2/ticker/price"] == 1


async def test_mode_thresholds_are_settings(api: Callable[..., ApiServer]) -> None:
    """The same BTC score (replay data) under the default AGGRESSIVE pair and under a pair
    set just below it: the server's own thresholds are shown, and they decide."""
    default = api()
    async with httpx.AsyncClient(timeout=30) as client:
        first = (await gql(client, default.url, SIGNAL % "AGGRESSIVE"))["data"]["signal"]
    assert first["modeInfo"] == {"shortAtOrBelow": 45.0, "longAtOrAbove": 55.0}
    assert first["dataQuality"]["sufficient"]
    score = first["score"]
    long_at = round(score - 0.01, 2)  # the score is at or above this: LONG
    moved = api(mode_aggressive_short_at_or_below=0.0, mode_aggressive_long_at_or_above=long_at)
    async with httpx.AsyncClient(timeout=30) as client:
        second = (await gql(client, moved.url, SIGNAL % "AGGRESSIVE"))["data"]["signal"]
    assert second["score"] == score
    assert second["modeInfo"] == {"shortAtOrBelow": 0.0, "longAtOrAbove": long_at}
    assert second["direction"] == "LONG"


def test_a_mode_pair_that_is_not_short_below_long_is_refused_at_start() -> None:
    with pytest.raises(ValidationError, match="ULTRA thresholds must satisfy"):
        Settings(mode_ultra_short_at_or_below=52.0, mode_ultra_long_at_or_above=51.0)
