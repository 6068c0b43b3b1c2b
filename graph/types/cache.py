"""The shared cache's own statistics (``cacheStats``)."""

from __future__ import annotations

from typing import Any

import strawberry


@strawberry.type
class DatasetCacheStats:
    dataset: str
    hits: int
    misses: int
    stale: int = strawberry.field(description="Expired values served because upstream failed.")
    hit_ratio: float


@strawberry.type
class CacheStats:
    datasets: list[DatasetCacheStats]
    hits: int
    misses: int
    hit_ratio: float
    grade: str | None = strawberry.field(description="A+ to F from the hit ratio; null before use.")

    @classmethod
    def from_grade(cls, g: dict[str, Any]) -> CacheStats:
        """From ``SharedCache.grade()``."""
        rows = [
            DatasetCacheStats(dataset=n, hits=h, misses=m, stale=s, hit_ratio=round(r, 4))
            for n, h, m, s, r in g["datasets"]
        ]
        return cls(
            datasets=rows,
            hits=g["hits"],
            misses=g["misses"],
            hit_ratio=round(g["ratio"], 4),
            grade=grade(g["ratio"], g["hits"] + g["misses"]),
        )


def grade(ratio: float, lookups: int) -> str | None:
    if lookups == 0:
        return None
    for floor, letter in ((0.95, "A+"), (0.9, "A"), (0.8, "B"), (0.7, "C"), (0.5, "D")):
        if ratio >= floor:
            return letter
    return "F"


__all__ = ["CacheStats", "DatasetCacheStats", "grade"]
