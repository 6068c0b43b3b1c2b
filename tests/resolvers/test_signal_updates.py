"""Signal updates stop with their last subscriber, whatever tickers the subscription named."""

from __future__ import annotations

import asyncio

from engine.signal.model import Mode
from engine.symbols import SymbolRef, VenueNames
from resolvers import signals
from resolvers.live.signal_updates import SignalUpdateFeed


def _ref(base: str) -> SymbolRef:
    return SymbolRef(base, "USDT", 1, VenueNames(f"{base}USDT", f"{base}-USDT-SWAP", base), None)


async def test_a_ticker_named_twice_leaves_no_update_running() -> None:
    started: list[str] = []

    async def compute(ref: SymbolRef, mode: Mode) -> signals.Computed:
        started.append(ref.ticker)
        await asyncio.Event().wait()  # a run in flight when the subscriber leaves
        raise AssertionError("unreachable")

    feed = SignalUpdateFeed(compute, interval_s=3600)
    refs = [_ref("BTC"), _ref("BTC"), _ref("ETH"), _ref("SOL")]
    async with feed.subscribe(refs, Mode.AGGRESSIVE):
        await asyncio.sleep(0)  # let the runs start
        tasks = [u.task for u in feed._updates.values()]
    assert sorted(started) == ["BTC", "ETH", "SOL"]  # one run per symbol, BTC once
    await asyncio.sleep(0)
    assert feed._updates == {}
    assert all(t is not None and t.cancelled() for t in tasks)
