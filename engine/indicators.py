"""Technical indicators over candles (oldest first). Pure functions over a ``Series``.

Build a ``Series`` once with ``Series.from_candles(candles)``: it holds the float64 arrays
every indicator reads, so many indicators on the same candles convert them once.

Each indicator comes in two forms: ``x(series, ...)`` is the value at the newest candle and
``x_series(series, ...)`` is a list aligned with the candles (index i is the value at candle
i). A value is ``None`` where it cannot be computed yet (fewer candles than the period needs:
TA-Lib answers NaN there) and wherever it would not be finite. When the newest candle is still
open, the newest value moves with it.

From TA-Lib (function names in brackets; prices in quote currency):

- **RSI** [``RSI``]: Wilder's relative strength index of closes, 0..100. The average gain and
  loss are Wilder-smoothed; it needs ``period + 1`` closes.
- **EMA** [``EMA``]: exponential moving average of closes, ``k = 2 / (period + 1)``, seeded
  with the simple average of the first ``period`` closes; needs ``period`` closes.
- **SMA** [``SMA``]: simple average of the last ``period`` closes; needs ``period`` closes.
- **ATR** [``ATR``]: Wilder-smoothed average true range, where the true range is
  ``max(high, previous close) - min(low, previous close)``; needs ``period + 1`` candles.
- **MACD** [``MACD``]: ``macd = EMA(fast) - EMA(slow)`` of closes, ``signal`` = the EMA of
  the MACD line over ``signal`` candles, ``histogram = macd - signal``; needs
  ``slow + signal - 1`` closes.
- **Bollinger bands** [``BBANDS`` with a simple moving average]: ``middle = SMA(period)``,
  ``upper/lower = middle +/- stddev * sigma`` where sigma is the population standard
  deviation of the last ``period`` closes; ``bandwidth = (upper - lower) / middle``; needs
  ``period`` closes.
- **ADX** [``ADX``, ``PLUS_DI``, ``MINUS_DI``]: Wilder's directional indicators +DI and -DI
  (0..100: the smoothed up and down moves as a share of the ATR) and the average directional
  index (0..100: trend strength, not direction); ADX needs ``2 * period`` candles.

EMA, RSI, ATR and ADX are recursive (TA-Lib's "unstable period"): each value depends on every
earlier candle given, so the same candle reads slightly differently after a longer history.

Computed here, where TA-Lib has nothing:

- **VWAP**: ``sum(typical * volume) / sum(volume)`` with ``typical = (high + low + close) / 3``,
  over the candles given, from the first one: a rolling VWAP over the window the caller
  fetched, not anchored to a session or a UTC day.
- **Volume delta**: taker buy minus taker sell volume in base units, where taker sell is
  ``volume - taker buy``. Only candles that carry the taker buy volume have one (Binance
  klines do, OKX candles do not); a missing value stays ``None``, it is never estimated.
- **Trend** (for scalping): the alignment of fast/mid/slow EMAs with the price, and the
  high/low structure of the last few windows of candles; see ``trend``.

Periods are checked before TA-Lib sees them: a period below the indicator's minimum (TA-Lib's
own lower bound) or above ``MAX_PERIOD`` raises ``ValueError`` saying which and why.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import pairwise

import numpy as np
import talib
from numpy.typing import NDArray

from engine.domain import Candle

FloatArray = NDArray[np.float64]

# Above this a period is a mistake, not a setting: the API serves at most 1,500 candles per
# request by default (the max_candles setting), and the smoothed indicators (EMA, RSI, ATR,
# ADX) need several periods of history before their first values settle, so a longer
# period could not give a meaningful value.
MAX_PERIOD = 1000
# Beyond 10 standard deviations a band is never touched; such a value is a typo, not a setting.
MAX_BAND_STDDEV = 10.0
# The usual settings, as their authors published them: Wilder's 14 (RSI, ATR, ADX), Appel's
# 12/26/9 (MACD), Bollinger's 20 candles at 2 standard deviations.
WILDER_PERIOD = 14
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
BOLLINGER_PERIOD, BOLLINGER_STDDEV = 20, 2.0
# The common scalping ribbon: a fast, a mid and a slow EMA.
SCALP_EMA_PERIODS = (9, 21, 50)
# Structure: 3 windows give two successive comparisons, the fewest that make "higher highs"
# plural; 10 candles a window so one wick is not a window, and 3 x 10 stays within the 50
# candles the slow EMA already needs.
STRUCTURE_WINDOW = 10
STRUCTURE_WINDOWS = 3


@dataclass(frozen=True, slots=True, eq=False)
class Series:
    """Candle columns as read-only float64 arrays, oldest first (one row per candle).

    ``taker_buy_base_volume`` is NaN where a candle carries none; the volume-delta functions
    report those candles as ``None``.
    """

    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    taker_buy_base_volume: FloatArray

    @classmethod
    def from_candles(cls, candles: Sequence[Candle]) -> Series:
        def column(values: Iterator[float]) -> FloatArray:
            array = np.fromiter(values, dtype=np.float64, count=len(candles))
            array.flags.writeable = False
            return array

        return cls(
            open=column(c.open for c in candles),
            high=column(c.high for c in candles),
            low=column(c.low for c in candles),
            close=column(c.close for c in candles),
            volume=column(c.volume for c in candles),
            taker_buy_base_volume=column(
                math.nan if c.taker_buy_base_volume is None else c.taker_buy_base_volume
                for c in candles
            ),
        )

    def __len__(self) -> int:
        return len(self.close)


@dataclass(frozen=True, slots=True)
class Macd:
    """MACD line, its signal line and their difference (histogram), in quote currency."""

    macd: float
    signal: float
    histogram: float


@dataclass(frozen=True, slots=True)
class Bands:
    """Bollinger bands in quote currency."""

    upper: float
    middle: float
    lower: float

    @property
    def bandwidth(self) -> float | None:
        """``(upper - lower) / middle``, a fraction of the price; None when middle is 0."""
        return (self.upper - self.lower) / self.middle if self.middle != 0 else None


@dataclass(frozen=True, slots=True)
class Adx:
    """ADX and the directional indicators +DI/-DI, each 0..100.

    A point is given only when all three are: +DI/-DI exist ``period - 1`` candles before
    ADX does, and those early DI values are left out rather than reported without ADX.
    """

    adx: float
    plus_di: float
    minus_di: float


class Alignment(Enum):
    """EMA alignment: BULLISH when close > EMA fast > mid > slow, BEARISH the mirror."""

    BULLISH = "BULLISH"
    BEARISH = "BEARISH"
    MIXED = "MIXED"


class Structure(Enum):
    """UP: higher highs and higher lows; DOWN: lower highs and lower lows; else MIXED."""

    UP = "UP"
    DOWN = "DOWN"
    MIXED = "MIXED"


@dataclass(frozen=True, slots=True)
class Trend:
    """EMA alignment and high/low structure at the newest candle; None: too few candles."""

    ema_alignment: Alignment | None
    structure: Structure | None
    higher_highs: bool | None
    higher_lows: bool | None
    lower_highs: bool | None
    lower_lows: bool | None


# --- checks and conversions ------------------------------------------------------------------


def _check_period(name: str, value: int, minimum: int) -> int:
    if not minimum <= value <= MAX_PERIOD:
        raise ValueError(f"{name} must be between {minimum} and {MAX_PERIOD}, got {value}")
    return value


def _values(array: FloatArray) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in array.tolist()]


def _latest(array: FloatArray) -> float | None:
    if len(array) == 0:
        return None
    value = float(array[-1])
    return value if math.isfinite(value) else None


def _rows(*arrays: FloatArray) -> list[tuple[float, ...] | None]:
    """Zip columns into rows; a row with any non-finite value is None."""
    return [
        row if all(math.isfinite(v) for v in row) else None
        for row in zip(*(a.tolist() for a in arrays), strict=True)
    ]


def _last_row(*arrays: FloatArray) -> tuple[float, ...] | None:
    if len(arrays[0]) == 0:
        return None
    return _rows(*(a[-1:] for a in arrays))[0]


# --- TA-Lib ----------------------------------------------------------------------------------


def _rsi(s: Series, period: int) -> FloatArray:
    return talib.RSI(s.close, timeperiod=_check_period("rsi period", period, 2))


def rsi(s: Series, period: int = WILDER_PERIOD) -> float | None:
    """RSI (0..100) at the newest candle; period 2..MAX_PERIOD."""
    return _latest(_rsi(s, period))


def rsi_series(s: Series, period: int = WILDER_PERIOD) -> list[float | None]:
    """RSI (0..100) at every candle."""
    return _values(_rsi(s, period))


def _ema(s: Series, period: int) -> FloatArray:
    return talib.EMA(s.close, timeperiod=_check_period("ema period", period, 1))


def ema(s: Series, period: int) -> float | None:
    """EMA of closes at the newest candle, quote currency; period 1..MAX_PERIOD."""
    return _latest(_ema(s, period))


def ema_series(s: Series, period: int) -> list[float | None]:
    """EMA of closes at every candle."""
    return _values(_ema(s, period))


def _sma(s: Series, period: int) -> FloatArray:
    return talib.SMA(s.close, timeperiod=_check_period("sma period", period, 1))


def sma(s: Series, period: int) -> float | None:
    """SMA of closes at the newest candle, quote currency; period 1..MAX_PERIOD."""
    return _latest(_sma(s, period))


def sma_series(s: Series, period: int) -> list[float | None]:
    """SMA of closes at every candle."""
    return _values(_sma(s, period))


def _atr(s: Series, period: int) -> FloatArray:
    checked = _check_period("atr period", period, 1)
    return talib.ATR(s.high, s.low, s.close, timeperiod=checked)


def atr(s: Series, period: int = WILDER_PERIOD) -> float | None:
    """ATR at the newest candle, quote currency; period 1..MAX_PERIOD."""
    return _latest(_atr(s, period))


def atr_series(s: Series, period: int = WILDER_PERIOD) -> list[float | None]:
    """ATR at every candle."""
    return _values(_atr(s, period))


def _macd(s: Series, fast: int, slow: int, signal: int) -> tuple[FloatArray, ...]:
    _check_period("macd fast period", fast, 2)
    _check_period("macd slow period", slow, 2)
    _check_period("macd signal period", signal, 1)
    if fast >= slow:  # TA-Lib would silently swap them
        raise ValueError(f"macd fast period must be below the slow period, got {fast} >= {slow}")
    return talib.MACD(s.close, fastperiod=fast, slowperiod=slow, signalperiod=signal)


def macd(
    s: Series, fast: int = MACD_FAST, slow: int = MACD_SLOW, signal: int = MACD_SIGNAL
) -> Macd | None:
    """MACD at the newest candle; periods 2..MAX_PERIOD (signal from 1), fast below slow."""
    row = _last_row(*_macd(s, fast, slow, signal))
    return None if row is None else Macd(*row)


def macd_series(
    s: Series, fast: int = MACD_FAST, slow: int = MACD_SLOW, signal: int = MACD_SIGNAL
) -> list[Macd | None]:
    """MACD at every candle."""
    return [None if row is None else Macd(*row) for row in _rows(*_macd(s, fast, slow, signal))]


def _bands(s: Series, period: int, stddev: float) -> tuple[FloatArray, ...]:
    _check_period("bollinger period", period, 2)
    if not 0 < stddev <= MAX_BAND_STDDEV:  # also rejects NaN
        raise ValueError(
            f"bollinger stddev must be above 0 and at most {MAX_BAND_STDDEV}, got {stddev}"
        )
    # matype stays TA-Lib's default, the simple moving average, as Bollinger defined the bands
    return talib.BBANDS(s.close, timeperiod=period, nbdevup=stddev, nbdevdn=stddev)


def bollinger(
    s: Series, period: int = BOLLINGER_PERIOD, stddev: float = BOLLINGER_STDDEV
) -> Bands | None:
    """Bollinger bands at the newest candle; period 2..MAX_PERIOD, 0 < stddev <= 10."""
    row = _last_row(*_bands(s, period, stddev))
    return None if row is None else Bands(*row)


def bollinger_series(
    s: Series, period: int = BOLLINGER_PERIOD, stddev: float = BOLLINGER_STDDEV
) -> list[Bands | None]:
    """Bollinger bands at every candle."""
    return [None if row is None else Bands(*row) for row in _rows(*_bands(s, period, stddev))]


def _adx(s: Series, period: int) -> tuple[FloatArray, ...]:
    checked = _check_period("adx period", period, 2)
    return (
        talib.ADX(s.high, s.low, s.close, timeperiod=checked),
        talib.PLUS_DI(s.high, s.low, s.close, timeperiod=checked),
        talib.MINUS_DI(s.high, s.low, s.close, timeperiod=checked),
    )


def adx(s: Series, period: int = WILDER_PERIOD) -> Adx | None:
    """ADX, +DI and -DI at the newest candle; period 2..MAX_PERIOD."""
    row = _last_row(*_adx(s, period))
    return None if row is None else Adx(*row)


def adx_series(s: Series, period: int = WILDER_PERIOD) -> list[Adx | None]:
    """ADX, +DI and -DI at every candle."""
    return [None if row is None else Adx(*row) for row in _rows(*_adx(s, period))]


# --- computed here ---------------------------------------------------------------------------


def _vwap(s: Series) -> FloatArray:
    typical = (s.high + s.low + s.close) / 3.0
    price_volume = np.cumsum(typical * s.volume)
    volume = np.cumsum(s.volume)
    # NaN (reported as None) until some volume has traded: no trade, no average price
    return np.divide(price_volume, volume, out=np.full_like(volume, np.nan), where=volume > 0)


def vwap(s: Series) -> float | None:
    """VWAP over all the candles given, quote currency; None when none traded any volume."""
    return _latest(_vwap(s))


def vwap_series(s: Series) -> list[float | None]:
    """At candle i, the VWAP of candles 0..i (anchored at the first candle given)."""
    return _values(_vwap(s))


def _volume_delta(s: Series) -> FloatArray:
    buy = s.taker_buy_base_volume
    return buy - (s.volume - buy)  # NaN where the taker volume is missing


def volume_delta_series(s: Series) -> list[float | None]:
    """Taker buy minus taker sell volume of each candle, base units; None where unknown."""
    return _values(_volume_delta(s))


def volume_delta(s: Series, last: int) -> float | None:
    """Volume delta summed over the ``last`` candles (1..MAX_PERIOD), base units.

    None when there are fewer candles than ``last`` or any of them lacks taker volume.
    """
    _check_period("volume delta candles", last, 1)
    if last > len(s):
        return None
    window = _volume_delta(s)[-last:]
    return float(window.sum()) if np.isfinite(window).all() else None


def ema_alignment(s: Series, periods: Sequence[int] = SCALP_EMA_PERIODS) -> Alignment | None:
    """How the newest close and the EMAs of ``periods`` (fastest first) are ordered.

    BULLISH when ``close > EMA(periods[0]) > EMA(periods[1]) > ...``, BEARISH when every
    ``>`` is ``<``, MIXED otherwise (ties included). None until the slowest EMA has a value
    (fewer candles than its period).
    """
    if len(periods) < 2 or any(a >= b for a, b in pairwise(periods)):
        raise ValueError(f"ema periods must be at least two, fastest first, got {periods}")
    emas = [ema(s, p) for p in periods]  # ema() checks each period's range
    close = _latest(s.close)
    if close is None or any(e is None for e in emas):
        return None
    chain = [close, *(e for e in emas if e is not None)]
    if all(a > b for a, b in pairwise(chain)):
        return Alignment.BULLISH
    if all(a < b for a, b in pairwise(chain)):
        return Alignment.BEARISH
    return Alignment.MIXED


def _strictly_rising(values: FloatArray) -> bool:
    return bool((np.diff(values) > 0).all())


def trend(
    s: Series,
    ema_periods: Sequence[int] = SCALP_EMA_PERIODS,
    window: int = STRUCTURE_WINDOW,
    windows: int = STRUCTURE_WINDOWS,
) -> Trend:
    """EMA alignment (see ``ema_alignment``) and the high/low structure of recent candles.

    Structure: the last ``window * windows`` candles are cut into ``windows`` consecutive
    windows of ``window`` candles, oldest first. A window's high is its highest high and its
    low its lowest low. ``higher_highs``: every window's high is strictly above the previous
    window's; ``higher_lows``, ``lower_highs`` and ``lower_lows`` likewise. Structure is UP
    with higher highs and higher lows, DOWN with lower highs and lower lows, else MIXED.
    The structure fields are None when there are fewer than ``window * windows`` candles.
    ``window`` is 1..MAX_PERIOD, ``windows`` at least 2, and together at most MAX_PERIOD.
    """
    _check_period("structure window", window, 1)
    _check_period("structure windows", windows, 2)
    span = window * windows
    if span > MAX_PERIOD:
        raise ValueError(f"structure window * windows must be at most {MAX_PERIOD}, got {span}")
    alignment = ema_alignment(s, ema_periods)
    if len(s) < span:
        return Trend(alignment, None, None, None, None, None)
    highs = s.high[-span:].reshape(windows, window).max(axis=1)
    lows = s.low[-span:].reshape(windows, window).min(axis=1)
    hh, hl = _strictly_rising(highs), _strictly_rising(lows)
    lh, ll = _strictly_rising(-highs), _strictly_rising(-lows)
    if hh and hl:
        structure = Structure.UP
    elif lh and ll:
        structure = Structure.DOWN
    else:
        structure = Structure.MIXED
    return Trend(alignment, structure, hh, hl, lh, ll)


__all__ = [
    "MAX_PERIOD", "Adx", "Alignment", "Bands", "Macd", "Series", "Structure", "Trend",
    "adx", "adx_series", "atr", "atr_series", "bollinger", "bollinger_series",
    "ema", "ema_alignment", "ema_series", "macd", "macd_series", "rsi", "rsi_series",
    "sma", "sma_series", "trend", "volume_delta", "volume_delta_series", "vwap", "vwap_series",
]  # fmt: skip
