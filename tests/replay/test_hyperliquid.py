"""Hyperliquid ``POST /info`` against the recorded files, over loopback."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from providers.replay import VIA

from .conftest import DATA, recorded_json

HL = DATA / "hyperliquid"
USER = "0x5e9ee1089755c3435139848e47e6635505d5a13a"  # the recorded account (PROVENANCE)
UNREADABLE = "Failed to deserialize the JSON body into the target type"


def info(client: httpx.Client, body: Any) -> httpx.Response:
    return client.post("/info", json=body)


@pytest.mark.parametrize(
    ("body", "recorded"),
    [
        ({"type": "meta"}, "meta-2023-07-17.json"),
        ({"type": "meta", "dex": ""}, "meta-2023-07-17.json"),
        ({"type": "allMids"}, "allMids-2023-07-17.json"),
        ({"type": "l2Book", "coin": "DYDX"}, "l2Book-DYDX-2023-07-17.json"),
        ({"type": "l2Book", "coin": "BTC", "nSigFigs": None}, "l2Book-BTC-sample-5levels.json"),
        ({"type": "clearinghouseState", "user": USER}, "clearinghouseState-2023-03-27.json"),
        (
            {"type": "clearinghouseState", "user": USER.upper().replace("0X", "0x")},
            "clearinghouseState-2023-03-27.json",
        ),
    ],
)
def test_recorded_bodies_byte_for_byte(client: httpx.Client, body: Any, recorded: str) -> None:
    r = info(client, body)

    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.headers["via"] == VIA
    assert r.content == (HL / recorded).read_bytes()


def test_candles_are_the_recorded_rows_overlapping_the_window(client: httpx.Client) -> None:
    rows = recorded_json("hyperliquid/candleSnapshot-kPEPE-1h-2023-05-21.json")

    def snapshot(start: int, end: int | None) -> Any:
        req: dict[str, Any] = {"coin": "kPEPE", "interval": "1h", "startTime": start}
        if end is not None:
            req["endTime"] = end
        r = info(client, {"type": "candleSnapshot", "req": req})
        assert r.status_code == 200
        return json.loads(r.content, parse_float=lambda text: text)

    # the recorded request's window gives back the whole recording (PROVENANCE)
    assert snapshot(1684702007000, 1684784807000) == rows
    assert snapshot(0, None) == rows
    # a candle is in when it overlaps the window: the one open at startTime counts
    third = rows[2]
    assert snapshot(third["t"] + 1, third["t"] + 1) == [third]
    assert snapshot(rows[-1]["T"] + 1, None) == []
    assert snapshot(0, rows[0]["t"] - 1) == []


def test_funding_history_joins_both_recordings_and_pages_at_500(client: httpx.Client) -> None:
    old = recorded_json("hyperliquid/fundingHistory-BTC-from-2023-04-19.json")
    new = recorded_json("hyperliquid/fundingHistory-BTC-sample-2026-02.json")

    def history(**fields: int) -> Any:
        r = info(client, {"type": "fundingHistory", "coin": "BTC", **fields})
        return json.loads(r.content, parse_float=lambda text: text)

    assert history(startTime=0) == old[:500]
    assert history(startTime=new[0]["time"]) == new  # the third row has no premium, as recorded
    assert "premium" not in history(startTime=new[2]["time"])[0]
    window = history(startTime=old[10]["time"], endTime=old[12]["time"])
    assert window == old[10:13]


@pytest.mark.parametrize(
    "body",
    [
        {"type": "l2Book", "coin": "NOPE"},
        {"type": "l2Book", "coin": "DYDX", "nSigFigs": 3},  # aggregated books: not recorded
        {"type": "candleSnapshot", "req": {"coin": "BTC", "interval": "1h", "startTime": 0}},
        {"type": "candleSnapshot", "req": {"coin": "kPEPE", "interval": "1d", "startTime": 0}},
        {"type": "clearinghouseState", "user": "0x" + "ab" * 20},
        {"type": "fundingHistory", "coin": "ETH", "startTime": 0},
        {"type": "meta", "dex": "xyz"},
        {"type": "allMids", "dex": "xyz"},
        # no real recording of these two; the metaAndAssetCtxs doc example is never served
        {"type": "metaAndAssetCtxs"},
        {"type": "recentTrades", "coin": "BTC"},
    ],
)
def test_unrecorded_answers_null(client: httpx.Client, body: Any) -> None:
    r = info(client, body)

    assert (r.status_code, r.content) == (200, b"null")


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b"[]",
        b'{"coin": "BTC"}',
        b'{"type": "noSuchType"}',
        b'{"type": "l2Book"}',
        b'{"type": "l2Book", "coin": 7}',
        b'{"type": "clearinghouseState", "user": "0x123"}',
        b'{"type": "candleSnapshot", "req": {"coin": "kPEPE", "interval": "2m", "startTime": 0}}',
        b'{"type": "candleSnapshot", "req": {"coin": "kPEPE", "interval": "1h", "startTime": "0"}}',
        b'{"type": "candleSnapshot", "coin": "kPEPE", "interval": "1h", "startTime": 0}',
    ],
)
def test_unreadable_bodies_answer_422_in_plain_text(client: httpx.Client, content: bytes) -> None:
    r = client.post("/info", content=content, headers={"content-type": "application/json"})

    assert r.status_code == 422
    assert r.text == UNREADABLE
    assert r.headers["content-type"].startswith("text/plain")


def test_info_is_post_only(client: httpx.Client) -> None:
    r = client.get("/info")

    assert r.status_code == 404
    assert r.json() == {"error": "Not Found"}


def test_calls_and_faults_on_info(client: httpx.Client) -> None:
    body = {"type": "l2Book", "coin": "DYDX"}
    admin_rule = {"route": "/info", "mode": "status", "status": 429, "retry_after_s": 3, "times": 1}
    assert client.post("/_replay/faults", json=admin_rule).status_code == 200

    limited = info(client, body)
    served = info(client, body)

    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert served.content == (HL / "l2Book-DYDX-2023-07-17.json").read_bytes()
    assert client.get("/_replay/calls").json() == {"/info": 2}
