"""Discovery: the futures universe, new listings, CoinGecko screens and the smart-money scan.

Costs upstream (exchange info is cached for an hour and loaded at start-up):
- the universe: one all-symbol 24 h ticker call for every TRADING perpetual (through the
  request's ``ticker_24h`` loader, so its entries are shared with ``Symbol`` fields), plus
  one all-symbol premium-index call only when funding is sorted or filtered on, or a node's
  ``fundingRate`` is asked;
- new listings: nothing beyond exchange info; their 24 h stats share the one ticker call;
- coin screens: one CoinGecko call per page (``coins/markets``) or for ``search/trending``;
- the scan: the universe's ticker call, then per candidate its top-trader position ratio, open
  interest history, taker volume and a 100-level book, all candidates concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from engine import discovery as disco
from engine.discovery import (
    FlowFactor,
    FlowInputs,
    FlowScore,
    ScanDirection,
    UniverseFilter,
    UniverseRow,
    UniverseSort,
)
from engine.domain import (
    CoinMarket,
    CoinMarkets,
    ExchangeInfo,
    ListedContract,
    PremiumIndex,
    RatioKind,
    Ticker24h,
    TrendingCoins,
)
from engine.symbols import SymbolRef
from providers.coingecko import venue as coingecko_venue
from providers.errors import ProviderError, SymbolNotServed
from resolvers import datasets, market
from resolvers.arguments import check_limit, check_stats_period
from resolvers.cache import Cached
from resolvers.context import Context
from resolvers.errors import InvalidArgument, RequestError

# the same cache entry and registry as symbol resolution
from resolvers.symbols import binance_listing, binance_registry, resolve_symbol

UNIVERSE_MAX_FIRST = 100
SCAN_MAX_CANDIDATES = 20  # per-symbol statistics cost 4 calls each: 80 calls at most
SCAN_MAX_FIRST = 20
SCAN_DEPTH = 100  # book levels per side read for walls (Binance weight 5)
COINS_ORDER = "market_cap_desc"
COINS_PER_PAGE = 250  # CoinGecko's largest page: one call screens 250 coins
COINS_MAX_PAGE = 50


# -- universe -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UniversePage:
    page: disco.Page
    tickers: dict[str, Cached[Ticker24h]]  # by venue symbol, for source / asOf / stale
    without_ticker: int  # TRADING perpetuals the 24 h answer did not include


@dataclass(frozen=True, slots=True)
class _Universe:
    rows: list[UniverseRow]  # filtered and sorted
    tickers: dict[str, Cached[Ticker24h]]
    without_ticker: int


async def _load_all(loader: Any, symbols: Sequence[str]) -> dict[str, Any]:
    """One loader batch for many symbols; a symbol the venue does not serve is left out,
    any other failure (the call itself failed) is raised."""
    results = await asyncio.gather(*(loader.load(s) for s in symbols), return_exceptions=True)
    found: dict[str, Any] = {}
    for symbol, result in zip(symbols, results, strict=True):
        if isinstance(result, SymbolNotServed):
            continue
        if isinstance(result, BaseException):
            raise result
        found[symbol] = result
    return found


async def _universe(ctx: Context, f: UniverseFilter, sort: UniverseSort) -> _Universe:
    info = await binance_listing(ctx)
    quote = f.quote.upper() if f.quote else None
    contracts = [
        c
        for c in info.value.contracts
        if c.status == "TRADING" and (quote is None or c.quote == quote)
    ]
    tickers: dict[str, Cached[Ticker24h]] = await _load_all(
        ctx.loaders.ticker_24h, [c.venue_symbol for c in contracts]
    )
    rows = [
        UniverseRow(c, tickers[c.venue_symbol].value)
        for c in contracts
        if c.venue_symbol in tickers
    ]
    if sort.needs_funding or f.needs_funding:
        premiums: dict[str, Cached[PremiumIndex]] = await _load_all(
            ctx.loaders.premium, [r.contract.venue_symbol for r in rows]
        )
        rows = [
            replace(r, funding_rate=p.value.last_funding_rate)
            if (p := premiums.get(r.contract.venue_symbol))
            else r
            for r in rows
        ]
    return _Universe(disco.select(rows, f, sort), tickers, len(contracts) - len(rows))


async def futures_universe(
    ctx: Context, f: UniverseFilter, sort: UniverseSort, first: int, after: str | None
) -> UniversePage:
    check_limit("first", first, 1, UNIVERSE_MAX_FIRST)
    try:
        after_key = None if after is None else disco.decode_cursor(after, sort)
    except disco.InvalidCursor as err:
        raise InvalidArgument("BAD_CURSOR", str(err)) from None
    u = await _universe(ctx, f, sort)
    return UniversePage(disco.paginate(u.rows, sort, first, after_key), u.tickers, u.without_ticker)


async def funding_rate(ctx: Context, venue_symbol: str) -> float | None:
    """The current funding rate (a fraction) of a Binance contract, through the request's
    all-symbol premium-index loader."""
    p: Cached[PremiumIndex] = await ctx.loaders.premium.load(venue_symbol)
    return p.value.last_funding_rate


async def ticker_of(ctx: Context, venue_symbol: str) -> Cached[Ticker24h]:
    """24 h statistics of a Binance contract from the all-symbol ticker loader."""
    t: Cached[Ticker24h] = await ctx.loaders.ticker_24h.load(venue_symbol)
    return t


# -- new listings ---------------------------------------------------------------------------


async def new_listings(
    ctx: Context, within_days: int, as_of_ms: int
) -> tuple[Cached[ExchangeInfo], list[ListedContract]]:
    check_limit("withinDays", within_days, 1, 365)
    info = await binance_listing(ctx)
    return info, disco.listed_within(info.value.contracts, as_of_ms, within_days)


# -- CoinGecko --------------------------------------------------------------------------------


async def discover_coins(
    ctx: Context,
    max_market_cap_usd: float | None,
    min_volume_usd: float | None,
    category: str | None,
    first: int,
    page: int,
) -> tuple[Cached[CoinMarkets], list[CoinMarket]]:
    """One CoinGecko page of 250 coins by market cap (page 2 = ranks 251-500...), screened."""
    check_limit("first", first, 1, COINS_PER_PAGE)
    check_limit("page", page, 1, COINS_MAX_PAGE)
    if category is not None:
        try:
            coingecko_venue.check_category(category)
        except ValueError as err:
            raise InvalidArgument("BAD_CATEGORY", str(err)) from None
    markets = await ctx.loaders.job(
        datasets.coingecko_markets(ctx.services, COINS_ORDER, COINS_PER_PAGE, page, category)
    )
    screened = disco.screen_coins(markets.value.coins, max_market_cap_usd, min_volume_usd)
    return markets, screened[:first]


async def trending(ctx: Context) -> Cached[TrendingCoins]:
    return await ctx.loaders.job(datasets.coingecko_trending(ctx.services))


async def binance_match(ctx: Context, coin_symbol: str) -> SymbolRef | None:
    """The Binance USDT perpetual of a coin matched by its symbol (``btc`` -> BTCUSDT,
    ``pepe`` -> 1000PEPEUSDT), or None. Symbols are not unique across coins: two coins
    sharing a symbol match the same contract."""
    info = await binance_listing(ctx)
    return binance_registry(info.value).find(coin_symbol)


# -- smart money scan ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanCriteria:
    candidates: int = SCAN_MAX_CANDIDATES
    min_quote_volume_usd: float | None = None
    quote: str | None = "USDT"
    tickers: tuple[str, ...] | None = None  # scan these instead of the top by volume
    period: str = "1h"
    points: int = 24
    direction: ScanDirection = ScanDirection.EITHER


@dataclass(slots=True)
class Scanned:
    label: str  # the venue symbol, or the ticker as asked
    ref: SymbolRef | None
    score: FlowScore | None = None
    error: BaseException | None = None  # the candidate itself failed (unknown ticker)
    failed: dict[FlowFactor, BaseException] = field(default_factory=dict)
    data: dict[FlowFactor, Cached[Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScanResult:
    candidates: list[Scanned]  # ranked, cut to ``first``
    scanned: int


async def _candidates(ctx: Context, c: ScanCriteria) -> list[Scanned]:
    if c.tickers is not None:
        out: list[Scanned] = []
        for text in c.tickers:
            try:
                out.append(Scanned(text, await resolve_symbol(ctx, text)))
            except (RequestError, ProviderError) as err:
                out.append(Scanned(text, None, error=err))
        return out
    top = await top_by_volume(ctx, c.candidates, c.quote, c.min_quote_volume_usd)
    return [Scanned(venue_symbol, ref) for venue_symbol, ref in top]


async def top_by_volume(
    ctx: Context, count: int, quote: str | None = "USDT", min_quote_volume_usd: float | None = None
) -> list[tuple[str, SymbolRef | None]]:
    """(venue symbol, its ref) of the ``count`` TRADING perpetuals with the largest 24 h
    quote volume (one all-symbol ticker call), largest first."""
    f = UniverseFilter(min_quote_volume_usd=min_quote_volume_usd, quote=quote)
    u = await _universe(ctx, f, UniverseSort.QUOTE_VOLUME_DESC)
    return [(r.contract.venue_symbol, disco.contract_ref(r.contract)) for r in u.rows[:count]]


async def _score(ctx: Context, item: Scanned, c: ScanCriteria) -> None:
    ref = item.ref
    if ref is None:
        return
    fetches: dict[FlowFactor, Awaitable[Cached[Any]]] = {
        FlowFactor.TOP_TRADERS: market.long_short_ratio(
            ctx, ref, RatioKind.TOP_POSITIONS, c.period, c.points
        ),
        FlowFactor.OPEN_INTEREST: market.open_interest_history(ctx, ref, c.period, c.points),
        FlowFactor.TAKER_FLOW: market.taker_volume(ctx, ref, c.period, c.points),
        FlowFactor.ORDERBOOK_WALLS: market.orderbook(ctx, ref, SCAN_DEPTH),
    }
    results = await asyncio.gather(*fetches.values(), return_exceptions=True)
    for factor, result in zip(fetches, results, strict=True):
        if isinstance(result, BaseException):
            item.failed[factor] = result
        else:
            item.data[factor] = result

    def value(factor: FlowFactor) -> Any:
        got = item.data.get(factor)
        return None if got is None else got.value

    item.score = disco.score_flow(
        FlowInputs(
            top_positions=value(FlowFactor.TOP_TRADERS),
            open_interest=value(FlowFactor.OPEN_INTEREST),
            taker=value(FlowFactor.TAKER_FLOW),
            book=value(FlowFactor.ORDERBOOK_WALLS),
        )
    )


def check_criteria(c: ScanCriteria, first: int) -> None:
    """Every argument, before any upstream call."""
    check_limit("first", first, 1, SCAN_MAX_FIRST)
    check_limit("candidates", c.candidates, 1, SCAN_MAX_CANDIDATES)
    check_limit("points", c.points, 2, 500)
    check_stats_period(c.period)
    if c.tickers is not None:
        check_limit("tickers", len(c.tickers), 1, SCAN_MAX_CANDIDATES)


async def smart_money_scan(ctx: Context, c: ScanCriteria, first: int) -> ScanResult:
    check_criteria(c, first)
    items = await _candidates(ctx, c)
    await asyncio.gather(*(_score(ctx, item, c) for item in items))
    # a stable sort: ties (e.g. nothing scored) keep the candidates' volume order
    ranked = sorted(items, key=lambda i: disco.rank_key(i.score, c.direction))
    return ScanResult(ranked[:first], len(items))


__all__ = [
    "SCAN_MAX_CANDIDATES",
    "UNIVERSE_MAX_FIRST",
    "ScanCriteria",
    "ScanResult",
    "Scanned",
    "UniversePage",
    "binance_match",
    "discover_coins",
    "funding_rate",
    "futures_universe",
    "new_listings",
    "smart_money_scan",
    "ticker_of",
    "top_by_volume",
    "trending",
]
