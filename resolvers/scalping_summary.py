"""The scalping summary's reading of a snapshot: the layers selected beside it, and only
those, read concurrently through the same loaders as the layer fields (so the summary adds
no upstream call), then ``engine.scalping.summarize``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from engine import scalping as rules
from engine import scalping_inputs as readings
from engine.domain import RatioKind
from engine.indicators import Trend
from engine.scalping import Layer, ScalpingSummary
from engine.scalping_inputs import ScalpingInputs
from engine.symbols import SymbolRef
from providers.errors import ProviderError
from resolvers import scalping as layers
from resolvers.arguments import check_interval
from resolvers.context import Context
from resolvers.errors import RequestError

log = logging.getLogger("perpgraph.scalping")


@dataclass(frozen=True, slots=True)
class Selection:
    """The layers selected beside ``summary`` on one snapshot, with their arguments; None
    or False: not selected. Whales count only with their ``positions`` selected (the recent
    trades are too few prints to lean on)."""

    price: bool = False
    orderbook_depth: int | None = None
    rsi_period: int | None = None
    volume_delta_last: int | None = None
    liquidations_window_ms: int | None = None
    funding: bool = False
    long_short_period: str | None = None
    smart_money_period: str | None = None
    whale_positions: bool = False
    fear_greed: bool = False
    trend: bool = False
    large_trades: tuple[int, float] | None = None  # (first, min notional)
    social: bool = False

    def layers(self) -> tuple[Layer, ...]:
        chosen = {
            Layer.PRICE: self.price,
            Layer.ORDERBOOK: self.orderbook_depth is not None,
            Layer.RSI: self.rsi_period is not None,
            Layer.VOLUME_DELTA: self.volume_delta_last is not None,
            Layer.LIQUIDATIONS: self.liquidations_window_ms is not None,
            Layer.FUNDING: self.funding,
            Layer.LONG_SHORT_RATIO: self.long_short_period is not None,
            Layer.SMART_MONEY: self.smart_money_period is not None,
            Layer.WHALES: self.whale_positions,
            Layer.FEAR_GREED: self.fear_greed,
            Layer.TREND: self.trend,
            Layer.LARGE_TRADES: self.large_trades is not None,
            Layer.SOCIAL: self.social,
        }
        return tuple(layer for layer in rules.WEIGHTS if chosen[layer])


@dataclass(frozen=True, slots=True)
class SummaryResult:
    summary: ScalpingSummary
    selected: tuple[Layer, ...]
    missing: tuple[Layer, ...]  # selected, but failed or gave nothing to read


_EXPECTED = (ProviderError, RequestError)


def _readers(
    ctx: Context, ref: SymbolRef, interval: str, sel: Selection, now_ms: int
) -> dict[str, Callable[[], Awaitable[Any]]]:
    """Input field of ``ScalpingInputs`` -> how to read it, for the selected layers only."""
    out: dict[str, Callable[[], Awaitable[Any]]] = {}

    async def value_of(read: Awaitable[layers.Reading[Any]]) -> Any:
        return (await read).value

    if sel.price:
        out["price"] = lambda: value_of(layers.price(ctx, ref, interval))
    if (depth := sel.orderbook_depth) is not None:

        async def book() -> readings.BookSnapshot:
            return readings.book_snapshot((await layers.orderbook(ctx, ref, depth)).value)

        out["orderbook"] = book
    if (period := sel.rsi_period) is not None:
        out["rsi"] = lambda: value_of(layers.rsi(ctx, ref, interval, period))
    if (last := sel.volume_delta_last) is not None:
        out["volume_delta"] = lambda: value_of(layers.volume_delta(ctx, ref, interval, last))
    if (span := sel.liquidations_window_ms) is not None:
        out["liquidations"] = lambda: value_of(layers.liquidations(ctx, ref, span, now_ms))
    if sel.funding:

        async def rate() -> float:
            return (await layers.funding(ctx, ref)).value.funding_rate

        out["funding_rate"] = rate
    for name, kind, ratio_period in (
        ("long_short_ratio", RatioKind.GLOBAL_ACCOUNTS, sel.long_short_period),
        ("smart_money_ratio", RatioKind.TOP_POSITIONS, sel.smart_money_period),
    ):
        if ratio_period is not None:

            async def newest(kind: RatioKind = kind, p: str = ratio_period) -> float:
                return (await layers.ratio(ctx, ref, kind, p)).value.points[-1].long_short_ratio

            out[name] = newest
    if sel.whale_positions:

        async def whales() -> readings.WhaleExposure:
            held = (await layers.whale_positions(ctx, ref)).value.positions
            return readings.whale_exposure([w.position for w in held])

        out["whales"] = whales
    if sel.fear_greed:

        async def fng() -> int:
            return (await layers.fear_greed(ctx)).value.points[0].value

        out["fear_greed"] = fng
    if sel.trend:

        async def trend_only() -> Trend:
            return (await layers.trend(ctx, ref, interval)).value.trend

        out["trend"] = trend_only
    if (large := sel.large_trades) is not None:

        async def flow() -> readings.TradeFlow:
            got = await layers.large_trades(ctx, ref, *large)
            return readings.trade_flow(got.value.trades)

        out["large_trades"] = flow
    if sel.social:

        async def sentiment() -> float:
            return (await layers.social(ctx, ref)).value.sentiment_pct

        out["social_pct"] = sentiment
    return out


async def summary(ctx: Context, ref: SymbolRef, interval: str, sel: Selection) -> SummaryResult:
    """The summary of the selected layers only (``engine.scalping``), read concurrently
    through the same loaders as the layer fields, so it adds no upstream call. A layer that
    fails is left out and listed in ``missing``; its own field reports the error."""
    check_interval(interval)
    readers = _readers(ctx, ref, interval, sel, int(time.time() * 1000))
    results = await asyncio.gather(*(read() for read in readers.values()), return_exceptions=True)
    values: dict[str, Any] = {}
    for name, result in zip(readers, results, strict=True):
        if isinstance(result, asyncio.CancelledError):
            raise result
        if isinstance(result, _EXPECTED):
            continue
        if isinstance(result, BaseException):
            log.error("scalping summary: reading %s failed unexpectedly", name, exc_info=result)
            continue
        values[name] = result
    computed = rules.summarize(ScalpingInputs(**values))
    selected = sel.layers()
    missing = tuple(layer for layer in selected if layer not in computed.based_on)
    return SummaryResult(computed, selected, missing)


__all__ = ["Selection", "SummaryResult", "summary"]
