"""Signal history through the running server on the real PostgreSQL (a database of its own
per test), against the replay: recordSignal, signalHistory, alerts to a local stand-in for
the Telegram Bot API, and the scoring of due verdicts behind verdictAccuracy and
signalPerformance."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from engine.domain import Candle
from engine.signal.model import Direction, Mode
from engine.verdict import Hit, evaluate, trade_plan
from graph.server.jobs.recorder import Recorder
from graph.server.services import open_services
from providers.history import SignalRow, VerdictRow, signal_id
from resolvers import history
from tests.support import ApiServer, LoopbackServer, Replay, gql, replay_settings

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/test"
RECORD = """mutation($t: String!, $key: String) { recordSignal(ticker: $t, idempotencyKey: $key) {
  id ticker mode direction score price source recordedAt
  verdict { verdict judge fallbackReason stopLoss takeProfits positionMultiplier } } }"""
HISTORY = """query($first: Int!, $after: String) { signalHistory(first: $first, after: $after) {
  entries { id ticker direction verdict { verdict } outcomes { horizon } }
  pageInfo { hasNextPage endCursor } } }"""


class BotApi:
    """A local stand-in for the Telegram Bot API: records each sendMessage, answers as told."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.status = 200

    async def send(self, request: Request) -> Response:
        body = await request.json()
        self.messages.append(body)
        if self.status != 200:
            return JSONResponse(
                {"ok": False, "error_code": self.status, "description": "Internal"},
                status_code=self.status,
            )
        message = {
            "message_id": len(self.messages),
            "date": 0,
            "chat": {"id": 1, "type": "private"},
        }
        return JSONResponse({"ok": True, "result": message})


@pytest.fixture
def bot() -> Iterator[tuple[BotApi, str]]:
    api = BotApi()
    app = Starlette(routes=[Route("/bot{token}/sendMessage", api.send, methods=["POST"])])
    server = LoopbackServer(app)
    url = server.start()
    yield api, url
    server.stop()


async def test_without_a_database_history_is_not_configured_and_the_rest_serves(
    api: Callable[..., ApiServer],
) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        listed = await gql(client, server.url, HISTORY, first=5)
        recorded = await gql(client, server.url, RECORD, role="write", t="SOL")
        price = await gql(client, server.url, '{ symbol(ticker: "SOL") { price } }')
    assert [e["extensions"]["code"] for e in listed["errors"]] == ["NOT_CONFIGURED"]
    assert [e["extensions"]["code"] for e in recorded["errors"]] == ["NOT_CONFIGURED"]
    assert price["data"]["symbol"]["price"] is not None


async def test_record_signal_is_durable_idempotent_alerted_and_listed(
    database: str, api: Callable[..., ApiServer], tmp_path: Path, bot: tuple[BotApi, str]
) -> None:
    bot_api, bot_url = bot
    server = api(
        response_cache=False,
        database_url=database,
        history_outbox_path=str(tmp_path / "outbox.jsonl"),
        telegram_bot_token="123456:test-token-for-perpgraph-tests",
        telegram_chat_id="42",
        telegram_base_url=bot_url,
    )
    async with httpx.AsyncClient() as client:
        first = await gql(client, server.url, RECORD, role="write", t="SOL", key="order-7")
        again = await gql(
            client, server.url, RECORD, role="write", t="SOL", key="order-7"
        )  # a retry
        neutral = await gql(client, server.url, RECORD, role="write", t="BTC")
        listed = await gql(client, server.url, HISTORY, first=10)
        signal = await gql(client, server.url, '{ signal(ticker: "SOL") { score price } }')
        for _ in range(100):  # the alert is sent in the background
            if bot_api.messages:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # time enough for a second alert, were one sent
    assert "errors" not in first, first
    rec = first["data"]["recordSignal"]
    assert rec["id"] == again["data"]["recordSignal"]["id"]
    assert (rec["ticker"], rec["direction"], rec["source"]) == ("SOL", "LONG", "mutation")
    assert (rec["score"], rec["price"]) == (
        signal["data"]["signal"]["score"],
        signal["data"]["signal"]["price"],
    )
    assert rec["verdict"]["judge"] == "RULES" and rec["verdict"]["fallbackReason"] == "no key"
    assert [e["extensions"]["code"] for e in neutral["errors"]] == ["NEUTRAL_SIGNAL"]
    entries = listed["data"]["signalHistory"]["entries"]
    assert [e["id"] for e in entries] == [rec["id"]]  # one row for two recordings
    conn = await asyncpg.connect(database)
    try:
        assert await conn.fetchval("SELECT count(*) FROM signals") == 1
        assert await conn.fetchval("SELECT count(*) FROM verdicts") == 1
    finally:
        await conn.close()
    assert len(bot_api.messages) == 1  # one record, one alert, however often recorded
    text = bot_api.messages[0]["text"]
    assert "SOL" in text and rec["verdict"]["verdict"] in text
    assert bot_api.messages[0]["parse_mode"] == "HTML"


async def test_a_failing_bot_api_never_loses_the_record(
    database: str, api: Callable[..., ApiServer], tmp_path: Path, bot: tuple[BotApi, str]
) -> None:
    bot_api, bot_url = bot
    bot_api.status = 500
    server = api(
        response_cache=False,
        database_url=database,
        history_outbox_path=str(tmp_path / "outbox.jsonl"),
        telegram_bot_token="123456:test-token-for-perpgraph-tests",
        telegram_chat_id="42",
        telegram_base_url=bot_url,
        telegram_max_attempts=2,
    )
    async with httpx.AsyncClient() as client:
        recorded = await gql(client, server.url, RECORD, role="write", t="ETH")
        for _ in range(100):
            if len(bot_api.messages) >= 2:
                break
            await asyncio.sleep(0.05)
        listed = await gql(client, server.url, HISTORY, first=10)
    assert "errors" not in recorded, recorded
    assert len(bot_api.messages) == 2  # both attempts made, both refused
    ids = [e["id"] for e in listed["data"]["signalHistory"]["entries"]]
    assert ids == [recorded["data"]["recordSignal"]["id"]]


# -- scoring due verdicts ----------------------------------------------------------------------


def _candles(rows: list[list[Any]]) -> list[Candle]:
    return [
        Candle(
            open_time_ms=int(r[0]),
            open=float(r[1]),
            high=float(r[2]),
            low=float(r[3]),
            close=float(r[4]),
            volume=float(r[5]),
            close_time_ms=int(r[6]),
            quote_volume=None,
            trade_count=None,
            taker_buy_base_volume=None,
        )
        for r in rows
    ]


async def test_due_verdicts_are_scored_from_the_candles_that_followed(
    database: str, api: Callable[..., ApiServer], replay: Replay, tmp_path: Path
) -> None:
    """A LONG recorded at a recorded 5-minute candle's close, its plan from the hour of
    candles before it; scored at 1 h, 4 h and 24 h from the candles the replay serves after
    it, and aggregated by verdictAccuracy and signalPerformance."""
    rows = replay.venue("/fapi/v1/klines", symbol="BTCUSDT", interval="5m", limit="1000")
    candles = _candles(rows)
    at = 100  # the entry candle: 100 candles of history before it, 399 after (over 24 h)
    entry = candles[at]
    plan = trade_plan(Direction.LONG, candles[: at + 1])
    assert plan is not None
    entry_time = datetime.fromtimestamp((entry.open_time_ms + 5 * 60_000) / 1000, tz=UTC)
    signal = SignalRow(
        id=signal_id("BTC", "AGGRESSIVE", "LONG", entry_time, "watcher"),
        ticker="BTC",
        mode="AGGRESSIVE",
        direction="LONG",
        score=60.0,  # our engine's kind of output, not market data
        confidence="MEDIUM",
        price=entry.close,
        factors={},
        quality={},
        recorded_at=entry_time,
        source="watcher",
    )
    verdict = VerdictRow(
        verdict="CONFIRM",
        risk_mode="NORMAL",
        position_multiplier=1.0,
        judge="RULES",
        model=None,
        fallback_reason=None,
        stop_loss=plan.stop_loss,
        take_profits=plan.take_profits,
        atr=plan.atr,
        size_hint=asdict(plan.size_hint),
        plan_text=plan.text,
        entry=plan.entry,
        created_at=entry_time,
    )
    settings = replay_settings(
        replay.url, database_url=database, history_outbox_path=str(tmp_path / "outbox.jsonl")
    )
    async with open_services(settings) as services:
        store = services.history
        assert store is not None
        await store.record(signal, verdict)
        assert await store.wait_drained(10)
        scored = await history.evaluate_due(services, entry_time + timedelta(hours=25))
        assert await store.wait_drained(10)
    assert scored == 3
    expected = evaluate(
        Direction.LONG,
        entry.close,
        int(entry_time.timestamp() * 1000),
        plan.stop_loss,
        plan.take_profits,
        1.0,
        plan.size_hint,
        candles,
        interval_ms=5 * 60_000,
    )
    server = api(
        response_cache=False, database_url=database, history_outbox_path=str(tmp_path / "o2.jsonl")
    )
    async with httpx.AsyncClient() as client:
        listed = await gql(
            client,
            server.url,
            "{ signalHistory(first: 5) { entries { outcomes { horizon returnPct hit pnlPct } } } }",
        )
        accuracy = await gql(
            client,
            server.url,
            "{ verdictAccuracy { byVerdict { key horizons { horizon evaluated wins winRate avgReturnPct } } } }",
        )
        performance = await gql(
            client,
            server.url,
            "{ signalPerformance { ticker direction signals horizons { horizon evaluated } } }",
        )
    outcomes = {o["horizon"]: o for o in listed["data"]["signalHistory"]["entries"][0]["outcomes"]}
    for name, want in zip(("1h", "4h", "24h"), expected, strict=True):
        assert want.complete
        got = outcomes[name]
        assert got["hit"] == want.first_hit.value
        assert got["returnPct"] == pytest.approx(want.return_pct)
        assert got["pnlPct"] == pytest.approx(want.pnl_pct_of_equity)
    (confirm,) = accuracy["data"]["verdictAccuracy"]["byVerdict"]
    assert confirm["key"] == "CONFIRM"
    for h in confirm["horizons"]:
        want = next(
            o for n, o in zip(("1h", "4h", "24h"), expected, strict=True) if n == h["horizon"]
        )
        won = want.first_hit is Hit.TARGET1 or (
            want.first_hit is Hit.NEITHER and (want.return_pct or 0) > 0
        )
        assert (h["evaluated"], h["wins"]) == (1, int(won))
        assert h["avgReturnPct"] == pytest.approx(want.return_pct)
    (perf,) = performance["data"]["signalPerformance"]
    assert (perf["ticker"], perf["direction"], perf["signals"]) == ("BTC", "LONG", 1)
    assert sorted(h["horizon"] for h in perf["horizons"]) == ["1h", "24h", "4h"]


async def test_the_recorder_records_each_move_once_and_keeps_its_cooldown_over_a_restart(
    replay: Replay, database: str, tmp_path: Path
) -> None:
    settings = replay_settings(
        replay.url, database_url=database, history_outbox_path=str(tmp_path / "outbox.jsonl")
    )
    now = datetime.now(UTC)
    async with open_services(settings) as services:
        store = services.history
        assert store is not None

        def recorder() -> Recorder:
            return Recorder(
                services, ["SOL", "BTC"], Mode.AGGRESSIVE, timedelta(minutes=15), timedelta(hours=4)
            )

        first = await recorder().scan(now)
        again = await recorder().scan(now + timedelta(minutes=15))  # a restarted watcher
        later = await recorder().scan(now + timedelta(hours=5))  # past the cooldown
        assert await store.wait_drained(10)
        page = await store.history(first=10)
    assert (first.recorded, first.skipped) == (["SOL"], {"BTC": "NEUTRAL"})
    assert again.recorded == [] and again.skipped["SOL"] == "cooldown"
    assert later.recorded == ["SOL"]
    assert [(e.signal.ticker, e.signal.source) for e in page.entries] == [("SOL", "watcher")] * 2


async def test_serve_runs_the_recorder_when_enabled(
    database: str, api: Callable[..., ApiServer], tmp_path: Path
) -> None:
    server = api(
        response_cache=False,
        database_url=database,
        history_outbox_path=str(tmp_path / "outbox.jsonl"),
        watch_enabled=True,
        watchlist="SOL,BTC",
        watch_interval_min=0.01,
    )
    query = "{ signalHistory(first: 5) { entries { ticker source direction } } }"
    async with httpx.AsyncClient() as client:
        for _ in range(100):
            entries = (await gql(client, server.url, query))["data"]["signalHistory"]["entries"]
            if entries:
                break
            await asyncio.sleep(0.05)
    assert entries == [{"ticker": "SOL", "source": "watcher", "direction": "LONG"}]
