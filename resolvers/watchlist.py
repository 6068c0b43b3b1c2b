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
from providers.history.watchlist import WatchEntry, WatchlistFull, WatchlistStore
from resolvers.context import Context
from resolvers.errors import InvalidArgument, NotConfigured, Refused, UnknownSymbol
from resolvers.symbols import resolve_symbol

OWNER_OF_SERVER_WORK = "server"  # the server's own work (no caller): one shared list


@dataclass(frozen=True, slots=True)
class Watched:
    entry: WatchEntry
    ref: SymbolRef | None  # None: the venues no longer list it (shown, not scored)


def store_of(ctx: Context) -> WatchlistStore:
    store = ctx.services.watchlist
    if store is None:
        raise NotConfigured("the watchlist needs PERPGRAPH_DATABASE_URL")
    return store


def owner_of(ctx: Context) -> str:
    caller = ctx.meta.caller
    if caller is None:
        return OWNER_OF_SERVER_WORK
    if caller.key is None:
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
        added = await store.add(owner, ref.ticker)
    except WatchlistFull as full:
        raise InvalidArgument("WATCHLIST_FULL", str(full)) from None
    entry = next(e for e in await store.entries(owner) if e.ticker == ref.ticker)
    return Watched(entry, ref), added


async def remove(ctx: Context, ticker: str) -> bool:
    """True when the coin was watched."""
    store, owner = store_of(ctx), owner_of(ctx)
    ref = await resolve_symbol(ctx, ticker)
    return await store.remove(owner, ref.ticker)


async def entries(ctx: Context) -> list[Watched]:
    store, owner = store_of(ctx), owner_of(ctx)
    ctx.meta.cacheable = False  # each key's own, and changed by its mutations
    out = []
    for entry in await store.entries(owner):
        try:
            ref: SymbolRef | None = await resolve_symbol(ctx, entry.ticker)
        except UnknownSymbol:
            ref = None
        out.append(Watched(entry, ref))
    return out


__all__ = ["Watched", "add", "entries", "owner_of", "remove", "store_of"]
