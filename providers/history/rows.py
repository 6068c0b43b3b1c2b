"""The rows of the signal history: what is written, what queries give back.

Plain frozen dataclasses (str, float, datetime, dict); the lead maps engine objects to them.
Every datetime is timezone-aware. Prices are in the quote currency of the perpetual (USDT),
percentages are percent (``1.5`` is 1.5 %).

``validate_*`` refuse a row before any SQL or outbox write (``InvalidRecord``): a NEUTRAL
signal, a naive datetime, a NaN, an unknown source, verdict, judge, horizon or hit.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from providers.history.errors import InvalidRecord

DIRECTIONS = ("LONG", "SHORT")  # NEUTRAL is never recorded
SOURCES = ("watcher", "mutation")
VERDICTS = ("CONFIRM", "DOWNSIZE", "SKIP", "WAIT")
JUDGES = ("AI", "RULES")
HITS = ("STOP", "TARGET1", "NEITHER")
HORIZONS: dict[str, timedelta] = {
    "1h": timedelta(hours=1),
    "4h": timedelta(hours=4),
    "24h": timedelta(hours=24),
}
MAX_ID_LENGTH = 128


@dataclass(frozen=True, slots=True)
class SignalRow:
    """One actionable signal. ``id`` is stable (see ``signal_id``): recording it twice is one row."""

    id: str
    ticker: str  # normalized base asset, e.g. "BTC"
    mode: str  # CONSERVATIVE / AGGRESSIVE / ULTRA
    direction: str  # LONG or SHORT
    score: float  # 0-100
    confidence: str  # HIGH / MEDIUM / LOW
    price: float  # last price when the signal was taken, quote currency
    factors: dict[str, Any]
    quality: dict[str, Any]
    recorded_at: datetime
    source: str  # "watcher" or "mutation"


@dataclass(frozen=True, slots=True)
class VerdictRow:
    """The judge's verdict on one signal (one verdict per signal)."""

    verdict: str  # CONFIRM / DOWNSIZE / SKIP / WAIT
    risk_mode: str
    position_multiplier: float  # 0 to 1.5
    judge: str  # "AI" or "RULES"
    model: str | None
    fallback_reason: str | None
    stop_loss: float | None
    take_profits: tuple[float, ...]
    atr: float | None
    size_hint: dict[str, Any] | None
    plan_text: str
    created_at: datetime
    summary: str = ""
    entry: float | None = None  # the plan's entry (its stop and targets are measured from it)


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    """How a recorded verdict turned out ``horizon`` after its signal.

    ``return_pct`` is the market's move at the horizon in the signal's direction (positive:
    the signal was right); ``hit`` says whether the stop or the first target was touched first
    (``hit_at`` then); ``trade_return_pct`` is what the trade made (exit at the stop, the first
    target or the horizon's close); ``pnl_pct`` is the P&L of the suggested size in percent
    of the account.
    """

    signal_id: str
    horizon: str  # "1h" / "4h" / "24h"
    return_pct: float
    hit: str  # STOP / TARGET1 / NEITHER
    hit_at: datetime | None
    pnl_pct: float | None
    evaluated_at: datetime
    trade_return_pct: float | None = None


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """Which signals ``history()`` lists; ``since`` inclusive, ``until`` exclusive."""

    ticker: str | None = None
    direction: str | None = None
    mode: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    signal: SignalRow
    verdict: VerdictRow | None
    outcomes: tuple[OutcomeRow, ...] = ()


@dataclass(frozen=True, slots=True)
class Page:
    """One page of ``history()``, newest first; ``next_cursor`` is None on the last page."""

    entries: tuple[HistoryEntry, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class PendingEvaluation:
    """A recorded verdict whose horizon has passed and which has no outcome for it yet."""

    signal: SignalRow
    verdict: VerdictRow
    horizon: str
    due_at: datetime  # recorded_at + horizon


@dataclass(frozen=True, slots=True)
class OutcomeStats:
    """Aggregated outcomes at one horizon.

    A win is an outcome that reached the first target before the stop, or that touched
    neither and ended with a positive return; ``win_rate`` is wins / evaluated (0 to 1).
    """

    horizon: str
    evaluated: int
    wins: int
    targets: int
    stops: int
    win_rate: float
    avg_return_pct: float  # the market's move along the direction
    avg_pnl_pct: float | None  # None when no outcome carries a P&L
    avg_trade_return_pct: float | None = None  # None when no outcome carries one


@dataclass(frozen=True, slots=True)
class AccuracyRow:
    """Outcomes of the signals that got one verdict type, or of one mode."""

    dimension: Literal["verdict", "mode"]
    key: str  # the verdict (CONFIRM ...) or the mode (AGGRESSIVE ...)
    stats: OutcomeStats


@dataclass(frozen=True, slots=True)
class PerformanceRow:
    """Signals of one symbol and direction and how they did, per horizon evaluated."""

    ticker: str
    direction: str
    signals: int
    horizons: tuple[OutcomeStats, ...] = field(default_factory=tuple)


def signal_id(ticker: str, mode: str, direction: str, bucket_start: datetime, source: str) -> str:
    """A stable id: the same (ticker, mode, direction, time bucket, source) is the same signal.

    ``bucket_start`` is the start of the caller's time bucket (e.g. the watcher's cooldown
    window), so one move recorded twice within it is one row.
    """
    _aware("bucket_start", bucket_start)
    raw = "|".join(
        (ticker.upper(), mode.upper(), direction, bucket_start.astimezone(UTC).isoformat(), source)
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


# -- validation ------------------------------------------------------------------------------


def validate_signal(row: SignalRow) -> None:
    _id("id", row.id)
    if row.direction not in DIRECTIONS:
        raise InvalidRecord(
            f"direction {row.direction!r} is not recorded: only LONG and SHORT signals are kept",
            endpoint="record",
        )
    _one_of("source", row.source, SOURCES)
    _text("ticker", row.ticker)
    _text("mode", row.mode)
    _finite("score", row.score)
    _text("confidence", row.confidence)
    _finite("price", row.price)
    if row.price <= 0:
        raise InvalidRecord(f"price must be positive, got {row.price}", endpoint="record")
    _aware("recorded_at", row.recorded_at)
    _json("factors", row.factors)
    _json("quality", row.quality)


def validate_verdict(row: VerdictRow) -> None:
    _one_of("verdict", row.verdict, VERDICTS)
    _one_of("judge", row.judge, JUDGES)
    _text("risk_mode", row.risk_mode)
    _finite("position_multiplier", row.position_multiplier)
    if not 0 <= row.position_multiplier <= 1.5:
        raise InvalidRecord(
            f"position_multiplier must be within 0..1.5, got {row.position_multiplier}",
            endpoint="record",
        )
    for name, value in (("entry", row.entry), ("stop_loss", row.stop_loss), ("atr", row.atr)):
        if value is not None:
            _finite(name, value)
    for value in row.take_profits:
        _finite("take_profits", value)
    _aware("created_at", row.created_at)
    if row.size_hint is not None:
        _json("size_hint", row.size_hint)


def validate_outcome(row: OutcomeRow) -> None:
    _id("signal_id", row.signal_id)
    _one_of("horizon", row.horizon, tuple(HORIZONS))
    _one_of("hit", row.hit, HITS)
    _finite("return_pct", row.return_pct)
    for name, value in (("pnl_pct", row.pnl_pct), ("trade_return_pct", row.trade_return_pct)):
        if value is not None:
            _finite(name, value)
    if (row.hit == "NEITHER") != (row.hit_at is None):
        raise InvalidRecord("hit_at is set exactly when the stop or target was hit", "outcome")
    if row.hit_at is not None:
        _aware("hit_at", row.hit_at)
    _aware("evaluated_at", row.evaluated_at)


def _id(name: str, value: str) -> None:
    if not value or len(value) > MAX_ID_LENGTH or not value.isprintable():
        raise InvalidRecord(f"{name} must be 1 to {MAX_ID_LENGTH} printable characters", "record")


def _text(name: str, value: str) -> None:
    if not value.strip():
        raise InvalidRecord(f"{name} must not be empty", endpoint="record")


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidRecord(f"{name} must be one of {', '.join(allowed)}, got {value!r}", "record")


def _finite(name: str, value: float) -> None:
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidRecord(f"{name} must be a finite number, got {value!r}", endpoint="record")


def _aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecord(f"{name} must be timezone-aware", endpoint="record")


def _json(name: str, value: dict[str, Any]) -> None:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(f"{name} is not plain JSON: {exc}", endpoint="record") from exc


__all__ = [
    "DIRECTIONS",
    "HITS",
    "HORIZONS",
    "JUDGES",
    "SOURCES",
    "VERDICTS",
    "AccuracyRow",
    "HistoryEntry",
    "HistoryFilter",
    "OutcomeRow",
    "OutcomeStats",
    "Page",
    "PendingEvaluation",
    "PerformanceRow",
    "SignalRow",
    "VerdictRow",
    "signal_id",
    "validate_outcome",
    "validate_signal",
    "validate_verdict",
]
