"""Who a request runs for: the caller's role and identity (``graph.server.auth`` decides
them; the limits and the fields that need a role read them from ``RequestMeta.caller``).

Roles nest: ``READ`` runs queries and subscriptions, ``WRITE`` also mutations, ``ADMIN``
also what shows the server's insides (the debug header, ``cacheStats``, ``/metrics``, and in
production GraphiQL and introspection).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from resolvers.errors import Refused


class Role(IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2
    ADMIN = 3


@dataclass(frozen=True, slots=True)
class Caller:
    role: Role
    key: str | None  # the key's id (never the key); None for an anonymous caller
    address: str

    @property
    def identity(self) -> str:
        """Whose rate limits and budgets apply: the key's, else the client address's."""
        return f"key:{self.key}" if self.key else f"ip:{self.address}"

    @property
    def anonymous(self) -> bool:
        return self.key is None


def require(caller: Caller | None, role: Role, what: str) -> None:
    """Refuse ``what`` unless ``caller`` holds ``role`` (None: the server's own work, which
    may do anything): UNAUTHENTICATED without a key, FORBIDDEN with a key of a lesser role."""
    if caller is None or caller.role >= role:
        return
    needs = f"{what} needs an API key with the {role.name.lower()} role"
    if caller.anonymous:
        raise Refused("UNAUTHENTICATED", f"{needs}: send Authorization: Bearer <key>")
    raise Refused("FORBIDDEN", f"{needs}; this key has {caller.role.name.lower()}")


__all__ = ["Caller", "Role", "require"]
