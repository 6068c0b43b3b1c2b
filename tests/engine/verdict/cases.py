"""Recorded engine runs and trade plans for the verdict tests.

Every price comes from a recording (providers/replay/data/PROVENANCE.md), read through
``tests.engine.signal.recorded``: the derived 1 h series of BTC, ETH and SOL (719 candles
each), their settled funding rates, the recorded forced liquidations and Fear & Greed. A
*run* is ``compute_signal`` on the ``WINDOW`` hourly candles before index ``end`` of a
symbol's series, and its plan is ``trade_plan`` on the same candles: what the server would
have answered at that hour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from engine.domain import Candle
from engine.signal.factors import aggregate_liquidations
from engine.signal.model import (
    Direction,
    Mode,
    SignalInputs,
    SignalResult,
    SourceState,
    SourceStatus,
)
from engine.signal.quality import SOURCES
from engine.signal.score import compute_signal
from engine.verdict.model import TradePlan
from engine.verdict.plan import trade_plan
from tests.engine.signal import recorded

WINDOW = 100  # hourly candles a run reads (the momentum factor needs 25)
NOW_MS = 1_700_000_000_000  # any instant: the engine never reads a clock
DAY_MS = 24 * recorded.HOUR_MS
NOTHING = SignalInputs(
    price=None, candles_1h=None, funding_rate=None, global_long_short_ratio=None,
    top_position_ratio=None, open_interest=None, liquidations=None,
    social_sentiment_pct=None, fear_greed=None,
)  # fmt: skip


def sources(
    fed: tuple[str, ...], states: Mapping[str, SourceState] | None = None
) -> tuple[SourceStatus, ...]:
    """Every source: OK when fed, NOT_CONFIGURED otherwise, unless ``states`` names it."""
    states = states or {}
    return tuple(
        SourceStatus(
            name, states.get(name, SourceState.OK if name in fed else SourceState.NOT_CONFIGURED)
        )
        for name in SOURCES
    )


def window(symbol: str, end: int, hours: int = 1) -> tuple[Candle, ...]:
    """The ``WINDOW`` candles before index ``end`` of the symbol's 1 h series, or of its
    ``hours``-hour series (``aggregate``)."""
    series = recorded.candles_1h(symbol)
    if hours > 1:
        series = aggregate(series, hours)
    return series[max(0, end - WINDOW) : end]


def aggregate(candles: tuple[Candle, ...], hours: int) -> tuple[Candle, ...]:
    """Consecutive groups of ``hours`` 1 h candles as one candle each (open of the first,
    close of the last, extreme high and low, summed volume); a last partial group is dropped."""
    return tuple(
        Candle(
            group[0].open_time_ms,
            group[0].open,
            max(c.high for c in group),
            min(c.low for c in group),
            group[-1].close,
            sum(c.volume for c in group),
            None,
            None,
            None,
            None,
        )
        for i in range(0, len(candles) - hours + 1, hours)
        if len(group := candles[i : i + hours]) == hours
    )


def inputs(symbol: str, end: int, *, liquidations: bool = False) -> SignalInputs:
    """The run's inputs: candles, the last funding settled by the newest candle, Fear & Greed,
    and (when asked) the recorded liquidations of the symbol as a 24 h window."""
    candles = window(symbol, end)
    last_ms = candles[-1].open_time_ms
    rate = [r for ms, r in recorded.funding_rates(symbol) if ms <= last_ms][-1]
    liq = None
    if liquidations:
        events = [e for e in recorded.liquidations() if e.symbol == symbol]
        liq = aggregate_liquidations(events, max(e.ts_ms for e in events), DAY_MS)
    return replace(
        NOTHING,
        price=candles[-1].close,
        candles_1h=candles,
        funding_rate=rate,
        liquidations=liq,
        fear_greed=recorded.fear_greed_values()[0],
    )


def fed(liquidations: bool) -> tuple[str, ...]:
    base = ("price", "klines", "funding", "fear_greed")
    return (*base, "liquidations") if liquidations else base


def run(
    symbol: str,
    end: int,
    mode: Mode = Mode.AGGRESSIVE,
    *,
    liquidations: bool = False,
    states: Mapping[str, SourceState] | None = None,
) -> SignalResult:
    """The signal of one recorded hour; ``states`` overrides a source's status."""
    return compute_signal(
        inputs(symbol, end, liquidations=liquidations),
        sources(fed(liquidations), states),
        mode,
        NOW_MS,
    )


def plan_for(signal: SignalResult, symbol: str, end: int, hours: int = 1) -> TradePlan | None:
    """The plan of the signal's direction over the symbol's candles before ``end``."""
    return trade_plan(signal.direction, window(symbol, end, hours))


def plan_in_band(
    direction: Direction, symbol: str, low_pct: float, high_pct: float, hours: int = 1
) -> tuple[int, TradePlan]:
    """The first window (by end index) of the ``hours``-hour series whose plan's ATR is in
    ``[low_pct, high_pct)`` % of the price."""
    series = (
        aggregate(recorded.candles_1h(symbol), hours) if hours > 1 else recorded.candles_1h(symbol)
    )
    for end in range(15, len(series) + 1):
        plan = trade_plan(direction, window(symbol, end, hours))
        if plan is not None and low_pct <= plan.atr_pct < high_pct:
            return end, plan
    raise LookupError(f"no {symbol} {hours}h window with ATR in [{low_pct}, {high_pct}) %")
