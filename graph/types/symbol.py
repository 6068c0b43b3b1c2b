"""The ``Symbol`` type: one futures market whose fields fetch lazily what they need.

A field not asked costs nothing upstream; fields that need the same dataset share one
fetch through the request's loaders (``price`` and ``priceQuote`` one price call; ``markPrice``,
``indexPrice`` and ``funding`` one premium-index call).
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from engine.domain import FundingSnapshot, PremiumIndex, PriceQuote, RatioKind, Ticker24h
from engine.signal.model import Mode
from engine.symbols import SymbolRef
from graph.types import Ctx
from graph.types.indicators import IndicatorsType
from graph.types.liquidation import LiquidationStatsType, StatsWindow
from graph.types.market import (
    CandlesType,
    FundingHistoryType,
    LongShortRatioType,
    MarketData,
    OpenInterestHistoryType,
    OrderBookType,
    RecentTradesType,
    TakerVolumeType,
    ms_to_dt,
    origin,
)
from graph.types.mss import MssScoreType
from graph.types.scalping import ScalpingSnapshotType, scalping_snapshot
from graph.types.signal import SignalType
from graph.types.smc import SmcType
from resolvers import analysis, liquidations, market, signals
from resolvers.cache import Cached
from resolvers.mss import CoinMss


@strawberry.type
class VenueSymbols:
    binance: str | None = strawberry.field(description="None when Binance does not list it.")
    okx: str
    hyperliquid: str = strawberry.field(description="Hyperliquid's naming (kPEPE for x1000).")


@strawberry.type(name="PriceQuote")
class PriceQuoteType(MarketData):
    price: float

    @classmethod
    def from_cached(cls, c: Cached[PriceQuote]) -> PriceQuoteType | None:
        return cls(price=c.value.price, **origin(c))


@strawberry.type(name="Stats24h")
class Stats24hType(MarketData):
    last_price: float
    change_pct: float | None
    high: float | None
    low: float | None
    base_volume: float | None
    quote_volume: float | None
    open_time: datetime | None
    close_time: datetime | None

    @classmethod
    def from_cached(cls, c: Cached[Ticker24h]) -> Stats24hType:
        t = c.value
        return cls(
            last_price=t.last_price,
            change_pct=t.price_change_pct,
            high=t.high_price,
            low=t.low_price,
            base_volume=t.base_volume,
            quote_volume=t.quote_volume,
            open_time=ms_to_dt(t.open_time_ms),
            close_time=ms_to_dt(t.close_time_ms),
            **origin(c),
        )


@strawberry.type(name="PremiumIndex")
class PremiumIndexType(MarketData):
    mark_price: float
    index_price: float | None
    funding_rate: float | None
    next_funding_time: datetime | None
    interest_rate: float | None

    @classmethod
    def from_cached(cls, c: Cached[PremiumIndex]) -> PremiumIndexType:
        p = c.value
        return cls(
            mark_price=p.mark_price,
            index_price=p.index_price,
            funding_rate=p.last_funding_rate,
            next_funding_time=ms_to_dt(p.next_funding_time_ms),
            interest_rate=p.interest_rate,
            **origin(c),
        )


@strawberry.type(name="Funding")
class FundingType(MarketData):
    rate: float = strawberry.field(description="Current funding rate as a fraction.")
    next_funding_time: datetime | None
    ref: strawberry.Private[SymbolRef]

    @strawberry.field(
        description="Hours between the two latest settlements (from funding history; "
        "costs one funding-history call when asked)."
    )
    async def interval_hours(self, info: Ctx) -> float | None:
        history = await market.funding_history(info.context, self.ref, 3)
        times = [r.funding_time_ms for r in history.value.records]
        if len(times) < 2:
            return None
        return round((times[-1] - times[-2]) / 3_600_000, 2)

    @classmethod
    def from_cached(cls, c: Cached[FundingSnapshot], ref: SymbolRef) -> FundingType:
        f = c.value
        return cls(
            rate=f.funding_rate,
            next_funding_time=ms_to_dt(f.next_funding_time_ms),
            ref=ref,
            **origin(c),
        )


@strawberry.type(name="OpenInterest")
class OpenInterestType(MarketData):
    base_qty: float = strawberry.field(description="Open interest in base-asset units.")
    ref: strawberry.Private[SymbolRef]

    @strawberry.field(description="base_qty x Binance mark price (one premium-index call).")
    async def usd(self, info: Ctx) -> float | None:
        mark = await market.premium(info.context, self.ref)
        return self.base_qty * mark.value.mark_price


@strawberry.type(name="Symbol")
class SymbolType:
    ref: strawberry.Private[SymbolRef]

    @strawberry.field(description="Canonical ticker, the asset itself (BTC, PEPE).")
    def ticker(self) -> str:
        return self.ref.ticker

    @strawberry.field(description="Base asset (same as ticker).")
    def base(self) -> str:
        return self.ref.ticker

    @strawberry.field
    def quote(self) -> str:
        return self.ref.quote

    @strawberry.field(description="Asset units per unit of Binance's contract (1 or 1000...).")
    def multiplier(self) -> int:
        return self.ref.multiplier

    @strawberry.field
    def venue_symbols(self) -> VenueSymbols:
        v = self.ref.venues
        return VenueSymbols(binance=v.binance, okx=v.okx, hyperliquid=v.hyperliquid)

    @strawberry.field(description="When the primary venue listed the contract.")
    def listed_at(self) -> datetime | None:
        return ms_to_dt(self.ref.listed_ms)

    # -- price (one all-symbol price call for any number of symbols) ---------------------

    @strawberry.field(description="Last traded price.")
    async def price(self, info: Ctx) -> float | None:
        return (await market.price(info.context, self.ref)).value.price

    @strawberry.field(description="Last price with its source and time.")
    async def price_quote(self, info: Ctx) -> PriceQuoteType | None:
        return PriceQuoteType.from_cached(await market.price(info.context, self.ref))

    # -- premium index ----------------------------------------------------------------

    @strawberry.field
    async def mark_price(self, info: Ctx) -> float | None:
        return (await market.premium(info.context, self.ref)).value.mark_price

    @strawberry.field
    async def index_price(self, info: Ctx) -> float | None:
        return (await market.premium(info.context, self.ref)).value.index_price

    @strawberry.field
    async def premium_index(self, info: Ctx) -> PremiumIndexType | None:
        return PremiumIndexType.from_cached(await market.premium(info.context, self.ref))

    @strawberry.field
    async def funding(self, info: Ctx) -> FundingType | None:
        return FundingType.from_cached(await market.funding(info.context, self.ref), self.ref)

    # -- 24 h statistics ----------------------------------------------------------------

    async def _stats(self, info: Ctx) -> Ticker24h:
        return (await market.ticker_24h(info.context, self.ref)).value

    @strawberry.field(description="Price change over 24 h, percent.")
    async def change_24h_pct(self, info: Ctx) -> float | None:
        return (await self._stats(info)).price_change_pct

    @strawberry.field(description="Quote-currency volume over 24 h.")
    async def quote_volume_24h(self, info: Ctx) -> float | None:
        return (await self._stats(info)).quote_volume

    @strawberry.field
    async def high_24h(self, info: Ctx) -> float | None:
        return (await self._stats(info)).high_price

    @strawberry.field
    async def low_24h(self, info: Ctx) -> float | None:
        return (await self._stats(info)).low_price

    @strawberry.field
    async def stats_24h(self, info: Ctx) -> Stats24hType | None:
        return Stats24hType.from_cached(await market.ticker_24h(info.context, self.ref))

    # -- history and depth ---------------------------------------------------------------

    @strawberry.field
    async def funding_history(self, info: Ctx, limit: int = 100) -> FundingHistoryType | None:
        return FundingHistoryType.from_cached(
            await market.funding_history(info.context, self.ref, limit)
        )

    @strawberry.field
    async def open_interest(self, info: Ctx) -> OpenInterestType | None:
        c = await market.open_interest(info.context, self.ref)
        return OpenInterestType(base_qty=c.value.base_qty, ref=self.ref, **origin(c))

    @strawberry.field
    async def open_interest_history(
        self, info: Ctx, period: str = "1h", limit: int = 30
    ) -> OpenInterestHistoryType | None:
        return OpenInterestHistoryType.from_cached(
            await market.open_interest_history(info.context, self.ref, period, limit)
        )

    @strawberry.field
    async def long_short_ratio(
        self,
        info: Ctx,
        kind: RatioKind = RatioKind.GLOBAL_ACCOUNTS,
        period: str = "1h",
        limit: int = 30,
    ) -> LongShortRatioType | None:
        c = await market.long_short_ratio(info.context, self.ref, kind, period, limit)
        return LongShortRatioType.from_cached(c)

    @strawberry.field
    async def taker_volume(
        self, info: Ctx, period: str = "1h", limit: int = 30
    ) -> TakerVolumeType | None:
        return TakerVolumeType.from_cached(
            await market.taker_volume(info.context, self.ref, period, limit)
        )

    @strawberry.field
    async def candles(
        self, info: Ctx, interval: str = "1h", limit: int = 100
    ) -> CandlesType | None:
        return CandlesType.from_cached(
            await market.candles(info.context, self.ref, interval, limit)
        )

    @strawberry.field(
        description="RSI, EMA, SMA, ATR, MACD, Bollinger, ADX (TA-Lib), VWAP, volume delta and "
        "trend at the newest candle, all from one fetch of `limit` candles, shared with any "
        "`candles` or `smc` of the same interval whose limit is also 101..499 (or <= 100)."
    )
    async def indicators(
        self, info: Ctx, interval: str = "1h", limit: int = 499
    ) -> IndicatorsType | None:
        return IndicatorsType.from_set(
            await analysis.indicators(info.context, self.ref, interval, limit)
        )

    @strawberry.field(
        description="Smart Money Concepts (swings, BOS/CHOCH, fair value gaps, equal highs/lows, "
        "order blocks) of `interval`, or of each of `intervals` (up to 5, fetched concurrently; "
        "`interval` is then ignored) with a combined bias."
    )
    async def smc(
        self,
        info: Ctx,
        interval: str = "1h",
        intervals: list[str] | None = None,
        swing_length: int = 3,
        limit: int = 499,
    ) -> SmcType | None:
        chosen = intervals if intervals is not None else [interval]
        return SmcType.from_result(
            await analysis.smc(info.context, self.ref, chosen, swing_length, limit)
        )

    @strawberry.field
    async def orderbook(self, info: Ctx, depth: int = 20) -> OrderBookType | None:
        return OrderBookType.from_cached(await market.orderbook(info.context, self.ref, depth))

    @strawberry.field(
        description="LONG/SHORT/NEUTRAL from the 8-factor score; shares every fetch with the "
        "other fields of this symbol."
    )
    async def signal(self, info: Ctx, mode: Mode = Mode.AGGRESSIVE) -> SignalType | None:
        computed = await signals.signal(info.context, self.ref, mode)
        return SignalType.from_computed(computed)

    @strawberry.field(description="Rolling liquidation statistics from the ingested streams.")
    async def liquidations(
        self, info: Ctx, window: StatsWindow = StatsWindow.H24
    ) -> LiquidationStatsType | None:
        info.context.meta.cacheable = False
        stats, source = await liquidations.stats(info.context, self.ref, window.value)
        return LiquidationStatsType.from_window(self.ref.ticker, window, stats, source)

    @strawberry.field
    async def recent_trades(self, info: Ctx, limit: int = 50) -> RecentTradesType | None:
        return RecentTradesType.from_cached(
            await market.recent_trades(info.context, self.ref, limit)
        )

    @strawberry.field(
        description="Real-time layers for scalping (price, orderbook, rsi, volumeDelta, "
        "liquidations, funding, ratios, whales, fearGreed, trend, largeTrades, social) and a "
        "summary of the layers selected; each layer fetches only its own data."
    )
    def scalping(self, info: Ctx, interval: str = "1m") -> ScalpingSnapshotType | None:
        return scalping_snapshot(info, self.ref, interval)

    @strawberry.field(
        description="The emerging-coin score (MSS); each phase fetches only its own data."
    )
    def mss(self, info: Ctx) -> MssScoreType:
        return MssScoreType(mss=CoinMss(info.context, self.ref))


def symbol_type(ref: SymbolRef) -> SymbolType:
    return SymbolType(ref=ref)


__all__ = ["SymbolType", "symbol_type"]
