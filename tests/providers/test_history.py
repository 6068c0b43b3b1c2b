"""The history store on the real PostgreSQL (127.0.0.1:5432, database ``test``).

Each test works in a schema of its own (``t_hist_<hex>``, dropped afterwards) through
``search_path``. Outages are made two ways: ``pg_terminate_backend`` on the store's backends
(by ``application_name``) from an admin connection, and a TCP relay in front of PostgreSQL
that is cut (listener closed, live connections reset) and restored, which is what a stopped
server looks like from the client. PostgreSQL being down fails these tests; they never skip.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import signal
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from providers.errors import ProviderError, UpstreamUnreachable
from providers.history import (
    MIGRATIONS,
    HistoryFilter,
    HistoryStore,
    InvalidCursor,
    InvalidQuery,
    InvalidRecord,
    OutboxLocked,
    OutcomeRow,
    SignalRow,
    VerdictRow,
    migrate,
)
from providers.history.outbox import Outbox
from tests.providers.history_writer import TICKERS, candles, record_for, sample

# the versions of the migrations in the repository (0001 history, 0002 API keys, ...)
RELEASED = sorted(p.name[:4] for p in MIGRATIONS.glob("*.sql"))
DSN = "postgresql://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2025, 4, 20, tzinfo=UTC)  # after every recorded candle used here


# -- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
async def admin() -> AsyncIterator[asyncpg.Connection]:
    try:
        conn = await asyncpg.connect(
            DSN, timeout=5, server_settings={"application_name": "perpgraph-test-admin"}
        )
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.fail(f"PostgreSQL must run at {DSN} for the history tests: {exc!r}")
    yield conn
    await conn.close()


@pytest.fixture
async def schema(admin: asyncpg.Connection) -> AsyncIterator[str]:
    name = f"t_hist_{uuid.uuid4().hex[:12]}"
    await admin.execute(f"CREATE SCHEMA {name}")
    yield name
    await admin.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture
async def migrated(schema: str) -> str:
    assert await migrate(DSN, server_settings={"search_path": schema}) == RELEASED
    return schema


@pytest.fixture
def app_name() -> str:
    return f"perpgraph-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def proxy() -> AsyncIterator[PgProxy]:
    relay = PgProxy()
    await relay.start()
    yield relay
    await relay.stop()


def store_for(schema: str, outbox: Path, dsn: str = DSN, **options: Any) -> HistoryStore:
    settings: dict[str, Any] = {
        "connect_timeout_s": 1.0,
        "write_timeout_s": 2.0,
        "command_timeout_s": 3.0,
        "retry_base_s": 0.05,
        "retry_max_s": 0.3,
        **options,
    }
    return HistoryStore(
        dsn, outbox_path=outbox, server_settings={"search_path": schema}, **settings
    )


async def count(admin: asyncpg.Connection, schema: str, table: str) -> int:
    return int(await admin.fetchval(f"SELECT count(*) FROM {schema}.{table}"))


class PgProxy:
    """A TCP relay to PostgreSQL on a free loopback port that can be cut and restored."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def dsn(self, password: str | None = None) -> str:
        auth = f"postgres:{password}" if password else "postgres"
        return f"postgresql://{auth}@127.0.0.1:{self.port}/test"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and reset every open one, as a stopped server would."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        self._server = None

    async def restore(self) -> None:
        await self.start()

    async def stop(self) -> None:
        if self._server is not None:
            await self.cut()
        if self._tasks:  # the relays end once their sockets are reset
            await asyncio.wait(list(self._tasks), timeout=2)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", 5432)
            except OSError:
                writer.transport.abort()
                return
            self._writers |= {writer, up_writer}
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            self._writers -= {writer, up_writer}
        finally:
            self._tasks.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.transport.abort()


class Terminator:
    """Terminates the backends of one application name, again and again, from ``admin``."""

    def __init__(self, admin: asyncpg.Connection, app_name: str, every_s: float = 0.1) -> None:
        self.admin = admin
        self.app_name = app_name
        self.every_s = every_s
        self.terminated = 0
        self.rounds = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _run(self) -> None:
        while True:
            killed = await self.admin.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1",
                self.app_name,
            )
            self.terminated += int(killed)
            self.rounds += 1
            await asyncio.sleep(self.every_s)


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


# -- migrations ------------------------------------------------------------------------------


async def test_migrations_apply_once_and_are_idempotent(
    admin: asyncpg.Connection, schema: str
) -> None:
    settings = {"search_path": schema}
    assert await migrate(DSN, server_settings=settings) == RELEASED
    assert await migrate(DSN, server_settings=settings) == []

    ledger = await admin.fetch(f"SELECT version, name, applied_at FROM {schema}.schema_migrations")
    assert [(r["version"], r["name"]) for r in ledger] == [
        ("0001", "history"),
        ("0002", "api_keys"),
        ("0003", "watchlist"),
    ]
    tables = await admin.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
    )
    assert {r["table_name"] for r in tables} == {
        "schema_migrations",
        "signals",
        "verdicts",
        "outcomes",
        "api_keys",
        "watchlist",
    }
    indexes = await admin.fetch(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'signals'", schema
    )
    defs = " ".join(r["indexdef"] for r in indexes)
    for leading in (
        "(ticker, recorded_at DESC",
        "(direction, recorded_at DESC",
        "(recorded_at DESC",
    ):
        assert leading in defs


async def test_concurrent_migrations_from_two_pools_serialize(
    admin: asyncpg.Connection, schema: str, tmp_path: Path
) -> None:
    async def race(in_schema: str, directory: Path) -> list[list[str]]:
        settings = {"search_path": in_schema}
        pools = [
            await asyncpg.create_pool(DSN, min_size=1, max_size=1, server_settings=settings)
            for _ in range(2)
        ]
        try:
            return await asyncio.gather(*(migrate(p, directory=directory) for p in pools))
        finally:
            for p in pools:
                await p.close()

    # a slow migration without IF NOT EXISTS: run twice at once, the second run would fail
    (tmp_path / "0001_slow.sql").write_text("CREATE TABLE slow (x int); SELECT pg_sleep(0.3);")
    (tmp_path / "0002_more.sql").write_text("ALTER TABLE slow ADD COLUMN y int;")
    started = time.monotonic()
    assert sorted(await race(schema, tmp_path)) == [[], ["0001", "0002"]]
    assert time.monotonic() - started >= 0.3  # the second waited for the first
    ledger = await admin.fetch(f"SELECT version, name FROM {schema}.schema_migrations")
    assert sorted((r["version"], r["name"]) for r in ledger) == [("0001", "slow"), ("0002", "more")]

    # and the real migrations, twice at once, in a schema of their own
    other = f"{schema}_b"
    await admin.execute(f"CREATE SCHEMA {other}")
    try:
        assert sorted(await race(other, MIGRATIONS)) == [[], RELEASED]
        assert await count(admin, other, "schema_migrations") == len(RELEASED)
    finally:
        await admin.execute(f"DROP SCHEMA {other} CASCADE")


# -- refusing NEUTRAL ----------------------------------------------------------------------


async def test_neutral_is_refused_by_the_api_before_sql_and_by_the_check(
    admin: asyncpg.Connection, migrated: str, tmp_path: Path
) -> None:
    signal, verdict = record_for("BTC", 0)
    neutral = SignalRow(**{**_fields(signal), "direction": "NEUTRAL"})
    outbox = tmp_path / "outbox.jsonl"
    async with store_for(migrated, outbox) as store:
        with pytest.raises(InvalidRecord) as refused:
            await store.record(neutral, verdict)
        assert refused.value.code == "INVALID_RECORD"
        assert "NEUTRAL" in refused.value.message and "LONG and SHORT" in refused.value.message
        assert store.stats.written == 0 and store.pending == 0
        assert outbox.read_bytes() == b""  # nothing reached the outbox either
    assert await count(admin, migrated, "signals") == 0

    with pytest.raises(asyncpg.CheckViolationError):
        await admin.execute(
            f"INSERT INTO {migrated}.signals (id, ticker, mode, direction, score, confidence, "
            "price, recorded_at, source) VALUES ('n', 'BTC', 'ULTRA', 'NEUTRAL', 50, 0, $1, $2, "
            "'watcher')",
            signal.price,
            signal.recorded_at,
        )


def _fields(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__slots__}


# -- the acceptance: 1,000 records through an outage -----------------------------------------


async def test_1000_records_through_terminated_backends_and_an_outage_end_as_1000_rows(
    admin: asyncpg.Connection,
    migrated: str,
    proxy: PgProxy,
    app_name: str,
    tmp_path: Path,
) -> None:
    records = sample(1000)
    expected = {s.id for s, _ in records}
    assert len(expected) == 1000
    outbox = tmp_path / "outbox.jsonl"
    terminator = Terminator(admin, app_name)
    acked: list[str] = []
    started = cut_at = time.monotonic()
    waiting_at_restore = 0
    async with (
        store_for(migrated, outbox, dsn=proxy.dsn(), application_name=app_name) as store,
        contextlib.AsyncExitStack() as cleanup,
    ):
        cleanup.push_async_callback(terminator.stop)  # also when a wave fails
        for wave in range(20):  # 20 waves of 50 concurrent record() calls
            if wave == 4:
                terminator.start()  # backends die under the store, again and again
            if wave == 8:
                await proxy.cut()  # then PostgreSQL is gone altogether ...
                cut_at = time.monotonic()
            if wave == 12:
                await asyncio.sleep(max(0.0, cut_at + 1.0 - time.monotonic()))
                waiting_at_restore = store.pending
                await proxy.restore()  # ... for a second, and comes back
            if wave == 16:
                await terminator.stop()
            chunk = records[wave * 50 : (wave + 1) * 50]
            acked += await asyncio.gather(*(store.record(s, v) for s, v in chunk))
            await asyncio.sleep(0.03)
        recorded_s = time.monotonic() - started
        assert await store.wait_drained(15)
        drained_s = time.monotonic() - started
        stats = store.stats
        assert store.pending == 0
    assert sorted(acked) == sorted(expected)  # every call returned its id
    assert terminator.terminated > 0 and stats.outages >= 1
    assert waiting_at_restore >= 200  # the four waves of the outage were acknowledged anyway
    assert stats.deferred >= 200 and stats.replayed >= 200

    assert await count(admin, migrated, "signals") == 1000
    assert await count(admin, migrated, "verdicts") == 1000
    ids = [r["id"] for r in await admin.fetch(f"SELECT id FROM {migrated}.signals")]
    assert len(set(ids)) == 1000 and set(ids) == expected
    assert outbox.stat().st_size == 0  # compacted once everything was acknowledged
    print(
        f"\n1000 records: {terminator.terminated} backends terminated in {terminator.rounds} "
        f"rounds, 1 s outage ({waiting_at_restore} waiting at its end); outages={stats.outages} direct={stats.direct} "
        f"deferred={stats.deferred} replayed={stats.replayed} retries={stats.retries}; "
        f"recorded in {recorded_s:.2f} s, all in PostgreSQL after {drained_s:.2f} s"
    )


# -- kill -9 of the writer -----------------------------------------------------------------


async def test_kill_9_of_the_writer_after_acknowledging_loses_nothing(
    admin: asyncpg.Connection,
    migrated: str,
    proxy: PgProxy,
    app_name: str,
    tmp_path: Path,
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.providers.history_writer",
        *("--dsn", proxy.dsn(), "--schema", migrated, "--app", app_name),
        *("--outbox", str(outbox)),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert writer.stdout is not None
    acked: list[str] = []
    try:
        async with asyncio.timeout(20):
            assert (await writer.stdout.readline()).strip() == b"ready"
            while len(acked) < 600:
                line = (await writer.stdout.readline()).decode().strip()
                assert line and line != "done", "the writer ended before it was killed"
                acked.append(line)
                if len(acked) == 200:
                    await proxy.cut()  # PostgreSQL gone for the writer, mid-stream
        writer.send_signal(signal.SIGKILL)
        rest, errors = await writer.communicate()
    finally:
        if writer.returncode is None:
            writer.kill()
            await writer.wait()
    assert writer.returncode == -signal.SIGKILL, errors.decode()[-2000:]
    assert b"Traceback" not in errors, errors.decode()[-2000:]
    # lines it printed before dying were acknowledged too (a torn last line is not counted)
    acked += [line for line in rest.decode().split("\n")[:-1] if line and line != "done"]
    assert len(acked) == len(set(acked)) >= 600

    before = await admin.fetchval(
        f"SELECT count(*) FROM {migrated}.signals WHERE id = ANY($1::text[])", acked
    )
    assert before < len(acked)  # some acknowledged records existed only in the outbox

    async with store_for(migrated, outbox) as store:  # a fresh writer on the same file
        waiting = store.pending
        assert await store.wait_drained(10)
    rows = await admin.fetch(
        f"SELECT id, count(*) AS n FROM {migrated}.signals WHERE id = ANY($1::text[]) GROUP BY id",
        acked,
    )
    assert {r["id"] for r in rows} == set(acked)
    assert all(r["n"] == 1 for r in rows)
    total = await count(admin, migrated, "signals")
    assert total == await count(admin, migrated, "verdicts")
    print(
        f"\nkill -9: {len(acked)} acknowledged, {before} in PostgreSQL at the kill, "
        f"{waiting} pending in the outbox on reopen, {total} rows after the replay"
    )


# -- the outbox file -----------------------------------------------------------------------


async def test_pending_lines_are_replayed_on_open_and_a_torn_tail_is_dropped(
    admin: asyncpg.Connection, migrated: str, proxy: PgProxy, tmp_path: Path
) -> None:
    outbox = tmp_path / "var" / "outbox.jsonl"  # the directory is created too
    records = sample(30)
    await proxy.cut()
    async with store_for(migrated, outbox, dsn=proxy.dsn()) as store:
        for s, v in records:
            await store.record(s, v)
        assert store.stats.deferred == 30 and store.pending == 30
        with pytest.raises(OutboxLocked):  # one writer per file
            await Outbox(outbox).open()
    with outbox.open("ab") as f:  # a crash in the middle of a line
        f.write(b'{"v":1,"key":"s:torn","kind":"rec')
    assert await count(admin, migrated, "signals") == 0

    async with store_for(migrated, outbox) as store:
        assert store.pending == 30
        assert await store.wait_drained(5)
        assert store.stats.replayed == 30
    assert await count(admin, migrated, "signals") == 30
    assert outbox.stat().st_size == 0


async def test_the_outbox_stays_small_while_postgres_is_up(
    admin: asyncpg.Connection, migrated: str, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    async with store_for(migrated, outbox, compact_bytes=8192) as store:
        for s, v in sample(120):
            await store.record(s, v)
            assert outbox.stat().st_size < 8192 + 2048  # one record line is about 1 kB
        assert store.stats.direct == 120
    assert await count(admin, migrated, "signals") == 120
    assert outbox.stat().st_size == 0  # close() compacts what is all acknowledged


async def test_a_store_started_before_its_database_migrates_once_it_is_back(
    admin: asyncpg.Connection, schema: str, proxy: PgProxy, tmp_path: Path
) -> None:
    await proxy.cut()
    async with store_for(schema, tmp_path / "o.jsonl", dsn=proxy.dsn(), auto_migrate=True) as store:
        for s, v in sample(5):
            await store.record(s, v)
        with pytest.raises(UpstreamUnreachable):
            await store.history()
        assert store.pending == 5
        await proxy.restore()
        assert await store.wait_drained(5)
        assert len((await store.history()).entries) == 5
    assert await count(admin, schema, "schema_migrations") == len(RELEASED)
    assert await count(admin, schema, "signals") == 5


async def test_a_row_postgres_refuses_is_set_aside_not_retried_forever(
    admin: asyncpg.Connection, migrated: str, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox.jsonl"
    orphan = OutcomeRow("no-such-signal", "1h", 0.5, "NEITHER", None, 0.1, NOW)
    async with store_for(migrated, outbox) as store:
        with pytest.raises(InvalidRecord, match="ForeignKeyViolation"):
            await store.record_outcome(orphan)
        assert store.pending == 0 and store.stats.rejected == 1
    rejected = (tmp_path / "outbox.jsonl.rejected").read_text()
    assert "no-such-signal" in rejected and "23503" in rejected
    assert await count(admin, migrated, "outcomes") == 0


# -- reads ---------------------------------------------------------------------------------


async def test_pagination_returns_every_row_once_in_order(
    admin: asyncpg.Connection, migrated: str, tmp_path: Path
) -> None:
    records = sample(137)  # three tickers share each close time: the id breaks the ties
    async with store_for(migrated, tmp_path / "outbox.jsonl") as store:
        for s, v in records:
            await store.record(s, v)
            await store.record(s, v)  # idempotent: still one row
        assert await count(admin, migrated, "signals") == 137

        def expected(rows: Iterable[SignalRow]) -> list[str]:
            return [r.id for r in sorted(rows, key=lambda r: (r.recorded_at, r.id), reverse=True)]

        signals = [s for s, _ in records]
        middle = sorted(s.recorded_at for s in signals)[len(signals) // 2]
        cases = [
            (HistoryFilter(), expected(signals)),
            (HistoryFilter(ticker="ETH"), expected(s for s in signals if s.ticker == "ETH")),
            (
                HistoryFilter(direction="SHORT", since=middle),
                expected(s for s in signals if s.direction == "SHORT" and s.recorded_at >= middle),
            ),
            (
                HistoryFilter(mode="ULTRA", until=middle),
                expected(s for s in signals if s.mode == "ULTRA" and s.recorded_at < middle),
            ),
        ]
        for flt, want in cases:
            assert want
            assert await _all_pages(store, flt) == want

        # a newer record arriving between pages does not shift the pages after it
        seen: list[str] = []
        page = await store.history(first=25)
        newer = record_for("BTC", 500)
        await store.record(*newer)
        while True:
            seen += [e.signal.id for e in page.entries]
            if page.next_cursor is None:
                break
            page = await store.history(first=25, after=page.next_cursor)
        assert seen == cases[0][1]

        first = (await store.history(first=1)).entries[0]
        assert (first.signal, first.verdict) == newer  # read back as written

        with pytest.raises(InvalidCursor) as bad:
            await store.history(after="not-a-cursor")
        assert bad.value.code == "BAD_CURSOR"
        nested = base64.urlsafe_b64encode(b"[" * 5000).decode()  # past the parser's recursion
        with pytest.raises(InvalidCursor):
            await store.history(after=nested)
        with pytest.raises(InvalidQuery):
            await store.history(first=0)
        with pytest.raises(InvalidQuery):
            await store.history(HistoryFilter(direction="NEUTRAL"))


async def _all_pages(store: HistoryStore, flt: HistoryFilter) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page = await store.history(flt, first=10, after=after)
        seen += [e.signal.id for e in page.entries]
        if page.next_cursor is None:
            return seen
        after = page.next_cursor


def _outcome(signal: SignalRow, verdict: VerdictRow, horizon: str) -> OutcomeRow:
    """The outcome of a record, from the recorded 15m candles after its signal."""
    bars = {"1h": 4, "4h": 16}[horizon]
    series = candles(signal.ticker, "15m")
    start = next(i for i, c in enumerate(series) if c[0] / 1000 >= signal.recorded_at.timestamp())
    side = 1 if signal.direction == "LONG" else -1
    assert verdict.stop_loss is not None
    target = verdict.take_profits[0]
    hit, hit_at = "NEITHER", None
    for c in series[start : start + bars]:
        stop_touched = c[3] <= verdict.stop_loss if side > 0 else c[2] >= verdict.stop_loss
        target_touched = c[2] >= target if side > 0 else c[3] <= target
        if stop_touched or target_touched:  # both in one candle: the stop, conservatively
            hit = "STOP" if stop_touched else "TARGET1"
            hit_at = datetime.fromtimestamp(c[0] / 1000, UTC)
            break
    close = series[start + bars - 1][4]
    return_pct = side * (close - signal.price) / signal.price * 100
    exit_price = {"STOP": verdict.stop_loss, "TARGET1": target, "NEITHER": close}[hit]
    trade_return_pct = side * (exit_price - signal.price) / signal.price * 100
    return OutcomeRow(
        signal_id=signal.id,
        horizon=horizon,
        return_pct=return_pct,
        hit=hit,
        hit_at=hit_at,
        pnl_pct=trade_return_pct * verdict.position_multiplier,
        evaluated_at=NOW,
        trade_return_pct=trade_return_pct,
    )


def _summary(outcomes: list[OutcomeRow]) -> tuple[int, int, int, int, float, float, float]:
    wins = sum(o.hit == "TARGET1" or (o.hit == "NEITHER" and o.return_pct > 0) for o in outcomes)
    return (
        len(outcomes),
        wins,
        sum(o.hit == "TARGET1" for o in outcomes),
        sum(o.hit == "STOP" for o in outcomes),
        statistics.fmean(o.return_pct for o in outcomes),
        statistics.fmean(o.pnl_pct or 0.0 for o in outcomes),
        statistics.fmean(o.trade_return_pct or 0.0 for o in outcomes),
    )


def _got(stats: Any) -> tuple[int, int, int, int, float, float, float]:
    return (
        stats.evaluated,
        stats.wins,
        stats.targets,
        stats.stops,
        stats.avg_return_pct,
        stats.avg_pnl_pct,
        stats.avg_trade_return_pct,
    )


def _close(got: tuple[Any, ...], want: tuple[Any, ...]) -> bool:
    return got[:4] == want[:4] and all(
        abs(g - w) < 1e-9 for g, w in zip(got[4:], want[4:], strict=True)
    )


async def test_evaluations_accuracy_and_performance_match_values_computed_here(
    admin: asyncpg.Connection, migrated: str, tmp_path: Path
) -> None:
    records = sample(90)  # 30 per ticker, consecutive 15m closes
    by_id = {s.id: (s, v) for s, v in records}
    latest = max(s.recorded_at for s, _ in records)
    async with store_for(migrated, tmp_path / "outbox.jsonl") as store:
        for s, v in records:
            await store.record(s, v)

        # due at 1h: every signal at least an hour old at `latest + 1h`
        now = latest + timedelta(hours=1)
        due = await store.pending_evaluations("1h", now)
        want_due = sorted(
            (s for s, _ in records if s.recorded_at <= now - timedelta(hours=1)),
            key=lambda s: (s.recorded_at, s.id),
        )
        assert [p.signal.id for p in due] == [s.id for s in want_due]
        assert all(p.due_at == p.signal.recorded_at + timedelta(hours=1) for p in due)
        assert due[0].verdict == by_id[due[0].signal.id][1]
        early = await store.pending_evaluations("4h", min(s.recorded_at for s, _ in records))
        assert early == []

        outcomes = [_outcome(s, v, h) for s, v in records for h in ("1h", "4h")]
        for o in outcomes:
            await store.record_outcome(o)
        for o in outcomes[:10]:
            await store.record_outcome(o)  # a replay changes nothing
        assert await count(admin, migrated, "outcomes") == 180
        assert await store.pending_evaluations("1h", NOW) == []
        assert len({o.hit for o in outcomes}) == 3  # the data exercise STOP, TARGET1, NEITHER

        def want_accuracy(keep: Any) -> dict[tuple[str, str, str], Any]:
            groups: dict[tuple[str, str, str], list[OutcomeRow]] = {}
            for o in outcomes:
                s, v = by_id[o.signal_id]
                if keep(s):
                    groups.setdefault(("verdict", v.verdict, o.horizon), []).append(o)
                    groups.setdefault(("mode", s.mode, o.horizon), []).append(o)
            return {k: _summary(v) for k, v in groups.items()}

        for since, ticker in ((None, None), (records[45][0].recorded_at, "SOL")):
            rows = await store.accuracy(since=since, ticker=ticker)
            want = want_accuracy(
                lambda s, since=since, ticker=ticker: (
                    (since is None or s.recorded_at >= since)
                    and (ticker is None or s.ticker == ticker)
                )
            )
            got: dict[tuple[str, str, str], Any] = {
                (r.dimension, r.key, r.stats.horizon): _got(r.stats) for r in rows
            }
            assert got.keys() == want.keys()
            assert all(_close(got[k], want[k]) for k in want), (got, want)
            assert all(r.stats.win_rate == r.stats.wins / r.stats.evaluated for r in rows)

        perf = await store.performance()
        want_perf: dict[tuple[str, str], list[OutcomeRow]] = {}
        for o in outcomes:
            s, _ = by_id[o.signal_id]
            want_perf.setdefault((s.ticker, s.direction), []).append(o)
        assert {(p.ticker, p.direction) for p in perf} == set(want_perf)
        for p in perf:
            group = want_perf[(p.ticker, p.direction)]
            assert p.signals == len(group) // 2
            assert [h.horizon for h in p.horizons] == ["1h", "4h"]
            for h in p.horizons:
                assert _close(_got(h), _summary([o for o in group if o.horizon == h.horizon]))
        assert {p.ticker for p in await store.performance(ticker="BTC")} == {"BTC"}

        page = await store.history(HistoryFilter(ticker=TICKERS[0]), first=1)
        assert [o.horizon for o in page.entries[0].outcomes] == ["1h", "4h"]

        # only verdicts with a plan are due, and only those recorded since `since`
        planned, planless = record_for("BTC", 300), record_for("BTC", 301)
        await store.record(planned[0], planned[1])
        no_plan = VerdictRow(**{**_fields(planless[1]), "stop_loss": None, "take_profits": ()})
        await store.record(planless[0], no_plan)
        due = await store.pending_evaluations("1h", NOW)
        assert [p.signal.id for p in due] == [planned[0].id]
        later = planned[0].recorded_at + timedelta(seconds=1)
        assert await store.pending_evaluations("1h", NOW, since=later) == []


# -- secrets ---------------------------------------------------------------------------------


async def test_the_dsn_and_its_password_never_reach_errors_or_logs(
    caplog: pytest.LogCaptureFixture, migrated: str, proxy: PgProxy, tmp_path: Path
) -> None:
    password = f"pw-{uuid.uuid4().hex}"
    dsn = proxy.dsn(password)  # trust auth: the password is sent and ignored
    outbox = tmp_path / "outbox.jsonl"
    caplog.set_level("DEBUG")
    await proxy.cut()
    texts: list[str] = []
    async with store_for(migrated, outbox, dsn=dsn) as store:
        texts.append(repr(store))
        signal, verdict = record_for("ETH", 7)
        assert await store.record(signal, verdict) == signal.id  # acknowledged from the outbox
        for read in (store.history(), store.accuracy(), store.performance()):
            with pytest.raises(UpstreamUnreachable) as failed:
                await read
            assert failed.value.code == "UPSTREAM_UNREACHABLE"
            assert failed.value.provider == "history"
            texts += [f"{e!s} {e!r}" for e in _chain(failed.value)]
        with pytest.raises(ProviderError) as migrating:
            await migrate(dsn, server_settings={"search_path": migrated}, connect_timeout_s=1)
        texts += [f"{e!s} {e!r}" for e in _chain(migrating.value)]
        await asyncio.sleep(0.2)  # the drain retries and warns
        await proxy.restore()
        assert await store.wait_drained(5)
    texts += [caplog.text, outbox.read_text()]
    texts += [f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    assert "PostgreSQL unavailable" in caplog.text
    for text in texts:
        assert password not in text
        assert dsn not in text
