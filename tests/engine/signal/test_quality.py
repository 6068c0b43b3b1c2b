"""The data-quality score: tiers, states, and what NOT_CONFIGURED does not do."""

from __future__ import annotations

import pytest

from engine.signal.model import SourceState, SourceStatus, Tier
from engine.signal.quality import SOURCES, assess

OK, STALE, FAILED, NOT_CONFIGURED = (
    SourceState.OK,
    SourceState.STALE,
    SourceState.FAILED,
    SourceState.NOT_CONFIGURED,
)


def _all(state: SourceState, **overrides: SourceState) -> list[SourceStatus]:
    return [SourceStatus(name, overrides.get(name, state)) for name in SOURCES]


def test_tiers() -> None:
    assert SOURCES["price"] is Tier.CRITICAL
    assert {n for n, t in SOURCES.items() if t is Tier.IMPORTANT} == {
        "klines", "funding", "open_interest", "liquidations", "long_short_ratio", "top_traders",
    }  # fmt: skip
    assert {n for n, t in SOURCES.items() if t is Tier.OPTIONAL} == {"social", "fear_greed"}


# weights: price 3, six IMPORTANT 2 each, two OPTIONAL 1 each: 17 in all
CASES = [
    ("all OK", _all(OK), 100.0),
    ("all FAILED", _all(FAILED), 0.0),
    ("all STALE", _all(STALE), 50.0),
    ("price only", _all(FAILED, price=OK), round(100 * 3 / 17, 2)),
    ("one IMPORTANT failed", _all(OK, funding=FAILED), round(100 * 15 / 17, 2)),
    ("one IMPORTANT stale", _all(OK, funding=STALE), round(100 * 16 / 17, 2)),
    ("one OPTIONAL failed", _all(OK, social=FAILED), round(100 * 16 / 17, 2)),
    ("keyed sources without keys", _all(OK, social=NOT_CONFIGURED, fear_greed=NOT_CONFIGURED), 100.0),
    ("not configured + failed", _all(OK, social=NOT_CONFIGURED, funding=FAILED), round(100 * 14 / 16, 2)),
    ("nothing listed", [], 0.0),
]  # fmt: skip


@pytest.mark.parametrize(("case", "sources", "pct"), CASES, ids=[c[0] for c in CASES])
def test_quality_score(case: str, sources: list[SourceStatus], pct: float) -> None:
    quality = assess(sources, minimum_pct=50.0)
    assert quality.score_pct == pct
    assert quality.sufficient is (pct >= 50.0)
    assert quality.sources == tuple(sources)  # NOT_CONFIGURED still listed


@pytest.mark.parametrize("name", [n for n in SOURCES if n != "price"])
def test_not_configured_counts_as_not_there_and_never_below_failed(name: str) -> None:
    for base in (_all(OK), _all(OK, funding=FAILED), _all(STALE)):
        unkeyed = [SourceStatus(s.name, NOT_CONFIGURED) if s.name == name else s for s in base]
        absent = [s for s in base if s.name != name]
        failed = [SourceStatus(s.name, FAILED) if s.name == name else s for s in base]
        assert assess(unkeyed, 50.0).score_pct == assess(absent, 50.0).score_pct
        assert assess(unkeyed, 50.0).score_pct >= assess(failed, 50.0).score_pct
        assert SourceStatus(name, NOT_CONFIGURED) in assess(unkeyed, 50.0).sources


def test_the_minimum_is_inclusive() -> None:
    sources = _all(STALE)  # exactly 50 %
    assert assess(sources, 50.0).sufficient
    assert not assess(sources, 50.01).sufficient


@pytest.mark.parametrize(
    "sources",
    [[SourceStatus("orderbook", OK)], [SourceStatus("price", OK), SourceStatus("price", FAILED)]],
)
def test_unknown_or_repeated_sources_are_refused(sources: list[SourceStatus]) -> None:
    with pytest.raises(ValueError):
        assess(sources, 50.0)


@pytest.mark.parametrize("minimum", [-1.0, 100.5])
def test_minimum_outside_0_100_is_refused(minimum: float) -> None:
    with pytest.raises(ValueError):
        assess(_all(OK), minimum)
