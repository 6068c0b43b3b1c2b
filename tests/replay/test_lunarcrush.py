"""LunarCrush ``/api4/public/...`` routes against the recorded files, over loopback."""

from __future__ import annotations

import json

import httpx

from providers.replay import VIA

from .conftest import DATA

LC = DATA / "lunarcrush"
LIST = "/api4/public/coins/list/v2"
LIST_FILE = LC / "coins-list-v2-symbols-BTC-limit1-2025-07-23.json"


def test_coins_list_is_the_recorded_body_when_btc_is_asked(client: httpx.Client) -> None:
    for query in ({"symbols": "BTC", "limit": "1"}, {"symbols": "eth,btc"}, {}):
        r = client.get(LIST, params=query)
        assert r.status_code == 200 and r.headers["via"] == VIA
        assert r.content == LIST_FILE.read_bytes()


def test_coins_list_of_other_symbols_has_no_rows(client: httpx.Client) -> None:
    r = client.get(LIST, params={"symbols": "PEPE"})
    recorded = json.loads(LIST_FILE.read_text())
    assert r.status_code == 200
    assert r.json() == {"config": {**recorded["config"], "symbols": "PEPE"}, "data": []}


def test_per_coin_routes_serve_btc_only(client: httpx.Client) -> None:
    served = {
        "/api4/public/coins/btc/v1": "coins-btc-v1-2025-07-23.json",
        "/api4/public/coins/BTC/meta/v1": "coins-btc-meta-v1-2025-07-23.json",
        "/api4/public/coins/BTC/time-series/v2?limit=2": "coins-btc-time-series-v2-2025-07-16_23.json",
    }
    for path, name in served.items():
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.content == (LC / name).read_bytes()
    unknown = client.get("/api4/public/coins/ETH/v1")
    assert unknown.status_code == 404 and "error" in unknown.json()
    topic = client.get("/api4/public/topic/bitcoin/v1")
    assert topic.status_code == 404  # never recorded
