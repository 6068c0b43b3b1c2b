"""engine.discovery: universe filters, sorts and cursors; listings; coin screens; the
smart-money score. Every market input is recorded (exchange info, premium index, CoinGecko
markets, Binance books and klines, the vendors' documentation examples for long/short ratios,
open-interest history and taker ratios, labelled as such), read here or through
``tests.engine.recorded_inputs``. Expected values are the documented formulas applied to those
recordings. Where no recording reaches a case, the input is derived from a recorded one next
to it (reordered, mirrored, scaled, zeroed) with a comment.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import discovery as d
from engine import orderbook
from engine.discovery import (
    FLOW_WEIGHTS,
    OI_DECLINE_STRENGTH,
    OI_PRICE_SCALE_PCT,
    OI_SCALE_PCT,
    TAKER_SHARE_SCALE,
    TOP_SHARE_SCALE_PP,
    FlowBias,
    FlowFactor,
    FlowInputs,
    ScanDirection,
    UniverseFilter,
    UniverseRow,
    UniverseSort,
)
from engine.domain import (
    CoinMarket,
    ListedContract,
    LongShortRatio,
    OpenInterestHistory,
    OpenInterestPoint,
    Sourced,
    TakerVolume,
    Ticker24h,
)
from providers.binance.models import PREMIUM_INDEX, ExchangeInfoPayload
from tests.engine.recorded_inputs import (
    coin_markets,
    depth_book,
    depth_books,
    first,
    funding_rates,
    kline_taker_share,
    kline_taker_volume,
    long_short_series,
    open_interest_doc,
    ratio_series,
    series_where,
    taker_volume_coinglass,
    taker_volume_doc,
)
from tests.engine.signal.recorded import candles_5m_verbatim
from tests.support import RECORDED

META = Sourced("test", 0)
BINANCE = RECORDED / "binance-futures"


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
    last_price: float,
    change: float | None = None,
    volume: float | None = None,
    funding: float | None = None,
    quote: str = "USDT",
) -> UniverseRow:
    ticker = Ticker24h(symbol, last_price, change, None, None, None, volume, None, None, META)
    return UniverseRow(_contract(symbol, quote), ticker, funding)


def _coin_row(
    coin: CoinMarket, quote: str = "USDT", *, change: bool = True, volume: bool = True
) -> UniverseRow:
    """A universe row of one coin's recorded CoinGecko 24 h figures (price, change %, USD
    volume): the quantities of a Binance 24 h ticker, which is recorded only as a doc example.
    ``change=False`` / ``volume=False`` leave that value out, as a ticker lacking it would."""
    assert coin.price_usd is not None
    return _row(
        f"{coin.symbol.upper()}{quote}",
        coin.price_usd,
        coin.price_change_24h_pct if change else None,
        coin.volume_24h_usd if volume else None,
        quote=quote,
    )


def _coins() -> list[CoinMarket]:
    """The recorded CoinGecko page, one coin per symbol (the first), all with a price."""
    by_symbol: dict[str, CoinMarket] = {}
    for c in coin_markets():
        if c.price_usd is not None:
            by_symbol.setdefault(c.symbol.upper(), c)
    return list(by_symbol.values())


def _change(c: CoinMarket) -> float:
    assert c.price_change_24h_pct is not None
    return c.price_change_24h_pct


def _volume(c: CoinMarket) -> float:
    assert c.volume_24h_usd is not None
    return c.volume_24h_usd


# -- universe: recorded contracts and funding ---------------------------------------------------


def _recorded_funding_rows() -> list[UniverseRow]:
    """TRADING perpetuals of the recorded exchange info with their recorded funding rate
    (the premium-index mark price stands in as the last price: only funding is sorted)."""
    premiums = {
        p.symbol: p
        for p in (
            row.to_domain(Sourced("test", 0))
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


# -- universe: the rules, table-driven, on recorded coins --------------------------------------


def _filter_cases() -> list[Any]:
    coins = _coins()
    rising = first(coins, lambda c: _change(c) > 0, "coin that rose")
    risen_more = first(coins, lambda c: _change(c) > _change(rising), "coin that rose more")
    fallen = first(coins, lambda c: _change(c) < 0, "coin that fell")
    traded = first(coins, lambda c: _volume(c) > 0, "coin that traded")
    busier = first(coins, lambda c: _volume(c) > _volume(traded), "coin that traded more")
    rate = funding_rates()[0][1]  # a recorded funding rate as the bound
    row, without_change = _coin_row(rising), _coin_row(rising, change=False)
    case = pytest.param
    return [
        case(row, UniverseFilter(min_change_pct=_change(rising)), True, id="min-change-inclusive"),
        case(row, UniverseFilter(min_change_pct=_change(risen_more)), False, id="min-change"),
        # a row without the bounded value fails any bound of it
        case(without_change, UniverseFilter(min_change_pct=-100.0), False, id="no-change"),
        case(without_change, UniverseFilter(), True, id="no-change-no-bound"),
        case(
            _coin_row(fallen),
            UniverseFilter(max_change_pct=_change(fallen)),
            True,
            id="max-change-inclusive",
        ),
        case(
            _coin_row(traded),
            UniverseFilter(min_quote_volume_usd=_volume(traded)),
            True,
            id="min-volume-inclusive",
        ),
        case(
            _coin_row(traded),
            UniverseFilter(min_quote_volume_usd=_volume(busier)),
            False,
            id="min-volume",
        ),
        # the same volume in BTC is not read as USD
        case(
            _coin_row(traded, quote="BTC"),
            UniverseFilter(min_quote_volume_usd=_volume(traded)),
            False,
            id="volume-not-usd",
        ),
        case(_coin_row(rising, quote="USDC"), UniverseFilter(quote="usdc"), True, id="quote"),
        case(row, UniverseFilter(quote="USDC"), False, id="other-quote"),
        case(row, UniverseFilter(max_funding_rate=rate), False, id="no-funding"),
    ]


@pytest.mark.parametrize(("row", "f", "kept"), _filter_cases())
def test_filter_bounds(row: UniverseRow, f: UniverseFilter, kept: bool) -> None:
    assert d.matches(row, f) is kept


def _documented_order(rows: list[UniverseRow], value: Any, descending: bool) -> list[UniverseRow]:
    """Rows with the value by it (ties by symbol), then the rows without it by symbol."""
    sign = -1 if descending else 1
    have = [r for r in rows if value(r) is not None]
    lack = [r for r in rows if value(r) is None]
    return sorted(have, key=lambda r: (sign * value(r), r.contract.venue_symbol)) + sorted(
        lack, key=lambda r: r.contract.venue_symbol
    )


def test_sort_keys_put_missing_values_last_and_break_ties_by_symbol() -> None:
    # the recorded coins, every third without its change and every fifth without its volume
    rows = [_coin_row(c, change=i % 3 != 0, volume=i % 5 != 0) for i, c in enumerate(_coins())]
    changes = [r.ticker.price_change_pct for r in rows if r.ticker.price_change_pct is not None]
    volumes = [r.ticker.quote_volume for r in rows if r.ticker.quote_volume is not None]
    # the recording itself holds ties (several coins with no change, several with no volume)
    assert len(set(changes)) < len(changes) and len(set(volumes)) < len(volumes)

    def order(sort: UniverseSort) -> list[UniverseRow]:
        return d.select(rows, UniverseFilter(), sort)

    def change(r: UniverseRow) -> float | None:
        return r.ticker.price_change_pct

    assert order(UniverseSort.GAINERS) == _documented_order(rows, change, descending=True)
    assert order(UniverseSort.LOSERS) == _documented_order(rows, change, descending=False)
    assert order(UniverseSort.QUOTE_VOLUME_DESC) == _documented_order(
        rows, d.quote_volume_usd, descending=True
    )
    # no row has a funding rate: all by symbol
    assert order(UniverseSort.FUNDING_HIGH) == sorted(rows, key=lambda r: r.contract.venue_symbol)
    assert UniverseSort.FUNDING_LOW.needs_funding and not UniverseSort.GAINERS.needs_funding


def test_cursors_round_trip_and_refuse_what_they_did_not_make() -> None:
    key = d.sort_key(_coin_row(_coins()[0]), UniverseSort.GAINERS)
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
    # three recorded coins with three different changes
    coins: list[CoinMarket] = []
    for c in _coins():
        if all(_change(c) != _change(x) for x in coins):
            coins.append(c)
        if len(coins) == 3:
            break
    rows = d.select([_coin_row(c) for c in coins], UniverseFilter(), UniverseSort.GAINERS)
    first_page = d.paginate(rows, UniverseSort.GAINERS, 2, None)
    after = d.decode_cursor(first_page.cursors[-1], UniverseSort.GAINERS)
    without_middle = [rows[0], rows[2]]  # the second row (the cursor's) is gone
    rest = d.paginate(without_middle, UniverseSort.GAINERS, 2, after)
    assert rest.rows == (rows[2],)
    assert rest.has_previous and not rest.has_next and rest.total == 2


MAYBE = st.one_of(st.none(), st.floats(-1e9, 1e9, allow_nan=False))


@given(
    values=st.dictionaries(
        st.from_regex(r"[A-Z]{1,6}USDT", fullmatch=True),
        st.tuples(st.floats(1e-9, 1e9), MAYBE, MAYBE, MAYBE),
        max_size=40,
    ),
    first_n=st.integers(1, 9),
    sort=st.sampled_from(list(UniverseSort)),
)
def test_walking_any_universe_returns_each_row_once_in_order(
    values: dict[str, tuple[float, float | None, float | None, float | None]],
    first_n: int,
    sort: UniverseSort,
) -> None:
    # generated values (hypothesis), not market data
    rows = [_row(s, *generated) for s, generated in values.items()]
    ordered = d.select(rows, UniverseFilter(), sort)
    keys = [d.sort_key(r, sort) for r in ordered]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    walked: list[UniverseRow] = []
    after = None
    for _ in range(len(rows) + 1):
        page = d.paginate(ordered, sort, first_n, after)
        walked += page.rows
        assert page.total == len(rows) and len(page.rows) <= first_n
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
    coins = list(coin_markets())
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
# Long/short ratios, open-interest history and taker long/short ratios exist only as the
# vendors' documentation examples (PROVENANCE "Not found"); taker volumes are also read from the
# verbatim BTCUSDT 5 m klines (taker buy base volume, and the rest of the volume as sells).


def _share_change_pp(data: LongShortRatio) -> float:
    """Change of the longs' share r / (1 + r), first to last point, in percentage points."""
    r0, r1 = data.points[0].long_short_ratio, data.points[-1].long_short_ratio
    return 100 * (r1 / (1 + r1) - r0 / (1 + r0))


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


SERIES = [s for s in long_short_series() if len(s.points) >= 2]


def test_weights_sum_to_100() -> None:
    assert sum(FLOW_WEIGHTS.values()) == 100 and set(FLOW_WEIGHTS) == set(FlowFactor)


def test_documentation_examples_read_as_the_documented_formulas() -> None:
    ratio = ratio_series("binance topLongShortPositionRatio")
    oi = open_interest_doc()
    taker = taker_volume_doc()

    assert d.top_traders_read(ratio)[0] == pytest.approx(
        math.tanh(_share_change_pp(ratio) / TOP_SHARE_SCALE_PP)
    )

    a, b = oi.points[0], oi.points[-1]
    assert a.value_usd is not None and b.value_usd is not None
    oi_pct = (b.base_qty / a.base_qty - 1) * 100
    price_pct = (b.value_usd / b.base_qty / (a.value_usd / a.base_qty) - 1) * 100
    strength = (
        oi_pct / OI_SCALE_PCT if oi_pct >= 0 else OI_DECLINE_STRENGTH * -oi_pct / OI_SCALE_PCT
    )
    assert d.open_interest_read(oi)[0] == pytest.approx(
        math.tanh(math.tanh(price_pct / OI_PRICE_SCALE_PCT) * strength)
    )

    buy = sum(p.buy_volume for p in taker.points)
    sell = sum(p.sell_volume for p in taker.points)
    assert d.taker_flow_read(taker)[0] == pytest.approx(
        math.tanh((buy / (buy + sell) - 0.5) / TAKER_SHARE_SCALE)
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


@pytest.mark.parametrize("data", SERIES, ids=[s.symbol for s in SERIES])
def test_top_traders_read_follows_the_long_share(data: LongShortRatio) -> None:
    value, detail = d.top_traders_read(data)
    change = _share_change_pp(data)
    assert value is not None and value == pytest.approx(math.tanh(change / TOP_SHARE_SCALE_PP))
    assert _sign(value) == _sign(change) and detail


def test_recorded_long_short_series_rise_fall_and_stay() -> None:
    # top traders adding longs, cutting them, and one recorded series that did not move
    assert {_sign(_share_change_pp(s)) for s in SERIES} == {1, -1, 0}


def _oi_quadrant(oi_rising: bool, price_rising: bool) -> OpenInterestHistory:
    """Binance's openInterestHist example: two sizes and two prices (USD value / size), each
    pair in recorded order (both fall there) or reversed, so every combination is covered."""
    a, b = open_interest_doc().points
    assert a.value_usd is not None and b.value_usd is not None
    sizes = (a.base_qty, b.base_qty)
    prices = (a.value_usd / a.base_qty, b.value_usd / b.base_qty)
    assert sizes[1] < sizes[0] and prices[1] < prices[0]  # as recorded
    q0, q1 = sizes[::-1] if oi_rising else sizes
    p0, p1 = prices[::-1] if price_rising else prices
    points = (OpenInterestPoint(a.ts_ms, q0, q0 * p0), OpenInterestPoint(b.ts_ms, q1, q1 * p1))
    return OpenInterestHistory("BTCUSDT", "5m", points, META)


OI_UP_PRICE_UP = _oi_quadrant(True, True)  # new longs
OI_UP_PRICE_DOWN = _oi_quadrant(True, False)  # new shorts
OI_DOWN_PRICE_UP = _oi_quadrant(False, True)  # short covering
OI_DOWN_PRICE_DOWN = _oi_quadrant(False, False)  # long liquidation (as recorded)


@pytest.mark.parametrize(
    ("data", "sign"),
    [(OI_UP_PRICE_UP, 1), (OI_UP_PRICE_DOWN, -1), (OI_DOWN_PRICE_UP, 1), (OI_DOWN_PRICE_DOWN, -1)],
    ids=["new-longs", "new-shorts", "short-covering", "long-liquidation"],
)
def test_open_interest_direction_follows_the_price(data: OpenInterestHistory, sign: int) -> None:
    value, _ = d.open_interest_read(data)
    assert value is not None and _sign(value) == sign


def test_new_positions_weigh_more_than_closing_ones() -> None:
    reads = [
        d.open_interest_read(x)[0]
        for x in (OI_UP_PRICE_UP, OI_DOWN_PRICE_UP, OI_UP_PRICE_DOWN, OI_DOWN_PRICE_DOWN)
    ]
    up, covering, down, liquidation = (abs(v or 0.0) for v in reads)
    assert up > covering > 0 and down > liquidation > 0
    # the recorded points without the last USD value (an optional field): no price, no read
    a, b = open_interest_doc().points
    no_price = replace(open_interest_doc(), points=(a, replace(b, value_usd=None)))
    assert d.open_interest_read(no_price)[0] is None


def _too_little() -> list[Any]:
    oi, taker = open_interest_doc(), taker_volume_doc()
    one_point = ratio_series("okx rubik long-short-account-ratio")  # recorded with one point
    assert len(one_point.points) == 1
    a, b = oi.points
    book = depth_book("SUSHIUSDT", 10)
    case = pytest.param
    return [
        case(d.top_traders_read, None, id="no-ratio"),
        case(d.top_traders_read, one_point, id="one-ratio-point"),  # no change to read
        case(d.open_interest_read, replace(oi, points=(a,)), id="one-oi-point"),
        # a first point holding no open interest: the recorded one with size and value zeroed
        case(
            d.open_interest_read,
            replace(oi, points=(replace(a, base_qty=0.0, value_usd=0.0), b)),
            id="no-open-interest",
        ),
        case(d.taker_flow_read, replace(taker, points=()), id="no-taker-points"),
        # a period without trades: the recorded one with both volumes zeroed
        case(
            d.taker_flow_read,
            replace(taker, points=(replace(taker.points[0], buy_volume=0.0, sell_volume=0.0),)),
            id="no-taker-volume",
        ),
        case(d.walls_read, replace(book, bids=()), id="one-sided-book"),  # its asks only
    ]


@pytest.mark.parametrize(("read", "data"), _too_little())
def test_too_little_data_is_missing_not_guessed(read: Any, data: Any) -> None:
    value, detail = read(data)
    assert value is None and detail


def _taker_read(data: TakerVolume) -> float:
    buy = sum(p.buy_volume for p in data.points)
    sell = sum(p.sell_volume for p in data.points)
    return math.tanh((buy / (buy + sell) - 0.5) / TAKER_SHARE_SCALE)


@pytest.mark.parametrize(
    ("data", "sign"),
    [
        (taker_volume_doc(), 1),  # Binance's example: takers bought more
        (taker_volume_coinglass(), -1),  # Coinglass's example: takers sold more
        (kline_taker_volume(candles_5m_verbatim()[-20:]), None),  # the newest 20 klines
    ],
    ids=["binance-doc", "coinglass-doc", "btcusdt-5m-klines"],
)
def test_taker_flow_share(data: TakerVolume, sign: int | None) -> None:
    value, detail = d.taker_flow_read(data)
    assert value == pytest.approx(_taker_read(data)) and detail
    assert sign is None or (value is not None and _sign(value) == sign)


def test_taker_flow_of_a_period_and_its_mirror_is_even() -> None:
    # the newest recorded 5 m period plus its mirror (buy and sell swapped): exactly half bought
    data = kline_taker_volume(candles_5m_verbatim()[-1:])
    (period,) = data.points
    mirror = replace(period, buy_volume=period.sell_volume, sell_volume=period.buy_volume)
    assert d.taker_flow_read(replace(data, points=(period, mirror)))[0] == 0


def test_walls_on_a_recorded_book_use_the_order_book_walls() -> None:
    book = depth_book("SUSHIUSDT", 100)
    found = orderbook.walls(book)
    bid = sum(w.price * w.quantity for w in found.bids)
    ask = sum(w.price * w.quantity for w in found.asks)
    assert bid + ask > 0
    assert d.book_walls(book) == (bid, ask)
    assert d.walls_read(book)[0] == pytest.approx((bid - ask) / (bid + ask))
    # the same book's best 10 levels a side hold no wall: a reading of 0, not a missing one
    top = depth_book("SUSHIUSDT", 10)
    assert orderbook.walls(top).bids == () and orderbook.walls(top).asks == ()
    assert d.walls_read(top)[0] == 0.0


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


def _bias_cases() -> list[Any]:
    # The recorded top-position series move by 0.01 pp at most; the read takes any long/short
    # series, so the first recorded series (every kind) moving 2 x 2 pp or more stands in.
    rising = series_where(lambda s: _share_change_pp(s) >= 2 * TOP_SHARE_SCALE_PP, "rising")
    falling = series_where(lambda s: _share_change_pp(s) <= -2 * TOP_SHARE_SCALE_PP, "falling")
    # single recorded 5 m periods whose takers bought (sold) 60 % or more: tanh(+-2) = +-0.96
    candles = candles_5m_verbatim()
    lean = 2 * TAKER_SHARE_SCALE
    bought = first(candles, lambda c: kline_taker_share(c) >= 0.5 + lean, "60 % taker buys")
    sold = first(candles, lambda c: kline_taker_share(c) <= 0.5 - lean, "60 % taker sells")
    buying, selling = kline_taker_volume([bought]), kline_taker_volume([sold])
    case = pytest.param
    return [
        case(FlowInputs(top_positions=rising, taker=buying), FlowBias.ACCUMULATION, id="both-up"),
        case(
            FlowInputs(top_positions=falling, taker=selling), FlowBias.DISTRIBUTION, id="both-down"
        ),
        # (35 x 1 - 25 x 0.96..1) / 60: under 25 either way
        case(FlowInputs(top_positions=rising, taker=selling), FlowBias.NEUTRAL, id="at-odds"),
        case(FlowInputs(top_positions=rising), FlowBias.NEUTRAL, id="35-pct-covered"),
    ]


@pytest.mark.parametrize(("inputs", "bias"), _bias_cases())
def test_bias_needs_a_score_past_the_threshold_and_half_the_weight(
    inputs: FlowInputs, bias: FlowBias
) -> None:
    score = d.score_flow(inputs)
    assert score.bias is bias
    assert inputs.top_positions is not None
    top = math.tanh(_share_change_pp(inputs.top_positions) / TOP_SHARE_SCALE_PP)
    reads = {FlowFactor.TOP_TRADERS: top}
    if inputs.taker is not None:
        reads[FlowFactor.TAKER_FLOW] = _taker_read(inputs.taker)
    coverage = sum(FLOW_WEIGHTS[f] for f in reads)
    expected = 100 * sum(FLOW_WEIGHTS[f] * v for f, v in reads.items()) / coverage
    assert score.coverage_pct == coverage and score.score == pytest.approx(expected)
    if inputs.taker is None:  # past the threshold, but on too little of the weight
        assert expected > d.BIAS_THRESHOLD and coverage < d.MIN_COVERAGE_PCT


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
    # the strongest recorded reading of each factor ...
    rising = max(SERIES, key=_share_change_pp)
    taker = kline_taker_volume([max(candles_5m_verbatim(), key=kline_taker_share)])
    book = first(depth_books(), lambda b: d.walls_read(b)[0] == 1.0, "book with bid walls only")
    # ... and open interest, which no recording moves far: the doc example's first point, then
    # the same point with its size x1e9 and its USD value x1e18 (so its price x1e9)
    a = open_interest_doc().points[0]
    assert a.value_usd is not None
    scale = 1e9
    far = replace(a, base_qty=a.base_qty * scale, value_usd=a.value_usd * scale * scale)
    oi = replace(open_interest_doc(), points=(a, far))
    inputs = FlowInputs(top_positions=rising, open_interest=oi, taker=taker, book=book)
    score = d.score_flow(inputs)
    assert score.coverage_pct == 100 and score.bias is FlowBias.ACCUMULATION
    assert all(f.value is not None and 0.99 < f.value <= 1 for f in score.factors)
    assert score.score is not None and 99 < score.score <= 100
