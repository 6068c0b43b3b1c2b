"""GraphQL types of technical indicators, built from ``resolvers.analysis``.

Definitions live in the engine's docstrings (``engine.indicators``); the descriptions here
say them briefly. Prices are in the quote currency, volumes in base units.
"""

from __future__ import annotations

import strawberry

from engine import indicators as ind
from graph.types.market import MarketData, origin
from resolvers.analysis import IndicatorSet


@strawberry.type(name="Macd", description="MACD (TA-Lib MACD), quote currency.")
class MacdType:
    macd: float = strawberry.field(description="EMA(fast) - EMA(slow) of closes.")
    signal: float = strawberry.field(description="EMA of the MACD line over `signal` candles.")
    histogram: float = strawberry.field(description="macd - signal.")

    @classmethod
    def from_engine(cls, m: ind.Macd | None) -> MacdType | None:
        return None if m is None else cls(macd=m.macd, signal=m.signal, histogram=m.histogram)


@strawberry.type(
    name="Bollinger", description="Bollinger bands (TA-Lib BBANDS, simple average), quote currency."
)
class BollingerType:
    upper: float
    middle: float = strawberry.field(description="SMA of closes over the period.")
    lower: float
    bandwidth: float | None = strawberry.field(
        description="(upper - lower) / middle, a fraction of the price; null when middle is 0."
    )

    @classmethod
    def from_engine(cls, b: ind.Bands | None) -> BollingerType | None:
        if b is None:
            return None
        return cls(upper=b.upper, middle=b.middle, lower=b.lower, bandwidth=b.bandwidth)


@strawberry.type(name="Adx", description="Wilder's ADX with +DI and -DI (TA-Lib), each 0..100.")
class AdxType:
    adx: float = strawberry.field(description="Trend strength, not direction.")
    plus_di: float
    minus_di: float

    @classmethod
    def from_engine(cls, a: ind.Adx | None) -> AdxType | None:
        return None if a is None else cls(adx=a.adx, plus_di=a.plus_di, minus_di=a.minus_di)


@strawberry.type(
    name="Trend",
    description="EMA alignment and the high/low structure of the last 3 windows of 10 candles; "
    "null fields: too few candles.",
)
class TrendType:
    ema_alignment: ind.Alignment | None
    structure: ind.Structure | None
    higher_highs: bool | None = strawberry.field(
        description="Each window's highest high is above the previous window's."
    )
    higher_lows: bool | None
    lower_highs: bool | None
    lower_lows: bool | None

    @classmethod
    def from_engine(cls, t: ind.Trend) -> TrendType:
        return cls(
            ema_alignment=t.ema_alignment,
            structure=t.structure,
            higher_highs=t.higher_highs,
            higher_lows=t.higher_lows,
            lower_highs=t.lower_highs,
            lower_lows=t.lower_lows,
        )


@strawberry.type(
    name="Indicators",
    description="Indicators at the newest candle (which may still be open), all computed from "
    "one fetch of the candles. A value is null until there are enough candles for it. EMA, RSI, "
    "ATR and ADX are recursive: they read slightly differently over a longer `limit`. A "
    "period out of range nulls its field with BAD_PERIOD (Bollinger `stddev`: BAD_ARGUMENT, "
    "volumeDelta `last`: BAD_LIMIT).",
)
class IndicatorsType(MarketData):
    interval: str
    candle_count: int = strawberry.field(description="Candles the indicators were computed on.")
    data: strawberry.Private[IndicatorSet]

    @strawberry.field(description="Wilder's RSI of closes (TA-Lib RSI), 0..100; period >= 2.")
    def rsi(self, period: int = ind.WILDER_PERIOD) -> float | None:
        return self.data.rsi(period)

    @strawberry.field(description="EMA of closes (TA-Lib EMA, seeded with the SMA).")
    def ema(self, period: int) -> float | None:
        return self.data.ema(period)

    @strawberry.field(description="Simple average of the last `period` closes (TA-Lib SMA).")
    def sma(self, period: int) -> float | None:
        return self.data.sma(period)

    @strawberry.field(description="Wilder's average true range (TA-Lib ATR), quote currency.")
    def atr(self, period: int = ind.WILDER_PERIOD) -> float | None:
        return self.data.atr(period)

    @strawberry.field(description="MACD line, signal and histogram; fast must be below slow.")
    def macd(
        self, fast: int = ind.MACD_FAST, slow: int = ind.MACD_SLOW, signal: int = ind.MACD_SIGNAL
    ) -> MacdType | None:
        return MacdType.from_engine(self.data.macd(fast, slow, signal))

    @strawberry.field(description="Bands `stddev` population deviations around the SMA.")
    def bollinger(
        self, period: int = ind.BOLLINGER_PERIOD, stddev: float = ind.BOLLINGER_STDDEV
    ) -> BollingerType | None:
        return BollingerType.from_engine(self.data.bollinger(period, stddev))

    @strawberry.field(description="ADX, +DI and -DI; ADX needs 2 x period candles.")
    def adx(self, period: int = ind.WILDER_PERIOD) -> AdxType | None:
        return AdxType.from_engine(self.data.adx(period))

    @strawberry.field(
        description="Volume-weighted average of the typical price (high + low + close) / 3 over "
        "all the candles fetched (not anchored to a session or day)."
    )
    def vwap(self) -> float | None:
        return self.data.vwap()

    @strawberry.field(
        description="Taker buy minus taker sell volume over the last `last` candles, base units. "
        "Null when the venue's candles carry no taker volume (OKX candles, replayed derived "
        "OHLCV): it is never estimated. Null too with fewer than `last` candles."
    )
    def volume_delta(self, last: int = 20) -> float | None:
        return self.data.volume_delta(last)

    @strawberry.field(description="EMA alignment and higher highs / lower lows.")
    def trend(self) -> TrendType:
        return TrendType.from_engine(self.data.trend())

    @classmethod
    def from_set(cls, s: IndicatorSet) -> IndicatorsType:
        return cls(interval=s.interval, candle_count=s.candle_count, data=s, **origin(s.candles))


__all__ = ["IndicatorsType", "TrendType"]
