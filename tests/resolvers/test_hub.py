"""The liquidation hub, fed with the recorded Binance liquidation events."""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import UTC, datetime

from engine.domain import Liquidation, PositionSide
from providers.binance import ws as binance_ws
from providers.coinglass import ws as coinglass_ws
from providers.metrics import Metrics
from resolvers.live.hub import LiquidationFilter, LiquidationHub
from tests.providers.conftest import load
from tests.support import RECORDED


def recorded_events() -> list[Liquidation]:
    path = RECORDED / "binance-futures/forceOrder-derived-2025-10-22.csv"
    events = []
    with path.open() as f:
        for row in csv.DictReader(f):
            ts = datetime.fromisoformat(row["timestamp"]).replace(tzinfo=UTC)
            price, qty = float(row["avg_price"]), float(row["filled_qty"])
            side = PositionSide.LONG if row["side"] == "SELL" else PositionSide.SHORT
            events.append(
                Liquidation(
                    row["symbol"],
                    "binance",
                    side,
                    price,
                    qty,
                    price * qty,
                    int(ts.timestamp() * 1000),
                )
            )
    return events


async def test_a_filtered_subscriber_receives_exactly_the_matching_events_in_order() -> None:
    events = recorded_events()
    symbol = max({e.symbol for e in events}, key=lambda s: sum(e.symbol == s for e in events))
    hub = LiquidationHub(Metrics())
    wants = LiquidationFilter(symbols=frozenset({symbol}), side=PositionSide.LONG)
    async with hub.subscribe(wants) as sub:
        hub.publish_many(events)
        expected = [e for e in events if e.symbol == symbol and e.side is PositionSide.LONG]
        got = [await sub.get() for _ in expected]
        assert got == expected
        assert not sub.queue
    assert hub.subscriber_count == 0  # leaving the block unregistered it


async def test_min_notional_filter() -> None:
    events = recorded_events()
    cut = round(sorted(e.notional_usd for e in events)[len(events) // 2], 2)
    hub = LiquidationHub(Metrics())
    async with hub.subscribe(LiquidationFilter(min_notional_usd=cut)) as sub:
        hub.publish_many(events)
        # compared as shown, to the cent: an event shown as the cut itself passes
        assert list(sub.queue) == [e for e in events if round(e.notional_usd, 2) >= cut]


async def test_a_slow_subscriber_stays_bounded_and_its_drops_are_counted() -> None:
    events = recorded_events()
    metrics = Metrics()
    hub = LiquidationHub(metrics)
    async with hub.subscribe(maxsize=10) as slow, hub.subscribe() as fast:
        hub.publish_many(events)
        assert len(slow.queue) == 10
        assert list(slow.queue) == events[-10:]  # the oldest were dropped
        assert slow.dropped == len(events) - 10
        assert list(fast.queue) == events  # the others receive every event
    text = metrics.render().decode()
    assert f'perpgraph_hub_dropped_total{{topic="liquidations"}} {float(len(events) - 10)}' in text


async def test_duplicates_are_published_once() -> None:
    events = recorded_events()
    hub = LiquidationHub(Metrics())
    async with hub.subscribe() as sub:
        hub.publish_many(events)
        hub.publish_many(events[:50])  # a feed replaying after a reconnect
        assert len(sub.queue) == len(events)
    assert hub.duplicates == 50


async def test_publish_never_waits_on_a_subscriber() -> None:
    hub = LiquidationHub(Metrics())
    events = recorded_events()
    async with hub.subscribe(maxsize=1):
        hub.publish_many(events[:-1])  # synchronous: done without any subscriber reading
    async with hub.subscribe() as sub:
        task = asyncio.create_task(sub.get())
        await asyncio.sleep(0)
        hub.publish(events[-1])  # a waiting reader is woken by the next event
        assert await asyncio.wait_for(task, 1) == events[-1]


def test_recent_keeps_a_day() -> None:
    events = recorded_events()
    hub = LiquidationHub(Metrics(), keep_ms=60_000)
    hub.publish_many(events)
    newest = max(e.ts_ms for e in events)
    kept = hub.recent(None, 0)
    assert kept and all(e.ts_ms >= newest - 60_000 for e in kept)
    assert hub.recent(events[0].symbol, newest - 60_000) == [
        e for e in kept if e.symbol == events[0].symbol
    ]


async def test_one_liquidation_reported_by_coinglass_and_by_binance_is_published_once() -> None:
    """Coinglass relays Binance's liquidations with the USD value; Binance sends price and
    quantity. The same event through both feeds (Coinglass's documented push, and that row
    as Binance's forceOrder frame) is one event."""
    push = load("coinglass/ws-liquidationOrders.doc-example.json")
    (row,) = push["data"]
    (via_coinglass,) = coinglass_ws.parse_frame(json.dumps(push))
    order = {
        "s": row["symbol"],
        "S": "SELL",  # Coinglass side 2, a sell order
        "ap": str(row["price"]),
        "z": str(row["volUsd"] / row["price"]),
        "T": row["time"],
    }
    (via_binance,) = binance_ws.parse_frame(
        json.dumps({"e": "forceOrder", "E": row["time"], "o": order})
    )
    hub = LiquidationHub(Metrics())
    async with hub.subscribe() as sub:
        assert hub.publish(via_binance) is True
        assert hub.publish(via_coinglass) is False
        assert list(sub.queue) == [via_binance]
    assert hub.duplicates == 1


async def test_a_venue_that_starts_over_is_delivered_again_and_counted_once() -> None:
    events = recorded_events()  # about 7 minutes of Binance
    hub = LiquidationHub(Metrics(), restart_on_rewind=True)  # the demo's looping replay
    async with hub.subscribe() as sub:
        hub.publish_many(events)
        hub.publish_many(events[-10:])  # a reconnect repeating its last seconds: duplicates
        assert hub.duplicates == 10
        hub.publish_many(events)  # the recording played again, its recorded times unchanged
        assert list(sub.queue) == events + events
    assert hub.duplicates == 10
    # the statistics hold the pass being played, once
    assert hub.recent(None, 0) == events


async def test_live_venues_never_count_as_starting_over() -> None:
    events = recorded_events()
    hub = LiquidationHub(Metrics())  # the default: live data
    async with hub.subscribe() as sub:
        hub.publish_many(events)
        hub.publish_many(events)  # all of it again, minutes back: duplicates, every one
        assert list(sub.queue) == events
    assert hub.duplicates == len(events)
