"""OKX v5 client at the transport: recorded bodies in, domain objects out.

No real REST recording exists for ticker, funding-rate and open-interest. Two kinds of
stand-in are used and labelled: OKX documentation examples ("shape test"), and real
WebSocket pushes from ``ws-v5-public-samples-tardis.jsonl`` wrapped in the REST envelope
(their ``data[]`` objects carry the same fields as the REST ``data[]``).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engine.domain import ListedContract, PositionSide, Sourced
from providers.errors import (
    ProviderBadData,
    ProviderRejected,
    SymbolNotServed,
    UpstreamRateLimited,
)
from providers.okx import OkxClient, okx_inst_id, venue
from tests.providers.conftest import VenueStub, load, load_jsonl, params

BASE = "https://okx.test"
WS_SAMPLES = "okx/ws-v5-public-samples-tardis.jsonl"


def client(stub: VenueStub) -> OkxClient:
    return OkxClient(stub.http(venue.host_policy()), BASE)


def ws_rows(channel: str) -> list[dict[str, Any]]:
    """``data[]`` objects of the recorded WS pushes on ``channel``, in file order."""
    return [
        row
        for push in load_jsonl(WS_SAMPLES)
        if push["arg"]["channel"] == channel
        for row in push["data"]
    ]


def rest_envelope(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"code": "0", "msg": "", "data": list(rows)}


# -- instruments ---------------------------------------------------------------------------------


async def test_instruments(stub: VenueStub) -> None:
    recorded_path = "okx/instruments-SWAP-2022-05-13.json"
    stub.answer_file("/api/v5/public/instruments", recorded_path)
    rows = load(recorded_path)["data"]

    info = await client(stub).instruments()

    assert stub.last.url.path == "/api/v5/public/instruments"
    assert params(stub.last) == {"instType": "SWAP"}
    assert info.contracts == tuple(
        ListedContract(
            venue_symbol=row["instId"],
            base=row["instId"].split("-")[0],
            quote=row["instId"].split("-")[1],
            status=row["state"],
            onboard_ms=int(row["listTime"]),
            # ctVal counts base units only when ctValCcy is the base coin (linear swaps)
            contract_size=(
                float(row["ctVal"]) if row["ctValCcy"] == row["instId"].split("-")[0] else None
            ),
        )
        for row in rows
    )
    # Linear and inverse swaps both split the same way; the uly field agrees.
    assert all(
        f"{c.base}-{c.quote}" == row["uly"] for c, row in zip(info.contracts, rows, strict=True)
    )
    assert {row["ctType"] for row in rows} == {"linear", "inverse"}
    sized = {c.venue_symbol for c in info.contracts if c.contract_size is not None}
    assert sized == {row["instId"] for row in rows if row["ctType"] == "linear"}
    assert info.meta.source == "okx"


# -- tickers ---------------------------------------------------------------------------------------


def _change_pct(row: dict[str, Any]) -> float:
    last, open_ = float(row["last"]), float(row["open24h"])
    return (last - open_) / open_ * 100.0


async def test_ticker_from_recorded_push(stub: VenueStub) -> None:
    (row,) = ws_rows("tickers")
    stub.answer_json("/api/v5/market/ticker", rest_envelope(row))

    ticker = await client(stub).ticker(row["instId"])

    assert stub.last.url.path == "/api/v5/market/ticker"
    assert params(stub.last) == {"instId": row["instId"]}
    assert ticker.symbol == row["instId"]
    assert ticker.last_price == float(row["last"])
    assert ticker.price_change_pct == _change_pct(row)
    assert ticker.high_price == float(row["high24h"])
    assert ticker.low_price == float(row["low24h"])
    assert ticker.base_volume == float(row["volCcy24h"])
    assert ticker.quote_volume is None
    assert ticker.meta == Sourced(provider="okx", as_of_ms=int(row["ts"]))


async def test_tickers_skip_swaps_without_a_last_price(stub: VenueStub) -> None:
    (row,) = ws_rows("tickers")
    untraded = {**row, "last": ""}  # shape: what OKX sends for a swap that has not traded
    stub.answer_json("/api/v5/market/tickers", rest_envelope(untraded, row))

    tickers = await client(stub).tickers()

    assert stub.last.url.path == "/api/v5/market/tickers"
    assert params(stub.last) == {"instType": "SWAP"}
    assert [(t.symbol, t.last_price) for t in tickers] == [(row["instId"], float(row["last"]))]


# -- funding rate --------------------------------------------------------------------------------


async def test_funding_rate_shape(stub: VenueStub) -> None:
    """Shape test (doc example)."""
    body = load("okx/funding-rate.doc-example.json")
    (row,) = body["data"]
    stub.answer_json("/api/v5/public/funding-rate", body)

    snapshot = await client(stub).funding_rate(row["instId"])

    assert stub.last.url.path == "/api/v5/public/funding-rate"
    assert params(stub.last) == {"instId": row["instId"]}
    assert snapshot.funding_rate == float(row["fundingRate"])
    assert snapshot.next_funding_time_ms == int(row["fundingTime"])
    assert snapshot.meta == Sourced(provider="okx", as_of_ms=int(row["ts"]))


async def test_funding_rate_from_recorded_push_without_ts(stub: VenueStub) -> None:
    row = next(r for r in ws_rows("funding-rate") if "fundingRate" in r)
    stub.answer_json("/api/v5/public/funding-rate", rest_envelope(row))

    snapshot = await client(stub).funding_rate(row["instId"])

    assert snapshot.funding_rate == float(row["fundingRate"])
    assert snapshot.next_funding_time_ms == int(row["fundingTime"])
    assert snapshot.meta.as_of_ms > 0  # no ts in the push: the receive time


async def test_funding_rate_missing_is_bad_data(stub: VenueStub) -> None:
    """The recorded push that omits fundingRate."""
    row = next(r for r in ws_rows("funding-rate") if "fundingRate" not in r)
    stub.answer_json("/api/v5/public/funding-rate", rest_envelope(row))

    with pytest.raises(ProviderBadData) as caught:
        await client(stub).funding_rate(row["instId"])

    assert isinstance(caught.value.__cause__, ValidationError)


async def test_funding_rate_empty_is_not_served(stub: VenueStub) -> None:
    row = {**next(r for r in ws_rows("funding-rate") if "fundingRate" in r), "fundingRate": ""}
    stub.answer_json("/api/v5/public/funding-rate", rest_envelope(row))

    with pytest.raises(SymbolNotServed):
        await client(stub).funding_rate(row["instId"])


# -- open interest ---------------------------------------------------------------------------------


async def test_open_interest_shape(stub: VenueStub) -> None:
    """Shape test (doc example)."""
    body = load("okx/open-interest.doc-example.json")
    (row,) = body["data"]
    stub.answer_json("/api/v5/public/open-interest", body)

    oi = await client(stub).open_interest(row["instId"])

    assert stub.last.url.path == "/api/v5/public/open-interest"
    assert params(stub.last) == {"instType": "SWAP", "instId": row["instId"]}
    assert oi.base_qty == float(row["oiCcy"])
    assert oi.meta == Sourced(provider="okx", as_of_ms=int(row["ts"]))


async def test_open_interest_from_recorded_push(stub: VenueStub) -> None:
    (row,) = ws_rows("open-interest")
    stub.answer_json("/api/v5/public/open-interest", rest_envelope(row))

    oi = await client(stub).open_interest(row["instId"])

    assert (oi.symbol, oi.base_qty, oi.meta.as_of_ms) == (
        row["instId"],
        float(row["oiCcy"]),
        int(row["ts"]),
    )


async def test_empty_data_is_not_served(stub: VenueStub) -> None:
    stub.answer_json("/api/v5/public/open-interest", rest_envelope())

    with pytest.raises(SymbolNotServed):
        await client(stub).open_interest("BTC-USDT-SWAP")


# -- candles ---------------------------------------------------------------------------------------


async def test_candles_oldest_first(stub: VenueStub) -> None:
    recorded_path = "okx/candles-sample-2025-05-12.json"
    stub.answer_file("/api/v5/market/candles", recorded_path)
    rows = load(recorded_path)["data"]

    candles = await client(stub).candles("BTC-USDT-SWAP", "1m", limit=2)

    assert stub.last.url.path == "/api/v5/market/candles"
    assert params(stub.last) == {"instId": "BTC-USDT-SWAP", "bar": "1m", "limit": "2"}
    assert candles.interval == "1m"
    oldest_first = sorted(rows, key=lambda r: int(r[0]))
    assert oldest_first != rows  # OKX sent newest first
    assert [
        (c.open_time_ms, c.open, c.high, c.low, c.close, c.volume, c.quote_volume)
        for c in candles.candles
    ] == [
        (int(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[4]), float(r[6]), float(r[7]))
        for r in oldest_first
    ]
    assert all(c.close_time_ms is None and c.trade_count is None for c in candles.candles)


@pytest.mark.parametrize(("interval", "bar"), [("1h", "1H"), ("4h", "4H"), ("1d", "1Dutc")])
async def test_candle_intervals_map_to_okx_bars(stub: VenueStub, interval: str, bar: str) -> None:
    stub.answer_file("/api/v5/market/candles", "okx/candles-sample-2025-05-12.json")

    await client(stub).candles("BTC-USDT-SWAP", interval)

    assert params(stub.last) == {"instId": "BTC-USDT-SWAP", "bar": bar, "limit": "100"}


# -- errors and arguments ------------------------------------------------------------------------

# OKX's documented error envelope for an unknown instrument (code 51001, sent with HTTP 200).
_NO_INSTRUMENT = {"code": "51001", "msg": "Instrument ID does not exist", "data": []}


async def test_code_51001_with_http_200_is_not_served(stub: VenueStub) -> None:
    stub.answer_json("/api/v5/market/ticker", _NO_INSTRUMENT)

    with pytest.raises(SymbolNotServed) as caught:
        await client(stub).ticker("NOPE-USDT-SWAP")

    assert caught.value.provider == "okx"


async def test_code_51001_with_http_400_is_not_served(stub: VenueStub) -> None:
    stub.answer_json("/api/v5/market/ticker", _NO_INSTRUMENT, status=400)

    with pytest.raises(SymbolNotServed) as caught:
        await client(stub).ticker("NOPE-USDT-SWAP")

    assert caught.value.status == 400


async def test_other_codes_are_rejected(stub: VenueStub) -> None:
    stub.answer_json(
        "/api/v5/market/ticker", {"code": "51000", "msg": "Parameter error", "data": []}
    )

    with pytest.raises(ProviderRejected) as caught:
        await client(stub).ticker("BTC-USDT-SWAP")

    assert not isinstance(caught.value, SymbolNotServed)


async def test_rate_limit_code_is_rate_limited(stub: VenueStub) -> None:
    stub.answer_json("/api/v5/market/ticker", {"code": "50011", "msg": "", "data": []})

    with pytest.raises(UpstreamRateLimited):
        await client(stub).ticker("BTC-USDT-SWAP")


@pytest.mark.parametrize(
    ("call", "accepted"),
    [
        (lambda c: c.candles("BTC-USDT-SWAP", "1M"), "1m, 3m"),
        (lambda c: c.candles("BTC-USDT-SWAP", "1m", limit=301), "1..300"),
        (lambda c: c.candles("BTC-USDT", "1m"), "BTC-USDT-SWAP"),
        (lambda c: c.ticker("BTCUSDT"), "BTC-USDT-SWAP"),
    ],
)
async def test_bad_arguments_raise_before_any_request(
    stub: VenueStub, call: Any, accepted: str
) -> None:
    with pytest.raises(ValueError, match=accepted):
        await call(client(stub))

    assert stub.requests == []


def test_okx_inst_id() -> None:
    assert okx_inst_id("BTC") == "BTC-USDT-SWAP"
    assert okx_inst_id("eth", "usd") == "ETH-USD-SWAP"
    with pytest.raises(ValueError):
        okx_inst_id("BTC-USDT")


def test_host_policy_fills_in_venue_facts() -> None:
    policy = venue.host_policy(deadline_s=3.0)

    assert policy.provider == "okx"
    assert policy.deadline_s == 3.0
    assert policy.used_weight_header is None
    assert policy.not_served(400, _NO_INSTRUMENT)
    assert not policy.not_served(400, {"code": "51000"})


# -- liquidation orders ---------------------------------------------------------------------------

LIQUIDATIONS = "/api/v5/public/liquidation-orders"
INSTRUMENTS = "okx/instruments-SWAP-2022-05-13.json"


def recorded_ct_val(inst_id: str) -> tuple[float, str]:
    """(ctVal, ctValCcy) of ``inst_id`` in the recorded 2022 instruments file."""
    (row,) = [r for r in load(INSTRUMENTS)["data"] if r["instId"] == inst_id]
    return float(row["ctVal"]), row["ctValCcy"]


def recorded_family(family: str) -> tuple[str, float]:
    """(family, ctVal) with ctVal from the family's recorded swap."""
    return family, recorded_ct_val(f"{family}-SWAP")[0]


async def test_liquidation_orders_from_recorded_push(stub: VenueStub) -> None:
    """Real WS push in the REST envelope: an inverse FUTURES family (XRP-USD)."""
    (row,) = ws_rows("liquidation-orders")
    (detail,) = row["details"]
    stub.answer_json(LIQUIDATIONS, rest_envelope(row))
    # The futures' own ctVal was not recorded; the family's swap lists its face value in USD.
    ct_val, ct_ccy = recorded_ct_val(f"{row['instFamily']}-SWAP")
    assert ct_ccy == "USD"

    got = await client(stub).liquidation_orders(
        row["instFamily"], ct_val, inst_type=row["instType"], limit=100
    )

    assert stub.last.url.path == LIQUIDATIONS
    assert params(stub.last) == {
        "instType": row["instType"],
        "instFamily": row["instFamily"],
        "state": "filled",
        "limit": "100",
    }
    assert got.symbol == row["instFamily"]
    (event,) = got.events
    price, notional = float(detail["bkPx"]), float(detail["sz"]) * ct_val
    assert (event.symbol, event.venue, event.price, event.ts_ms) == (
        row["instId"],
        "okx",
        price,
        int(detail["ts"]),
    )
    assert (detail["side"], detail["posSide"]) == ("buy", "short")
    assert event.side is PositionSide.SHORT  # a buy order closes a short
    assert event.notional_usd == notional  # inverse: sz contracts x ctVal USD
    assert event.quantity == notional / price
    assert got.meta == Sourced(provider="okx", as_of_ms=int(detail["ts"]))


async def test_liquidation_orders_linear_shape(stub: VenueStub) -> None:
    """Shape test (doc example): a linear SWAP family, quantity = sz x ctVal base units."""
    (row,) = load("okx/ws-liquidation-orders.doc-example.json")["data"]
    (detail,) = row["details"]
    stub.answer_json(LIQUIDATIONS, rest_envelope(row))
    ct_val, ct_ccy = recorded_ct_val(row["instId"])
    assert ct_ccy == row["instFamily"].split("-")[0]

    got = await client(stub).liquidation_orders(row["instFamily"], ct_val)

    assert params(stub.last)["instType"] == "SWAP"
    (event,) = got.events
    quantity = float(detail["sz"]) * ct_val
    assert event.quantity == quantity
    assert event.notional_usd == float(detail["bkPx"]) * quantity
    assert event.side is PositionSide.SHORT


async def test_liquidation_orders_oldest_first(stub: VenueStub) -> None:
    """Shape test: the recorded push and the doc example's row, sent newest first."""
    (recorded,) = ws_rows("liquidation-orders")
    (documented,) = load("okx/ws-liquidation-orders.doc-example.json")["data"]
    rows = sorted([recorded, documented], key=lambda r: -int(r["details"][0]["ts"]))
    stub.answer_json(LIQUIDATIONS, rest_envelope(*rows))

    got = await client(stub).liquidation_orders(*recorded_family("XRP-USD"), inst_type="FUTURES")

    times = [e.ts_ms for e in got.events]
    assert times == sorted(int(r["details"][0]["ts"]) for r in rows)
    assert got.meta.as_of_ms == times[-1]


async def test_liquidation_orders_sell_liquidates_long(stub: VenueStub) -> None:
    """The recorded detail in net mode with the opposite order side (shape of a sell)."""
    (row,) = ws_rows("liquidation-orders")
    detail = {**row["details"][0], "side": "sell", "posSide": "net"}
    stub.answer_json(LIQUIDATIONS, rest_envelope({**row, "details": [detail]}))

    got = await client(stub).liquidation_orders(*recorded_family("XRP-USD"), inst_type="FUTURES")

    assert [e.side for e in got.events] == [PositionSide.LONG]


async def test_liquidation_orders_contradicting_sides_are_bad_data(stub: VenueStub) -> None:
    (row,) = ws_rows("liquidation-orders")
    detail = {**row["details"][0], "posSide": "long"}  # a buy cannot close a long
    stub.answer_json(LIQUIDATIONS, rest_envelope({**row, "details": [detail]}))

    with pytest.raises(ProviderBadData) as caught:
        await client(stub).liquidation_orders(*recorded_family("XRP-USD"), inst_type="FUTURES")

    assert isinstance(caught.value.__cause__, ValidationError)


async def test_liquidation_orders_quiet_market_is_empty(stub: VenueStub) -> None:
    stub.answer_json(LIQUIDATIONS, rest_envelope())

    got = await client(stub).liquidation_orders(*recorded_family("BTC-USDT"))

    assert got.events == ()
    assert got.meta.as_of_ms > 0  # no event: the receive time


async def test_liquidation_orders_unknown_family_is_not_served(stub: VenueStub) -> None:
    stub.answer_json(LIQUIDATIONS, _NO_INSTRUMENT)

    with pytest.raises(SymbolNotServed):
        await client(stub).liquidation_orders("NOPE-USDT", recorded_family("BTC-USDT")[1])


@pytest.mark.parametrize(
    ("kwargs", "accepted"),
    [
        ({"inst_family": "BTC-USDT-SWAP", "contract_size": 0.01}, "BTC-USDT"),
        ({"inst_family": "BTCUSDT", "contract_size": 0.01}, "BTC-USDT"),
        ({"inst_family": "BTC-USDT", "contract_size": 0.01, "inst_type": "SPOT"}, "FUTURES"),
        ({"inst_family": "BTC-USDT", "contract_size": 0.0}, "positive"),
        ({"inst_family": "BTC-USDT", "contract_size": float("nan")}, "positive"),
        ({"inst_family": "BTC-USDT", "contract_size": 0.01, "limit": 101}, "1..100"),
    ],
)
async def test_liquidation_orders_bad_arguments(
    stub: VenueStub, kwargs: dict[str, Any], accepted: str
) -> None:
    with pytest.raises(ValueError, match=accepted):
        await client(stub).liquidation_orders(**kwargs)

    assert stub.requests == []
