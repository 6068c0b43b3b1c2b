"""API keys in PostgreSQL, kept as digests: a key is shown once, when it is made.

A key reads ``pgk_<id>_<secret>``: ``id`` (12 hex digits) finds its row, ``secret`` (32
random bytes, URL-safe base64) makes it unguessable. The row keeps the SHA-256 digest of the
whole key; a fast digest is the right one here because the key is random, not a password
(no dictionary to try). A revoked key keeps its row and the time it was revoked.

    store = KeyStore(dsn)          # its own small pool, opened lazily
    made = await store.create("dashboard", "read")    # made.key: shown once
    await store.all()              # every key, oldest first
    await store.find(key_id)       # (record, digest) or None
    await store.revoke(key_id)     # True when it was live
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from providers.history.pool import SmallPool

ROLES = ("read", "write", "admin")
_KEY = re.compile(r"^pgk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def key_id(key: str) -> str | None:
    """The id part of a well-formed key; None for anything else."""
    match = _KEY.match(key)
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class KeyRecord:
    id: str
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class MadeKey:
    record: KeyRecord
    key: str  # the only time the key exists outside its owner's hands

    def __repr__(self) -> str:  # never printed by accident
        return f"MadeKey(record={self.record!r}, key=<hidden>)"


class KeyStore(SmallPool):
    """The ``api_keys`` table (migration 0002), over a pool of at most two connections."""

    def __init__(
        self, dsn: str, *, server_settings: dict[str, str] | None = None, timeout_s: float = 2.0
    ) -> None:
        super().__init__(dsn, "api_keys", server_settings=server_settings, timeout_s=timeout_s)

    async def create(self, name: str, role: str) -> MadeKey:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if not 1 <= len(name) <= 100:
            raise ValueError("a key's name has 1 to 100 characters")
        ident = secrets.token_hex(6)
        key = f"pgk_{ident}_{secrets.token_urlsafe(32)}"
        row = await self._fetchrow(
            "INSERT INTO api_keys (id, name, role, digest) VALUES ($1, $2, $3, $4)"
            " RETURNING id, name, role, created_at, revoked_at",
            ident, name, role, digest(key),
        )  # fmt: skip
        assert row is not None
        return MadeKey(_record(row), key)

    async def all(self) -> list[KeyRecord]:
        rows = await self._fetch(
            "SELECT id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at"
        )
        return [_record(r) for r in rows]

    async def find(self, ident: str) -> tuple[KeyRecord, bytes] | None:
        row = await self._fetchrow(
            "SELECT id, name, role, created_at, revoked_at, digest FROM api_keys WHERE id = $1",
            ident,
        )
        return None if row is None else (_record(row), bytes(row["digest"]))

    async def revoke(self, ident: str) -> bool:
        row = await self._fetchrow(
            "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL"
            " RETURNING id",
            ident,
        )
        return row is not None


def _record(row: Any) -> KeyRecord:
    return KeyRecord(row["id"], row["name"], row["role"], row["created_at"], row["revoked_at"])


__all__ = ["ROLES", "KeyRecord", "KeyStore", "MadeKey", "digest", "key_id"]
