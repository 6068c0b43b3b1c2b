"""Discovery types: the futures universe and new listings (``engine.discovery`` defines
every number)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from engine import discovery as disco
from engine.domain import ExchangeInfo, ListedContract
from graph.types import Ctx
from graph.types.market import MarketData, ms_to_dt, origin
from graph.types.symbol import Stats24hType, SymbolType, symbol_type
from resolvers import discovery
from resolvers.cache import Cached

# -- futures universe ----------------------------------------------------------------------


@strawberry.input(
    name="UniverseFilter",
    description="Inclusive bounds; a market without the bounded value is left out. Funding "
    "bounds cost the all-symbol premium-index call.",
)
class UniverseFilterInput:
    min_quote_volume_usd: float | None = strawberry.field(
        default=None, description="24 h quote volume of USD-stablecoin quoted contracts."
    )
    min_change_pct: float | None = None
    max_change_pct: float | None = None
    quote: str | None = strawberry.field(default=None, description="e.g. USDT or USDC.")
    min_funding_rate: float | None = strawberry.field(default=None, description="A fraction.")
    max_funding_rate: float | None = strawberry.field(default=None, description="A fraction.")

    def to_engine(self) -> disco.UniverseFilter:
        return disco.UniverseFilter(
            min_quote_volume_usd=self.min_quote_volume_usd,
            min_change_pct=self.min_change_pct,
            max_change_pct=self.max_change_pct,
            quote=self.quote,
            min_funding_rate=self.min_funding_rate,
            max_funding_rate=self.max_funding_rate,
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


def _ref_of(contract: ListedContract) -> SymbolType | None:
    ref = disco.contract_ref(contract)
    return None if ref is None else symbol_type(ref)


@strawberry.type(name="UniverseNode")
class UniverseNodeType(MarketData):
    row: strawberry.Private[disco.UniverseRow]
    ticker: str = strawberry.field(description="Canonical ticker (PEPE for 1000PEPEUSDT).")
    venue_symbol: str
    quote: str
    last_price: float
    change_pct: float | None = strawberry.field(description="24 h change, percent.")
    quote_volume: float | None = strawberry.field(description="24 h, quote currency.")
    base_volume: float | None
    high: float | None
    low: float | None

    @strawberry.field(description="The market itself, for any Symbol field.")
    def symbol(self) -> SymbolType | None:
        return _ref_of(self.row.contract)

    @strawberry.field(
        description="Current funding rate (fraction); one all-symbol premium-index call "
        "for the whole page."
    )
    async def funding_rate(self, info: Ctx) -> float | None:
        if self.row.funding_rate is not None:
            return self.row.funding_rate
        return await discovery.funding_rate(info.context, self.row.contract.venue_symbol)

    @classmethod
    def build(cls, row: disco.UniverseRow, cached: Cached[Any]) -> UniverseNodeType:
        t = row.ticker
        ref = disco.contract_ref(row.contract)
        return cls(
            row=row,
            ticker=ref.ticker if ref else row.contract.base,
            venue_symbol=row.contract.venue_symbol,
            quote=row.contract.quote,
            last_price=t.last_price,
            change_pct=t.price_change_pct,
            quote_volume=t.quote_volume,
            base_volume=t.base_volume,
            high=t.high_price,
            low=t.low_price,
            **origin(cached),
        )


@strawberry.type(name="UniverseEdge")
class UniverseEdgeType:
    cursor: str
    node: UniverseNodeType


@strawberry.type(name="UniverseConnection")
class UniverseConnectionType:
    edges: list[UniverseEdgeType]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Markets passing the filter.")
    without_ticker: int = strawberry.field(
        description="TRADING perpetuals the venue's 24 h answer left out (not listed here)."
    )

    @classmethod
    def from_page(cls, got: discovery.UniversePage) -> UniverseConnectionType:
        p = got.page
        edges = [
            UniverseEdgeType(
                cursor=cursor,
                node=UniverseNodeType.build(row, got.tickers[row.contract.venue_symbol]),
            )
            for row, cursor in zip(p.rows, p.cursors, strict=True)
        ]
        return cls(
            edges=edges,
            page_info=PageInfo(
                has_next_page=p.has_next,
                has_previous_page=p.has_previous,
                start_cursor=p.cursors[0] if p.cursors else None,
                end_cursor=p.cursors[-1] if p.cursors else None,
            ),
            total_count=p.total,
            without_ticker=got.without_ticker,
        )


# -- new listings -----------------------------------------------------------------------------


@strawberry.type(name="NewListing")
class NewListingType:
    contract: strawberry.Private[ListedContract]
    venue_symbol: str
    base: str = strawberry.field(description="The venue's base asset (1000PEPE).")
    quote: str
    status: str = strawberry.field(description="Venue status: TRADING, PENDING_TRADING...")
    listed_at: datetime
    age_days: float = strawberry.field(description="Days from listing to the reference time.")

    @strawberry.field(description="The market, when it is TRADING.")
    def symbol(self) -> SymbolType | None:
        return _ref_of(self.contract)

    @strawberry.field(
        description="24 h statistics from the all-symbol ticker call (one for the list); "
        "null with NO_DATA when the venue's answer has none."
    )
    async def stats_24h(self, info: Ctx) -> Stats24hType | None:
        return Stats24hType.from_cached(await discovery.ticker_of(info.context, self.venue_symbol))


@strawberry.type(name="NewListings")
class NewListingsType(MarketData):
    reference_time: datetime = strawberry.field(description="The window ends here (asOf).")
    within_days: int
    listings: list[NewListingType] = strawberry.field(description="Newest first.")

    @classmethod
    def build(
        cls,
        listing: Cached[ExchangeInfo],
        found: list[ListedContract],
        within_days: int,
        as_of_ms: int,
    ) -> NewListingsType:
        return cls(
            reference_time=ms_to_dt(as_of_ms),  # type: ignore[arg-type]
            within_days=within_days,
            listings=[
                NewListingType(
                    contract=c,
                    venue_symbol=c.venue_symbol,
                    base=c.base,
                    quote=c.quote,
                    status=c.status,
                    listed_at=ms_to_dt(c.onboard_ms),  # type: ignore[arg-type]
                    age_days=disco.age_days(c.onboard_ms or 0, as_of_ms),
                )
                for c in found
            ],
            **origin(listing),
        )


__all__ = [
    "NewListingsType",
    "PageInfo",
    "UniverseConnectionType",
    "UniverseFilterInput",
]
