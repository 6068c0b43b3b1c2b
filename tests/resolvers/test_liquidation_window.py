"""``coinglass_window``: Coinglass buckets are keyed by their start and cover one interval;
a window sums the buckets that overlap it, and no bucket is NO_DATA, never a zero.

Buckets: Coinglass's documented ``liquidation/history`` example (two daily buckets; shape
and values as the vendor prints them)."""

from __future__ import annotations

import pytest

from engine.domain import LiquidationHistory, Sourced
from engine.intervals import INTERVAL_MS
from providers.coinglass.models import LIQUIDATION_HISTORY
from providers.errors import SymbolNotServed
from resolvers.liquidations import coinglass_window
from tests.providers.conftest import load

DAY = INTERVAL_MS["1d"]
HOUR = INTERVAL_MS["1h"]


def history() -> LiquidationHistory:
    rows = LIQUIDATION_HISTORY.validate_python(
        load("coinglass/liquidation_history.doc-example.json")["data"]
    )
    buckets = tuple(sorted((r.to_domain() for r in rows), key=lambda b: b.ts_ms))
    meta = Sourced(provider="coinglass", as_of_ms=buckets[-1].ts_ms)
    return LiquidationHistory("BTCUSDT", "1d", buckets, meta)


def test_an_hour_inside_the_newest_bucket_counts_that_bucket_from_its_start() -> None:
    h = history()
    newest = h.buckets[-1]
    now = newest.ts_ms + 5 * HOUR  # the newest daily bucket is still filling
    w = coinglass_window(h, HOUR, now)
    assert (w.long_usd, w.short_usd) == (newest.long_usd, newest.short_usd)
    assert w.window_ms == 5 * HOUR  # covered from the bucket's start, not "the last hour"
    assert (w.long_count, w.short_count) == (None, None)


def test_a_window_reaching_into_the_older_bucket_sums_both() -> None:
    h = history()
    now = h.buckets[-1].ts_ms + HOUR
    w = coinglass_window(h, 2 * HOUR, now)  # starts one hour before the newest bucket
    assert w.long_usd == sum(b.long_usd for b in h.buckets)
    assert w.short_usd == sum(b.short_usd for b in h.buckets)
    assert w.window_ms == now - h.buckets[0].ts_ms


def test_no_bucket_in_the_window_is_no_data_not_zero() -> None:
    h = history()
    later = h.buckets[-1].ts_ms + 3 * DAY  # both buckets ended two days before the window
    with pytest.raises(SymbolNotServed) as info:
        coinglass_window(h, HOUR, later)
    assert info.value.code == "NO_DATA"
