"""Who is calling, and what they may do: API keys, roles, anonymous access.

    Authorization: Bearer <key>   or   X-API-Key: <key>      (HTTP)
    {"type": "connection_init", "payload": {"Authorization": "Bearer <key>"}}   (WebSocket)

Roles (``resolvers.access``) nest: read, write, admin. A caller without a key gets ``PERPGRAPH_ANONYMOUS_ROLE`` (none, read, or, in
development only, admin); a mutation is never anonymous.

Keys come from PostgreSQL (``perpgraph keys create``, kept as digests) and from
``PERPGRAPH_API_KEYS`` (digests given in the settings, for deploys without a database). A
key found in the database is believed for ``PERPGRAPH_KEY_CACHE_S`` (1 s): a key revoked
on one instance is refused by every other within that time. Keys are never logged and
never part of an error, a metric or a repr.
"""

from __future__ import annotations

import hmac
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

from providers.errors import ProviderError
from providers.history.keys import KeyStore, digest, key_id
from resolvers.access import Caller, Role
from resolvers.errors import Refused


def unauthenticated(message: str) -> Refused:
    return Refused("UNAUTHENTICATED", message)


def parse_static_keys(text: str) -> dict[bytes, tuple[Role, str]]:
    """``sha256:<64 hex>:<role>[:<name>]`` entries, comma separated -> digest: (role, name)."""
    keys: dict[bytes, tuple[Role, str]] = {}
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        parts = entry.split(":")
        if (
            len(parts) not in (3, 4)
            or parts[0] != "sha256"
            or parts[2] not in ("read", "write", "admin")
        ):
            raise ValueError("PERPGRAPH_API_KEYS entries read sha256:<hex digest>:<role>[:<name>]")
        try:
            raw = bytes.fromhex(parts[1])
        except ValueError:
            raise ValueError("PERPGRAPH_API_KEYS: the digest is 64 hex digits") from None
        if len(raw) != 32:
            raise ValueError("PERPGRAPH_API_KEYS: the digest is 64 hex digits")
        keys[raw] = (Role[parts[2].upper()], parts[3] if len(parts) == 4 else "static")
    return keys


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request presents: ``Authorization: Bearer`` first, then ``X-API-Key``."""
    authorization = headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip() or None
    return headers.get("x-api-key", "").strip() or None


class Authenticator:
    """Turns a presented key (or none) into a ``Caller``; refuses unknown and revoked keys."""

    def __init__(
        self,
        *,
        anonymous: str,
        static_keys: str = "",
        store: KeyStore | None = None,
        cache_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._anonymous = Role[anonymous.upper()]
        self._static = parse_static_keys(static_keys)
        self._store = store
        self._cache_s = cache_s
        self._clock = clock
        # id -> (believed until, role or None for unknown/revoked, digest), least recent first
        self._believed: OrderedDict[str, tuple[float, Role | None, bytes]] = OrderedDict()

    @property
    def has_keys(self) -> bool:
        return bool(self._static) or self._store is not None

    def vouched_for(self, key: str) -> bool:
        """Whether ``key`` is one of the static keys, or was a valid database key when last
        checked (``caller`` still checks it). Such a key skips the bad-key lockout of its
        address: a guesser behind the same address (a NAT, an office) locks out guesses,
        not the keys that work."""
        given = digest(key)
        if any(hmac.compare_digest(known, given) for known in self._static):
            return True
        ident = key_id(key)
        believed = self._believed.get(ident) if ident is not None else None
        return (
            believed is not None
            and believed[1] is not None
            and hmac.compare_digest(believed[2], given)
        )

    async def caller(self, key: str | None, address: str) -> Caller:
        if key is None:
            if self._anonymous is Role.NONE:
                raise unauthenticated("this API needs a key: send Authorization: Bearer <key>")
            return Caller(self._anonymous, None, address)
        given = digest(key)
        for known, (role, name) in self._static.items():
            if hmac.compare_digest(known, given):
                # named by its digest, not its place in PERPGRAPH_API_KEYS: what a key owns
                # (its watchlist) stays its own when the list is reordered
                return Caller(role, f"static:{known.hex()[:16]}:{name}", address)
        ident = key_id(key)
        if ident is None or self._store is None:
            raise unauthenticated("the API key is not valid")
        found = await self._database_role(ident, given)
        if found is None:
            raise unauthenticated("the API key is not valid, or it was revoked")
        return Caller(found, ident, address)

    async def _database_role(self, ident: str, given: bytes) -> Role | None:
        assert self._store is not None
        now = self._clock()
        believed = self._believed.get(ident)
        if believed is None or believed[0] <= now:
            try:
                found = await self._store.find(ident)
            except ProviderError as exc:
                if believed is None:  # never seen: cannot say yes without the database
                    raise Refused(
                        "KEYS_UNAVAILABLE",
                        "API keys cannot be checked right now; try again shortly",
                        retry_after_s=1.0,
                    ) from exc
                # seen before: the last answer stands while PostgreSQL is away
                self._believed[ident] = (now + self._cache_s, believed[1], believed[2])
            else:
                live: Role | None = None
                stored = b""
                if found is not None and found[0].revoked_at is None:
                    live, stored = Role[found[0].role.upper()], found[1]
                self._believed[ident] = (now + self._cache_s, live, stored)
                self._believed.move_to_end(ident)  # least recently checked first out
                if len(self._believed) > 10_000:  # unknown ids cannot grow it without bound
                    self._believed.popitem(last=False)
            believed = self._believed[ident]
        _, role, stored = believed
        if role is None or not hmac.compare_digest(stored, given):
            return None
        return role


__all__ = ["Authenticator", "parse_static_keys", "presented_key", "unauthenticated"]
