"""The ScalpingSnapshot through the real server against the replay exchange.

Each layer fetches only its own data (call counts at the replay), a failed layer is null with
its code while the rest is served, the layers' values equal what the replay serves (computed
here from ``replay.venue`` or the recorded files, never typed in), and the summary reads the
layers selected beside it and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import httpx
import pytest

from providers.replay.hyperliquid import CLEARINGHOUSE
from tests.support import RECORDED, STARTUP_CALLS, ApiServer, Replay, gql

INFO = "/fapi/v1/exchangeInfo"
KLINES = "/fapi/v1/klines"
DEPTH = "/fapi/v1/depth"
PREMIUM = "/fapi/v1/premiumIndex"
AGG_TRADES = "/fapi/v1/aggTrades"
GLOBAL_RATIO = "/futures/data/globalLongShortAccountRatio"
TOP_RATIO = "/futures/data/topLongShortPositionRatio"
FNG = "/fng/"
HYPERLIQUID = "/info"
OKX_LIQUIDATIONS = "/api/v5/public/liquidation-orders"
OKX_INSTRUMENTS = "/api/v5/public/instruments"
# The one account whose clearinghouseState the replay serves (providers/replay/hyperliquid.py)
WHALE, WHALE_FILE = next(iter(CLEARINGHOUSE.items()))

# One selection per layer, as the fault and summary tests select them.
SELECT = {
    "price": "price { price }",
    "rsi": "rsi { value }",
    "volumeDelta": "volumeDelta { delta }",
    "trend": "trend { emaAlignment }",
    "orderbook": "orderbook { imbalance }",
    "funding": "funding { rate }",
    "fearGreed": "fearGreed { value }",
    "largeTrades": "largeTrades { scanned }",
    "longShortRatio": "longShortRatio { ratio }",
    "smartMoney": "smartMoney { ratio }",
    "liquidations": "liquidations { longUsd }",
    "whales": "whales { positions { accounts } }",
}


def _query(ticker: str, interval: str, layers: Sequence[str], extra: str = "") -> str:
    body = " ".join(SELECT[x] for x in layers)
    return f'{{ scalping(ticker: "{ticker}", interval: "{interval}") {{ {body} {extra} }} }}'


def _codes(result: dict[str, Any]) -> dict[tuple[Any, ...], str]:
    return {tuple(e["path"]): e["extensions"]["code"] for e in result.get("errors", [])}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()


def _wilder_rsi(closes: Sequence[float], period: int) -> float:
    """RSI as Wilder defined it: simple means of the first ``period`` changes, then his
    smoothing; written out here, independent of TA-Lib."""
    changes = [b - a for a, b in pairwise(closes)]
    gain = sum(max(c, 0.0) for c in changes[:period]) / period
    loss = sum(max(-c, 0.0) for c in changes[:period]) / period
    for c in changes[period:]:
        gain = (gain * (period - 1) + max(c, 0.0)) / period
        loss = (loss * (period - 1) + max(-c, 0.0)) / period
    return 100.0 if loss == 0 else 100.0 - 100.0 / (1.0 + gain / loss)


def _ema(closes: Sequence[float], period: int) -> float:
    """EMA seeded with the simple mean of the first ``period`` closes (as TA-Lib seeds it)."""
    value = sum(closes[:period]) / period
    k = 2.0 / (period + 1)
    for close in closes[period:]:
        value = close * k + value * (1 - k)
    return value


def _klines(replay: Replay, symbol: str, interval: str) -> list[list[Any]]:
    rows: list[list[Any]] = replay.venue(KLINES, symbol=symbol, interval=interval, limit="100")
    return rows


# --- each layer fetches only its own data ------------------------------------------------------


async def test_rsi_alone_makes_only_the_klines_call(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = '{ scalping(ticker: "BTC") { rsi { value period zone source asOf stale } } }'
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert replay.calls() == {**STARTUP_CALLS, KLINES: 1}
    rows = _klines(replay, "BTCUSDT", "1m")
    rsi = result["data"]["scalping"]["rsi"]
    assert rsi["value"] == pytest.approx(_wilder_rsi([float(r[4]) for r in rows], 14), rel=1e-9)
    assert rsi["period"] == 14
    assert rsi["zone"] == (
        "OVERBOUGHT" if rsi["value"] >= 70 else "OVERSOLD" if rsi["value"] <= 30 else "NEUTRAL"
    )
    assert rsi["source"] == "binance via perpgraph-replay"
    assert rsi["asOf"] == _iso(int(rows[-1][6]))  # the newest candle's close time
    assert rsi["stale"] is False


async def test_orderbook_alone_makes_only_the_depth_call(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = """{ scalping(ticker: "SUSHI") { orderbook { imbalance spread spreadBps bestBid
        bestAsk depth wallFactor bidWalls { price quantity multiple }
        askWalls { price quantity multiple } source } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert replay.calls() == {**STARTUP_CALLS, DEPTH: 1}
    served = replay.venue(DEPTH, symbol="SUSHIUSDT", limit="100")
    bids = [(float(p), float(q)) for p, q in served["bids"]]
    asks = [(float(p), float(q)) for p, q in served["asks"]]
    book = result["data"]["scalping"]["orderbook"]
    bid_qty, ask_qty = sum(q for _, q in bids), sum(q for _, q in asks)
    assert book["imbalance"] == pytest.approx((bid_qty - ask_qty) / (bid_qty + ask_qty))
    assert (book["bestBid"], book["bestAsk"]) == (bids[0][0], asks[0][0])
    assert book["spread"] == pytest.approx(asks[0][0] - bids[0][0])
    mid = (asks[0][0] + bids[0][0]) / 2
    assert book["spreadBps"] == pytest.approx((asks[0][0] - bids[0][0]) / mid * 10_000)
    assert book["depth"] == 100 and book["wallFactor"] == 5
    for side, levels in (("bidWalls", bids), ("askWalls", asks)):
        mean = sum(q for _, q in levels) / len(levels)
        expected = [(p, q, q / mean) for p, q in levels if q > 5 * mean]
        assert expected, "the recorded book has walls on both sides at 100 levels"
        got = [(w["price"], w["quantity"], w["multiple"]) for w in book[side]]
        assert [g[:2] for g in got] == [e[:2] for e in expected]
        assert [g[2] for g in got] == pytest.approx([e[2] for e in expected])


async def test_a_full_snapshot_fetches_its_sources_concurrently(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    """Behaviour check with a generous bound; the latency figure itself belongs in `make bench`."""
    latency_s = 0.2
    server = api(response_cache=False, hyperliquid_whale_addresses=WHALE)
    query = _query(
        "BTC",
        "5m",
        list(SELECT),
        "social { topic } whales { recentTrades { scanned } } summary { bias basedOn }",
    )
    async with httpx.AsyncClient() as client:
        await gql(client, server.url, '{ symbol(ticker: "BTC") { ticker } }')  # listing cached
        replay.reset()
        replay.fault(route="*", latency_ms=latency_s * 1000)
        started = time.perf_counter()
        result = await gql(client, server.url, query)
        elapsed = time.perf_counter() - started
    calls = replay.calls()
    upstream = sum(calls.values())
    assert upstream >= 10, calls
    # one after the other they would take upstream x 200 ms; at once, a few rounds (OKX's
    # liquidations need its instrument list first) plus overhead
    assert elapsed < upstream * latency_s / 2, (elapsed, calls)
    assert result["data"]["scalping"]["price"] is not None
    assert result["data"]["scalping"]["summary"]["basedOn"]


# --- failures ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ticker", "interval", "failing", "route", "fault", "code", "control"),
    [
        ("BTC", "5m", ["price", "rsi", "volumeDelta", "trend"], KLINES, "malformed",
         "BAD_UPSTREAM_DATA", ["funding", "fearGreed"]),
        ("BTC", "1m", ["funding"], PREMIUM, "malformed", "BAD_UPSTREAM_DATA", ["price"]),
        ("SUSHI", "1m", ["orderbook"], DEPTH, "malformed", "BAD_UPSTREAM_DATA", ["largeTrades"]),
        ("SUSHI", "1m", ["orderbook"], DEPTH, "status", "UPSTREAM_ERROR", ["largeTrades"]),
        ("SUSHI", "1m", ["largeTrades"], AGG_TRADES, "malformed", "BAD_UPSTREAM_DATA",
         ["orderbook"]),
        ("BTC", "1m", ["fearGreed"], FNG, "malformed", "BAD_UPSTREAM_DATA", ["price"]),
        ("BTC", "1m", ["longShortRatio"], GLOBAL_RATIO, "malformed", "BAD_UPSTREAM_DATA",
         ["price"]),
        ("BTC", "1m", ["smartMoney"], TOP_RATIO, "malformed", "BAD_UPSTREAM_DATA", ["price"]),
        ("BTC", "1m", ["liquidations"], OKX_LIQUIDATIONS, "malformed", "BAD_UPSTREAM_DATA",
         ["price"]),
        ("ETH", "1m", ["whales"], HYPERLIQUID, "malformed", "BAD_UPSTREAM_DATA", ["price"]),
    ],
    ids=["klines", "premium", "depth", "depth-500", "aggTrades", "fng", "globalRatio",
         "topRatio", "okx-liquidations", "hyperliquid"],
)  # fmt: skip
async def test_a_failing_provider_nulls_only_its_layers(
    api: Callable[..., ApiServer],
    replay: Replay,
    ticker: str,
    interval: str,
    failing: list[str],
    route: str,
    fault: str,
    code: str,
    control: list[str],
) -> None:
    server = api(response_cache=False, hyperliquid_whale_addresses=WHALE)
    replay.fault(route=route, mode=fault)
    query = _query(ticker, interval, failing + control, "summary { basedOn missing }")
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    snapshot = result["data"]["scalping"]
    codes = _codes(result)
    for layer in failing:
        if layer == "whales":  # the container stays; its positions part failed
            assert snapshot["whales"] == {"positions": None}
            assert codes[("scalping", "whales", "positions")] == code
        else:
            assert snapshot[layer] is None
            assert codes[("scalping", layer)] == code
    for layer in control:
        assert snapshot[layer] is not None, result
    assert len(codes) == len(failing), result  # nothing else failed
    assert "Traceback" not in json.dumps(result)
    # the summary is served from what is left, and says what it could not read
    assert set(snapshot["summary"]["missing"]) == set(failing)
    assert set(snapshot["summary"]["basedOn"]) == set(control)


async def test_candles_without_taker_volume_give_no_volume_delta(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    """The replay's BTC 1m candles are derived OHLCV (no taker volume): NO_DATA, not zero."""
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        result = await gql(
            client, server.url, '{ scalping(ticker: "BTC") { volumeDelta { delta } } }'
        )
    assert result["data"]["scalping"]["volumeDelta"] is None
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "NO_DATA"
    assert error["extensions"]["provider"] == "binance"
    assert "taker" in error["message"]
    assert replay.calls() == {**STARTUP_CALLS, KLINES: 1}
    assert _klines(replay, "BTCUSDT", "1m")[-1][9:] == []  # indeed: 7 fields a row


async def test_social_without_a_key_is_not_configured(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, '{ scalping(ticker: "BTC") { social { topic } } }')
    assert result["data"]["scalping"]["social"] is None
    assert _codes(result) == {("scalping", "social"): "NOT_CONFIGURED"}
    assert replay.calls() == STARTUP_CALLS


@pytest.mark.parametrize(
    ("query", "path", "code"),
    [
        ('{ scalping(ticker: "BTC", interval: "7m") { ticker } }', ("scalping",), "BAD_INTERVAL"),
        ('{ scalping(ticker: "BTC") { rsi(period: 1) { value } } }', ("scalping", "rsi"), "BAD_PERIOD"),
        ('{ scalping(ticker: "BTC") { volumeDelta(last: 0) { delta } } }',
         ("scalping", "volumeDelta"), "BAD_LIMIT"),
        ('{ scalping(ticker: "SUSHI") { orderbook(depth: 7) { spread } } }',
         ("scalping", "orderbook"), "BAD_LIMIT"),
        ('{ scalping(ticker: "SUSHI") { largeTrades(first: 101) { scanned } } }',
         ("scalping", "largeTrades"), "BAD_LIMIT"),
        ('{ scalping(ticker: "NOPE") { ticker } }', ("scalping",), "UNKNOWN_SYMBOL"),
    ],
)  # fmt: skip
async def test_bad_arguments_are_coded(
    api: Callable[..., ApiServer], replay: Replay, query: str, path: tuple[str, ...], code: str
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert _codes(result) == {path: code}
    assert set(replay.calls()) <= {INFO, OKX_INSTRUMENTS}  # refused before any data fetch


# --- values --------------------------------------------------------------------------------------


async def test_candle_layers_equal_what_the_replay_serves(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = """{ scalping(ticker: "BTC", interval: "5m") {
        price { price recentHigh recentLow rangeCandles vwap windowStart windowCandles
                latest { openTime close volume } candles(last: 3) { close } }
        volumeDelta(last: 20) { last delta takerBuyVolume takerSellVolume volume }
        trend { emaAlignment structure higherHighs higherLows lowerHighs lowerLows
                emas { period value } candles }
        funding { rate nextFundingTime source }
        fearGreed { value classification } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert "errors" not in result, result
    assert replay.calls() == {**STARTUP_CALLS, KLINES: 1, PREMIUM: 1, FNG: 1}
    rows = _klines(replay, "BTCUSDT", "5m")
    s = result["data"]["scalping"]
    high, low, close, volume = ([float(r[i]) for r in rows] for i in (2, 3, 4, 5))
    price = s["price"]
    assert price["price"] == close[-1]
    assert (price["recentHigh"], price["recentLow"]) == (max(high[-20:]), min(low[-20:]))
    assert price["rangeCandles"] == 20 and price["windowCandles"] == len(rows) == 100
    typical = sum(
        (h + lo + c) / 3 * v for h, lo, c, v in zip(high, low, close, volume, strict=True)
    )
    assert price["vwap"] == pytest.approx(typical / sum(volume), rel=1e-12)
    assert price["windowStart"] == _iso(int(rows[0][0]))
    assert price["latest"] == {
        "openTime": _iso(int(rows[-1][0])),
        "close": close[-1],
        "volume": volume[-1],
    }
    assert [c["close"] for c in price["candles"]] == close[-3:]

    buy = [float(r[9]) for r in rows[-20:]]
    delta = s["volumeDelta"]
    assert delta["takerBuyVolume"] == pytest.approx(sum(buy))
    assert delta["volume"] == pytest.approx(sum(volume[-20:]))
    assert delta["takerSellVolume"] == pytest.approx(sum(volume[-20:]) - sum(buy))
    assert delta["delta"] == pytest.approx(2 * sum(buy) - sum(volume[-20:]))

    trend = s["trend"]
    emas = [_ema(close, p) for p in (9, 21, 50)]
    assert [e["period"] for e in trend["emas"]] == [9, 21, 50]
    assert [e["value"] for e in trend["emas"]] == pytest.approx(emas, rel=1e-9)
    chain = [close[-1], *emas]
    expected_alignment = (
        "BULLISH" if all(a > b for a, b in pairwise(chain))
        else "BEARISH" if all(a < b for a, b in pairwise(chain))
        else "MIXED"
    )  # fmt: skip
    assert trend["emaAlignment"] == expected_alignment
    # the last 30 candles in three windows of 10, oldest first
    windows = [slice(len(rows) - 30 + 10 * i, len(rows) - 20 + 10 * i) for i in range(3)]
    highs = [max(high[w]) for w in windows]
    lows = [min(low[w]) for w in windows]
    rising = {
        "higherHighs": highs[0] < highs[1] < highs[2],
        "higherLows": lows[0] < lows[1] < lows[2],
        "lowerHighs": highs[0] > highs[1] > highs[2],
        "lowerLows": lows[0] > lows[1] > lows[2],
    }
    assert {k: trend[k] for k in rising} == rising
    structure = (
        "UP" if rising["higherHighs"] and rising["higherLows"]
        else "DOWN" if rising["lowerHighs"] and rising["lowerLows"]
        else "MIXED"
    )  # fmt: skip
    assert trend["structure"] == structure

    premium = replay.venue(PREMIUM, symbol="BTCUSDT")
    assert s["funding"]["rate"] == float(premium["lastFundingRate"])
    assert s["funding"]["nextFundingTime"] == _iso(int(premium["nextFundingTime"]))
    fng = replay.venue(FNG, limit="1")["data"][0]
    assert s["fearGreed"] == {
        "value": int(fng["value"]),
        "classification": fng["value_classification"],
    }


async def test_large_trades_are_the_largest_recent_aggtrades(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = """{ scalping(ticker: "SUSHI") { largeTrades(first: 5) { scanned buyNotional
        sellNotional trades { id price quantity notional time takerSide } } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert replay.calls() == {**STARTUP_CALLS, AGG_TRADES: 1}
    served = replay.venue(AGG_TRADES, symbol="SUSHIUSDT", limit="1000")
    ranked = sorted(
        served, key=lambda t: (float(t["p"]) * float(t["q"]), t["T"], t["a"]), reverse=True
    )[:5]
    large = result["data"]["scalping"]["largeTrades"]
    assert large["scanned"] == len(served)
    assert large["trades"] == [
        {
            "id": str(t["a"]),
            "price": float(t["p"]),
            "quantity": float(t["q"]),
            "notional": pytest.approx(float(t["p"]) * float(t["q"])),
            "time": _iso(t["T"]),
            "takerSide": "SELL" if t["m"] else "BUY",
        }
        for t in ranked
    ]
    bought = sum(float(t["p"]) * float(t["q"]) for t in ranked if not t["m"])
    assert large["buyNotional"] == pytest.approx(bought)
    assert large["sellNotional"] == pytest.approx(
        sum(float(t["p"]) * float(t["q"]) for t in ranked) - bought
    )


async def test_whale_positions_are_the_watched_accounts_recorded_positions(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False, hyperliquid_whale_addresses=WHALE)
    query = """{ scalping(ticker: "ETH") { whales { coin
        positions { accounts source longValueUsd shortValueUsd positions { address coin side
            size entryPrice positionValueUsd unrealizedPnlUsd returnOnEquity leverage
            leverageType liquidationPrice marginUsedUsd } }
        recentTrades { scanned } } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert replay.calls() == {**STARTUP_CALLS, HYPERLIQUID: 2}  # clearinghouseState, recentTrades
    recorded = json.loads((RECORDED / WHALE_FILE).read_text())
    held = [a["position"] for a in recorded["assetPositions"] if a["position"]["coin"] == "ETH"]
    assert held, "the recorded account holds ETH"
    whales = result["data"]["scalping"]["whales"]
    assert whales["coin"] == "ETH"
    positions = whales["positions"]
    assert positions["accounts"] == 1
    assert positions["source"] == "hyperliquid via perpgraph-replay"

    def opt(value: str | None) -> float | None:
        return None if value is None else float(value)

    assert positions["positions"] == [
        {
            "address": WHALE,
            "coin": "ETH",
            "side": "LONG" if float(p["szi"]) > 0 else "SHORT",
            "size": float(p["szi"]),
            "entryPrice": opt(p["entryPx"]),
            "positionValueUsd": float(p["positionValue"]),
            "unrealizedPnlUsd": float(p["unrealizedPnl"]),
            "returnOnEquity": opt(p["returnOnEquity"]),
            "leverage": float(p["leverage"]["value"]),
            "leverageType": p["leverage"]["type"],
            "liquidationPrice": opt(p["liquidationPx"]),
            "marginUsedUsd": opt(p["marginUsed"]),
        }
        for p in sorted(held, key=lambda p: abs(float(p["positionValue"])), reverse=True)
    ]
    longs = sum(float(p["positionValue"]) for p in held if float(p["szi"]) > 0)
    assert positions["longValueUsd"] == pytest.approx(longs)
    # recentTrades is not recorded: the replay answers null, as the venue does for no data
    assert whales["recentTrades"] is None
    (error,) = result["errors"]
    assert tuple(error["path"]) == ("scalping", "whales", "recentTrades")
    assert error["extensions"]["code"] == "NO_DATA"
    assert error["extensions"]["provider"] == "hyperliquid"


async def test_whale_positions_without_watched_accounts_are_not_configured(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = '{ scalping(ticker: "ETH") { whales { coin positions { accounts } } } }'
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert result["data"]["scalping"]["whales"] == {"coin": "ETH", "positions": None}
    assert _codes(result) == {("scalping", "whales", "positions"): "NOT_CONFIGURED"}
    assert replay.calls() == STARTUP_CALLS  # nothing guessed, nothing asked


# --- the summary -------------------------------------------------------------------------------


async def test_the_summary_reads_the_selected_layers_and_fetches_nothing_more(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    chosen = ["price", "rsi", "volumeDelta", "trend", "funding", "fearGreed"]
    query = _query(
        "BTC",
        "5m",
        chosen,
        """price { recentHigh recentLow vwap }
        summary { bias score coveragePct basedOn missing read
                  keyLevels { kind price layer } support { price } resistance { price }
                  votes { layer weight score } }""",
    )
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert "errors" not in result, result
    assert replay.calls() == {
        **STARTUP_CALLS,
        KLINES: 1,
        PREMIUM: 1,
        FNG: 1,
    }  # the layers' own calls
    s = result["data"]["scalping"]
    summary = s["summary"]
    assert sorted(summary["basedOn"]) == sorted(chosen)
    assert summary["missing"] == []
    assert summary["coveragePct"] == sum(v["weight"] for v in summary["votes"])
    weighted = sum(v["weight"] * v["score"] for v in summary["votes"])
    assert summary["score"] == pytest.approx(weighted / summary["coveragePct"])
    expected_bias = (
        "LONG" if summary["score"] >= 0.15 else "SHORT" if summary["score"] <= -0.15 else "NEUTRAL"
    )
    assert summary["bias"] == expected_bias
    assert summary["read"].startswith(expected_bias)
    price = s["price"]
    levels = {(k["kind"], k["price"]) for k in summary["keyLevels"]}
    assert levels == {
        ("RECENT_HIGH", price["recentHigh"]),
        ("RECENT_LOW", price["recentLow"]),
        ("VWAP", price["vwap"]),
    }
    below = [p for _, p in levels if p < price["price"]]
    above = [p for _, p in levels if p > price["price"]]
    assert summary["support"] == ({"price": max(below)} if below else None)
    assert summary["resistance"] == ({"price": min(above)} if above else None)


async def test_the_summary_alone_reads_nothing(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = '{ scalping(ticker: "BTC") { summary { bias score basedOn missing keyLevels { price } read } } }'
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert replay.calls() == STARTUP_CALLS
    summary = result["data"]["scalping"]["summary"]
    assert {k: summary[k] for k in ("bias", "score", "basedOn", "missing", "keyLevels")} == {
        "bias": "NEUTRAL",
        "score": 0.0,
        "basedOn": [],
        "missing": [],
        "keyLevels": [],
    }
    assert "select layers" in summary["read"]


async def test_the_summary_beside_the_orderbook_uses_its_walls_as_levels(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = """{ scalping(ticker: "SUSHI") { orderbook { bidWalls { price } askWalls { price } }
        rsi { value } summary { basedOn missing keyLevels { kind price layer } } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert replay.calls() == {**STARTUP_CALLS, DEPTH: 1, KLINES: 1}
    s = result["data"]["scalping"]
    # two recorded 1m candles: RSI has no value (NO_DATA), so the summary goes without it
    assert _codes(result) == {("scalping", "rsi"): "NO_DATA"}
    assert s["summary"]["basedOn"] == ["orderbook"]
    assert s["summary"]["missing"] == ["rsi"]
    walls = [("BID_WALL", w["price"]) for w in s["orderbook"]["bidWalls"][:3]]
    walls += [("ASK_WALL", w["price"]) for w in s["orderbook"]["askWalls"][:3]]
    got = [(k["kind"], k["price"]) for k in s["summary"]["keyLevels"]]
    assert got == sorted(walls, key=lambda w: w[1], reverse=True)
    assert {k["layer"] for k in s["summary"]["keyLevels"]} == {"orderbook"}


async def test_the_summary_follows_fragments_directives_variables_and_arguments(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = """query Q($period: Int!, $skip: Boolean!) {
        scalping(ticker: "BTC", interval: "5m") {
            ...Sentiment
            first: rsi(period: $period) { value }
            second: rsi(period: 21) { value }
            funding @skip(if: $skip) { rate }
            ... @include(if: false) { smartMoney { ratio } }
            summary { basedOn missing votes { layer reason } } } }
        fragment Sentiment on ScalpingSnapshot { fearGreed { value } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query, period=7, skip=True)
    assert "errors" not in result, result
    assert replay.calls() == {**STARTUP_CALLS, KLINES: 1, FNG: 1}  # no premium index, no ratios
    s = result["data"]["scalping"]
    assert s["summary"]["basedOn"] == ["rsi", "fearGreed"]
    assert s["summary"]["missing"] == []
    reasons = {v["layer"]: v["reason"] for v in s["summary"]["votes"]}
    # the first rsi selected, with its own period, is the one read
    assert reasons["rsi"].startswith(f"RSI {s['first']['value']:.1f}")


async def test_symbol_scalping_shares_the_klines_call_with_candles(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = """{ symbol(ticker: "BTC") {
        candles(interval: "1m", limit: 100) { candles { close } }
        scalping { interval price { price } rsi { value } trend { structure }
                   summary { basedOn } } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert "errors" not in result, result
    assert replay.calls() == {**STARTUP_CALLS, KLINES: 1}
    symbol = result["data"]["symbol"]
    assert symbol["scalping"]["interval"] == "1m"
    assert symbol["scalping"]["price"]["price"] == symbol["candles"]["candles"][-1]["close"]
    assert symbol["scalping"]["summary"]["basedOn"] == ["trend", "price", "rsi"]


# --- liquidations from the ingested stream ------------------------------------------------------

STREAM = "/ws/!forceOrder@arr"


async def test_liquidations_come_from_the_stream_when_it_runs(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    replay.stream(path=STREAM, speed=0, start_delay_s=0)
    server = api(
        response_cache=False,
        liquidation_streams="binance",
        binance_ws_url="ws" + replay.url.removeprefix("http"),
    )
    query = """query Q($window: StatsWindow!) { scalping(ticker: "ETH") {
        literal: liquidations(window: H4) { window source longCount shortCount coveredFrom }
        variable: liquidations(window: $window) { window source }
        summary { basedOn missing } } }"""
    async with httpx.AsyncClient() as client:
        async with asyncio.timeout(10):  # until the ingest has delivered the recording
            while "perpgraph_hub_delivered" not in (await client.get(f"{server.url}/metrics")).text:
                await asyncio.sleep(0.05)
        result = await gql(client, server.url, query, window="H12")
    assert "errors" not in result, result
    s = result["data"]["scalping"]
    assert s["literal"]["source"] == "stream: binance"
    assert s["literal"]["window"] == "H4" and s["variable"]["window"] == "H12"
    # the recording is from 2025: a window ending now holds none of it, and says so
    assert (s["literal"]["longCount"], s["literal"]["shortCount"]) == (0, 0)
    assert s["summary"] == {"basedOn": ["liquidations"], "missing": []}
    assert OKX_LIQUIDATIONS not in replay.calls()
    assert replay.calls()[OKX_INSTRUMENTS] == 1  # start-up's own: OKX's list, not asked again
