"""Hundreds of hostile requests (``tests/graph/hostile.py``) against the real server: none
is a 5xx or INTERNAL, every refusal is coded, each is answered fast, nothing is logged as
unexpected, and ``/healthz`` answers all along."""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from graph.server.settings import Settings
from tests.graph.hostile import Case, cases
from tests.support import ApiServer

CASES = cases()
# the data the cases reach stays cached through the run: measured is the server's own work
# on hostile input, not the replay's latency when a five-second TTL runs out mid-run
LONG_TTLS = {
    name: 3600.0
    for name in Settings.model_fields
    if name.startswith("ttl_") and name.endswith("_s")
}

HOSTILE_P99_BOUND_S = 0.5


def _problems(case: Case, status: int, body: bytes) -> list[str]:
    """What is wrong with one answer (nothing, for a coded refusal or a clean answer)."""
    if status >= 500:
        return [f"{case.family}: HTTP {status}"]
    try:
        answer: Any = json.loads(body)
    except ValueError:
        return [f"{case.family}: HTTP {status} answered {body[:80]!r}, not JSON"]
    if not isinstance(answer, dict):
        return [f"{case.family}: answered {answer!r:.80}, not an object"]
    errors = answer.get("errors") or []
    if status >= 400 and not errors:
        return [f"{case.family}: HTTP {status} without a coded error"]
    found = []
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        if not code:
            found.append(f"{case.family}: uncoded error {error.get('message')!r:.80}")
        elif code == "INTERNAL":
            found.append(f"{case.family}: INTERNAL for {case.body[:80]!r}")
        if "Traceback" in str(error.get("message")):
            found.append(f"{case.family}: a traceback in the message")
    return found


def _headers(case: Case) -> dict[str, str]:
    return {"content-type": case.content_type} if case.content_type else {}


async def test_hostile_requests_are_refused_coded_and_fast(
    api: Callable[..., ApiServer], caplog: pytest.LogCaptureFixture
) -> None:
    assert len(CASES) >= 500
    assert len({c.family for c in CASES}) >= 18
    server = api(response_cache=False, **LONG_TTLS)
    problems: list[str] = []
    took: list[tuple[float, str]] = []
    health: list[float] = []
    done = asyncio.Event()

    async def probe_health(client: httpx.AsyncClient) -> None:
        while not done.is_set():
            started = time.perf_counter()
            response = await client.get(f"{server.url}/healthz")
            health.append(time.perf_counter() - started)
            assert response.status_code == 200
            await asyncio.sleep(0.02)

    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(timeout=30) as client, httpx.AsyncClient() as prober:
        for case in CASES:  # a first pass fills the data cache (its answers are checked too)
            response = await client.post(
                f"{server.url}/graphql", content=case.body, headers=_headers(case)
            )
            problems += _problems(case, response.status_code, response.content)
        watcher = asyncio.create_task(probe_health(prober))
        for case in CASES:
            started = time.perf_counter()
            response = await client.post(
                f"{server.url}/graphql", content=case.body, headers=_headers(case)
            )
            took.append((time.perf_counter() - started, case.family))
            problems += _problems(case, response.status_code, response.content)
        done.set()
        await watcher
        after = await client.post(f"{server.url}/graphql", json={"query": "{ __typename }"})
    assert problems == []
    p99 = statistics.quantiles([t for t, _ in took], n=100)[98]
    slowest = [f"{family} {t * 1000:.0f} ms" for t, family in sorted(took)[-8:]]
    # Bounds on work, not a speed figure (make bench's hostile_queries is that): a family
    # whose work grows with its input takes seconds here, and a machine a few times slower
    # than this one (the whole suite ran 1.7x slower on 2026-12-08, and a p99 of 107 ms
    # failed a 100 ms bound) does not.
    assert p99 < HOSTILE_P99_BOUND_S, f"p99 {p99 * 1000:.1f} ms; slowest: {slowest}"
    health_p99 = statistics.quantiles(health, n=100)[98]
    assert health_p99 < HOSTILE_P99_BOUND_S, f"/healthz p99 {health_p99 * 1000:.1f} ms"
    assert after.json()["data"] == {"__typename": "Query"}  # still serving
    unexpected = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert unexpected == [], [r.getMessage()[:200] for r in unexpected]
