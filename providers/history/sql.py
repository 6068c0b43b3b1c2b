"""The SQL of the history store: idempotent inserts and the read queries.

Every insert is ``ON CONFLICT DO NOTHING`` on the table's key, so writing an outbox entry
twice (a replay after a lost ack, a direct write racing the drain) leaves one row; a record's
signal and verdict go in one transaction. Read queries take only the conditions that are set
(no ``$n IS NULL OR ...``), so PostgreSQL can use the (ticker|direction, recorded_at, id)
indexes with generic plans too.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from providers.history.codec import (
    entry_rows,
    outcome_args,
    signal_args,
    verdict_args,
)
from providers.history.errors import InvalidCursor
from providers.history.outbox import OutboxEntry
from providers.history.rows import HistoryFilter

INSERT_SIGNAL = """
INSERT INTO signals (id, ticker, mode, direction, score, confidence, price, factors, quality,
                     recorded_at, source)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
ON CONFLICT (id) DO NOTHING
"""
INSERT_VERDICT = """
INSERT INTO verdicts (signal_id, verdict, risk_mode, position_multiplier, judge, model,
                      fallback_reason, summary, entry, stop_loss, take_profits, atr,
                      size_hint, plan_text, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
ON CONFLICT (signal_id) DO NOTHING
"""
INSERT_OUTCOME = """
INSERT INTO outcomes (signal_id, horizon, return_pct, hit, hit_at, trade_return_pct, pnl_pct,
                      evaluated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (signal_id, horizon) DO NOTHING
"""

SIGNAL_COLUMNS = (
    "s.id, s.ticker, s.mode, s.direction, s.score, s.confidence, s.price, s.factors, "
    "s.quality, s.recorded_at, s.source"
)
VERDICT_COLUMNS = (
    "v.signal_id AS v_signal_id, v.verdict, v.risk_mode, v.position_multiplier, v.judge, "
    "v.model, v.fallback_reason, v.summary, v.entry, v.stop_loss, v.take_profits, v.atr, "
    "v.size_hint, "
    "v.plan_text, v.created_at AS v_created_at"
)
_HORIZON_ORDER = "array_position(ARRAY['1h', '4h', '24h'], o.horizon)"
# a win: first target before the stop, or neither touched and a positive return
_STATS = """
    count(*) AS evaluated,
    count(*) FILTER (WHERE o.hit = 'TARGET1' OR (o.hit = 'NEITHER' AND o.return_pct > 0)) AS wins,
    count(*) FILTER (WHERE o.hit = 'TARGET1') AS targets,
    count(*) FILTER (WHERE o.hit = 'STOP') AS stops,
    avg(o.return_pct) AS avg_return_pct,
    avg(o.pnl_pct) AS avg_pnl_pct,
    avg(o.trade_return_pct) AS avg_trade_return_pct
"""


async def write_entries(conn: asyncpg.Connection, entries: Sequence[OutboxEntry]) -> None:
    """Insert ``entries`` in one transaction (signals, then verdicts, then outcomes)."""
    signals: list[tuple[Any, ...]] = []
    verdicts: list[tuple[Any, ...]] = []
    outcomes: list[tuple[Any, ...]] = []
    for entry in entries:
        rows = entry_rows(entry)
        if isinstance(rows, tuple):
            signal, verdict = rows
            signals.append(signal_args(signal))
            verdicts.append(verdict_args(signal.id, verdict))
        else:
            outcomes.append(outcome_args(rows))
    async with conn.transaction():
        if signals:
            await conn.executemany(INSERT_SIGNAL, signals)
        if verdicts:
            await conn.executemany(INSERT_VERDICT, verdicts)
        if outcomes:
            await conn.executemany(INSERT_OUTCOME, outcomes)


# -- reads ---------------------------------------------------------------------------------


class _Where:
    """AND-ed conditions with numbered parameters."""

    def __init__(self) -> None:
        self.terms: list[str] = []
        self.args: list[Any] = []

    def add(self, template: str, *values: Any) -> None:
        numbers = [f"${len(self.args) + i + 1}" for i in range(len(values))]
        self.terms.append(template.format(*numbers))
        self.args.extend(values)

    def sql(self) -> str:
        return f"WHERE {' AND '.join(self.terms)}" if self.terms else ""


def history_query(
    flt: HistoryFilter, limit: int, after: tuple[datetime, str] | None
) -> tuple[str, list[Any]]:
    """Signals with their verdicts, newest first, ``limit`` rows after the cursor's key."""
    where = _Where()
    for column, value in (("ticker", flt.ticker), ("direction", flt.direction), ("mode", flt.mode)):
        if value is not None:
            where.add(f"s.{column} = {{}}", value)
    if flt.since is not None:
        where.add("s.recorded_at >= {}", flt.since)
    if flt.until is not None:
        where.add("s.recorded_at < {}", flt.until)
    if after is not None:
        where.add("(s.recorded_at, s.id) < ({}, {})", *after)
    where.args.append(limit)
    sql = f"""
SELECT {SIGNAL_COLUMNS}, {VERDICT_COLUMNS}
FROM signals s LEFT JOIN verdicts v ON v.signal_id = s.id
{where.sql()}
ORDER BY s.recorded_at DESC, s.id DESC
LIMIT ${len(where.args)}
"""
    return sql, where.args


OUTCOMES_OF = """
SELECT signal_id, horizon, return_pct, hit, hit_at, trade_return_pct, pnl_pct, evaluated_at
FROM outcomes o WHERE signal_id = ANY($1::text[])
ORDER BY signal_id, array_position(ARRAY['1h', '4h', '24h'], o.horizon)
"""

# only verdicts with a plan (a stop and a target) can be scored: the others would sit at the
# head of the queue for ever
PENDING_EVALUATIONS = f"""
SELECT {SIGNAL_COLUMNS}, {VERDICT_COLUMNS}
FROM verdicts v JOIN signals s ON s.id = v.signal_id
WHERE s.recorded_at <= $1 AND s.recorded_at >= $2
  AND v.stop_loss IS NOT NULL AND cardinality(v.take_profits) > 0
  AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.signal_id = v.signal_id AND o.horizon = $3)
ORDER BY s.recorded_at, s.id
LIMIT $4
"""


def accuracy_query(since: datetime | None, ticker: str | None) -> tuple[str, list[Any]]:
    """Outcome statistics per (verdict, horizon) and per (mode, horizon)."""
    where = _signal_filter(since, ticker)
    sql = f"""
SELECT GROUPING(v.verdict) = 1 AS by_mode, coalesce(v.verdict, s.mode) AS key, o.horizon,
{_STATS}
FROM outcomes o
JOIN verdicts v ON v.signal_id = o.signal_id
JOIN signals s ON s.id = o.signal_id
{where.sql()}
GROUP BY GROUPING SETS ((v.verdict, o.horizon), (s.mode, o.horizon))
ORDER BY by_mode, key, {_HORIZON_ORDER}
"""
    return sql, where.args


def performance_query(since: datetime | None, ticker: str | None) -> tuple[str, list[Any]]:
    """Signal counts per (ticker, direction), with outcome statistics per horizon."""
    where = _signal_filter(since, ticker)
    sql = f"""
WITH picked AS (SELECT s.id, s.ticker, s.direction FROM signals s {where.sql()}),
counts AS (SELECT ticker, direction, count(*) AS signals FROM picked GROUP BY ticker, direction),
stats AS (
    SELECT p.ticker, p.direction, o.horizon, {_STATS}
    FROM picked p JOIN outcomes o ON o.signal_id = p.id
    GROUP BY p.ticker, p.direction, o.horizon
)
SELECT c.ticker, c.direction, c.signals, o.horizon, o.evaluated, o.wins, o.targets, o.stops,
       o.avg_return_pct, o.avg_pnl_pct, o.avg_trade_return_pct
FROM counts c LEFT JOIN stats o USING (ticker, direction)
ORDER BY c.ticker, c.direction, {_HORIZON_ORDER}
"""
    return sql, where.args


def _signal_filter(since: datetime | None, ticker: str | None) -> _Where:
    where = _Where()
    if since is not None:
        where.add("s.recorded_at >= {}", since)
    if ticker is not None:
        where.add("s.ticker = {}", ticker)
    return where


# -- cursors -------------------------------------------------------------------------------


def encode_cursor(recorded_at: datetime, signal_id: str) -> str:
    """An opaque cursor for the keyset position (recorded_at, id)."""
    raw = json.dumps([recorded_at.isoformat(), signal_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# a cursor holds a timestamp and an id of at most 128 characters: anything far longer was
# not made here, and refusing it before decoding keeps deeply nested JSON out
MAX_CURSOR_CHARS = 512


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor("after is not a cursor of signalHistory")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, signal_id = json.loads(raw)
        at = datetime.fromisoformat(stamp)
        if at.tzinfo is None or not isinstance(signal_id, str):
            raise ValueError("not a history cursor")
    except (binascii.Error, ValueError, TypeError, RecursionError) as exc:
        raise InvalidCursor("after is not a cursor of signalHistory") from exc
    return at, signal_id


__all__ = [
    "INSERT_OUTCOME",
    "INSERT_SIGNAL",
    "INSERT_VERDICT",
    "OUTCOMES_OF",
    "PENDING_EVALUATIONS",
    "accuracy_query",
    "decode_cursor",
    "encode_cursor",
    "history_query",
    "performance_query",
    "write_entries",
]
