"""Symbols: what the venues list, and what a ticker a user typed resolves to.

Binance's exchange info is the primary listing; OKX's instruments answer for what Binance
does not list, and for everything while Binance's listing is unavailable. Both are cached
for an hour (``PERPGRAPH_TTL_EXCHANGE_INFO_S``); Binance's is loaded at start-up.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.domain import ExchangeInfo
from engine.symbols import SymbolRef, SymbolRegistry
from providers.errors import ProviderError
from resolvers import datasets
from resolvers.cache import Cached
from resolvers.context import Context
from resolvers.errors import FallbackExhausted, UnknownSymbol
from resolvers.services import Services

_registries: dict[tuple[str, int, int], SymbolRegistry] = {}


def cached_registry(
    info: ExchangeInfo, build: Callable[[ExchangeInfo], SymbolRegistry]
) -> SymbolRegistry:
    key = (info.meta.source, info.meta.as_of_ms, len(info.contracts))
    registry = _registries.get(key)
    if registry is None:
        if len(_registries) > 8:
            _registries.clear()
        registry = _registries[key] = build(info)
    return registry


def binance_registry(info: ExchangeInfo) -> SymbolRegistry:
    return cached_registry(info, lambda i: SymbolRegistry.from_binance(i.contracts))


def okx_registry(info: ExchangeInfo) -> SymbolRegistry:
    return cached_registry(info, lambda i: SymbolRegistry.from_okx(i.contracts))


async def binance_listing(ctx: Context) -> Cached[ExchangeInfo]:
    """Binance's perpetuals (exchange info, cached an hour)."""
    return await ctx.loaders.job(datasets.binance_exchange_info(ctx.services))


async def warm_symbols(s: Services) -> None:
    """Load Binance's symbol list into the shared cache (the server runs this at start-up,
    so the first query does not wait for it). Failure is logged by the caller, not fatal."""
    job = datasets.binance_exchange_info(s)
    await s.cache.get_or_fetch(job.dataset, job.key, job.ttl_s, job.fetch)


async def warm_okx_instruments(s: Services) -> None:
    """Load OKX's swap list at start-up too: the fallback's listing, and the contract sizes
    its liquidation orders are read with (a cold marketSummary would wait for it first)."""
    job = datasets.okx_instruments(s)
    await s.cache.get_or_fetch(job.dataset, job.key, job.ttl_s, job.fetch)


async def known_tickers(ctx: Context) -> frozenset[str]:
    """The base tickers Binance lists (OKX's when Binance's listing is down), as the ``ask``
    parser spots coins by them."""
    try:
        return frozenset(binance_registry((await binance_listing(ctx)).value).tickers)
    except ProviderError as binance_failed:
        try:
            okx = await ctx.loaders.job(datasets.okx_instruments(ctx.services))
        except ProviderError as okx_failed:
            raise FallbackExhausted(binance_failed, okx_failed) from binance_failed
        return frozenset(okx_registry(okx.value).tickers)


async def _from_okx_only(ctx: Context, text: str, binance_failed: ProviderError) -> SymbolRef:
    try:
        okx = await ctx.loaders.job(datasets.okx_instruments(ctx.services))
    except ProviderError as okx_failed:
        raise FallbackExhausted(binance_failed, okx_failed) from binance_failed
    registry = okx_registry(okx.value)
    ref = registry.find(text)
    if ref is None:
        raise UnknownSymbol(text, registry.suggest(text))
    return ref


async def resolve_symbol(ctx: Context, text: str) -> SymbolRef:
    """Binance's listing first; OKX's instruments only for what Binance does not list."""
    okx_job = datasets.okx_instruments(ctx.services)
    try:
        binance = await binance_listing(ctx)
    except ProviderError as binance_failed:  # Binance's listing is down: OKX's must do
        return await _from_okx_only(ctx, text, binance_failed)
    primary = binance_registry(binance.value)
    ref = primary.find(text)
    if ref is not None:
        return ref
    try:
        okx = await ctx.loaders.job(okx_job)
    except ProviderError:
        raise UnknownSymbol(text, primary.suggest(text)) from None
    secondary = okx_registry(okx.value)
    ref = secondary.find(text)
    if ref is None:
        raise UnknownSymbol(text, primary.suggest(text) or secondary.suggest(text))
    return ref


__all__ = [
    "binance_listing",
    "binance_registry",
    "known_tickers",
    "okx_registry",
    "resolve_symbol",
    "warm_symbols",
]
