"""CoinGecko screens: coins by market cap and the most searched, each with its Binance
perpetual when Binance lists one."""

from __future__ import annotations

from datetime import datetime

import strawberry

from engine import discovery as disco
from engine.domain import CoinMarket, CoinMarkets, TrendingCoin, TrendingCoins
from graph.types import Ctx
from graph.types.market import MarketData, ms_to_dt, origin
from graph.types.symbol import SymbolType, symbol_type
from resolvers import discovery
from resolvers.cache import Cached


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

    @classmethod
    def build(
        cls, markets: Cached[CoinMarkets], coins: list[CoinMarket], page: int, category: str | None
    ) -> CoinDiscoveryType:
        return cls(
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

    @classmethod
    def from_cached(cls, got: Cached[TrendingCoins]) -> TrendingType:
        return cls(coins=[TrendingCoinType.from_domain(c) for c in got.value.coins], **origin(got))


__all__ = ["CoinDiscoveryType", "DiscoveredCoinType", "TrendingCoinType", "TrendingType"]
