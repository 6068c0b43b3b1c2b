"""Telegram alerts: ``format_alert`` as a pure function, and ``TelegramClient`` over real
HTTP against a local server standing in for the Bot API on loopback.

The stand-in answers in the Bot API's documented envelope (``ok``/``result``, or
``ok``/``error_code``/``description``/``parameters``). The alert's prices come from a
recorded Binance kline series (entry = last close, levels derived from its range); score,
factor points and verdict are engine outputs, not market data.
"""

from __future__ import annotations

import html
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from providers.telegram import (
    AlertFactor,
    SignalAlert,
    TelegramClient,
    TelegramSendFailed,
    format_alert,
)
from tests.providers.conftest import load
from tests.support import LoopbackServer, free_port

TOKEN = "123456789:AAtest-not-a-real-token_5c0ffee1d2e3"  # what must never be shown
CHAT_ID = "-1001234567890"
KLINES = "binance-futures/klines-BTCUSDT-5m-limit500-2025-11-05.json"


# -- the alert --------------------------------------------------------------------------------


def recorded_alert() -> SignalAlert:
    """Entry, stop and targets from recorded 5m BTCUSDT klines (last close, +-1.5/3 ranges)."""
    rows = load(KLINES)[-15:]
    entry = float(rows[-1][4])
    mean_range = sum(float(r[2]) - float(r[3]) for r in rows) / len(rows)
    return SignalAlert(
        ticker="BTC",
        direction="LONG",
        score=61.5,
        mode="AGGRESSIVE",
        verdict="DOWNSIZE",
        risk_mode="REDUCED",
        position_multiplier=0.5,
        entry=entry,
        stop_loss=round(entry - 1.5 * mean_range, 2),
        take_profits=(round(entry + 1.5 * mean_range, 2), round(entry + 3 * mean_range, 2)),
        top_factors=(
            AlertFactor("liquidations", 18.72),
            AlertFactor("price momentum", 12.8),
            AlertFactor("funding rate", 9.0),
        ),
        judge="AI",
        ts_ms=int(rows[-1][6]) + 1,  # the candle's close
        model="judge-test-model-0001",
        summary="Momentum and liquidations agree; data quality is middling, so trade half size.",
    )


def test_the_alert_names_every_field() -> None:
    alert = recorded_alert()
    text = format_alert(alert)
    entry, stop = alert.entry, alert.stop_loss
    assert entry is not None and stop is not None
    lines = text.splitlines()

    assert lines[0] == "🟢 ▲ LONG <b>BTC</b>"
    assert "Score: <b>61.5</b> · mode AGGRESSIVE" in lines
    assert "Verdict: <b>DOWNSIZE</b> · risk REDUCED · size \N{MULTIPLICATION SIGN}0.50" in lines
    assert f"Entry: {entry:,.2f}" in lines
    assert f"Stop: {stop:,.2f} ({(stop / entry - 1) * 100:+.2f} %)" in lines
    tp1, tp2 = alert.take_profits
    assert f"Targets: {tp1:,.2f} ({(tp1 / entry - 1) * 100:+.2f} %) · {tp2:,.2f}" in text
    assert "Top factors: liquidations 18.7 · price momentum 12.8 · funding rate 9.0" in lines
    assert "Judge: <b>AI</b> (judge-test-model-0001)" in lines
    assert f"<i>{alert.summary}</i>" in lines
    assert lines[-1] == "2025-11-07 06:15 UTC"  # the last recorded candle closes then


def test_the_rule_judge_says_why_and_a_short_says_so() -> None:
    alert = replace(
        recorded_alert(), direction="SHORT", judge="RULES", model=None, fallback_reason="quota"
    )
    text = format_alert(alert)
    assert text.startswith("🔴 ▼ SHORT <b>BTC</b>")
    assert "Judge: <b>RULES</b> · AI unavailable: quota" in text.splitlines()


def test_dynamic_text_is_html_escaped() -> None:
    hostile = '<a href="x">&amp;</a>'
    alert = replace(
        recorded_alert(),
        ticker=hostile,
        mode=hostile,
        verdict=hostile,
        risk_mode=hostile,
        top_factors=(AlertFactor(hostile, 1.0),),
        judge=hostile,
        model=hostile,
        fallback_reason=hostile,
        summary=hostile,
        direction=hostile,
    )
    text = format_alert(alert)
    escaped = html.escape(hostile, quote=False)
    assert hostile not in text
    assert text.count(escaped) == 10
    # only the formatter's own tags remain
    assert set(re.findall(r"</?([a-z]+)", text)) <= {"b", "i"}


def test_missing_levels_are_shown_as_such() -> None:
    alert = replace(recorded_alert(), entry=None, stop_loss=None, take_profits=(), top_factors=())
    lines = format_alert(alert).splitlines()
    assert "Entry: —" in lines
    assert "Stop: —" in lines
    assert "Targets: —" in lines
    assert not any(line.startswith("Top factors") for line in lines)


# -- the Bot API stand-in ---------------------------------------------------------------------


@dataclass
class BotApi:
    """Answers ``sendMessage`` with the next scripted answer (the last one repeats)."""

    url: str = ""
    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    script: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        self.seen.append((request.url.path, json.loads(await request.body())))
        status, body = self.script[min(len(self.seen), len(self.script)) - 1]
        return JSONResponse(body, status_code=status)


def sent(message_id: int, text: str) -> tuple[int, dict[str, Any]]:
    return 200, {
        "ok": True,
        "result": {
            "message_id": message_id,
            "chat": {"id": int(CHAT_ID), "type": "channel", "title": "perpgraph alerts"},
            "date": 1_762_367_000,
            "text": text,
        },
    }


def refused(status: int, description: str, **parameters: Any) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body


@pytest.fixture(scope="module")
def bot_server() -> Iterator[BotApi]:
    state = BotApi()
    app = Starlette(routes=[Route("/bot{token}/sendMessage", state.handle, methods=["POST"])])
    server = LoopbackServer(app)
    state.url = server.start()
    yield state
    server.stop()


@pytest.fixture
def bot(bot_server: BotApi) -> Iterator[BotApi]:
    bot_server.seen.clear()
    bot_server.script = []
    yield bot_server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def client(http: httpx.AsyncClient, base_url: str, **options: Any) -> TelegramClient:
    options.setdefault("backoff_base_s", 0.01)
    options.setdefault("backoff_max_s", 0.05)
    return TelegramClient(http, TOKEN, CHAT_ID, base_url=base_url, **options)


async def test_an_alert_is_sent_as_html(bot: BotApi, http: httpx.AsyncClient) -> None:
    alert = recorded_alert()
    bot.script = [sent(42, "…")]

    message_id = await client(http, bot.url).send_alert(alert)

    assert message_id == 42
    ((path, body),) = bot.seen
    assert path == f"/bot{TOKEN}/sendMessage"
    assert body == {
        "chat_id": CHAT_ID,
        "text": format_alert(alert),
        "parse_mode": "HTML",
        "disable_web_page_preview": True,
    }


async def test_flood_control_waits_retry_after_then_sends(
    bot: BotApi, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot.script = [refused(429, "Too Many Requests: retry after 1", retry_after=1), sent(43, "…")]

    started = time.perf_counter()
    message_id = await client(http, bot.url).send_message("<b>BTC</b> LONG")
    elapsed = time.perf_counter() - started

    assert message_id == 43
    assert len(bot.seen) == 2
    assert elapsed >= 1.0  # Telegram's retry_after, not the 10 ms backoff
    assert "retrying in 1.00 s" in caplog.text
    assert TOKEN not in caplog.text


async def test_server_errors_exhaust_the_attempts_without_showing_the_token(
    bot: BotApi, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx writes every request line, URL included, at INFO
    bot.script = [refused(500, "Internal Server Error")]
    telegram = client(http, bot.url, max_attempts=3)

    with pytest.raises(TelegramSendFailed) as caught:
        await telegram.send_message("<b>BTC</b> LONG")

    assert len(bot.seen) == 3
    error = caught.value
    assert (error.attempts, error.status, error.code) == (3, 500, "ALERT_NOT_SENT")
    assert str(error) == (
        "telegram sendMessage failed after 3 attempt(s): HTTP 500: Internal Server Error"
    )
    assert "HTTP Request: POST" in caplog.text  # httpx did log the requests...
    for shown in (str(error), repr(error), caplog.text, repr(telegram)):
        assert TOKEN not in shown  # ...with the token blanked
    assert TOKEN.split(":")[1] not in caplog.text
    assert error.__cause__ is None and error.__context__ is None


async def test_a_refusal_is_final(bot: BotApi, http: httpx.AsyncClient) -> None:
    bot.script = [refused(400, "Bad Request: chat not found")]
    with pytest.raises(TelegramSendFailed) as caught:
        await client(http, bot.url).send_message("<b>BTC</b> LONG")
    assert len(bot.seen) == 1
    assert str(caught.value).endswith("HTTP 400: Bad Request: chat not found")


async def test_a_long_flood_wait_fails_at_once(bot: BotApi, http: httpx.AsyncClient) -> None:
    bot.script = [refused(429, "Too Many Requests: retry after 120", retry_after=120)]
    with pytest.raises(TelegramSendFailed) as caught:
        await client(http, bot.url, max_retry_after_s=30).send_message("<b>BTC</b> LONG")
    assert len(bot.seen) == 1
    assert (caught.value.status, caught.value.retry_after_s) == (429, 120)


async def test_an_unreachable_api_is_retried_then_reported(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    telegram = client(http, f"http://127.0.0.1:{free_port()}", max_attempts=2)
    with pytest.raises(TelegramSendFailed) as caught:
        await telegram.send_message("<b>BTC</b> LONG")
    assert caught.value.attempts == 2
    assert "connection failed (ConnectError)" in str(caught.value)
    assert TOKEN not in caplog.text


async def test_backoff_between_attempts_grows(bot: BotApi, http: httpx.AsyncClient) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    bot.script = [refused(502, "Bad Gateway")]
    telegram = client(
        http,
        bot.url,
        max_attempts=4,
        backoff_base_s=0.5,
        backoff_max_s=1.5,
        sleep=record,
        jitter=lambda: 1.0,
    )
    with pytest.raises(TelegramSendFailed):
        await telegram.send_message("<b>BTC</b> LONG")
    assert len(bot.seen) == 4
    assert waits == [0.5, 1.0, 1.5]


async def test_the_token_and_chat_id_are_checked_without_quoting_the_token(
    http: httpx.AsyncClient,
) -> None:
    with pytest.raises(ValueError) as caught:
        TelegramClient(http, "not-a-token-" + TOKEN[-12:], CHAT_ID)
    assert TOKEN[-12:] not in str(caught.value)
    with pytest.raises(ValueError, match="chat id"):
        TelegramClient(http, TOKEN, "my chat")
