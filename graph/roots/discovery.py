"""Discovery: ``futuresUniverse``, ``newListings``, ``discoverCoins``, ``trending`` and
``smartMoneyScan`` (costs upstream: ``resolvers.discovery``)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

import strawberry

from engine import discovery as disco
from graph.types import Ctx
from graph.types.coins import CoinDiscoveryType, TrendingType
from graph.types.discovery import (
    NewListingsType,
    UniverseConnectionType,
    UniverseFilterInput,
)
from graph.types.smart_money import SmartMoneyCriteria, SmartMoneyScan
from resolvers import discovery
from resolvers.arguments import check_moment


@strawberry.type
class DiscoveryQuery:
    @strawberry.field(
        description="Every TRADING Binance USD-M perpetual from one all-symbol 24 h ticker "
        "call, filtered, sorted and paged (first 1-100). Cursors are opaque keyset positions "
        "(sort value and symbol): the next page holds the markets after that position in the "
        "current data, so one snapshot returns each market once; when the data refreshes "
        "between pages a market whose value crossed the position may be skipped or repeated."
    )
    async def futures_universe(
        self,
        info: Ctx,
        filter: UniverseFilterInput | None = None,
        sort: disco.UniverseSort = disco.UniverseSort.QUOTE_VOLUME_DESC,
        first: int = 50,
        after: str | None = None,
    ) -> UniverseConnectionType | None:
        wanted = filter.to_engine() if filter else disco.UniverseFilter()
        got = await discovery.futures_universe(info.context, wanted, sort, first, after)
        return UniverseConnectionType.from_page(got)

    @strawberry.field(
        description="Binance perpetuals listed within withinDays (1-365) before asOf, newest first."
    )
    async def new_listings(
        self,
        info: Ctx,
        within_days: int = 30,
        as_of: Annotated[
            datetime | None,
            strawberry.argument(description="Reference time; now when omitted (no timezone: UTC)."),
        ] = None,
    ) -> NewListingsType | None:
        if as_of is None:
            info.context.meta.cacheable = False  # the window moves with the clock
            as_of_ms = int(time.time() * 1000)
        else:
            moment = check_moment("asOf", as_of, naive_is_utc=True)
            as_of_ms = int(moment.timestamp() * 1000)
        listing, found = await discovery.new_listings(info.context, within_days, as_of_ms)
        return NewListingsType.build(listing, found, within_days, as_of_ms)

    @strawberry.field(
        description="One CoinGecko page of coins by market cap (250, largest first), screened "
        "by market cap and volume, with their Binance perpetual when listed. Small caps are "
        "on later pages: `smallestMarketCapScanned` says how far this page reached."
    )
    async def discover_coins(
        self,
        info: Ctx,
        max_market_cap_usd: float | None = None,
        min_volume_usd: float | None = None,
        category: Annotated[
            str | None, strawberry.argument(description="CoinGecko category id, e.g. layer-1.")
        ] = None,
        first: int = 50,
        page: Annotated[
            int,
            strawberry.argument(description="CoinGecko page of 250 coins by market cap (1-50)."),
        ] = 1,
    ) -> CoinDiscoveryType | None:
        markets, coins = await discovery.discover_coins(
            info.context, max_market_cap_usd, min_volume_usd, category, first, page
        )
        return CoinDiscoveryType.build(markets, coins, page, category)

    @strawberry.field(description="CoinGecko's most searched coins (24 h).")
    async def trending(self, info: Ctx) -> TrendingType | None:
        return TrendingType.from_cached(await discovery.trending(info.context))

    @strawberry.field(
        description="Perpetuals ranked by an accumulation / distribution score from top "
        "traders' positions, open interest, taker flow and book walls; missing factors are "
        "reported, never filled in."
    )
    async def smart_money_scan(
        self, info: Ctx, criteria: SmartMoneyCriteria | None = None, first: int = 10
    ) -> SmartMoneyScan | None:
        wanted = (criteria or SmartMoneyCriteria()).to_resolver()
        result = await discovery.smart_money_scan(info.context, wanted, first)
        return SmartMoneyScan.from_result(wanted, result)


__all__ = ["DiscoveryQuery"]
