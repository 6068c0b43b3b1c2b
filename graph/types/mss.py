"""``MssScore``: a coin's three-phase emerging-coin score, each phase a lazy field.

Asking for ``discovery`` alone fetches only discovery's data (``resolvers.mss`` lists each
phase's calls); the totals (``score``, ``points``, ``tier``, ``quality``...) read all three
phases, each fetched once however many fields ask.
"""

from __future__ import annotations

from collections.abc import Mapping

import strawberry

from engine.mss import criteria
from engine.mss.criteria import Phase
from engine.mss.score import (
    NEEDS_ALL_PASSED,
    TIERS,
    CriterionResult,
    CriterionState,
    MssResult,
    MssTier,
    PhaseResult,
)
from graph.errors import describe
from graph.types.signal import DataQualityType
from resolvers.mss import CoinMss, MssScan


@strawberry.type(name="MssCriterion")
class MssCriterionType:
    key: str = strawberry.field(description="fdv, age, supply, galaxy_score, alt_rank...")
    input: str = strawberry.field(description="What it reads, with its unit.")
    why: str
    state: CriterionState
    value: float | None = strawberry.field(description="The value read; null when not scored.")
    points: float | None = strawberry.field(description="Its points; null when not scored.")
    max_points: float = strawberry.field(description="The most it can give (the table's).")
    source: str | None = strawberry.field(description="Where the value came from.")
    stale: bool = strawberry.field(description="Served past its TTL: the source failed.")
    reason: str | None = strawberry.field(description="Why it was not scored.")
    bands: str = strawberry.field(description="Its bands, e.g. '<= 20000000: 12, ...'.")

    @classmethod
    def from_engine(cls, c: CriterionResult) -> MssCriterionType:
        spec = c.criterion
        return cls(
            key=spec.key,
            input=spec.input,
            why=spec.why,
            state=c.state,
            value=c.value,
            points=c.points,
            max_points=spec.max_points,
            source=c.source,
            stale=c.stale,
            reason=c.reason,
            bands=bands_text(spec),
        )


def bands_text(spec: criteria.Criterion) -> str:
    """``"<= 20,000,000: 12, <= 50,000,000: 9, ..."``: the criterion's bands as read."""
    higher = spec.better is criteria.Better.HIGHER
    signs = {False: ">=" if higher else "<=", True: ">" if higher else "<"}
    return ", ".join(f"{signs[b.strict]} {_number(b.threshold)}: {b.points:g}" for b in spec.bands)


def _number(value: float) -> str:
    """20000000.0 -> "20,000,000"; 1.2 -> "1.2"."""
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


@strawberry.type(name="MssPhase")
class MssPhaseType:
    phase: Phase
    points: float
    max_points: float = strawberry.field(
        description="The maxima of the criteria scored: the table's less what had no data."
    )
    nominal_max: float = strawberry.field(description="The table's maximum (30, 35, 35).")
    pass_mark_pct: float = strawberry.field(description="Passes at this % of maxPoints.")
    passed: bool | None = strawberry.field(description="Null when nothing could be scored.")
    criteria: list[MssCriterionType]
    missing: list[str] = strawberry.field(description="Keys of the criteria not scored.")

    @classmethod
    def from_engine(cls, p: PhaseResult) -> MssPhaseType:
        return cls(
            phase=p.phase,
            points=round(p.points, 2),
            max_points=p.max_points,
            nominal_max=p.nominal_max,
            pass_mark_pct=p.pass_mark_pct,
            passed=p.passed,
            criteria=[MssCriterionType.from_engine(c) for c in p.criteria],
            missing=[c.criterion.key for c in p.missing],
        )


@strawberry.type(
    name="MssScore",
    description="The emerging-coin score: discovery (0-30), social confirmation (0-35) and "
    "institutional validation (0-35). A criterion without data is left out and reported, "
    "and its phase's maximum shrinks with it: score is points as a % of maxPoints.",
)
class MssScoreType:
    mss: strawberry.Private[CoinMss]

    @strawberry.field(description="Canonical ticker.")
    def ticker(self) -> str:
        return self.mss.ref.ticker

    @strawberry.field(description="Phase 1: tokenomics (CoinGecko, the venue's listing date).")
    async def discovery(self) -> MssPhaseType:
        return MssPhaseType.from_engine(await self.mss.phase(Phase.DISCOVERY))

    @strawberry.field(description="Phase 2: LunarCrush social metrics (keyed) and buy pressure.")
    async def social(self) -> MssPhaseType:
        return MssPhaseType.from_engine(await self.mss.phase(Phase.SOCIAL))

    @strawberry.field(description="Phase 3: open interest, top traders, whales, order-book walls.")
    async def institutional(self) -> MssPhaseType:
        return MssPhaseType.from_engine(await self.mss.phase(Phase.INSTITUTIONAL))

    async def _result(self) -> MssResult:
        return await self.mss.total()  # combined once, on the CoinMss

    @strawberry.field(description="Points as a % of maxPoints, 0-100; null with no data.")
    async def score(self) -> float | None:
        return (await self._result()).score

    @strawberry.field(description="Points over the three phases.")
    async def points(self) -> float:
        return (await self._result()).points

    @strawberry.field(description="The maxima of every criterion scored (100 with all data).")
    async def max_points(self) -> float:
        return (await self._result()).max_points

    @strawberry.field
    async def tier(self) -> MssTier:
        return (await self._result()).tier

    @strawberry.field(description="Every phase with data reached its pass mark.")
    async def all_phases_passed(self) -> bool:
        return (await self._result()).all_passed

    @strawberry.field(description="The sources read, their tiers and states, as for signals.")
    async def quality(self) -> DataQualityType:
        return DataQualityType.from_engine((await self._result()).quality, criteria.SOURCE_TIERS)


@strawberry.type(name="MssScanEntry")
class MssScanEntryType:
    rank: int
    ticker: str = strawberry.field(description="Canonical ticker; the text asked if unknown.")
    venue_symbol: str | None = strawberry.field(description="The Binance contract scored.")
    mss: MssScoreType | None = strawberry.field(description="Null when the candidate failed.")
    error_code: str | None = strawberry.field(description="The candidate itself failed.")
    error_message: str | None


@strawberry.type(name="MssScan")
class MssScanType:
    scanned: int = strawberry.field(description="Candidates scored.")
    min_score: float
    entries: list[MssScanEntryType] = strawberry.field(
        description="Ranked by score, highest first; those not scored last (only when "
        "minScore is 0); each candidate's CoinGecko and LunarCrush rows came in one call."
    )

    @classmethod
    def from_scan(cls, scan: MssScan, min_score: float) -> MssScanType:
        entries = []
        for rank, e in enumerate(scan.entries, start=1):
            message, code = describe(e.error) if e.error is not None else (None, None)
            ref = e.mss.ref if e.mss is not None else None
            entries.append(
                MssScanEntryType(
                    rank=rank,
                    ticker=ref.ticker if ref is not None else e.label,
                    venue_symbol=ref.venues.binance if ref is not None else None,
                    mss=None if e.mss is None else MssScoreType(mss=e.mss),
                    error_code=code,
                    error_message=message,
                )
            )
        return cls(scanned=scan.scanned, min_score=min_score, entries=entries)


@strawberry.type(name="MssCriterionInfo")
class MssCriterionInfoType:
    key: str
    phase: Phase
    input: str
    source: str | None = strawberry.field(description="Its data-quality source.")
    max_points: float
    bands: str
    why: str


@strawberry.type(name="MssInfo")
class MssInfoType:
    phases: list[Phase]
    phase_max: list[float] = strawberry.field(description="Each phase's maximum, in order.")
    pass_marks_pct: list[float] = strawberry.field(description="Each phase's pass mark.")
    min_quality_pct: float
    criteria: list[MssCriterionInfoType]
    tiers: str = strawberry.field(description="The tier bounds.")


def mss_info(pass_marks: Mapping[Phase, float], min_quality_pct: float) -> MssInfoType:
    rows = [
        MssCriterionInfoType(
            key=c.key,
            phase=c.phase,
            input=c.input,
            source=c.quality_source,
            max_points=c.max_points,
            bands=bands_text(c),
            why=c.why,
        )
        for c in criteria.CRITERIA
    ]
    return MssInfoType(
        phases=list(Phase),
        phase_max=[criteria.PHASE_MAX[p] for p in Phase],
        pass_marks_pct=[pass_marks[p] for p in Phase],
        min_quality_pct=min_quality_pct,
        criteria=rows,
        tiers=_tier_bounds(),
    )


def _tier_bounds() -> str:
    bounds = [
        f"{tier.value} >= {lowest:g}"
        + (" (every scored phase passed)" if tier in NEEDS_ALL_PASSED else "")
        for lowest, tier in TIERS
    ]
    return ", ".join(bounds) + ", else WEAK; INSUFFICIENT_DATA below the quality minimum"


__all__ = ["MssInfoType", "MssScanType", "MssScoreType", "mss_info"]
