"""The MSS watchlist: the coins an API key watches, kept in PostgreSQL
(``providers.history.watchlist``), each shown with its current MSS.

Without ``PERPGRAPH_DATABASE_URL`` each answers ``NOT_CONFIGURED``; a caller without a key
``UNAUTHENTICATED`` (a watchlist belongs to a key). A coin is checked (an unknown ticker is
``UNKNOWN_SYMBOL``) and stored by its canonical ticker, so ``BTC`` and ``BTCUSDT`` are one
entry; adding it twice keeps one row.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.symbols import SymbolRef
from providers.errors import ProviderError
from providers.history.watchlist import WatchEntry, WatchlistFull, WatchlistStore
from resolvers.context import Context
from resolvers.errors import InvalidArgument, NotConfigured, Refused, UnknownSymbol
from resolvers.symbols import resolve_symbol


@dataclass(frozen=True, slots=True)
class Watched:
    entry: WatchEntry
    ref: SymbolRef | None  # None: not listed now, or the listing unreachable (not scored)
    # the list's coins: their CoinGecko and LunarCrush rows come in one call, as a scan's
    batch: tuple[str, ...] = ()


def store_of(ctx: Context) -> WatchlistStore:
    store = ctx.services.watchlist
    if store is None:
        raise NotConfigured("the watchlist needs PERPGRAPH_DATABASE_URL")
    return store


def owner_of(ctx: Context) -> str:
    """The key whose list this is. A request with no caller (none reaches here today) is
    refused rather than given a list shared by all such work."""
    caller = ctx.meta.caller
    if caller is None or caller.key is None:
        raise Refused(
            "UNAUTHENTICATED",
            "a watchlist belongs to an API key: send Authorization: Bearer <key>",
        )
    return caller.key


async def add(ctx: Context, ticker: str) -> tuple[Watched, bool]:
    """(the entry, whether it is new); adding a coin watched already changes nothing."""
    store, owner = store_of(ctx), owner_of(ctx)
    ref = await resolve_symbol(ctx, ticker)
    try:
        entry, added = await store.add(owner, ref.ticker)
    except WatchlistFull as full:
        raise InvalidArgument("WATCHLIST_FULL", str(full)) from None
    return Watched(entry, ref), added


async def remove(ctx: Context, ticker: str) -> bool:
    """True when the coin was watched. A coin the venues no longer list (or cannot be
    looked up now) is removed by the ticker as stored."""
    store, owner = store_of(ctx), owner_of(ctx)
    try:
        stored = (await resolve_symbol(ctx, ticker)).ticker
    except (UnknownSymbol, ProviderError):
        stored = ticker.strip().upper()
    return await store.remove(owner, stored)


async def entries(ctx: Context) -> list[Watched]:
    store, owner = store_of(ctx), owner_of(ctx)
    ctx.meta.cacheable = False  # each key's own, and changed by its mutations
    found: list[tuple[WatchEntry, SymbolRef | None]] = []
    for entry in await store.entries(owner):
        try:
            ref: SymbolRef | None = await resolve_symbol(ctx, entry.ticker)
        except (UnknownSymbol, ProviderError):  # the list is served; its MSS is null
            ref = None
        found.append((entry, ref))
    batch = tuple(ref.ticker for _, ref in found if ref is not None)
    return [Watched(entry, ref, batch) for entry, ref in found]


__all__ = ["Watched", "add", "entries", "owner_of", "remove", "store_of"]
