"""LunarCrush v4 client at the transport.

No real or documented ``topic/{topic}/v1`` answer was found, so the success shape is tested
only against LunarCrush's own neutral placeholder ``data`` object
(``lunarcrush/topic-v1-data-placeholder.doc-example.json``: placeholder numbers, shape only).
Everything else here answers with error bodies or empty data: no market values.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from providers.errors import (
    ProviderBadData,
    ProviderError,
    ProviderRejected,
    SymbolNotServed,
    UpstreamRateLimited,
    UpstreamServerError,
)
from providers.http import UpstreamHttp
from providers.lunarcrush import LunarCrushClient, venue
from providers.metrics import Metrics
from providers.replay import ReplayServer
from tests.providers.conftest import VenueStub, load

BASE = "https://lunarcrush.test"
# Not a real key: a marker to look for in every error, repr and log line.
KEY = "lc-test-key-do-not-leak-93b7a2"
BITCOIN = "/api4/public/topic/bitcoin/v1"
PLACEHOLDER = "lunarcrush/topic-v1-data-placeholder.doc-example.json"


def client(stub: VenueStub) -> LunarCrushClient:
    return LunarCrushClient(stub.http(venue.host_policy(max_attempts=1)), BASE, KEY)


async def test_request_path_and_bearer_header(stub: VenueStub) -> None:
    stub.answer_json(BITCOIN, {"data": {}})  # a topic without posts

    with pytest.raises(SymbolNotServed):
        await client(stub).topic_sentiment("bitcoin")

    request = stub.last
    assert request.method == "GET"
    assert request.url.path == BITCOIN
    assert dict(request.url.params) == {}
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert KEY not in str(request.url)


async def test_cashtag_topic_is_percent_encoded(stub: VenueStub) -> None:
    stub.answer_json("/api4/public/topic/$btc/v1", {"data": {}})

    with pytest.raises(SymbolNotServed):
        await client(stub).topic_sentiment("$btc")

    assert stub.last.url.raw_path == b"/api4/public/topic/%24btc/v1"


async def test_topic_sentiment_shape_from_vendor_placeholder(stub: VenueStub) -> None:
    """Shape test: LunarCrush's neutral placeholder ``data`` object (not market data)."""
    data = load(PLACEHOLDER)
    stub.answer_json(BITCOIN, {"data": data})
    counts = data["types_sentiment_detail"].values()
    positive = sum(c["positive"] for c in counts)
    negative = sum(c["negative"] for c in counts)

    got = await client(stub).topic_sentiment("bitcoin")

    assert got.topic == "bitcoin"
    assert got.sentiment_pct == 100.0 * positive / (positive + negative)
    assert got.posts == data["num_posts"]
    assert got.meta.source == "lunarcrush"
    assert got.meta.as_of_ms > 0  # no config.generated: the receive time


async def test_no_positive_or_negative_posts_is_not_served(stub: VenueStub) -> None:
    data = load(PLACEHOLDER)
    neutral_only = {  # the placeholder with its positive and negative counts taken out
        **data,
        "types_sentiment_detail": {
            net: {**c, "positive": 0, "negative": 0}
            for net, c in data["types_sentiment_detail"].items()
        },
    }
    stub.answer_json(BITCOIN, {"data": neutral_only})

    with pytest.raises(SymbolNotServed):
        await client(stub).topic_sentiment("bitcoin")


@pytest.mark.parametrize("body", [[], {"config": {}}, {"data": {"num_posts": "many"}}])
async def test_malformed_bodies_are_bad_data(stub: VenueStub, body: Any) -> None:
    stub.answer_json(BITCOIN, body)

    with pytest.raises(ProviderBadData):
        await client(stub).topic_sentiment("bitcoin")


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        # error texts as a third-party client documents them (saizk/LunarCrushAPI README)
        (200, {"error": "Rate limit exceeded (minute)"}, UpstreamRateLimited),
        (
            200,
            {
                "error": "You must have a Enterprise or API Upgrade subscription to use this endpoint."
            },
            ProviderRejected,
        ),
        (401, {"error": f"bad token {KEY}"}, ProviderRejected),
        (429, {"error": "Rate limit exceeded (minute)"}, UpstreamRateLimited),
        (503, {}, UpstreamServerError),
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
    stub.answer_json(BITCOIN, body, status=status)
    lc = client(stub)

    with pytest.raises(error) as caught:
        await lc.topic_sentiment("bitcoin")

    assert not isinstance(caught.value, SymbolNotServed)
    assert stub.last.headers["Authorization"] == f"Bearer {KEY}"
    err: BaseException | None = caught.value
    while err is not None:  # the error and everything chained to it
        assert KEY not in str(err) and KEY not in repr(err)
        err = err.__cause__ or err.__context__
    if "error" in body:  # the upstream text is not repeated
        assert body["error"] not in str(caught.value)
    assert KEY not in repr(lc)
    assert KEY not in caplog.text


def test_repr_hides_the_key(stub: VenueStub) -> None:
    text = repr(client(stub))
    assert KEY not in text
    assert "hidden" in text


@pytest.mark.parametrize("bad_key", ["", " ", "a\r\nb"])
def test_unusable_key_is_refused_without_echo(stub: VenueStub, bad_key: str) -> None:
    with pytest.raises(ValueError) as caught:
        LunarCrushClient(stub.http(venue.host_policy()), BASE, bad_key)
    if bad_key.strip():
        assert bad_key not in str(caught.value)


@pytest.mark.parametrize("topic", ["Bitcoin", "btc/usdt", " btc", "", "btc?x=1"])
async def test_bad_topics_raise_before_any_request(stub: VenueStub, topic: str) -> None:
    with pytest.raises(ValueError, match="lower case"):
        await client(stub).topic_sentiment(topic)

    assert stub.requests == []


def test_host_policy_fills_in_service_facts() -> None:
    policy = venue.host_policy(deadline_s=3.0)

    assert policy.provider == "lunarcrush"
    assert policy.deadline_s == 3.0
    assert policy.used_weight_header is None


# -- coins/list/v2, over loopback against the replay's recorded body ---------------------------


@pytest.fixture
async def replay_client() -> AsyncIterator[tuple[LunarCrushClient, ReplayServer]]:
    server = ReplayServer(port=0)
    url = server.start()
    async with httpx.AsyncClient() as http:
        upstream = UpstreamHttp(http, Metrics(), {"lunarcrush": venue.host_policy(max_attempts=1)})
        yield LunarCrushClient(upstream, url, KEY), server
    server.stop()


async def test_coins_list_reads_the_recorded_btc_row(replay_client: Any) -> None:
    lunar, _ = replay_client
    body = load("lunarcrush/coins-list-v2-symbols-BTC-limit1-2025-07-23.json")
    (row,) = body["data"]
    (coin,) = await lunar.coins(("BTC", "PEPE"))
    assert (coin.symbol, coin.galaxy_score, coin.alt_rank) == (
        row["symbol"], row["galaxy_score"], row["alt_rank"],
    )  # fmt: skip
    assert coin.social_volume_24h == row["social_volume_24h"]
    assert coin.sentiment_pct == row["sentiment"]
    assert coin.categories == tuple(row["categories"].split(","))
    assert coin.meta.source == "lunarcrush via perpgraph-replay"
    assert await lunar.coins(("PEPE",)) == ()  # no row recorded for it: none, not an error


@pytest.mark.parametrize("symbols", [(), ("btc",), ("B-C",), tuple(f"C{i}" for i in range(101))])
async def test_bad_coin_symbols_raise_before_any_request(
    stub: VenueStub, symbols: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError):
        await client(stub).coins(symbols)
    assert stub.requests == []


async def test_a_bad_row_is_left_out_alone_and_a_shared_symbol_keeps_the_best_ranked(
    stub: VenueStub,
) -> None:
    body = load("lunarcrush/coins-list-v2-symbols-BTC-limit1-2025-07-23.json")
    (row,) = body["data"]
    broken = {**row, "symbol": "ETH", "alt_rank": 0}  # the recorded row, its AltRank made 0
    lesser = {**row, "market_cap_rank": row["market_cap_rank"] + 500, "galaxy_score": 1}
    stub.answer_json(
        "/api4/public/coins/list/v2", {**body, "data": [lesser, broken, row]}
    )  # the recorded row, a copy ranked lower and a broken one
    coins = await client(stub).coins(("BTC", "ETH"))
    assert [(c.symbol, c.galaxy_score) for c in coins] == [("BTC", row["galaxy_score"])]
