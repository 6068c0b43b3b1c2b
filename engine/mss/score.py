"""Scoring the MSS: readings in, each criterion's points, each phase, the total and its tier.

Pure and clock-free. A phase is scored from one reading (or one absence) per criterion of
that phase; the total combines the phases that were scored, so a caller that asked for the
discovery phase alone gets a total over that phase alone, and says so (``phases``).

The total is honest about what it read: ``points`` out of ``max_points``, the sum of the
maxima of the criteria that had data. ``score`` is that share in percent (0-100), so a coin
missing its social data is neither rewarded nor punished for it; how much was missing is in
``quality`` and in each phase's ``missing``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from engine.mss.criteria import PHASE_MAX, SOURCE_TIERS, Criterion, Phase, phase_criteria
from engine.signal.model import DataQuality, SourceState, SourceStatus
from engine.signal.quality import assess


class CriterionState(Enum):
    SCORED = "SCORED"
    NO_DATA = "NO_DATA"  # the source answered without this value
    FAILED = "FAILED"  # the source failed
    NOT_CONFIGURED = "NOT_CONFIGURED"  # a keyed source without its key


class MssTier(Enum):
    EXCEPTIONAL = "EXCEPTIONAL"
    STRONG = "STRONG"
    PROMISING = "PROMISING"
    WATCH = "WATCH"
    WEAK = "WEAK"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


# (lowest score, tier), best first; below the last: WEAK. Above PROMISING only when every
# phase reached its pass mark (``all_passed``: a phase without data has not).
TIERS: tuple[tuple[float, MssTier], ...] = (
    (85.0, MssTier.EXCEPTIONAL),
    (75.0, MssTier.STRONG),
    (60.0, MssTier.PROMISING),
    (40.0, MssTier.WATCH),
)
NEEDS_ALL_PASSED = frozenset({MssTier.EXCEPTIONAL, MssTier.STRONG})

# a phase passes at this share (%) of its maximum; settings may move each
DEFAULT_PASS_MARKS: Mapping[Phase, float] = MappingProxyType(
    {Phase.DISCOVERY: 50.0, Phase.SOCIAL: 50.0, Phase.INSTITUTIONAL: 50.0}
)
DEFAULT_MIN_QUALITY_PCT = 50.0


@dataclass(frozen=True, slots=True)
class Reading:
    """A criterion's input as read: its value and where it came from (what the API shows
    as ``source``, e.g. ``"coingecko via perpgraph-replay"``)."""

    value: float
    source: str
    stale: bool = False  # served past its TTL because the source failed


@dataclass(frozen=True, slots=True)
class Absent:
    """A criterion without its input, and why."""

    state: CriterionState  # NO_DATA, FAILED or NOT_CONFIGURED
    reason: str
    code: str | None = None  # the error code when FAILED
    provider: str | None = None  # the source that failed or had no data

    def __post_init__(self) -> None:
        if self.state is CriterionState.SCORED:
            raise ValueError("an absent reading cannot be SCORED")


Input = Reading | Absent


@dataclass(frozen=True, slots=True)
class CriterionResult:
    criterion: Criterion
    state: CriterionState
    value: float | None
    points: float | None  # None when not scored
    source: str | None
    reason: str | None  # why it was not scored
    stale: bool = False
    code: str | None = None  # the error code of a FAILED (or NO_DATA) source
    provider: str | None = None

    @property
    def scored(self) -> bool:
        return self.state is CriterionState.SCORED


@dataclass(frozen=True, slots=True)
class PhaseResult:
    phase: Phase
    criteria: tuple[CriterionResult, ...]
    pass_mark_pct: float

    @property
    def points(self) -> float:
        return sum(c.points or 0.0 for c in self.criteria)

    @property
    def max_points(self) -> float:
        """The maxima of the criteria scored: the table's maximum less what had no data."""
        return sum(c.criterion.max_points for c in self.criteria if c.scored)

    @property
    def nominal_max(self) -> float:
        return PHASE_MAX[self.phase]

    @property
    def missing(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if not c.scored)

    @property
    def passed(self) -> bool | None:
        """Points at or above the pass mark's share of ``max_points``; None with no data."""
        if self.max_points <= 0:
            return None
        return self.points >= self.max_points * self.pass_mark_pct / 100.0


@dataclass(frozen=True, slots=True)
class MssResult:
    phases: tuple[PhaseResult, ...]  # the phases scored, in table order
    quality: DataQuality

    @property
    def points(self) -> float:
        return round(sum(p.points for p in self.phases), 2)

    @property
    def max_points(self) -> float:
        return round(sum(p.max_points for p in self.phases), 2)

    @property
    def score(self) -> float | None:
        """``points`` as a percent of ``max_points``; None when nothing could be scored."""
        if self.max_points <= 0:
            return None
        return round(100.0 * self.points / self.max_points, 2)

    @property
    def all_passed(self) -> bool:
        """Every phase scored reached its pass mark, and none was left without data (a
        phase with nothing to score has not passed: it is unknown)."""
        return bool(self.phases) and all(p.passed is True for p in self.phases)

    @property
    def tier(self) -> MssTier:
        score = self.score
        if score is None or not self.quality.sufficient:
            return MssTier.INSUFFICIENT_DATA
        for lowest, tier in TIERS:
            if score >= lowest and (tier not in NEEDS_ALL_PASSED or self.all_passed):
                return tier
        return MssTier.WEAK


def score_criterion(criterion: Criterion, given: Input) -> CriterionResult:
    if isinstance(given, Absent):
        return CriterionResult(
            criterion, given.state, None, None, None, given.reason,
            code=given.code, provider=given.provider,
        )  # fmt: skip
    return CriterionResult(
        criterion,
        CriterionState.SCORED,
        given.value,
        criterion.points_for(given.value),
        given.source,
        None,
        given.stale,
    )


def score_phase(
    phase: Phase, inputs: Mapping[str, Input], pass_mark_pct: float | None = None
) -> PhaseResult:
    """One phase from one input per criterion of the phase (by key; a key left out is a
    ValueError: a caller lists every criterion it tried)."""
    mark = DEFAULT_PASS_MARKS[phase] if pass_mark_pct is None else pass_mark_pct
    if not 0.0 <= mark <= 100.0:
        raise ValueError(f"a pass mark is a percent within 0..100, got {mark}")
    results = []
    for criterion in phase_criteria(phase):
        given = inputs.get(criterion.key)
        if given is None:
            raise ValueError(f"no input for the criterion {criterion.key!r}")
        results.append(score_criterion(criterion, given))
    return PhaseResult(phase, tuple(results), mark)


def source_statuses(phases: Iterable[PhaseResult]) -> tuple[SourceStatus, ...]:
    """Each quality source the scored phases read, once: OK when any criterion reading it
    was scored (STALE when all of those were stale), else FAILED or NOT_CONFIGURED as its
    criteria say; a source that answered without any value it was read for is FAILED with
    code ``NO_DATA`` (the score read nothing from it)."""
    by_source: dict[str, list[CriterionResult]] = {}
    for phase in phases:
        for result in phase.criteria:
            name = result.criterion.quality_source
            if name is not None:
                by_source.setdefault(name, []).append(result)
    return tuple(_status(name, results) for name, results in by_source.items())


def _status(name: str, results: Sequence[CriterionResult]) -> SourceStatus:
    scored = [r for r in results if r.scored]
    if scored:
        stale = all(r.stale for r in scored)
        provider = _provider(scored[0].source)
        return SourceStatus(name, SourceState.STALE if stale else SourceState.OK, provider)
    for state, shown in (
        (CriterionState.FAILED, SourceState.FAILED),
        (CriterionState.NOT_CONFIGURED, SourceState.NOT_CONFIGURED),
        (CriterionState.NO_DATA, SourceState.FAILED),
    ):
        first = next((r for r in results if r.state is state), None)
        if first is not None:
            code = first.code or ("NO_DATA" if state is CriterionState.NO_DATA else None)
            return SourceStatus(name, shown, first.provider, code=code, detail=first.reason)
    raise AssertionError("a source read by no criterion")  # callers list it only with some


def _provider(source: str | None) -> str | None:
    """``"binance via perpgraph-replay"`` -> ``"binance"``."""
    return None if source is None else source.split(" via ", 1)[0]


def combine(
    phases: Sequence[PhaseResult],
    min_quality_pct: float = DEFAULT_MIN_QUALITY_PCT,
    statuses: Sequence[SourceStatus] | None = None,
) -> MssResult:
    """The total over ``phases`` (each at most once). ``statuses`` are the sources' states
    as fetched (with providers, codes and STALE) when the caller has them; else they are
    read from the criteria (``source_statuses``)."""
    seen = [p.phase for p in phases]
    if len(set(seen)) != len(seen):
        raise ValueError("a phase is scored at most once")
    ordered = tuple(sorted(phases, key=lambda p: list(Phase).index(p.phase)))
    sources = source_statuses(ordered) if statuses is None else tuple(statuses)
    return MssResult(ordered, assess(sources, min_quality_pct, SOURCE_TIERS))


__all__ = [
    "DEFAULT_MIN_QUALITY_PCT",
    "DEFAULT_PASS_MARKS",
    "NEEDS_ALL_PASSED",
    "TIERS",
    "Absent",
    "CriterionResult",
    "CriterionState",
    "Input",
    "MssResult",
    "MssTier",
    "PhaseResult",
    "Reading",
    "combine",
    "score_criterion",
    "score_phase",
    "source_statuses",
]
