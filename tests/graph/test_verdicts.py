"""Verdicts through the running server against the replay, with the AI judge at a local
OpenAI-compatible test server (its canned answers are model outputs, not market data)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import numpy as np
import pytest
import talib
from starlette.applications import Starlette
from starlette.routing import Route

from tests.providers.test_aijudge import (
    VERDICT,
    ChatServer,
    answer_content,
    answer_json,
    answer_slowly,
    completion,
)
from tests.support import ApiServer, LoopbackServer, Replay, gql

KEY = "sk-test-verdicts-0c1d"  # not a real key: what must never leave the Authorization header
FIELDS = """verdict riskMode positionMultiplier summary judge model latencyMs fallbackReason
  layerChecks { name kind passed detail }
  volatility { entry atr atrPct stopLoss takeProfits riskReward tradePlan
               sizeHint { accountRiskPct stopDistancePct positionPctOfEquity leverageNeeded } }
  signal { ticker direction score }"""
QUERY = f"query($t: String!, $risk: Float) {{ verdict(ticker: $t, accountRiskPct: $risk) {{ {FIELDS} }} }}"
KLINES = "/fapi/v1/klines"


@pytest.fixture(scope="module")
def chat() -> Iterator[ChatServer]:
    state = ChatServer()
    app = Starlette(routes=[Route("/v1/chat/completions", state.handle, methods=["POST"])])
    server = LoopbackServer(app)
    state.url = server.start() + "/v1"
    yield state
    server.stop()


@pytest.fixture
def ai(chat: ChatServer) -> Iterator[ChatServer]:
    chat.seen.clear()
    chat.answer = None
    yield chat


def _hourly(replay: Replay, symbol: str) -> list[list[Any]]:
    rows: list[list[Any]] = replay.venue(KLINES, symbol=symbol, interval="1h", limit="100")
    return rows


async def test_without_a_key_the_rules_answer_with_a_plan_from_the_signals_candles(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, QUERY, t="SOL", risk=2.0)
    calls = replay.calls()
    assert "errors" not in result, result
    v = result["data"]["verdict"]
    assert (v["judge"], v["fallbackReason"], v["model"]) == ("RULES", "no key", None)
    assert v["signal"]["direction"] == "LONG"  # SOL's recorded data points up
    assert calls[KLINES] == 1  # the plan reads the signal's own hourly candles
    rows = _hourly(replay, "SOLUSDT")
    high, low, close = (np.array([float(r[i]) for r in rows]) for i in (2, 3, 4))
    atr = float(talib.ATR(high, low, close, timeperiod=14)[-1])
    plan = v["volatility"]
    assert plan["entry"] == close[-1]
    assert plan["atr"] == pytest.approx(atr, rel=1e-12)
    assert plan["stopLoss"] == pytest.approx(close[-1] - 1.5 * atr, rel=1e-12)
    risk = close[-1] - plan["stopLoss"]
    assert plan["takeProfits"] == pytest.approx([close[-1] + k * risk for k in (1, 2, 3)])
    assert plan["riskReward"] == pytest.approx([1.0, 2.0, 3.0])
    hint = plan["sizeHint"]
    assert hint["accountRiskPct"] == 2.0
    assert hint["positionPctOfEquity"] == pytest.approx(100 * 2.0 / hint["stopDistancePct"])
    assert v["verdict"] in ("CONFIRM", "DOWNSIZE", "SKIP")
    assert {c["kind"] for c in v["layerChecks"]} == {"SUPPORT", "WARNING"}


async def test_a_neutral_signal_waits_and_bad_risk_is_coded(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        neutral = await gql(client, server.url, QUERY, t="BTC")
        before = dict(replay.calls())
        bad = await gql(client, server.url, QUERY, t="BTC", risk=0.0)
    v = neutral["data"]["verdict"]
    assert v["signal"]["direction"] == "NEUTRAL"
    assert (v["verdict"], v["positionMultiplier"], v["volatility"]) == ("WAIT", 0.0, None)
    assert [e["extensions"]["code"] for e in bad["errors"]] == ["BAD_ARGUMENT"]
    assert replay.calls() == before  # refused before any upstream call


async def test_a_valid_ai_answer_is_used_and_sees_only_the_signals_numbers(
    api: Callable[..., ApiServer], replay: Replay, ai: ChatServer
) -> None:
    ai.answer = answer_content(json.dumps(VERDICT))
    server = api(response_cache=False, openai_api_key=KEY, openai_base_url=ai.url)
    query = f"""{{ verdict(ticker: "SOL") {{ {FIELDS} }}
        signal(ticker: "SOL") {{ verdict {{ judge positionMultiplier }} }} }}"""
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, query)
    assert "errors" not in result, result
    v = result["data"]["verdict"]
    assert (v["judge"], v["fallbackReason"]) == ("AI", None)
    assert v["model"] == completion("")["model"]  # as the server reported it
    assert (v["verdict"], v["riskMode"]) == (VERDICT["verdict"], VERDICT["risk_mode"])
    assert v["positionMultiplier"] == VERDICT["position_multiplier"]
    assert v["summary"] == VERDICT["summary"]
    ai_checks = [c for c in v["layerChecks"] if c["name"] == "ai"]
    said: list[str] = [*VERDICT["supporting"], *VERDICT["warnings"]]  # type: ignore[misc]
    assert [c["detail"] for c in ai_checks] == said
    assert result["data"]["signal"]["verdict"]["judge"] == "AI"
    assert len(ai.seen) == 1  # one verdict per symbol and mode in a request
    request = ai.seen[0]
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = json.dumps(request.json())
    assert KEY not in body
    sent = request.json()["messages"][-1]["content"]
    assert str(v["volatility"]["entry"]) in sent and "SOL" in sent


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (answer_json({"error": {"message": "boom", "type": "server_error"}}, 500), "http 500"),
        (
            answer_json(
                {
                    "error": {
                        "message": "quota",
                        "type": "insufficient_quota",
                        "code": "insufficient_quota",
                    }
                },
                429,
            ),
            "quota",
        ),
        (answer_json(completion(None, refusal="I can't help with that.")), "refusal"),
        (answer_content("{not json"), "invalid output"),
        (answer_slowly(2.0), "timeout"),
    ],
    ids=["500", "quota", "refusal", "malformed", "slow"],
)
async def test_every_ai_failure_falls_back_to_the_rules_within_the_timeout(
    api: Callable[..., ApiServer], replay: Replay, ai: ChatServer, answer: Any, reason: str
) -> None:
    timeout_s = 0.5
    ai.answer = answer
    server = api(
        response_cache=False,
        openai_api_key=KEY,
        openai_base_url=ai.url,
        ai_judge_timeout_s=timeout_s,
    )
    async with httpx.AsyncClient() as client:
        await gql(client, server.url, '{ signal(ticker: "SOL") { direction } }')  # data cached
        started = time.perf_counter()
        result = await gql(client, server.url, QUERY, t="SOL")
        elapsed = time.perf_counter() - started
    v = result["data"]["verdict"]
    assert v["judge"] == "RULES"
    assert v["fallbackReason"].startswith(reason)
    assert v["latencyMs"] is not None and v["latencyMs"] < (timeout_s + 0.1) * 1000
    # measured by the server around the AI call: the acceptance bound, timeout + 100 ms
    assert v["latencyMs"] < (timeout_s + 0.1) * 1000
    assert elapsed < timeout_s + 1.0  # the whole request, loosely: no retry, no second wait
    assert len(ai.seen) == 1  # no retry, not even on quota
    assert KEY not in json.dumps(result)
