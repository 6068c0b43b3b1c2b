"""The weighted score, renormalization, quality gate, confidence and reasons."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from engine.signal.factors import FACTORS, aggregate_liquidations, funding_factor
from engine.signal.model import (
    Confidence,
    Direction,
    Mode,
    SignalInputs,
    SourceState,
    SourceStatus,
)
from engine.signal.modes import MODE_INFO
from engine.signal.quality import SOURCES
from engine.signal.score import NoPrice, compute_signal, confidence_for
from tests.engine.signal import recorded

NOW_MS = 1_700_000_000_000  # any instant: the engine never reads a clock
ALL_OK = tuple(SourceStatus(name, SourceState.OK) for name in SOURCES)
NOTHING = SignalInputs(
    price=None, candles_1h=None, funding_rate=None, global_long_short_ratio=None,
    top_position_ratio=None, open_interest=None, liquidations=None,
    social_sentiment_pct=None, fear_greed=None,
)  # fmt: skip


def _recorded_inputs(symbol: str = "ETHUSDT") -> SignalInputs:
    """One coin's recorded candles, the funding settled within them, its liquidations."""
    candles = recorded.candles_1h(symbol)[:100]
    last_ms = candles[-1].open_time_ms
    rate = [r for ms, r in recorded.funding_rates(symbol) if ms <= last_ms][-1]
    events = [e for e in recorded.liquidations() if e.symbol == symbol]
    window = aggregate_liquidations(events, max(e.ts_ms for e in events), 24 * 3_600_000)
    return replace(
        NOTHING,
        price=candles[-1].close,
        candles_1h=candles,
        funding_rate=rate,
        liquidations=window,
        fear_greed=recorded.fear_greed_values()[0],
    )


def _only(**fields: object) -> SignalInputs:
    """Inputs with a price (any recorded close) and only the given fields."""
    return replace(NOTHING, price=recorded.candles_1h()[-1].close, **fields)  # type: ignore[arg-type]


def test_weighted_score_over_recorded_inputs() -> None:
    inputs = _recorded_inputs()
    result = compute_signal(inputs, ALL_OK, Mode.AGGRESSIVE, NOW_MS)
    readings = {spec.name: (spec.weight, spec.read(inputs)) for spec in FACTORS}
    used = {n: (w, r.sub_score) for n, (w, r) in readings.items() if r is not None}
    assert set(used) == {"liquidations", "momentum", "funding", "fear_greed"}
    total_weight = sum(w for w, _ in used.values())
    expected = sum(w * s for w, s in used.values()) / total_weight
    assert result.score == round(expected, 2)
    assert [f.name for f in result.factors] == [spec.name for spec in FACTORS]
    assert math.fsum(f.contribution for f in result.factors) == pytest.approx(expected - 50)
    for f in result.factors:
        if f.available:
            weight, sub = used[f.name]
            assert f.sub_score == sub
            assert f.contribution == pytest.approx(weight / total_weight * (sub - 50))
        else:
            assert (f.sub_score, f.contribution, dict(f.raw)) == (None, 0.0, {})
            assert f.explanation.startswith("left out: needs ")
    ranked = sorted((f for f in result.factors if f.available), key=lambda f: -abs(f.contribution))
    assert result.top_factors == tuple(ranked[:3])
    assert result.generated_at_ms == NOW_MS
    assert result.mode == MODE_INFO[Mode.AGGRESSIVE]


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT", "SOLUSDT"])
def test_only_funding_available_scores_its_sub_score(symbol: str) -> None:
    for _, rate in recorded.funding_rates(symbol)[::20]:
        reading = funding_factor(rate)
        assert reading is not None
        result = compute_signal(_only(funding_rate=rate), ALL_OK, Mode.AGGRESSIVE, NOW_MS)
        assert result.score == round(reading.sub_score, 2)
        assert [f.name for f in result.top_factors] == ["funding"]
        assert result.top_factors[0].contribution == pytest.approx(reading.sub_score - 50)


def test_no_factor_available_scores_50_neutral() -> None:
    result = compute_signal(_only(), ALL_OK, Mode.ULTRA, NOW_MS)
    assert (result.score, result.direction, result.confidence) == (
        50.0,
        Direction.NEUTRAL,
        Confidence.LOW,
    )
    assert result.top_factors == ()
    assert "No factor had data: the score is the neutral 50" in result.reasons
    assert not any(f.available for f in result.factors)


EDGE_SCORES = [  # (mode, score, direction): thresholds, fed through the social factor
    (mode, score, direction)
    for mode, info in MODE_INFO.items()
    for score, direction in [
        (info.short_at_or_below - 0.01, Direction.SHORT),
        (info.short_at_or_below, Direction.SHORT),
        (info.short_at_or_below + 0.01, Direction.NEUTRAL),
        (info.long_at_or_above - 0.01, Direction.NEUTRAL),
        (info.long_at_or_above, Direction.LONG),
        (info.long_at_or_above + 0.01, Direction.LONG),
    ]
]


@pytest.mark.parametrize(("mode", "score", "direction"), EDGE_SCORES)
def test_thresholds_through_the_whole_signal(
    mode: Mode, score: float, direction: Direction
) -> None:
    # quality is not the subject here (a lone factor's missing sources lower it): minimum 0
    result = compute_signal(
        _only(social_sentiment_pct=score), ALL_OK, mode, NOW_MS, min_quality_pct=0.0
    )
    assert result.score == round(score, 2)
    assert result.direction is direction
    assert result.reasons[0].startswith(f"{direction.value}: score {result.score:.2f}")


def test_score_is_rounded_before_the_direction() -> None:
    # 44.996 shows as 45.00, and 45.00 is SHORT in AGGRESSIVE: the two must agree
    result = compute_signal(
        _only(social_sentiment_pct=44.996), ALL_OK, Mode.AGGRESSIVE, NOW_MS, min_quality_pct=0.0
    )
    assert (result.score, result.direction) == (45.0, Direction.SHORT)
    result = compute_signal(
        _only(social_sentiment_pct=45.004), ALL_OK, Mode.AGGRESSIVE, NOW_MS, min_quality_pct=0.0
    )
    assert (result.score, result.direction) == (45.0, Direction.SHORT)


def test_low_quality_gives_neutral_with_the_reason() -> None:
    most_fear = min(recorded.fear_greed_values())  # contrarian: reads strongly bullish
    inputs = _only(fear_greed=most_fear)
    sources = tuple(
        SourceStatus(
            name, SourceState.OK if name in ("price", "fear_greed") else SourceState.FAILED
        )
        for name in SOURCES
    )
    # only price and fear & greed are configured: everything configured answered
    configured = tuple(
        SourceStatus(
            name, SourceState.OK if name in ("price", "fear_greed") else SourceState.NOT_CONFIGURED
        )
        for name in SOURCES
    )
    good = compute_signal(inputs, configured, Mode.AGGRESSIVE, NOW_MS)
    poor = compute_signal(inputs, sources, Mode.AGGRESSIVE, NOW_MS)
    assert good.direction is Direction.LONG
    assert poor.score == good.score and not poor.quality.sufficient
    assert poor.direction is Direction.NEUTRAL and poor.confidence is Confidence.LOW
    assert poor.reasons[0] == (
        f"NEUTRAL: data quality {poor.quality.score_pct:.2f} % is below the 50.00 % minimum, "
        f"so no direction is given (score {poor.score:.2f} alone would be LONG)"
    )
    stricter = compute_signal(inputs, configured, Mode.AGGRESSIVE, NOW_MS, min_quality_pct=100.0)
    assert stricter.direction is Direction.LONG  # 100 % meets a 100 % minimum


def test_answered_sources_that_feed_no_reading_lower_quality() -> None:
    """A factor's absence lowers quality even when its source answered (too little data)."""
    fed = ("price", "klines", "funding", "liquidations", "fear_greed")  # what the inputs carry
    sources = tuple(
        SourceStatus(n, SourceState.OK if n in fed else SourceState.NOT_CONFIGURED) for n in SOURCES
    )
    full = compute_signal(_recorded_inputs(), sources, Mode.AGGRESSIVE, NOW_MS)
    short = replace(_recorded_inputs(), candles_1h=_recorded_inputs().candles_1h[-3:])  # type: ignore[index]
    starved = compute_signal(short, sources, Mode.AGGRESSIVE, NOW_MS)
    assert {f.name for f in full.factors if f.available} >= {"momentum"}
    by_name = {f.name: f for f in starved.factors}
    assert not by_name["momentum"].available
    klines = next(s for s in starved.quality.sources if s.name == "klines")
    assert (klines.state, klines.code) == (SourceState.FAILED, "INSUFFICIENT_DATA")
    assert starved.quality.score_pct < full.quality.score_pct


def test_missing_factor_explains_with_its_source_status() -> None:
    sources = (
        SourceStatus("price", SourceState.OK),
        SourceStatus(
            "funding",
            SourceState.FAILED,
            provider="binance",
            code="UNAVAILABLE",
            detail="read timeout after 0.5 s",
        ),
        SourceStatus("social", SourceState.NOT_CONFIGURED, detail="no LunarCrush API key"),
        SourceStatus("klines", SourceState.STALE),
    )
    result = compute_signal(_recorded_inputs(), sources, Mode.AGGRESSIVE, NOW_MS)
    by_name = {f.name: f for f in result.factors}
    # the funding value came in, but the status says it failed: the reading still counts
    assert by_name["funding"].available
    nothing = compute_signal(_only(), sources, Mode.AGGRESSIVE, NOW_MS)
    by_name = {f.name: f for f in nothing.factors}
    assert by_name["funding"].explanation == (
        "left out: funding FAILED (UNAVAILABLE): read timeout after 0.5 s"
    )
    assert by_name["social"].explanation == "left out: social NOT_CONFIGURED: no LunarCrush API key"
    assert by_name["oi_trend"].explanation.startswith("left out: needs ")
    assert "Served stale: klines" in nothing.reasons
    assert "Sources without data: funding FAILED, social NOT_CONFIGURED" in nothing.reasons
    assert any(
        line.startswith("Left out (no usable data): liquidations,") for line in nothing.reasons
    )


def test_no_price_is_a_hard_failure_naming_the_price_source() -> None:
    inputs = replace(_recorded_inputs(), price=None)
    failed = (
        SourceStatus(
            "price", SourceState.FAILED, provider="binance", code="RATE_LIMITED", detail="HTTP 429"
        ),
    )
    with pytest.raises(NoPrice, match=r"price FAILED \(RATE_LIMITED\): HTTP 429 via binance"):
        compute_signal(inputs, failed, Mode.AGGRESSIVE, NOW_MS)
    with pytest.raises(NoPrice, match="not reported"):
        compute_signal(inputs, (), Mode.AGGRESSIVE, NOW_MS)
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(NoPrice, match="unusable"):
            compute_signal(replace(inputs, price=bad), ALL_OK, Mode.AGGRESSIVE, NOW_MS)
    assert issubclass(NoPrice, ValueError)


CONFIDENCE = [  # (direction, points beyond the threshold, quality %, confidence)
    (Direction.LONG, 10.0, 80.0, Confidence.HIGH),
    (Direction.SHORT, 10.0, 80.0, Confidence.HIGH),
    (Direction.LONG, 9.99, 100.0, Confidence.MEDIUM),
    (Direction.LONG, 10.0, 79.99, Confidence.MEDIUM),
    (Direction.SHORT, 3.0, 60.0, Confidence.MEDIUM),
    (Direction.SHORT, 2.99, 100.0, Confidence.LOW),
    (Direction.LONG, 30.0, 59.99, Confidence.LOW),
    (Direction.LONG, 0.0, 100.0, Confidence.LOW),
]


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize(("direction", "beyond", "quality", "confidence"), CONFIDENCE)
def test_confidence_rule(
    mode: Mode, direction: Direction, beyond: float, quality: float, confidence: Confidence
) -> None:
    info = MODE_INFO[mode]
    if direction is Direction.LONG:
        score = info.long_at_or_above + beyond
    else:
        score = info.short_at_or_below - beyond
    assert confidence_for(score, direction, info, quality) is confidence
    assert confidence_for(score, Direction.NEUTRAL, info, quality) is Confidence.LOW
