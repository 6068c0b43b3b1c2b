"""``cacheStats``: the shared cache's hits and misses in this process (admins only: it shows
what other callers asked)."""

from __future__ import annotations

import strawberry

from graph.types import Ctx
from graph.types.cache import CacheStats
from resolvers.access import Role, require


@strawberry.type
class CacheQuery:
    @strawberry.field(description="Shared-cache hits and misses of this process.")
    def cache_stats(self, info: Ctx) -> CacheStats:
        require(info.context.meta.caller, Role.ADMIN, "cacheStats")
        info.context.meta.cacheable = False
        return CacheStats.from_grade(info.context.services.cache.grade())


__all__ = ["CacheQuery"]
