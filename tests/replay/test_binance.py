"""Binance USD-M routes against the recorded files, over loopback."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from providers.replay.klines import utc_ms

from .conftest import BF, DATA, recorded_csv, recorded_json, recorded_jsonl

KLINES_5M = "binance-futures/klines-BTCUSDT-5m-limit500-2025-11-05.json"
WS = "binance-futures/ws/fstream-combined-SUSHI-AKRO-KEEP-CTK-2021-07-22.jsonl"
INVALID_SYMBOL = {"code": -1121, "msg": "Invalid symbol."}
BAD_LIMIT = {"code": -1130, "msg": "Data sent for parameter 'limit' is not valid."}


def ws_events(event: str) -> list[dict[str, Any]]:
    frames = [json.loads(line["raw"])["data"] for line in recorded_jsonl(WS)]
    return [f for f in frames if f.get("e") == event]


def test_exchange_info_is_the_testnet_file_byte_for_byte(client: httpx.Client) -> None:
    r = client.get("/fapi/v1/exchangeInfo")
    assert r.status_code == 200
    assert r.content == (BF / "exchangeInfo-TESTNET-2025-12-24.json").read_bytes()


def test_premium_index_all_and_one(client: httpx.Client) -> None:
    recorded = json.loads((BF / "premiumIndex-all-2025-06-17.json").read_text())
    assert client.get("/fapi/v1/premiumIndex").json() == recorded
    one = recorded[3]
    assert client.get("/fapi/v1/premiumIndex", params={"symbol": one["symbol"]}).json() == one
    r = client.get("/fapi/v1/premiumIndex", params={"symbol": "NOTASYMBOLUSDT"})
    assert (r.status_code, r.json()) == (400, INVALID_SYMBOL)


def test_verbatim_klines_default_limit_and_paging(client: httpx.Client) -> None:
    rows = json.loads((DATA / KLINES_5M).read_text())
    params: dict[str, Any] = {"symbol": "BTCUSDT", "interval": "5m"}
    assert client.get("/fapi/v1/klines", params=params).json() == rows  # default limit 500
    assert client.get("/fapi/v1/klines", params={**params, "limit": 3}).json() == rows[-3:]
    start = {**params, "startTime": rows[10][0], "limit": 2}
    assert client.get("/fapi/v1/klines", params=start).json() == rows[10:12]
    end = {**params, "endTime": rows[100][0], "limit": 5}
    assert client.get("/fapi/v1/klines", params=end).json() == rows[96:101]


def test_derived_klines_have_seven_fields_and_recorded_values(client: httpx.Client) -> None:
    recorded = recorded_json("binance-futures/ohlcv/ohlcv-ETHUSDT-1h.json")
    params: dict[str, str | int] = {"symbol": "ETHUSDT", "interval": "1h", "limit": 1000}
    served = client.get("/fapi/v1/klines", params=params).json()
    assert len(served) == min(1000, len(recorded))
    for row, rec in zip(served, recorded[-len(served) :], strict=True):
        assert len(row) == 7
        assert row[0] == rec[0] and row[6] == rec[0] + 3_600_000 - 1
        assert all(isinstance(v, str) for v in row[1:6])
        assert [Decimal(v) for v in row[1:6]] == [Decimal(v) for v in rec[1:6]]


def test_btc_1h_serves_the_csv_price_strings(client: httpx.Client) -> None:
    rows = recorded_csv("binance-futures/ohlcv/ohlcv-BTCUSDT-1h-2025-05_2025-06.derived.csv")
    params: dict[str, str | int] = {"symbol": "BTCUSDT", "interval": "1h", "limit": 1000}
    served = client.get("/fapi/v1/klines", params=params).json()
    assert [r[1:6] for r in served] == [r[1:6] for r in rows]
    assert [r[0] for r in served] == [utc_ms(r[0]) for r in rows]


def test_ws_klines_for_the_four_ws_symbols(client: httpx.Client) -> None:
    frames = [k["k"] for k in ws_events("kline") if k["s"] == "CTKUSDT"]
    last_per_open = {k["t"]: k for k in frames}
    served = client.get("/fapi/v1/klines", params={"symbol": "CTKUSDT", "interval": "1m"}).json()
    fields = ("t", "o", "h", "l", "c", "v", "T", "q", "n", "V", "Q", "B")
    expected = [[k[f] for f in fields] for _, k in sorted(last_per_open.items())]
    assert served == expected


@pytest.mark.parametrize(
    ("params", "status", "body"),
    [
        ({"symbol": "BTCUSDT", "interval": "7m"}, 400, {"code": -1120, "msg": "Invalid interval."}),
        ({"symbol": "BTCUSDT", "interval": "1m", "limit": 1501}, 400, BAD_LIMIT),
        ({"symbol": "BTCUSDT", "interval": "1m", "limit": 0}, 400, BAD_LIMIT),
        ({"symbol": "DOGEUSDT", "interval": "1m"}, 400, INVALID_SYMBOL),
        (
            {"interval": "1m"},
            400,
            {
                "code": -1102,
                "msg": "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
            },
        ),
    ],
)
def test_kline_errors(
    client: httpx.Client, params: dict[str, Any], status: int, body: dict[str, Any]
) -> None:
    r = client.get("/fapi/v1/klines", params=params)
    assert (r.status_code, r.json()) == (status, body)


def test_ticker_price_is_the_newest_recorded_close(client: httpx.Client) -> None:
    last = json.loads((DATA / KLINES_5M).read_text())[-1]
    for path in ("/fapi/v1/ticker/price", "/fapi/v2/ticker/price"):
        one = client.get(path, params={"symbol": "BTCUSDT"}).json()
        assert one == {"symbol": "BTCUSDT", "price": last[4], "time": last[6]}
        everything = client.get(path).json()
        assert one in everything
        assert {t["symbol"] for t in everything} >= {"BTCUSDT", "ETHUSDT", "SOLUSDT", "CTKUSDT"}
    eth_1m = recorded_json("binance-futures/ohlcv/ohlcv-ETHUSDT-1m.json")[-1]
    eth = client.get("/fapi/v1/ticker/price", params={"symbol": "ETHUSDT"}).json()
    assert Decimal(eth["price"]) == eth_1m[4] and eth["time"] == eth_1m[0] + 59_999
    r = client.get("/fapi/v1/ticker/price", params={"symbol": "XRPUSDT"})
    assert (r.status_code, r.json()) == (400, INVALID_SYMBOL)


def test_book_ticker_is_the_last_recorded_frame(client: httpx.Client) -> None:
    last = [f for f in ws_events("bookTicker") if f["s"] == "SUSHIUSDT"][-1]
    served = client.get("/fapi/v1/ticker/bookTicker", params={"symbol": "SUSHIUSDT"}).json()
    assert served == {
        "symbol": "SUSHIUSDT",
        "bidPrice": last["b"],
        "bidQty": last["B"],
        "askPrice": last["a"],
        "askQty": last["A"],
        "time": last["T"],
        "lastUpdateId": last["u"],
    }


def test_funding_rate_rebuilt_without_mark_price(client: httpx.Client) -> None:
    rows = recorded_csv("binance-futures/ohlcv/fundingRate-BTCUSDT-2024-07_2025-06.derived.csv")
    served = client.get("/fapi/v1/fundingRate", params={"symbol": "BTCUSDT"}).json()
    assert len(served) == 100  # Binance's default limit
    rebuilt = [{"symbol": "BTCUSDT", "fundingTime": utc_ms(t), "fundingRate": r} for t, r in rows]
    assert served == rebuilt[-100:]
    first = client.get(
        "/fapi/v1/fundingRate",
        params={"symbol": "BTCUSDT", "startTime": utc_ms(rows[0][0]), "limit": 1000},
    ).json()
    assert len(first) == len(rows) and first[0]["fundingRate"] == rows[0][1]

    eth = recorded_json("binance-futures/ohlcv/fundingRate-ETHUSDT-8h.derived.json")
    served_eth = client.get("/fapi/v1/fundingRate", params={"symbol": "ETHUSDT", "limit": 5})
    for row, (t, rate) in zip(served_eth.json(), eth[-5:], strict=True):
        assert set(row) == {"symbol", "fundingTime", "fundingRate"}
        assert row["fundingTime"] == t and Decimal(row["fundingRate"]) == rate
        assert "e" not in row["fundingRate"].lower()  # positional, like Binance

    r = client.get("/fapi/v1/fundingRate", params={"symbol": "BTCUSDT", "limit": 1001})
    assert (r.status_code, r.json()) == (400, BAD_LIMIT)
    r = client.get("/fapi/v1/fundingRate", params={"symbol": "ADAUSDT"})
    assert (r.status_code, r.json()) == (400, INVALID_SYMBOL)


def test_open_interest(client: httpx.Client) -> None:
    recorded = json.loads((BF / "openInterest-BTCUSDT-2024-06-04.json").read_text())
    assert client.get("/fapi/v1/openInterest", params={"symbol": "BTCUSDT"}).json() == recorded
    r = client.get("/fapi/v1/openInterest", params={"symbol": "ETHUSDT"})
    assert (r.status_code, r.json()) == (400, INVALID_SYMBOL)


def test_depth_trimmed_to_limit(client: httpx.Client) -> None:
    book = json.loads((BF / "depth-AKROUSDT-limit1000-2021-07-22.json").read_text())
    full = client.get("/fapi/v1/depth", params={"symbol": "AKROUSDT", "limit": 1000}).json()
    assert full == book
    top = client.get("/fapi/v1/depth", params={"symbol": "AKROUSDT", "limit": 5}).json()
    assert top == {**book, "bids": book["bids"][:5], "asks": book["asks"][:5]}
    default = client.get("/fapi/v1/depth", params={"symbol": "AKROUSDT"}).json()
    assert default["bids"] == book["bids"][:500] and default["asks"] == book["asks"][:500]
    r = client.get("/fapi/v1/depth", params={"symbol": "AKROUSDT", "limit": 7})
    assert (r.status_code, r.json()) == (400, BAD_LIMIT)
    r = client.get("/fapi/v1/depth", params={"symbol": "BTCUSDT"})
    assert (r.status_code, r.json()) == (400, INVALID_SYMBOL)


def test_agg_trades_rebuilt_from_ws_frames(client: httpx.Client) -> None:
    keys = ("a", "p", "q", "f", "l", "T", "m")
    trades = [{k: f[k] for k in keys} for f in ws_events("aggTrade") if f["s"] == "CTKUSDT"]
    served = client.get("/fapi/v1/aggTrades", params={"symbol": "CTKUSDT"}).json()
    assert served == trades
    last2 = client.get("/fapi/v1/aggTrades", params={"symbol": "CTKUSDT", "limit": 2}).json()
    assert last2 == trades[-2:]
    from_id = {"symbol": "CTKUSDT", "fromId": trades[3]["a"], "limit": 2}
    assert client.get("/fapi/v1/aggTrades", params=from_id).json() == trades[3:5]


@pytest.mark.parametrize(
    "path",
    [
        "/futures/data/openInterestHist",
        "/futures/data/globalLongShortAccountRatio",
        "/futures/data/topLongShortAccountRatio",
        "/futures/data/topLongShortPositionRatio",
        "/futures/data/takerlongshortRatio",
        "/fapi/v1/trades",
    ],
)
def test_unrecorded_routes_answer_invalid_symbol(client: httpx.Client, path: str) -> None:
    r = client.get(path, params={"symbol": "BTCUSDT", "period": "5m"})
    assert (r.status_code, r.json()) == (400, INVALID_SYMBOL)


def test_unknown_path_is_a_binance_404(client: httpx.Client) -> None:
    r = client.get("/fapi/v1/notARoute")
    assert r.status_code == 404
    assert r.json() == {"code": -5000, "msg": "Path /fapi/v1/notARoute, Method GET is invalid"}
