"""``verdict``: whether to act on a symbol's signal, how big, and where the levels go."""

from __future__ import annotations

import strawberry

from engine.signal.model import Mode
from graph.types import Ctx
from graph.types.verdict import VerdictType
from resolvers import symbols, verdicts


@strawberry.type
class VerdictQuery:
    @strawberry.field(
        description="Whether to act on a symbol's signal, how big, and where the stop and "
        "targets go: the AI judge's verdict, or the documented rules' when the AI is not "
        "configured or fails (the verdict says which and why)."
    )
    async def verdict(
        self,
        info: Ctx,
        ticker: str,
        mode: Mode = Mode.AGGRESSIVE,
        account_risk_pct: float | None = None,
    ) -> VerdictType | None:
        ref = await symbols.resolve_symbol(info.context, ticker)
        judged = await verdicts.verdict(info.context, ref, mode, account_risk_pct)
        return VerdictType.from_judged(judged)


__all__ = ["VerdictQuery"]
