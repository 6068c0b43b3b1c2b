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

MAX_ENTRIES = 200  # coins one key may watch


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

    async def add(self, owner: str, ticker: str) -> bool:
        """Watch ``ticker``; False when it was watched already (one row, its first time
        kept). ``WatchlistFull`` past ``MAX_ENTRIES``."""
        row = await self._fetchrow(
            "WITH counted AS (SELECT count(*) AS n FROM watchlist WHERE owner = $1)"
            " INSERT INTO watchlist (owner, ticker) SELECT $1, $2 FROM counted WHERE n < $3"
            " ON CONFLICT (owner, ticker) DO NOTHING RETURNING ticker",
            owner, ticker, MAX_ENTRIES,
        )  # fmt: skip
        if row is not None:
            return True
        if await self._watched(owner, ticker):
            return False
        raise WatchlistFull(f"a key watches at most {MAX_ENTRIES} coins")

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

    async def _watched(self, owner: str, ticker: str) -> bool:
        row = await self._fetchrow(
            "SELECT 1 FROM watchlist WHERE owner = $1 AND ticker = $2", owner, ticker
        )
        return row is not None


__all__ = ["MAX_ENTRIES", "WatchEntry", "WatchlistFull", "WatchlistStore"]
