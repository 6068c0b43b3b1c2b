"""``fearGreed``: the alternative.me Fear & Greed index."""

from __future__ import annotations

import strawberry

from graph.types import Ctx
from graph.types.market import FearGreedType
from resolvers import market


@strawberry.type
class MarketQuery:
    @strawberry.field(description="alternative.me Fear & Greed index, newest first.")
    async def fear_greed(self, info: Ctx, limit: int = 1) -> FearGreedType | None:
        return FearGreedType.from_cached(await market.fear_greed(info.context, limit))


__all__ = ["MarketQuery"]
