"""Signal history in PostgreSQL: versioned migrations, a store whose writes go through a
local outbox file (durable while PostgreSQL is down, replayed idempotently), and the
queries behind signalHistory, verdictAccuracy and signalPerformance."""

from providers.history.errors import (
    InvalidCursor,
    InvalidQuery,
    InvalidRecord,
    MigrationFailed,
    OutboxFailed,
    OutboxLocked,
)
from providers.history.migrate import MIGRATIONS, migrate
from providers.history.reads import MAX_PAGE
from providers.history.rows import (
    HORIZONS,
    AccuracyRow,
    HistoryEntry,
    HistoryFilter,
    OutcomeRow,
    OutcomeStats,
    Page,
    PendingEvaluation,
    PerformanceRow,
    SignalRow,
    VerdictRow,
    signal_id,
)
from providers.history.store import HistoryStats, HistoryStore

__all__ = [
    "HORIZONS",
    "MAX_PAGE",
    "MIGRATIONS",
    "AccuracyRow",
    "HistoryEntry",
    "HistoryFilter",
    "HistoryStats",
    "HistoryStore",
    "InvalidCursor",
    "InvalidQuery",
    "InvalidRecord",
    "MigrationFailed",
    "OutboxFailed",
    "OutboxLocked",
    "OutcomeRow",
    "OutcomeStats",
    "Page",
    "PendingEvaluation",
    "PerformanceRow",
    "SignalRow",
    "VerdictRow",
    "migrate",
    "signal_id",
]
