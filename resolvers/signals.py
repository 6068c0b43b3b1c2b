"""Signals: gather every factor's data concurrently, record each source's status, compute.

The inputs come through the same request loaders as the ``Symbol`` fields, with the same
arguments as those fields' defaults (1 h candles x 100, 1 h open-interest history x 30,
1 h ratios x 30), so a signal inside a ``Symbol`` shares every fetch with the fields next
to it. A source that fails leaves its factor out and is listed in the data quality; only a
missing price fails the signal, with the price source's own error.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from engine.domain import RatioKind
from engine.signal import compute_signal
from engine.signal.model import (
    Mode,
    SignalInputs,
    SignalResult,
    SourceState,
    SourceStatus,
)
from engine.symbols import SymbolRef
from providers.errors import ProviderBadData, ProviderError, SymbolNotServed
from resolvers import liquidations, market, symbols
from resolvers.cache import Cached
from resolvers.context import Context
from resolvers.errors import NotConfigured

log = logging.getLogger("perpgraph.signals")
LIQUIDATION_WINDOW_MS = 24 * 3_600_000
# The Symbol fields' defaults, so that a signal and those fields share their fetches.
CANDLES = ("1h", 100)
STATS = ("1h", 30)


@dataclass(frozen=True, slots=True)
class SourceValue:
    """One signal source's value, who served it, and whether it was served stale."""

    value: Any
    provider: str | None
    stale: bool


async def _track(
    name: str, fetch: Callable[[], Awaitable[SourceValue]]
) -> tuple[Any, SourceStatus, BaseException | None]:
    """Run one source; its value (or None), its status, and the error it raised."""
    started = time.perf_counter()
    try:
        got = await fetch()
    except NotConfigured as exc:  # a keyed source without its key: reported, never faked
        return None, SourceStatus(name, SourceState.NOT_CONFIGURED, detail=exc.message), None
    except ProviderError as exc:  # a FallbackExhausted reports its primary, like the API
        status = SourceStatus(
            name,
            SourceState.FAILED,
            provider=exc.provider,
            latency_ms=round((time.perf_counter() - started) * 1000, 2),
            code=exc.code,
            detail=exc.message,
        )
        return None, status, exc
    except Exception as exc:  # a bug must not cost the whole signal: this source fails
        log.error("signal source %s failed unexpectedly", name, exc_info=exc)
        status = SourceStatus(name, SourceState.FAILED, code="INTERNAL", detail="internal error")
        return None, status, exc
    state = SourceState.STALE if got.stale else SourceState.OK
    latency = round((time.perf_counter() - started) * 1000, 2)
    return got.value, SourceStatus(name, state, provider=got.provider, latency_ms=latency), None


def _from(cached: Cached[Any], value: Any) -> SourceValue:
    return SourceValue(value, cached.value.meta.provider, cached.stale)


async def _last_ratio(ctx: Context, ref: SymbolRef, kind: RatioKind) -> SourceValue:
    """The newest ratio point: Coinglass's when keyed, else Binance's own statistics."""
    if ctx.services.coinglass is not None:
        c = await market.coinglass_ratio(ctx, ref, kind)
    else:
        c = await market.long_short_ratio(ctx, ref, kind, *STATS)
    if not c.value.points:
        provider = c.value.meta.provider
        raise SymbolNotServed("no ratio points returned", provider=provider, endpoint=kind.value)
    return _from(c, c.value.points[-1].long_short_ratio)


async def _liquidations(ctx: Context, ref: SymbolRef, now_ms: int) -> SourceValue:
    """The last 24 h of liquidations from the best source (``liquidations.liquidation_window``)."""
    r = await liquidations.liquidation_window(ctx, ref, LIQUIDATION_WINDOW_MS, now_ms)
    return SourceValue(r.window, r.provider, r.stale)


async def gather_inputs(
    ctx: Context, ref: SymbolRef, now_ms: int
) -> tuple[SignalInputs, tuple[SourceStatus, ...], dict[str, BaseException]]:
    """Every source at once; (inputs, statuses, errors by source name)."""

    async def price() -> SourceValue:
        c = await market.price(ctx, ref)
        return _from(c, c.value.price)

    async def klines() -> SourceValue:
        c = await market.candles(ctx, ref, *CANDLES)
        return _from(c, c.value.candles)

    async def funding() -> SourceValue:
        c = await market.funding(ctx, ref)
        return _from(c, c.value.funding_rate)

    async def open_interest() -> SourceValue:
        c = await market.open_interest_history(ctx, ref, *STATS)
        return _from(c, c.value.points)

    async def social() -> SourceValue:
        if ctx.services.lunarcrush is None:
            raise NotConfigured("LunarCrush needs PERPGRAPH_LUNARCRUSH_API_KEY")
        c = await market.social_sentiment(ctx, ref)
        return _from(c, c.value.sentiment_pct)

    async def fear_greed() -> SourceValue:
        c = await market.fear_greed(ctx, 1)
        points = c.value.points
        if not points:
            raise SymbolNotServed("no index value", provider="alternative.me", endpoint="/fng/")
        return _from(c, points[0].value)

    sources: dict[str, Callable[[], Awaitable[SourceValue]]] = {
        "price": price,
        "klines": klines,
        "funding": funding,
        "open_interest": open_interest,
        "liquidations": lambda: _liquidations(ctx, ref, now_ms),
        "long_short_ratio": lambda: _last_ratio(ctx, ref, RatioKind.GLOBAL_ACCOUNTS),
        "top_traders": lambda: _last_ratio(ctx, ref, RatioKind.TOP_POSITIONS),
        "social": social,
        "fear_greed": fear_greed,
    }
    results = await asyncio.gather(*(_track(name, f) for name, f in sources.items()))
    values = {name: r[0] for name, r in zip(sources, results, strict=True)}
    statuses = tuple(r[1] for r in results)
    errors = {name: r[2] for name, r in zip(sources, results, strict=True) if r[2] is not None}
    inputs = SignalInputs(
        price=values["price"],
        candles_1h=values["klines"],
        funding_rate=values["funding"],
        global_long_short_ratio=values["long_short_ratio"],
        top_position_ratio=values["top_traders"],
        open_interest=values["open_interest"],
        liquidations=values["liquidations"],
        social_sentiment_pct=values["social"],
        fear_greed=values["fear_greed"],
    )
    return inputs, statuses, errors


@dataclass(frozen=True, slots=True)
class Computed:
    """A signal with what it was computed from (the summary also reads funding and
    liquidations)."""

    ref: SymbolRef
    price: float
    inputs: SignalInputs
    result: SignalResult


async def signal(ctx: Context, ref: SymbolRef, mode: Mode) -> Computed:
    """The signal of one symbol in one mode, computed once per request."""
    key = (ref.ticker, ref.quote, mode)
    running = ctx.signals.get(key)
    if running is None:
        running = ctx.signals[key] = asyncio.ensure_future(_compute(ctx, ref, mode))
    computed: Computed = await asyncio.shield(running)
    return computed


async def signal_or_error(ctx: Context, ticker: str, mode: Mode) -> Computed | Exception:
    """The signal of a ticker as typed, or the error that stopped it (a list field reports
    it at the ticker's entry; expected errors carry codes, others are masked there)."""
    try:
        return await signal(ctx, await symbols.resolve_symbol(ctx, ticker), mode)
    except Exception as err:
        return err


async def _compute(ctx: Context, ref: SymbolRef, mode: Mode) -> Computed:
    now_ms = int(time.time() * 1000)
    inputs, statuses, errors = await gather_inputs(ctx, ref, now_ms)
    if inputs.price is None:  # no price is a hard failure: the price source's own error
        raise errors.get("price") or SymbolNotServed(
            "no price for this symbol", provider="binance", endpoint="price"
        )
    if not (math.isfinite(inputs.price) and inputs.price > 0):
        raise ProviderBadData(
            f"the price source sent an unusable price ({inputs.price})",
            provider="binance",
            endpoint="price",
        )
    limits = ctx.services.limits
    result = compute_signal(
        inputs, statuses, mode, now_ms, limits.min_signal_quality_pct, limits.modes
    )
    return Computed(ref, inputs.price, inputs, result)


__all__ = ["Computed", "SourceValue", "gather_inputs", "signal", "signal_or_error"]
