"""Versioned SQL migrations: ``migrations/NNNN_name.sql``, applied in order, once.

    migrate(pool or DSN)
      -> one connection; pg_advisory_lock(<perpgraph history>, hashtext(current_schema()))
         (a second process starting at the same moment waits here, then finds nothing to do)
      -> CREATE TABLE IF NOT EXISTS schema_migrations(version, name, applied_at)
      -> for each file not yet recorded: one transaction = its SQL + its schema_migrations row
      -> unlock; return the versions applied now (empty when the schema was current)

A failed migration rolls back alone (``MigrationFailed``); the ones before it stay applied.
The lock is per database and schema, so isolated test schemas do not wait for each other.
Files are never edited once released: a change is a new file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from providers.history.errors import MigrationFailed, describe, is_unavailable, unavailable

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK_CLASS = 0x70677268  # first key of the two-int advisory lock: "pgrh", perpgraph history
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK = "SELECT pg_advisory_lock($1, hashtext(coalesce(current_schema(), '')))"
_UNLOCK = "SELECT pg_advisory_unlock($1, hashtext(coalesce(current_schema(), '')))"
_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: str  # "0001"
    name: str  # "history"
    sql: str


def load_migrations(directory: Path = MIGRATIONS) -> list[Migration]:
    """The migration files of ``directory`` in version order; a misnamed file is an error."""
    found: dict[str, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise MigrationFailed(f"{path.name}: migration files are named NNNN_name.sql")
        version, name = match.groups()
        if version in found:
            raise MigrationFailed(f"two migrations have version {version}")
        found[version] = Migration(version, name, path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


async def migrate(
    target: asyncpg.Pool | str,
    *,
    directory: Path = MIGRATIONS,
    server_settings: Mapping[str, str] | None = None,
    connect_timeout_s: float = 10.0,
) -> list[str]:
    """Apply the pending migrations of ``directory``; the versions applied now, in order.

    ``target`` is the store's pool or a DSN (then one connection is opened and closed, with
    ``server_settings``, e.g. a ``search_path``). Raises ``UpstreamUnreachable`` /
    ``UpstreamTimeout`` when PostgreSQL is away and ``MigrationFailed`` when SQL fails.
    """
    migrations = load_migrations(directory)
    try:
        if isinstance(target, str):
            conn = await asyncpg.connect(
                target, server_settings=dict(server_settings or {}), timeout=connect_timeout_s
            )
            try:
                return await _apply(conn, migrations)
            finally:
                await conn.close()
        async with target.acquire(timeout=connect_timeout_s) as pooled:
            return await _apply(pooled, migrations)
    except MigrationFailed:
        raise
    except Exception as exc:
        if is_unavailable(exc):
            raise unavailable(exc, "migrate") from exc
        raise


async def _apply(conn: asyncpg.Connection, migrations: list[Migration]) -> list[str]:
    await conn.execute(_LOCK, _LOCK_CLASS)
    try:
        await conn.execute(_LEDGER)
        applied = {
            row["version"] for row in await conn.fetch("SELECT version FROM schema_migrations")
        }
        done: list[str] = []
        for migration in migrations:
            if migration.version in applied:
                continue
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                        migration.version,
                        migration.name,
                    )
            except asyncpg.PostgresError as exc:
                if is_unavailable(exc):
                    raise
                raise MigrationFailed(
                    f"migration {migration.version}_{migration.name} failed: {describe(exc)}"
                ) from exc
            done.append(migration.version)
        return done
    finally:
        # a broken session has dropped its lock with it; a pooled one is also reset on release
        if not conn.is_closed():
            try:
                await conn.execute(_UNLOCK, _LOCK_CLASS)
            except Exception as exc:  # do not hide the error that brought us here
                if not is_unavailable(exc):
                    raise


__all__ = ["MIGRATIONS", "Migration", "load_migrations", "migrate"]
