"""Summing recorded liquidation events into a window."""

from __future__ import annotations

import math

import pytest

from engine.domain import PositionSide
from engine.signal.factors import aggregate_liquidations
from tests.engine.signal import recorded


def test_the_whole_recording_sums_by_side() -> None:
    events = recorded.liquidations()
    end_ms = max(e.ts_ms for e in events)
    span_ms = end_ms - min(e.ts_ms for e in events) + 1
    window = aggregate_liquidations(events, end_ms=end_ms, window_ms=span_ms, largest=3)
    longs = [e.notional_usd for e in events if e.side is PositionSide.LONG]
    shorts = [e.notional_usd for e in events if e.side is PositionSide.SHORT]
    assert (window.long_count, window.short_count) == (len(longs), len(shorts))
    assert window.long_count is not None and window.short_count is not None
    assert window.long_count + window.short_count == len(events)
    assert window.long_usd == pytest.approx(math.fsum(longs))
    assert window.short_usd == pytest.approx(math.fsum(shorts))
    assert (window.end_ms, window.window_ms) == (end_ms, span_ms)
    top = sorted((e.notional_usd for e in events), reverse=True)[:3]
    assert [e.notional_usd for e in window.largest] == top


def test_events_outside_the_window_are_ignored() -> None:
    events = recorded.liquidations()
    times = sorted(e.ts_ms for e in events)
    middle = times[len(times) // 2]
    span_ms = 60_000
    window = aggregate_liquidations(events, end_ms=middle, window_ms=span_ms)
    inside = [e for e in events if middle - span_ms < e.ts_ms <= middle]
    assert 0 < len(inside) < len(events)
    assert window.long_count is not None and window.short_count is not None
    assert window.long_count + window.short_count == len(inside)
    assert window.long_usd + window.short_usd == pytest.approx(
        math.fsum(e.notional_usd for e in inside)
    )
    before = aggregate_liquidations(events, end_ms=times[0] - 1, window_ms=span_ms)
    assert (before.long_count, before.short_count, before.long_usd, before.largest) == (0, 0, 0, ())


@pytest.mark.parametrize(("window_ms", "largest"), [(0, 5), (-1, 5), (60_000, -1)])
def test_bad_window_or_count_is_refused(window_ms: int, largest: int) -> None:
    with pytest.raises(ValueError):
        aggregate_liquidations(
            recorded.liquidations(), end_ms=0, window_ms=window_ms, largest=largest
        )
