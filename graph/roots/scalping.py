"""``scalping``: one symbol's real-time layers."""

from __future__ import annotations

import strawberry

from graph.types import Ctx
from graph.types.scalping import ScalpingSnapshotType, scalping_snapshot
from resolvers import symbols


@strawberry.type
class ScalpingQuery:
    @strawberry.field(
        description="Real-time layers for scalping one symbol; each layer fetches only its own "
        "data, and summary reads only the layers selected beside it."
    )
    async def scalping(
        self, info: Ctx, ticker: str, interval: str = "1m"
    ) -> ScalpingSnapshotType | None:
        ref = await symbols.resolve_symbol(info.context, ticker)
        return scalping_snapshot(info, ref, interval)


__all__ = ["ScalpingQuery"]
