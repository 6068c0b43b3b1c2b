"""GraphQL types and fields of the signal history (PostgreSQL): recordSignal, signalHistory,
verdictAccuracy and signalPerformance. Without ``PERPGRAPH_DATABASE_URL`` each answers
``NOT_CONFIGURED``; the rest of the API is unaffected."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from graph.types_signal import Direction, SignalMode
from graph.types_verdict import Judge, RiskMode, VerdictKind
from providers.history import (
    AccuracyRow,
    HistoryEntry,
    HistoryFilter,
    OutcomeRow,
    OutcomeStats,
    PerformanceRow,
    VerdictRow,
)
from resolvers import history, symbols
from resolvers.context import Context
from resolvers.errors import InvalidArgument

Ctx = Info[Context, None]

# without an idempotency key, the same move recorded twice in one clock minute is one row
MUTATION_BUCKET = timedelta(minutes=1)
MAX_KEY_CHARS = 128


@strawberry.type(name="Outcome", description="How a recorded verdict turned out at a horizon.")
class OutcomeType:
    horizon: str = strawberry.field(description="1h, 4h or 24h after the signal.")
    return_pct: float = strawberry.field(description="Move in the signal's direction, %.")
    hit: str = strawberry.field(description="STOP, TARGET1 or NEITHER: which came first.")
    hit_at: datetime | None
    pnl_pct: float | None = strawberry.field(description="P&L of the suggested size, % of equity.")
    evaluated_at: datetime

    @classmethod
    def from_row(cls, o: OutcomeRow) -> OutcomeType:
        return cls(
            horizon=o.horizon,
            return_pct=o.return_pct,
            hit=o.hit,
            hit_at=o.hit_at,
            pnl_pct=o.pnl_pct,
            evaluated_at=o.evaluated_at,
        )


@strawberry.type(name="RecordedVerdict")
class RecordedVerdictType:
    verdict: VerdictKind
    risk_mode: RiskMode
    position_multiplier: float
    judge: Judge
    model: str | None
    fallback_reason: str | None
    summary: str
    stop_loss: float | None
    take_profits: list[float]
    atr: float | None
    size_hint: JSON | None
    trade_plan: str

    @classmethod
    def from_row(cls, v: VerdictRow) -> RecordedVerdictType:
        return cls(
            verdict=VerdictKind(v.verdict),
            risk_mode=RiskMode(v.risk_mode),
            position_multiplier=v.position_multiplier,
            judge=Judge(v.judge),
            model=v.model,
            fallback_reason=v.fallback_reason,
            summary=v.summary,
            stop_loss=v.stop_loss,
            take_profits=list(v.take_profits),
            atr=v.atr,
            size_hint=None if v.size_hint is None else JSON(v.size_hint),
            trade_plan=v.plan_text,
        )


@strawberry.type(name="RecordedSignal")
class RecordedSignalType:
    id: str = strawberry.field(description="Stable: the same move recorded twice is one row.")
    ticker: str
    mode: SignalMode
    direction: Direction
    score: float
    confidence: str
    price: float
    recorded_at: datetime
    source: str = strawberry.field(description="watcher or mutation.")
    factors: JSON
    quality: JSON
    verdict: RecordedVerdictType | None
    outcomes: list[OutcomeType]

    @classmethod
    def from_entry(cls, e: HistoryEntry) -> RecordedSignalType:
        s = e.signal
        return cls(
            id=s.id,
            ticker=s.ticker,
            mode=SignalMode(s.mode),
            direction=Direction(s.direction),
            score=s.score,
            confidence=str(s.confidence),
            price=s.price,
            recorded_at=s.recorded_at,
            source=s.source,
            factors=JSON(s.factors),
            quality=JSON(s.quality),
            verdict=None if e.verdict is None else RecordedVerdictType.from_row(e.verdict),
            outcomes=[OutcomeType.from_row(o) for o in e.outcomes],
        )


@strawberry.type
class HistoryPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(name="SignalHistory")
class SignalHistoryType:
    entries: list[RecordedSignalType] = strawberry.field(description="Newest first.")
    page_info: HistoryPageInfo


@strawberry.input
class SignalHistoryFilter:
    ticker: str | None = None
    direction: Direction | None = None
    mode: SignalMode | None = None
    since: datetime | None = None
    until: datetime | None = None


@strawberry.type(name="OutcomeStats")
class OutcomeStatsType:
    horizon: str
    evaluated: int
    wins: int = strawberry.field(
        description="Reached the first target before the stop, or touched neither and ended up."
    )
    targets: int
    stops: int
    win_rate: float = strawberry.field(description="wins / evaluated, 0 to 1.")
    avg_return_pct: float
    avg_pnl_pct: float | None

    @classmethod
    def from_row(cls, s: OutcomeStats) -> OutcomeStatsType:
        return cls(
            horizon=s.horizon,
            evaluated=s.evaluated,
            wins=s.wins,
            targets=s.targets,
            stops=s.stops,
            win_rate=s.win_rate,
            avg_return_pct=s.avg_return_pct,
            avg_pnl_pct=s.avg_pnl_pct,
        )


@strawberry.type(name="AccuracyGroup")
class AccuracyGroupType:
    key: str = strawberry.field(description="A verdict (CONFIRM...) or a mode (AGGRESSIVE...).")
    horizons: list[OutcomeStatsType]


@strawberry.type(name="VerdictAccuracy")
class VerdictAccuracyType:
    by_verdict: list[AccuracyGroupType]
    by_mode: list[AccuracyGroupType]

    @classmethod
    def from_rows(cls, rows: list[AccuracyRow]) -> VerdictAccuracyType:
        groups: dict[tuple[str, str], list[OutcomeStatsType]] = defaultdict(list)
        for r in rows:
            groups[(r.dimension, r.key)].append(OutcomeStatsType.from_row(r.stats))

        def of(dimension: str) -> list[AccuracyGroupType]:
            return [
                AccuracyGroupType(key=key, horizons=stats)
                for (dim, key), stats in sorted(groups.items())
                if dim == dimension
            ]

        return cls(by_verdict=of("verdict"), by_mode=of("mode"))


@strawberry.type(name="SymbolPerformance")
class SymbolPerformanceType:
    ticker: str
    direction: Direction
    signals: int
    horizons: list[OutcomeStatsType]

    @classmethod
    def from_row(cls, r: PerformanceRow) -> SymbolPerformanceType:
        return cls(
            ticker=r.ticker,
            direction=Direction(r.direction),
            signals=r.signals,
            horizons=[OutcomeStatsType.from_row(h) for h in r.horizons],
        )


# -- fields ------------------------------------------------------------------------------------


async def signal_history(
    info: Ctx,
    filter: SignalHistoryFilter | None = None,
    first: int = 20,
    after: str | None = None,
) -> SignalHistoryType:
    store = history.store_of(info.context.services)
    info.context.meta.cacheable = False
    f = filter or SignalHistoryFilter()
    ticker = None
    if f.ticker is not None:
        ticker = (await symbols.resolve_symbol(info.context, f.ticker)).ticker
    page = await store.history(
        HistoryFilter(
            ticker=ticker,
            direction=None if f.direction is None else f.direction.value,
            mode=None if f.mode is None else f.mode.value,
            since=f.since,
            until=f.until,
        ),
        first,
        after,
    )
    return SignalHistoryType(
        entries=[RecordedSignalType.from_entry(e) for e in page.entries],
        page_info=HistoryPageInfo(
            has_next_page=page.next_cursor is not None, end_cursor=page.next_cursor
        ),
    )


def _aware(since: datetime | None) -> datetime | None:
    if since is not None and since.utcoffset() is None:
        raise InvalidArgument("BAD_ARGUMENT", "since needs a time zone, e.g. 2026-01-01T00:00:00Z")
    return since


async def verdict_accuracy(
    info: Ctx, since: datetime | None = None, ticker: str | None = None
) -> VerdictAccuracyType:
    store = history.store_of(info.context.services)
    since = _aware(since)
    info.context.meta.cacheable = False
    name = None if ticker is None else (await symbols.resolve_symbol(info.context, ticker)).ticker
    return VerdictAccuracyType.from_rows(await store.accuracy(since, name))


async def signal_performance(
    info: Ctx, since: datetime | None = None, ticker: str | None = None
) -> list[SymbolPerformanceType]:
    store = history.store_of(info.context.services)
    since = _aware(since)
    info.context.meta.cacheable = False
    name = None if ticker is None else (await symbols.resolve_symbol(info.context, ticker)).ticker
    return [SymbolPerformanceType.from_row(r) for r in await store.performance(since, name)]


async def record_signal(
    info: Ctx,
    ticker: str,
    mode: SignalMode = SignalMode.AGGRESSIVE,
    idempotency_key: Annotated[
        str | None,
        strawberry.argument(
            description="The same key (1-128 characters) always names the same record: "
            "retries of a request are recorded once."
        ),
    ] = None,
) -> RecordedSignalType:
    history.store_of(info.context.services)  # NOT_CONFIGURED before any upstream call
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_KEY_CHARS:
        raise InvalidArgument(
            "BAD_ARGUMENT", f"idempotencyKey must be 1 to {MAX_KEY_CHARS} characters"
        )
    ref = await symbols.resolve_symbol(info.context, ticker)
    recorded = await history.record(
        info.context,
        ref,
        mode.to_engine(),
        "mutation",
        MUTATION_BUCKET,
        idempotency_key=idempotency_key,
    )
    return RecordedSignalType.from_entry(HistoryEntry(recorded.signal, recorded.verdict))


__all__ = [
    "RecordedSignalType",
    "SignalHistoryFilter",
    "SignalHistoryType",
    "SymbolPerformanceType",
    "VerdictAccuracyType",
    "record_signal",
    "signal_history",
    "signal_performance",
    "verdict_accuracy",
]
