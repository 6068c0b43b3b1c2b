"""Hyperliquid info client: at the transport (outgoing POST bodies, parsing of recorded
bodies) and end to end against the replay exchange over loopback (call counts, faults).

Real recordings: ``l2Book`` (DYDX verbatim, BTC trimmed sample), ``candleSnapshot`` (kPEPE
1h), ``clearinghouseState`` (one public account). ``metaAndAssetCtxs`` has only a
documentation example (shape test) plus the real per-asset contexts of a WebSocket capture
(``ws-allDexsAssetCtxs-sample.json``, same fields as the REST contexts, no universe).
Nothing of ``recentTrades`` was recorded: only its empty and ``null`` answers are tested.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from engine.domain import BookLevel, Candle, PerpPosition, Sourced
from providers.errors import (
    ProviderBadData,
    ProviderRejected,
    SymbolNotServed,
    UpstreamRateLimited,
    UpstreamServerError,
)
from providers.http import HostPolicy, UpstreamHttp
from providers.hyperliquid import HyperliquidClient, venue
from providers.hyperliquid.models import AssetCtx
from providers.metrics import Metrics
from providers.replay import FaultRule, ReplayServer
from tests.providers.conftest import VenueStub, load

BASE = "https://hyperliquid.test"
INFO = "/info"
DYDX_BOOK = "hyperliquid/l2Book-DYDX-2023-07-17.json"
BTC_BOOK = "hyperliquid/l2Book-BTC-sample-5levels.json"
KPEPE_1H = "hyperliquid/candleSnapshot-kPEPE-1h-2023-05-21.json"
ACCOUNT = "hyperliquid/clearinghouseState-2023-03-27.json"
# the account the recording was taken for (PROVENANCE: a public on-chain account)
USER = "0x5e9ee1089755c3435139848e47e6635505d5a13a"
# the recorded candleSnapshot request's window (PROVENANCE)
WINDOW = (1684702007000, 1684784807000)


def client(stub: VenueStub) -> HyperliquidClient:
    return HyperliquidClient(stub.http(venue.host_policy(max_attempts=1)), BASE)


def sent(request: httpx.Request) -> Any:
    return json.loads(request.content)


def levels(rows: list[dict[str, Any]]) -> list[BookLevel]:
    return [BookLevel(price=float(r["px"]), quantity=float(r["sz"])) for r in rows]


# -- l2Book ------------------------------------------------------------------------------------


@pytest.mark.parametrize("recorded_path", [DYDX_BOOK, BTC_BOOK])
async def test_l2_book(stub: VenueStub, recorded_path: str) -> None:
    stub.answer_file(INFO, recorded_path)
    book = load(recorded_path)
    bids, asks = book["levels"]

    got = await client(stub).l2_book(book["coin"])

    assert stub.last.method == "POST"
    assert stub.last.url.path == INFO
    assert stub.last.headers["content-type"] == "application/json"
    assert sent(stub.last) == {"type": "l2Book", "coin": book["coin"]}
    assert got.symbol == book["coin"]
    assert list(got.bids) == levels(bids)  # recorded best first
    assert list(got.asks) == levels(asks)
    assert got.bids[0].price < got.asks[0].price
    assert got.meta == Sourced(provider="hyperliquid", as_of_ms=book["time"])


# -- candleSnapshot ----------------------------------------------------------------------------


async def test_candles(stub: VenueStub) -> None:
    stub.answer_file(INFO, KPEPE_1H)
    rows = load(KPEPE_1H)
    start, end = WINDOW

    got = await client(stub).candles("kPEPE", "1h", start, end)

    assert sent(stub.last) == {
        "type": "candleSnapshot",
        "req": {"coin": "kPEPE", "interval": "1h", "startTime": start, "endTime": end},
    }
    assert (got.symbol, got.interval) == ("kPEPE", "1h")
    assert list(got.candles) == [
        Candle(
            open_time_ms=r["t"],
            open=float(r["o"]),
            high=float(r["h"]),
            low=float(r["l"]),
            close=float(r["c"]),
            volume=float(r["v"]),
            close_time_ms=r["T"],
            quote_volume=None,
            trade_count=r["n"],
            taker_buy_base_volume=None,
        )
        for r in rows
    ]
    assert got.meta.as_of_ms == rows[-1]["T"]  # the newest candle's close


async def test_candles_empty_window_is_an_empty_series(stub: VenueStub) -> None:
    stub.answer_json(INFO, [])  # the venue's answer for a window without candles

    got = await client(stub).candles("kPEPE", "1h", *WINDOW)

    assert got.candles == ()
    assert got.meta.as_of_ms > 0  # the receive time


# -- clearinghouseState ------------------------------------------------------------------------


async def test_clearinghouse_state(stub: VenueStub) -> None:
    stub.answer_file(INFO, ACCOUNT)
    state = load(ACCOUNT)

    got = await client(stub).clearinghouse_state(USER)

    assert sent(stub.last) == {"type": "clearinghouseState", "user": USER}
    assert got.user == USER
    assert list(got.positions) == [
        PerpPosition(
            coin=p["coin"],
            size_base=float(p["szi"]),
            entry_price=float(p["entryPx"]),
            position_value_usd=float(p["positionValue"]),
            unrealized_pnl_usd=float(p["unrealizedPnl"]),
            return_on_equity=float(p["returnOnEquity"]),
            leverage=float(p["leverage"]["value"]),
            leverage_type=p["leverage"]["type"],
            liquidation_price=None if p["liquidationPx"] is None else float(p["liquidationPx"]),
            margin_used_usd=float(p["marginUsed"]),
        )
        for p in (a["position"] for a in state["assetPositions"])
    ]
    # the recording holds shorts (negative szi) and positions without a liquidation price
    assert any(p.size_base < 0 for p in got.positions)
    assert any(p.liquidation_price is None for p in got.positions)
    summary = state["marginSummary"]
    assert got.account_value_usd == float(summary["accountValue"])
    assert got.total_notional_usd == float(summary["totalNtlPos"])
    assert got.total_margin_used_usd == float(summary["totalMarginUsed"])
    assert got.withdrawable_usd == float(state["withdrawable"])
    assert "time" not in state  # a 2023 answer: as of its receipt
    assert got.meta.source == "hyperliquid"


# -- metaAndAssetCtxs --------------------------------------------------------------------------


async def test_market_contexts_shape(stub: VenueStub) -> None:
    """Shape test (doc example): universe and contexts aligned by index."""
    recorded_path = "hyperliquid/metaAndAssetCtxs.doc-example.json"
    stub.answer_file(INFO, recorded_path)
    meta, ctxs = load(recorded_path)

    got = await client(stub).market_contexts()

    assert sent(stub.last) == {"type": "metaAndAssetCtxs"}
    assert [
        (m.coin, m.mark_price, m.oracle_price, m.funding_rate, m.open_interest_base)
        for m in got.markets
    ] == [
        (
            a["name"],
            float(c["markPx"]),
            float(c["oraclePx"]),
            float(c["funding"]),
            float(c["openInterest"]),
        )
        for a, c in zip(meta["universe"], ctxs, strict=True)
    ]
    assert [m.max_leverage for m in got.markets] == [a["maxLeverage"] for a in meta["universe"]]
    assert not any(m.is_delisted for m in got.markets)


def test_real_asset_contexts_parse() -> None:
    """The real contexts of the WebSocket capture (same fields as the REST ones) all parse;
    a delisted market's null midPx/premium stay None."""
    capture = load("hyperliquid/ws-allDexsAssetCtxs-sample.json")
    ctxs = [ctx for _dex, dex_ctxs in capture["data"]["ctxs"] for ctx in dex_ctxs]

    parsed = [AssetCtx.model_validate(ctx) for ctx in ctxs]

    assert [p.markPx for p in parsed] == [float(c["markPx"]) for c in ctxs]
    assert [p.openInterest for p in parsed] == [float(c["openInterest"]) for c in ctxs]
    nulls = [p for p, c in zip(parsed, ctxs, strict=True) if c["midPx"] is None]
    assert nulls and all(p.midPx is None and p.premium is None for p in nulls)


async def test_market_contexts_misaligned_is_bad_data(stub: VenueStub) -> None:
    meta, ctxs = load("hyperliquid/metaAndAssetCtxs.doc-example.json")
    stub.answer_json(INFO, [meta, ctxs[:-1]])

    with pytest.raises(ProviderBadData) as caught:
        await client(stub).market_contexts()

    assert caught.value.endpoint == "/info:metaAndAssetCtxs"
    assert isinstance(caught.value.__cause__, ValidationError)


# -- recentTrades (nothing recorded: empty and null answers only) ------------------------------


async def test_recent_trades_empty(stub: VenueStub) -> None:
    stub.answer_json(INFO, [])

    got = await client(stub).recent_trades("BTC")

    assert sent(stub.last) == {"type": "recentTrades", "coin": "BTC"}
    assert (got.symbol, got.trades) == ("BTC", ())


# -- errors at the transport -------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.l2_book("NOPE"),
        lambda c: c.candles("NOPE", "1h", *WINDOW),
        lambda c: c.recent_trades("NOPE"),
        lambda c: c.market_contexts(),
        lambda c: c.clearinghouse_state(USER),
    ],
)
async def test_null_answer_is_not_served(stub: VenueStub, call: Any) -> None:
    stub.answer_json(INFO, None)  # Hyperliquid's answer for a market it does not list

    with pytest.raises(SymbolNotServed) as caught:
        await call(client(stub))

    assert caught.value.provider == "hyperliquid"
    assert caught.value.endpoint.startswith("/info:")
    assert len(stub.requests) == 1


async def test_unreadable_body_422_is_rejected() -> None:
    """The venue answers 422 with plain text (not JSON) to a body it cannot read."""

    seen: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(422, text="Failed to deserialize the JSON body into the target type")

    policy = venue.host_policy(max_attempts=3)
    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http_client:
        hl = HyperliquidClient(_http(http_client, policy), BASE)
        with pytest.raises(ProviderRejected) as caught:
            await hl.l2_book("BTC")

    assert not isinstance(caught.value, SymbolNotServed)
    assert caught.value.status == 422
    assert len(seen) == 1  # a refusal is not retried


async def test_book_without_levels_is_bad_data(stub: VenueStub) -> None:
    book = load(DYDX_BOOK)
    stub.answer_json(INFO, {k: v for k, v in book.items() if k != "levels"})

    with pytest.raises(ProviderBadData):
        await client(stub).l2_book(book["coin"])


@pytest.mark.parametrize(
    ("call", "accepted"),
    [
        (lambda c: c.l2_book(""), "BTC"),
        (lambda c: c.l2_book("BT C"), "BTC"),
        (lambda c: c.candles("BTC", "6h", *WINDOW), "1m, 3m"),
        (lambda c: c.candles("BTC", "1h", WINDOW[1], WINDOW[0]), "before"),
        (lambda c: c.candles("BTC", "1h", -1, 0), "non-negative"),
        (lambda c: c.clearinghouse_state("0x123"), "0x"),
        (lambda c: c.recent_trades(" "), "BTC"),
    ],
)
async def test_bad_arguments_raise_before_any_request(
    stub: VenueStub, call: Any, accepted: str
) -> None:
    with pytest.raises(ValueError, match=accepted):
        await call(client(stub))

    assert stub.requests == []


@pytest.mark.parametrize(
    ("info_type", "items", "expected"),
    [
        ("l2Book", 0, 2),
        ("clearinghouseState", 0, 2),
        ("metaAndAssetCtxs", 0, 20),
        ("recentTrades", 10, 20),
        ("candleSnapshot", 24, 20),
        ("candleSnapshot", 60, 21),
        ("candleSnapshot", 5000, 20 + 5000 // 60),
        ("userFills", 0, 20),  # every other info request
    ],
)
def test_request_weights(info_type: str, items: int, expected: int) -> None:
    assert venue.weight(info_type, items) == expected


def test_expected_candles_of_the_recorded_window() -> None:
    assert venue.expected_candles("1h", *WINDOW) == len(load(KPEPE_1H))
    assert venue.expected_candles("1m", 0, 10**13) == venue.VENUE.candle_cap


def test_host_policy_fills_in_service_facts() -> None:
    policy = venue.host_policy(deadline_s=3.0)

    assert policy.provider == "hyperliquid"
    assert policy.deadline_s == 3.0
    assert policy.weight_limit_1m == 1080  # 1200/min less the 10 % reserve
    assert policy.not_served(200, None)
    assert not policy.not_served(200, [])
    assert not policy.not_served(422, None)
    with pytest.raises(ValueError):
        venue.host_policy(weight_safety_margin=1.0)


# -- end to end against the replay exchange ------------------------------------------------------


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


@pytest.fixture
async def live(replay: ReplayServer) -> AsyncIterator[HyperliquidClient]:
    """A client on a real ``UpstreamHttp`` pointed at the replay; faults and counts cleared."""
    replay.app.faults.clear()
    replay.app.calls.reset()
    policy = venue.host_policy(max_attempts=3, backoff_base_s=0.001, backoff_max_s=0.002)
    async with httpx.AsyncClient(verify=False) as http_client:
        yield HyperliquidClient(_http(http_client, policy), replay.base_url)
    replay.app.faults.clear()


def _http(http_client: httpx.AsyncClient, policy: HostPolicy) -> UpstreamHttp:
    async def no_sleep(_seconds: float) -> None:
        return None

    return UpstreamHttp(http_client, Metrics(), {policy.provider: policy}, sleep=no_sleep)


def info_calls(replay: ReplayServer) -> int:
    return replay.app.calls.snapshot().get(INFO, 0)


async def test_loopback_reads_recorded_values(
    replay: ReplayServer, live: HyperliquidClient
) -> None:
    book = load(DYDX_BOOK)
    rows = load(KPEPE_1H)
    state = load(ACCOUNT)

    got_book = await live.l2_book(book["coin"])
    got_candles = await live.candles("kPEPE", "1h", *WINDOW)
    got_account = await live.clearinghouse_state(USER)

    assert list(got_book.bids) == levels(book["levels"][0])
    assert list(got_book.asks) == levels(book["levels"][1])
    assert got_book.meta == Sourced("hyperliquid", book["time"], via="perpgraph-replay")
    assert [c.open_time_ms for c in got_candles.candles] == [r["t"] for r in rows]
    assert [c.close for c in got_candles.candles] == [float(r["c"]) for r in rows]
    assert [p.size_base for p in got_account.positions] == [
        float(a["position"]["szi"]) for a in state["assetPositions"]
    ]
    assert info_calls(replay) == 3


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.l2_book("NOPE"),
        lambda c: c.candles("kPEPE", "4h", *WINDOW),  # a listed coin, interval not recorded
        lambda c: c.recent_trades("BTC"),  # nothing recorded
        lambda c: c.market_contexts(),  # only a doc example exists: never served
        lambda c: c.clearinghouse_state("0x" + "ab" * 20),
    ],
)
async def test_loopback_unrecorded_is_not_served_without_retry(
    replay: ReplayServer, live: HyperliquidClient, call: Any
) -> None:
    with pytest.raises(SymbolNotServed):
        await call(live)

    assert info_calls(replay) == 1


async def test_loopback_malformed_body_is_bad_data(
    replay: ReplayServer, live: HyperliquidClient
) -> None:
    replay.app.faults.add(FaultRule(route=INFO, mode="malformed", times=1))

    with pytest.raises(ProviderBadData):
        await live.l2_book("DYDX")

    assert info_calls(replay) == 1  # bad data is not retried


async def test_loopback_429_obeys_retry_after_and_pauses_the_host(
    replay: ReplayServer, live: HyperliquidClient
) -> None:
    replay.app.faults.add(FaultRule(route=INFO, mode="status", status=429, retry_after_s=7))

    with pytest.raises(UpstreamRateLimited) as caught:
        await live.l2_book("DYDX")
    assert caught.value.retry_after_s == 7
    assert caught.value.status == 429
    with pytest.raises(UpstreamRateLimited):  # paused: not sent at all
        await live.candles("kPEPE", "1h", *WINDOW)

    assert info_calls(replay) == 1


async def test_loopback_5xx_is_retried_then_served(
    replay: ReplayServer, live: HyperliquidClient
) -> None:
    replay.app.faults.add(FaultRule(route=INFO, mode="status", status=502, times=2))

    book = await live.l2_book("DYDX")

    assert book.bids[0].price == float(load(DYDX_BOOK)["levels"][0][0]["px"])
    assert info_calls(replay) == 3


async def test_loopback_5xx_gives_up_after_max_attempts(
    replay: ReplayServer, live: HyperliquidClient
) -> None:
    replay.app.faults.add(FaultRule(route=INFO, mode="status", status=500))

    with pytest.raises(UpstreamServerError) as caught:
        await live.l2_book("DYDX")

    assert caught.value.status == 500
    assert info_calls(replay) == 3  # max_attempts
