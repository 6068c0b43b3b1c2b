"""The read side of the history store: queries over one connection, rows out.

Argument checks run before a connection is taken (``InvalidQuery`` / ``InvalidCursor``);
the store wraps each call so that PostgreSQL being away surfaces as ``UpstreamUnreachable``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from providers.history import sql
from providers.history.codec import outcome_from_record, signal_from_record, verdict_from_record
from providers.history.errors import InvalidQuery
from providers.history.rows import (
    DIRECTIONS,
    HORIZONS,
    AccuracyRow,
    HistoryEntry,
    HistoryFilter,
    OutcomeRow,
    OutcomeStats,
    Page,
    PendingEvaluation,
    PerformanceRow,
)

MAX_PAGE = 500


def check_history_args(flt: HistoryFilter, first: int, after: str | None) -> None:
    if not 1 <= first <= MAX_PAGE:
        raise InvalidQuery(f"first must be within 1..{MAX_PAGE}")
    if flt.direction is not None and flt.direction not in DIRECTIONS:
        raise InvalidQuery("direction must be LONG or SHORT")
    for name, at in (("since", flt.since), ("until", flt.until)):
        if at is not None and at.tzinfo is None:
            raise InvalidQuery(f"{name} must be timezone-aware")
    if after is not None:
        sql.decode_cursor(after)


def check_evaluation_args(horizon: str, now: datetime, since: datetime | None) -> None:
    if horizon not in HORIZONS:
        raise InvalidQuery(f"horizon must be one of {', '.join(HORIZONS)}", "evaluations")
    for name, at in (("now", now), ("since", since)):
        if at is not None and at.tzinfo is None:
            raise InvalidQuery(f"{name} must be timezone-aware", "evaluations")


async def history(conn: Any, flt: HistoryFilter, first: int, after: str | None) -> Page:
    """One page, newest first, keyset-paginated on (recorded_at, id): rows recorded while a
    client pages never shift the pages after its cursor."""
    key = sql.decode_cursor(after) if after is not None else None
    query, args = sql.history_query(flt, first + 1, key)  # one more: is there a next page?
    records = await conn.fetch(query, *args)
    shown = records[:first]
    outcomes: dict[str, list[OutcomeRow]] = {}
    if shown:
        for rec in await conn.fetch(sql.OUTCOMES_OF, [rec["id"] for rec in shown]):
            outcomes.setdefault(rec["signal_id"], []).append(outcome_from_record(rec))
    entries = tuple(
        HistoryEntry(
            signal_from_record(rec), verdict_from_record(rec), tuple(outcomes.get(rec["id"], ()))
        )
        for rec in shown
    )
    cursor = None
    if len(records) > first:
        last = entries[-1].signal
        cursor = sql.encode_cursor(last.recorded_at, last.id)
    return Page(entries, cursor)


async def pending_evaluations(
    conn: Any, horizon: str, now: datetime, since: datetime | None, limit: int
) -> list[PendingEvaluation]:
    oldest = since if since is not None else datetime.min.replace(tzinfo=UTC)
    records = await conn.fetch(
        sql.PENDING_EVALUATIONS, now - HORIZONS[horizon], oldest, horizon, limit
    )
    out = []
    for rec in records:
        signal, verdict = signal_from_record(rec), verdict_from_record(rec)
        assert verdict is not None  # an inner join on verdicts
        due_at = signal.recorded_at + HORIZONS[horizon]
        out.append(PendingEvaluation(signal, verdict, horizon, due_at))
    return out


async def accuracy(conn: Any, since: datetime | None, ticker: str | None) -> list[AccuracyRow]:
    query, args = sql.accuracy_query(since, ticker)
    return [
        AccuracyRow("mode" if rec["by_mode"] else "verdict", rec["key"], _stats(rec))
        for rec in await conn.fetch(query, *args)
    ]


async def performance(
    conn: Any, since: datetime | None, ticker: str | None
) -> list[PerformanceRow]:
    query, args = sql.performance_query(since, ticker)
    grouped: dict[tuple[str, str], tuple[int, list[OutcomeStats]]] = {}
    for rec in await conn.fetch(query, *args):
        key = (rec["ticker"], rec["direction"])
        _, horizons = grouped.setdefault(key, (int(rec["signals"]), []))
        if rec["horizon"] is not None:  # signals without any outcome yet
            horizons.append(_stats(rec))
    return [
        PerformanceRow(ticker, direction, signals, tuple(horizons))
        for (ticker, direction), (signals, horizons) in grouped.items()
    ]


def _stats(rec: Mapping[str, Any]) -> OutcomeStats:
    evaluated = int(rec["evaluated"])
    wins = int(rec["wins"])
    return OutcomeStats(
        horizon=rec["horizon"],
        evaluated=evaluated,
        wins=wins,
        targets=int(rec["targets"]),
        stops=int(rec["stops"]),
        win_rate=wins / evaluated if evaluated else 0.0,
        avg_return_pct=float(rec["avg_return_pct"]),
        avg_pnl_pct=cast(float | None, rec["avg_pnl_pct"]),
        avg_trade_return_pct=cast(float | None, rec["avg_trade_return_pct"]),
    )


__all__ = [
    "MAX_PAGE",
    "accuracy",
    "check_evaluation_args",
    "check_history_args",
    "history",
    "pending_evaluations",
    "performance",
]
