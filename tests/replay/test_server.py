"""ReplayServer lifecycle on loopback."""

from __future__ import annotations

import time

import httpx
import pytest

from providers.replay import FaultRule, ReplayServer


def test_start_returns_loopback_url_and_stop_closes_it() -> None:
    server = ReplayServer()
    url = server.start()
    assert url.startswith("http://127.0.0.1:") and server.port > 0
    with httpx.Client(base_url=url, verify=False) as c:
        assert c.get("/fapi/v1/ping").json() == {}
    server.stop()
    with pytest.raises(httpx.ConnectError), httpx.Client(base_url=url, verify=False) as c:
        c.get("/fapi/v1/ping")
    server.stop()  # idempotent


def test_servers_are_independent() -> None:
    with ReplayServer() as a, ReplayServer() as b:
        assert a.base_url != b.base_url
        a.app.faults.add(FaultRule(route="*", mode="status", status=503))
        with httpx.Client(verify=False) as c:
            assert c.get(a.base_url + "/fapi/v1/ping").status_code == 503
            assert c.get(b.base_url + "/fapi/v1/ping").status_code == 200
        assert b.app.calls.snapshot() == {"/fapi/v1/ping": 1}


def test_stop_is_quick_after_a_client_gave_up_on_a_hung_request() -> None:
    server = ReplayServer(faults=[FaultRule(route="*", mode="timeout", hang_s=30)])
    url = server.start()
    with httpx.Client(base_url=url, verify=False) as c, pytest.raises(httpx.ReadTimeout):
        c.get("/fapi/v1/ping", timeout=0.1)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.5
