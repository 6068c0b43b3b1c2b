"""Symbols: what the venues list, and what a ticker a user typed resolves to.

Binance's exchange info is the primary listing; OKX's instruments answer for what Binance
does not list, and for everything while Binance's listing is unavailable. Both are cached
for an hour (``PERPGRAPH_TTL_EXCHANGE_INFO_S``); Binance's is loaded at start-up.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.domain import ExchangeInfo
from engine.symbols import SymbolRef, SymbolRegistry, UnknownSymbol
from providers.errors import ProviderError
from resolvers.cache import Cached
from resolvers.context import Context, Services
from resolvers.errors import FallbackExhausted
from resolvers.loaders import Job

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


def binance_listing(s: Services) -> Job:
    return Job(
        "exchange_info", "binance:exchange_info", s.ttls.exchange_info, s.binance.exchange_info
    )


def okx_listing(s: Services) -> Job:
    return Job("exchange_info", "okx:instruments", s.ttls.exchange_info, s.okx.instruments)


async def warm_symbols(s: Services) -> None:
    """Load Binance's symbol list into the shared cache (the lifespan runs this at start-up,
    so the first query does not wait for it). Failure is logged by the caller, not fatal."""
    job = binance_listing(s)
    await s.cache.get_or_fetch(job.dataset, job.key, job.ttl_s, job.fetch)


async def resolve_symbol(ctx: Context, text: str) -> SymbolRef:
    """Binance's listing first; OKX's instruments only for what Binance does not list."""
    s = ctx.services
    okx_job = okx_listing(s)
    try:
        binance: Cached[ExchangeInfo] = await ctx.loaders.job(binance_listing(s))
    except ProviderError as binance_failed:  # Binance's listing is down: OKX's must do
        try:
            okx_only: Cached[ExchangeInfo] = await ctx.loaders.job(okx_job)
        except ProviderError as okx_failed:
            raise FallbackExhausted(binance_failed, okx_failed) from binance_failed
        registry = cached_registry(okx_only.value, lambda i: SymbolRegistry.from_okx(i.contracts))
        return registry.resolve(text)
    primary = cached_registry(binance.value, lambda i: SymbolRegistry.from_binance(i.contracts))
    ref = primary.find(text)
    if ref is not None:
        return ref
    try:
        okx: Cached[ExchangeInfo] = await ctx.loaders.job(okx_job)
    except ProviderError:
        raise UnknownSymbol(text, primary.suggest(text)) from None
    secondary = cached_registry(okx.value, lambda i: SymbolRegistry.from_okx(i.contracts))
    ref = secondary.find(text)
    if ref is None:
        raise UnknownSymbol(text, primary.suggest(text) or secondary.suggest(text))
    return ref


__all__ = ["okx_listing", "resolve_symbol", "warm_symbols"]
