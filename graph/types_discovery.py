"""Discovery types and the Query fields that return them (``schema.py`` mounts the fields).

``futuresUniverse`` pages over every TRADING Binance perpetual from one all-symbol 24 h ticker
call; ``newListings`` reads listing dates from exchange info; ``discoverCoins`` and
``trending`` read CoinGecko; ``smartMoneyScan`` scores accumulation / distribution (see
``engine.discovery`` for every definition).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from engine import discovery as disco
from engine.domain import CoinMarket, ListedContract, TrendingCoin
from engine.symbols import SymbolRef
from graph.errors import describe
from graph.types_market import MarketData, ms_to_dt, origin
from graph.types_symbol import Stats24hType, SymbolType, symbol_type
from resolvers import discovery
from resolvers.cache import Cached
from resolvers.context import Context

Ctx = Info[Context, None]

# -- futures universe ----------------------------------------------------------------------


@strawberry.enum(description="Universe order; rows lacking the sorted value come last.")
class UniverseSort(Enum):
    QUOTE_VOLUME_DESC = "QUOTE_VOLUME_DESC"
    GAINERS = "GAINERS"
    LOSERS = "LOSERS"
    FUNDING_HIGH = "FUNDING_HIGH"
    FUNDING_LOW = "FUNDING_LOW"

    def to_engine(self) -> disco.UniverseSort:
        return disco.UniverseSort(self.value)


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


UNIVERSE_DOC = (
    "Every TRADING Binance USD-M perpetual from one all-symbol 24 h ticker call, filtered, "
    "sorted and paged (first 1-100). Cursors are opaque keyset positions (sort value and "
    "symbol): the next page holds the markets after that position in the current data, so "
    "one snapshot returns each market once; when the data refreshes between pages a market "
    "whose value crossed the position may be skipped or repeated."
)


async def futures_universe(
    info: Ctx,
    filter: UniverseFilterInput | None = None,
    sort: UniverseSort = UniverseSort.QUOTE_VOLUME_DESC,
    first: int = 50,
    after: str | None = None,
) -> UniverseConnectionType | None:
    wanted = filter.to_engine() if filter else disco.UniverseFilter()
    got = await discovery.futures_universe(info.context, wanted, sort.to_engine(), first, after)
    p = got.page
    edges = [
        UniverseEdgeType(
            cursor=cursor, node=UniverseNodeType.build(row, got.tickers[row.contract.venue_symbol])
        )
        for row, cursor in zip(p.rows, p.cursors, strict=True)
    ]
    return UniverseConnectionType(
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


async def new_listings(
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
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
        as_of_ms = int(moment.timestamp() * 1000)
    listing, found = await discovery.new_listings(info.context, within_days, as_of_ms)
    return NewListingsType(
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


# -- CoinGecko ----------------------------------------------------------------------------------


@strawberry.interface(
    description="A coin as CoinGecko names it, with its Binance USDT perpetual when Binance "
    "lists one (matched by symbol, which coins may share)."
)
class ListedOnFutures:
    symbol: str = strawberry.field(description="CoinGecko's symbol, e.g. 'btc'.")

    @strawberry.field(description="Binance's contract, e.g. BTCUSDT; null when not listed.")
    async def futures_ticker(self, info: Ctx) -> str | None:
        ref = await discovery.binance_match(info.context, self.symbol)
        return None if ref is None else ref.venues.binance

    @strawberry.field(description="The Binance market, for any Symbol field.")
    async def futures(self, info: Ctx) -> SymbolType | None:
        ref = await discovery.binance_match(info.context, self.symbol)
        return None if ref is None else symbol_type(ref)


@strawberry.type(name="DiscoveredCoin")
class DiscoveredCoinType(ListedOnFutures):
    coin_id: str
    name: str
    market_cap_rank: int | None
    price_usd: float | None
    market_cap_usd: float | None
    fully_diluted_valuation_usd: float | None
    volume_24h_usd: float | None
    volume_to_market_cap: float | None = strawberry.field(description="24 h turnover.")
    high_24h_usd: float | None
    low_24h_usd: float | None
    price_change_1h_pct: float | None
    price_change_24h_pct: float | None
    market_cap_change_24h_pct: float | None
    circulating_supply: float | None
    total_supply: float | None
    max_supply: float | None
    last_updated: datetime | None

    @classmethod
    def from_domain(cls, c: CoinMarket) -> DiscoveredCoinType:
        return cls(
            coin_id=c.coin_id,
            symbol=c.symbol,
            name=c.name,
            market_cap_rank=c.market_cap_rank,
            price_usd=c.price_usd,
            market_cap_usd=c.market_cap_usd,
            fully_diluted_valuation_usd=c.fully_diluted_valuation_usd,
            volume_24h_usd=c.volume_24h_usd,
            volume_to_market_cap=disco.volume_to_market_cap(c),
            high_24h_usd=c.high_24h_usd,
            low_24h_usd=c.low_24h_usd,
            price_change_1h_pct=c.price_change_1h_pct,
            price_change_24h_pct=c.price_change_24h_pct,
            market_cap_change_24h_pct=c.market_cap_change_24h_pct,
            circulating_supply=c.circulating_supply,
            total_supply=c.total_supply,
            max_supply=c.max_supply,
            last_updated=ms_to_dt(c.last_updated_ms),
        )


@strawberry.type(name="CoinDiscovery")
class CoinDiscoveryType(MarketData):
    page: int
    category: str | None
    scanned: int = strawberry.field(description="Coins on the CoinGecko page screened.")
    smallest_market_cap_scanned_usd: float | None = strawberry.field(
        description="The smallest market cap on the page screened: coins under a "
        "maxMarketCapUsd below it are on later pages (`page`)."
    )
    coins: list[DiscoveredCoinType] = strawberry.field(description="By market cap, largest first.")


async def discover_coins(
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
    return CoinDiscoveryType(
        page=page,
        category=category,
        scanned=len(markets.value.coins),
        smallest_market_cap_scanned_usd=min(
            (c.market_cap_usd for c in markets.value.coins if c.market_cap_usd is not None),
            default=None,
        ),
        coins=[DiscoveredCoinType.from_domain(c) for c in coins],
        **origin(markets),
    )


@strawberry.type(name="TrendingCoin")
class TrendingCoinType(ListedOnFutures):
    coin_id: str
    name: str
    position: int = strawberry.field(description="0 = most searched.")
    market_cap_rank: int | None
    price_usd: float | None
    price_btc: float | None
    price_change_24h_pct: float | None
    market_cap_usd: float | None
    volume_24h_usd: float | None

    @classmethod
    def from_domain(cls, c: TrendingCoin) -> TrendingCoinType:
        return cls(
            coin_id=c.coin_id,
            symbol=c.symbol,
            name=c.name,
            position=c.position,
            market_cap_rank=c.market_cap_rank,
            price_usd=c.price_usd,
            price_btc=c.price_btc,
            price_change_24h_pct=c.price_change_24h_pct,
            market_cap_usd=c.market_cap_usd,
            volume_24h_usd=c.volume_24h_usd,
        )


@strawberry.type(name="Trending")
class TrendingType(MarketData):
    coins: list[TrendingCoinType] = strawberry.field(description="Most searched first.")


async def trending(info: Ctx) -> TrendingType | None:
    got = await discovery.trending(info.context)
    coins = [TrendingCoinType.from_domain(c) for c in got.value.coins]
    return TrendingType(coins=coins, **origin(got))


# -- smart money scan ---------------------------------------------------------------------------


@strawberry.enum(description="Which end of the score the scan ranks first.")
class SmartMoneyDirection(Enum):
    ACCUMULATION = "ACCUMULATION"
    DISTRIBUTION = "DISTRIBUTION"
    EITHER = "EITHER"


@strawberry.enum(
    description="From the score: at or above 25 ACCUMULATION, at or below -25 DISTRIBUTION; "
    "NEUTRAL between, and whenever less than 50 % of the factor weight is present."
)
class SmartMoneyBias(Enum):
    ACCUMULATION = "ACCUMULATION"
    DISTRIBUTION = "DISTRIBUTION"
    NEUTRAL = "NEUTRAL"


@strawberry.input
class SmartMoneyCriteria:
    candidates: int = strawberry.field(
        default=discovery.SCAN_MAX_CANDIDATES,
        description="How many perpetuals by 24 h quote volume to scan (1-20).",
    )
    min_quote_volume_usd: float | None = None
    quote: str | None = "USDT"
    tickers: list[str] | None = strawberry.field(
        default=None, description="Scan these (1-20) instead of the top by volume."
    )
    period: str = strawberry.field(default="1h", description="Statistics period.")
    points: int = strawberry.field(default=24, description="Periods in the window (2-500).")
    direction: SmartMoneyDirection = SmartMoneyDirection.EITHER

    def to_resolver(self) -> discovery.ScanCriteria:
        return discovery.ScanCriteria(
            candidates=self.candidates,
            min_quote_volume_usd=self.min_quote_volume_usd,
            quote=self.quote,
            tickers=None if self.tickers is None else tuple(self.tickers),
            period=self.period,
            points=self.points,
            direction=disco.ScanDirection(self.direction.value),
        )


@strawberry.type
class SmartMoneyFactor:
    name: str = strawberry.field(description="TOP_TRADERS, OPEN_INTEREST, TAKER_FLOW...")
    weight: int = strawberry.field(description="Out of 100.")
    present: bool
    value: float | None = strawberry.field(description="-1..1; + = accumulation.")
    contribution: float | None = strawberry.field(description="weight x value.")
    detail: str = strawberry.field(description="The reading, or why it is missing.")
    code: str | None = strawberry.field(description="Error code when its data failed.")
    source: str | None
    as_of: datetime | None


@strawberry.type
class SmartMoneyCandidate:
    rank: int
    ticker: str = strawberry.field(description="Canonical ticker; the text asked if unknown.")
    venue_symbol: str | None = strawberry.field(description="The Binance contract scanned.")
    bias: SmartMoneyBias
    score: float | None = strawberry.field(description="-100..100 over the present factors.")
    weighted_score: float | None = strawberry.field(
        description="-100..100 with missing factors as 0 (ranks the scan)."
    )
    coverage_pct: float = strawberry.field(description="Weight of the factors present.")
    missing_factors: list[str]
    factors: list[SmartMoneyFactor]
    error_code: str | None = strawberry.field(description="The candidate itself failed.")
    error_message: str | None
    ref: strawberry.Private[SymbolRef | None]

    @strawberry.field
    def symbol(self) -> SymbolType | None:
        return None if self.ref is None else symbol_type(self.ref)


@strawberry.type
class SmartMoneyScan:
    direction: SmartMoneyDirection
    period: str
    points: int
    scanned: int
    candidates: list[SmartMoneyCandidate]


def _factor(item: discovery.Scanned, read: disco.FactorRead) -> SmartMoneyFactor:
    failed = item.failed.get(read.factor)
    code, detail = None, read.detail
    if failed is not None and isinstance(failed, Exception):
        detail, code = describe(failed)
    got = item.data.get(read.factor)
    meta = origin(got) if got is not None else {"source": None, "as_of": None}
    return SmartMoneyFactor(
        name=read.factor.value,
        weight=read.weight,
        present=read.value is not None,
        value=read.value,
        contribution=None if read.value is None else read.weight * read.value,
        detail=detail,
        code=code,
        source=meta["source"],
        as_of=meta["as_of"],
    )


def _candidate(rank: int, item: discovery.Scanned) -> SmartMoneyCandidate:
    s = item.score
    factors = [_factor(item, r) for r in s.factors] if s else []
    message, code = describe(item.error) if isinstance(item.error, Exception) else (None, None)
    return SmartMoneyCandidate(
        rank=rank,
        ticker=item.ref.ticker if item.ref else item.label,
        venue_symbol=item.ref.venues.binance if item.ref else None,
        bias=SmartMoneyBias(s.bias.value) if s else SmartMoneyBias.NEUTRAL,
        score=s.score if s else None,
        weighted_score=s.weighted_score if s and s.score is not None else None,
        coverage_pct=s.coverage_pct if s else 0.0,
        missing_factors=[f.name for f in factors if not f.present],
        factors=factors,
        error_code=code,
        error_message=message,
        ref=item.ref,
    )


async def smart_money_scan(
    info: Ctx, criteria: SmartMoneyCriteria | None = None, first: int = 10
) -> SmartMoneyScan | None:
    wanted = (criteria or SmartMoneyCriteria()).to_resolver()
    result = await discovery.smart_money_scan(info.context, wanted, first)
    return SmartMoneyScan(
        direction=SmartMoneyDirection(wanted.direction.value),
        period=wanted.period,
        points=wanted.points,
        scanned=result.scanned,
        candidates=[_candidate(i + 1, c) for i, c in enumerate(result.candidates)],
    )


__all__ = [
    "UNIVERSE_DOC",
    "discover_coins",
    "futures_universe",
    "new_listings",
    "smart_money_scan",
    "trending",
]
