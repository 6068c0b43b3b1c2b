"""engine.discovery: universe filters, sorts and cursors; listings; coin screens; the
smart-money score. Recorded data where it exists (exchange info, premium index, CoinGecko
markets, a Binance book, Binance's documentation examples, labelled as such); small
constructed series where a formula's cases need them.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import discovery as d
from engine import orderbook
from engine.discovery import (
    FLOW_WEIGHTS,
    FlowBias,
    FlowFactor,
    FlowInputs,
    ScanDirection,
    UniverseFilter,
    UniverseRow,
    UniverseSort,
)
from engine.domain import (
    BookLevel,
    ListedContract,
    LongShortPoint,
    LongShortRatio,
    OpenInterestHistory,
    OpenInterestPoint,
    OrderBook,
    RatioKind,
    Sourced,
    TakerVolume,
    TakerVolumePoint,
    Ticker24h,
)
from providers.binance.models import (
    LONG_SHORT_RATIOS,
    OPEN_INTEREST_HIST,
    PREMIUM_INDEX,
    TAKER_VOLUMES,
    ExchangeInfoPayload,
)
from providers.coingecko.models import MARKETS
from tests.support import RECORDED

META = Sourced("test", 0)
BINANCE = RECORDED / "binance-futures"
DOCS = BINANCE / "doc-examples"


def _json(path: Any) -> Any:
    return json.loads(path.read_text())


def _contracts() -> tuple[ListedContract, ...]:
    payload = ExchangeInfoPayload.model_validate(
        _json(BINANCE / "exchangeInfo-TESTNET-2025-12-24.json")
    )
    return tuple(s.to_domain() for s in payload.symbols if s.is_perpetual)


def _server_time() -> int:
    return int(_json(BINANCE / "exchangeInfo-TESTNET-2025-12-24.json")["serverTime"])


def _contract(symbol: str, quote: str = "USDT", status: str = "TRADING") -> ListedContract:
    return ListedContract(symbol, symbol.removesuffix(quote), quote, status, None)


def _row(
    symbol: str,
    change: float | None = None,
    volume: float | None = None,
    funding: float | None = None,
    quote: str = "USDT",
) -> UniverseRow:
    ticker = Ticker24h(symbol, 1.0, change, None, None, None, volume, None, None, META)
    return UniverseRow(_contract(symbol, quote), ticker, funding)


# -- universe: recorded contracts and funding ---------------------------------------------------


def _recorded_funding_rows() -> list[UniverseRow]:
    """TRADING perpetuals of the recorded exchange info with their recorded funding rate
    (the premium-index mark price stands in as the last price: only funding is sorted)."""
    premiums = {
        p.symbol: p
        for p in (
            row.to_domain("test", 0)
            for row in PREMIUM_INDEX.validate_python(
                _json(BINANCE / "premiumIndex-all-2025-06-17.json")
            )
        )
    }
    rows = []
    for c in _contracts():
        p = premiums.get(c.venue_symbol)
        if c.status == "TRADING" and p is not None:
            ticker = Ticker24h(
                c.venue_symbol, p.mark_price, None, None, None, None, None, None, None, META
            )
            rows.append(UniverseRow(c, ticker, p.last_funding_rate))
    return rows


@pytest.mark.parametrize("sort", [UniverseSort.FUNDING_HIGH, UniverseSort.FUNDING_LOW])
def test_funding_sorts_of_the_recorded_market_page_through_every_row_once(
    sort: UniverseSort,
) -> None:
    rows = _recorded_funding_rows()
    assert len(rows) > 300
    ordered = d.select(rows, UniverseFilter(), sort)
    sign = -1 if sort is UniverseSort.FUNDING_HIGH else 1
    with_rate = [r for r in rows if r.funding_rate is not None]
    expected = sorted(
        with_rate, key=lambda r: (sign * (r.funding_rate or 0.0), r.contract.venue_symbol)
    )
    assert ordered[: len(expected)] == expected
    assert all(r.funding_rate is None for r in ordered[len(expected) :])
    walked: list[str] = []
    after = None
    while True:
        page = d.paginate(ordered, sort, 7, after)
        walked += [r.contract.venue_symbol for r in page.rows]
        if not page.has_next:
            break
        after = d.decode_cursor(page.cursors[-1], sort)
    assert walked == [r.contract.venue_symbol for r in ordered]


def test_funding_bounds_read_the_fetched_rate() -> None:
    rows = _recorded_funding_rows()
    rates = sorted(r.funding_rate for r in rows if r.funding_rate is not None)
    low, high = rates[len(rates) // 4], rates[3 * len(rates) // 4]
    f = UniverseFilter(min_funding_rate=low, max_funding_rate=high)
    kept = d.select(rows, f, UniverseSort.FUNDING_LOW)
    assert kept and all(r.funding_rate is not None and low <= r.funding_rate <= high for r in kept)
    assert len(kept) == sum(
        1 for r in rows if r.funding_rate is not None and low <= r.funding_rate <= high
    )
    assert f.needs_funding and not UniverseFilter(min_change_pct=0).needs_funding


# -- universe: the rules, table-driven --------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "f", "kept"),
    [
        (_row("AUSDT", change=1.0), UniverseFilter(min_change_pct=1.0), True),  # inclusive
        (_row("AUSDT", change=0.5), UniverseFilter(min_change_pct=1.0), False),
        (_row("AUSDT", change=None), UniverseFilter(min_change_pct=-100.0), False),  # no value
        (_row("AUSDT", change=None), UniverseFilter(), True),
        (_row("AUSDT", change=-3.0), UniverseFilter(max_change_pct=-3.0), True),
        (_row("AUSDT", volume=10.0), UniverseFilter(min_quote_volume_usd=10.0), True),
        (_row("AUSDT", volume=9.0), UniverseFilter(min_quote_volume_usd=10.0), False),
        (_row("ABTC", volume=10.0, quote="BTC"), UniverseFilter(min_quote_volume_usd=1.0), False),
        (_row("AUSDC", quote="USDC"), UniverseFilter(quote="usdc"), True),
        (_row("AUSDT"), UniverseFilter(quote="USDC"), False),
        (_row("AUSDT", funding=None), UniverseFilter(max_funding_rate=1.0), False),
    ],
)
def test_filter_bounds(row: UniverseRow, f: UniverseFilter, kept: bool) -> None:
    assert d.matches(row, f) is kept


def test_sort_keys_put_missing_values_last_and_break_ties_by_symbol() -> None:
    rows = [
        _row("CUSDT", 2.0, 5.0),
        _row("AUSDT", 2.0, None),
        _row("BUSDT", None, 7.0),
        _row("DUSDT", -1.0, 5.0),
    ]

    def order(sort: UniverseSort) -> list[str]:
        return [r.contract.venue_symbol for r in d.select(rows, UniverseFilter(), sort)]

    assert order(UniverseSort.GAINERS) == ["AUSDT", "CUSDT", "DUSDT", "BUSDT"]
    assert order(UniverseSort.LOSERS) == ["DUSDT", "AUSDT", "CUSDT", "BUSDT"]
    assert order(UniverseSort.QUOTE_VOLUME_DESC) == ["BUSDT", "CUSDT", "DUSDT", "AUSDT"]
    assert order(UniverseSort.FUNDING_HIGH) == ["AUSDT", "BUSDT", "CUSDT", "DUSDT"]  # none has one
    assert UniverseSort.FUNDING_LOW.needs_funding and not UniverseSort.GAINERS.needs_funding


def test_cursors_round_trip_and_refuse_what_they_did_not_make() -> None:
    key = d.sort_key(_row("BTCUSDT", change=-0.903), UniverseSort.GAINERS)
    cursor = d.encode_cursor(UniverseSort.GAINERS, key)
    assert d.decode_cursor(cursor, UniverseSort.GAINERS) == key
    with pytest.raises(d.InvalidCursor, match="LOSERS"):
        d.decode_cursor(d.encode_cursor(UniverseSort.LOSERS, key), UniverseSort.GAINERS)
    for junk in ("", "not-base64!", "W10=", "WyJHQUlORVJTIiwyLDEsIkEiXQ=="):  # [], group 2
        with pytest.raises(d.InvalidCursor):
            d.decode_cursor(junk, UniverseSort.GAINERS)


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 5000,  # nested past the JSON parser's recursion limit
        '["GAINERS",0,NaN,"A"]',
        '["GAINERS",0,1e999,"A"]',  # infinity
        '["GAINERS",true,1,"A"]',  # a bool is not a group
        '["GAINERS",0,true,"A"]',
    ],
    ids=["deep", "nan", "inf", "bool-group", "bool-value"],
)
def test_hostile_or_odd_cursors_are_refused(raw: str) -> None:
    cursor = base64.urlsafe_b64encode(raw.encode()).decode()
    with pytest.raises(d.InvalidCursor):
        d.decode_cursor(cursor, UniverseSort.GAINERS)


def test_a_cursor_survives_its_row_leaving_the_data() -> None:
    rows = d.select(
        [_row("AUSDT", 3.0), _row("BUSDT", 2.0), _row("CUSDT", 1.0)],
        UniverseFilter(),
        UniverseSort.GAINERS,
    )
    first = d.paginate(rows, UniverseSort.GAINERS, 2, None)
    after = d.decode_cursor(first.cursors[-1], UniverseSort.GAINERS)
    without_b = [r for r in rows if r.contract.venue_symbol != "BUSDT"]
    rest = d.paginate(without_b, UniverseSort.GAINERS, 2, after)
    assert [r.contract.venue_symbol for r in rest.rows] == ["CUSDT"]
    assert rest.has_previous and not rest.has_next and rest.total == 2


MAYBE = st.one_of(st.none(), st.floats(-1e9, 1e9, allow_nan=False))


@given(
    values=st.dictionaries(
        st.from_regex(r"[A-Z]{1,6}USDT", fullmatch=True),
        st.tuples(MAYBE, MAYBE, MAYBE),
        max_size=40,
    ),
    first=st.integers(1, 9),
    sort=st.sampled_from(list(UniverseSort)),
)
def test_walking_any_universe_returns_each_row_once_in_order(
    values: dict[str, tuple[float | None, float | None, float | None]],
    first: int,
    sort: UniverseSort,
) -> None:
    rows = [_row(s, change, volume, funding) for s, (change, volume, funding) in values.items()]
    ordered = d.select(rows, UniverseFilter(), sort)
    keys = [d.sort_key(r, sort) for r in ordered]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    walked: list[UniverseRow] = []
    after = None
    for _ in range(len(rows) + 1):
        page = d.paginate(ordered, sort, first, after)
        walked += page.rows
        assert page.total == len(rows) and len(page.rows) <= first
        if not page.has_next:
            break
        after = d.decode_cursor(page.cursors[-1], sort)
    assert walked == ordered


def test_contract_ref_keeps_each_contract_of_a_shared_asset() -> None:
    contracts = {c.venue_symbol: c for c in _contracts()}
    plain, multiplied = (
        d.contract_ref(contracts["BOBUSDT"]),
        d.contract_ref(contracts["1000000BOBUSDT"]),
    )
    assert plain is not None and multiplied is not None
    assert (plain.ticker, plain.multiplier, plain.venues.binance) == ("BOB", 1, "BOBUSDT")
    assert (multiplied.ticker, multiplied.multiplier) == ("BOB", 1_000_000)
    assert multiplied.venues.binance == "1000000BOBUSDT"
    settling = next(c for c in contracts.values() if c.status == "SETTLING")
    assert d.contract_ref(settling) is None


# -- listings and coins ----------------------------------------------------------------------------


def test_listed_within_the_recorded_month_newest_first_with_inclusive_ends() -> None:
    contracts = _contracts()
    now = _server_time()
    found = d.listed_within(contracts, now, 30)
    assert found
    times = [c.onboard_ms or 0 for c in found]
    assert times == sorted(times, reverse=True)
    assert all(now - 30 * d.DAY_MS <= t <= now for t in times)
    assert len(found) == sum(
        1 for c in contracts if c.onboard_ms and now - 30 * d.DAY_MS <= c.onboard_ms <= now
    )
    newest = found[0]
    assert newest.onboard_ms is not None
    at_listing = d.listed_within(contracts, newest.onboard_ms, 0)
    assert newest in at_listing  # the window's ends are inclusive
    assert d.listed_within(contracts, newest.onboard_ms - 1, 0) == [
        c for c in at_listing if (c.onboard_ms or 0) == newest.onboard_ms - 1
    ]
    assert d.age_days(newest.onboard_ms, now) == (now - newest.onboard_ms) / d.DAY_MS


def test_coin_screen_on_recorded_markets() -> None:
    rows = MARKETS.validate_python(_json(RECORDED / "coingecko/coins-markets-250-2026-03-20.json"))
    coins = [r.to_domain("test", 0) for r in rows]
    caps = sorted(c.market_cap_usd for c in coins if c.market_cap_usd is not None)
    vols = sorted(c.volume_24h_usd for c in coins if c.volume_24h_usd is not None)
    cap, vol = caps[len(caps) // 2], vols[len(vols) // 2]
    kept = d.screen_coins(coins, cap, vol)
    assert 0 < len(kept) < len(coins)
    assert kept == [
        c
        for c in coins
        if c.market_cap_usd is not None
        and c.market_cap_usd <= cap
        and c.volume_24h_usd is not None
        and c.volume_24h_usd >= vol
    ]
    assert d.screen_coins(coins, None, None) == coins
    for c in coins:
        ratio = d.volume_to_market_cap(c)
        if c.market_cap_usd and c.volume_24h_usd is not None:
            assert ratio == c.volume_24h_usd / c.market_cap_usd
        else:
            assert ratio is None


# -- smart money score --------------------------------------------------------------------------
# Binance's documentation examples (illustrative numbers, labelled as such) and constructed
# two-point series for the formula's cases.


def _ratio(*ratios: float) -> LongShortRatio:
    points = tuple(LongShortPoint(i, r, None, None) for i, r in enumerate(ratios))
    return LongShortRatio("X", RatioKind.TOP_POSITIONS, "1h", points, META)


def _oi(*points: tuple[float, float | None]) -> OpenInterestHistory:
    rows = tuple(OpenInterestPoint(i, q, v) for i, (q, v) in enumerate(points))
    return OpenInterestHistory("X", "1h", rows, META)


def _taker(*points: tuple[float, float]) -> TakerVolume:
    rows = tuple(TakerVolumePoint(i, b, s, b / s if s else 0.0) for i, (b, s) in enumerate(points))
    return TakerVolume("X", "1h", rows, META)


def test_weights_sum_to_100() -> None:
    assert sum(FLOW_WEIGHTS.values()) == 100 and set(FLOW_WEIGHTS) == set(FlowFactor)


def test_documentation_examples_read_as_the_documented_formulas() -> None:
    ratio_rows = LONG_SHORT_RATIOS.validate_python(
        _json(DOCS / "topLongShortPositionRatio.doc-example.json")
    )
    oi_rows = OPEN_INTEREST_HIST.validate_python(_json(DOCS / "openInterestHist.doc-example.json"))
    taker_rows = TAKER_VOLUMES.validate_python(_json(DOCS / "takerlongshortRatio.doc-example.json"))
    ratio = LongShortRatio(
        "BTCUSDT", RatioKind.TOP_POSITIONS, "5m", tuple(r.to_domain() for r in ratio_rows), META
    )
    oi = OpenInterestHistory("BTCUSDT", "5m", tuple(r.to_domain() for r in oi_rows), META)
    taker = TakerVolume("BTCUSDT", "5m", tuple(r.to_domain() for r in taker_rows), META)

    r0, r1 = (p.long_short_ratio for p in (ratio.points[0], ratio.points[-1]))
    share_change_pp = 100 * (r1 / (1 + r1) - r0 / (1 + r0))
    assert d.top_traders_read(ratio)[0] == pytest.approx(math.tanh(share_change_pp / 2))

    a, b = oi.points[0], oi.points[-1]
    assert a.value_usd is not None and b.value_usd is not None
    oi_pct = (b.base_qty / a.base_qty - 1) * 100
    price_pct = (b.value_usd / b.base_qty / (a.value_usd / a.base_qty) - 1) * 100
    strength = oi_pct / 5 if oi_pct >= 0 else 0.5 * -oi_pct / 5
    assert d.open_interest_read(oi)[0] == pytest.approx(math.tanh(math.tanh(price_pct) * strength))

    buy = sum(p.buy_volume for p in taker.points)
    sell = sum(p.sell_volume for p in taker.points)
    assert d.taker_flow_read(taker)[0] == pytest.approx(
        math.tanh((buy / (buy + sell) - 0.5) / 0.05)
    )

    score = d.score_flow(FlowInputs(top_positions=ratio, open_interest=oi, taker=taker))
    present = [f for f in score.factors if f.value is not None]
    assert [f.factor for f in present] == [
        FlowFactor.TOP_TRADERS,
        FlowFactor.OPEN_INTEREST,
        FlowFactor.TAKER_FLOW,
    ]
    assert score.coverage_pct == 85
    weighted = sum(f.weight * (f.value or 0.0) for f in present)
    assert score.weighted_score == pytest.approx(weighted)
    assert score.score == pytest.approx(100 * weighted / 85)


@pytest.mark.parametrize(
    ("data", "sign"),
    [
        (_ratio(1.0, 1.2), 1),  # top traders added longs
        (_ratio(1.2, 1.0), -1),
        (_ratio(1.0, 1.0), 0),
    ],
)
def test_top_traders_direction(data: LongShortRatio, sign: int) -> None:
    value, _ = d.top_traders_read(data)
    assert value is not None and (value > 0) - (value < 0) == sign


# open interest 100 -> 110 or 90 contracts; price 10 -> 11 or 9 (USD value / contracts)
OI_UP_PRICE_UP = _oi((100, 1000), (110, 1210))  # new longs
OI_UP_PRICE_DOWN = _oi((100, 1000), (110, 990))  # new shorts
OI_DOWN_PRICE_UP = _oi((100, 1000), (90, 990))  # short covering
OI_DOWN_PRICE_DOWN = _oi((100, 1000), (90, 810))  # long liquidation


@pytest.mark.parametrize(
    ("data", "sign"),
    [(OI_UP_PRICE_UP, 1), (OI_UP_PRICE_DOWN, -1), (OI_DOWN_PRICE_UP, 1), (OI_DOWN_PRICE_DOWN, -1)],
)
def test_open_interest_direction_follows_the_price(data: OpenInterestHistory, sign: int) -> None:
    value, _ = d.open_interest_read(data)
    assert value is not None and (value > 0) - (value < 0) == sign


def test_new_positions_weigh_more_than_closing_ones() -> None:
    reads = [
        d.open_interest_read(x)[0]
        for x in (OI_UP_PRICE_UP, OI_DOWN_PRICE_UP, OI_UP_PRICE_DOWN, OI_DOWN_PRICE_DOWN)
    ]
    up, covering, down, liquidation = (abs(v or 0.0) for v in reads)
    assert up > covering > 0 and down > liquidation > 0
    assert d.open_interest_read(_oi((100, 1000), (110, None)))[0] is None  # no price: no read


@pytest.mark.parametrize(
    ("read", "data"),
    [
        (d.top_traders_read, None),
        (d.top_traders_read, _ratio(1.1)),  # one point: no change to read
        (d.open_interest_read, _oi((100, 1000))),
        (d.open_interest_read, _oi((0, 0), (100, 1000))),
        (d.taker_flow_read, _taker()),
        (d.taker_flow_read, _taker((0, 0))),
        (d.walls_read, OrderBook("X", (), (BookLevel(1.0, 1.0),), META)),
    ],
)
def test_too_little_data_is_missing_not_guessed(read: Any, data: Any) -> None:
    value, detail = read(data)
    assert value is None and detail


def test_taker_flow_share() -> None:
    assert d.taker_flow_read(_taker((55, 45)))[0] == pytest.approx(math.tanh(1))
    assert d.taker_flow_read(_taker((45, 55)))[0] == pytest.approx(-math.tanh(1))
    assert d.taker_flow_read(_taker((30, 30), (20, 20)))[0] == 0


def test_walls_on_a_recorded_book_use_the_order_book_walls() -> None:
    body = _json(BINANCE / "depth-SUSHIUSDT-limit1000-2021-07-22.json")
    bids = tuple(BookLevel(float(p), float(q)) for p, q in body["bids"][:100])
    asks = tuple(BookLevel(float(p), float(q)) for p, q in body["asks"][:100])
    book = OrderBook("SUSHIUSDT", bids, asks, META)
    found = orderbook.walls(book)
    bid = sum(w.price * w.quantity for w in found.bids)
    ask = sum(w.price * w.quantity for w in found.asks)
    assert bid + ask > 0
    assert d.book_walls(book) == (bid, ask)
    assert d.walls_read(book)[0] == pytest.approx((bid - ask) / (bid + ask))
    even = OrderBook("X", (BookLevel(1.0, 1.0),), (BookLevel(2.0, 1.0),), META)
    assert d.walls_read(even)[0] == 0.0  # a two-sided book without walls is a reading


def _score(**values: float | None) -> d.FlowScore:
    """A score from factor values directly (the reads are tested above)."""
    factors = tuple(d.FactorRead(f, FLOW_WEIGHTS[f], values.get(f.value), "") for f in FlowFactor)
    present = [f for f in factors if f.value is not None]
    coverage = float(sum(f.weight for f in present))
    weighted = sum(f.weight * (f.value or 0.0) for f in present)
    score = 100 * weighted / coverage if coverage else None
    return d.FlowScore(factors, score, weighted, coverage, FlowBias.NEUTRAL)


def test_score_with_nothing_present_is_neutral_and_unscored() -> None:
    score = d.score_flow(FlowInputs())
    assert (score.score, score.weighted_score, score.coverage_pct, score.bias) == (
        None,
        0.0,
        0.0,
        FlowBias.NEUTRAL,
    )
    assert all(f.value is None for f in score.factors)


@pytest.mark.parametrize(
    ("inputs", "bias"),
    [
        (FlowInputs(top_positions=_ratio(1.0, 1.5), taker=_taker((60, 40))), FlowBias.ACCUMULATION),
        (FlowInputs(top_positions=_ratio(1.5, 1.0), taker=_taker((40, 60))), FlowBias.DISTRIBUTION),
        (FlowInputs(top_positions=_ratio(1.0, 1.5), taker=_taker((40, 60))), FlowBias.NEUTRAL),
        (FlowInputs(top_positions=_ratio(1.0, 1.5)), FlowBias.NEUTRAL),  # 35 % covered only
    ],
)
def test_bias_needs_a_score_past_the_threshold_and_half_the_weight(
    inputs: FlowInputs, bias: FlowBias
) -> None:
    score = d.score_flow(inputs)
    assert score.bias is bias
    if inputs.taker is None:
        assert score.score is not None and score.score > d.BIAS_THRESHOLD


def test_ranking_puts_scored_first_in_the_direction_asked() -> None:
    strong = _score(TOP_TRADERS=0.9, TAKER_FLOW=0.9)
    thin = _score(ORDERBOOK_WALLS=1.0)  # a higher score, on 15 % of the weight
    bearish = _score(TOP_TRADERS=-0.9, OPEN_INTEREST=-0.5)
    unscored = _score()
    items = {"strong": strong, "thin": thin, "bearish": bearish, "none": unscored}
    assert thin.score is not None and strong.score is not None and thin.score > strong.score

    def ranked(direction: ScanDirection) -> list[str]:
        return sorted(items, key=lambda k: d.rank_key(items[k], direction))

    assert ranked(ScanDirection.ACCUMULATION) == ["strong", "thin", "bearish", "none"]
    assert ranked(ScanDirection.DISTRIBUTION) == ["bearish", "thin", "strong", "none"]
    assert ranked(ScanDirection.EITHER) == ["strong", "bearish", "thin", "none"]
    assert d.rank_key(None, ScanDirection.EITHER) == d.rank_key(unscored, ScanDirection.EITHER)


def test_score_stays_in_its_range_for_extreme_inputs() -> None:
    inputs = FlowInputs(
        top_positions=_ratio(1e-6, 1e6),
        open_interest=_oi((1.0, 1.0), (1e9, 1e18)),
        taker=_taker((1e12, 1.0)),
        book=OrderBook(
            "X", (BookLevel(1.0, 1e9), *[BookLevel(1.0, 1.0)] * 20), (BookLevel(2.0, 1.0),), META
        ),
    )
    score = d.score_flow(inputs)
    assert score.coverage_pct == 100 and score.bias is FlowBias.ACCUMULATION
    assert score.score is not None and 99 < score.score <= 100
