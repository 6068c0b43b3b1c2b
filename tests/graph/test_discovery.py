"""Discovery through the real server against the replay: call counts, pagination, sorts,
listings, CoinGecko screens and the smart-money scan.

Expected values come from what the replay serves (``replay.venue``) and the recorded files
it serves them from; no market number is typed here.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from engine.symbols import split_multiplier
from tests.support import RECORDED, STARTUP_CALLS, ApiServer, Replay, gql

INFO = "/fapi/v1/exchangeInfo"
TICKER = "/fapi/v1/ticker/24hr"
PREMIUM = "/fapi/v1/premiumIndex"
MARKETS = "/api/v3/coins/markets"
TRENDING = "/api/v3/search/trending"
EXCHANGE_INFO = RECORDED / "binance-futures/exchangeInfo-TESTNET-2025-12-24.json"
PERPETUAL_TYPES = {"PERPETUAL", "TRADIFI_PERPETUAL"}
SOURCE = "binance via perpgraph-replay"
DAY_MS = 86_400_000

UNIVERSE = """query($first: Int!, $after: String, $sort: UniverseSort!, $filter: UniverseFilter) {
  futuresUniverse(first: $first, after: $after, sort: $sort, filter: $filter) {
    totalCount withoutTicker
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { venueSymbol ticker quote lastPrice changePct quoteVolume
                          high low source stale symbol { ticker } } }
  }
}"""


def _exchange_info() -> dict[str, Any]:
    info: dict[str, Any] = json.loads(EXCHANGE_INFO.read_text())
    return info


def _trading_perpetuals() -> dict[str, dict[str, Any]]:
    return {
        s["symbol"]: s
        for s in _exchange_info()["symbols"]
        if s["contractType"] in PERPETUAL_TYPES and s["status"] == "TRADING"
    }


def _opt(row: dict[str, Any], name: str) -> float | None:
    return float(row[name]) if name in row else None


def _universe_rows(replay: Replay) -> dict[str, dict[str, Any]]:
    """The replay's 24 h rows of the TRADING perpetuals: what the universe must list."""
    perps = _trading_perpetuals()
    return {r["symbol"]: r for r in replay.venue(TICKER) if r["symbol"] in perps}


def _funding(replay: Replay) -> dict[str, float]:
    return {r["symbol"]: float(r["lastFundingRate"]) for r in replay.venue(PREMIUM)}


def _expected_order(
    rows: dict[str, dict[str, Any]], sort: str, funding: dict[str, float]
) -> list[str]:
    """An independent ordering: by the sorted value, markets without it last, ties by symbol."""

    def value(symbol: str) -> float | None:
        row = rows[symbol]
        if sort == "QUOTE_VOLUME_DESC":
            return _opt(row, "quoteVolume")
        if sort in ("GAINERS", "LOSERS"):
            return _opt(row, "priceChangePercent")
        return funding.get(symbol)

    descending = sort in ("QUOTE_VOLUME_DESC", "GAINERS", "FUNDING_HIGH")
    have = [s for s in rows if value(s) is not None]
    lack = sorted(s for s in rows if value(s) is None)
    have.sort(key=lambda s: (-(value(s) or 0.0) if descending else value(s) or 0.0, s))
    return have + lack


async def _warm(client: httpx.AsyncClient, server: ApiServer, replay: Replay) -> None:
    result = await gql(client, server.url, '{ symbol(ticker: "ETH") { ticker } }')
    assert result["data"]["symbol"]["ticker"] == "ETH"
    assert replay.calls() == STARTUP_CALLS


async def _walk(
    client: httpx.AsyncClient, server: ApiServer, sort: str, first: int, filter: Any = None
) -> tuple[list[str], list[dict[str, Any]]]:
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    after = None
    for _ in range(1000):
        result = await gql(
            client, server.url, UNIVERSE, first=first, after=after, sort=sort, filter=filter
        )
        assert "errors" not in result, result["errors"]
        page = result["data"]["futuresUniverse"]
        pages.append(page)
        seen += [e["node"]["venueSymbol"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen, pages
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("pagination did not end")


# -- futures universe -------------------------------------------------------------------------


async def test_universe_of_100_costs_one_ticker_call_and_serves_the_venues_values(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        await _warm(client, server, replay)
        result = await gql(
            client, server.url, UNIVERSE, first=100, sort="QUOTE_VOLUME_DESC", debug=True
        )
        assert replay.calls() == {**STARTUP_CALLS, TICKER: 1}
        again = await gql(client, server.url, UNIVERSE, first=100, sort="QUOTE_VOLUME_DESC")
        assert replay.calls() == {**STARTUP_CALLS, TICKER: 1}  # within the ticker TTL: none
    assert "errors" not in result, result["errors"]
    assert result["extensions"]["upstream"]["count"] == 1
    assert again["data"] == result["data"]
    rows = _universe_rows(replay)
    page = result["data"]["futuresUniverse"]
    assert rows and page["totalCount"] == len(rows)
    assert page["withoutTicker"] == len(_trading_perpetuals()) - len(rows)
    for edge in page["edges"]:
        node, row = edge["node"], rows[edge["node"]["venueSymbol"]]
        assert node["lastPrice"] == float(row["lastPrice"])
        assert node["changePct"] == _opt(row, "priceChangePercent")
        assert node["quoteVolume"] == _opt(row, "quoteVolume")
        assert (node["high"], node["low"]) == (_opt(row, "highPrice"), _opt(row, "lowPrice"))
        assert node["source"] == SOURCE and node["stale"] is False
        base = _trading_perpetuals()[node["venueSymbol"]]["baseAsset"]
        assert node["ticker"] == node["symbol"]["ticker"] == split_multiplier(base)[0]


@pytest.mark.parametrize("sort", ["QUOTE_VOLUME_DESC", "GAINERS", "LOSERS"])
async def test_walking_every_page_lists_each_perpetual_once_in_sort_order(
    api: Callable[..., ApiServer], replay: Replay, sort: str
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        seen, pages = await _walk(client, server, sort, first=1)
    rows = _universe_rows(replay)
    assert len(seen) == len(set(seen)) and set(seen) == set(rows)
    assert seen == _expected_order(rows, sort, {})
    assert len(pages) == len(rows) and all(p["totalCount"] == len(rows) for p in pages)
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [i > 0 for i in range(len(pages))]
    assert replay.calls()[INFO] == 1 and PREMIUM not in replay.calls()


@pytest.mark.parametrize("sort", ["FUNDING_HIGH", "FUNDING_LOW"])
async def test_funding_sorts_add_exactly_the_premium_index_call(
    api: Callable[..., ApiServer], replay: Replay, sort: str
) -> None:
    server = api(response_cache=False)
    query = f"""{{ futuresUniverse(first: 100, sort: {sort}) {{
        edges {{ node {{ venueSymbol fundingRate }} }} }} }}"""
    async with httpx.AsyncClient() as client:
        await _warm(client, server, replay)
        result = await gql(client, server.url, query)
        assert replay.calls() == {**STARTUP_CALLS, TICKER: 1, PREMIUM: 1}
        seen, _ = await _walk(client, server, sort, first=2)
    funding = _funding(replay)
    rows = _universe_rows(replay)
    nodes = [e["node"] for e in result["data"]["futuresUniverse"]["edges"]]
    assert [n["venueSymbol"] for n in nodes] == seen == _expected_order(rows, sort, funding)
    assert all(n["fundingRate"] == funding.get(n["venueSymbol"]) for n in nodes)


async def test_a_funding_field_on_the_nodes_is_one_premium_call_for_the_page(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = "{ futuresUniverse(first: 100) { edges { node { venueSymbol fundingRate } } } }"
    async with httpx.AsyncClient() as client:
        await _warm(client, server, replay)
        result = await gql(client, server.url, query)
    assert replay.calls() == {**STARTUP_CALLS, TICKER: 1, PREMIUM: 1}
    funding = _funding(replay)
    for edge in result["data"]["futuresUniverse"]["edges"]:
        assert edge["node"]["fundingRate"] == funding[edge["node"]["venueSymbol"]]


async def test_filters_match_an_independent_reading_of_the_replay(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    rows = _universe_rows(replay)
    changes = sorted(float(r["priceChangePercent"]) for r in rows.values())
    volumes = [float(r["quoteVolume"]) for r in rows.values() if "quoteVolume" in r]
    cases: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
        (
            {"minChangePct": changes[len(changes) // 2]},
            lambda r: float(r["priceChangePercent"]) >= changes[len(changes) // 2],
        ),
        ({"maxChangePct": changes[0]}, lambda r: float(r["priceChangePercent"]) <= changes[0]),
        (
            {"minQuoteVolumeUsd": min(volumes)},
            lambda r: "quoteVolume" in r and float(r["quoteVolume"]) >= min(volumes),
        ),
        ({"quote": "usdc"}, lambda r: r["symbol"].endswith("USDC")),
    ]
    async with httpx.AsyncClient() as client:
        for filter, keep in cases:
            seen, pages = await _walk(client, server, "GAINERS", first=2, filter=filter)
            expected = {s for s, r in rows.items() if keep(r)}
            assert set(seen) == expected and len(seen) == len(expected), filter
            assert pages[0]["totalCount"] == len(expected)
    assert replay.calls()[TICKER] >= 1 and PREMIUM not in replay.calls()


async def test_bad_limits_and_cursors_are_coded_and_cost_nothing(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        await _warm(client, server, replay)
        over = await gql(client, server.url, "{ futuresUniverse(first: 101) { totalCount } }")
        zero = await gql(client, server.url, "{ futuresUniverse(first: 0) { totalCount } }")
        junk = await gql(
            client, server.url, '{ futuresUniverse(after: "not-a-cursor") { totalCount } }'
        )
        deep = base64.urlsafe_b64encode(b"[" * 5000).decode()  # 6.7 kB, under the body limit
        hostile = await gql(
            client, server.url, f'{{ futuresUniverse(after: "{deep}") {{ totalCount }} }}'
        )
        assert replay.calls() == STARTUP_CALLS
        first = await gql(client, server.url, UNIVERSE, first=1, sort="GAINERS")
        cursor = first["data"]["futuresUniverse"]["pageInfo"]["endCursor"]
        other = await gql(client, server.url, UNIVERSE, first=1, sort="LOSERS", after=cursor)
    for result, code in (
        (over, "BAD_LIMIT"),
        (zero, "BAD_LIMIT"),
        (junk, "BAD_CURSOR"),
        (hostile, "BAD_CURSOR"),
        (other, "BAD_CURSOR"),
    ):
        assert result["data"]["futuresUniverse"] is None
        assert [e["extensions"]["code"] for e in result["errors"]] == [code]


# -- new listings -----------------------------------------------------------------------------


async def test_new_listings_at_the_recorded_time_are_the_recent_perpetuals(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    info = _exchange_info()
    as_of_ms = info["serverTime"]
    as_of = datetime.fromtimestamp(as_of_ms / 1000, tz=UTC).isoformat()
    expected = sorted(
        (
            s
            for s in info["symbols"]
            if s["contractType"] in PERPETUAL_TYPES
            and as_of_ms - 30 * DAY_MS <= s.get("onboardDate", -1) <= as_of_ms
        ),
        key=lambda s: (-s["onboardDate"], s["symbol"]),
    )
    query = """query($asOf: DateTime) { newListings(asOf: $asOf) {
        referenceTime withinDays source
        listings { venueSymbol status listedAt ageDays symbol { ticker }
                   stats24h { lastPrice } } } }"""
    async with httpx.AsyncClient() as client:
        await _warm(client, server, replay)
        result = await gql(client, server.url, query, asOf=as_of)
    assert expected, "the recording has listings in its last 30 days"
    got = result["data"]["newListings"]
    assert got["withinDays"] == 30 and got["source"] == SOURCE
    assert datetime.fromisoformat(got["referenceTime"]).timestamp() * 1000 == as_of_ms
    assert [x["venueSymbol"] for x in got["listings"]] == [s["symbol"] for s in expected]
    assert [x["status"] for x in got["listings"]] == [s["status"] for s in expected]
    served = {r["symbol"] for r in replay.venue(TICKER)}
    errors = {tuple(e["path"]): e["extensions"]["code"] for e in result.get("errors", [])}
    for i, (row, s) in enumerate(zip(got["listings"], expected, strict=True)):
        listed_ms = datetime.fromisoformat(row["listedAt"]).timestamp() * 1000
        assert listed_ms == s["onboardDate"]
        assert row["ageDays"] == pytest.approx((as_of_ms - s["onboardDate"]) / DAY_MS)
        assert (row["symbol"] is not None) == (s["status"] == "TRADING")
        if s["symbol"] not in served:  # no 24 h statistics recorded: null, and said so
            assert row["stats24h"] is None
            assert errors[("newListings", "listings", i, "stats24h")] == "NO_DATA"
    # the statistics of the whole list cost one all-symbol ticker call at most
    assert replay.calls()[TICKER] <= 2  # the second is this test's own look at the replay


async def test_new_listings_default_to_now_and_check_the_window(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = "{ newListings(withinDays: 365) { referenceTime listings { listedAt } } }"
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
        bad = await gql(client, server.url, "{ newListings(withinDays: 0) { withinDays } }")
    got = result["data"]["newListings"]
    now = datetime.fromisoformat(got["referenceTime"])
    assert abs(now.timestamp() - datetime.now(UTC).timestamp()) < 60
    for row in got["listings"]:
        age = now - datetime.fromisoformat(row["listedAt"])
        assert 0 <= age.total_seconds() <= 365 * 86_400
    assert [e["extensions"]["code"] for e in bad["errors"]] == ["BAD_LIMIT"]


# -- CoinGecko --------------------------------------------------------------------------------


def _binance_usdt_listing() -> dict[str, set[str]]:
    """Binance USDT perpetuals (TRADING) by asset: what a coin's symbol can link to."""
    out: dict[str, set[str]] = {}
    for s in _trading_perpetuals().values():
        if s["quoteAsset"] == "USDT":
            out.setdefault(split_multiplier(s["baseAsset"])[0], set()).add(s["symbol"])
    return out


def _check_futures_link(coin: dict[str, Any], symbol: str) -> None:
    listed = _binance_usdt_listing().get(symbol.upper())
    if listed is None:
        assert coin["futuresTicker"] is None and coin["futures"] is None
    else:
        assert coin["futuresTicker"] in listed
        assert coin["futures"]["ticker"] == symbol.upper()


COINS = """query($cap: Float, $vol: Float, $first: Int!) {
  discoverCoins(maxMarketCapUsd: $cap, minVolumeUsd: $vol, first: $first) {
    source scanned page smallestMarketCapScannedUsd
    coins { coinId symbol name marketCapRank priceUsd marketCapUsd fullyDilutedValuationUsd
            volume24hUsd volumeToMarketCap circulatingSupply totalSupply maxSupply
            priceChange24hPct priceChange1hPct futuresTicker futures { ticker } } } }"""


async def test_discover_coins_screens_the_served_page_and_links_binance(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        await _warm(client, server, replay)
        everything = await gql(client, server.url, COINS, first=250)
        assert replay.calls() == {**STARTUP_CALLS, MARKETS: 1}
        recorded = replay.venue(MARKETS, vs_currency="usd", per_page="250")
        caps = sorted(r["market_cap"] for r in recorded if r["market_cap"] is not None)
        vols = sorted(r["total_volume"] for r in recorded if r["total_volume"] is not None)
        cap, vol = caps[len(caps) // 2], vols[len(vols) // 4]
        screened = await gql(client, server.url, COINS, cap=cap, vol=vol, first=250)
        few = await gql(client, server.url, COINS, cap=cap, vol=vol, first=3)
    assert replay.calls()[MARKETS] == 2  # the second is this test's own look at the replay
    assert "errors" not in everything and "errors" not in screened
    got = everything["data"]["discoverCoins"]
    assert got["scanned"] == len(recorded) and got["page"] == 1
    assert got["smallestMarketCapScannedUsd"] == caps[0]
    assert got["source"] == "coingecko via perpgraph-replay"
    assert [c["coinId"] for c in got["coins"]] == [r["id"] for r in recorded]
    for coin, row in zip(got["coins"], recorded, strict=True):
        assert coin["priceUsd"] == row["current_price"]
        assert coin["marketCapUsd"] == row["market_cap"]
        assert coin["fullyDilutedValuationUsd"] == row["fully_diluted_valuation"]
        assert coin["volume24hUsd"] == row["total_volume"]
        assert coin["circulatingSupply"] == row["circulating_supply"]
        assert coin["totalSupply"] == row["total_supply"]
        assert coin["maxSupply"] == row["max_supply"]
        assert coin["priceChange24hPct"] == row["price_change_percentage_24h"]
        assert coin["priceChange1hPct"] == row["price_change_percentage_1h_in_currency"]
        if row["market_cap"]:
            assert coin["volumeToMarketCap"] == pytest.approx(
                row["total_volume"] / row["market_cap"]
            )
        _check_futures_link(coin, row["symbol"])
    assert any(c["futuresTicker"] for c in got["coins"])
    kept = [
        r["id"]
        for r in recorded
        if r["market_cap"] is not None
        and r["market_cap"] <= cap
        and r["total_volume"] is not None
        and r["total_volume"] >= vol
    ]
    assert 0 < len(kept) < len(recorded)
    assert [c["coinId"] for c in screened["data"]["discoverCoins"]["coins"]] == kept
    assert [c["coinId"] for c in few["data"]["discoverCoins"]["coins"]] == kept[:3]


async def test_trending_is_what_coingecko_served(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    query = """{ trending { source coins { coinId symbol name position marketCapRank
        priceUsd priceBtc priceChange24hPct futuresTicker futures { ticker } } } }"""
    async with httpx.AsyncClient() as client:
        await _warm(client, server, replay)
        result = await gql(client, server.url, query)
        assert replay.calls() == {**STARTUP_CALLS, TRENDING: 1}
    assert "errors" not in result, result["errors"]
    items = sorted((c["item"] for c in replay.venue(TRENDING)["coins"]), key=lambda i: i["score"])
    coins = result["data"]["trending"]["coins"]
    assert [c["coinId"] for c in coins] == [i["id"] for i in items]
    for coin, item in zip(coins, items, strict=True):
        assert (coin["name"], coin["symbol"], coin["position"]) == (
            item["name"],
            item["symbol"],
            item["score"],
        )
        assert coin["marketCapRank"] == item.get("market_cap_rank")
        assert coin["priceUsd"] == item["data"]["price"]
        assert coin["priceBtc"] == item["price_btc"]
        assert coin["priceChange24hPct"] == item["data"]["price_change_percentage_24h"]["usd"]
        _check_futures_link(coin, item["symbol"])


async def test_a_coingecko_fault_nulls_only_its_field(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    replay.fault(route=MARKETS, mode="status", status=503)
    query = """{ discoverCoins { scanned } trending { coins { coinId } }
                 futuresUniverse(first: 5) { totalCount } }"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    data = result["data"]
    assert data["discoverCoins"] is None
    assert data["trending"]["coins"] and data["futuresUniverse"]["totalCount"] > 0
    assert [
        (e["path"], e["extensions"]["code"], e["extensions"]["provider"]) for e in result["errors"]
    ] == [(["discoverCoins"], "UPSTREAM_ERROR", "coingecko")]


# -- smart money scan -------------------------------------------------------------------------

SCAN = """query($criteria: SmartMoneyCriteria, $first: Int!) {
  smartMoneyScan(criteria: $criteria, first: $first) {
    scanned period points direction
    candidates { rank ticker venueSymbol bias score weightedScore coveragePct missingFactors
                 errorCode symbol { ticker }
                 factors { name weight present value contribution detail code source } } } }"""
FACTORS = ["TOP_TRADERS", "OPEN_INTEREST", "TAKER_FLOW", "ORDERBOOK_WALLS"]


async def test_scan_reports_every_missing_factor_with_its_code_instead_of_guessing(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        await _warm(client, server, replay)
        result = await gql(client, server.url, SCAN, first=20)
    assert "errors" not in result, result["errors"]
    scan = result["data"]["smartMoneyScan"]
    rows = _universe_rows(replay)
    usdt = {s: r for s, r in rows.items() if s.endswith("USDT")}
    assert scan["scanned"] == len(usdt)
    assert [c["venueSymbol"] for c in scan["candidates"]] == _expected_order(
        usdt, "QUOTE_VOLUME_DESC", {}
    )  # nothing scored: the volume order is kept
    for i, c in enumerate(scan["candidates"]):
        assert c["rank"] == i + 1 and c["errorCode"] is None
        assert c["ticker"] == c["symbol"]["ticker"]
        # the replay records no ratios, OI history, taker volume, nor these books
        assert c["missingFactors"] == FACTORS
        assert [(f["name"], f["present"], f["code"]) for f in c["factors"]] == [
            (name, False, "NO_DATA") for name in FACTORS
        ]
        assert (c["score"], c["weightedScore"], c["coveragePct"], c["bias"]) == (
            None,
            None,
            0.0,
            "NEUTRAL",
        )
    calls = replay.calls()
    for path in (
        "/futures/data/topLongShortPositionRatio",
        "/futures/data/openInterestHist",
        "/futures/data/takerlongshortRatio",
        "/fapi/v1/depth",
    ):
        assert calls[path] == len(usdt), path
    assert calls[TICKER] == 2  # the scan's one call and this test's look at the replay


def _walls_value(book: dict[str, Any]) -> float:
    """Independent reading: a wall is a level over 5x its side's average quantity."""

    def notional(side: list[list[str]]) -> float:
        qty = [float(q) for _, q in side]
        bar = 5 * sum(qty) / len(qty)
        return sum(float(p) * float(q) for p, q in side if float(q) > bar)

    bid, ask = notional(book["bids"]), notional(book["asks"])
    return 0.0 if bid + ask == 0 else (bid - ask) / (bid + ask)


async def test_scan_of_named_tickers_scores_what_is_recorded(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    criteria = {"tickers": ["SUSHI", "NOSUCHCOINXYZ"]}
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, SCAN, criteria=criteria, first=5)
    assert "errors" not in result, result["errors"]
    sushi, unknown = result["data"]["smartMoneyScan"]["candidates"]
    assert unknown["ticker"] == "NOSUCHCOINXYZ" and unknown["errorCode"] == "UNKNOWN_SYMBOL"
    assert unknown["factors"] == [] and unknown["symbol"] is None
    assert unknown["venueSymbol"] is None
    assert sushi["symbol"]["ticker"] == sushi["ticker"] == "SUSHI"
    assert sushi["venueSymbol"] == "SUSHIUSDT"
    walls = next(f for f in sushi["factors"] if f["name"] == "ORDERBOOK_WALLS")
    expected = _walls_value(replay.venue("/fapi/v1/depth", symbol="SUSHIUSDT", limit="100"))
    assert walls["present"] and walls["code"] is None and walls["source"] == SOURCE
    assert walls["value"] == pytest.approx(expected)
    assert walls["contribution"] == pytest.approx(walls["weight"] * expected)
    assert sushi["missingFactors"] == FACTORS[:3]
    assert sushi["coveragePct"] == walls["weight"]
    assert sushi["score"] == pytest.approx(100 * expected)
    assert sushi["weightedScore"] == pytest.approx(walls["weight"] * expected)
    assert sushi["bias"] == "NEUTRAL"  # below the coverage needed for a bias
    assert math.isfinite(sushi["score"])


async def test_scan_arguments_are_checked_before_any_call(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    cases = [
        ({}, 21, "BAD_LIMIT"),
        ({"candidates": 21}, 5, "BAD_LIMIT"),
        ({"period": "7m"}, 5, "BAD_PERIOD"),
        ({"points": 1}, 5, "BAD_LIMIT"),
        ({"tickers": []}, 5, "BAD_LIMIT"),
    ]
    async with httpx.AsyncClient() as client:
        await _warm(client, server, replay)
        for criteria, first, code in cases:
            result = await gql(client, server.url, SCAN, criteria=criteria, first=first)
            assert result["data"]["smartMoneyScan"] is None, criteria
            assert [e["extensions"]["code"] for e in result["errors"]] == [code], criteria
    assert replay.calls() == STARTUP_CALLS
