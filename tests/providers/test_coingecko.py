"""CoinGecko v3 client: at the transport (outgoing requests, the key's header, parsing of
recorded bodies) and end to end against the replay exchange over loopback (call counts,
faults, the key never leaking).

Real recordings: ``coins/markets`` (top 250, USD, 2026-03-20) and ``search/trending``.
No ``coins/{id}`` body was recorded: its success path is tested with a labelled stand-in
(the documented ``coins/{id}`` nesting holding the values of the recorded ``coins/markets``
row of the same coin and minute); the replay answers every id as unknown.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from engine.domain import CoinMarket, Sourced
from providers.coingecko import CoinGeckoClient, venue
from providers.errors import (
    ProviderBadData,
    ProviderError,
    ProviderRejected,
    SymbolNotServed,
    UpstreamRateLimited,
    UpstreamServerError,
)
from providers.http import HostPolicy, UpstreamHttp
from providers.metrics import Metrics
from providers.replay import FaultMode, FaultRule, ReplayServer
from tests.providers.conftest import VenueStub, load, params
from tests.support import RECORDED

BASE = "https://coingecko.test"
# Not a real key: a marker to look for in every URL, error, repr and log line.
KEY = "CG-demo-test-key-do-not-leak-7f3a"
MARKETS = "/api/v3/coins/markets"
TRENDING = "/api/v3/search/trending"
MARKETS_250 = "coingecko/coins-markets-250-2026-03-20.json"
TRENDING_FILE = "coingecko/search-trending-2026-03-20.json"


def client(stub: VenueStub, api_key: str | None = KEY) -> CoinGeckoClient:
    return CoinGeckoClient(stub.http(venue.host_policy(max_attempts=1)), BASE, api_key)


def iso_ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def expected_coin(row: dict[str, Any], meta: Sourced) -> CoinMarket:
    """What a recorded ``coins/markets`` row must become, as of ``as_of_ms``."""

    def num(key: str) -> float | None:
        value = row.get(key)
        return None if value is None else float(value)

    return CoinMarket(
        coin_id=row["id"],
        symbol=row["symbol"],
        name=row["name"],
        market_cap_rank=row["market_cap_rank"],
        price_usd=num("current_price"),
        market_cap_usd=num("market_cap"),
        fully_diluted_valuation_usd=num("fully_diluted_valuation"),
        volume_24h_usd=num("total_volume"),
        high_24h_usd=num("high_24h"),
        low_24h_usd=num("low_24h"),
        price_change_1h_pct=num("price_change_percentage_1h_in_currency"),
        price_change_24h_pct=num("price_change_percentage_24h"),
        market_cap_change_24h_pct=num("market_cap_change_percentage_24h"),
        circulating_supply=num("circulating_supply"),
        total_supply=num("total_supply"),
        max_supply=num("max_supply"),
        last_updated_ms=iso_ms(row["last_updated"]),
        meta=meta,
    )


def now_ms() -> int:
    return int(time.time() * 1000)


def assert_as_of(as_of_ms: int, venue_ms: int, before_ms: int, after_ms: int) -> None:
    """As of the venue's time, unless that is later than the answer's receipt (which fell
    between ``before_ms`` and ``after_ms``)."""
    if venue_ms <= before_ms:
        assert as_of_ms == venue_ms
    else:
        assert before_ms <= as_of_ms <= min(after_ms, venue_ms)


def assert_keyed(request: httpx.Request) -> None:
    assert request.headers["x-cg-demo-api-key"] == KEY
    assert KEY not in str(request.url)


def assert_no_key_in(err: BaseException) -> None:
    chained: BaseException | None = err
    while chained is not None:  # the error and everything chained to it
        assert KEY not in str(chained)
        assert KEY not in repr(chained)
        chained = chained.__cause__ or chained.__context__


# -- coins/markets -----------------------------------------------------------------------------


async def test_markets(stub: VenueStub) -> None:
    stub.answer_file(MARKETS, MARKETS_250)
    rows = load(MARKETS_250)

    before = now_ms()
    got = await client(stub).markets(per_page=250)
    after = now_ms()

    assert stub.last.method == "GET"
    assert stub.last.url.path == MARKETS
    assert params(stub.last) == {
        "vs_currency": "usd",
        "order": "market_cap_desc",
        "per_page": "250",
        "page": "1",
        "price_change_percentage": "1h",  # as the recording was asked
    }
    assert_keyed(stub.last)
    assert list(got.coins) == [
        expected_coin(r, Sourced("coingecko", c.meta.as_of_ms))
        for r, c in zip(rows, got.coins, strict=True)
    ]
    for r, c in zip(rows, got.coins, strict=True):
        assert_as_of(c.meta.as_of_ms, iso_ms(r["last_updated"]), before, after)
    # nulls stay None (106 coins have no max supply, 3 no 1 h change)
    assert [c.max_supply is None for c in got.coins] == [r["max_supply"] is None for r in rows]
    assert (got.order, got.page, got.per_page, got.category) == ("market_cap_desc", 1, 250, None)
    assert_as_of(got.meta.as_of_ms, max(iso_ms(r["last_updated"]) for r in rows), before, after)


async def test_markets_with_category_and_no_key(stub: VenueStub) -> None:
    stub.answer_json(MARKETS, [])  # what CoinGecko answers when nothing matches

    got = await client(stub, api_key=None).markets(
        order="volume_desc", per_page=10, page=3, category="layer-1"
    )

    assert params(stub.last) == {
        "vs_currency": "usd",
        "order": "volume_desc",
        "per_page": "10",
        "page": "3",
        "price_change_percentage": "1h",
        "category": "layer-1",
    }
    assert "x-cg-demo-api-key" not in stub.last.headers
    assert (got.coins, got.category) == ((), "layer-1")


async def test_markets_row_without_id_is_bad_data(stub: VenueStub) -> None:
    row = {k: v for k, v in load(MARKETS_250)[0].items() if k != "id"}
    stub.answer_json(MARKETS, [row])

    with pytest.raises(ProviderBadData) as caught:
        await client(stub).markets()

    assert isinstance(caught.value.__cause__, ValidationError)


# -- search/trending ---------------------------------------------------------------------------


_DISPLAY = re.compile(r"\$[\d,]+")


async def test_trending(stub: VenueStub) -> None:
    stub.answer_file(TRENDING, TRENDING_FILE)
    items = [entry["item"] for entry in load(TRENDING_FILE)["coins"]]

    got = await client(stub).trending()

    assert stub.last.url.path == TRENDING
    assert params(stub.last) == {}
    assert_keyed(stub.last)
    assert [c.coin_id for c in got.coins] == [
        i["id"] for i in sorted(items, key=lambda i: i["score"])
    ]
    for coin, item in zip(got.coins, sorted(items, key=lambda i: i["score"]), strict=True):
        data = item["data"]
        assert (coin.symbol, coin.name, coin.position) == (
            item["symbol"],
            item["name"],
            item["score"],
        )
        assert coin.market_cap_rank == item["market_cap_rank"]
        assert coin.price_usd == data["price"]
        assert coin.price_btc == item["price_btc"]  # the number, not data's string
        assert coin.price_change_24h_pct == data["price_change_percentage_24h"]["usd"]
        assert _DISPLAY.fullmatch(data["market_cap"])
        assert coin.market_cap_usd == float(data["market_cap"][1:].replace(",", ""))
        assert coin.volume_24h_usd == float(data["total_volume"][1:].replace(",", ""))
    assert got.meta.source == "coingecko"


# -- coins/{id}: no real or documented success body was recorded, so only its errors are
# tested here; its success parsing (``CoinDetail``) follows CoinGecko's documented layout
# and is not exercised by any test.


# -- errors: mapped by status, never carrying the key ------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, {"error": "coin not found"}, SymbolNotServed),
        (
            401,
            {"status": {"error_code": 10002, "error_message": f"bad key {KEY}"}},
            ProviderRejected,
        ),
        (400, {"error": "invalid vs_currency"}, ProviderRejected),
        (429, {"status": {"error_code": 429, "error_message": "rate limit"}}, UpstreamRateLimited),
        (500, {"error": "internal"}, UpstreamServerError),
    ],
)
async def test_errors_are_mapped_and_never_carry_the_key(
    stub: VenueStub,
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: dict[str, Any],
    error: type[ProviderError],
) -> None:
    caplog.set_level(logging.DEBUG)
    stub.answer_json("/api/v3/coins/bitcoin", body, status=status)
    cg = client(stub)

    with pytest.raises(error) as caught:
        await cg.coin("bitcoin")

    assert caught.value.status == status
    assert caught.value.endpoint == "/api/v3/coins/{id}"  # ids never become metric labels
    assert_keyed(stub.last)
    assert_no_key_in(caught.value)
    assert KEY not in repr(cg)
    assert KEY not in caplog.text


def test_repr_hides_the_key(stub: VenueStub) -> None:
    assert KEY not in repr(client(stub))
    assert "hidden" in repr(client(stub))
    assert "api_key=None" in repr(client(stub, api_key=None))


@pytest.mark.parametrize("bad_key", ["", "   ", "two\nlines"])
def test_unusable_key_is_refused_without_echo(stub: VenueStub, bad_key: str) -> None:
    with pytest.raises(ValueError) as caught:
        CoinGeckoClient(stub.http(venue.host_policy()), BASE, bad_key)
    if bad_key.strip():
        assert bad_key not in str(caught.value)


@pytest.mark.parametrize(
    ("call", "accepted"),
    [
        (lambda c: c.markets(order="price_desc"), "market_cap_desc"),
        (lambda c: c.markets(per_page=251), "1..250"),
        (lambda c: c.markets(page=0), ">= 1"),
        (lambda c: c.markets(category="layer 1"), "layer-1"),
        (lambda c: c.coin("bit/coin"), "bitcoin"),
        (lambda c: c.coin(""), "bitcoin"),
    ],
)
async def test_bad_arguments_raise_before_any_request(
    stub: VenueStub, call: Any, accepted: str
) -> None:
    with pytest.raises(ValueError, match=accepted):
        await call(client(stub))

    assert stub.requests == []


def test_host_policy_fills_in_service_facts() -> None:
    policy = venue.host_policy(deadline_s=3.0)

    assert policy.provider == "coingecko"
    assert policy.deadline_s == 3.0
    assert policy.weight_limit_1m is None
    assert policy.not_served(404, {"error": "coin not found"})
    assert not policy.not_served(404, None)
    assert not policy.not_served(400, {"error": "invalid vs_currency"})


# -- end to end against the replay exchange ------------------------------------------------------


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


def _http(http_client: httpx.AsyncClient, policy: HostPolicy) -> UpstreamHttp:
    async def no_sleep(_seconds: float) -> None:
        return None

    return UpstreamHttp(http_client, Metrics(), {policy.provider: policy}, sleep=no_sleep)


@pytest.fixture
def sent() -> list[httpx.Request]:
    """Every request the loopback client put on the wire."""
    return []


@pytest.fixture
async def live(replay: ReplayServer, sent: list[httpx.Request]) -> AsyncIterator[CoinGeckoClient]:
    """A keyed client on a real ``UpstreamHttp`` pointed at the replay; faults and counts
    cleared; outgoing requests kept in ``sent``."""
    replay.app.faults.clear()
    replay.app.calls.reset()

    async def keep(request: httpx.Request) -> None:
        sent.append(request)

    policy = venue.host_policy(max_attempts=3, backoff_base_s=0.001, backoff_max_s=0.002)
    async with httpx.AsyncClient(verify=False, event_hooks={"request": [keep]}) as http_client:
        yield CoinGeckoClient(_http(http_client, policy), replay.base_url, KEY)
    replay.app.faults.clear()


def calls(replay: ReplayServer, path: str) -> int:
    return replay.app.calls.snapshot().get(path, 0)


async def test_loopback_markets_pages_of_the_recording(
    replay: ReplayServer, live: CoinGeckoClient
) -> None:
    rows = load(MARKETS_250)

    first = await live.markets()  # default: 100 a page
    third = await live.markets(per_page=7, page=3)
    past_end = await live.markets(per_page=250, page=2)

    assert [c.coin_id for c in first.coins] == [r["id"] for r in rows[:100]]
    assert [c.coin_id for c in third.coins] == [r["id"] for r in rows[14:21]]
    assert list(third.coins) == [
        expected_coin(r, Sourced("coingecko", c.meta.as_of_ms, via="perpgraph-replay"))
        for r, c in zip(rows[14:21], third.coins, strict=True)
    ]
    assert past_end.coins == ()
    assert calls(replay, MARKETS) == 3


async def test_loopback_key_only_in_its_header(
    live: CoinGeckoClient, sent: list[httpx.Request], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    await live.markets(per_page=5)
    await live.trending()
    await live.coin("bitcoin")

    assert [r.url.path for r in sent] == [MARKETS, TRENDING, "/api/v3/coins/bitcoin"]
    for request in sent:
        assert_keyed(request)
    assert KEY not in caplog.text


async def test_loopback_unrecorded_category_is_an_empty_page(
    replay: ReplayServer, live: CoinGeckoClient
) -> None:
    got = await live.markets(category="layer-1")

    assert got.coins == ()
    assert calls(replay, MARKETS) == 1


async def test_loopback_trending(replay: ReplayServer, live: CoinGeckoClient) -> None:
    items = [entry["item"] for entry in load(TRENDING_FILE)["coins"]]

    got = await live.trending()

    assert [(c.coin_id, c.price_usd) for c in got.coins] == [
        (i["id"], i["data"]["price"]) for i in sorted(items, key=lambda i: i["score"])
    ]
    assert got.meta.source == "coingecko via perpgraph-replay"
    assert calls(replay, TRENDING) == 1


async def test_loopback_unknown_coin_is_not_served_without_retry(
    replay: ReplayServer, live: CoinGeckoClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    with pytest.raises(SymbolNotServed) as caught:
        await live.coin("no-such-coin")  # only bitcoin's body was recorded

    assert caught.value.status == 404
    assert_no_key_in(caught.value)
    assert KEY not in caplog.text
    assert calls(replay, "/api/v3/coins/no-such-coin") == 1


async def test_loopback_coin_reads_the_recorded_bitcoin_body(
    replay: ReplayServer, live: CoinGeckoClient
) -> None:
    coin = await live.coin("bitcoin")
    body = json.loads(
        (RECORDED / "coingecko/coins-bitcoin-full-tickers-2023-07-16.json").read_text()
    )
    market = body["market_data"]
    assert (coin.coin_id, coin.symbol) == ("bitcoin", "btc")
    assert coin.price_usd == market["current_price"]["usd"]
    assert coin.fully_diluted_valuation_usd == market["fully_diluted_valuation"]["usd"]
    assert coin.max_supply == market["max_supply"]


async def test_loopback_429_obeys_retry_after(
    replay: ReplayServer, live: CoinGeckoClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    replay.app.faults.add(FaultRule(route=MARKETS, mode="status", status=429, retry_after_s=12))

    with pytest.raises(UpstreamRateLimited) as caught:
        await live.markets()
    assert caught.value.retry_after_s == 12
    with pytest.raises(UpstreamRateLimited):  # the host is paused: nothing is sent
        await live.trending()

    assert_no_key_in(caught.value)
    assert KEY not in caplog.text
    assert calls(replay, MARKETS) == 1
    assert calls(replay, TRENDING) == 0


async def test_loopback_5xx_is_retried_then_served(
    replay: ReplayServer, live: CoinGeckoClient
) -> None:
    replay.app.faults.add(FaultRule(route=TRENDING, mode="status", status=503, times=2))

    got = await live.trending()

    assert len(got.coins) == len(load(TRENDING_FILE)["coins"])
    assert calls(replay, TRENDING) == 3


async def test_loopback_5xx_gives_up_after_max_attempts(
    replay: ReplayServer, live: CoinGeckoClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    replay.app.faults.add(FaultRule(route=MARKETS, mode="status", status=500))

    with pytest.raises(UpstreamServerError) as caught:
        await live.markets()

    assert_no_key_in(caught.value)
    assert KEY not in caplog.text
    assert calls(replay, MARKETS) == 3


@pytest.mark.parametrize("mode", ["malformed", "truncated"])
async def test_loopback_broken_bodies(
    replay: ReplayServer, live: CoinGeckoClient, mode: FaultMode
) -> None:
    replay.app.faults.add(FaultRule(route=TRENDING, mode=mode, times=1))

    if mode == "malformed":  # valid HTTP, not JSON: bad data, not retried
        with pytest.raises(ProviderBadData):
            await live.trending()
        assert calls(replay, TRENDING) == 1
    else:  # the connection drops mid-body: transient, retried and then served
        got = await live.trending()
        assert got.coins
        assert calls(replay, TRENDING) == 2
