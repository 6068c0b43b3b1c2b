"""The MSS: ``mss`` (one coin, lazy phases), ``mssScan`` (ranked candidates) and
``mssInfo`` (the criteria tables); costs upstream are in ``resolvers.mss``."""

from __future__ import annotations

import strawberry

from graph.types import Ctx
from graph.types.mss import MssInfoType, MssScanType, MssScoreType, mss_info
from resolvers import mss, symbols
from resolvers.mss import CoinMss


@strawberry.type
class MssQuery:
    @strawberry.field(
        description="A coin's emerging-coin score (MSS): three phases, each fetched only when "
        "asked. Criteria without data are left out and reported, never scored as 0."
    )
    async def mss(self, info: Ctx, ticker: str) -> MssScoreType | None:
        ref = await symbols.resolve_symbol(info.context, ticker)
        return MssScoreType(mss=CoinMss(info.context, ref))

    @strawberry.field(
        description="Coins ranked by MSS: the given tickers (1-50), else the top candidates "
        "(1-50) by 24 h quote volume, 8 scored at a time; minScore (0-100) leaves out lower "
        "scores, first (1-50) cuts the list. CoinGecko and LunarCrush answer all candidates "
        "in one call each; Binance's statistics cost 4 calls per candidate."
    )
    async def mss_scan(
        self,
        info: Ctx,
        min_score: float = 0.0,
        candidates: int = 20,
        tickers: list[str] | None = None,
        first: int = 10,
    ) -> MssScanType | None:
        got = await mss.mss_scan(info.context, min_score, candidates, tickers, first)
        return MssScanType.from_scan(got, min_score)

    @strawberry.field(description="The MSS's criteria tables, pass marks and tiers.")
    def mss_info(self, info: Ctx) -> MssInfoType:
        limits = info.context.services.limits
        return mss_info(limits.mss_pass_marks, limits.min_mss_quality_pct)


__all__ = ["MssQuery"]
