"""Indicators and Smart Money Concepts through the real server against the replay exchange.

Expected values are computed here, from the candles the replay itself serves: indicators
with TA-Lib called directly (VWAP and volume delta, which TA-Lib lacks, summed here; trend
from TA-Lib's EMAs and the highs/lows by hand), SMC with ``engine.smc`` run on those candles. The server fetches 499 candles
for any limit of 101..499 and keeps the newest ``limit``; the expectations cut the same way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import httpx
import numpy as np
import pytest
import talib

from engine.domain import Candle
from engine.smc import SmcAnalysis, SmcParams, analyze_smc, combine_timeframes
from tests.support import STARTUP_CALLS, ApiServer, Replay, gql

KLINES = "/fapi/v1/klines"
INFO = "/fapi/v1/exchangeInfo"
FETCH_SIZE = "499"  # what the server asks for any limit of 101..499

Row = list[Any]

# every indicator field, default and non-default arguments
INDICATOR_FIELDS = """interval candleCount source stale asOf
    rsi rsi7: rsi(period: 7)
    ema9: ema(period: 9) ema50: ema(period: 50) ema200: ema(period: 200)
    sma20: sma(period: 20) sma100: sma(period: 100)
    atr atr5: atr(period: 5)
    macd { macd signal histogram } macdFast: macd(fast: 5, slow: 35, signal: 5) { macd signal histogram }
    bollinger { upper middle lower bandwidth }
    bollingerNarrow: bollinger(period: 10, stddev: 1.5) { upper middle lower bandwidth }
    adx { adx plusDi minusDi } adx7: adx(period: 7) { adx plusDi minusDi }
    vwap volumeDelta volumeDelta5: volumeDelta(last: 5)
    trend { emaAlignment structure higherHighs higherLows lowerHighs lowerLows }"""  # fmt: skip


def _klines(replay: Replay, ticker: str, interval: str, limit: int) -> list[Row]:
    rows: list[Row] = replay.venue(
        KLINES, symbol=f"{ticker}USDT", interval=interval, limit=FETCH_SIZE
    )
    return rows[-limit:]


def _column(rows: Sequence[Row], i: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.array([float(r[i]) for r in rows], dtype=np.float64)


def _last(array: Any) -> float | None:
    value = float(array[-1])
    return value if math.isfinite(value) else None


def _close(actual: float | None, expected: float | None, scale: float, what: str) -> None:
    """Equal within 1e-12 of ``scale``: for values computed here in another summation order."""
    if expected is None:
        assert actual is None, what
    else:
        assert actual is not None, what
        assert math.isclose(actual, expected, rel_tol=1e-12, abs_tol=scale * 1e-12), (
            what,
            actual,
            expected,
        )


def _iso(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat()


def _candles(rows: Sequence[Row]) -> list[Candle]:
    """The replay's rows as engine candles (fields a row lacks stay None)."""
    return [
        Candle(
            open_time_ms=int(r[0]),
            open=float(r[1]),
            high=float(r[2]),
            low=float(r[3]),
            close=float(r[4]),
            volume=float(r[5]),
            close_time_ms=int(r[6]) if len(r) > 6 else None,
            quote_volume=float(r[7]) if len(r) > 7 else None,
            trade_count=int(r[8]) if len(r) > 8 else None,
            taker_buy_base_volume=float(r[9]) if len(r) > 9 else None,
        )
        for r in rows
    ]


def _talib_expected(rows: Sequence[Row]) -> dict[str, Any]:
    """The TA-Lib indicators of the query above at the newest row (None where NaN)."""
    high, low, close = (_column(rows, i) for i in (2, 3, 4))

    def macd(fast: int, slow: int, signal: int) -> dict[str, float | None]:
        m, s, h = talib.MACD(close, fastperiod=fast, slowperiod=slow, signalperiod=signal)
        return {"macd": _last(m), "signal": _last(s), "histogram": _last(h)}

    def bands(period: int, dev: float) -> dict[str, float | None]:
        up, mid, lo = talib.BBANDS(close, timeperiod=period, nbdevup=dev, nbdevdn=dev)
        u, m, lw = _last(up), _last(mid), _last(lo)
        width = None if u is None or m is None or lw is None else (u - lw) / m
        return {"upper": u, "middle": m, "lower": lw, "bandwidth": width}

    def adx(period: int) -> dict[str, float | None]:
        return {
            "adx": _last(talib.ADX(high, low, close, timeperiod=period)),
            "plusDi": _last(talib.PLUS_DI(high, low, close, timeperiod=period)),
            "minusDi": _last(talib.MINUS_DI(high, low, close, timeperiod=period)),
        }

    return {
        "rsi": _last(talib.RSI(close, timeperiod=14)),
        "rsi7": _last(talib.RSI(close, timeperiod=7)),
        "ema9": _last(talib.EMA(close, timeperiod=9)),
        "ema50": _last(talib.EMA(close, timeperiod=50)),
        "ema200": _last(talib.EMA(close, timeperiod=200)),
        "sma20": _last(talib.SMA(close, timeperiod=20)),
        "sma100": _last(talib.SMA(close, timeperiod=100)),
        "atr": _last(talib.ATR(high, low, close, timeperiod=14)),
        "atr5": _last(talib.ATR(high, low, close, timeperiod=5)),
        "macd": macd(12, 26, 9),
        "macdFast": macd(5, 35, 5),
        "bollinger": bands(20, 2.0),
        "bollingerNarrow": bands(10, 1.5),
        "adx": adx(14),
        "adx7": adx(7),
        "trend": _expected_trend(high, low, close),
    }


def _volume_delta(rows: Sequence[Row], last: int) -> tuple[float | None, float]:
    """Taker buy - taker sell over the last rows (None when a row has no taker volume), and
    the rows' total volume: the scale of its rounding, since the delta can cancel to 0."""
    window = rows[-last:]
    scale = math.fsum(float(r[5]) for r in window)
    if any(len(r) < 10 for r in window):  # the row does not carry takerBuyBaseAssetVolume
        return None, scale
    return math.fsum(float(r[9]) - (float(r[5]) - float(r[9])) for r in window), scale


def _own_expected(rows: Sequence[Row]) -> dict[str, tuple[float | None, float]]:
    """VWAP and volume delta (TA-Lib has neither), with the scale of their rounding."""
    typical = [(float(r[2]) + float(r[3]) + float(r[4])) / 3 for r in rows]
    volume = math.fsum(float(r[5]) for r in rows)
    vwap = math.fsum(t * float(r[5]) for t, r in zip(typical, rows, strict=True)) / volume
    return {
        "vwap": (vwap, abs(vwap)),
        "volumeDelta": _volume_delta(rows, 20),
        "volumeDelta5": _volume_delta(rows, 5),
    }


def _expected_trend(high: Any, low: Any, close: Any) -> dict[str, Any]:
    """close vs EMA 9/21/50 ordering, and 3 windows of 10 candles' highs and lows."""
    chain = [float(close[-1])] + [float(talib.EMA(close, timeperiod=p)[-1]) for p in (9, 21, 50)]
    pairs = list(pairwise(chain))
    alignment = (
        "BULLISH"
        if all(a > b for a, b in pairs)
        else "BEARISH"
        if all(a < b for a, b in pairs)
        else "MIXED"
    )
    highs = [float(high[-30:][10 * w : 10 * w + 10].max()) for w in range(3)]
    lows = [float(low[-30:][10 * w : 10 * w + 10].min()) for w in range(3)]
    hh = highs[0] < highs[1] < highs[2]
    hl = lows[0] < lows[1] < lows[2]
    lh = highs[0] > highs[1] > highs[2]
    ll = lows[0] > lows[1] > lows[2]
    structure = "UP" if hh and hl else "DOWN" if lh and ll else "MIXED"
    return {
        "emaAlignment": alignment,
        "structure": structure,
        "higherHighs": hh,
        "higherLows": hl,
        "lowerHighs": lh,
        "lowerLows": ll,
    }


def _compare(served: Any, expected: Any, what: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(served, dict), (what, served)
        assert served.keys() == expected.keys(), what
        for key, value in expected.items():
            _compare(served[key], value, f"{what}.{key}")
    else:  # TA-Lib's own float, through JSON and back: exactly equal
        assert served == expected, (what, served, expected)


# The replay's kline series of BTC, ETH and SOL (providers/replay/data/README.md): BTC 5m is
# the verbatim file with taker volume, the others are derived OHLCV without it.
SERIES = [
    ("BTC", "5m", 499),
    ("BTC", "1h", 300),
    ("BTC", "15m", 150),
    ("BTC", "1m", 499),
    ("ETH", "1m", 499),
    ("ETH", "5m", 250),
    ("ETH", "15m", 499),
    ("ETH", "1h", 120),
    ("SOL", "1m", 200),
    ("SOL", "5m", 499),
    ("SOL", "15m", 350),
    ("SOL", "1h", 499),
]


@pytest.mark.parametrize(("ticker", "interval", "limit"), SERIES)
async def test_every_indicator_equals_talib_on_the_recorded_candles(
    api: Callable[..., ApiServer], replay: Replay, ticker: str, interval: str, limit: int
) -> None:
    server = api(response_cache=False)
    query = f"""{{ symbol(ticker: "{ticker}") {{
        indicators(interval: "{interval}", limit: {limit}) {{ {INDICATOR_FIELDS} }} }} }}"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert "errors" not in result, result["errors"]
    served = result["data"]["symbol"]["indicators"]
    rows = _klines(replay, ticker, interval, limit)
    assert len(rows) == limit
    assert served["interval"] == interval
    assert served["candleCount"] == limit
    assert (served["source"], served["stale"]) == ("binance via perpgraph-replay", False)
    assert served["asOf"] is not None
    expected = _talib_expected(rows)
    assert expected["rsi"] is not None and expected["adx"]["adx"] is not None  # not vacuous
    _compare({k: served[k] for k in expected}, expected, f"{ticker} {interval}")
    for name, (value, scale) in _own_expected(rows).items():
        _close(served[name], value, scale, f"{ticker} {interval}.{name}")


async def test_volume_delta_is_null_without_taker_volume_and_computed_with_it(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = """{ btc: symbol(ticker: "BTC") { indicators(interval: "5m") {
                   volumeDelta one: volumeDelta(last: 1) all: volumeDelta(last: 499) } }
                 eth: symbol(ticker: "ETH") { indicators(interval: "5m") {
                   volumeDelta rsi } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert "errors" not in result, result["errors"]
    btc = result["data"]["btc"]["indicators"]
    verbatim = _klines(replay, "BTC", "5m", 499)
    assert all(len(r) == 12 for r in verbatim)  # the venue's own 12 fields, taker volume too
    for name, last in (("volumeDelta", 20), ("one", 1), ("all", 499)):
        expected, scale = _volume_delta(verbatim, last)
        assert expected is not None
        _close(btc[name], expected, scale, name)
    derived = _klines(replay, "ETH", "5m", 499)
    assert all(len(r) < 10 for r in derived)  # derived OHLCV: no taker volume recorded
    eth = result["data"]["eth"]["indicators"]
    assert eth["volumeDelta"] is None  # not estimated, and not an error
    assert eth["rsi"] is not None


async def test_every_indicator_with_candles_and_smc_costs_one_klines_call(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = f"""{{ symbol(ticker: "SOL") {{
        candles(interval: "1h", limit: 200) {{ candles {{ close }} }}
        indicators(interval: "1h") {{ {INDICATOR_FIELDS} }}
        short: indicators(interval: "1h", limit: 150) {{ rsi candleCount }}
        smc(interval: "1h") {{ bias timeframes {{ swings {{ price }} }} }} }} }}"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert "errors" not in result, result["errors"]
    assert replay.calls() == {**STARTUP_CALLS, KLINES: 1}
    sym = result["data"]["symbol"]
    assert len(sym["candles"]["candles"]) == 200
    assert sym["indicators"]["candleCount"] == 499
    assert sym["short"]["candleCount"] == 150


async def test_two_intervals_cost_two_klines_calls(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = """{ symbol(ticker: "ETH") {
        h1: indicators(interval: "1h") { rsi ema(period: 20) macd { macd } }
        m15: indicators(interval: "15m") { rsi atr }
        smc(intervals: ["15m", "1h"]) { bias timeframes { interval bias } } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert "errors" not in result, result["errors"]
    assert replay.calls() == {**STARTUP_CALLS, KLINES: 2}
    timeframes = result["data"]["symbol"]["smc"]["timeframes"]
    assert [t["interval"] for t in timeframes] == ["15m", "1h"]


def _codes_at(result: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    return [(tuple(e["path"]), e["extensions"]["code"]) for e in result.get("errors", [])]


SIX = '["1m", "5m", "15m", "1h", "4h", "1d"]'


@pytest.mark.parametrize(
    ("field", "code"),
    [
        ('indicators(interval: "7m") { rsi }', "BAD_INTERVAL"),
        ("indicators(limit: 0) { rsi }", "BAD_LIMIT"),
        ("indicators(limit: 1000000) { rsi }", "BAD_LIMIT"),
        ('smc(interval: "7m") { bias }', "BAD_INTERVAL"),
        ('smc(intervals: ["1h", "7m"]) { bias }', "BAD_INTERVAL"),
        ('smc(intervals: ["1h", "1h"]) { bias }', "BAD_INTERVAL"),
        ("smc(intervals: []) { bias }", "BAD_LIMIT"),
        (f"smc(intervals: {SIX}) {{ bias }}", "BAD_LIMIT"),
        ("smc(swingLength: 0) { bias }", "BAD_ARGUMENT"),
        ("smc(limit: 0) { bias }", "BAD_LIMIT"),
    ],
)
async def test_bad_interval_limit_or_swing_length_is_coded_and_costs_no_call(
    api: Callable[..., ApiServer], replay: Replay, field: str, code: str
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, f'{{ symbol(ticker: "BTC") {{ ticker {field} }} }}')
    assert result["data"]["symbol"]["ticker"] == "BTC"
    name = field.split("(")[0]
    assert result["data"]["symbol"][name] is None
    assert _codes_at(result) == [(("symbol", name), code)]
    assert "Traceback" not in str(result)
    # in the schema's words: swingLength, never the engine's swing_length
    message = result["errors"][0]["message"]
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", message), message
    assert replay.calls() == STARTUP_CALLS


async def test_bad_period_nulls_only_its_field_with_a_code(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    """Period arguments belong to the fields under ``indicators``, which has fetched its
    candles by then: each bad one is null with its code, the rest is served, and the bad
    ones add no call to the one the good ones need."""
    server = api(response_cache=False)
    query = """{ symbol(ticker: "BTC") { indicators(interval: "1h") {
        rsi
        rsi1: rsi(period: 1)
        ema0: ema(period: 0)
        sma: sma(period: 1001)
        atr: atr(period: -3)
        macd: macd(fast: 26, slow: 12) { macd }
        bands: bollinger(period: 1) { upper }
        wide: bollinger(stddev: 0) { upper }
        adx: adx(period: 1) { adx }
        delta: volumeDelta(last: 0) } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    ind = result["data"]["symbol"]["indicators"]
    assert ind["rsi"] is not None
    bad = {k: v for k, v in ind.items() if k != "rsi"}
    assert set(bad.values()) == {None}
    codes = {path[-1]: code for path, code in _codes_at(result)}
    assert codes == {
        "rsi1": "BAD_PERIOD",
        "ema0": "BAD_PERIOD",
        "sma": "BAD_PERIOD",
        "atr": "BAD_PERIOD",
        "macd": "BAD_PERIOD",
        "bands": "BAD_PERIOD",
        "wide": "BAD_ARGUMENT",
        "adx": "BAD_PERIOD",
        "delta": "BAD_LIMIT",
    }
    messages = {e["path"][-1]: e["message"] for e in result["errors"]}
    assert "rsi period" in messages["rsi1"] and "got 1" in messages["rsi1"]
    assert "fast" in messages["macd"]
    assert replay.calls() == {**STARTUP_CALLS, KLINES: 1}


async def test_bad_last_on_smc_lists_is_coded(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = """{ symbol(ticker: "BTC") { smc { bias timeframes {
        swings(last: 0) { price } orderBlocks(last: 100000) { top } } } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    smc = result["data"]["symbol"]["smc"]
    assert smc["bias"] is not None  # only the lists with a bad `last` are null
    assert smc["timeframes"] == [{"swings": None, "orderBlocks": None}]
    assert _codes_at(result) == [
        (("symbol", "smc", "timeframes", 0, "swings"), "BAD_LIMIT"),
        (("symbol", "smc", "timeframes", 0, "orderBlocks"), "BAD_LIMIT"),
    ]


SMC_FIELDS = """interval candleCount weight bias lastClose source stale
    swings(last: 1500) { kind time price confirmedTime }
    structureBreaks(last: 1500) { kind direction level swingTime time close }
    fairValueGaps(last: 1500) { direction time top bottom mitigated mitigatedTime }
    openGaps: fairValueGaps(unmitigatedOnly: true, last: 3) { time }
    liquidityZones(last: 1500) { kind level swingTimes swept sweptTime }
    unswept: liquidityZones(unsweptOnly: true) { level }
    orderBlocks(last: 1500) { direction time top bottom breakTime mitigated mitigatedTime }
    openBlocks: orderBlocks(unmitigatedOnly: true) { time }
    summary { bias lastClose lastBreak { kind time } lastSwingHigh { price time }
              lastSwingLow { price time } fvgAbove { time top } fvgBelow { time bottom }
              fvgsAtClose { time } orderBlockAbove { time } orderBlockBelow { time }
              orderBlocksAtClose { time } }"""


def _check_timeframe(served: dict[str, Any], a: SmcAnalysis, candles: list[Candle]) -> None:
    """The server's SMC of one interval against ``engine.smc`` run here."""
    s = a.summary
    assert served["candleCount"] == len(candles)
    assert (served["bias"], served["lastClose"]) == (s.bias.value, s.last_close)
    assert served["swings"] == [
        {
            "kind": w.kind.value,
            "time": _iso(w.open_time_ms),
            "price": w.price,
            "confirmedTime": _iso(candles[w.confirmed_index].open_time_ms),
        }
        for w in a.swings
    ]
    assert served["structureBreaks"] == [
        {
            "kind": b.kind.value,
            "direction": b.direction.value,
            "level": b.level,
            "swingTime": _iso(b.swing_time_ms),
            "time": _iso(b.open_time_ms),
            "close": b.close,
        }
        for b in a.breaks
    ]
    assert [(g["time"], g["top"], g["bottom"], g["mitigatedTime"]) for g in served["fairValueGaps"]] == [
        (_iso(g.open_time_ms), g.top, g.bottom, _iso(g.mitigated_time_ms)) for g in a.fair_value_gaps
    ]  # fmt: skip
    open_gaps = [g for g in a.fair_value_gaps if not g.mitigated][-3:]
    assert [g["time"] for g in served["openGaps"]] == [_iso(g.open_time_ms) for g in open_gaps]
    assert [(z["kind"], z["level"], z["swept"]) for z in served["liquidityZones"]] == [
        (p.kind.value, p.level, p.swept) for p in a.liquidity
    ]
    unswept = [p.level for p in a.liquidity if not p.swept][-20:]
    assert [z["level"] for z in served["unswept"]] == unswept
    assert [(o["time"], o["top"], o["bottom"], o["breakTime"]) for o in served["orderBlocks"]] == [
        (_iso(o.open_time_ms), o.top, o.bottom, _iso(candles[o.break_index].open_time_ms))
        for o in a.order_blocks
    ]
    open_blocks = [o for o in a.order_blocks if not o.mitigated][-20:]
    assert [o["time"] for o in served["openBlocks"]] == [_iso(o.open_time_ms) for o in open_blocks]
    summary = served["summary"]
    assert summary["bias"] == s.bias.value
    assert summary["lastBreak"] == (
        None
        if s.last_break is None
        else {"kind": s.last_break.kind.value, "time": _iso(s.last_break.open_time_ms)}
    )
    for name, swing in (("lastSwingHigh", s.last_swing_high), ("lastSwingLow", s.last_swing_low)):
        expected = (
            None if swing is None else {"price": swing.price, "time": _iso(swing.open_time_ms)}
        )
        assert summary[name] == expected, name
    assert summary["fvgAbove"] == (
        None if s.fvg_above is None else {"time": _iso(s.fvg_above.open_time_ms), "top": s.fvg_above.top}
    )  # fmt: skip
    assert summary["fvgBelow"] == (
        None if s.fvg_below is None else {"time": _iso(s.fvg_below.open_time_ms), "bottom": s.fvg_below.bottom}
    )  # fmt: skip
    for name, zone in (
        ("orderBlockAbove", s.order_block_above),
        ("orderBlockBelow", s.order_block_below),
    ):
        assert summary[name] == (None if zone is None else {"time": _iso(zone.open_time_ms)}), name
    assert [z["time"] for z in summary["fvgsAtClose"]] == [
        _iso(z.open_time_ms) for z in s.fvgs_at_close
    ]
    assert [z["time"] for z in summary["orderBlocksAtClose"]] == [
        _iso(z.open_time_ms) for z in s.order_blocks_at_close
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("ticker", "interval", "swing_length", "limit"),
    [("BTC", "1h", 3, 499), ("ETH", "15m", 5, 300), ("SOL", "5m", 2, 499), ("BTC", "5m", 3, 120)],
)
async def test_smc_equals_the_engine_on_the_recorded_candles(
    api: Callable[..., ApiServer],
    replay: Replay,
    ticker: str,
    interval: str,
    swing_length: int,
    limit: int,
) -> None:
    server = api(response_cache=False)
    query = f"""{{ symbol(ticker: "{ticker}") {{
        smc(interval: "{interval}", swingLength: {swing_length}, limit: {limit}) {{
            bias score aligned conflict against timeframes {{ {SMC_FIELDS} }} }} }} }}"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert "errors" not in result, result["errors"]
    smc = result["data"]["symbol"]["smc"]
    candles = _candles(_klines(replay, ticker, interval, limit))
    analysis = analyze_smc(candles, SmcParams(swing_length=swing_length))
    assert analysis.swings and analysis.breaks and analysis.fair_value_gaps  # not vacuous
    (timeframe,) = smc["timeframes"]
    assert (timeframe["interval"], timeframe["weight"]) == (interval, 1)
    assert (timeframe["source"], timeframe["stale"]) == ("binance via perpgraph-replay", False)
    _check_timeframe(timeframe, analysis, candles)
    combined = combine_timeframes({interval: analysis})
    assert (smc["bias"], smc["score"], smc["aligned"], smc["conflict"], smc["against"]) == (
        combined.bias.value,
        combined.score,
        combined.aligned,
        combined.conflict,
        list(combined.against),
    )


@pytest.mark.parametrize(
    ("ticker", "intervals"),
    [("BTC", ["4h", "15m", "1h"]), ("ETH", ["1m", "5m", "15m", "1h", "4h"]), ("SOL", ["1h", "5m"])],
)
async def test_multi_timeframe_bias_equals_combine_timeframes(
    api: Callable[..., ApiServer], replay: Replay, ticker: str, intervals: list[str]
) -> None:
    server = api(response_cache=False)
    listed = ", ".join(f'"{i}"' for i in intervals)
    query = f"""{{ symbol(ticker: "{ticker}") {{ smc(intervals: [{listed}]) {{
        bias score aligned conflict against timeframes {{ {SMC_FIELDS} }} }} }} }}"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert "errors" not in result, result["errors"]
    assert replay.calls()[KLINES] == len(intervals)
    smc = result["data"]["symbol"]["smc"]
    candles = {i: _candles(_klines(replay, ticker, i, 499)) for i in intervals}
    analyses = {i: analyze_smc(c) for i, c in candles.items()}
    combined = combine_timeframes(analyses)
    assert smc["bias"] == combined.bias.value
    assert smc["score"] == combined.score
    assert (smc["aligned"], smc["conflict"]) == (combined.aligned, combined.conflict)
    assert smc["against"] == list(combined.against)
    assert [(t["interval"], t["weight"], t["bias"]) for t in smc["timeframes"]] == [
        (f.interval, f.weight, f.bias.value) for f in combined.timeframes
    ]
    for served in smc["timeframes"]:
        _check_timeframe(served, analyses[served["interval"]], candles[served["interval"]])


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({"mode": "status", "status": 500}, "UPSTREAM_ERROR"),
        ({"mode": "malformed"}, "BAD_UPSTREAM_DATA"),
    ],
    ids=["500", "malformed"],
)
async def test_a_klines_fault_nulls_only_indicators_and_smc(
    api: Callable[..., ApiServer], replay: Replay, rule: dict[str, Any], code: str
) -> None:
    # two klines fetches retried up to 3 times each could open the breaker (5 failures) half
    # way, turning the second field's code into CIRCUIT_OPEN; keep it shut for this test
    server = api(response_cache=False, http_breaker_threshold=100)
    replay.fault(route=KLINES, **rule)
    query = """{ symbol(ticker: "BTC") { ticker price
        indicators(interval: "1h") { rsi source }
        smc(intervals: ["15m", "1h"]) { bias } } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    sym = result["data"]["symbol"]
    assert sym["ticker"] == "BTC"
    assert sym["price"] == float(replay.venue("/fapi/v2/ticker/price", symbol="BTCUSDT")["price"])
    assert (sym["indicators"], sym["smc"]) == (None, None)
    errors = {tuple(e["path"]): e["extensions"] for e in result["errors"]}
    assert set(errors) == {("symbol", "indicators"), ("symbol", "smc")}
    for ext in errors.values():
        assert (ext["code"], ext["provider"]) == (code, "binance")
    assert "Traceback" not in str(result)
