"""The MSS watchlist: ``watchlist``, ``watchAdd`` and ``watchRemove`` (``resolvers.watchlist``
says who owns a list and what each costs)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph.types import Ctx
from graph.types.mss import MssScoreType
from resolvers import watchlist
from resolvers.mss import CoinMss


@strawberry.type(name="WatchlistEntry")
class WatchlistEntryType:
    ticker: str
    added_at: datetime
    watched: strawberry.Private[watchlist.Watched]

    @strawberry.field(
        description="Its MSS now (each phase fetched when asked); null when no venue lists "
        "the coin now or the venues' listings cannot be read."
    )
    def mss(self, info: Ctx) -> MssScoreType | None:
        ref = self.watched.ref
        if ref is None:
            return None
        return MssScoreType(mss=CoinMss(info.context, ref, self.watched.batch))


def _entry(w: watchlist.Watched) -> WatchlistEntryType:
    return WatchlistEntryType(ticker=w.entry.ticker, added_at=w.entry.added_at, watched=w)


@strawberry.type(name="WatchAddResult")
class WatchAddResultType:
    entry: WatchlistEntryType
    added: bool = strawberry.field(description="False: the coin was watched already (one row).")


@strawberry.type
class WatchlistQuery:
    @strawberry.field(
        description="The coins this API key watches, oldest first, each with its current MSS."
    )
    async def watchlist(self, info: Ctx) -> list[WatchlistEntryType]:
        return [_entry(w) for w in await watchlist.entries(info.context)]


@strawberry.type
class WatchlistMutation:
    @strawberry.mutation(
        description="Watch a coin (kept in PostgreSQL for this API key); adding it again "
        "changes nothing."
    )
    async def watch_add(self, info: Ctx, ticker: str) -> WatchAddResultType:
        watched, added = await watchlist.add(info.context, ticker)
        return WatchAddResultType(entry=_entry(watched), added=added)

    @strawberry.mutation(description="Stop watching a coin; false when it was not watched.")
    async def watch_remove(self, info: Ctx, ticker: str) -> bool:
        return await watchlist.remove(info.context, ticker)


__all__ = ["WatchlistMutation", "WatchlistQuery"]
