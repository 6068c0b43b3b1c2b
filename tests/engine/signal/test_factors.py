"""Each factor's documented formula and the direction of its effect, on recorded data."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.domain import Candle, OpenInterestPoint, PositionSide
from engine.signal.factors import (
    FACTORS,
    aggregate_liquidations,
    check_weights,
    fear_greed_factor,
    funding_factor,
    liquidations_factor,
    long_short_ratio_factor,
    momentum_factor,
    oi_trend_factor,
    smart_money_factor,
    social_factor,
)
from engine.signal.model import LiquidationWindow
from engine.signal.quality import SOURCES
from tests.engine.signal import recorded

HOUR_MS = 3_600_000
POSITIVE_RATIOS = st.floats(min_value=1e-6, max_value=1e6)


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


# --- the table -----------------------------------------------------------------------------


def test_table_is_in_weight_order_with_the_product_weights() -> None:
    assert [(f.name, f.weight) for f in FACTORS] == [
        ("liquidations", 24), ("momentum", 20), ("funding", 18), ("long_short_ratio", 12),
        ("smart_money", 10), ("oi_trend", 8), ("social", 5), ("fear_greed", 3),
    ]  # fmt: skip
    assert sum(f.weight for f in FACTORS) == 100
    check_weights()


def test_every_factor_source_is_a_tracked_source() -> None:
    assert {s for f in FACTORS for s in f.sources} <= set(SOURCES)


# --- liquidations --------------------------------------------------------------------------


def _whole_recording(symbol: str | None = None) -> LiquidationWindow:
    events = [e for e in recorded.liquidations() if symbol in (None, e.symbol)]
    end_ms = max(e.ts_ms for e in recorded.liquidations())
    return aggregate_liquidations(events, end_ms=end_ms, window_ms=HOUR_MS)


def test_liquidations_formula_and_direction_for_every_recorded_symbol() -> None:
    symbols = sorted({e.symbol for e in recorded.liquidations()})
    assert len(symbols) > 10
    for symbol in [*symbols, None]:
        window = _whole_recording(symbol)
        reading = liquidations_factor(window)
        assert reading is not None
        total = window.long_usd + window.short_usd
        imbalance = (window.short_usd - window.long_usd) / total
        assert reading.sub_score == pytest.approx(50 + 50 * imbalance), symbol
        assert _sign(reading.sub_score - 50) == _sign(window.short_usd - window.long_usd)
        assert reading.raw["imbalance"] == pytest.approx(imbalance)


def test_recorded_long_flush_reads_bearish_with_the_figures_in_its_line() -> None:
    window = _whole_recording()  # the recording is mostly SELL orders: longs liquidated
    reading = liquidations_factor(window)
    assert window.long_usd > window.short_usd
    assert reading is not None and reading.sub_score < 50
    assert "long flush" in reading.explanation
    assert f"({window.long_count} orders)" in reading.explanation
    assert "in 1h" in reading.explanation


def test_adding_recorded_short_liquidations_never_lowers_the_sub_score() -> None:
    events = recorded.liquidations()
    end_ms = max(e.ts_ms for e in events)
    longs = [e for e in events if e.side is PositionSide.LONG]
    shorts = [e for e in events if e.side is PositionSide.SHORT]
    subs = []
    for n in range(len(shorts) + 1):
        window = aggregate_liquidations([*longs, *shorts[:n]], end_ms=end_ms, window_ms=HOUR_MS)
        reading = liquidations_factor(window)
        assert reading is not None
        subs.append(reading.sub_score)
    assert subs == sorted(subs) and subs[-1] > subs[0]


def test_no_liquidations_is_no_edge_and_bad_amounts_are_unusable() -> None:
    empty = aggregate_liquidations([], end_ms=0, window_ms=HOUR_MS)
    reading = liquidations_factor(empty)
    assert reading is not None and reading.sub_score == 50
    assert reading.explanation == "no liquidations in 1h: no edge"
    assert liquidations_factor(None) is None
    bad = LiquidationWindow(-1.0, 0.0, 0, 0, HOUR_MS, 0)
    assert liquidations_factor(bad) is None


# --- momentum ------------------------------------------------------------------------------


def _expected_momentum(candles: tuple[Candle, ...]) -> float:
    last = candles[-1].close
    r1, r4, r24 = ((last / candles[-1 - h].close - 1) * 100 for h in (1, 4, 24))
    return 0.25 * r1 / 1.0 + 0.35 * r4 / 2.0 + 0.40 * r24 / 5.0


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT", "SOLUSDT"])
def test_momentum_formula_over_every_recorded_day(symbol: str) -> None:
    series = recorded.candles_1h(symbol)
    xs, subs = [], []
    for end in range(25, len(series) + 1, 6):
        window = series[end - 25 : end]
        reading = momentum_factor(window)
        assert reading is not None
        x = _expected_momentum(window)
        assert reading.sub_score == pytest.approx(50 + 50 * math.tanh(x))
        assert reading.raw["momentum_x"] == pytest.approx(x)
        assert _sign(reading.sub_score - 50) == _sign(x)
        xs.append(x)
        subs.append(reading.sub_score)
    # a stronger composite move never gives a lower sub-score
    by_x = [s for _, s in sorted(zip(xs, subs, strict=True))]
    assert by_x == sorted(by_x)
    assert min(subs) < 50 < max(subs)  # the recordings hold both rallies and drops


def test_momentum_on_the_verbatim_5m_klines_as_hours() -> None:
    hours = recorded.hourly(recorded.candles_5m_verbatim())
    assert len(hours) >= 25
    reading = momentum_factor(hours)
    assert reading is not None
    assert reading.sub_score == pytest.approx(50 + 50 * math.tanh(_expected_momentum(hours)))
    assert reading.explanation.startswith("price ") and " 24h: " in reading.explanation


def test_momentum_needs_25_candles() -> None:
    series = recorded.candles_1h()
    assert momentum_factor(series[:24]) is None
    assert momentum_factor(series[:25]) is not None
    assert momentum_factor(None) is None


# --- funding -------------------------------------------------------------------------------


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT", "SOLUSDT"])
def test_funding_formula_and_direction_for_every_recorded_rate(symbol: str) -> None:
    rates = [rate for _, rate in recorded.funding_rates(symbol)]
    subs = []
    for rate in rates:
        reading = funding_factor(rate)
        assert reading is not None
        assert reading.sub_score == pytest.approx(50 - 50 * math.tanh((rate - 0.0001) / 0.0005))
        assert _sign(reading.sub_score - 50) == _sign(0.0001 - rate)  # above neutral: bearish
        subs.append(reading.sub_score)
    by_rate = [s for _, s in sorted(zip(rates, subs, strict=True))]
    assert by_rate == sorted(by_rate, reverse=True)  # higher funding never reads more bullish
    assert any(r < 0 for r in rates) and max(subs) > 50


def test_funding_line_shows_the_rate_in_percent() -> None:
    rate = recorded.funding_rates()[0][1]
    reading = funding_factor(rate)
    assert reading is not None and f"{rate * 100:+.4f} %" in reading.explanation
    assert funding_factor(None) is None and funding_factor(math.nan) is None


# --- long/short ratio and smart money: no real recording, so generated ratios -------------


@given(POSITIVE_RATIOS)
def test_long_short_ratio_is_contrarian(ratio: float) -> None:
    reading = long_short_ratio_factor(ratio)
    mirror = long_short_ratio_factor(1 / ratio)
    assert reading is not None and mirror is not None
    assert reading.sub_score == pytest.approx(50 - 50 * math.tanh(math.log(ratio)))
    assert reading.sub_score == pytest.approx(100 / (1 + ratio**2), abs=1e-9)
    assert reading.sub_score + mirror.sub_score == pytest.approx(100)
    assert _sign(reading.sub_score - 50) == _sign(1 - ratio) or math.isclose(ratio, 1)


@given(POSITIVE_RATIOS)
def test_smart_money_is_followed(ratio: float) -> None:
    reading = smart_money_factor(ratio)
    crowd = long_short_ratio_factor(ratio)
    assert reading is not None and crowd is not None
    assert reading.sub_score == pytest.approx(50 + 50 * math.tanh(math.log(ratio)))
    assert reading.sub_score + crowd.sub_score == pytest.approx(100)  # mirror images


@given(POSITIVE_RATIOS, POSITIVE_RATIOS)
def test_more_longs_in_the_crowd_never_reads_more_bullish(a: float, b: float) -> None:
    low, high = sorted((a, b))
    crowd_low, crowd_high = long_short_ratio_factor(low), long_short_ratio_factor(high)
    top_low, top_high = smart_money_factor(low), smart_money_factor(high)
    assert crowd_low and crowd_high and top_low and top_high
    assert crowd_high.sub_score <= crowd_low.sub_score
    assert top_high.sub_score >= top_low.sub_score


@pytest.mark.parametrize("ratio", [None, 0.0, -1.0, math.nan, math.inf])
def test_unusable_ratios_give_no_reading(ratio: float | None) -> None:
    assert long_short_ratio_factor(ratio) is None
    assert smart_money_factor(ratio) is None


def test_ratio_one_is_no_edge() -> None:
    for read in (long_short_ratio_factor, smart_money_factor):
        reading = read(1.0)
        assert reading is not None and reading.sub_score == 50


# --- open-interest trend: recorded prices, generated open interest -------------------------


def _day_spans(direction: int) -> list[tuple[int, int]]:
    """Recorded (start ms, end ms) 24 h spans whose candle opens moved in ``direction``."""
    series = recorded.candles_1h()
    return [
        (series[i].open_time_ms, series[i + 24].open_time_ms)
        for i in range(0, len(series) - 24, 24)
        if _sign(series[i + 24].open - series[i].open) == direction
    ]


QUADRANTS = [  # (OI direction, price direction, expected side of 50, label)
    (+1, +1, +1, "new longs"),
    (+1, -1, -1, "new shorts"),
    (-1, +1, +1, "short covering"),
    (-1, -1, -1, "long liquidation"),
]


@pytest.mark.parametrize(("oi_dir", "price_dir", "side", "label"), QUADRANTS)
@given(start_qty=st.floats(1.0, 1e9), change=st.floats(0.001, 0.9))
def test_oi_trend_quadrants_on_recorded_price_moves(
    oi_dir: int, price_dir: int, side: int, label: str, start_qty: float, change: float
) -> None:
    series = recorded.candles_1h()
    for start_ms, end_ms in _day_spans(price_dir)[:3]:
        points = (
            OpenInterestPoint(start_ms, start_qty, None),
            OpenInterestPoint(end_ms, start_qty * (1 + oi_dir * change), None),
        )
        reading = oi_trend_factor(points, series)
        assert reading is not None
        assert _sign(reading.sub_score - 50) in (side, 0)  # 0: tanh saturates at tiny moves
        assert label in reading.explanation
        price = reading.raw["price_change_pct"]
        oi = reading.raw["oi_change_pct"]
        strength = oi / 5 if oi >= 0 else -0.5 * oi / 5
        assert reading.sub_score == pytest.approx(50 + 50 * math.tanh(math.tanh(price) * strength))


def test_oi_decline_reads_half_as_strong_as_the_same_rise() -> None:
    series = recorded.candles_1h()
    start_ms, end_ms = _day_spans(+1)[0]
    rise = oi_trend_factor(
        (OpenInterestPoint(start_ms, 1.0, None), OpenInterestPoint(end_ms, 1.1, None)), series
    )
    fall = oi_trend_factor(
        (OpenInterestPoint(start_ms, 1.0, None), OpenInterestPoint(end_ms, 0.9, None)), series
    )
    assert rise is not None and fall is not None
    assert rise.raw["oi_x"] == pytest.approx(2 * fall.raw["oi_x"])


def test_oi_trend_needs_candles_containing_both_timestamps() -> None:
    series = recorded.candles_1h()
    first = series[0].open_time_ms
    points = (
        OpenInterestPoint(first, 1.0, None),
        OpenInterestPoint(first + 5 * HOUR_MS, 1.1, None),
    )
    assert oi_trend_factor(points, series) is not None
    assert oi_trend_factor(points, None) is None  # no candles: price direction unknown
    assert oi_trend_factor(points, ()) is None
    assert oi_trend_factor(points, series[2:]) is None  # candles start after the OI span
    past_end = series[-1].open_time_ms + 3 * HOUR_MS
    late = (points[0], OpenInterestPoint(past_end, 1.1, None))
    assert oi_trend_factor(late, series) is None
    assert oi_trend_factor(points[:1], series) is None
    assert oi_trend_factor(None, series) is None


# --- social and fear & greed ---------------------------------------------------------------


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_social_is_the_share_clamped(pct: float) -> None:
    reading = social_factor(pct)
    assert reading is not None and reading.sub_score == min(100.0, max(0.0, pct))


def test_social_without_a_share_gives_no_reading() -> None:
    assert social_factor(None) is None and social_factor(math.nan) is None


def test_fear_greed_is_contrarian_over_every_recorded_day() -> None:
    values = recorded.fear_greed_values()
    assert len(values) > 2000
    for value in values:
        reading = fear_greed_factor(value)
        assert reading is not None and reading.sub_score == 100 - value
        assert f"Fear & Greed {value} (" in reading.explanation
    most_fear = fear_greed_factor(min(values))
    most_greed = fear_greed_factor(max(values))
    assert most_fear is not None and most_greed is not None
    assert most_fear.sub_score > 50 > most_greed.sub_score
    assert "extreme fear" in most_fear.explanation and "extreme greed" in most_greed.explanation
    assert fear_greed_factor(None) is None
