"""The shared HTTP layer every provider goes through.

One ``httpx.AsyncClient`` per process (built by ``open_services`` and injected here).
Per call:

* an overall deadline (``HostPolicy.deadline_s``) on top of httpx's connect/read/pool
  timeouts;
* bounded retries with exponential backoff and jitter, on timeouts, transport errors and
  5xx only (never on 4xx, 429/418 or bad bodies);
* HTTP 429 and 418 stop every call to that host until ``Retry-After`` has passed;
* a circuit breaker per host: after ``breaker_threshold`` consecutive transient failures
  the host is skipped for ``breaker_cooldown_s``, then one trial call decides;
* a used-weight budget for venues that report it (Binance ``X-MBX-USED-WEIGHT-1M``): each
  call reserves its weight before it is sent, and one that would pass ``weight_limit_1m``
  is refused with ``RATE_LIMITED`` until the next minute;
* every attempt counted in ``perpgraph_upstream_calls_total{provider,endpoint,outcome}``
  and, when a request collects them (``collect_calls``), in its debug extensions.

Foreign exceptions are converted to ``providers.errors`` here and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypedDict
from urllib.parse import urlsplit

import httpx

from engine.domain import Sourced
from providers.errors import (
    CircuitOpen,
    ProviderBadData,
    ProviderError,
    ProviderRejected,
    SymbolNotServed,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from providers.metrics import Metrics

NotServed = Callable[[int, Any], bool]
"""Given (status, parsed body or None), True when the venue says it has no such symbol."""


def _never(_status: int, _body: Any) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """How to talk to one provider's host. Venue packages build theirs from settings."""

    provider: str
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 5.0
    pool_timeout_s: float = 2.0
    deadline_s: float = 8.0
    max_attempts: int = 3
    backoff_base_s: float = 0.2
    backoff_max_s: float = 2.0
    breaker_threshold: int = 5
    breaker_cooldown_s: float = 15.0
    default_retry_after_s: float = 30.0
    used_weight_header: str | None = None
    weight_limit_1m: int | None = None
    not_served: NotServed = _never


class HostTuning(TypedDict, total=False):
    """The per-deployment numbers of a ``HostPolicy`` (from settings); venues add the rest."""

    connect_timeout_s: float
    read_timeout_s: float
    pool_timeout_s: float
    deadline_s: float
    max_attempts: int
    backoff_base_s: float
    backoff_max_s: float
    breaker_threshold: int
    breaker_cooldown_s: float
    default_retry_after_s: float


@dataclass(frozen=True, slots=True)
class Fetched:
    """A parsed JSON answer and what the HTTP exchange said about it."""

    body: Any
    received_ms: int
    via: str | None

    def sourced(self, provider: str) -> Sourced:
        """``provider``'s answer as received (stamped with the receive time; a model
        restamps it with the venue's own), with the last proxy a ``Via`` header names."""
        hop = self.via.split(",")[-1].strip().split(" ")[-1] if self.via else None
        return Sourced(provider, self.received_ms, via=hop or None)


@dataclass(frozen=True, slots=True)
class CallRecord:
    provider: str
    endpoint: str
    outcome: str
    latency_ms: float
    weight: int = 0  # the request weight the call spent (0: skipped, never sent)


_collected: ContextVar[list[CallRecord] | None] = ContextVar("perpgraph_calls", default=None)


@contextlib.contextmanager
def collect_calls() -> Iterator[list[CallRecord]]:
    """Collect the upstream calls made while the block (and tasks it spawns) runs."""
    calls: list[CallRecord] = []
    token = _collected.set(calls)
    try:
        yield calls
    finally:
        _collected.reset(token)


@dataclass(slots=True)
class _HostState:
    blocked_until: float = 0.0  # monotonic; set by 429/418
    failures: int = 0  # consecutive transient failures
    open_until: float = 0.0  # breaker open until (monotonic)
    trial_in_flight: bool = False
    used_weight: int = 0
    weight_minute: int = -1  # wall-clock minute the used weight belongs to


MAX_RETRY_AFTER_S = 3600.0  # a longer (or infinite) ask is capped: we look again in an hour


def parse_retry_after(value: str | None, now_wall_s: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), 0..1 h."""
    if value is None:
        return None
    value = value.strip()
    seconds: float | None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - now_wall_s
        except (TypeError, ValueError):
            return None
    if not math.isfinite(seconds):
        return None if math.isnan(seconds) else MAX_RETRY_AFTER_S
    return min(MAX_RETRY_AFTER_S, max(0.0, seconds))


class UpstreamHttp:
    """Sends requests for providers with the policies above. One instance per process."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        metrics: Metrics,
        policies: Mapping[str, HostPolicy],
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._metrics = metrics
        self._policies = dict(policies)
        self._hosts: dict[tuple[str, str], _HostState] = {}
        self._monotonic = monotonic
        self._wall = wall
        self._sleep = sleep
        self._jitter = jitter

    def policy(self, provider: str) -> HostPolicy:
        return self._policies[provider]

    async def get_json(
        self,
        provider: str,
        endpoint: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        weight: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        """GET ``url`` and return its JSON body. ``endpoint`` is the metrics label.

        ``headers`` carry per-call credentials (API keys); they are sent, never logged, and
        never part of an error message.
        """
        return await self.request_json(
            provider, endpoint, "GET", url, params=params, weight=weight, headers=headers
        )

    async def request_json(
        self,
        provider: str,
        endpoint: str,
        method: str,
        url: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json_body: Any = None,
        weight: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> Fetched:
        policy = self._policies[provider]
        # per provider and host: in replay mode every provider shares one host, and one
        # venue's 429 must not pause another's fallback
        state = self._hosts.setdefault((provider, urlsplit(url).netloc), _HostState())
        deadline = self._monotonic() + policy.deadline_s
        attempt = 0
        while True:
            attempt += 1
            trial = self._pass_gates(state, policy, endpoint, weight)
            try:
                return await self._attempt(
                    state,
                    policy,
                    endpoint,
                    method,
                    url,
                    params,
                    json_body,
                    headers,
                    deadline,
                    weight,
                )
            except ProviderError as err:
                if not err.transient or isinstance(err, UpstreamRateLimited):
                    raise
                backoff = min(policy.backoff_max_s, policy.backoff_base_s * 2 ** (attempt - 1))
                backoff *= 0.5 + self._jitter() / 2
                if attempt >= policy.max_attempts or self._monotonic() + backoff >= deadline:
                    raise
                await self._sleep(backoff)
            finally:
                if trial:  # whatever happened (even cancellation), the trial is over
                    state.trial_in_flight = False

    # -- gates ---------------------------------------------------------------------------

    def _pass_gates(
        self, state: _HostState, policy: HostPolicy, endpoint: str, weight: int
    ) -> bool:
        """Raise when a gate is closed; otherwise reserve the call. True for a breaker trial."""
        now = self._monotonic()
        provider = policy.provider
        if state.blocked_until > now:
            self._skip(provider, endpoint, "retry_after")
            raise UpstreamRateLimited(
                f"{provider} asked us to wait; calls paused",
                provider=provider,
                endpoint=endpoint,
                retry_after_s=round(state.blocked_until - now, 3),
            )
        if state.open_until > now or (state.open_until and state.trial_in_flight):
            self._skip(provider, endpoint, "circuit_open")
            raise CircuitOpen(
                f"{provider} failed repeatedly; calls paused",
                provider=provider,
                endpoint=endpoint,
                retry_after_s=round(max(state.open_until - now, 0.0), 3) or None,
            )
        if policy.weight_limit_1m is not None:
            wall = self._wall()
            minute = int(wall // 60)
            if state.weight_minute != minute:
                state.weight_minute, state.used_weight = minute, 0
            if state.used_weight + weight > policy.weight_limit_1m:
                self._skip(provider, endpoint, "weight_budget")
                raise UpstreamRateLimited(
                    f"{provider} request-weight budget for this minute is spent",
                    provider=provider,
                    endpoint=endpoint,
                    retry_after_s=round(60 - (wall % 60), 3),
                )
            state.used_weight += weight  # reserved now, so concurrent calls see it
        trial = bool(state.open_until)  # cooldown over: this call is the half-open trial
        state.trial_in_flight = trial
        return trial

    def _skip(self, provider: str, endpoint: str, reason: str) -> None:
        self._metrics.upstream_skipped.labels(provider, endpoint, reason).inc()
        self._record(provider, endpoint, f"skipped_{reason}", 0.0)

    # -- one attempt ---------------------------------------------------------------------

    async def _attempt(
        self,
        state: _HostState,
        policy: HostPolicy,
        endpoint: str,
        method: str,
        url: str,
        params: Mapping[str, str | int] | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
        deadline: float,
        weight: int,
    ) -> Fetched:
        provider = policy.provider
        remaining = deadline - self._monotonic()
        timeout = httpx.Timeout(
            connect=policy.connect_timeout_s,
            read=policy.read_timeout_s,
            write=policy.read_timeout_s,
            pool=policy.pool_timeout_s,
        )
        started = self._monotonic()
        try:
            async with asyncio.timeout(max(remaining, 0.001)):
                response = await self._client.request(
                    method, url, params=params, json=json_body, headers=headers, timeout=timeout
                )
        except httpx.PoolTimeout as exc:  # our own pool is full: not the venue's fault
            self._finish(
                state,
                policy,
                endpoint,
                "pool_timeout",
                started,
                weight=weight,
                transient_failure=False,
            )
            raise UpstreamTimeout(
                f"no free connection to {provider} in time", provider=provider, endpoint=endpoint
            ) from exc
        except (TimeoutError, httpx.TimeoutException) as exc:
            self._finish(
                state, policy, endpoint, "timeout", started, weight=weight, transient_failure=True
            )
            raise UpstreamTimeout(
                f"{provider} did not answer in time", provider=provider, endpoint=endpoint
            ) from exc
        except httpx.DecodingError as exc:  # e.g. a corrupt gzip body
            self._finish(
                state, policy, endpoint, "bad_data", started, weight=weight, transient_failure=False
            )
            raise ProviderBadData(
                f"{provider} sent a body that could not be decoded",
                provider=provider,
                endpoint=endpoint,
            ) from exc
        except httpx.HTTPError as exc:  # connection refused/reset, protocol errors, the rest
            self._finish(
                state,
                policy,
                endpoint,
                "unreachable",
                started,
                weight=weight,
                transient_failure=True,
            )
            raise UpstreamUnreachable(
                f"{provider} connection failed ({type(exc).__name__})",
                provider=provider,
                endpoint=endpoint,
            ) from exc
        self._note_weight(state, policy, response)
        return self._interpret(state, policy, endpoint, response, started, weight)

    def _interpret(
        self,
        state: _HostState,
        policy: HostPolicy,
        endpoint: str,
        response: httpx.Response,
        started: float,
        weight: int,
    ) -> Fetched:
        outcome, body, error = self._classify(policy, endpoint, response)
        if isinstance(error, UpstreamRateLimited):  # pause the whole host until Retry-After
            wait = error.retry_after_s or 0.0
            state.blocked_until = max(state.blocked_until, self._monotonic() + wait)
        transient = isinstance(error, UpstreamServerError)
        self._finish(
            state, policy, endpoint, outcome, started, weight=weight, transient_failure=transient
        )
        if error is not None:
            raise error
        return Fetched(
            body=body, received_ms=int(self._wall() * 1000), via=response.headers.get("via")
        )

    def _classify(
        self, policy: HostPolicy, endpoint: str, response: httpx.Response
    ) -> tuple[str, Any, ProviderError | None]:
        """(metrics outcome, parsed body, error to raise or None) for one HTTP answer."""
        provider, status = policy.provider, response.status_code
        where: dict[str, Any] = {"provider": provider, "endpoint": endpoint, "status": status}
        if status in (429, 418):
            retry_after = parse_retry_after(response.headers.get("retry-after"), self._wall())
            wait = retry_after if retry_after is not None else policy.default_retry_after_s
            message = f"{provider} rate limit hit (HTTP {status})"
            return "rate_limited", None, UpstreamRateLimited(message, retry_after_s=wait, **where)
        if status >= 500:
            return (
                "server_error",
                None,
                UpstreamServerError(f"{provider} answered HTTP {status}", **where),
            )
        try:
            body = json.loads(response.content)
        except ValueError as exc:
            if status < 400:
                error = ProviderBadData(f"{provider} sent a body that is not JSON", **where)
                error.__cause__ = exc
                return "bad_data", None, error
            body = None
        if policy.not_served(status, body):
            return (
                "not_served",
                body,
                SymbolNotServed(f"{provider} has no data for this symbol", **where),
            )
        if status >= 400:
            message = f"{provider} rejected the request (HTTP {status})"
            return "rejected", body, ProviderRejected(message, **where)
        return "ok", body, None

    def _note_weight(self, state: _HostState, policy: HostPolicy, response: httpx.Response) -> None:
        if policy.used_weight_header is None:
            return
        raw = response.headers.get(policy.used_weight_header)
        if raw is None:
            return
        with contextlib.suppress(ValueError):
            minute = int(self._wall() // 60)
            if state.weight_minute != minute:
                state.weight_minute, state.used_weight = minute, 0
            # answers can arrive out of order: keep the highest count of the minute
            state.used_weight = max(state.used_weight, int(raw))

    def _finish(
        self,
        state: _HostState,
        policy: HostPolicy,
        endpoint: str,
        outcome: str,
        started: float,
        *,
        weight: int,
        transient_failure: bool,
    ) -> None:
        elapsed = self._monotonic() - started
        self._metrics.upstream_calls.labels(policy.provider, endpoint, outcome).inc()
        self._metrics.upstream_latency.labels(policy.provider, endpoint).observe(elapsed)
        self._record(policy.provider, endpoint, outcome, elapsed * 1000, weight)
        state.trial_in_flight = False
        if transient_failure:
            state.failures += 1
            if state.failures >= policy.breaker_threshold:
                state.open_until = self._monotonic() + policy.breaker_cooldown_s
        else:  # the host answered: it is alive, whatever it said
            state.failures = 0
            state.open_until = 0.0

    @staticmethod
    def _record(
        provider: str, endpoint: str, outcome: str, latency_ms: float, weight: int = 0
    ) -> None:
        calls = _collected.get()
        if calls is not None:
            calls.append(CallRecord(provider, endpoint, outcome, round(latency_ms, 2), weight))


__all__ = [
    "CallRecord",
    "Fetched",
    "HostPolicy",
    "HostTuning",
    "UpstreamHttp",
    "collect_calls",
    "parse_retry_after",
]
