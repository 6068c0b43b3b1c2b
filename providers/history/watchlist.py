"""The MSS watchlist in PostgreSQL (migration 0003): the coins each API key watches.

store = WatchlistStore(dsn)
await store.add(owner, "BTC")      # True when it was not watched yet; a second add: False
await store.remove(owner, "BTC")   # True when it was watched
await store.entries(owner)         # oldest first
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from providers.history.pool import SmallPool

MAX_ENTRIES = (
    50  # coins one key may watch: a whole list with its MSS stays within one request's cost
)


@dataclass(frozen=True, slots=True)
class WatchEntry:
    ticker: str
    added_at: datetime


class WatchlistFull(ValueError):
    """The key watches ``MAX_ENTRIES`` coins already."""


class WatchlistStore(SmallPool):
    def __init__(
        self, dsn: str, *, server_settings: dict[str, str] | None = None, timeout_s: float = 2.0
    ) -> None:
        super().__init__(dsn, "watchlist", server_settings=server_settings, timeout_s=timeout_s)

    async def add(self, owner: str, ticker: str) -> tuple[WatchEntry, bool]:
        """Watch ``ticker``: (its entry, whether it is new). A coin watched already keeps its
        one row and its first time. ``WatchlistFull`` past ``MAX_ENTRIES``. One transaction
        under a lock per owner, so adds racing at the limit cannot pass it."""
        async with self._transaction() as conn:
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext('watchlist'), hashtext($1))", owner
            )
            row = await conn.fetchrow(
                "SELECT ticker, added_at FROM watchlist WHERE owner = $1 AND ticker = $2",
                owner, ticker,
            )  # fmt: skip
            if row is not None:
                return WatchEntry(row["ticker"], row["added_at"]), False
            count = await conn.fetchval("SELECT count(*) FROM watchlist WHERE owner = $1", owner)
            if count >= MAX_ENTRIES:
                raise WatchlistFull(f"a key watches at most {MAX_ENTRIES} coins")
            row = await conn.fetchrow(
                "INSERT INTO watchlist (owner, ticker) VALUES ($1, $2) RETURNING ticker, added_at",
                owner, ticker,
            )  # fmt: skip
            return WatchEntry(row["ticker"], row["added_at"]), True

    async def remove(self, owner: str, ticker: str) -> bool:
        row = await self._fetchrow(
            "DELETE FROM watchlist WHERE owner = $1 AND ticker = $2 RETURNING ticker",
            owner, ticker,
        )  # fmt: skip
        return row is not None

    async def entries(self, owner: str) -> list[WatchEntry]:
        rows = await self._fetch(
            "SELECT ticker, added_at FROM watchlist WHERE owner = $1 ORDER BY added_at, ticker",
            owner,
        )
        return [WatchEntry(r["ticker"], r["added_at"]) for r in rows]


__all__ = ["MAX_ENTRIES", "WatchEntry", "WatchlistFull", "WatchlistStore"]
