"""The signal history store: writes through the outbox, reads from PostgreSQL.

    record(signal, verdict) / record_outcome(outcome)
      -> validate (NEUTRAL, NaN, naive datetimes... refused here: InvalidRecord)
      -> outbox.append (fsync)                        the write is now acknowledged
      -> PostgreSQL reachable: insert (ON CONFLICT DO NOTHING), then ack the line
         PostgreSQL away (refused, terminated, timeout, pool closing): leave the line pending,
         switch to backlog mode and start drain()
    drain() (a background task; also started by open() when the file has pending lines)
      -> batches of pending lines in file order, one transaction each, then ack
      -> PostgreSQL still away: retry with capped exponential backoff and jitter
      -> a row PostgreSQL refuses for its content (class 22/23): copied to <file>.rejected
      -> nothing pending: leave backlog mode, compact the file

While in backlog mode, new writes go straight to the outbox (in order behind the backlog)
instead of each trying a database that is known to be away. Reads go to PostgreSQL only and
raise ``UpstreamUnreachable`` / ``UpstreamTimeout`` (provider "history") when it is away.

The store builds its own asyncpg pool from the DSN (``min_size=0``, so it opens, and accepts
writes, while PostgreSQL is down). One store per outbox file: a second process opening the same
file gets ``OutboxLocked``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import asyncpg

from providers.errors import ProviderUnavailable
from providers.history import reads, sql
from providers.history.codec import outcome_entry, record_entry
from providers.history.errors import (
    InvalidRecord,
    describe,
    is_bad_record,
    is_unavailable,
    unavailable,
)
from providers.history.migrate import migrate
from providers.history.outbox import Outbox, OutboxEntry
from providers.history.rows import (
    AccuracyRow,
    HistoryFilter,
    OutcomeRow,
    Page,
    PendingEvaluation,
    PerformanceRow,
    SignalRow,
    VerdictRow,
    validate_outcome,
    validate_signal,
    validate_verdict,
)

log = logging.getLogger("perpgraph.history")


@dataclass(slots=True)
class HistoryStats:
    """Counters of one store since it opened (for metrics and health checks)."""

    written: int = 0  # entries appended to the outbox (acknowledged)
    direct: int = 0  # ... and inserted at once
    deferred: int = 0  # ... and left to the drain (PostgreSQL away)
    replayed: int = 0  # entries sent by the drain (some may have raced a direct write)
    rejected: int = 0  # entries PostgreSQL refused for their content (kept in .rejected)
    outages: int = 0  # times the store entered backlog mode
    retries: int = 0  # drain attempts that found PostgreSQL still away


class HistoryStore:
    """Signals, verdicts and outcomes in PostgreSQL, written through a local outbox file."""

    def __init__(
        self,
        dsn: str,
        *,
        outbox_path: str | Path,
        pool_max: int = 10,
        application_name: str = "perpgraph-history",
        server_settings: Mapping[str, str] | None = None,
        connect_timeout_s: float = 5.0,
        command_timeout_s: float = 10.0,
        write_timeout_s: float = 5.0,
        retry_base_s: float = 0.5,
        retry_max_s: float = 30.0,
        batch_size: int = 200,
        auto_migrate: bool = False,
        compact_bytes: int = 1 << 20,
    ) -> None:
        if urlsplit(dsn).scheme not in ("postgres", "postgresql"):
            raise ValueError("the database URL must start with postgresql://")
        self._dsn = dsn  # never logged, never put in an error
        self._pool_max = pool_max
        self._server_settings = {"application_name": application_name, **(server_settings or {})}
        self._connect_timeout_s = connect_timeout_s
        self._command_timeout_s = command_timeout_s
        self._write_timeout_s = write_timeout_s
        self._retry_base_s = retry_base_s
        self._retry_max_s = retry_max_s
        self._batch_size = batch_size
        self._auto_migrate = auto_migrate
        self._outbox = Outbox(outbox_path, compact_bytes=compact_bytes)
        self._pool: Any = None
        self._backlog = False
        self._drained = asyncio.Event()
        self._drain_task: asyncio.Task[None] | None = None
        self._closing = False
        self._schema_ready = not auto_migrate
        self._schema_lock = asyncio.Lock()
        self._last_warning = 0.0
        self.stats = HistoryStats()

    def __repr__(self) -> str:
        return f"HistoryStore(outbox={str(self._outbox.path)!r})"

    # -- lifecycle ----------------------------------------------------------------------

    async def open(self) -> None:
        """Lock and load the outbox, build the pool, start replaying what is pending."""
        await self._outbox.open()
        try:
            self._pool = await asyncpg.create_pool(
                self._dsn,
                min_size=0,  # connect lazily: the store opens while PostgreSQL is down
                max_size=self._pool_max,
                timeout=self._connect_timeout_s,
                command_timeout=self._command_timeout_s,
                server_settings=self._server_settings,
                init=_init_connection,
            )
        except BaseException:
            await self._outbox.close()
            raise
        self._drained.set()
        if self._outbox.pending_count:
            log.info("history: replaying %d pending outbox entries", self._outbox.pending_count)
            self._enter_backlog()

    async def close(self) -> None:
        """Stop the drain, write what is queued, release the outbox and the pool.

        Entries still pending stay in the file and are replayed by the next ``open()``.
        """
        self._closing = True
        if self._drain_task is not None:
            self._drain_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain_task
        await self._outbox.flush()
        if self._outbox.pending_count:
            log.warning("history: %d entries wait in the outbox", self._outbox.pending_count)
        elif self._outbox.size_bytes:
            await self._outbox.compact()
        await self._outbox.close()
        if self._pool is not None:
            try:
                await asyncio.wait_for(self._pool.close(), timeout=5)
            except TimeoutError:
                self._pool.terminate()
            self._pool = None

    async def __aenter__(self) -> HistoryStore:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def pending(self) -> int:
        """Entries written to the outbox and not yet known to be in PostgreSQL."""
        return self._outbox.pending_count

    async def wait_drained(self, timeout_s: float) -> bool:
        """Wait until no backlog is left (True), or ``timeout_s`` has passed (False)."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._drained.wait()
        except TimeoutError:
            return False
        await self._outbox.flush()
        return True

    # -- writes -------------------------------------------------------------------------

    async def record(self, signal: SignalRow, verdict: VerdictRow) -> str:
        """Record a signal and its verdict; the signal's id. Idempotent on ``signal.id``.

        Returns once the record is durable on disk, whether or not PostgreSQL is reachable.
        Raises ``InvalidRecord`` (before any write) for a NEUTRAL or malformed row and
        ``OutboxFailed`` when the local disk refuses the write.
        """
        validate_signal(signal)
        validate_verdict(verdict)
        await self._write(record_entry(signal, verdict))
        return signal.id

    async def record_outcome(self, outcome: OutcomeRow) -> None:
        """Record a verdict's outcome at one horizon; idempotent on (signal id, horizon)."""
        validate_outcome(outcome)
        await self._write(outcome_entry(outcome))

    async def _write(self, entry: OutboxEntry) -> None:
        self._require_open()
        try:
            await self._outbox.append(entry)
        except asyncio.CancelledError:
            self._enter_backlog()  # it may be on disk already: the drain makes sure it lands
            raise
        self.stats.written += 1
        if self._backlog:
            self.stats.deferred += 1
            return
        try:
            async with asyncio.timeout(self._write_timeout_s):
                await self._ensure_schema()
                async with self._pool.acquire() as conn:
                    await sql.write_entries(conn, [entry])
        except asyncio.CancelledError:
            self._enter_backlog()  # the caller left; the drain makes sure the entry lands
            raise
        except Exception as exc:
            if is_bad_record(exc):
                await self._reject(entry, exc)
                raise InvalidRecord(f"PostgreSQL refused the record: {describe(exc)}") from exc
            if not (_away(exc) or isinstance(exc, asyncpg.PostgresError)):
                raise  # a bug: the entry stays in the outbox and is replayed on the next open
            # PostgreSQL away, or failing for all rows alike (missing schema, privileges):
            # the entry is durable, so the call succeeds and the drain keeps trying
            self.stats.deferred += 1
            self._warn(exc)
            self._enter_backlog()
            return
        self.stats.direct += 1
        self._outbox.ack([entry.key])

    async def _reject(self, entry: OutboxEntry, exc: BaseException) -> None:
        self.stats.rejected += 1
        log.error("history: PostgreSQL refused entry %s: %s", entry.key, describe(exc))
        await self._outbox.reject(entry, describe(exc))

    async def _ensure_schema(self) -> None:
        if self._schema_ready:
            return
        async with self._schema_lock:
            if not self._schema_ready:
                applied = await migrate(self._pool, connect_timeout_s=self._connect_timeout_s)
                if applied:
                    log.info("history: applied migrations %s", ", ".join(applied))
                self._schema_ready = True

    # -- the drain ----------------------------------------------------------------------

    def _enter_backlog(self) -> None:
        if not self._backlog:
            self._backlog = True
            self._drained.clear()
            self.stats.outages += 1
        if self._closing:
            return  # the next open() replays what is pending
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = asyncio.create_task(self._drain(), name="history-drain")

    async def _drain(self) -> None:
        """Replay pending entries in file order until none is left (see module docstring)."""
        delay = self._retry_base_s
        while True:
            batch = self._outbox.pending(self._batch_size)
            if not batch:
                # no await between the check and leaving backlog mode: a write that lands
                # after this goes the direct way, one before it is in this batch
                self._backlog = False
                self._drained.set()
                log.info("history: outbox drained, PostgreSQL is back")
                await self._outbox.compact()
                if self._backlog:
                    # a direct write failed during the compaction and found this task still
                    # running, so it did not start another: keep draining
                    continue
                return
            try:
                async with asyncio.timeout(self._write_timeout_s + self._command_timeout_s):
                    await self._ensure_schema()
                    await self._replay(batch)
            except Exception as exc:
                if not (_away(exc) or isinstance(exc, asyncpg.PostgresError)):
                    log.exception("history: replaying the outbox failed")
                else:
                    self._warn(exc)
                self.stats.retries += 1
                await asyncio.sleep(random.uniform(delay / 2, delay))
                delay = min(delay * 2, self._retry_max_s)
                continue
            delay = self._retry_base_s

    async def _replay(self, batch: list[OutboxEntry]) -> None:
        async with self._pool.acquire() as conn:
            try:
                await sql.write_entries(conn, batch)
            except Exception as exc:
                if not (is_bad_record(exc) or isinstance(exc, InvalidRecord)):
                    raise
                await self._replay_one_by_one(conn, batch)
                return
        self._outbox.ack(entry.key for entry in batch)
        self.stats.replayed += len(batch)

    async def _replay_one_by_one(self, conn: Any, batch: list[OutboxEntry]) -> None:
        """Find the entries PostgreSQL refuses, set them aside, store the others."""
        for entry in batch:
            try:
                await sql.write_entries(conn, [entry])
            except Exception as exc:
                if not (is_bad_record(exc) or isinstance(exc, InvalidRecord)):
                    raise
                await self._reject(entry, exc)
                continue
            self._outbox.ack([entry.key])
            self.stats.replayed += 1

    def _warn(self, exc: BaseException) -> None:
        """One warning per 10 s while PostgreSQL is away, not one per write."""
        now = time.monotonic()
        if now - self._last_warning > 10:
            self._last_warning = now
            log.warning(
                "history: PostgreSQL unavailable (%s); %d entries wait in the outbox",
                describe(exc),
                self._outbox.pending_count,
            )

    # -- reads --------------------------------------------------------------------------

    async def history(
        self, flt: HistoryFilter | None = None, first: int = 50, after: str | None = None
    ) -> Page:
        """Recorded signals with their verdicts and outcomes, newest first, ``first`` (1 to
        ``MAX_PAGE``) per page; pass a page's ``next_cursor`` as ``after`` for the next one.
        ``InvalidQuery`` / ``InvalidCursor`` for bad arguments."""
        flt = flt or HistoryFilter()
        reads.check_history_args(flt, first, after)
        async with self._read("history") as conn:
            return await reads.history(conn, flt, first, after)

    async def pending_evaluations(
        self,
        horizon: str,
        now: datetime,
        *,
        since: datetime | None = None,
        limit: int = reads.MAX_PAGE,
    ) -> list[PendingEvaluation]:
        """Recorded verdicts due for evaluation at ``horizon`` ("1h", "4h", "24h"), oldest
        first: the signal is at least ``horizon`` old at ``now``, was recorded at or after
        ``since`` (pass the oldest time your candles still cover), its verdict has a plan (a
        stop and a target) and it has no outcome at that horizon yet."""
        reads.check_evaluation_args(horizon, now, since)
        async with self._read("evaluations") as conn:
            return await reads.pending_evaluations(conn, horizon, now, since, limit)

    async def accuracy(
        self, since: datetime | None = None, ticker: str | None = None
    ) -> list[AccuracyRow]:
        """Win rate and average return per verdict type and per mode, at each horizon, of the
        signals recorded since ``since`` (of ``ticker`` only when given)."""
        async with self._read("accuracy") as conn:
            return await reads.accuracy(conn, since, ticker)

    async def performance(
        self, since: datetime | None = None, ticker: str | None = None
    ) -> list[PerformanceRow]:
        """Per symbol and direction: signals recorded, and outcome statistics per horizon."""
        async with self._read("performance") as conn:
            return await reads.performance(conn, since, ticker)

    @contextlib.asynccontextmanager
    async def _read(self, endpoint: str) -> AsyncIterator[Any]:
        self._require_open()
        try:
            await self._ensure_schema()
            async with self._pool.acquire(timeout=self._connect_timeout_s) as conn:
                yield conn
        except ProviderUnavailable:
            raise
        except Exception as exc:
            if is_unavailable(exc):
                raise unavailable(exc, endpoint) from exc
            raise

    def _require_open(self) -> None:
        if self._pool is None or self._closing:
            raise RuntimeError("HistoryStore is not open")


def _away(exc: BaseException) -> bool:
    return isinstance(exc, ProviderUnavailable) or is_unavailable(exc)


async def _init_connection(conn: Any) -> None:
    """JSONB columns in and out as Python dicts."""
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


__all__ = ["HistoryStats", "HistoryStore"]
