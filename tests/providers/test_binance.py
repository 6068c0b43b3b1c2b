"""Binance USD-M client at the transport: recorded bodies in, domain objects out.

Tests marked "shape test" use Binance documentation examples (grade doc-example): no real
recording exists for those endpoints, and their numbers are only illustrative.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engine.domain import (
    BookLevel,
    Candle,
    ListedContract,
    RatioKind,
    Sourced,
)
from providers.binance import BinanceFuturesClient, venue
from providers.binance.venue import VENUE
from providers.errors import ProviderBadData, ProviderRejected, SymbolNotServed
from tests.providers.conftest import VenueStub, load, params

BASE = "https://fapi.binance.test/"
DOCS = "binance-futures/doc-examples"


def client(stub: VenueStub) -> BinanceFuturesClient:
    return BinanceFuturesClient(stub.http(venue.host_policy()), BASE)


def _opt_float(row: dict[str, Any], key: str) -> float | None:
    value = row.get(key)
    return None if value in (None, "") else float(value)


# -- exchangeInfo --------------------------------------------------------------------------------


def _expected_contracts(rows: list[dict[str, Any]]) -> tuple[ListedContract, ...]:
    return tuple(
        ListedContract(
            venue_symbol=row["symbol"],
            base=row["baseAsset"],
            quote=row["quoteAsset"],
            status=row["status"],
            onboard_ms=row["onboardDate"],
        )
        for row in rows
        if row["contractType"] in ("PERPETUAL", "TRADIFI_PERPETUAL")
    )


async def test_exchange_info_keeps_perpetuals(stub: VenueStub) -> None:
    recorded_path = "binance-futures/exchangeInfo-2021-07-21.json"
    stub.answer_file("/fapi/v1/exchangeInfo", recorded_path)
    body = load(recorded_path)

    info = await client(stub).exchange_info()

    assert stub.last.url.path == "/fapi/v1/exchangeInfo"
    assert params(stub.last) == {}
    assert info.contracts == _expected_contracts(body["symbols"])
    assert len(info.contracts) < len(body["symbols"])  # quarterlies and "" were dropped
    assert info.meta == Sourced(provider="binance", as_of_ms=body["serverTime"])


async def test_exchange_info_testnet_keeps_tradifi_and_non_ascii_symbols(stub: VenueStub) -> None:
    recorded_path = "binance-futures/exchangeInfo-TESTNET-2025-12-24.json"
    stub.answer_file("/fapi/v1/exchangeInfo", recorded_path)
    body = load(recorded_path)

    info = await client(stub).exchange_info()

    assert info.contracts == _expected_contracts(body["symbols"])
    kept = {c.venue_symbol for c in info.contracts}
    tradifi = {r["symbol"] for r in body["symbols"] if r["contractType"] == "TRADIFI_PERPETUAL"}
    assert tradifi and tradifi <= kept
    assert any(not symbol.isascii() for symbol in kept)


# -- prices ------------------------------------------------------------------------------------


async def test_ticker_price_one_symbol_shape(stub: VenueStub) -> None:
    """Shape test (doc example): one symbol answers an object."""
    row = load(f"{DOCS}/ticker-price.doc-example.json")
    stub.answer_json("/fapi/v2/ticker/price", row)

    quotes = await client(stub).ticker_prices(row["symbol"])

    assert stub.last.url.path == "/fapi/v2/ticker/price"
    assert params(stub.last) == {"symbol": row["symbol"]}
    assert [(q.symbol, q.price, q.meta.as_of_ms) for q in quotes] == [
        (row["symbol"], float(row["price"]), row["time"])
    ]


async def test_ticker_price_all_symbols_shape(stub: VenueStub) -> None:
    """Shape test (doc example): no symbol answers the documented array of the same rows."""
    row = load(f"{DOCS}/ticker-price.doc-example.json")
    stub.answer_json("/fapi/v2/ticker/price", [row])

    quotes = await client(stub).ticker_prices()

    assert params(stub.last) == {}
    assert [q.price for q in quotes] == [float(row["price"])]


async def test_tickers_24h_shape(stub: VenueStub) -> None:
    """Shape test (doc example)."""
    row = load(f"{DOCS}/ticker-24hr.doc-example.json")
    stub.answer_json("/fapi/v1/ticker/24hr", row)

    (ticker,) = await client(stub).tickers_24h(row["symbol"])

    assert stub.last.url.path == "/fapi/v1/ticker/24hr"
    assert params(stub.last) == {"symbol": row["symbol"]}
    assert ticker.symbol == row["symbol"]
    assert ticker.last_price == float(row["lastPrice"])
    assert ticker.price_change_pct == float(row["priceChangePercent"])
    assert ticker.high_price == float(row["highPrice"])
    assert ticker.low_price == float(row["lowPrice"])
    assert ticker.base_volume == float(row["volume"])
    assert ticker.quote_volume == float(row["quoteVolume"])
    assert ticker.open_time_ms == row["openTime"]
    assert ticker.close_time_ms == row["closeTime"]
    assert ticker.meta.as_of_ms == row["closeTime"]


async def test_tickers_24h_absent_fields_are_none_shape(stub: VenueStub) -> None:
    """Shape test: the doc example trimmed to symbol and lastPrice, as an all-symbols array."""
    row = load(f"{DOCS}/ticker-24hr.doc-example.json")
    trimmed = {"symbol": row["symbol"], "lastPrice": row["lastPrice"]}
    stub.answer_json("/fapi/v1/ticker/24hr", [trimmed])

    (ticker,) = await client(stub).tickers_24h()

    assert params(stub.last) == {}
    assert ticker.last_price == float(row["lastPrice"])
    assert ticker.price_change_pct is None
    assert ticker.base_volume is None
    assert ticker.close_time_ms is None
    assert ticker.meta.as_of_ms > 0  # the receive time


async def test_premium_index_all_symbols(stub: VenueStub) -> None:
    recorded_path = "binance-futures/premiumIndex-all-2025-06-17.json"
    stub.answer_file("/fapi/v1/premiumIndex", recorded_path)
    rows = load(recorded_path)

    result = await client(stub).premium_index()

    assert stub.last.url.path == "/fapi/v1/premiumIndex"
    assert params(stub.last) == {}
    assert len(result) == len(rows)
    assert any(row["nextFundingTime"] == 0 for row in rows)  # delivery contracts present
    for got, row in zip(result, rows, strict=True):
        assert got.symbol == row["symbol"]
        assert got.mark_price == float(row["markPrice"])
        assert got.index_price == float(row["indexPrice"])
        assert got.last_funding_rate == float(row["lastFundingRate"])
        assert got.interest_rate == float(row["interestRate"])
        assert got.next_funding_time_ms == (row["nextFundingTime"] or None)
        assert got.meta == Sourced(provider="binance", as_of_ms=row["time"])


async def test_premium_index_one_symbol_object_becomes_list_shape(stub: VenueStub) -> None:
    """Shape test (doc example)."""
    row = load(f"{DOCS}/premiumIndex-single.doc-example.json")
    stub.answer_json("/fapi/v1/premiumIndex", row)

    (index,) = await client(stub).premium_index(row["symbol"])

    assert params(stub.last) == {"symbol": row["symbol"]}
    assert index.mark_price == float(row["markPrice"])
    assert index.next_funding_time_ms == row["nextFundingTime"]


# -- funding and open interest -------------------------------------------------------------------


async def test_funding_history_shape(stub: VenueStub) -> None:
    """Shape test (doc example, which has no markPrice)."""
    rows = load(f"{DOCS}/fundingRate.doc-example.json")
    stub.answer_json("/fapi/v1/fundingRate", rows)

    history = await client(stub).funding_history("BTCUSDT", limit=2)

    assert stub.last.url.path == "/fapi/v1/fundingRate"
    assert params(stub.last) == {"symbol": "BTCUSDT", "limit": "2"}
    assert [(r.funding_time_ms, r.funding_rate, r.mark_price) for r in history.records] == [
        (row["fundingTime"], float(row["fundingRate"]), None) for row in rows
    ]


async def test_funding_history_blank_mark_price_is_none_shape(stub: VenueStub) -> None:
    """Shape test: markPrice sent as "" (seen live) parses as None."""
    rows = [{**row, "markPrice": ""} for row in load(f"{DOCS}/fundingRate.doc-example.json")]
    stub.answer_json("/fapi/v1/fundingRate", rows)

    history = await client(stub).funding_history("BTCUSDT")

    assert [r.mark_price for r in history.records] == [None] * len(rows)


async def test_open_interest(stub: VenueStub) -> None:
    recorded_path = "binance-futures/openInterest-BTCUSDT-2024-06-04.json"
    stub.answer_file("/fapi/v1/openInterest", recorded_path)
    body = load(recorded_path)

    oi = await client(stub).open_interest(body["symbol"])

    assert stub.last.url.path == "/fapi/v1/openInterest"
    assert params(stub.last) == {"symbol": body["symbol"]}
    assert oi.symbol == body["symbol"]
    assert oi.base_qty == float(body["openInterest"])
    assert oi.meta == Sourced(provider="binance", as_of_ms=body["time"])


@pytest.mark.parametrize("timestamp_as_int", [False, True])
async def test_open_interest_history_shape(stub: VenueStub, timestamp_as_int: bool) -> None:
    """Shape test (doc example): timestamps as strings (docs) or ints (the live API)."""
    rows = load(f"{DOCS}/openInterestHist.doc-example.json")
    if timestamp_as_int:
        rows = [{**row, "timestamp": int(row["timestamp"])} for row in rows]
    stub.answer_json("/futures/data/openInterestHist", rows)

    history = await client(stub).open_interest_history("BTCUSDT", "5m", limit=2)

    assert stub.last.url.path == "/futures/data/openInterestHist"
    assert params(stub.last) == {"symbol": "BTCUSDT", "period": "5m", "limit": "2"}
    assert history.period == "5m"
    assert [(p.ts_ms, p.base_qty, p.value_usd) for p in history.points] == [
        (int(row["timestamp"]), float(row["sumOpenInterest"]), float(row["sumOpenInterestValue"]))
        for row in rows
    ]


@pytest.mark.parametrize(
    ("kind", "path"),
    [
        (RatioKind.GLOBAL_ACCOUNTS, "/futures/data/globalLongShortAccountRatio"),
        (RatioKind.TOP_ACCOUNTS, "/futures/data/topLongShortAccountRatio"),
        (RatioKind.TOP_POSITIONS, "/futures/data/topLongShortPositionRatio"),
    ],
)
async def test_long_short_ratio_shape(stub: VenueStub, kind: RatioKind, path: str) -> None:
    """Shape test (doc examples, named after the endpoint), one per ratio kind."""
    rows = load(f"{DOCS}/{path.rsplit('/', 1)[1]}.doc-example.json")
    stub.answer_json(path, rows)

    ratio = await client(stub).long_short_ratio("BTCUSDT", kind, "1h", limit=2)

    assert stub.last.url.path == path
    assert params(stub.last) == {"symbol": "BTCUSDT", "period": "1h", "limit": "2"}
    assert ratio.kind is kind
    assert [
        (p.ts_ms, p.long_short_ratio, p.long_fraction, p.short_fraction) for p in ratio.points
    ] == [
        (
            int(row["timestamp"]),
            float(row["longShortRatio"]),
            float(row["longAccount"]),
            float(row["shortAccount"]),
        )
        for row in rows
    ]


async def test_taker_volume_sorted_oldest_first_shape(stub: VenueStub) -> None:
    """Shape test (doc example, whose rows are out of time order)."""
    rows = load(f"{DOCS}/takerlongshortRatio.doc-example.json")
    stub.answer_json("/futures/data/takerlongshortRatio", rows)

    volume = await client(stub).taker_volume("BTCUSDT", "5m")

    assert stub.last.url.path == "/futures/data/takerlongshortRatio"
    assert params(stub.last) == {"symbol": "BTCUSDT", "period": "5m", "limit": "30"}
    expected = sorted(
        (
            int(row["timestamp"]),
            float(row["buyVol"]),
            float(row["sellVol"]),
            float(row["buySellRatio"]),
        )
        for row in rows
    )
    got = [(p.ts_ms, p.buy_volume, p.sell_volume, p.buy_sell_ratio) for p in volume.points]
    assert got == expected


# -- klines, depth, trades ---------------------------------------------------------------------


def _candle_from_row(row: list[Any]) -> Candle:
    return Candle(
        open_time_ms=row[0],
        open=float(row[1]),
        high=float(row[2]),
        low=float(row[3]),
        close=float(row[4]),
        volume=float(row[5]),
        close_time_ms=row[6],
        quote_volume=float(row[7]),
        trade_count=row[8],
        taker_buy_base_volume=float(row[9]),
    )


async def test_klines_twelve_element_rows(stub: VenueStub) -> None:
    recorded_path = "binance-futures/klines-BTCUSDT-5m-limit500-2025-11-05.json"
    stub.answer_file("/fapi/v1/klines", recorded_path)
    rows = load(recorded_path)

    candles = await client(stub).klines("BTCUSDT", "5m", limit=500)

    assert stub.last.url.path == "/fapi/v1/klines"
    assert params(stub.last) == {"symbol": "BTCUSDT", "interval": "5m", "limit": "500"}
    assert candles.symbol == "BTCUSDT"
    assert candles.interval == "5m"
    assert candles.candles == tuple(_candle_from_row(row) for row in rows)
    assert candles.meta.source == "binance"


async def test_klines_six_element_rows_leave_missing_fields_none(stub: VenueStub) -> None:
    """A replay of derived OHLCV data sends [openTime, o, h, l, c, v] only."""
    rows = load("binance-futures/ohlcv/ohlcv-BTCUSDT-5m.json")[:3]
    stub.answer_json("/fapi/v1/klines", rows)

    candles = await client(stub).klines("BTCUSDT", "5m", limit=3)

    assert [
        (c.open_time_ms, c.open, c.high, c.low, c.close, c.volume) for c in candles.candles
    ] == [tuple(row) for row in rows]
    for candle in candles.candles:
        assert candle.close_time_ms is None
        assert candle.quote_volume is None
        assert candle.trade_count is None
        assert candle.taker_buy_base_volume is None


async def test_klines_seven_element_rows_keep_close_time(stub: VenueStub) -> None:
    rows = [row[:7] for row in load("binance-futures/klines-BTCUSDT-5m-limit500-2025-11-05.json")]
    stub.answer_json("/fapi/v1/klines", rows[:2])

    candles = await client(stub).klines("BTCUSDT", "5m", limit=2)

    assert [c.close_time_ms for c in candles.candles] == [row[6] for row in rows[:2]]
    assert [c.quote_volume for c in candles.candles] == [None, None]


async def test_klines_short_row_is_bad_data(stub: VenueStub) -> None:
    rows = [row[:5] for row in load("binance-futures/klines-BTCUSDT-5m-limit500-2025-11-05.json")]
    stub.answer_json("/fapi/v1/klines", rows[:1])

    with pytest.raises(ProviderBadData) as caught:
        await client(stub).klines("BTCUSDT", "5m", limit=1)

    assert isinstance(caught.value.__cause__, ValidationError)


async def test_depth_best_levels_first(stub: VenueStub) -> None:
    recorded_path = "binance-futures/depth-SUSHIUSDT-limit1000-2021-07-22.json"
    stub.answer_file("/fapi/v1/depth", recorded_path)
    body = load(recorded_path)

    book = await client(stub).depth("SUSHIUSDT", limit=1000)

    assert stub.last.url.path == "/fapi/v1/depth"
    assert params(stub.last) == {"symbol": "SUSHIUSDT", "limit": "1000"}
    # Binance already sends bids high->low and asks low->high.
    assert book.bids == tuple(BookLevel(float(p), float(q)) for p, q in body["bids"])
    assert book.asks == tuple(BookLevel(float(p), float(q)) for p, q in body["asks"])
    assert book.meta == Sourced(provider="binance", as_of_ms=body["E"])


async def test_agg_trades_shape(stub: VenueStub) -> None:
    """Shape test (doc example)."""
    rows = load(f"{DOCS}/aggTrades.doc-example.json")
    stub.answer_json("/fapi/v1/aggTrades", rows)

    trades = await client(stub).agg_trades("BTCUSDT", limit=1)

    assert stub.last.url.path == "/fapi/v1/aggTrades"
    assert params(stub.last) == {"symbol": "BTCUSDT", "limit": "1"}
    assert [
        (t.trade_id, t.price, t.quantity, t.ts_ms, t.buyer_is_maker) for t in trades.trades
    ] == [(row["a"], float(row["p"]), float(row["q"]), row["T"], row["m"]) for row in rows]


# -- errors and argument checks ------------------------------------------------------------------


async def test_invalid_symbol_is_symbol_not_served(stub: VenueStub) -> None:
    # Binance's documented answer to an unknown symbol (error code -1121).
    stub.answer_json("/fapi/v1/openInterest", {"code": -1121, "msg": "Invalid symbol."}, status=400)

    with pytest.raises(SymbolNotServed) as caught:
        await client(stub).open_interest("NOSUCHUSDT")

    assert caught.value.provider == "binance"
    assert caught.value.status == 400
    assert len(stub.requests) == 1  # not retried


async def test_other_400_is_rejected_not_unserved(stub: VenueStub) -> None:
    stub.answer_json(
        "/fapi/v1/openInterest", {"code": -1102, "msg": "Mandatory parameter missing."}, status=400
    )

    with pytest.raises(ProviderRejected) as caught:
        await client(stub).open_interest("BTCUSDT")

    assert not isinstance(caught.value, SymbolNotServed)


async def test_missing_required_field_is_bad_data(stub: VenueStub) -> None:
    body = load("binance-futures/openInterest-BTCUSDT-2024-06-04.json")
    del body["openInterest"]
    stub.answer_json("/fapi/v1/openInterest", body)

    with pytest.raises(ProviderBadData) as caught:
        await client(stub).open_interest(body["symbol"])

    assert isinstance(caught.value.__cause__, ValidationError)
    assert "openInterest" in caught.value.message


async def test_source_names_the_replay_from_via_header(stub: VenueStub) -> None:
    recorded_path = "binance-futures/openInterest-BTCUSDT-2024-06-04.json"
    stub.answer_file(
        "/fapi/v1/openInterest", recorded_path, headers={"via": "1.1 perpgraph-replay"}
    )

    oi = await client(stub).open_interest("BTCUSDT")

    assert oi.meta.source == "binance via perpgraph-replay"


@pytest.mark.parametrize(
    ("call", "accepted"),
    [
        (lambda c: c.klines("BTCUSDT", "7m"), "1m, 3m"),
        (lambda c: c.klines("BTCUSDT", "1m", limit=0), "1..1500"),
        (lambda c: c.klines("BTCUSDT", "1m", limit=1501), "1..1500"),
        (lambda c: c.depth("BTCUSDT", limit=7), "5, 10, 20, 50, 100, 500, 1000"),
        (lambda c: c.open_interest_history("BTCUSDT", "3m"), "5m, 15m"),
        (lambda c: c.taker_volume("BTCUSDT", "1h", limit=501), "1..500"),
        (lambda c: c.funding_history("BTCUSDT", limit=1001), "1..1000"),
        (lambda c: c.agg_trades("BTCUSDT", limit=1001), "1..1000"),
        (lambda c: c.open_interest(""), "BTCUSDT"),
    ],
)
async def test_bad_arguments_raise_before_any_request(
    stub: VenueStub, call: Any, accepted: str
) -> None:
    with pytest.raises(ValueError, match=accepted):
        await call(client(stub))

    assert stub.requests == []


# -- venue table ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "expected"), [(1, 1), (99, 1), (100, 2), (499, 2), (500, 5), (1000, 5), (1500, 10)]
)
def test_kline_weight_tiers(limit: int, expected: int) -> None:
    assert venue.kline_weight(limit) == expected


@pytest.mark.parametrize(("limit", "expected"), [(5, 2), (50, 2), (100, 5), (500, 10), (1000, 20)])
def test_depth_weight(limit: int, expected: int) -> None:
    assert venue.depth_weight(limit) == expected


def test_host_policy_fills_in_venue_facts() -> None:
    policy = venue.host_policy(weight_safety_margin=0.25, read_timeout_s=1.5, max_attempts=2)

    assert policy.provider == "binance"
    assert policy.used_weight_header == "X-MBX-USED-WEIGHT-1M"
    assert policy.weight_limit_1m == int(VENUE.weight_limit_1m * 0.75)
    assert policy.read_timeout_s == 1.5
    assert policy.max_attempts == 2
    assert policy.not_served(400, {"code": -1121, "msg": "Invalid symbol."})
    assert not policy.not_served(400, {"code": -1102})
    assert not policy.not_served(200, {"code": -1121})


def test_host_policy_rejects_a_margin_that_leaves_no_budget() -> None:
    with pytest.raises(ValueError, match="weight_safety_margin"):
        venue.host_policy(weight_safety_margin=1.0)


def test_perp_symbol() -> None:
    assert venue.perp_symbol("btc") == "BTCUSDT"
    assert venue.perp_symbol("ETH", "USDC") == "ETHUSDC"
