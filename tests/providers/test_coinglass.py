"""Coinglass v4 client at the transport.

No real Coinglass response was recorded (the API is keyed). The success bodies here are the
Coinglass documentation examples (``coinglass/*.doc-example.json``): shape tests only, their
numbers are illustrative. Error answers carry no market values.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from engine.domain import RatioKind, Sourced
from providers.coinglass import CoinglassClient, venue
from providers.errors import (
    ProviderError,
    ProviderRejected,
    SymbolNotServed,
    UpstreamRateLimited,
    UpstreamServerError,
)
from providers.http import UpstreamHttp
from providers.metrics import Metrics
from tests.providers.conftest import VenueStub, load, params

BASE = "https://coinglass.test"
# Not a real key: a marker to look for in every error, repr and log line.
KEY = "cg-test-key-do-not-leak-5d1e0c"
LIQ = "/api/futures/liquidation/history"


def client(stub: VenueStub) -> CoinglassClient:
    return CoinglassClient(stub.http(venue.host_policy(max_attempts=1)), BASE, KEY)


def assert_keyed(request: httpx.Request) -> None:
    assert request.headers["CG-API-KEY"] == KEY
    assert KEY not in str(request.url)


# -- liquidation history ---------------------------------------------------------------------------


async def test_liquidation_history_shape(stub: VenueStub) -> None:
    """Shape test (doc example): USD amounts as strings, times as ms integers."""
    recorded_path = "coinglass/liquidation_history.doc-example.json"
    stub.answer_file(LIQ, recorded_path)
    rows = load(recorded_path)["data"]

    got = await client(stub).liquidation_history("Binance", "BTCUSDT", "1d", limit=2)

    assert stub.last.url.path == LIQ
    assert params(stub.last) == {
        "exchange": "Binance",
        "symbol": "BTCUSDT",
        "interval": "1d",
        "limit": "2",
    }
    assert_keyed(stub.last)
    assert (got.symbol, got.interval) == ("BTCUSDT", "1d")
    assert [(b.ts_ms, b.long_usd, b.short_usd) for b in got.buckets] == [
        (r["time"], float(r["long_liquidation_usd"]), float(r["short_liquidation_usd"]))
        for r in sorted(rows, key=lambda r: r["time"])
    ]
    assert all(isinstance(r["long_liquidation_usd"], str) for r in rows)
    assert got.meta == Sourced(provider="coinglass", as_of_ms=max(r["time"] for r in rows))


async def test_no_rows_is_not_served(stub: VenueStub) -> None:
    stub.answer_json(LIQ, {"code": "0", "msg": "success", "data": []})

    with pytest.raises(SymbolNotServed):
        await client(stub).liquidation_history("Binance", "NOPEUSDT", "1h")


# -- long/short ratios -----------------------------------------------------------------------------

RATIOS = [
    (RatioKind.GLOBAL_ACCOUNTS, "global-long-short-account-ratio", "global_account"),
    (RatioKind.TOP_ACCOUNTS, "top-long-short-account-ratio", "top_account"),
    (RatioKind.TOP_POSITIONS, "top-long-short-position-ratio", "top_position"),
]


@pytest.mark.parametrize(("kind", "name", "prefix"), RATIOS)
async def test_long_short_ratio_shape(
    stub: VenueStub, kind: RatioKind, name: str, prefix: str
) -> None:
    """Shape test (doc examples): percents as JSON numbers become fractions."""
    path = f"/api/futures/{name}/history"
    recorded_path = f"coinglass/{name}_history.doc-example.json"
    stub.answer_file(path, recorded_path)
    rows = load(recorded_path)["data"]

    got = await client(stub).long_short_ratio(kind, "Binance", "BTCUSDT", "4h", limit=2)

    assert stub.last.url.path == path
    assert params(stub.last) == {
        "exchange": "Binance",
        "symbol": "BTCUSDT",
        "interval": "4h",
        "limit": "2",
    }
    assert_keyed(stub.last)
    assert (got.kind, got.period) == (kind, "4h")
    assert [
        (p.ts_ms, p.long_short_ratio, p.long_fraction, p.short_fraction) for p in got.points
    ] == [
        (
            r["time"],
            r[f"{prefix}_long_short_ratio"],
            r[f"{prefix}_long_percent"] / 100,
            r[f"{prefix}_short_percent"] / 100,
        )
        for r in sorted(rows, key=lambda r: r["time"])
    ]
    assert got.meta.as_of_ms == max(r["time"] for r in rows)


# -- errors: mapped by code and status, never carrying the key ----------------------------------


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        # business codes from the Coinglass "Errors & Rate Limits" table, sent with HTTP 200
        (200, {"code": "401", "msg": f"invalid key {KEY}"}, ProviderRejected),
        (200, {"code": "429", "msg": ""}, UpstreamRateLimited),
        (200, {"code": "500", "msg": ""}, UpstreamServerError),
        (200, {"code": "400", "msg": ""}, ProviderRejected),
        # the same as HTTP statuses, mapped by the shared layer
        (401, {"code": "401", "msg": f"invalid key {KEY}"}, ProviderRejected),
        (429, {"code": "429", "msg": ""}, UpstreamRateLimited),
        (500, {"code": "500", "msg": ""}, UpstreamServerError),
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
    stub.answer_json(LIQ, body, status=status)
    cg = client(stub)

    with pytest.raises(error) as caught:
        await cg.liquidation_history("Binance", "BTCUSDT", "1h")

    assert not isinstance(caught.value, SymbolNotServed)
    assert_keyed(stub.last)
    err: BaseException | None = caught.value
    while err is not None:  # the error and everything chained to it
        assert KEY not in str(err)
        assert KEY not in repr(err)
        err = err.__cause__ or err.__context__
    assert KEY not in repr(cg)
    assert KEY not in caplog.text


async def test_unreachable_host_error_does_not_carry_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http_client:
        policy = venue.host_policy(max_attempts=1)
        http = UpstreamHttp(http_client, Metrics(), {policy.provider: policy})
        cg = CoinglassClient(http, BASE, KEY)
        with pytest.raises(ProviderError) as caught:
            await cg.liquidation_history("Binance", "BTCUSDT", "1h")

    err: BaseException | None = caught.value
    while err is not None:
        assert KEY not in str(err) and KEY not in repr(err)
        err = err.__cause__ or err.__context__
    assert KEY not in caplog.text


def test_repr_hides_the_key(stub: VenueStub) -> None:
    text = repr(client(stub))
    assert KEY not in text
    assert "hidden" in text


@pytest.mark.parametrize("bad_key", ["", "   ", "two\nlines"])
def test_unusable_key_is_refused_without_echo(stub: VenueStub, bad_key: str) -> None:
    with pytest.raises(ValueError) as caught:
        CoinglassClient(stub.http(venue.host_policy()), BASE, bad_key)
    if bad_key.strip():
        assert bad_key not in str(caught.value)


@pytest.mark.parametrize(
    ("call", "accepted"),
    [
        (lambda c: c.liquidation_history("Binance", "BTCUSDT", "2h"), "1m, 3m"),
        (lambda c: c.liquidation_history("Binance", "BTCUSDT", "1h", limit=1001), "1..1000"),
        (lambda c: c.liquidation_history("Binance", "BTC USDT", "1h"), "BTCUSDT"),
        (lambda c: c.liquidation_history("", "BTCUSDT", "1h"), "Binance"),
        (
            lambda c: c.long_short_ratio(RatioKind.TOP_POSITIONS, "OKX", "BTCUSDT", "1h", 0),
            "1..1000",
        ),
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

    assert policy.provider == "coinglass"
    assert policy.deadline_s == 3.0
    assert policy.used_weight_header is None
    assert not policy.not_served(400, {"code": "400"})
