"""The shared HTTP layer, tested at the transport with call counts per error class."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from providers.errors import (
    CircuitOpen,
    ProviderBadData,
    ProviderRejected,
    SymbolNotServed,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from providers.http import HostPolicy, UpstreamHttp, collect_calls, parse_retry_after
from providers.metrics import Metrics

URL = "https://venue.test/api/thing"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _layer(
    handler: Callable[[httpx.Request], httpx.Response], clock: Clock, **policy: Any
) -> tuple[UpstreamHttp, Metrics]:
    metrics = Metrics()
    settings: dict[str, Any] = {
        "max_attempts": 3,
        "backoff_base_s": 0.1,
        "backoff_max_s": 1.0,
        "deadline_s": 10.0,
    }
    settings.update(policy)
    http = UpstreamHttp(
        httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        metrics,
        {"venue": HostPolicy(provider="venue", **settings)},
        monotonic=clock.monotonic,
        wall=clock.wall,
        sleep=clock.sleep,
        jitter=lambda: 1.0,
    )
    return http, metrics


def _counting(
    *responses: Callable[[httpx.Request], httpx.Response],
) -> tuple[Any, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses[min(len(seen), len(responses)) - 1](request)

    return handler, seen


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"ok": True}, headers={"via": "1.1 perpgraph-replay"})


def status(code: int, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, json={"code": -1}, headers=headers)


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("slow", request=request)


def reset(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("peer closed connection", request=request)


async def test_success_returns_body_and_names_the_proxy() -> None:
    handler, seen = _counting(ok)
    http, metrics = _layer(handler, Clock())
    with collect_calls() as calls:
        fetched = await http.get_json("venue", "thing", URL, params={"symbol": "BTCUSDT"})
    assert fetched.body == {"ok": True}
    assert fetched.sourced("venue").source == "venue via perpgraph-replay"
    assert seen[0].url.params["symbol"] == "BTCUSDT"
    assert [(c.endpoint, c.outcome) for c in calls] == [("thing", "ok")]
    assert 'outcome="ok"' in metrics.render().decode()


@pytest.mark.parametrize(
    ("fault", "error"),
    [(status(500), UpstreamServerError), (status(503), UpstreamServerError),
     (timeout, UpstreamTimeout), (reset, UpstreamUnreachable)],
)  # fmt: skip
async def test_transient_errors_are_retried_up_to_max_attempts(fault: Any, error: type) -> None:
    clock = Clock()
    handler, seen = _counting(fault)
    http, _ = _layer(handler, clock)
    with pytest.raises(error):
        await http.get_json("venue", "thing", URL)
    assert len(seen) == 3
    assert clock.sleeps == [0.1, 0.2]  # exponential backoff (jitter pinned to its top)


async def test_transient_error_then_success() -> None:
    handler, seen = _counting(status(502), timeout, ok)
    http, _ = _layer(handler, Clock())
    assert (await http.get_json("venue", "thing", URL)).body == {"ok": True}
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("fault", "error"),
    [(status(400), ProviderRejected), (status(404), ProviderRejected),
     (lambda r: httpx.Response(200, content=b"{not json"), ProviderBadData)],
)  # fmt: skip
async def test_non_transient_errors_are_not_retried(fault: Any, error: type) -> None:
    handler, seen = _counting(fault)
    http, _ = _layer(handler, Clock())
    with pytest.raises(error):
        await http.get_json("venue", "thing", URL)
    assert len(seen) == 1


async def test_not_served_is_its_own_error() -> None:
    handler, seen = _counting(status(400))
    http, _ = _layer(handler, Clock(), not_served=lambda s, body: s == 400 and body["code"] == -1)
    with pytest.raises(SymbolNotServed) as info:
        await http.get_json("venue", "thing", URL)
    assert info.value.code == "NO_DATA"
    assert len(seen) == 1


@pytest.mark.parametrize("code", [429, 418])
async def test_rate_limit_blocks_the_host_until_retry_after(code: int) -> None:
    clock = Clock()
    handler, seen = _counting(status(code, **{"retry-after": "7"}), ok)
    http, metrics = _layer(handler, clock)
    with pytest.raises(UpstreamRateLimited) as first:
        await http.get_json("venue", "thing", URL)
    assert first.value.retry_after_s == 7
    clock.now += 6.5
    with pytest.raises(UpstreamRateLimited) as blocked:
        await http.get_json("venue", "other", "https://venue.test/api/other")
    assert blocked.value.retry_after_s == pytest.approx(0.5)
    assert len(seen) == 1  # nothing sent inside the window, to any endpoint of the host
    clock.now += 0.6
    assert (await http.get_json("venue", "thing", URL)).body == {"ok": True}
    assert len(seen) == 2
    assert 'reason="retry_after"' in metrics.render().decode()


def test_retry_after_as_http_date_and_garbage() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(later, now.timestamp()) == pytest.approx(90)
    assert parse_retry_after("soon", now.timestamp()) is None
    assert parse_retry_after(None, now.timestamp()) is None


async def test_rate_limit_without_header_uses_the_default_wait() -> None:
    clock = Clock()
    handler, seen = _counting(status(429), ok)
    http, _ = _layer(handler, clock, default_retry_after_s=30.0)
    assert not seen
    with pytest.raises(UpstreamRateLimited) as info:
        await http.get_json("venue", "thing", URL)
    assert info.value.retry_after_s == 30.0
    assert len(seen) == 1


async def test_breaker_opens_after_consecutive_failures_and_half_opens() -> None:
    clock = Clock()
    handler, seen = _counting(status(500))
    http, _ = _layer(handler, clock, max_attempts=1, breaker_threshold=3, breaker_cooldown_s=15)
    for _ in range(3):
        with pytest.raises(UpstreamServerError):
            await http.get_json("venue", "thing", URL)
    with pytest.raises(CircuitOpen):
        await http.get_json("venue", "thing", URL)
    assert len(seen) == 3
    clock.now += 15.1
    with pytest.raises(UpstreamServerError):  # the one trial call, which fails: open again
        await http.get_json("venue", "thing", URL)
    assert len(seen) == 4
    with pytest.raises(CircuitOpen):
        await http.get_json("venue", "thing", URL)
    assert len(seen) == 4


async def test_breaker_closes_after_a_successful_trial() -> None:
    clock = Clock()
    handler, seen = _counting(status(500), status(500), ok)
    http, _ = _layer(handler, clock, max_attempts=1, breaker_threshold=2, breaker_cooldown_s=5)
    for _ in range(2):
        with pytest.raises(UpstreamServerError):
            await http.get_json("venue", "thing", URL)
    clock.now += 5.1
    await http.get_json("venue", "thing", URL)
    await http.get_json("venue", "thing", URL)
    assert len(seen) == 4


async def test_used_weight_header_is_respected() -> None:
    clock = Clock()

    def heavy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[], headers={"x-mbx-used-weight-1m": "2150"})

    handler, seen = _counting(heavy)
    http, metrics = _layer(
        handler, clock, used_weight_header="X-MBX-USED-WEIGHT-1M", weight_limit_1m=2160
    )
    await http.get_json("venue", "thing", URL, weight=5)
    await http.get_json("venue", "thing", URL, weight=10)  # 2150 + 10 fits
    with pytest.raises(UpstreamRateLimited) as info:
        await http.get_json("venue", "thing", URL, weight=20)
    assert len(seen) == 2
    assert 0 < (info.value.retry_after_s or 0) <= 60
    assert 'reason="weight_budget"' in metrics.render().decode()
    clock.now += 60  # next minute: the budget is back
    await http.get_json("venue", "thing", URL, weight=20)
    assert len(seen) == 3


async def test_deadline_bounds_the_whole_call_including_backoff() -> None:
    clock = Clock()
    handler, seen = _counting(status(500))
    http, _ = _layer(
        handler, clock, max_attempts=10, backoff_base_s=1.0, backoff_max_s=4.0, deadline_s=3.5
    )
    with pytest.raises(UpstreamServerError):
        await http.get_json("venue", "thing", URL)
    # sleeps 1 + 2 = 3 s; the next 4 s backoff would pass the 3.5 s deadline: stop there
    assert len(seen) == 3
    assert clock.sleeps == [1.0, 2.0]


async def test_breaker_trial_refused_by_another_gate_does_not_wedge_the_breaker() -> None:
    clock = Clock()
    handler, seen = _counting(status(500), status(500), ok)
    http, _ = _layer(
        handler, clock, max_attempts=1, breaker_threshold=2, breaker_cooldown_s=5,
        used_weight_header="X-W", weight_limit_1m=100,
    )  # fmt: skip
    for _ in range(2):
        with pytest.raises(UpstreamServerError):
            await http.get_json("venue", "thing", URL, weight=10)
    clock.now += 5.1
    with pytest.raises(UpstreamRateLimited):  # would-be trial refused by the weight budget
        await http.get_json("venue", "thing", URL, weight=1000)
    await http.get_json("venue", "thing", URL, weight=10)  # the next call is the trial
    assert len(seen) == 3


async def test_weight_is_reserved_before_sending_so_concurrent_calls_respect_it() -> None:
    import asyncio

    handler, seen = _counting(ok)
    http, _ = _layer(handler, Clock(), used_weight_header="X-W", weight_limit_1m=100)
    results = await asyncio.gather(
        *(http.get_json("venue", "thing", URL, weight=20) for _ in range(8)),
        return_exceptions=True,
    )
    assert len(seen) == 5
    assert sum(isinstance(r, UpstreamRateLimited) for r in results) == 3


def test_retry_after_is_capped_and_must_be_a_number() -> None:
    assert parse_retry_after("inf", 0.0) == 3600.0
    assert parse_retry_after("999999", 0.0) == 3600.0
    assert parse_retry_after("nan", 0.0) is None
    assert parse_retry_after("-5", 0.0) == 0.0


async def test_undecodable_body_is_bad_data_not_an_internal_error() -> None:
    def bad_gzip(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"not gzip", headers={"content-encoding": "gzip"})

    handler, seen = _counting(bad_gzip)
    http, _ = _layer(handler, Clock())
    with pytest.raises(ProviderBadData):
        await http.get_json("venue", "thing", URL)
    assert len(seen) == 1


async def test_a_full_local_pool_does_not_count_against_the_host() -> None:
    def pool_full(request: httpx.Request) -> httpx.Response:
        raise httpx.PoolTimeout("no connection", request=request)

    handler, seen = _counting(pool_full, pool_full, pool_full, ok)
    http, _ = _layer(handler, Clock(), max_attempts=1, breaker_threshold=2)
    for _ in range(3):
        with pytest.raises(UpstreamTimeout):
            await http.get_json("venue", "thing", URL)
    assert (await http.get_json("venue", "thing", URL)).body == {"ok": True}  # breaker closed
    assert len(seen) == 4


async def test_rate_limit_of_one_provider_does_not_pause_another_on_the_same_host() -> None:
    metrics = Metrics()
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/a":
            return httpx.Response(429, json={}, headers={"retry-after": "60"})
        return httpx.Response(200, json={"ok": True})

    http = UpstreamHttp(
        httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        metrics,
        {"one": HostPolicy(provider="one"), "two": HostPolicy(provider="two")},
    )
    with pytest.raises(UpstreamRateLimited):
        await http.get_json("one", "a", "http://127.0.0.1:9/a")
    assert (await http.get_json("two", "b", "http://127.0.0.1:9/b")).body == {"ok": True}
    assert calls == ["/a", "/b"]
