"""Rows to outbox entries and SQL arguments, and PostgreSQL records back to rows.

An outbox entry's body is plain JSON (datetimes as ISO 8601 with offset), so a line written
by one version of the code can be replayed by the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from providers.history.errors import InvalidRecord
from providers.history.outbox import OutboxEntry
from providers.history.rows import OutcomeRow, SignalRow, VerdictRow

RECORD = "record"
OUTCOME = "outcome"


def record_key(signal_id: str) -> str:
    return f"s:{signal_id}"


def outcome_key(signal_id: str, horizon: str) -> str:
    return f"o:{signal_id}:{horizon}"


def record_entry(signal: SignalRow, verdict: VerdictRow) -> OutboxEntry:
    body = {"signal": _signal_json(signal), "verdict": _verdict_json(verdict)}
    return OutboxEntry(record_key(signal.id), RECORD, body)


def outcome_entry(outcome: OutcomeRow) -> OutboxEntry:
    return OutboxEntry(
        outcome_key(outcome.signal_id, outcome.horizon),
        OUTCOME,
        {"outcome": _outcome_json(outcome)},
    )


def entry_rows(entry: OutboxEntry) -> tuple[SignalRow, VerdictRow] | OutcomeRow:
    """The rows an entry carries; ``InvalidRecord`` for a body this code cannot read."""
    try:
        if entry.kind == RECORD:
            return _signal_row(entry.body["signal"]), _verdict_row(entry.body["verdict"])
        if entry.kind == OUTCOME:
            return _outcome_row(entry.body["outcome"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRecord(f"outbox entry {entry.key} does not parse: {exc!r}", "replay") from exc
    raise InvalidRecord(f"outbox entry {entry.key} has unknown kind {entry.kind!r}", "replay")


# -- SQL arguments (column order of providers.history.sql) ---------------------------------


def signal_args(row: SignalRow) -> tuple[Any, ...]:
    return (
        row.id,
        row.ticker,
        row.mode,
        row.direction,
        row.score,
        row.confidence,
        row.price,
        row.factors,
        row.quality,
        row.recorded_at,
        row.source,
    )


def verdict_args(signal_id: str, row: VerdictRow) -> tuple[Any, ...]:
    return (
        signal_id,
        row.verdict,
        row.risk_mode,
        row.position_multiplier,
        row.judge,
        row.model,
        row.fallback_reason,
        row.summary,
        row.entry,
        row.stop_loss,
        list(row.take_profits),
        row.atr,
        row.size_hint,
        row.plan_text,
        row.created_at,
    )


def outcome_args(row: OutcomeRow) -> tuple[Any, ...]:
    return (
        row.signal_id,
        row.horizon,
        row.return_pct,
        row.hit,
        row.hit_at,
        row.trade_return_pct,
        row.pnl_pct,
        row.evaluated_at,
    )


# -- PostgreSQL records to rows -------------------------------------------------------------


def signal_from_record(rec: Mapping[str, Any]) -> SignalRow:
    return SignalRow(
        id=rec["id"],
        ticker=rec["ticker"],
        mode=rec["mode"],
        direction=rec["direction"],
        score=rec["score"],
        confidence=rec["confidence"],
        price=rec["price"],
        factors=rec["factors"],
        quality=rec["quality"],
        recorded_at=rec["recorded_at"],
        source=rec["source"],
    )


def verdict_from_record(rec: Mapping[str, Any]) -> VerdictRow | None:
    """The verdict columns of a joined record (``v_*`` aliases); None when there is none."""
    if rec["v_signal_id"] is None:
        return None
    return VerdictRow(
        verdict=rec["verdict"],
        risk_mode=rec["risk_mode"],
        position_multiplier=rec["position_multiplier"],
        judge=rec["judge"],
        model=rec["model"],
        fallback_reason=rec["fallback_reason"],
        entry=rec["entry"],
        stop_loss=rec["stop_loss"],
        take_profits=tuple(rec["take_profits"]),
        atr=rec["atr"],
        size_hint=rec["size_hint"],
        plan_text=rec["plan_text"],
        created_at=rec["v_created_at"],
        summary=rec["summary"],
    )


def outcome_from_record(rec: Mapping[str, Any]) -> OutcomeRow:
    return OutcomeRow(
        signal_id=rec["signal_id"],
        horizon=rec["horizon"],
        return_pct=rec["return_pct"],
        hit=rec["hit"],
        hit_at=rec["hit_at"],
        pnl_pct=rec["pnl_pct"],
        evaluated_at=rec["evaluated_at"],
        trade_return_pct=rec["trade_return_pct"],
    )


# -- JSON bodies ---------------------------------------------------------------------------


def _signal_json(row: SignalRow) -> dict[str, Any]:
    body = {name: getattr(row, name) for name in SignalRow.__slots__}
    body["recorded_at"] = row.recorded_at.isoformat()
    return body


def _verdict_json(row: VerdictRow) -> dict[str, Any]:
    body = {name: getattr(row, name) for name in VerdictRow.__slots__}
    body["take_profits"] = list(row.take_profits)
    body["created_at"] = row.created_at.isoformat()
    return body


def _outcome_json(row: OutcomeRow) -> dict[str, Any]:
    body = {name: getattr(row, name) for name in OutcomeRow.__slots__}
    body["hit_at"] = row.hit_at.isoformat() if row.hit_at is not None else None
    body["evaluated_at"] = row.evaluated_at.isoformat()
    return body


def _signal_row(body: dict[str, Any]) -> SignalRow:
    return SignalRow(**{**body, "recorded_at": datetime.fromisoformat(body["recorded_at"])})


def _verdict_row(body: dict[str, Any]) -> VerdictRow:
    return VerdictRow(
        **{
            **body,
            "take_profits": tuple(body["take_profits"]),
            "created_at": datetime.fromisoformat(body["created_at"]),
        }
    )


def _outcome_row(body: dict[str, Any]) -> OutcomeRow:
    hit_at = body["hit_at"]
    return OutcomeRow(
        **{
            **body,
            "hit_at": datetime.fromisoformat(hit_at) if hit_at is not None else None,
            "evaluated_at": datetime.fromisoformat(body["evaluated_at"]),
        }
    )


__all__ = [
    "OUTCOME",
    "RECORD",
    "entry_rows",
    "outcome_args",
    "outcome_entry",
    "outcome_from_record",
    "outcome_key",
    "record_entry",
    "record_key",
    "signal_args",
    "signal_from_record",
    "verdict_args",
    "verdict_from_record",
]
