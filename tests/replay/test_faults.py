"""Fault and latency injection, call counting and the Via header, as an httpx client sees them."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from providers.replay import VIA, FaultRule, ReplayServer

PREMIUM = "/fapi/v1/premiumIndex"


@pytest.fixture
async def aclient(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=5, verify=False) as c:
        yield c


async def add_fault(client: httpx.AsyncClient, **rule: Any) -> None:
    r = await client.post("/_replay/faults", json=rule)
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("status", "code", "msg_start"),
    [
        (429, -1003, "Too many requests"),
        (418, -1003, "Way too many requests; IP(127.0.0.1) banned until"),
        (500, -1000, "An unknown error occurred while processing the request."),
        (503, -1000, "An unknown error occurred while processing the request."),
    ],
)
async def test_status_mode_with_retry_after(
    aclient: httpx.AsyncClient, status: int, code: int, msg_start: str
) -> None:
    await add_fault(aclient, route=PREMIUM, mode="status", status=status, retry_after_s=7)
    r = await aclient.get(PREMIUM, params={"symbol": "BTCUSDT"})
    assert r.status_code == status
    assert r.headers["retry-after"] == "7" and r.headers["via"] == VIA
    assert r.json()["code"] == code and r.json()["msg"].startswith(msg_start)


async def test_status_without_retry_after_and_okx_body(aclient: httpx.AsyncClient) -> None:
    await add_fault(aclient, route="/api/v5/market/ticker", mode="status", status=429)
    r = await aclient.get("/api/v5/market/ticker", params={"instId": "WNCG-USDT-SWAP"})
    assert r.status_code == 429 and "retry-after" not in r.headers
    assert r.json()["code"] == "50011" and r.json()["data"] == []


async def test_timeout_raises_read_timeout(aclient: httpx.AsyncClient) -> None:
    await add_fault(aclient, route=PREMIUM, mode="timeout", hang_s=5, times=1)
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        await aclient.get(PREMIUM, timeout=0.2)
    assert time.monotonic() - started < 2
    r = await aclient.get(PREMIUM, params={"symbol": "BTCUSDT"})  # rule used up
    assert r.status_code == 200


async def test_timeout_answers_normally_after_hang(aclient: httpx.AsyncClient) -> None:
    await add_fault(aclient, route=PREMIUM, mode="timeout", hang_s=0.2)
    started = time.monotonic()
    r = await aclient.get(PREMIUM, params={"symbol": "BTCUSDT"})
    assert r.status_code == 200 and r.json()["symbol"] == "BTCUSDT"
    assert time.monotonic() - started >= 0.2


async def test_malformed_body_is_not_json(aclient: httpx.AsyncClient) -> None:
    await add_fault(aclient, route=PREMIUM, mode="malformed")
    r = await aclient.get(PREMIUM, params={"symbol": "BTCUSDT"})
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()


@pytest.mark.parametrize("mode", ["truncated", "reset"])
async def test_truncated_and_reset_raise_transport_errors(
    aclient: httpx.AsyncClient, mode: str
) -> None:
    await add_fault(aclient, route=PREMIUM, mode=mode, times=1)
    with pytest.raises(httpx.TransportError):
        await aclient.get(PREMIUM, params={"symbol": "BTCUSDT"})
    r = await aclient.get(PREMIUM, params={"symbol": "BTCUSDT"})  # connection pool recovers
    assert r.status_code == 200


async def test_latency_applies_before_the_answer(aclient: httpx.AsyncClient) -> None:
    await add_fault(aclient, route="*", latency_ms=150)
    started = time.monotonic()
    r = await aclient.get("/fng/")
    assert r.status_code == 200 and time.monotonic() - started >= 0.15
    started = time.monotonic()
    await aclient.get("/_replay/calls")  # admin routes are never faulted
    assert time.monotonic() - started < 0.15


async def test_times_expiry_and_listing(aclient: httpx.AsyncClient) -> None:
    await add_fault(aclient, route=PREMIUM, mode="status", status=500, times=2)
    listed = (await aclient.get("/_replay/faults")).json()["faults"]
    assert [(f["route"], f["remaining"]) for f in listed] == [(PREMIUM, 2)]
    statuses = [(await aclient.get(PREMIUM)).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert (await aclient.get("/_replay/faults")).json() == {"faults": []}


async def test_exact_rule_beats_wildcard_and_delete_clears(aclient: httpx.AsyncClient) -> None:
    await add_fault(aclient, route="*", mode="status", status=503)
    await add_fault(aclient, route=PREMIUM, mode="status", status=429)
    assert (await aclient.get(PREMIUM)).status_code == 429
    assert (await aclient.get("/fapi/v1/ping")).status_code == 503
    assert (await aclient.get("/fng/")).status_code == 503
    assert (await aclient.delete("/_replay/faults")).json() == {"cleared": 2}
    assert (await aclient.get("/fapi/v1/ping")).status_code == 200


async def test_bad_rules_are_rejected(aclient: httpx.AsyncClient) -> None:
    for rule in ({"route": PREMIUM, "mode": "explode"}, {"mode": "status"}, {"route": "x"}):
        r = await aclient.post("/_replay/faults", json=rule)
        assert r.status_code == 400 and "error" in r.json()
    assert (await aclient.get("/_replay/faults")).json() == {"faults": []}


async def test_call_counts(aclient: httpx.AsyncClient) -> None:
    await add_fault(aclient, route=PREMIUM, mode="status", status=500, times=1)
    for _ in range(3):
        await aclient.get(PREMIUM)
    await aclient.get("/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "5m"})
    await aclient.get("/nowhere")
    counts = (await aclient.get("/_replay/calls")).json()
    assert counts == {PREMIUM: 3, "/fapi/v1/klines": 1, "/nowhere": 1}
    await aclient.delete("/_replay/calls")
    assert (await aclient.get("/_replay/calls")).json() == {}


async def test_via_header_everywhere(aclient: httpx.AsyncClient) -> None:
    responses = [
        await aclient.get(PREMIUM),
        await aclient.get("/fapi/v1/klines", params={"symbol": "NOPE", "interval": "1m"}),
        await aclient.get("/api/v5/market/ticker", params={"instId": "NOPE"}),
        await aclient.get("/fng/"),
        await aclient.get("/fapi/v9/unknown"),
        await aclient.get("/_replay/calls"),
    ]
    assert [r.headers["via"] for r in responses] == [VIA] * len(responses)


def test_initial_faults_and_in_process_control() -> None:
    rule = FaultRule(route=PREMIUM, mode="status", status=418, retry_after_s=1.5, times=1)
    with (
        ReplayServer(faults=[rule]) as server,
        httpx.Client(base_url=server.base_url, verify=False) as c,
    ):
        r = c.get(PREMIUM)
        assert (r.status_code, r.headers["retry-after"]) == (418, "1.5")
        assert c.get(PREMIUM).status_code == 200
        assert server.app.calls.snapshot() == {PREMIUM: 2}
        server.app.faults.add(FaultRule(route="/fng/", mode="status", status=502))
        assert c.get("/fng/").status_code == 502
