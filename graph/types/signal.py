"""GraphQL types of signals, built from ``engine.signal`` results."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from engine.domain import cents
from engine.signal.model import (
    Confidence,
    DataQuality,
    Direction,
    FactorResult,
    Mode,
    ModeInfo,
    SignalResult,
    SourceStatus,
    Tier,
)
from engine.signal.quality import SOURCES
from engine.signal.summary import MarketSummary
from graph.types.market import ms_to_dt
from resolvers import signals, verdicts

if TYPE_CHECKING:
    from graph.types.verdict import VerdictType


@strawberry.type
class ModeInfoType:
    mode: Mode
    short_at_or_below: float
    long_at_or_above: float
    risk_level: str
    description: str
    best_use: str

    @classmethod
    def from_engine(cls, m: ModeInfo) -> ModeInfoType:
        return cls(
            mode=m.mode,
            short_at_or_below=m.short_at_or_below,
            long_at_or_above=m.long_at_or_above,
            risk_level=m.risk_level,
            description=m.description,
            best_use=m.best_use,
        )


@strawberry.type(name="Factor")
class FactorType:
    name: str
    weight: int = strawberry.field(description="Weight out of 100.")
    sub_score: float | None = strawberry.field(description="0-100, 50 = no edge.")
    contribution: float = strawberry.field(
        description="Points this factor moves the score away from 50 (signed)."
    )
    available: bool
    explanation: str
    source: str | None

    @classmethod
    def from_engine(cls, f: FactorResult) -> FactorType:
        return cls(
            name=f.name,
            weight=f.weight,
            sub_score=None if f.sub_score is None else round(f.sub_score, 2),
            contribution=round(f.contribution, 3),
            available=f.available,
            explanation=f.explanation,
            source=f.source,
        )


@strawberry.type(name="SourceStatus")
class SourceStatusType:
    name: str
    tier: str = strawberry.field(description="CRITICAL, IMPORTANT or OPTIONAL.")
    state: str = strawberry.field(description="OK, STALE, FAILED or NOT_CONFIGURED.")
    provider: str | None
    latency_ms: float | None
    code: str | None = strawberry.field(description="The error code when FAILED.")
    detail: str | None

    @classmethod
    def from_engine(cls, s: SourceStatus, tiers: Mapping[str, Tier] = SOURCES) -> SourceStatusType:
        return cls(
            name=s.name,
            tier=tiers[s.name].value,
            state=s.state.value,
            provider=s.provider,
            latency_ms=s.latency_ms,
            code=s.code,
            detail=s.detail,
        )


@strawberry.type(name="DataQuality")
class DataQualityType:
    score_pct: float
    minimum_pct: float
    sufficient: bool = strawberry.field(description="False: the signal gives no direction.")
    sources: list[SourceStatusType]

    @classmethod
    def from_engine(cls, q: DataQuality, tiers: Mapping[str, Tier] = SOURCES) -> DataQualityType:
        """``tiers``: the source table the quality was assessed with (a signal's unless
        given; the MSS has its own)."""
        return cls(
            score_pct=round(q.score_pct, 2),
            minimum_pct=q.minimum_pct,
            sufficient=q.sufficient,
            sources=[SourceStatusType.from_engine(s, tiers) for s in q.sources],
        )


@strawberry.type
class RawMetric:
    factor: str
    name: str
    value: float


@strawberry.type(name="Signal")
class SignalType:
    ticker: str
    direction: Direction
    score: float = strawberry.field(description="0-100 weighted score; 50 = no edge.")
    confidence: Confidence
    mode: Mode
    mode_info: ModeInfoType
    price: float
    factors: list[FactorType] = strawberry.field(description="All eight, in weight order.")
    top_factors: list[FactorType] = strawberry.field(description="The three that moved it most.")
    reasons: list[str]
    data_quality: DataQualityType
    generated_at: datetime
    result: strawberry.Private[SignalResult]
    computed: strawberry.Private[signals.Computed]

    @strawberry.field(description="The raw metrics each factor computed (for debugging).")
    def debug(self) -> list[RawMetric]:
        return [
            RawMetric(factor=f.name, name=name, value=value)
            for f in self.result.factors
            for name, value in f.raw.items()
        ]

    @strawberry.field(
        description="Whether to act on this signal: the AI judge's verdict, or the rules' when "
        "the AI is not configured or fails (decided once per request and mode)."
    )
    async def verdict(
        self, info: strawberry.Info, account_risk_pct: float | None = None
    ) -> Annotated[VerdictType, strawberry.lazy("graph.types.verdict")] | None:
        from graph.types.verdict import VerdictType  # the verdict type shows its signal

        # this very signal is judged (a subscription's updates each get their own verdict)
        judged = await verdicts.verdict(
            info.context,
            self.computed.ref,
            self.result.mode.mode,
            account_risk_pct,
            computed=self.computed,
        )
        return VerdictType.from_judged(judged)

    @classmethod
    def from_computed(cls, c: signals.Computed) -> SignalType:
        r, price = c.result, c.price
        return cls(
            ticker=c.ref.ticker,
            computed=c,
            direction=r.direction,
            score=r.score,
            confidence=r.confidence,
            mode=r.mode.mode,
            mode_info=ModeInfoType.from_engine(r.mode),
            price=price,
            factors=[FactorType.from_engine(f) for f in r.factors],
            top_factors=[FactorType.from_engine(f) for f in r.top_factors],
            reasons=list(r.reasons),
            data_quality=DataQualityType.from_engine(r.quality),
            generated_at=ms_to_dt(r.generated_at_ms),  # type: ignore[arg-type]
            result=r,
        )


@strawberry.type(name="SummaryCoin")
class SummaryCoinType:
    ticker: str
    direction: Direction
    score: float
    confidence: Confidence
    price: float | None


@strawberry.type(name="SignalDistribution")
class DistributionType:
    long: int
    short: int
    neutral: int


@strawberry.type(name="LiquidationPressure")
class LiquidationPressureType:
    long_usd: float = strawberry.field(description="Long positions liquidated, USD, 24 h.")
    short_usd: float
    coins_with_data: int
    label: str = strawberry.field(description="SHORT_SQUEEZE, LONG_FLUSH, BALANCED or NONE.")


@strawberry.type(name="FailedCoin")
class FailedCoinType:
    ticker: str
    code: str
    message: str


@strawberry.type(name="MarketSummary")
class MarketSummaryType:
    sentiment: str = strawberry.field(description="BULLISH, BEARISH, NEUTRAL or MIXED.")
    mode: Mode
    coins: list[SummaryCoinType]
    failed: list[FailedCoinType] = strawberry.field(
        description="Tickers whose signal could not be computed, with the reason."
    )
    distribution: DistributionType
    average_score: float | None
    market_bias: float = strawberry.field(description="Average score - 50, in score points.")
    average_funding_rate: float | None
    liquidation_pressure: LiquidationPressureType
    explanation_en: str
    explanation_id: str = strawberry.field(description="The same in Indonesian.")
    recommendations: list[str]

    @classmethod
    def from_engine(
        cls, s: MarketSummary, mode: Mode, failed: list[FailedCoinType]
    ) -> MarketSummaryType:
        p = s.liquidation_pressure
        return cls(
            sentiment=s.sentiment.value,
            mode=mode,
            coins=[
                SummaryCoinType(
                    ticker=c.ticker,
                    direction=c.direction,
                    score=c.score,
                    confidence=c.confidence,
                    price=c.price,
                )
                for c in s.coins
            ],
            failed=failed,
            distribution=DistributionType(
                long=s.distribution.long, short=s.distribution.short, neutral=s.distribution.neutral
            ),
            average_score=s.average_score,
            market_bias=s.market_bias,
            average_funding_rate=s.average_funding_rate,
            liquidation_pressure=LiquidationPressureType(
                long_usd=cents(p.long_usd),
                short_usd=cents(p.short_usd),
                coins_with_data=p.coins_with_data,
                label=p.label.value,
            ),
            explanation_en=s.explanation_en,
            explanation_id=s.explanation_id,
            recommendations=list(s.recommendations),
        )


__all__ = ["FailedCoinType", "MarketSummaryType", "SignalType"]
