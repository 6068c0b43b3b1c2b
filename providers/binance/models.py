"""Binance USD-M futures payloads, named after the upstream fields.

Binance sends prices and quantities as JSON strings and times as ms integers; pydantic's
lax mode parses both. Optional fields that Binance (or a replay of derived data) leaves out,
or sends as ``""``, become ``None``. Nothing is filled in.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, model_validator

from engine.domain import (
    BookLevel,
    Candle,
    FundingRecord,
    ListedContract,
    LongShortPoint,
    OpenInterest,
    OpenInterestPoint,
    PremiumIndex,
    PriceQuote,
    Sourced,
    TakerVolumePoint,
    Ticker24h,
    Trade,
)
from providers.binance.venue import VENUE
from providers.payloads import OptFloat, OptInt, Payload, as_of

# -- exchangeInfo ----------------------------------------------------------------------------


class SymbolInfo(Payload):
    symbol: str
    contractType: str
    status: str
    baseAsset: str
    quoteAsset: str
    onboardDate: OptInt = None

    @property
    def is_perpetual(self) -> bool:
        return self.contractType in VENUE.perpetual_contract_types

    def to_domain(self) -> ListedContract:
        return ListedContract(
            venue_symbol=self.symbol,
            base=self.baseAsset,
            quote=self.quoteAsset,
            status=self.status,
            onboard_ms=self.onboardDate,
        )


class ExchangeInfoPayload(Payload):
    serverTime: int
    symbols: tuple[SymbolInfo, ...]


# -- tickers and premium index -----------------------------------------------------------------


class TickerPrice(Payload):
    symbol: str
    price: float
    time: OptInt = None

    def to_domain(self, received: Sourced) -> PriceQuote:
        return PriceQuote(
            symbol=self.symbol,
            price=self.price,
            meta=received.at(as_of(self.time, received.as_of_ms)),
        )


class Ticker24hr(Payload):
    symbol: str
    lastPrice: float
    priceChangePercent: OptFloat = None  # a percent: "-95.960" means -95.96 %
    highPrice: OptFloat = None
    lowPrice: OptFloat = None
    volume: OptFloat = None  # base asset
    quoteVolume: OptFloat = None
    openTime: OptInt = None
    closeTime: OptInt = None

    def to_domain(self, received: Sourced) -> Ticker24h:
        return Ticker24h(
            symbol=self.symbol,
            last_price=self.lastPrice,
            price_change_pct=self.priceChangePercent,
            high_price=self.highPrice,
            low_price=self.lowPrice,
            base_volume=self.volume,
            quote_volume=self.quoteVolume,
            open_time_ms=self.openTime,
            close_time_ms=self.closeTime,
            meta=received.at(as_of(self.closeTime, received.as_of_ms)),
        )


class PremiumIndexItem(Payload):
    symbol: str
    markPrice: float
    indexPrice: OptFloat = None
    lastFundingRate: OptFloat = None
    interestRate: OptFloat = None
    nextFundingTime: OptInt = None  # 0 for delivery contracts
    time: OptInt = None

    def to_domain(self, received: Sourced) -> PremiumIndex:
        return PremiumIndex(
            symbol=self.symbol,
            mark_price=self.markPrice,
            index_price=self.indexPrice,
            last_funding_rate=self.lastFundingRate,
            next_funding_time_ms=self.nextFundingTime or None,
            interest_rate=self.interestRate,
            meta=received.at(as_of(self.time, received.as_of_ms)),
        )


# -- funding and open interest -------------------------------------------------------------------


class FundingRateItem(Payload):
    symbol: str
    fundingRate: float
    fundingTime: int
    markPrice: OptFloat = None  # absent in older answers, sometimes ""

    def to_domain(self) -> FundingRecord:
        # Settlement times carry a few ms of jitter (…:00:00.001); the nearest second
        # is the settlement the venue means.
        return FundingRecord(
            symbol=self.symbol,
            funding_time_ms=round(self.fundingTime / 1000) * 1000,
            funding_rate=self.fundingRate,
            mark_price=self.markPrice,
        )


class OpenInterestPayload(Payload):
    symbol: str
    openInterest: float  # base asset
    time: OptInt = None

    def to_domain(self, received: Sourced) -> OpenInterest:
        return OpenInterest(
            symbol=self.symbol,
            base_qty=self.openInterest,
            meta=received.at(as_of(self.time, received.as_of_ms)),
        )


class OpenInterestHistItem(Payload):
    sumOpenInterest: float  # base asset
    sumOpenInterestValue: OptFloat = None  # USD(T)
    timestamp: int  # docs show a string, the live API an int: both parse

    def to_domain(self) -> OpenInterestPoint:
        return OpenInterestPoint(
            ts_ms=self.timestamp,
            base_qty=self.sumOpenInterest,
            value_usd=self.sumOpenInterestValue,
        )


class LongShortRatioItem(Payload):
    longShortRatio: float
    longAccount: OptFloat = None  # fraction of accounts (or positions) long
    shortAccount: OptFloat = None
    timestamp: int

    def to_domain(self) -> LongShortPoint:
        return LongShortPoint(
            ts_ms=self.timestamp,
            long_short_ratio=self.longShortRatio,
            long_fraction=self.longAccount,
            short_fraction=self.shortAccount,
        )


class TakerVolumeItem(Payload):
    buySellRatio: float
    buyVol: float  # base asset
    sellVol: float
    timestamp: int

    def to_domain(self) -> TakerVolumePoint:
        return TakerVolumePoint(
            ts_ms=self.timestamp,
            buy_volume=self.buyVol,
            sell_volume=self.sellVol,
            buy_sell_ratio=self.buySellRatio,
        )


# -- klines, depth, trades -------------------------------------------------------------------

_KLINE_FIELDS = (
    "openTime",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "closeTime",
    "quoteAssetVolume",
    "numberOfTrades",
    "takerBuyBaseAssetVolume",
    "takerBuyQuoteAssetVolume",
    "ignore",
)


class Kline(Payload):
    """One kline array. The venue sends 12 elements; a replay of derived OHLCV data sends
    the first 6 (or 7, with closeTime). Elements not sent are ``None``."""

    openTime: int
    open: float
    high: float
    low: float
    close: float
    volume: float  # base asset
    closeTime: OptInt = None
    quoteAssetVolume: OptFloat = None
    numberOfTrades: OptInt = None
    takerBuyBaseAssetVolume: OptFloat = None

    @model_validator(mode="before")
    @classmethod
    def _from_array(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            if not 6 <= len(value) <= len(_KLINE_FIELDS):
                raise ValueError(f"a kline has 6 to 12 elements, got {len(value)}")
            return dict(zip(_KLINE_FIELDS, value, strict=False))
        return value

    def to_domain(self) -> Candle:
        return Candle(
            open_time_ms=self.openTime,
            open=self.open,
            high=self.high,
            low=self.low,
            close=self.close,
            volume=self.volume,
            close_time_ms=self.closeTime,
            quote_volume=self.quoteAssetVolume,
            trade_count=self.numberOfTrades,
            taker_buy_base_volume=self.takerBuyBaseAssetVolume,
        )


class DepthLevel(Payload):
    price: float
    qty: float

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError(f"a depth level is [price, qty], got {len(value)} elements")
            return {"price": value[0], "qty": value[1]}
        return value

    def to_domain(self) -> BookLevel:
        return BookLevel(price=self.price, quantity=self.qty)


class DepthPayload(Payload):
    lastUpdateId: int
    E: OptInt = None  # message output time
    T: OptInt = None  # transaction time
    bids: tuple[DepthLevel, ...]
    asks: tuple[DepthLevel, ...]

    @property
    def venue_ms(self) -> int | None:
        return self.E or self.T


class AggTrade(Payload):
    a: int  # aggregate trade id
    p: float
    q: float  # base asset
    T: int
    m: bool  # buyer was the maker

    def to_domain(self) -> Trade:
        return Trade(
            trade_id=self.a, price=self.p, quantity=self.q, ts_ms=self.T, buyer_is_maker=self.m
        )


TICKER_PRICES = TypeAdapter(tuple[TickerPrice, ...])
TICKERS_24HR = TypeAdapter(tuple[Ticker24hr, ...])
PREMIUM_INDEX = TypeAdapter(tuple[PremiumIndexItem, ...])
FUNDING_RATES = TypeAdapter(tuple[FundingRateItem, ...])
OPEN_INTEREST_HIST = TypeAdapter(tuple[OpenInterestHistItem, ...])
LONG_SHORT_RATIOS = TypeAdapter(tuple[LongShortRatioItem, ...])
TAKER_VOLUMES = TypeAdapter(tuple[TakerVolumeItem, ...])
KLINES = TypeAdapter(tuple[Kline, ...])
AGG_TRADES = TypeAdapter(tuple[AggTrade, ...])

__all__ = [
    "AGG_TRADES",
    "FUNDING_RATES",
    "KLINES",
    "LONG_SHORT_RATIOS",
    "OPEN_INTEREST_HIST",
    "PREMIUM_INDEX",
    "TAKER_VOLUMES",
    "TICKERS_24HR",
    "TICKER_PRICES",
    "AggTrade",
    "DepthLevel",
    "DepthPayload",
    "ExchangeInfoPayload",
    "FundingRateItem",
    "Kline",
    "LongShortRatioItem",
    "OpenInterestHistItem",
    "OpenInterestPayload",
    "PremiumIndexItem",
    "SymbolInfo",
    "TakerVolumeItem",
    "Ticker24hr",
    "TickerPrice",
]
