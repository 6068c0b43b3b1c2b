"""The MSS's criteria on recorded data, band by band; honest maxima; tiers and quality.

Each table row names a band of the criteria table (``engine.mss.criteria``'s docstring) and
finds a recorded value in it; the expected points are the table's. Where no recording
reaches a band, the row derives its input from a recorded one in plain sight and says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from engine.domain import CoinMarket, OrderBook
from engine.mss import inputs
from engine.mss.criteria import BY_KEY, CRITERIA, PHASE_MAX, Phase, phase_criteria
from engine.mss.score import (
    Absent,
    CriterionState,
    MssTier,
    Reading,
    combine,
    score_phase,
)
from engine.signal.model import SourceState
from tests.engine.mss import recorded
from tests.engine.recorded_inputs import coin_markets, depth_books, first


def _points(key: str, given: Reading | Absent) -> float | None:
    phase = BY_KEY[key].phase
    others = {c.key: inputs.no_data("not read here") for c in phase_criteria(phase)}
    result = score_phase(phase, {**others, key: given})
    (only,) = [c for c in result.criteria if c.criterion.key == key]
    return only.points


def test_the_tables_add_up_to_the_replaced_systems_phase_maxima() -> None:
    for phase, maximum in PHASE_MAX.items():
        assert sum(c.max_points for c in phase_criteria(phase)) == maximum
    assert sum(PHASE_MAX.values()) == 100
    assert len({c.key for c in CRITERIA}) == len(CRITERIA)


# -- discovery ---------------------------------------------------------------------------------


def _market(matches: Callable[[CoinMarket], bool], what: str) -> CoinMarket:
    return first(coin_markets(), matches, what)


def _fdv(m: CoinMarket) -> float:
    return m.fully_diluted_valuation_usd or 0.0


def _scaled_fdv(factor: float) -> CoinMarket:
    """No coin of the recorded top 250 is valued under 112 M: the smallest one, its
    valuation scaled by ``factor``."""
    smallest = min((m for m in coin_markets() if m.fully_diluted_valuation_usd), key=_fdv)
    return dataclasses.replace(smallest, fully_diluted_valuation_usd=_fdv(smallest) * factor)


FDV_BANDS: list[tuple[str, Callable[[], CoinMarket], float]] = [
    ("<= 20 M (the smallest, scaled by 0.15)", lambda: _scaled_fdv(0.15), 12),
    ("<= 50 M (the smallest, scaled by 0.4)", lambda: _scaled_fdv(0.4), 9),
    ("<= 100 M (the smallest, scaled by 0.85)", lambda: _scaled_fdv(0.85), 6),
    ("<= 500 M", lambda: _market(lambda m: 100e6 < _fdv(m) <= 500e6, "FDV 100-500 M"), 3),
    ("over 500 M", lambda: _market(lambda m: _fdv(m) > 500e6, "FDV over 500 M"), 0),
]


@pytest.mark.parametrize(("band", "market", "points"), FDV_BANDS, ids=[b[0] for b in FDV_BANDS])
def test_fdv(band: str, market: Callable[[], CoinMarket], points: float) -> None:
    coin = market()
    given = inputs.fdv(coin)
    assert isinstance(given, Reading) and given.value == pytest.approx(_fdv(coin))
    assert _points("fdv", given) == points


def _supply_pct(m: CoinMarket) -> float:
    whole = m.max_supply or m.total_supply
    return 100 * (m.circulating_supply or 0) / whole if whole else -1.0


SUPPLY_BANDS = [((80, 101), 8), ((60, 80), 6), ((40, 60), 4), ((20, 40), 2), ((0, 20), 0)]


@pytest.mark.parametrize(("within", "points"), SUPPLY_BANDS)
def test_supply(within: tuple[float, float], points: float) -> None:
    low, high = within
    coin = _market(lambda m: low <= _supply_pct(m) < high, f"circulating {low}-{high} %")
    assert _points("supply", inputs.supply(coin)) == points


def test_supply_of_an_uncapped_coin_reads_its_total_supply() -> None:
    coin = _market(
        lambda m: m.max_supply is None and bool(m.total_supply and m.circulating_supply),
        "a coin without a max supply",
    )
    given = inputs.supply(coin)
    assert isinstance(given, Reading)
    assert given.value == pytest.approx(
        100 * (coin.circulating_supply or 0) / (coin.total_supply or 1)
    )


AGE_BANDS = [((0, 30), 10), ((30, 90), 7), ((90, 180), 4), ((180, 365), 2), ((365, 10_000), 0)]


@pytest.mark.parametrize(("within", "points"), AGE_BANDS)
def test_age_from_the_futures_listing(within: tuple[float, float], points: float) -> None:
    low, high = within
    contract, now = recorded.listing(lambda d: low < d <= high, f"a listing {low}-{high} days old")
    listing_meta = recorded.meta("binance")
    given = inputs.age(contract.onboard_ms, listing_meta, now)
    assert isinstance(given, Reading) and given.source == listing_meta.source
    assert _points("age", given) == points


def test_age_without_a_listing_date_is_left_out() -> None:
    now, _ = recorded.exchange_info()
    missing = inputs.age(None, recorded.meta("binance"), now)
    assert isinstance(missing, Absent) and missing.state is CriterionState.NO_DATA


# -- social ------------------------------------------------------------------------------------


def test_social_criteria_on_lunarcrushs_btc_row() -> None:
    coin = recorded.lunarcrush_btc()
    given = inputs.social(coin)
    # galaxy 40.8 (>= 40: 2), AltRank 749 (over 500: 0), 213,865 posts (>= 10,000: 6),
    # sentiment 80 % (>= 80: 6)
    assert {k: _points(k, v) for k, v in given.items()} == {
        "galaxy_score": 2,
        "alt_rank": 0,
        "social_volume": 6,
        "sentiment": 6,
    }
    assert all(
        isinstance(v, Reading) and v.source == "lunarcrush via recorded" for v in given.values()
    )


def test_social_criteria_on_the_rows_previous_values() -> None:
    """The same row's ``galaxy_score_previous`` 61 (>= 60: 7) and ``alt_rank_previous``
    155 (<= 250: 4), as the coin stood a day before."""
    coin = recorded.lunarcrush_btc()
    before = dataclasses.replace(
        coin, galaxy_score=coin.galaxy_score_previous, alt_rank=coin.alt_rank_previous
    )
    given = inputs.social(before)
    assert _points("galaxy_score", given["galaxy_score"]) == 7
    assert _points("alt_rank", given["alt_rank"]) == 4


def _buy_share_scaled(target_pct: float) -> float:
    """No recorded 4 h bar's buys pass 60.4 %: the first bar over 60 %, its sells scaled
    down until buys are ``target_pct`` of the volume; returns the share read back."""
    series = recorded.taker_bar_where(lambda s: s > 60, "a bar with buys over 60 %")
    last = series.points[-1]
    sell = last.buy_volume * (100 - target_pct) / target_pct
    bar = dataclasses.replace(last, sell_volume=sell)
    cut = dataclasses.replace(series, points=(*series.points[:-1], bar))
    given = inputs.buy_pressure(dataclasses.replace(cut))
    assert isinstance(given, Reading)
    return given.value


@pytest.mark.parametrize(("target", "points"), [(69, 5), (67, 4), (65, 3), (63, 2), (61, 1)])
def test_buy_pressure_bonus_derived_bands(target: float, points: float) -> None:
    share = _buy_share_scaled(target)
    assert share == pytest.approx(target)
    assert _points("buy_pressure", Reading(share, "derived")) == points


def test_buy_pressure_on_recorded_bars() -> None:
    over = recorded.taker_bar_where(lambda s: s > 60, "a bar with buys over 60 %")
    at_most = recorded.taker_bar_where(lambda s: s <= 60, "a bar with buys at most 60 %")
    window = 4 * 3_600_000  # the recorded bars are 4 h: the newest bar is the window
    over_share = inputs.buy_share_pct(over, window)
    assert over_share is not None and 60 < over_share < 62
    assert _points("buy_pressure", inputs.buy_pressure(over)) == 1  # over 60 %, under 62 %
    assert _points("buy_pressure", inputs.buy_pressure(at_most)) == 0


# -- institutional -----------------------------------------------------------------------------


def _oi_change(h: object) -> float | None:
    given = inputs.oi_change(h)  # type: ignore[arg-type]
    return given.value if isinstance(given, Reading) else None


OI_BANDS = [((20, 100), 10), ((10, 20), 7), ((5, 10), 4), ((0.0001, 5), 2), ((-100, 0), 0)]


@pytest.mark.parametrize(("within", "points"), OI_BANDS)
def test_oi_change(within: tuple[float, float], points: float) -> None:
    low, high = within
    day = recorded.oi_day_where(_oi_change, lambda v: low <= v < high, f"OI change {within}")
    first_qty, last_qty = day.points[0].base_qty, day.points[-1].base_qty
    assert _oi_change(day) == pytest.approx((last_qty / first_qty - 1) * 100, abs=1e-6)
    assert _points("oi_change", inputs.oi_change(day)) == points


def test_oi_change_needs_a_whole_day() -> None:
    day = next(recorded.open_interest_days())
    short = dataclasses.replace(day, points=day.points[:3])  # 8 hours
    assert isinstance(inputs.oi_change(short), Absent)


@pytest.mark.parametrize(("within", "points"), [((2.0, 9), 10), ((1.5, 2.0), 7), ((1.2, 1.5), 4)])
def test_top_traders(within: tuple[float, float], points: float) -> None:
    low, high = within
    series = recorded.top_positions_where(lambda r: low <= r < high, f"a ratio {within}")
    assert _points("top_traders", inputs.top_traders(series)) == points


@pytest.mark.parametrize(("factor", "points"), [(0.85, 2), (0.7, 0)])
def test_top_traders_derived_bands(factor: float, points: float) -> None:
    """No recorded ratio is under 1.22: the lowest one, scaled by ``factor``."""
    series = recorded.top_positions()
    lowest = min(series.points, key=lambda p: p.long_short_ratio)
    scaled = dataclasses.replace(lowest, long_short_ratio=lowest.long_short_ratio * factor)
    given = inputs.top_traders(dataclasses.replace(series, points=(scaled,)))
    assert _points("top_traders", given) == points


def test_whales_count_the_three_signs_and_need_all_three() -> None:
    rising = recorded.oi_day_where(_oi_change, lambda v: v >= 5, "OI up 5 % in a day")
    falling = recorded.oi_day_where(_oi_change, lambda v: v < 0, "OI down in a day")
    leaning = recorded.top_positions_where(lambda r: r >= 1.2, "a ratio >= 1.2")
    buying = recorded.taker_bar_where(lambda s: s >= 55, "a bar with buys >= 55 %")
    selling = recorded.taker_bar_where(lambda s: s < 55, "a bar with buys under 55 %")
    oi_up, oi_down = inputs.oi_change(rising), inputs.oi_change(falling)
    top = inputs.top_traders(leaning)
    buys, sells = inputs.buy_pressure(buying), inputs.buy_pressure(selling)
    assert _points("whales", inputs.whales(oi_up, top, buys)) == 10  # 3 signs
    assert _points("whales", inputs.whales(oi_down, top, buys)) == 6  # 2
    assert _points("whales", inputs.whales(oi_down, top, sells)) == 3  # 1
    missing = inputs.whales(oi_up, inputs.no_data("no ratio"), buys)
    assert isinstance(missing, Absent) and _points("whales", missing) is None


def _walls(book: OrderBook) -> float | None:
    given = inputs.walls(book)
    return given.value if isinstance(given, Reading) else None


@pytest.mark.parametrize(
    ("within", "points"), [((0.5, 1.01), 5), ((0.2, 0.5), 3), ((-1.01, 0.2), 0)]
)
def test_walls(within: tuple[float, float], points: float) -> None:
    low, high = within
    book = first(
        depth_books(),
        lambda b: (v := _walls(b)) is not None and low <= v < high,
        f"a book with wall bias {within}",
    )
    assert _points("walls", inputs.walls(book)) == points


# -- honest maxima, quality, tiers ----------------------------------------------------------------


def _full_inputs() -> dict[Phase, dict[str, Reading | Absent]]:
    coin = _market(lambda m: 100e6 < _fdv(m) <= 500e6, "FDV 100-500 M")
    contract, now = recorded.listing(lambda d: 0 < d <= 30, "a new listing")
    day = recorded.oi_day_where(_oi_change, lambda v: v >= 5, "OI up 5 %")
    oi = inputs.oi_change(day)
    top = inputs.top_traders(recorded.top_positions())
    buys = inputs.buy_pressure(recorded.taker_volume())
    book = first(depth_books(), lambda b: (_walls(b) or 0) > 0.2, "bids over asks")
    return {
        Phase.DISCOVERY: {
            "fdv": inputs.fdv(coin),
            "age": inputs.age(contract.onboard_ms, recorded.meta("binance"), now),
            "supply": inputs.supply(coin),
        },
        Phase.SOCIAL: {**inputs.social(recorded.lunarcrush_btc()), "buy_pressure": buys},
        Phase.INSTITUTIONAL: {
            "oi_change": oi,
            "top_traders": top,
            "whales": inputs.whales(oi, top, buys),
            "walls": inputs.walls(book),
        },
    }


def test_without_the_lunarcrush_key_the_social_maximum_shrinks_and_quality_says_so() -> None:
    full = _full_inputs()
    keyless = {
        **full,
        Phase.SOCIAL: {
            **inputs.social(Absent(CriterionState.NOT_CONFIGURED, "no LunarCrush key")),
            "buy_pressure": full[Phase.SOCIAL]["buy_pressure"],
        },
    }
    with_key = combine([score_phase(p, given) for p, given in full.items()])
    without = combine([score_phase(p, given) for p, given in keyless.items()])
    social = next(p for p in without.phases if p.phase is Phase.SOCIAL)
    assert social.max_points == 5  # only the buy-pressure bonus had data
    assert {c.criterion.key for c in social.missing} == {
        "galaxy_score", "alt_rank", "social_volume", "sentiment",
    }  # fmt: skip
    assert all(c.state is CriterionState.NOT_CONFIGURED for c in social.missing)
    assert without.max_points == with_key.max_points - 30
    assert without.points == with_key.points - 14  # LunarCrush's 2 + 0 + 6 + 6, not 0 for all
    states = {s.name: s.state for s in without.quality.sources}
    assert states["social"] is SourceState.NOT_CONFIGURED
    # a missing key is left out of quality (as for signals); a failed source lowers it
    assert without.quality.score_pct == with_key.quality.score_pct == 100.0


def test_a_failed_source_lowers_quality_and_shrinks_its_phase_rather_than_scoring_zero() -> None:
    full = _full_inputs()
    failed = Absent(CriterionState.FAILED, "binance did not answer in time", "UPSTREAM_TIMEOUT")
    broken = {
        **full,
        Phase.INSTITUTIONAL: {**full[Phase.INSTITUTIONAL], "walls": failed},
    }
    before = combine([score_phase(p, given) for p, given in full.items()])
    after = combine([score_phase(p, given) for p, given in broken.items()])
    inst_before = next(p for p in before.phases if p.phase is Phase.INSTITUTIONAL)
    inst_after = next(p for p in after.phases if p.phase is Phase.INSTITUTIONAL)
    assert inst_after.max_points == inst_before.max_points - 5
    assert inst_after.points == inst_before.points - (inst_before.criteria[-1].points or 0)
    assert after.quality.score_pct < before.quality.score_pct
    states = {s.name: s.state for s in after.quality.sources}
    assert states["order_book"] is SourceState.FAILED


def test_one_phase_alone_is_a_total_over_that_phase() -> None:
    full = _full_inputs()
    alone = combine([score_phase(Phase.DISCOVERY, full[Phase.DISCOVERY])])
    assert [p.phase for p in alone.phases] == [Phase.DISCOVERY]
    assert alone.max_points == 30
    # FDV 100-500 M: 3; listed within 30 days: 10; supply as the coin's
    assert alone.points == 3 + 10 + (_points("supply", full[Phase.DISCOVERY]["supply"]) or 0)
    assert {s.name for s in alone.quality.sources} == {"coin_details", "listing"}


def _high_inputs() -> dict[Phase, dict[str, Reading | Absent]]:
    """Inputs that score high, each criterion's from a recording (FDV scaled, as no recorded
    top-250 coin is under 112 M; LunarCrush's previous-day values for BTC)."""
    full = _full_inputs()
    coin = recorded.lunarcrush_btc()
    before = dataclasses.replace(
        coin, galaxy_score=coin.galaxy_score_previous, alt_rank=coin.alt_rank_previous
    )
    surge = recorded.oi_day_where(_oi_change, lambda v: v >= 20, "OI up 20 % in a day")
    leaning = recorded.top_positions_where(lambda r: r >= 2.0, "a ratio >= 2")
    bidding = first(depth_books(), lambda b: (_walls(b) or 0) >= 0.5, "bids far over asks")
    oi, top = inputs.oi_change(surge), inputs.top_traders(leaning)
    buys = Reading(_buy_share_scaled(69), "derived")
    return {
        Phase.DISCOVERY: {
            **full[Phase.DISCOVERY],
            "fdv": inputs.fdv(_scaled_fdv(0.15)),
            "supply": inputs.supply(_market(lambda m: _supply_pct(m) >= 80, "circulating >= 80 %")),
        },
        Phase.SOCIAL: {**inputs.social(before), "buy_pressure": buys},
        Phase.INSTITUTIONAL: {
            "oi_change": oi,
            "top_traders": top,
            "whales": inputs.whales(oi, top, buys),
            "walls": inputs.walls(bidding),
        },
    }


def test_a_high_score_is_strong_only_with_every_phase_at_its_pass_mark() -> None:
    high = _high_inputs()
    result = combine([score_phase(p, given) for p, given in high.items()])
    # discovery 12 + 10 + 8, social 7 + 4 + 6 + 6 + 5, institutional 10 + 10 + 10 + 5
    assert (result.points, result.max_points) == (93, 100)
    assert result.all_passed and result.tier is MssTier.EXCEPTIONAL
    # the social phase's 28 of 35 is under a 90 % pass mark: no higher than PROMISING
    strict = combine([score_phase(p, high[p], 90.0 if p is Phase.SOCIAL else None) for p in high])
    assert strict.score == result.score and not strict.all_passed
    assert strict.tier is MssTier.PROMISING


def test_a_phase_without_data_has_not_passed_and_caps_the_tier() -> None:
    """A coin Binance does not list: its institutional phase has nothing to score. Its other
    two phases score high, but an unknown phase is not a passed one."""
    high = _high_inputs()
    unlisted = inputs.no_data("binance does not list this symbol")
    blank = dict.fromkeys(high[Phase.INSTITUTIONAL], unlisted)
    result = combine(
        [
            score_phase(Phase.DISCOVERY, high[Phase.DISCOVERY]),
            score_phase(Phase.SOCIAL, high[Phase.SOCIAL]),
            score_phase(Phase.INSTITUTIONAL, blank),
        ]
    )
    institutional = result.phases[-1]
    assert institutional.max_points == 0 and institutional.passed is None
    assert result.score is not None and result.score >= 85
    assert not result.all_passed and result.tier is MssTier.PROMISING


def test_nothing_scored_is_insufficient_data() -> None:
    blank = {**inputs.social(inputs.no_data("x")), "buy_pressure": inputs.no_data("x")}
    nothing = combine([score_phase(Phase.SOCIAL, blank)])
    assert nothing.score is None and nothing.tier is MssTier.INSUFFICIENT_DATA


def test_whales_carry_the_worst_missing_input() -> None:
    full = _full_inputs()[Phase.INSTITUTIONAL]
    failed = Absent(CriterionState.FAILED, "binance timed out", "UPSTREAM_TIMEOUT", "binance")
    got = inputs.whales(full["oi_change"], failed, inputs.no_data("no taker volume"))
    assert isinstance(got, Absent)
    assert (got.state, got.code, got.provider) == (
        CriterionState.FAILED, "UPSTREAM_TIMEOUT", "binance",
    )  # fmt: skip
    assert "binance timed out" in got.reason


def test_a_failed_source_is_reported_with_its_code_and_provider() -> None:
    full = _full_inputs()
    failed = Absent(CriterionState.FAILED, "binance timed out", "UPSTREAM_TIMEOUT", "binance")
    broken = {**full[Phase.INSTITUTIONAL], "walls": failed}
    result = combine([score_phase(Phase.INSTITUTIONAL, broken)])
    book = next(s for s in result.quality.sources if s.name == "order_book")
    assert (book.state, book.code, book.provider) == (
        SourceState.FAILED, "UPSTREAM_TIMEOUT", "binance",
    )  # fmt: skip
    oi = next(s for s in result.quality.sources if s.name == "open_interest")
    assert (oi.state, oi.provider) == (SourceState.OK, "coinglass")


def test_a_zero_fdv_is_no_data_not_the_top_band() -> None:
    coin = dataclasses.replace(_scaled_fdv(1.0), fully_diluted_valuation_usd=0.0)
    assert isinstance(inputs.fdv(coin), Absent)


def test_a_phase_missing_a_criterion_is_refused() -> None:
    with pytest.raises(ValueError, match="fdv"):
        score_phase(Phase.DISCOVERY, {"age": inputs.no_data("x"), "supply": inputs.no_data("x")})
