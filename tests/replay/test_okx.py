"""OKX v5 routes against the recorded files, over loopback."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

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
