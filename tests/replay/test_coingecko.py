"""CoinGecko ``/api/v3/...`` routes against the recorded files, over loopback."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from providers.replay import VIA

from .conftest import DATA

CG = DATA / "coingecko"
MARKETS = "/api/v3/coins/markets"


def recorded(name: str) -> Any:
    return json.loads((CG / name).read_text(encoding="utf-8"))


ROWS: list[dict[str, Any]] = recorded("coins-markets-250-2026-03-20.json")


def markets(client: httpx.Client, **query: Any) -> httpx.Response:
    return client.get(MARKETS, params={"vs_currency": "usd", **query})


def test_trending_byte_for_byte(client: httpx.Client) -> None:
    r = client.get("/api/v3/search/trending")

    assert r.status_code == 200
    assert r.headers["via"] == VIA
    assert r.content == (CG / "search-trending-2026-03-20.json").read_bytes()


def test_markets_pages_are_the_recorded_rows(client: httpx.Client) -> None:
    # the recording's own request (PROVENANCE): the whole file
    whole = markets(client, order="market_cap_desc", per_page=250, page=1)
    assert whole.status_code == 200
    assert whole.json() == ROWS
    assert markets(client).json() == ROWS[:100]  # CoinGecko's default page size
    assert markets(client, per_page=7, page=3).json() == ROWS[14:21]
    assert markets(client, per_page=1000).json() == ROWS  # per_page is capped at 250
    assert markets(client, per_page=250, page=2).json() == []  # past the recording


def test_markets_ids_keep_the_recorded_rows_of_those_ids(client: httpx.Client) -> None:
    wanted = [ROWS[5]["id"], ROWS[0]["id"]]

    got = markets(client, ids=",".join(wanted)).json()

    assert got == [ROWS[0], ROWS[5]]  # in ranking order
    assert markets(client, ids="no-such-coin").json() == []


@pytest.mark.parametrize(
    "query",
    [
        {"category": "layer-1"},  # no category was recorded
        {"order": "volume_desc"},
        {"vs_currency": "eur"},
    ],
)
def test_unrecorded_selections_answer_empty(client: httpx.Client, query: dict[str, str]) -> None:
    r = markets(client, **query)

    assert (r.status_code, r.json()) == (200, [])


def test_the_eur_priced_recording_is_never_served(client: httpx.Client) -> None:
    eur_rows = recorded("coins-markets-30-2025-03-04.json")
    served = markets(client, per_page=30).json()

    assert [r["current_price"] for r in served] != [r["current_price"] for r in eur_rows]
    assert served == ROWS[:30]


def test_markets_parameters(client: httpx.Client) -> None:
    missing = client.get(MARKETS)
    assert (missing.status_code, missing.json()) == (
        400,
        {"error": "Missing parameter vs_currency"},
    )
    for bad in ({"page": "0"}, {"per_page": "x"}):
        r = markets(client, **bad)
        assert r.status_code == 400 and "error" in r.json()


def test_coin_by_id_is_the_recorded_body_or_unknown(client: httpx.Client) -> None:
    r = client.get("/api/v3/coins/bitcoin", params={"market_data": "true"})
    assert r.status_code == 200
    assert r.content == (CG / "coins-bitcoin-full-tickers-2023-07-16.json").read_bytes()
    r = client.get("/api/v3/coins/no-such-coin", params={"market_data": "true"})
    assert (r.status_code, r.json()) == (404, {"error": "coin not found"})


def test_second_batch_bodies_are_served_byte_for_byte(client: httpx.Client) -> None:
    served = {
        "/api/v3/coins/categories": "coins-categories-2025-09-06.json",
        "/api/v3/coins/list": "coins-list-2026-05-12.json",
        "/api/v3/coins/ethereum/market_chart?vs_currency=usd&days=30": (
            "market_chart-ethereum-usd-days30-2023-06-09.json"
        ),
    }
    for path, name in served.items():
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.content == (CG / name).read_bytes()
    other_span = client.get("/api/v3/coins/bitcoin/market_chart?vs_currency=usd&days=7")
    assert other_span.status_code == 404


def test_markets_by_symbols_keeps_the_recorded_rows_of_those_symbols(
    client: httpx.Client,
) -> None:
    wanted = {ROWS[0]["symbol"], ROWS[7]["symbol"]}
    r = markets(client, symbols=",".join(s.upper() for s in wanted), per_page="250")
    assert r.status_code == 200
    assert r.json() == [row for row in ROWS if row["symbol"] in wanted]


def test_unknown_path_is_404(client: httpx.Client) -> None:
    r = client.get("/api/v3/simple/price", params={"ids": "bitcoin", "vs_currencies": "usd"})

    assert r.status_code == 404
    assert r.json() == {"error": "Not Found"}


def test_calls_and_faults(client: httpx.Client) -> None:
    rule = {"route": MARKETS, "mode": "status", "status": 429, "retry_after_s": 30, "times": 1}
    assert client.post("/_replay/faults", json=rule).status_code == 200

    limited = markets(client)
    served = markets(client)

    assert (limited.status_code, limited.headers["retry-after"]) == (429, "30")
    assert served.json() == ROWS[:100]
    assert client.get("/_replay/calls").json() == {MARKETS: 2}
