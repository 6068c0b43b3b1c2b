"""``mss`` through the real server against the replay: each phase fetches only its own data
(upstream call counts at the replay), values are the recorded ones, a missing key or a
source without data shrinks the maximum and is reported, and bad input is a coded error."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from tests.support import RECORDED, STARTUP_CALLS, ApiServer, Replay, gql

MARKETS = "/api/v3/coins/markets"
COINS_LIST = "/api4/public/coins/list/v2"
TAKER = "/futures/data/takerlongshortRatio"
OI_HIST = "/futures/data/openInterestHist"
TOP = "/futures/data/topLongShortPositionRatio"
DEPTH = "/fapi/v1/depth"
KEY = "lc-test-key-not-real"

PHASE = (
    "points maxPoints nominalMax passed missing criteria { key state value points source reason }"
)
FULL = f"""{{ mss(ticker: "%s") {{ ticker score points maxPoints tier allPhasesPassed
  discovery {{ {PHASE} }} social {{ {PHASE} }} institutional {{ {PHASE} }}
  quality {{ scorePct sufficient sources {{ name tier state code }} }} }} }}"""


def _recorded_market(symbol: str) -> dict[str, Any]:
    rows = json.loads((RECORDED / "coingecko/coins-markets-250-2026-03-20.json").read_text())
    return next(r for r in rows if r["symbol"] == symbol)


def _criteria(phase: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["key"]: c for c in phase["criteria"]}


async def _ask(server: ApiServer, query: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as client:
        return await gql(client, server.url, query)


async def test_discovery_alone_fetches_no_social_or_institutional_data(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False, lunarcrush_api_key=KEY)
    result = await _ask(server, f'{{ mss(ticker: "BTC") {{ discovery {{ {PHASE} }} }} }}')
    assert "errors" not in result, result
    assert replay.calls() == {**STARTUP_CALLS, MARKETS: 1}
    discovery = _criteria(result["data"]["mss"]["discovery"])
    market = _recorded_market("btc")
    assert discovery["fdv"]["value"] == market["fully_diluted_valuation"]
    assert discovery["fdv"]["points"] == 0  # over 500 M
    assert discovery["supply"]["value"] == round(
        100 * market["circulating_supply"] / market["max_supply"], 6
    )
    assert discovery["age"]["source"] == "binance via perpgraph-replay"
    assert discovery["fdv"]["source"] == "coingecko via perpgraph-replay"


async def test_social_alone_fetches_lunarcrush_and_taker_volume_only(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False, lunarcrush_api_key=KEY)
    result = await _ask(server, f'{{ mss(ticker: "BTC") {{ social {{ {PHASE} }} }} }}')
    assert "errors" not in result, result
    assert replay.calls() == {**STARTUP_CALLS, COINS_LIST: 1, TAKER: 1}
    social = _criteria(result["data"]["mss"]["social"])
    row = json.loads(
        (RECORDED / "lunarcrush/coins-list-v2-symbols-BTC-limit1-2025-07-23.json").read_text()
    )["data"][0]
    assert social["galaxy_score"]["value"] == row["galaxy_score"]
    assert social["alt_rank"]["value"] == row["alt_rank"]
    assert social["sentiment"]["value"] == row["sentiment"]
    # galaxy 40.8 -> 2, AltRank 749 -> 0, 213,865 posts -> 6, sentiment 80 -> 6
    assert [
        social[k]["points"] for k in ("galaxy_score", "alt_rank", "social_volume", "sentiment")
    ] == [2, 0, 6, 6]
    # the replay has no Binance taker volume for BTC: left out, not scored 0
    assert social["buy_pressure"]["state"] == "NO_DATA" and social["buy_pressure"]["points"] is None
    phase = result["data"]["mss"]["social"]
    assert (
        phase["maxPoints"] == 30 and phase["points"] == 14 and phase["missing"] == ["buy_pressure"]
    )


async def test_the_whole_score_fetches_each_source_once(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False, lunarcrush_api_key=KEY)
    result = await _ask(server, FULL % "BTC")
    assert "errors" not in result, result
    assert replay.calls() == {
        **STARTUP_CALLS, MARKETS: 1, COINS_LIST: 1, TAKER: 1, OI_HIST: 1, TOP: 1, DEPTH: 1,
    }  # fmt: skip
    mss = result["data"]["mss"]
    phases = [mss[p] for p in ("discovery", "social", "institutional")]
    assert mss["points"] == sum(p["points"] for p in phases)
    assert mss["maxPoints"] == sum(p["maxPoints"] for p in phases)
    assert mss["score"] == round(100 * mss["points"] / mss["maxPoints"], 2)
    # no Binance futures statistics or BTC book were recorded: the phase has nothing to score
    institutional = mss["institutional"]
    assert institutional["maxPoints"] == 0 and institutional["passed"] is None
    states = {s["name"]: (s["state"], s["code"]) for s in mss["quality"]["sources"]}
    assert states["open_interest"] == ("FAILED", "NO_DATA")
    assert states["social"] == ("OK", None)


async def test_without_the_lunarcrush_key_social_is_not_configured_and_not_scored_zero(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    result = await _ask(server, FULL % "BTC")
    assert "errors" not in result, result
    assert COINS_LIST not in replay.calls()
    mss = result["data"]["mss"]
    social = _criteria(mss["social"])
    assert {
        social[k]["state"] for k in ("galaxy_score", "alt_rank", "social_volume", "sentiment")
    } == {"NOT_CONFIGURED"}
    assert "PERPGRAPH_LUNARCRUSH_API_KEY" in social["galaxy_score"]["reason"]
    assert mss["social"]["maxPoints"] == 0  # and buy pressure had no data either
    states = {s["name"]: s["state"] for s in mss["quality"]["sources"]}
    assert states["social"] == "NOT_CONFIGURED"


async def test_a_book_with_walls_scores_the_walls_criterion(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    """SUSHIUSDT is the replay's recorded book (2021-07-22) that Binance lists there."""
    server = api(response_cache=False)
    result = await _ask(server, f'{{ mss(ticker: "SUSHI") {{ institutional {{ {PHASE} }} }} }}')
    assert "errors" not in result, result
    walls = _criteria(result["data"]["mss"]["institutional"])["walls"]
    assert walls["state"] == "SCORED" and -1 <= walls["value"] <= 1
    assert walls["source"] == "binance via perpgraph-replay"


async def test_symbol_mss_and_mss_info(api: Callable[..., ApiServer], replay: Replay) -> None:
    server = api(response_cache=False)
    result = await _ask(
        server,
        '{ symbol(ticker: "BTC") { mss { ticker discovery { maxPoints } } } '
        "mssInfo { phases phaseMax passMarksPct minQualityPct tiers criteria { key phase maxPoints bands } } }",
    )
    assert "errors" not in result, result
    assert result["data"]["symbol"]["mss"]["ticker"] == "BTC"
    info = result["data"]["mssInfo"]
    assert info["phases"] == ["DISCOVERY", "SOCIAL", "INSTITUTIONAL"]
    assert info["phaseMax"] == [30, 35, 35]
    assert len(info["criteria"]) == 12
    fdv = next(c for c in info["criteria"] if c["key"] == "fdv")
    assert (
        fdv["bands"] == "<= 20,000,000: 12, <= 50,000,000: 9, <= 100,000,000: 6, <= 500,000,000: 3"
    )


async def test_an_unknown_ticker_is_a_coded_error(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    result = await _ask(server, '{ mss(ticker: "NOSUCHCOIN") { score } }')
    assert result["data"] == {"mss": None}
    assert result["errors"][0]["extensions"]["code"] == "UNKNOWN_SYMBOL"


SCAN = """{ mssScan(tickers: ["BTC", "ETH", "SOL", "NOSUCHCOIN"]) { scanned minScore
  entries { rank ticker venueSymbol errorCode mss { score points maxPoints tier } } } }"""


async def test_a_scan_shares_coingecko_and_lunarcrush_and_ranks_by_score(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False, lunarcrush_api_key=KEY)
    result = await _ask(server, SCAN)
    assert "errors" not in result, result
    calls = replay.calls()
    # one CoinGecko and one LunarCrush call for the three coins; Binance's statistics and
    # book per coin
    assert calls[MARKETS] == 1 and calls[COINS_LIST] == 1
    assert [calls[p] for p in (TAKER, OI_HIST, TOP, DEPTH)] == [3, 3, 3, 3]
    scan = result["data"]["mssScan"]
    assert scan["scanned"] == 4
    entries = scan["entries"]
    scores = [e["mss"]["score"] for e in entries if e["mss"] and e["mss"]["score"] is not None]
    assert scores == sorted(scores, reverse=True) and len(scores) == 3
    last = entries[-1]
    assert (last["ticker"], last["errorCode"], last["mss"]) == (
        "NOSUCHCOIN",
        "UNKNOWN_SYMBOL",
        None,
    )
    assert [e["rank"] for e in entries] == [1, 2, 3, 4]


async def test_a_scan_minimum_leaves_out_lower_and_unscored_coins(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    scan = SCAN.replace('"SOL"', '"SUSHI"')  # SUSHI: only its book and listing age score
    everything = await _ask(server, scan)
    scores = [e["mss"]["score"] for e in everything["data"]["mssScan"]["entries"] if e["mss"]]
    cut = min(s for s in scores if s is not None) + 0.01  # above the lowest score
    result = await _ask(server, scan.replace("mssScan(", f"mssScan(minScore: {cut}, "))
    kept = result["data"]["mssScan"]["entries"]
    assert kept and all(e["mss"]["score"] >= cut for e in kept)
    scored = [s for s in scores if s is not None]
    assert len(kept) == len([s for s in scored if s >= cut]) < len(scored)


async def test_scan_arguments_are_checked_before_any_call(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    bad = {
        "mssScan(first: 0)": "BAD_LIMIT",
        "mssScan(candidates: 51)": "BAD_LIMIT",
        "mssScan(minScore: 101)": "BAD_SCORE",
        f"mssScan(tickers: [{', '.join(f'{chr(34)}T{i}{chr(34)}' for i in range(51))}])": "BAD_LIMIT",
    }
    for call, code in bad.items():
        result = await _ask(server, f"{{ {call} {{ scanned }} }}")
        assert result["errors"][0]["extensions"]["code"] == code, (call, result)
    assert replay.calls() == STARTUP_CALLS


async def test_the_mss_is_priced_before_it_runs(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    """A whole MSS is 10 points a coin (Binance's weights, CoinGecko, LunarCrush) and the
    exchange info once; a scan is priced for every candidate it scores, whatever is selected
    below it (591 points for 50). 49 coins beside a scan of 50 pass the default maximum of
    1,000 and are refused before any upstream call."""
    server = api(response_cache=False)
    coins = " ".join(f'c{i}: mss(ticker: "T{i}") {{ score }}' for i in range(49))
    refused = await _ask(server, f"{{ {coins} s: mssScan(candidates: 50) {{ scanned }} }}")
    assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY", refused["errors"][0]
    assert replay.calls() == STARTUP_CALLS
    async with httpx.AsyncClient(timeout=30) as client:
        one = await gql(client, server.url, '{ mss(ticker: "BTC") { discovery { points } } }')
        scan = await gql(client, server.url, "{ mssScan(candidates: 50) { scanned } }")
    assert "errors" not in one and "errors" not in scan
    assert one["extensions"]["cost"]["requested"] == 2  # CoinGecko's row, the exchange info
    assert scan["extensions"]["cost"]["requested"] == 591
