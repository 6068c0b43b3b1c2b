"""The market summary: its sentiment rule and its two templated languages."""

from __future__ import annotations

from dataclasses import replace

import pytest

from engine.signal.factors import aggregate_liquidations
from engine.signal.model import (
    Direction,
    LiquidationWindow,
    Mode,
    SignalInputs,
    SignalResult,
    SourceState,
    SourceStatus,
)
from engine.signal.quality import SOURCES
from engine.signal.score import compute_signal
from engine.signal.summary import (
    CoinSignal,
    Distribution,
    Pressure,
    Sentiment,
    liquidation_pressure,
    sentiment_of,
    summarize,
)
from engine.signal.wording import usd
from tests.engine.signal import recorded

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
ALL_OK = tuple(SourceStatus(n, SourceState.OK) for n in SOURCES)
NOTHING = SignalInputs(None, None, None, None, None, None, None, None, None)

SENTIMENT = [  # (long, short, neutral) -> sentiment
    ((3, 0, 0), Sentiment.BULLISH),
    ((2, 1, 0), Sentiment.BULLISH),
    ((3, 1, 1), Sentiment.BULLISH),
    ((0, 2, 1), Sentiment.BEARISH),
    ((1, 3, 1), Sentiment.BEARISH),
    ((0, 0, 3), Sentiment.NEUTRAL),
    ((1, 1, 2), Sentiment.NEUTRAL),  # at least half NEUTRAL
    ((2, 0, 2), Sentiment.NEUTRAL),
    ((1, 1, 0), Sentiment.MIXED),
    ((2, 2, 1), Sentiment.MIXED),
    ((2, 1, 1), Sentiment.MIXED),  # half LONG is not a majority
    ((0, 0, 0), Sentiment.NEUTRAL),
]


@pytest.mark.parametrize(("counts", "sentiment"), SENTIMENT)
def test_sentiment_rule(counts: tuple[int, int, int], sentiment: Sentiment) -> None:
    assert sentiment_of(Distribution(*counts)) is sentiment


def _signal(direction: Direction) -> SignalResult:
    """A real signal with that direction in AGGRESSIVE (the social share at a threshold)."""
    pct = {Direction.LONG: 55.0, Direction.SHORT: 45.0, Direction.NEUTRAL: 50.0}[direction]
    inputs = replace(NOTHING, price=1.0, social_sentiment_pct=pct)
    # these tests are about the summary of directions, not data quality: minimum 0
    result = compute_signal(inputs, ALL_OK, Mode.AGGRESSIVE, 0, min_quality_pct=0.0)
    assert result.direction is direction
    return result


def _window(symbol: str) -> LiquidationWindow:
    events = [e for e in recorded.liquidations() if e.symbol == symbol]
    return aggregate_liquidations(events, max(e.ts_ms for e in recorded.liquidations()), 3_600_000)


@pytest.mark.parametrize(("counts", "sentiment"), SENTIMENT[:-1])
def test_summary_over_recorded_coins(counts: tuple[int, int, int], sentiment: Sentiment) -> None:
    directions = [Direction.LONG] * counts[0] + [Direction.SHORT] * counts[1]
    directions += [Direction.NEUTRAL] * counts[2]
    coins = [
        CoinSignal(
            ticker=SYMBOLS[i % 3].removesuffix("USDT"),
            signal=_signal(d),
            funding_rate=recorded.funding_rates(SYMBOLS[i % 3])[-1][1],
            liquidations=_window(SYMBOLS[i % 3]),
            price=recorded.candles_1h(SYMBOLS[i % 3])[-1].close,
        )
        for i, d in enumerate(directions)
    ]
    summary = summarize(coins)
    assert summary.sentiment is sentiment
    assert summary.distribution == Distribution(*counts)
    assert [(r.ticker, r.direction, r.price) for r in summary.coins] == [
        (c.ticker, c.signal.direction, c.price) for c in coins
    ]
    average = round(sum(c.signal.score for c in coins) / len(coins), 2)
    assert summary.average_score == average
    assert summary.market_bias == round(average - 50, 2)
    rates = [c.funding_rate for c in coins if c.funding_rate is not None]
    assert summary.average_funding_rate == pytest.approx(sum(rates) / len(rates))
    pressure = summary.liquidation_pressure
    assert pressure.long_usd == pytest.approx(
        sum(c.liquidations.long_usd for c in coins if c.liquidations)
    )
    assert pressure.label is Pressure.LONG_FLUSH  # these coins' recorded liquidations were longs

    n, lo, sh, ne = len(coins), *counts
    figures = [f"{average:.2f}", f"{average - 50:+.2f}", usd(pressure.long_usd)]
    assert summary.average_funding_rate is not None
    figures.append(f"{summary.average_funding_rate * 100:+.4f} %")
    for text in (summary.explanation_en, summary.explanation_id):
        for figure in figures:
            assert figure in text
    assert f"{lo} of {n} coins LONG, {sh} SHORT, {ne} NEUTRAL" in summary.explanation_en
    assert f"{lo} dari {n} koin LONG, {sh} SHORT, {ne} NETRAL" in summary.explanation_id
    assert "skor rata-rata" in summary.explanation_id and "likuidasi" in summary.explanation_id
    assert summary.recommendations and all(line.endswith(".") for line in summary.recommendations)


def test_recommendations_name_the_strongest_coins_and_the_flush() -> None:
    coins = [
        CoinSignal("BTC", _signal(Direction.LONG), liquidations=_window("BTCUSDT")),
        CoinSignal("ETH", _signal(Direction.LONG)),
        CoinSignal("SOL", _signal(Direction.SHORT)),
    ]
    summary = summarize(coins)
    assert summary.sentiment is Sentiment.BULLISH
    assert summary.average_funding_rate is None
    assert "funding unknown" in summary.explanation_en
    assert "funding tidak diketahui" in summary.explanation_id
    assert summary.recommendations[0].startswith("Lean long: strongest LONG signals BTC (55.00)")
    assert any(line.startswith("Longs are being liquidated") for line in summary.recommendations)


def test_funding_and_quality_recommendations() -> None:
    rates = [rate for _, rate in recorded.funding_rates("ETHUSDT")]
    weak = replace(
        _signal(Direction.NEUTRAL),
        quality=replace(_signal(Direction.NEUTRAL).quality, sufficient=False),
    )
    summary = summarize(
        [
            CoinSignal("ETH", _signal(Direction.NEUTRAL), funding_rate=min(rates)),
            CoinSignal("XRP", weak),
        ]
    )
    assert min(rates) < 0
    assert any("is negative: shorts pay" in line for line in summary.recommendations)
    assert "Not enough data quality for a direction on XRP." in summary.recommendations


def test_liquidation_pressure_labels_from_recorded_windows() -> None:
    by_symbol = {e.symbol for e in recorded.liquidations()}
    windows = [_window(s) for s in sorted(by_symbol)]
    pressure = liquidation_pressure(windows)
    share = pressure.short_usd / (pressure.long_usd + pressure.short_usd)
    expected = (
        Pressure.SHORT_SQUEEZE
        if share >= 0.6
        else Pressure.LONG_FLUSH
        if share <= 0.4
        else Pressure.BALANCED
    )
    assert pressure.label is expected and pressure.coins_with_data == len(windows)
    squeezed = [w for w in windows if w.short_usd > 0 and w.long_usd == 0]
    assert squeezed and liquidation_pressure(squeezed).label is Pressure.SHORT_SQUEEZE
    assert liquidation_pressure([]).label is Pressure.NONE


def test_empty_summary() -> None:
    summary = summarize([])
    assert summary.sentiment is Sentiment.NEUTRAL
    assert (summary.average_score, summary.market_bias, summary.coins) == (None, 0.0, ())
    assert summary.explanation_en and summary.explanation_id
