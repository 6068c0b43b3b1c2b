"""``AiJudgeClient`` over real HTTP against a local OpenAI-compatible server on loopback.

The server is a small Starlette app serving ``POST /v1/chat/completions``; each test tells it
how to answer. Its canned answers are model outputs (verdict words, a multiplier, a sentence),
not market data; the signal numbers sent come from a recorded Binance kline series (entry,
ATR %, stop and targets derived from it) or are engine outputs (score, thresholds, factor
points). Every failure must surface as ``JudgeUnavailable`` with its reason within the
call's timeout + 100 ms (the issue's acceptance bound) after exactly one request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from providers.aijudge import AiJudgeClient, AiVerdict, JudgeMetrics, JudgeUnavailable
from providers.aijudge.models import verdict_json_schema
from tests.providers.conftest import load
from tests.support import LoopbackServer, free_port

KEY = "sk-test-5e1d9c0a-not-a-real-key"  # what must never leave the Authorization header
MODEL = "judge-test-model"
SERVED_MODEL = "judge-test-model-0001"  # the server names its own snapshot
TIMEOUT_S = 0.5
KLINES = "binance-futures/klines-BTCUSDT-5m-limit500-2025-11-05.json"


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Answer = Callable[[], Awaitable[Response]]


@dataclass
class ChatServer:
    """What the test server answers next, and every request it received."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    answer: Answer | None = None

    async def handle(self, request: Request) -> Response:
        self.seen.append(Seen(request.url.path, dict(request.headers), await request.body()))
        assert self.answer is not None, "the test did not say how to answer"
        return await self.answer()


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChatServer]:
    state = ChatServer()
    app = Starlette(routes=[Route("/v1/chat/completions", state.handle, methods=["POST"])])
    server = LoopbackServer(app)
    state.url = server.start() + "/v1"
    yield state
    server.stop()


@pytest.fixture
def server(chat_server: ChatServer) -> Iterator[ChatServer]:
    chat_server.seen.clear()
    chat_server.answer = None
    yield chat_server
    chat_server.answer = None


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
async def judge(server: ChatServer, registry: CollectorRegistry) -> AsyncIterator[AiJudgeClient]:
    client = AiJudgeClient(
        api_key=KEY,
        base_url=server.url,
        model=MODEL,
        timeout_s=TIMEOUT_S,
        metrics=JudgeMetrics(registry),
    )
    yield client
    await client.aclose()


# -- canned answers (model outputs in the chat.completion envelope) ---------------------------


def completion(content: str | None, *, refusal: str | None = None) -> dict[str, Any]:
    """A ``chat.completion`` object shaped as the API reference documents it."""
    return {
        "id": "chatcmpl-test-0001",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": SERVED_MODEL,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 512, "completion_tokens": 96, "total_tokens": 608},
    }


VERDICT = {
    "verdict": "DOWNSIZE",
    "risk_mode": "REDUCED",
    "position_multiplier": 0.5,
    "summary": "Momentum and liquidations agree, but data quality is middling; trade half size.",
    "supporting": ["liquidations lead the score", "momentum agrees"],
    "warnings": ["data quality below 80 %"],
}


def answer_json(body: Any, status: int = 200, **headers: str) -> Answer:
    async def answer() -> Response:
        return JSONResponse(body, status_code=status, headers=headers)

    return answer


def answer_content(content: str) -> Answer:
    return answer_json(completion(content))


def answer_slowly(delay_s: float) -> Answer:
    async def answer() -> Response:
        await asyncio.sleep(delay_s)
        return JSONResponse(completion(json.dumps(VERDICT)))

    return answer


# -- the signal's numbers, from a recorded kline series ---------------------------------------


def signal_numbers() -> dict[str, float | str | None]:
    """Entry, ATR % and levels from recorded 5m BTCUSDT klines; the rest are engine outputs."""
    rows = load(KLINES)[-15:]
    highs = [float(r[2]) for r in rows]
    lows = [float(r[3]) for r in rows]
    closes = [float(r[4]) for r in rows]
    ranges = [
        max(highs[i], closes[i - 1]) - min(lows[i], closes[i - 1]) for i in range(1, len(rows))
    ]
    entry = closes[-1]
    atr = sum(ranges) / len(ranges)
    return {
        "ticker": "BTC",
        "direction": "LONG",
        "mode": "AGGRESSIVE",
        "score": 61.5,
        "mode_short_at_or_below": 45.0,
        "mode_long_at_or_above": 55.0,
        "confidence_pct": 42.0,
        "factor.liquidations.sub_score": 78.0,
        "factor.liquidations.contribution": 18.72,
        "factor.price_momentum.sub_score": 64.0,
        "factor.price_momentum.contribution": 12.8,
        "factor.social_sentiment.sub_score": None,
        "data_quality_pct": 72.0,
        "entry": entry,
        "atr_pct": round(atr / entry * 100, 4),
        "stop_loss": round(entry - 1.5 * atr, 2),
        "take_profit_1": round(entry + 1.5 * atr, 2),
        "take_profit_2": round(entry + 3.0 * atr, 2),
    }


def user_numbers(seen: Seen) -> Any:
    (user,) = [m for m in seen.json()["messages"] if m["role"] == "user"]
    return json.loads(user["content"].split("\n", 1)[1])


# -- tests ------------------------------------------------------------------------------------


async def test_a_valid_structured_answer_is_used(
    judge: AiJudgeClient,
    server: ChatServer,
    registry: CollectorRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server.answer = answer_content(json.dumps(VERDICT))
    numbers = signal_numbers()

    answer = await judge.judge(numbers)

    assert answer.verdict == AiVerdict.model_validate_json(json.dumps(VERDICT))
    assert answer.verdict.verdict == "DOWNSIZE"
    assert answer.verdict.risk_mode == "REDUCED"
    assert answer.verdict.position_multiplier == 0.5
    assert answer.verdict.warnings == ("data quality below 80 %",)
    assert answer.model == SERVED_MODEL  # as the server reports it, not as asked
    assert 0 < answer.latency_ms < TIMEOUT_S * 1000

    (seen,) = server.seen
    assert seen.path == "/v1/chat/completions"
    body = seen.json()
    assert body["model"] == MODEL
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "ai_verdict",
            "description": "A verdict on one crypto-futures trading signal.",
            "schema": verdict_json_schema(),
            "strict": True,
        },
    }
    assert user_numbers(seen) == numbers  # every number, unchanged, and nothing else
    # the key travels in the Authorization header and nowhere else: not the body, not
    # another header, not the logs
    assert seen.headers["authorization"] == f"Bearer {KEY}"
    assert KEY not in seen.body.decode()
    assert [k for k, v in seen.headers.items() if KEY in v] == ["authorization"]
    assert KEY not in caplog.text
    assert KEY not in repr(judge)
    assert 'perpgraph_ai_judge_calls_total{outcome="ok"} 1.0' in _metrics(registry)


def test_the_schema_sent_is_strict() -> None:
    schema = verdict_json_schema()
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["required"] == list(schema["properties"]) == [
        "verdict", "risk_mode", "position_multiplier", "summary", "supporting", "warnings"
    ]  # fmt: skip
    props = schema["properties"]
    assert props["verdict"]["enum"] == ["CONFIRM", "DOWNSIZE", "SKIP"]
    assert props["risk_mode"]["enum"] == ["NORMAL", "REDUCED", "DEFENSIVE"]
    assert (props["position_multiplier"]["minimum"], props["position_multiplier"]["maximum"]) == (
        0.0,
        1.5,
    )
    assert "maxLength" not in json.dumps(schema)  # described, not declared (see models.py)


QUOTA_BODY = {  # OpenAI's documented insufficient_quota error
    "error": {
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "type": "insufficient_quota",
        "param": None,
        "code": "insufficient_quota",
    }
}
RATE_BODY = {
    "error": {
        "message": "Rate limit reached for requests per min. Please try again in 1s.",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
}
REFUSAL = "I'm sorry, I can't help with that request."


@pytest.mark.parametrize(
    ("answer", "reason", "status"),
    [
        pytest.param(answer_slowly(TIMEOUT_S + 1.0), "timeout", None, id="slow"),
        pytest.param(answer_json({"error": {"message": "boom"}}, 500), "http 500", 500, id="500"),
        pytest.param(answer_json(QUOTA_BODY, 429), "quota", 429, id="quota"),
        pytest.param(answer_json(RATE_BODY, 429, **{"retry-after": "1"}), "rate limited", 429,
                     id="rate-limited"),
        pytest.param(answer_json(completion(None, refusal=REFUSAL)), "refusal", None, id="refusal"),
        pytest.param(answer_content('{"verdict": "CONFIRM", "risk_mode": '), "invalid output",
                     None, id="malformed-json"),
        pytest.param(answer_content(json.dumps({**VERDICT, "position_multiplier": 3.0})),
                     "invalid output", None, id="multiplier-3"),
        pytest.param(answer_content(json.dumps({**VERDICT, "verdict": "BUY"})), "invalid output",
                     None, id="unknown-verdict"),
        pytest.param(answer_content("Sure! I would CONFIRM this trade."), "invalid output", None,
                     id="prose"),
        pytest.param(answer_json({"object": "error"}), "invalid response", None,
                     id="not-a-completion"),
        pytest.param(answer_json({"error": {"message": "bad"}}, 400), "http 400", 400,
                     id="400"),
    ],
)  # fmt: skip
async def test_each_failure_is_judge_unavailable_within_the_timeout_after_one_request(
    judge: AiJudgeClient,
    server: ChatServer,
    registry: CollectorRegistry,
    caplog: pytest.LogCaptureFixture,
    answer: Answer,
    reason: str,
    status: int | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    server.answer = answer

    started = time.perf_counter()
    with pytest.raises(JudgeUnavailable) as caught:
        await judge.judge(signal_numbers())
    elapsed = time.perf_counter() - started

    assert elapsed < TIMEOUT_S + 0.1
    assert caught.value.reason == reason
    assert caught.value.status == status
    assert caught.value.code == "AI_JUDGE_UNAVAILABLE"
    assert len(server.seen) == 1  # no retry, above all not on a quota error
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)
    assert caught.value.__cause__ is None
    assert KEY not in caplog.text
    assert f'perpgraph_ai_judge_calls_total{{outcome="{reason}"}} 1.0' in _metrics(registry)


async def test_a_rate_limit_carries_the_servers_retry_after(
    judge: AiJudgeClient, server: ChatServer
) -> None:
    server.answer = answer_json(RATE_BODY, 429, **{"retry-after": "7"})
    with pytest.raises(JudgeUnavailable) as caught:
        await judge.judge(signal_numbers())
    assert (caught.value.reason, caught.value.retry_after_s) == ("rate limited", 7.0)
    assert caught.value.transient


async def test_a_per_call_timeout_overrides_the_clients(
    judge: AiJudgeClient, server: ChatServer
) -> None:
    server.answer = answer_slowly(1.0)
    started = time.perf_counter()
    with pytest.raises(JudgeUnavailable, match="timeout"):
        await judge.judge(signal_numbers(), timeout_s=0.2)
    assert time.perf_counter() - started < 0.2 + 0.1


async def test_an_unreachable_server_is_a_connection_failure(registry: CollectorRegistry) -> None:
    client = AiJudgeClient(
        api_key=KEY,
        base_url=f"http://127.0.0.1:{free_port()}/v1",  # nothing listens there
        model=MODEL,
        timeout_s=TIMEOUT_S,
        metrics=JudgeMetrics(registry),
    )
    started = time.perf_counter()
    with pytest.raises(JudgeUnavailable) as caught:
        await client.judge(signal_numbers())
    assert time.perf_counter() - started < TIMEOUT_S + 0.1
    assert caught.value.reason == "connection"
    await client.aclose()


@pytest.mark.parametrize("key", [None, "", "   "])
async def test_without_a_key_nothing_is_sent(server: ChatServer, key: str | None) -> None:
    client = AiJudgeClient(api_key=key, base_url=server.url, model=MODEL)
    assert not client.configured
    with pytest.raises(JudgeUnavailable) as caught:
        await client.judge(signal_numbers())
    assert caught.value.reason == "no key"
    assert server.seen == []
    await client.aclose()


@pytest.mark.parametrize(
    "numbers",
    [
        {},
        {"note": "sk-proj-" + "x" * 40},  # free text (here: something key-like) is refused
        {"score": [61.5]},
        {"bad key!": 1.0},
    ],
)
async def test_a_malformed_signal_is_refused_before_anything_is_sent(
    judge: AiJudgeClient, server: ChatServer, numbers: dict[str, Any]
) -> None:
    with pytest.raises(ValueError) as caught:
        await judge.judge(numbers)
    assert "sk-proj-" not in str(caught.value)
    assert server.seen == []


async def test_numbers_that_are_not_finite_are_sent_as_null(
    judge: AiJudgeClient, server: ChatServer
) -> None:
    server.answer = answer_content(json.dumps(VERDICT))
    await judge.judge({"ticker": "BTC", "atr_pct": float("nan"), "score": 61.5})
    assert user_numbers(server.seen[0]) == {"atr_pct": None, "score": 61.5, "ticker": "BTC"}


async def test_the_key_stays_out_of_repr(server: ChatServer) -> None:
    client = AiJudgeClient(api_key=KEY, base_url=server.url, model=MODEL)
    assert KEY not in repr(client)
    assert "api_key=<hidden>" in repr(client)
    await client.aclose()


def _metrics(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()
