"""OKX v5 routes against the recorded files, over loopback."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from providers.http import UpstreamHttp
from providers.metrics import Metrics
from providers.okx import OkxClient
from providers.okx import venue as okx_venue

from .conftest import DATA, recorded_jsonl

NO_INSTRUMENT = {"code": "51001", "msg": "Instrument ID does not exist", "data": []}


def pushes(channel: str) -> list[dict[str, Any]]:
    rows = recorded_jsonl("okx/ws-v5-public-samples-tardis.jsonl")
    return [d for m in rows if m["arg"]["channel"] == channel for d in m["data"]]


def ok(data: list[Any]) -> dict[str, Any]:
    return {"code": "0", "msg": "", "data": data}


def test_instruments_verbatim_and_filtered(client: httpx.Client) -> None:
    raw = (DATA / "okx/instruments-SWAP-2022-05-13.json").read_bytes()
    r = client.get("/api/v5/public/instruments", params={"instType": "SWAP"})
    assert r.content == raw
    first = json.loads(raw)["data"][0]
    one = client.get(
        "/api/v5/public/instruments", params={"instType": "SWAP", "instId": first["instId"]}
    )
    assert one.json() == ok([first])
    spot = client.get("/api/v5/public/instruments", params={"instType": "SPOT"})
    assert (spot.status_code, spot.json()) == (200, NO_INSTRUMENT)


def test_funding_rate_from_pushes_keeps_missing_keys_missing(client: httpx.Client) -> None:
    for row in pushes("funding-rate"):
        served = client.get("/api/v5/public/funding-rate", params={"instId": row["instId"]})
        assert served.json() == ok([row])
    sos = client.get("/api/v5/public/funding-rate", params={"instId": "SOS-USDT-SWAP"}).json()
    assert "fundingRate" not in sos["data"][0]


def test_open_interest_ticker_tickers_mark_price(client: httpx.Client) -> None:
    oi = pushes("open-interest")
    assert client.get("/api/v5/public/open-interest", params={"instType": "SWAP"}).json() == ok(oi)
    ticker = pushes("tickers")
    inst = ticker[0]["instId"]
    assert client.get("/api/v5/market/ticker", params={"instId": inst}).json() == ok(ticker)
    assert client.get("/api/v5/market/tickers", params={"instType": "SWAP"}).json() == ok(ticker)
    rest_mark = json.loads(
        (DATA / "okx/mark-price-BTC-USDT-SWAP-sample-2025-04-14.json").read_text()
    )
    marks = client.get("/api/v5/public/mark-price", params={"instType": "SWAP"}).json()
    assert marks == ok([*rest_mark["data"], *pushes("mark-price")])
    btc = client.get(
        "/api/v5/public/mark-price", params={"instType": "SWAP", "instId": "BTC-USDT-SWAP"}
    )
    assert btc.json() == rest_mark


def test_funding_rate_history_and_candles(client: httpx.Client) -> None:
    hist = json.loads(
        (DATA / "okx/funding-rate-history-BTC-USDT-SWAP-sample-2024-01-01.json").read_text()
    )
    served = client.get("/api/v5/public/funding-rate-history", params={"instId": "BTC-USDT-SWAP"})
    assert served.json() == hist
    candles = json.loads((DATA / "okx/candles-sample-2025-05-12.json").read_text())
    assert client.get("/api/v5/market/candles", params={"instId": "BTC-USDT"}).json() == candles
    newest = client.get("/api/v5/market/candles", params={"instId": "BTC-USDT", "limit": 1})
    assert newest.json() == ok(candles["data"][:1])
    older = {"instId": "BTC-USDT", "after": candles["data"][0][0]}
    assert client.get("/api/v5/market/candles", params=older).json() == ok(candles["data"][1:])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v5/public/funding-rate", {"instId": "BTC-USDT-SWAP"}),
        ("/api/v5/public/open-interest", {"instType": "SWAP", "instId": "BTC-USDT-SWAP"}),
        ("/api/v5/market/ticker", {"instId": "BTC-USDT-SWAP"}),
        ("/api/v5/public/funding-rate-history", {"instId": "ETH-USDT-SWAP"}),
        ("/api/v5/market/candles", {"instId": "BTC-USDT-SWAP"}),
        ("/api/v5/market/candles", {"instId": "BTC-USDT", "bar": "1H"}),
    ],
)
def test_unrecorded_instruments(client: httpx.Client, path: str, params: dict[str, str]) -> None:
    r = client.get(path, params=params)
    assert (r.status_code, r.json()) == (200, NO_INSTRUMENT)


def test_missing_parameter(client: httpx.Client) -> None:
    r = client.get("/api/v5/public/funding-rate")
    assert r.status_code == 400
    assert r.json() == {"code": "50014", "msg": "Parameter instId can not be empty.", "data": []}


# -- liquidation orders: the recorded WS push, never the doc example -----------------------------

LIQUIDATIONS = "/api/v5/public/liquidation-orders"


def test_liquidation_orders_answer_the_recorded_push(client: httpx.Client) -> None:
    (row,) = pushes("liquidation-orders")
    by_family = {"instType": row["instType"], "instFamily": row["instFamily"], "state": "filled"}
    assert client.get(LIQUIDATIONS, params=by_family).json() == ok([row])
    by_uly = {"instType": row["instType"], "uly": row["uly"]}
    assert client.get(LIQUIDATIONS, params=by_uly).json() == ok([row])
    by_id = {"instType": row["instType"], "instId": row["instId"], "limit": 100}
    assert client.get(LIQUIDATIONS, params=by_id).json() == ok([row])


def test_liquidation_orders_page_on_detail_time(client: httpx.Client) -> None:
    (row,) = pushes("liquidation-orders")
    ts = row["details"][0]["ts"]
    base = {"instType": row["instType"], "instFamily": row["instFamily"]}
    assert client.get(LIQUIDATIONS, params={**base, "after": int(ts) + 1}).json() == ok([row])
    assert client.get(LIQUIDATIONS, params={**base, "after": ts}).json() == ok([])
    assert client.get(LIQUIDATIONS, params={**base, "before": ts}).json() == ok([])


@pytest.mark.parametrize(
    "params",
    [
        {"instType": "SWAP", "instFamily": "BTC-USDT", "state": "filled"},
        {"instType": "SWAP", "instFamily": "XRP-USD"},  # the recorded family, other type
        {"instType": "FUTURES", "instFamily": "BTC-USD"},
        # the doc example's instrument: doc-examples are never served as market data
        {"instType": "SWAP", "instFamily": "IOST-USDT"},
    ],
)
def test_liquidation_orders_unrecorded_family(client: httpx.Client, params: dict[str, str]) -> None:
    r = client.get(LIQUIDATIONS, params=params)
    assert (r.status_code, r.json()) == (200, NO_INSTRUMENT)


def test_liquidation_orders_need_type_and_family(client: httpx.Client) -> None:
    no_type = client.get(LIQUIDATIONS, params={"instFamily": "XRP-USD"})
    assert (no_type.status_code, no_type.json()["code"]) == (400, "50014")
    no_family = client.get(LIQUIDATIONS, params={"instType": "FUTURES"})
    assert (no_family.status_code, no_family.json()["code"]) == (400, "50014")


async def test_okx_client_reads_recorded_liquidations_over_loopback(base_url: str) -> None:
    """End to end: ``OkxClient.liquidation_orders`` against the replay exchange."""
    (row,) = pushes("liquidation-orders")
    (detail,) = row["details"]
    instruments = json.loads((DATA / "okx/instruments-SWAP-2022-05-13.json").read_text())
    # the futures' ctVal is not recorded; the family's swap lists its USD face value
    (swap,) = [r for r in instruments["data"] if r["instId"] == f"{row['instFamily']}-SWAP"]
    async with httpx.AsyncClient(verify=False) as http_client:
        http = UpstreamHttp(http_client, Metrics(), {"okx": okx_venue.host_policy()})
        okx = OkxClient(http, base_url)
        got = await okx.liquidation_orders(
            row["instFamily"], float(swap["ctVal"]), inst_type=row["instType"]
        )

    (event,) = got.events
    assert (event.symbol, event.price, event.ts_ms) == (
        row["instId"],
        float(detail["bkPx"]),
        int(detail["ts"]),
    )
    assert event.notional_usd == float(detail["sz"]) * float(swap["ctVal"])
    assert got.meta.as_of_ms == int(detail["ts"])
    assert got.meta.source.startswith("okx")
