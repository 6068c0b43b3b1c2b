"""The smart-money scan: perpetuals ranked by an accumulation / distribution score
(``engine.discovery`` defines the factors and the score)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from engine import discovery as disco
from engine.symbols import SymbolRef
from graph.errors import describe
from graph.types.market import origin
from graph.types.symbol import SymbolType, symbol_type
from resolvers import discovery


@strawberry.input
class SmartMoneyCriteria:
    candidates: int = strawberry.field(
        default=discovery.SCAN_MAX_CANDIDATES,
        description="How many perpetuals by 24 h quote volume to scan (1-20).",
    )
    min_quote_volume_usd: float | None = None
    quote: str | None = "USDT"
    tickers: list[str] | None = strawberry.field(
        default=None, description="Scan these (1-20) instead of the top by volume."
    )
    period: str = strawberry.field(default="1h", description="Statistics period.")
    points: int = strawberry.field(default=24, description="Periods in the window (2-500).")
    direction: disco.ScanDirection = disco.ScanDirection.EITHER

    def to_resolver(self) -> discovery.ScanCriteria:
        return discovery.ScanCriteria(
            candidates=self.candidates,
            min_quote_volume_usd=self.min_quote_volume_usd,
            quote=self.quote,
            tickers=None if self.tickers is None else tuple(self.tickers),
            period=self.period,
            points=self.points,
            direction=disco.ScanDirection(self.direction.value),
        )


@strawberry.type
class SmartMoneyFactor:
    name: str = strawberry.field(description="TOP_TRADERS, OPEN_INTEREST, TAKER_FLOW...")
    weight: int = strawberry.field(description="Out of 100.")
    present: bool
    value: float | None = strawberry.field(description="-1..1; + = accumulation.")
    contribution: float | None = strawberry.field(description="weight x value.")
    detail: str = strawberry.field(description="The reading, or why it is missing.")
    code: str | None = strawberry.field(description="Error code when its data failed.")
    source: str | None
    as_of: datetime | None


@strawberry.type
class SmartMoneyCandidate:
    rank: int
    ticker: str = strawberry.field(description="Canonical ticker; the text asked if unknown.")
    venue_symbol: str | None = strawberry.field(description="The Binance contract scanned.")
    bias: disco.FlowBias
    score: float | None = strawberry.field(description="-100..100 over the present factors.")
    weighted_score: float | None = strawberry.field(
        description="-100..100 with missing factors as 0 (ranks the scan)."
    )
    coverage_pct: float = strawberry.field(description="Weight of the factors present.")
    missing_factors: list[str]
    factors: list[SmartMoneyFactor]
    error_code: str | None = strawberry.field(description="The candidate itself failed.")
    error_message: str | None
    ref: strawberry.Private[SymbolRef | None]

    @strawberry.field
    def symbol(self) -> SymbolType | None:
        return None if self.ref is None else symbol_type(self.ref)


@strawberry.type
class SmartMoneyScan:
    direction: disco.ScanDirection
    period: str
    points: int
    scanned: int
    candidates: list[SmartMoneyCandidate]

    @classmethod
    def from_result(
        cls, wanted: discovery.ScanCriteria, result: discovery.ScanResult
    ) -> SmartMoneyScan:
        return cls(
            direction=wanted.direction,
            period=wanted.period,
            points=wanted.points,
            scanned=result.scanned,
            candidates=[_candidate(i + 1, c) for i, c in enumerate(result.candidates)],
        )


def _factor(item: discovery.Scanned, read: disco.FactorRead) -> SmartMoneyFactor:
    failed = item.failed.get(read.factor)
    code, detail = None, read.detail
    if failed is not None and isinstance(failed, Exception):
        detail, code = describe(failed)
    got = item.data.get(read.factor)
    meta = origin(got) if got is not None else {"source": None, "as_of": None}
    return SmartMoneyFactor(
        name=read.factor.value,
        weight=read.weight,
        present=read.value is not None,
        value=read.value,
        contribution=None if read.value is None else read.weight * read.value,
        detail=detail,
        code=code,
        source=meta["source"],
        as_of=meta["as_of"],
    )


def _candidate(rank: int, item: discovery.Scanned) -> SmartMoneyCandidate:
    s = item.score
    factors = [_factor(item, r) for r in s.factors] if s else []
    message, code = describe(item.error) if isinstance(item.error, Exception) else (None, None)
    return SmartMoneyCandidate(
        rank=rank,
        ticker=item.ref.ticker if item.ref else item.label,
        venue_symbol=item.ref.venues.binance if item.ref else None,
        bias=s.bias if s else disco.FlowBias.NEUTRAL,
        score=s.score if s else None,
        weighted_score=s.weighted_score if s and s.score is not None else None,
        coverage_pct=s.coverage_pct if s else 0.0,
        missing_factors=[f.name for f in factors if not f.present],
        factors=factors,
        error_code=code,
        error_message=message,
        ref=item.ref,
    )


__all__ = ["SmartMoneyCriteria", "SmartMoneyScan"]
