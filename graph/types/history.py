"""GraphQL types of the signal history (PostgreSQL): recorded signals with their verdicts
and outcomes, and the accuracy and performance read from them."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from engine.signal.model import Direction, Mode
from engine.verdict.model import Judge, RiskMode, VerdictKind
from providers.history import (
    AccuracyRow,
    HistoryEntry,
    HistoryFilter,
    OutcomeRow,
    OutcomeStats,
    Page,
    PerformanceRow,
    VerdictRow,
)


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
    mode: Mode
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
            mode=Mode(s.mode),
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

    @classmethod
    def from_page(cls, page: Page) -> SignalHistoryType:
        return cls(
            entries=[RecordedSignalType.from_entry(e) for e in page.entries],
            page_info=HistoryPageInfo(
                has_next_page=page.next_cursor is not None, end_cursor=page.next_cursor
            ),
        )


@strawberry.input
class SignalHistoryFilter:
    ticker: str | None = None
    direction: Direction | None = None
    mode: Mode | None = None
    since: datetime | None = None
    until: datetime | None = None

    def to_store(self, ticker: str | None) -> HistoryFilter:
        """The store's filter, with ``ticker`` as resolved (canonical)."""
        return HistoryFilter(
            ticker=ticker,
            direction=None if self.direction is None else self.direction.value,
            mode=None if self.mode is None else self.mode.value,
            since=self.since,
            until=self.until,
        )


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


__all__ = [
    "RecordedSignalType",
    "SignalHistoryFilter",
    "SignalHistoryType",
    "SymbolPerformanceType",
    "VerdictAccuracyType",
]
