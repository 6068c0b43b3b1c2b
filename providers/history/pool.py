"""A small connection pool of its own, opened lazily after the migrations, for the stores
whose every write is direct (API keys, the watchlist): at most two connections, a bounded
wait for one, and PostgreSQL's absence as the tree's ``Upstream*`` errors
(``providers.history.errors.unavailable``) naming the table."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from providers.history.errors import is_unavailable, unavailable
from providers.history.migrate import migrate


class SmallPool:
    def __init__(
        self,
        dsn: str,
        table: str,
        *,
        server_settings: dict[str, str] | None = None,
        timeout_s: float = 2.0,
    ) -> None:
        self._dsn = dsn
        self._table = table
        self._server_settings = dict(server_settings or {})
        self._timeout_s = timeout_s
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()  # one migration and one pool, however many ask at once

    def __repr__(self) -> str:
        return f"{type(self).__name__}(<dsn hidden>)"

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def _pool_ready(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                await migrate(
                    self._dsn,
                    server_settings=self._server_settings,
                    connect_timeout_s=self._timeout_s,  # a request waits this, not 10 s
                )
                self._pool = await self._create_pool()
        return self._pool

    async def _create_pool(self) -> asyncpg.Pool:
        return await asyncpg.create_pool(
            self._dsn,
            min_size=0,
            max_size=2,
            timeout=self._timeout_s,
            command_timeout=self._timeout_s,
            server_settings=self._server_settings,
        )

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        try:
            pool = await self._pool_ready()
            async with pool.acquire(timeout=self._timeout_s) as conn:  # no unbounded queue
                return list(await conn.fetch(sql, *args))
        except Exception as exc:
            if is_unavailable(exc):
                raise unavailable(exc, self._table) from exc
            raise

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Any]:
        """One connection in a transaction, PostgreSQL's absence reported as ``_fetch``
        reports it."""
        try:
            pool = await self._pool_ready()
            async with pool.acquire(timeout=self._timeout_s) as conn, conn.transaction():
                yield conn
        except Exception as exc:
            if is_unavailable(exc):
                raise unavailable(exc, self._table) from exc
            raise

    async def _fetchrow(self, sql: str, *args: Any) -> Any:
        rows = await self._fetch(sql, *args)
        return rows[0] if rows else None


__all__ = ["SmallPool"]
