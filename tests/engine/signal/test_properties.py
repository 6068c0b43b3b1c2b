"""Properties over generated inputs: bounds, monotonicity, the weight rule."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.domain import Candle, OpenInterestPoint
from engine.signal.factors import FACTORS, check_weights, liquidations_factor
from engine.signal.model import (
    Direction,
    LiquidationWindow,
    Mode,
    SignalInputs,
    SourceState,
    SourceStatus,
)
from engine.signal.modes import direction_for
from engine.signal.quality import SOURCES
from engine.signal.score import compute_signal

HOUR_MS = 3_600_000
START_MS = 1_741_258_800_000
ANY_FLOAT = st.floats()  # NaN and infinities included: the engine must stay in bounds
AMOUNT = st.floats(min_value=0, max_value=1e300)  # USD liquidated, finite even when summed


@st.composite
def candles(draw: st.DrawFn) -> tuple[Candle, ...]:
    closes = draw(st.lists(st.one_of(ANY_FLOAT, st.floats(1, 1e6)), max_size=30))
    return tuple(
        Candle(START_MS + i * HOUR_MS, c, c, c, c, 1.0, None, None, None, None)
        for i, c in enumerate(closes)
    )


@st.composite
def open_interest(draw: st.DrawFn) -> tuple[OpenInterestPoint, ...]:
    qtys = draw(st.lists(ANY_FLOAT, max_size=5))
    offsets = sorted(
        draw(
            st.lists(
                st.integers(-2 * HOUR_MS, 40 * HOUR_MS), min_size=len(qtys), max_size=len(qtys)
            )
        )
    )
    return tuple(
        OpenInterestPoint(START_MS + o, q, None) for o, q in zip(offsets, qtys, strict=True)
    )


def windows(long_usd: st.SearchStrategy[float] = ANY_FLOAT) -> st.SearchStrategy[LiquidationWindow]:
    return st.builds(
        LiquidationWindow,
        long_usd,
        ANY_FLOAT,
        st.integers(0, 10**6),
        st.integers(0, 10**6),
        st.integers(1, 10**9),
        st.integers(0, 2**41),
    )


def inputs(
    liquidations: st.SearchStrategy[LiquidationWindow | None],
) -> st.SearchStrategy[SignalInputs]:
    return st.builds(
        SignalInputs,
        price=st.floats(1e-8, 1e9),
        candles_1h=st.none() | candles(),
        funding_rate=st.none() | ANY_FLOAT,
        global_long_short_ratio=st.none() | ANY_FLOAT,
        top_position_ratio=st.none() | ANY_FLOAT,
        open_interest=st.none() | open_interest(),
        liquidations=liquidations,
        social_sentiment_pct=st.none() | ANY_FLOAT,
        fear_greed=st.none() | st.integers(-1000, 1000),
    )


STATUSES = st.lists(
    st.sampled_from(list(SourceState)), min_size=len(SOURCES), max_size=len(SOURCES)
).map(lambda states: tuple(SourceStatus(n, s) for n, s in zip(SOURCES, states, strict=True)))
ALL_OK = tuple(SourceStatus(n, SourceState.OK) for n in SOURCES)


@given(inputs(st.none() | windows()), STATUSES, st.sampled_from(list(Mode)))
def test_score_and_sub_scores_stay_within_0_100(
    signal_inputs: SignalInputs, statuses: tuple[SourceStatus, ...], mode: Mode
) -> None:
    result = compute_signal(signal_inputs, statuses, mode, 0)
    assert 0.0 <= result.score <= 100.0
    assert 0.0 <= result.quality.score_pct <= 100.0
    assert len(result.factors) == 8 and len(result.top_factors) <= 3
    for f in result.factors:
        assert f.available is (f.sub_score is not None)
        assert f.sub_score is None or 0.0 <= f.sub_score <= 100.0
        assert -50.0 <= f.contribution <= 50.0


@given(inputs(st.just(None)), AMOUNT, AMOUNT, AMOUNT, st.sampled_from(list(Mode)))
def test_more_short_liquidation_never_lowers_the_score(
    signal_inputs: SignalInputs, long_usd: float, short_usd: float, more: float, mode: Mode
) -> None:
    less = LiquidationWindow(long_usd, short_usd, 1, 1, HOUR_MS, START_MS)
    extra = replace(less, short_usd=short_usd + more)
    low, high = liquidations_factor(less), liquidations_factor(extra)
    assert low is not None and high is not None and high.sub_score >= low.sub_score
    before = compute_signal(replace(signal_inputs, liquidations=less), ALL_OK, mode, 0)
    after = compute_signal(replace(signal_inputs, liquidations=extra), ALL_OK, mode, 0)
    assert after.score >= before.score
    assert RANK[after.direction] >= RANK[before.direction]


def test_weights_sum_to_100() -> None:
    assert sum(f.weight for f in FACTORS) == 100
    check_weights()


@given(st.integers(0, len(FACTORS) - 1), st.integers(-100, 200))
def test_any_other_weight_is_refused(index: int, weight: int) -> None:
    table = list(FACTORS)
    if weight == table[index].weight:
        return
    table[index] = replace(table[index], weight=weight)
    with pytest.raises(ValueError, match="weight"):
        check_weights(table)


RANK = {Direction.SHORT: 0, Direction.NEUTRAL: 1, Direction.LONG: 2}


@given(st.floats(0, 100), st.floats(0, 100), st.sampled_from(list(Mode)))
def test_direction_is_monotone_in_the_score(a: float, b: float, mode: Mode) -> None:
    low, high = sorted((a, b))
    assert RANK[direction_for(low, mode)] <= RANK[direction_for(high, mode)]
