"""Indicators on recorded candles: TA-Lib's own output, independent sums, documented rules.

Every expected value is computed here from the same recorded candles (TA-Lib called directly
on arrays built in the test, or plain Python arithmetic); no market number is typed in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import pairwise
from typing import Any

import numpy as np
import pytest
import talib
from numpy.typing import NDArray

from engine.domain import Candle
from engine.indicators import (
    MAX_PERIOD,
    Adx,
    Alignment,
    Bands,
    Macd,
    Series,
    Structure,
    adx,
    adx_series,
    atr,
    atr_series,
    bollinger,
    bollinger_series,
    ema,
    ema_alignment,
    ema_series,
    macd,
    macd_series,
    rsi,
    rsi_series,
    sma,
    sma_series,
    trend,
    volume_delta,
    volume_delta_series,
    vwap,
    vwap_series,
)
from tests.engine.signal.recorded import candles_5m_verbatim, derived

VERBATIM = "klines-BTCUSDT-5m-verbatim"
# Derived OHLCV (no taker volume) of three coins and three intervals, and the verbatim klines
DATASETS = ["BTCUSDT-1h", "BTCUSDT-15m", "ETHUSDT-1h", "ETHUSDT-5m", "SOLUSDT-15m", VERBATIM]
FloatArray = NDArray[np.float64]
TAIL = 250  # candles before each trend test point: enough for the slowest EMA (89) to settle
STEP = 7  # test every 7th candle as the newest, to keep the sliding test fast


def _candles(name: str) -> tuple[Candle, ...]:
    if name == VERBATIM:
        return candles_5m_verbatim()
    symbol, interval = name.split("-")
    return derived(symbol, interval)


def _column(candles: Sequence[Candle], field: str) -> FloatArray:
    """A column built here, independently of ``Series``."""
    return np.array([getattr(c, field) for c in candles], dtype=np.float64)


def _hlc(candles: Sequence[Candle]) -> tuple[FloatArray, FloatArray, FloatArray]:
    return _column(candles, "high"), _column(candles, "low"), _column(candles, "close")


def _nan(values: Sequence[float | None]) -> FloatArray:
    """None back to NaN, to compare with TA-Lib's arrays (NaN equals NaN in numpy.testing)."""
    return np.array([math.nan if v is None else v for v in values], dtype=np.float64)


def _expect_latest(got: float | None, expected: FloatArray) -> None:
    if np.isnan(expected[-1]):
        assert got is None
    else:
        assert got == expected[-1]


# --- Series ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_series_holds_the_candle_columns_read_only(name: str) -> None:
    candles = _candles(name)
    s = Series.from_candles(candles)
    assert len(s) == len(candles)
    for field in ("open", "high", "low", "close", "volume"):
        column = getattr(s, field)
        assert column.dtype == np.float64 and not column.flags.writeable
        np.testing.assert_array_equal(column, _column(candles, field))
    assert [None if math.isnan(v) else v for v in s.taker_buy_base_volume.tolist()] == [
        c.taker_buy_base_volume for c in candles
    ]


# --- single-value TA-Lib indicators ----------------------------------------------------------

Ours = Callable[[Series, int], Any]
Theirs = Callable[[Sequence[Candle], int], FloatArray]
SINGLE: list[tuple[str, Ours, Ours, Theirs, tuple[int, ...]]] = [
    ("rsi", rsi, rsi_series, lambda c, p: talib.RSI(_column(c, "close"), p), (2, 14, 50)),
    ("ema", ema, ema_series, lambda c, p: talib.EMA(_column(c, "close"), p), (1, 9, 200)),
    ("sma", sma, sma_series, lambda c, p: talib.SMA(_column(c, "close"), p), (1, 20, 200)),
    ("atr", atr, atr_series, lambda c, p: talib.ATR(*_hlc(c), p), (1, 14, 100)),
]


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(("indicator", "latest", "series", "theirs", "periods"), SINGLE)
def test_single_value_indicators_equal_talib(
    name: str, indicator: str, latest: Ours, series: Ours, theirs: Theirs, periods: tuple[int, ...]
) -> None:
    candles = _candles(name)
    s = Series.from_candles(candles)
    for period in periods:
        expected = theirs(candles, period)
        got = series(s, period)
        assert len(got) == len(candles)
        np.testing.assert_array_equal(_nan(got), expected, err_msg=f"{indicator}({period})")
        assert [v is None for v in got] == np.isnan(expected).tolist()
        _expect_latest(latest(s, period), expected)


# --- multi-value TA-Lib indicators -----------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (5, 35, 5), (2, 3, 1)])
def test_macd_equals_talib(name: str, fast: int, slow: int, signal: int) -> None:
    candles = _candles(name)
    s = Series.from_candles(candles)
    line, sig, hist = talib.MACD(_column(candles, "close"), fast, slow, signal)
    got = macd_series(s, fast, slow, signal)
    for field, expected in (("macd", line), ("signal", sig), ("histogram", hist)):
        np.testing.assert_array_equal(
            _nan([None if p is None else getattr(p, field) for p in got]), expected
        )
    assert [p is None for p in got] == np.isnan(line).tolist()
    newest = macd(s, fast, slow, signal)
    assert newest is not None
    assert newest == Macd(float(line[-1]), float(sig[-1]), float(hist[-1]))
    assert newest.histogram == newest.macd - newest.signal  # TA-Lib's own definition


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(("period", "stddev"), [(20, 2.0), (50, 1.5), (2, 10.0)])
def test_bollinger_equals_talib(name: str, period: int, stddev: float) -> None:
    candles = _candles(name)
    s = Series.from_candles(candles)
    closes = _column(candles, "close")
    upper, middle, lower = talib.BBANDS(closes, period, stddev, stddev)
    # as documented: a simple moving average and the population standard deviation
    np.testing.assert_array_equal(middle, talib.SMA(closes, period))
    sigma = float(np.std(closes[-period:], ddof=0))
    assert upper[-1] - middle[-1] == pytest.approx(stddev * sigma, rel=1e-6)
    got = bollinger_series(s, period, stddev)
    for field, expected in (("upper", upper), ("middle", middle), ("lower", lower)):
        np.testing.assert_array_equal(
            _nan([None if b is None else getattr(b, field) for b in got]), expected
        )
    assert [b is None for b in got] == np.isnan(middle).tolist()
    newest = bollinger(s, period, stddev)
    assert newest is not None
    assert newest == Bands(float(upper[-1]), float(middle[-1]), float(lower[-1]))
    assert newest.bandwidth == (upper[-1] - lower[-1]) / middle[-1]


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize("period", [2, 14, 50])
def test_adx_equals_talib_and_is_given_only_with_both_di(name: str, period: int) -> None:
    candles = _candles(name)
    s = Series.from_candles(candles)
    hlc = _hlc(candles)
    strength = talib.ADX(*hlc, period)
    plus, minus = talib.PLUS_DI(*hlc, period), talib.MINUS_DI(*hlc, period)
    got = adx_series(s, period)
    given = ~(np.isnan(strength) | np.isnan(plus) | np.isnan(minus))
    assert [p is not None for p in got] == given.tolist()
    assert given.tolist() == (~np.isnan(strength)).tolist()  # +DI/-DI start earlier than ADX
    for field, expected in (("adx", strength), ("plus_di", plus), ("minus_di", minus)):
        values = _nan([None if p is None else getattr(p, field) for p in got])
        np.testing.assert_array_equal(values[given], expected[given])
    assert adx(s, period) == Adx(float(strength[-1]), float(plus[-1]), float(minus[-1]))


# --- too few candles -------------------------------------------------------------------------

# (indicator at the newest candle, candles needed) as the module docstring states them
NEEDS: list[tuple[str, Callable[[Series], object], int]] = [
    ("rsi 14", lambda s: rsi(s, 14), 15),
    ("ema 9", lambda s: ema(s, 9), 9),
    ("sma 20", lambda s: sma(s, 20), 20),
    ("atr 14", lambda s: atr(s, 14), 15),
    ("macd 12/26/9", lambda s: macd(s, 12, 26, 9), 34),
    ("bollinger 20", lambda s: bollinger(s, 20), 20),
    ("adx 14", lambda s: adx(s, 14), 28),
    ("volume delta 12", lambda s: volume_delta(s, 12), 12),
]


@pytest.mark.parametrize(("indicator", "value_at", "needed"), NEEDS)
def test_none_with_one_candle_too_few_a_value_with_enough(
    indicator: str, value_at: Callable[[Series], object], needed: int
) -> None:
    candles = _candles(VERBATIM)
    assert value_at(Series.from_candles(candles[: needed - 1])) is None
    assert value_at(Series.from_candles(candles[:needed])) is not None
    assert value_at(Series.from_candles(())) is None


def test_no_candles_give_empty_series_and_no_values() -> None:
    s = Series.from_candles(())
    assert len(s) == 0
    assert rsi_series(s) == atr_series(s) == []
    assert macd_series(s) == []
    assert bollinger_series(s) == []
    assert adx_series(s) == []
    assert ema_series(s, 9) == sma_series(s, 9) == vwap_series(s) == volume_delta_series(s) == []
    assert vwap(s) is None and ema_alignment(s) is None
    assert trend(s).structure is None and trend(s).ema_alignment is None


# --- bad parameters --------------------------------------------------------------------------

BAD: list[tuple[Callable[[Series], object], str]] = [
    (lambda s: rsi(s, 1), "rsi period"),  # TA-Lib's RSI needs at least 2
    (lambda s: rsi_series(s, 0), "rsi period"),
    (lambda s: rsi(s, MAX_PERIOD + 1), "rsi period"),
    (lambda s: ema(s, 0), "ema period"),
    (lambda s: ema_series(s, -5), "ema period"),
    (lambda s: sma(s, 0), "sma period"),
    (lambda s: sma(s, 10**9), "sma period"),
    (lambda s: atr(s, 0), "atr period"),
    (lambda s: atr_series(s, MAX_PERIOD + 1), "atr period"),
    (lambda s: macd(s, 1, 26, 9), "macd fast period"),
    (lambda s: macd(s, 12, MAX_PERIOD + 1, 9), "macd slow period"),
    (lambda s: macd(s, 12, 26, 0), "macd signal period"),
    (lambda s: macd(s, 26, 12, 9), "below the slow period"),
    (lambda s: macd_series(s, 12, 12, 9), "below the slow period"),
    (lambda s: bollinger(s, 1), "bollinger period"),
    (lambda s: bollinger(s, 20, 0.0), "bollinger stddev"),
    (lambda s: bollinger(s, 20, -2.0), "bollinger stddev"),
    (lambda s: bollinger(s, 20, math.nan), "bollinger stddev"),
    (lambda s: bollinger_series(s, 20, math.inf), "bollinger stddev"),
    (lambda s: adx(s, 1), "adx period"),
    (lambda s: adx_series(s, MAX_PERIOD + 1), "adx period"),
    (lambda s: volume_delta(s, 0), "volume delta candles"),
    (lambda s: volume_delta(s, MAX_PERIOD + 1), "volume delta candles"),
    (lambda s: ema_alignment(s, (21, 9, 50)), "fastest first"),
    (lambda s: ema_alignment(s, (9, 9)), "fastest first"),
    (lambda s: ema_alignment(s, (9,)), "at least two"),
    (lambda s: ema_alignment(s, (0, 9)), "ema period"),
    (lambda s: trend(s, window=0), "structure window"),
    (lambda s: trend(s, windows=1), "structure windows"),
    (lambda s: trend(s, window=100, windows=11), "window \\* windows"),
]


@pytest.mark.parametrize(("call", "message"), BAD, ids=[message for _, message in BAD])
def test_bad_parameters_raise_value_error_naming_them(
    call: Callable[[Series], object], message: str
) -> None:
    for candles in (_candles(VERBATIM), ()):  # checked before any data is looked at
        with pytest.raises(ValueError, match=message):
            call(Series.from_candles(candles))


def test_the_bounds_themselves_are_accepted() -> None:
    s = Series.from_candles(_candles("BTCUSDT-15m"))
    assert ema(s, 1) == s.close[-1]  # EMA of one close is that close
    assert sma(s, MAX_PERIOD) is not None and rsi(s, MAX_PERIOD) is not None
    assert bollinger(s, 20, 10.0) is not None and macd(s, 2, 3, 1) is not None
    assert trend(s, window=MAX_PERIOD // 2, windows=2).structure is not None


# --- properties ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_bounded_and_ordered_values(name: str) -> None:
    s = Series.from_candles(_candles(name))
    for period in (2, 14, 50):
        assert all(0 <= v <= 100 for v in rsi_series(s, period) if v is not None)
        assert all(v >= 0 for v in atr_series(s, period) if v is not None)
        points = [p for p in adx_series(s, period) if p is not None]
        assert points and all(0 <= x <= 100 for p in points for x in (p.adx, p.plus_di, p.minus_di))
        bands = [b for b in bollinger_series(s, period) if b is not None]
        assert bands and all(b.lower <= b.middle <= b.upper for b in bands)
        assert all(b.bandwidth is not None and b.bandwidth >= 0 for b in bands)


# --- VWAP ------------------------------------------------------------------------------------


def _running_vwap(candles: Sequence[Candle]) -> list[float | None]:
    """Plain running sums, candle by candle."""
    price_volume = volume = 0.0
    out: list[float | None] = []
    for c in candles:
        price_volume += (c.high + c.low + c.close) / 3 * c.volume
        volume += c.volume
        out.append(price_volume / volume if volume > 0 else None)
    return out


@pytest.mark.parametrize("name", DATASETS)
def test_vwap_is_the_running_volume_weighted_typical_price(name: str) -> None:
    candles = _candles(name)
    s = Series.from_candles(candles)
    expected = _running_vwap(candles)
    got = vwap_series(s)
    assert None not in got and None not in expected
    assert got == pytest.approx(expected, rel=1e-12)
    assert vwap(s) == got[-1]
    # an average price: within the range traded so far
    low, high = math.inf, -math.inf
    for c, v in zip(candles, got, strict=True):
        low, high = min(low, c.low), max(high, c.high)
        assert v is not None and low <= v <= high


def test_vwap_is_none_until_volume_trades() -> None:
    candles = _candles("ETHUSDT-1h")[:30]
    silent = [replace(c, volume=0.0) for c in candles[:5]]  # no trade: not a market number
    got = vwap_series(Series.from_candles([*silent, *candles[5:]]))
    assert got[:5] == [None] * 5
    assert got[5:] == pytest.approx(_running_vwap(candles[5:]), rel=1e-12)
    assert vwap(Series.from_candles(silent)) is None


# --- volume delta ----------------------------------------------------------------------------


def _delta(c: Candle) -> float:
    assert c.taker_buy_base_volume is not None
    return 2 * c.taker_buy_base_volume - c.volume


# buy - (volume - buy) and 2 * buy - volume round differently: allow a few ulps of the volume
DELTA_ABS = 1e-9


def test_volume_delta_of_each_candle_is_taker_buy_minus_taker_sell() -> None:
    candles = _candles(VERBATIM)
    got = volume_delta_series(Series.from_candles(candles))
    assert got == pytest.approx([_delta(c) for c in candles], rel=1e-12, abs=DELTA_ABS)


@pytest.mark.parametrize("last", [1, 12, 288, 500])
def test_volume_delta_sums_the_last_candles(last: int) -> None:
    candles = _candles(VERBATIM)
    expected = sum(_delta(c) for c in candles[-last:])
    got = volume_delta(Series.from_candles(candles), last)
    assert got == pytest.approx(expected, rel=1e-12, abs=DELTA_ABS * last)
    assert volume_delta(Series.from_candles(candles), len(candles) + 1) is None


@pytest.mark.parametrize("name", [n for n in DATASETS if n != VERBATIM])
def test_volume_delta_is_none_without_taker_volume(name: str) -> None:
    s = Series.from_candles(_candles(name))
    assert set(volume_delta_series(s)) == {None}
    assert volume_delta(s, 1) is None and volume_delta(s, 100) is None


def test_a_candle_without_taker_volume_is_absent_not_guessed() -> None:
    candles = list(_candles(VERBATIM)[-10:])
    candles[-3] = replace(candles[-3], taker_buy_base_volume=None)  # e.g. an OKX candle
    s = Series.from_candles(candles)
    per_candle = volume_delta_series(s)
    assert [v is None for v in per_candle] == [i == 7 for i in range(10)]
    assert volume_delta(s, 2) == pytest.approx(sum(_delta(c) for c in candles[-2:]), abs=1e-9)
    assert volume_delta(s, 3) is None and volume_delta(s, 10) is None


# --- trend -----------------------------------------------------------------------------------


def _alignment_here(candles: Sequence[Candle], periods: Sequence[int]) -> Alignment | None:
    """The rule applied to TA-Lib EMAs computed here."""
    closes = _column(candles, "close")
    emas = [float(talib.EMA(closes, p)[-1]) for p in periods]
    if any(math.isnan(e) for e in emas):
        return None
    chain = [float(closes[-1]), *emas]
    if all(a > b for a, b in pairwise(chain)):
        return Alignment.BULLISH
    if all(a < b for a, b in pairwise(chain)):
        return Alignment.BEARISH
    return Alignment.MIXED


def _structure_here(
    candles: Sequence[Candle], window: int, windows: int
) -> tuple[Structure, bool, bool, bool, bool] | None:
    """Window highs and lows with plain max/min over slices."""
    span = window * windows
    if len(candles) < span:
        return None
    tail = candles[len(candles) - span :]
    blocks = [tail[i * window : (i + 1) * window] for i in range(windows)]
    highs = [max(c.high for c in b) for b in blocks]
    lows = [min(c.low for c in b) for b in blocks]
    hh = all(b > a for a, b in pairwise(highs))
    hl = all(b > a for a, b in pairwise(lows))
    lh = all(b < a for a, b in pairwise(highs))
    ll = all(b < a for a, b in pairwise(lows))
    label = Structure.UP if hh and hl else Structure.DOWN if lh and ll else Structure.MIXED
    return label, hh, hl, lh, ll


@pytest.mark.parametrize("name", DATASETS)
@pytest.mark.parametrize(
    ("periods", "window", "windows"),
    [((9, 21, 50), 10, 3), ((5, 13), 5, 4), ((8, 21, 55, 89), 1, 2)],
)
def test_trend_matches_the_rules_on_sliding_windows(
    name: str, periods: tuple[int, ...], window: int, windows: int
) -> None:
    candles = _candles(name)
    seen_alignments: set[Alignment | None] = set()
    seen_structures: set[Structure | None] = set()
    for end in range(1, len(candles) + 1, STEP):
        head = candles[max(0, end - TAIL) : end]
        got = trend(Series.from_candles(head), periods, window, windows)
        expected_alignment = _alignment_here(head, periods)
        assert got.ema_alignment == expected_alignment, end
        assert ema_alignment(Series.from_candles(head), periods) == expected_alignment
        expected = _structure_here(head, window, windows)
        if expected is None:
            assert (got.structure, got.higher_highs, got.higher_lows) == (None, None, None)
            assert (got.lower_highs, got.lower_lows) == (None, None)
        else:
            assert (got.structure, got.higher_highs, got.higher_lows, got.lower_highs,
                    got.lower_lows) == expected, end  # fmt: skip
        seen_alignments.add(got.ema_alignment)
        seen_structures.add(got.structure)
    # the recordings exercise every outcome, including too few candles
    assert seen_alignments == {None, *Alignment}
    assert seen_structures == {None, *Structure}
