"""The in-flight bound adapts to the event loop: it falls when the loop stays late while the
bound is reached, never so far that fewer requests are answered, and rises while the loop
is prompt; a burst of arrivals, or requests waiting on a slow upstream, do not lower it."""

from __future__ import annotations

import asyncio
import time

import httpx

from graph.server.shedding import FLOOR, HOLD_STEPS, Slots, watch_loop_lag
from providers.metrics import Metrics
from tests.support import Replay, ServerProcess, gql

TARGET_S = 0.0005


def _slots(limit: int = 64) -> Slots:
    return Slots(limit, Metrics())


def _window(slots: Slots, answered: int, refused: int = 0) -> None:
    """A step's worth of traffic: ``answered`` requests give their slot back (those in
    flight first), ``refused`` are refused, then new ones take every slot (the bound is
    reached)."""
    for _ in range(refused):
        slots.count_refusal()
    finished = min(slots.in_use, answered)
    for _ in range(finished):
        slots.give()
    for _ in range(answered - finished):
        assert slots.take()
        slots.give()
    while slots.take():
        pass


def _busy(seconds: float) -> None:
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


def _late(slots: Slots, late_s: float, answered: int = 100) -> None:
    """A step late by ``late_s`` after one already late (the bound reached in both)."""
    _window(slots, answered)
    slots.adjust(late_s=late_s, target_s=TARGET_S)  # once: a burst, perhaps
    _window(slots, answered)
    slots.adjust(late_s=late_s, target_s=TARGET_S)


def test_a_single_late_step_is_a_burst_and_changes_nothing() -> None:
    slots = _slots()
    _window(slots, answered=100)
    slots.adjust(late_s=100 * TARGET_S, target_s=TARGET_S)
    assert slots.limit == 64
    _window(slots, answered=100)
    slots.adjust(late_s=0.0, target_s=TARGET_S)
    _window(slots, answered=100)
    slots.adjust(late_s=100 * TARGET_S, target_s=TARGET_S)
    assert slots.limit == 64  # on time between the two: still no cut


def test_a_late_loop_with_the_bound_reached_cuts_it_in_proportion_at_most_by_half() -> None:
    slots = _slots()
    _late(slots, 2 * TARGET_S)  # twice as late: half the slots
    assert slots.limit == 32
    _window(slots, answered=100)  # the cut kept the answers coming
    slots.adjust(late_s=100 * TARGET_S, target_s=TARGET_S)  # far later: still only halved
    assert slots.limit == 16
    assert slots.in_use == 32 and not slots.take()


def test_a_bound_nobody_reached_is_left_as_it_is_however_late_the_loop() -> None:
    slots = _slots()
    assert slots.take()
    slots.adjust(late_s=50 * TARGET_S, target_s=TARGET_S)
    assert slots.limit == 64  # one long request made the loop late, not the bound
    _window(slots, answered=0)
    slots.adjust(late_s=0.0, target_s=TARGET_S)
    assert slots.limit == 64  # on time and reached, but already at its ceiling


def test_a_prompt_loop_raises_a_reached_bound_by_one_per_step_up_to_its_ceiling() -> None:
    slots = _slots(8)
    _late(slots, TARGET_S * 8, answered=10)
    assert slots.limit == 4  # halved to the floor
    for expected in (5, 6, 7, 8, 8):
        _window(slots, answered=10)
        slots.adjust(late_s=0.0, target_s=TARGET_S)
        assert slots.limit == expected


def test_the_bound_never_falls_under_the_floor() -> None:
    slots = _slots()
    for _ in range(20):
        _window(slots, answered=100)
        slots.adjust(late_s=1.0, target_s=TARGET_S)
    assert slots.limit == FLOOR


def test_cuts_after_which_fewer_were_answered_and_the_loop_still_late_are_undone() -> None:
    """Clients that retry at once whatever Retry-After says make the loop late with
    refusals (or requests waiting on an upstream hold the slots while something else makes
    the loop late): fewer slots then only mean fewer answers."""
    slots = _slots()
    _late(slots, 4 * TARGET_S)  # 100 answered, none refused, at each of the two steps
    assert slots.limit == 32
    _window(slots, answered=60, refused=200)  # fewer answered, more refused: perhaps noise
    slots.adjust(late_s=4 * TARGET_S, target_s=TARGET_S)
    assert slots.limit == 16  # still late: cut again
    _window(slots, answered=50, refused=400)  # the second step in a row
    slots.adjust(late_s=4 * TARGET_S, target_s=TARGET_S)
    assert slots.limit == 64  # every cut undone
    for step in range(HOLD_STEPS - 1):
        _window(slots, answered=100)
        slots.adjust(late_s=4 * TARGET_S if step % 2 else 0.0, target_s=TARGET_S)
        assert slots.limit == 64  # held
    _window(slots, answered=100)
    slots.adjust(late_s=4 * TARGET_S, target_s=TARGET_S)
    _window(slots, answered=100)
    slots.adjust(late_s=4 * TARGET_S, target_s=TARGET_S)
    assert slots.limit == 32  # tried again after the hold


def test_cuts_that_keep_the_answers_coming_stand_while_the_loop_is_still_late() -> None:
    """Requests competing for the CPU: as many answered with fewer slots, the loop less
    late at each cut; the bound keeps falling until the loop is on time."""
    slots = _slots()
    _late(slots, 2 * TARGET_S, answered=100)
    assert slots.limit == 32
    for expected in (16, 8):
        _window(slots, answered=100, refused=300)
        slots.adjust(late_s=2 * TARGET_S, target_s=TARGET_S)
        assert slots.limit == expected


def test_cuts_that_cost_answers_and_left_the_loop_as_late_are_undone() -> None:
    """Admitted requests waiting on an upstream while refusing makes the loop late: fewer
    slots only mean fewer answers, the loop no less late."""
    slots = _slots()
    _late(slots, 4 * TARGET_S, answered=100)
    assert slots.limit == 32
    for _ in range(2):
        _window(slots, answered=50)  # half the answers, as many arriving, as late
        slots.adjust(late_s=4 * TARGET_S, target_s=TARGET_S)
    assert slots.limit == 64


def test_cuts_that_cost_answers_but_made_the_loop_less_late_stand() -> None:
    slots = _slots()
    _late(slots, 8 * TARGET_S, answered=100)
    assert slots.limit == 32
    _window(slots, answered=50)  # fewer answers: the price of a loop half as late
    slots.adjust(late_s=4 * TARGET_S, target_s=TARGET_S)
    _window(slots, answered=50)
    slots.adjust(late_s=4 * TARGET_S, target_s=TARGET_S)
    assert slots.limit == 8


def test_a_bound_left_unreached_drifts_back_to_its_ceiling() -> None:
    slots = _slots(8)
    _late(slots, 8 * TARGET_S, answered=10)
    assert slots.limit == 4
    _window(slots, answered=4)
    for _ in range(4):
        while slots.in_use:
            slots.give()  # idle: nobody is refused
        slots.adjust(late_s=0.0, target_s=TARGET_S)
    assert slots.limit == 8


def test_one_step_with_fewer_answers_undoes_nothing() -> None:
    slots = _slots()
    _late(slots, 4 * TARGET_S)
    assert slots.limit == 32
    _window(slots, answered=40)  # one step short: noise, a collection
    slots.adjust(late_s=0.0, target_s=TARGET_S)
    _window(slots, answered=40)
    slots.adjust(late_s=0.0, target_s=TARGET_S)
    assert slots.limit == 40  # the loop kept up: the cut stood, and the bound rises


def test_at_the_floor_a_step_with_fewer_answers_starts_no_hold() -> None:
    slots = _slots(FLOOR)
    _late(slots, 8 * TARGET_S, answered=40)  # at the floor: nothing to cut, nothing tried
    _window(slots, answered=10)
    slots.adjust(late_s=0.0, target_s=TARGET_S)
    assert slots.limit == FLOOR  # neither undone to anything nor held
    slots.ceiling = 8
    _window(slots, answered=10)
    slots.adjust(late_s=0.0, target_s=TARGET_S)
    assert slots.limit == FLOOR + 1


async def test_the_watcher_lowers_the_bound_while_busy_work_makes_the_loop_late() -> None:
    metrics = Metrics()
    slots = Slots(64, metrics)
    _window(slots, answered=0)
    watcher = asyncio.create_task(watch_loop_lag(slots, TARGET_S, metrics))
    started = time.perf_counter()
    while slots.limit == 64 and time.perf_counter() - started < 5:  # 2 late steps: ~0.6 s
        _busy(0.004)  # CPU work of admitted requests, 4 ms between two loop turns
        if not slots.take():  # a request arrives and finds every slot taken
            slots.count_refusal()
        await asyncio.sleep(0)
    watcher.cancel()
    assert slots.limit < 64
    rendered = metrics.render().decode()
    assert f"perpgraph_in_flight_limit {float(slots.limit)}" in rendered
    lag = next(
        line for line in rendered.splitlines() if line.startswith("perpgraph_event_loop_lag")
    )
    assert float(lag.split()[1]) > TARGET_S


class _CountedSlots(Slots):
    def __init__(self) -> None:
        super().__init__(64, Metrics())
        self.steps: list[float] = []

    def adjust(self, late_s: float, target_s: float) -> None:
        self.steps.append(late_s)
        super().adjust(late_s, target_s)


async def test_a_late_loop_is_judged_every_few_ticks_not_every_twenty() -> None:
    """Busy work holding the loop 20 ms at every turn (its 5 ms ticks fire about 55 ms
    late): a step (an adjustment) still comes every 0.1 s and three ticks, whichever is
    later, so about 5 in a second (at least 3 on a busy machine), each judging the loop
    late; counting twenty ticks, as before, none came in that second, when it was most
    needed."""
    slots = _CountedSlots()
    watcher = asyncio.create_task(watch_loop_lag(slots, TARGET_S, slots._metrics))
    started = time.perf_counter()
    while time.perf_counter() - started < 1.0:
        _busy(0.02)
        await asyncio.sleep(0)
    watcher.cancel()
    assert len(slots.steps) >= 3
    assert all(late > 0.01 for late in slots.steps)


async def test_requests_waiting_on_a_slow_upstream_keep_the_bound_where_it_is(
    replay: Replay,
) -> None:
    """Forty requests in flight at once (the whole bound), each waiting 400 ms on the
    venue: the loop is idle meanwhile, so the bound is not lowered and none is refused.
    A server process of its own (in a thread of the test's process, the client's work
    would make the server's loop late), with a lag target of 5 ms, so that a loaded CI
    machine taking a while over the forty arrivals is not what the test measures."""
    server = ServerProcess(
        {
            "PERPGRAPH_BINANCE_BASE_URL": replay.url,
            "PERPGRAPH_OKX_BASE_URL": replay.url,
            "PERPGRAPH_MAX_IN_FLIGHT": "40",
            "PERPGRAPH_LOOP_LAG_TARGET_MS": "5",
            "PERPGRAPH_RESPONSE_CACHE": "false",
        }
    )
    server.start()
    replay.fault(route="/fapi/v1/klines", latency_ms=400)
    query = {"query": '{ symbol(ticker: "BTC") { candles(interval: "1m") { interval } } }'}
    try:
        async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=40)) as client:
            await gql(client, server.url, '{ symbol(ticker: "BTC") { ticker } }')
            answers = await asyncio.gather(
                *(client.post(f"{server.url}/graphql", json=query) for _ in range(40))
            )
            metrics = await client.get(f"{server.url}/metrics")
    finally:
        server.stop()
    assert [a.status_code for a in answers] == [200] * 40
    assert all("errors" not in a.json() for a in answers)
    limit = [x for x in metrics.text.splitlines() if x.startswith("perpgraph_in_flight_limit ")]
    assert limit == ["perpgraph_in_flight_limit 40.0"]
