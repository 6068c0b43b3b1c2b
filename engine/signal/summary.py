"""A market summary over several coins' signals, with templated English and Indonesian text."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from engine.signal.model import Confidence, Direction, LiquidationWindow, SignalResult
from engine.signal.wording import usd

HOT_FUNDING_RATE = 0.0003  # average funding above 0.03 % per interval: longs crowded
SQUEEZE_SHARE = 0.6  # short-side share of liquidated USD at or above: shorts squeezed


class Sentiment(Enum):
    BULLISH = "BULLISH"
    BEARISH = "BEARISH"
    NEUTRAL = "NEUTRAL"
    MIXED = "MIXED"


class Pressure(Enum):
    """Which side the liquidations hit, summed over the coins."""

    SHORT_SQUEEZE = "SHORT_SQUEEZE"  # >= 60 % of liquidated USD was short positions
    LONG_FLUSH = "LONG_FLUSH"  # <= 40 % was short positions
    BALANCED = "BALANCED"
    NONE = "NONE"  # nothing liquidated, or no coin had a liquidation window


@dataclass(frozen=True, slots=True)
class CoinSignal:
    """One coin's input: its signal, and optionally its funding rate (fraction per
    interval), liquidation window and price (quote currency)."""

    ticker: str
    signal: SignalResult
    funding_rate: float | None = None
    liquidations: LiquidationWindow | None = None
    price: float | None = None


@dataclass(frozen=True, slots=True)
class CoinRow:
    ticker: str
    direction: Direction
    score: float
    confidence: Confidence
    price: float | None


@dataclass(frozen=True, slots=True)
class Distribution:
    long: int
    short: int
    neutral: int

    @property
    def total(self) -> int:
        return self.long + self.short + self.neutral


@dataclass(frozen=True, slots=True)
class LiquidationPressure:
    long_usd: float  # long positions liquidated, summed over the coins with a window
    short_usd: float
    coins_with_data: int
    label: Pressure


@dataclass(frozen=True, slots=True)
class MarketSummary:
    sentiment: Sentiment
    coins: tuple[CoinRow, ...]  # in input order
    distribution: Distribution
    average_score: float | None  # None without coins
    market_bias: float  # average score - 50, in score points; 0 without coins
    average_funding_rate: float | None  # fraction per interval; None when no coin had one
    liquidation_pressure: LiquidationPressure
    explanation_en: str
    explanation_id: str
    recommendations: tuple[str, ...]  # English


def sentiment_of(counts: Distribution) -> Sentiment:
    """More than half LONG: BULLISH; more than half SHORT: BEARISH; at least half NEUTRAL
    (or no coins): NEUTRAL; anything else (directions split): MIXED."""
    n = counts.total
    if n == 0:
        return Sentiment.NEUTRAL
    if 2 * counts.long > n:
        return Sentiment.BULLISH
    if 2 * counts.short > n:
        return Sentiment.BEARISH
    if 2 * counts.neutral >= n:
        return Sentiment.NEUTRAL
    return Sentiment.MIXED


def liquidation_pressure(windows: Sequence[LiquidationWindow]) -> LiquidationPressure:
    """Total long and short USD liquidated; the label from the short share of the total
    (>= 0.6 SHORT_SQUEEZE, <= 0.4 LONG_FLUSH, else BALANCED, NONE when the total is 0)."""
    long_usd = math.fsum(w.long_usd for w in windows)
    short_usd = math.fsum(w.short_usd for w in windows)
    total = long_usd + short_usd
    if not total > 0:
        label = Pressure.NONE
    elif short_usd / total >= SQUEEZE_SHARE:
        label = Pressure.SHORT_SQUEEZE
    elif short_usd / total <= 1 - SQUEEZE_SHARE:
        label = Pressure.LONG_FLUSH
    else:
        label = Pressure.BALANCED
    return LiquidationPressure(long_usd, short_usd, len(windows), label)


_SENTIMENT_ID = {
    Sentiment.BULLISH: "BULLISH (cenderung naik)",
    Sentiment.BEARISH: "BEARISH (cenderung turun)",
    Sentiment.NEUTRAL: "NETRAL",
    Sentiment.MIXED: "CAMPURAN",
}
_PRESSURE_EN = {
    Pressure.SHORT_SQUEEZE: "shorts squeezed",
    Pressure.LONG_FLUSH: "longs flushed",
    Pressure.BALANCED: "balanced",
    Pressure.NONE: "none",
}
_PRESSURE_ID = {
    Pressure.SHORT_SQUEEZE: "short terjepit",
    Pressure.LONG_FLUSH: "long tersapu",
    Pressure.BALANCED: "seimbang",
    Pressure.NONE: "tidak ada",
}


def _explanations(
    sentiment: Sentiment,
    counts: Distribution,
    average: float | None,
    bias: float,
    funding: float | None,
    pressure: LiquidationPressure,
) -> tuple[str, str]:
    """(English, Indonesian), the same figures in both (dot decimals)."""
    if average is None:
        return "No coins to summarize.", "Tidak ada koin untuk diringkas."
    n, lo, sh, ne = counts.total, counts.long, counts.short, counts.neutral
    liq_en = f"longs {usd(pressure.long_usd)} vs shorts {usd(pressure.short_usd)}"
    liq_id = f"long {usd(pressure.long_usd)} vs short {usd(pressure.short_usd)}"
    fund = None if funding is None else f"{funding * 100:+.4f} %"
    en = (
        f"Market {sentiment.value}: {lo} of {n} coins LONG, {sh} SHORT, {ne} NEUTRAL; "
        f"average score {average:.2f} (bias {bias:+.2f}); "
        + (f"average funding {fund}; " if fund else "funding unknown; ")
        + f"liquidations {liq_en} ({_PRESSURE_EN[pressure.label]})."
    )
    id_ = (
        f"Pasar {_SENTIMENT_ID[sentiment]}: {lo} dari {n} koin LONG, {sh} SHORT, {ne} NETRAL; "
        f"skor rata-rata {average:.2f} (bias {bias:+.2f}); "
        + (f"funding rata-rata {fund}; " if fund else "funding tidak diketahui; ")
        + f"likuidasi {liq_id} ({_PRESSURE_ID[pressure.label]})."
    )
    return en, id_


def _recommendations(
    sentiment: Sentiment,
    rows: Sequence[CoinRow],
    funding: float | None,
    pressure: LiquidationPressure,
    thin: Sequence[str],
) -> tuple[str, ...]:
    longs = sorted((r for r in rows if r.direction is Direction.LONG), key=lambda r: -r.score)
    shorts = sorted((r for r in rows if r.direction is Direction.SHORT), key=lambda r: r.score)
    best_long = ", ".join(f"{r.ticker} ({r.score:.2f})" for r in longs[:3])
    best_short = ", ".join(f"{r.ticker} ({r.score:.2f})" for r in shorts[:3])
    lines: list[str] = []
    if sentiment is Sentiment.BULLISH:
        lines.append(f"Lean long: strongest LONG signals {best_long}; avoid shorting into it.")
    elif sentiment is Sentiment.BEARISH:
        lines.append(
            f"Lean short: strongest SHORT signals {best_short}; avoid buying dips blindly."
        )
    elif sentiment is Sentiment.MIXED:
        lines.append(
            f"Signals disagree: trade coin by coin (LONG {best_long or 'none'}; "
            f"SHORT {best_short or 'none'}), not the market as a whole."
        )
    elif rows:
        lines.append(
            "No clear edge: wait for scores to cross the thresholds, or use a more "
            "sensitive mode knowing it gives weaker signals."
        )
    if funding is not None and funding > HOT_FUNDING_RATE:
        lines.append(
            f"Average funding {funding * 100:+.4f} % is high: longs are crowded, "
            "beware of a long squeeze."
        )
    elif funding is not None and funding < 0:
        lines.append(
            f"Average funding {funding * 100:+.4f} % is negative: shorts pay, "
            "a short squeeze is more likely."
        )
    if pressure.label is Pressure.SHORT_SQUEEZE:
        lines.append(
            f"Shorts are being liquidated ({usd(pressure.short_usd)}): chasing shorts is risky."
        )
    elif pressure.label is Pressure.LONG_FLUSH:
        lines.append(
            f"Longs are being liquidated ({usd(pressure.long_usd)}): "
            "wait for the flush to end before buying."
        )
    if thin:
        lines.append(f"Not enough data quality for a direction on {', '.join(thin)}.")
    return tuple(lines)


def summarize(coins: Sequence[CoinSignal]) -> MarketSummary:
    """Summarize several coins' signals (any mode; each signal's own direction counts).

    ``average_score`` is the mean of the scores (2 decimals) and ``market_bias`` that
    minus 50; ``average_funding_rate`` the mean of the finite funding rates given;
    liquidation pressure sums the windows given. Sentiment: ``sentiment_of``.
    """
    rows = tuple(
        CoinRow(c.ticker, c.signal.direction, c.signal.score, c.signal.confidence, c.price)
        for c in coins
    )
    counts = Distribution(
        long=sum(r.direction is Direction.LONG for r in rows),
        short=sum(r.direction is Direction.SHORT for r in rows),
        neutral=sum(r.direction is Direction.NEUTRAL for r in rows),
    )
    sentiment = sentiment_of(counts)
    average = round(math.fsum(r.score for r in rows) / len(rows), 2) if rows else None
    bias = round(average - 50.0, 2) if average is not None else 0.0
    rates = [
        c.funding_rate
        for c in coins
        if c.funding_rate is not None and math.isfinite(c.funding_rate)
    ]
    funding = math.fsum(rates) / len(rates) if rates else None
    pressure = liquidation_pressure([c.liquidations for c in coins if c.liquidations is not None])
    en, id_ = _explanations(sentiment, counts, average, bias, funding, pressure)
    thin = [c.ticker for c in coins if not c.signal.quality.sufficient]
    return MarketSummary(
        sentiment=sentiment,
        coins=rows,
        distribution=counts,
        average_score=average,
        market_bias=bias,
        average_funding_rate=funding,
        liquidation_pressure=pressure,
        explanation_en=en,
        explanation_id=id_,
        recommendations=_recommendations(sentiment, rows, funding, pressure, thin),
    )


__all__ = [
    "CoinRow",
    "CoinSignal",
    "Distribution",
    "LiquidationPressure",
    "MarketSummary",
    "Pressure",
    "Sentiment",
    "liquidation_pressure",
    "sentiment_of",
    "summarize",
]
