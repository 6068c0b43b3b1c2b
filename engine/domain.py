"""Domain objects shared by every layer.

All are frozen dataclasses with units in their names. Every market object carries a
``Sourced``: the ``provider`` that answered (``"binance"``), the proxy it came ``via`` when
one says so (``"perpgraph-replay"``), and ``as_of_ms`` (the venue's own timestamp of the
data in Unix milliseconds, or the receive time when the venue gives none).
Values that a venue did not send are ``None``; nothing here is ever filled in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True, slots=True)
class Sourced:
    """Where a value came from and when the venue says it was true."""

    provider: str  # the venue or service that answered: "binance", "okx", "coinglass"...
    as_of_ms: int
    via: str | None = None  # the proxy that relayed the answer, when one says so (a replay)

    @property
    def source(self) -> str:
        """The provider, or ``"provider via <proxy>"``: what the API shows as ``source``."""
        return self.provider if self.via is None else f"{self.provider} via {self.via}"

    def at(self, as_of_ms: int) -> Sourced:
        """The same origin, stamped with another time (the venue's own, say)."""
        return Sourced(self.provider, as_of_ms, self.via)


@dataclass(frozen=True, slots=True)
class PriceQuote:
    symbol: str  # venue symbol, e.g. "BTCUSDT"
    price: float
    meta: Sourced


@dataclass(frozen=True, slots=True)
class Ticker24h:
    """Rolling 24 h statistics. Prices in quote currency, volumes as named."""

    symbol: str
    last_price: float
    price_change_pct: float | None
    high_price: float | None
    low_price: float | None
    base_volume: float | None
    quote_volume: float | None
    open_time_ms: int | None
    close_time_ms: int | None
    meta: Sourced


@dataclass(frozen=True, slots=True)
class PremiumIndex:
    """Mark/index price and the current funding rate (a fraction, 0.0001 = 0.01 %)."""

    symbol: str
    mark_price: float
    index_price: float | None
    last_funding_rate: float | None
    next_funding_time_ms: int | None
    interest_rate: float | None
    meta: Sourced


@dataclass(frozen=True, slots=True)
class FundingRecord:
    """One settled funding: rate as a fraction, time in ms."""

    symbol: str
    funding_time_ms: int
    funding_rate: float
    mark_price: float | None


@dataclass(frozen=True, slots=True)
class FundingHistory:
    symbol: str
    records: tuple[FundingRecord, ...]  # oldest first
    meta: Sourced


@dataclass(frozen=True, slots=True)
class FundingSnapshot:
    """The current funding period: rate as a fraction, next settlement in ms."""

    symbol: str
    funding_rate: float
    next_funding_time_ms: int | None
    meta: Sourced


@dataclass(frozen=True, slots=True)
class OpenInterest:
    """Open interest as a quantity of the base asset (e.g. BTC)."""

    symbol: str
    base_qty: float
    meta: Sourced


@dataclass(frozen=True, slots=True)
class OpenInterestPoint:
    ts_ms: int
    base_qty: float
    value_usd: float | None


@dataclass(frozen=True, slots=True)
class OpenInterestHistory:
    symbol: str
    period: str
    points: tuple[OpenInterestPoint, ...]  # oldest first
    meta: Sourced


class RatioKind(Enum):
    """Which long/short ratio: all accounts, top traders by account, top traders by position."""

    GLOBAL_ACCOUNTS = "global_accounts"
    TOP_ACCOUNTS = "top_accounts"
    TOP_POSITIONS = "top_positions"


@dataclass(frozen=True, slots=True)
class LongShortPoint:
    ts_ms: int
    long_short_ratio: float
    long_fraction: float | None
    short_fraction: float | None


@dataclass(frozen=True, slots=True)
class LongShortRatio:
    symbol: str
    kind: RatioKind
    period: str
    points: tuple[LongShortPoint, ...]  # oldest first
    meta: Sourced


@dataclass(frozen=True, slots=True)
class TakerVolumePoint:
    """Taker buy and sell volume in base units over one period."""

    ts_ms: int
    buy_volume: float
    sell_volume: float
    buy_sell_ratio: float


@dataclass(frozen=True, slots=True)
class TakerVolume:
    symbol: str
    period: str
    points: tuple[TakerVolumePoint, ...]  # oldest first
    meta: Sourced


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV bar. ``volume`` is in base units; fields a source lacks are None."""

    open_time_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    close_time_ms: int | None
    quote_volume: float | None
    trade_count: int | None
    taker_buy_base_volume: float | None


@dataclass(frozen=True, slots=True)
class Candles:
    symbol: str
    interval: str
    candles: tuple[Candle, ...]  # oldest first
    meta: Sourced


@dataclass(frozen=True, slots=True)
class BookLevel:
    price: float
    quantity: float


@dataclass(frozen=True, slots=True)
class OrderBook:
    symbol: str
    bids: tuple[BookLevel, ...]  # best (highest) first
    asks: tuple[BookLevel, ...]  # best (lowest) first
    meta: Sourced


@dataclass(frozen=True, slots=True)
class Trade:
    """An aggregated trade; ``buyer_is_maker`` True means the taker sold."""

    trade_id: int
    price: float
    quantity: float
    ts_ms: int
    buyer_is_maker: bool


@dataclass(frozen=True, slots=True)
class RecentTrades:
    symbol: str
    trades: tuple[Trade, ...]  # oldest first
    meta: Sourced


@dataclass(frozen=True, slots=True)
class FearGreedPoint:
    """alternative.me Fear & Greed: value 0 (extreme fear) to 100 (extreme greed)."""

    value: int
    classification: str
    ts_ms: int


@dataclass(frozen=True, slots=True)
class FearGreed:
    points: tuple[FearGreedPoint, ...]  # newest first, as the service sends them
    meta: Sourced


@dataclass(frozen=True, slots=True)
class ListedContract:
    """One perpetual contract as a venue lists it in its exchange info."""

    venue_symbol: str  # "BTCUSDT", "BTC-USDT-SWAP", "kPEPE"
    base: str  # venue's base asset, e.g. "BTC", "1000PEPE"
    quote: str  # "USDT"
    status: str  # venue status, e.g. "TRADING"
    onboard_ms: int | None
    contract_size: float | None = None  # base units per contract (OKX ctVal); None: not fixed


class PositionSide(Enum):
    """The side of the position that was liquidated (a SELL order liquidates a LONG)."""

    LONG = "LONG"
    SHORT = "SHORT"


def cents(usd: float) -> float:
    """A USD amount to the cent, as the API shows it: a product of two floats is not shown
    as 58.080000000000005, and a filter on an amount compares what is shown."""
    return round(usd, 2)


@dataclass(frozen=True, slots=True)
class Liquidation:
    """One forced liquidation. ``quantity`` in base units; ``notional_usd`` = price x qty."""

    symbol: str  # venue symbol
    venue: str
    side: PositionSide
    price: float
    quantity: float
    notional_usd: float
    ts_ms: int


@dataclass(frozen=True, slots=True)
class Liquidations:
    symbol: str
    events: tuple[Liquidation, ...]  # oldest first
    meta: Sourced
    # when the list was cut short (paging limit), the time from which it is complete
    complete_from_ms: int | None = None


@dataclass(frozen=True, slots=True)
class LiquidationBucket:
    """Liquidated USD by side over one aggregation interval starting at ``ts_ms``."""

    ts_ms: int
    long_usd: float
    short_usd: float


@dataclass(frozen=True, slots=True)
class LiquidationHistory:
    symbol: str
    interval: str
    buckets: tuple[LiquidationBucket, ...]  # oldest first
    meta: Sourced


@dataclass(frozen=True, slots=True)
class SocialSentiment:
    """Share of positive social posts, percent 0..100, and how many posts it rests on."""

    topic: str
    sentiment_pct: float
    posts: int | None
    meta: Sourced


@dataclass(frozen=True, slots=True)
class SocialCoin:
    """One coin's social metrics from LunarCrush (its coins list or coin endpoint).

    ``galaxy_score`` 0..100 (LunarCrush's health of social and market activity);
    ``alt_rank`` 1 = best against every other coin; ``social_volume_24h`` posts in the
    last 24 h; ``sentiment_pct`` positive posts as a percent of positive and negative ones;
    ``*_previous`` as LunarCrush sends them. Values it did not send are None.
    """

    symbol: str  # as LunarCrush writes it, e.g. "BTC"
    name: str | None
    topic: str | None  # LunarCrush's topic for the coin, e.g. "btc bitcoin"
    galaxy_score: float | None
    galaxy_score_previous: float | None
    alt_rank: int | None
    alt_rank_previous: int | None
    social_volume_24h: float | None
    interactions_24h: float | None
    social_dominance_pct: float | None
    sentiment_pct: float | None
    categories: tuple[str, ...]
    meta: Sourced


@dataclass(frozen=True, slots=True)
class ExchangeInfo:
    contracts: tuple[ListedContract, ...]
    meta: Sourced


def series_as_of(newest_ms: int | None, received_ms: int) -> int:
    """A series is as of its newest row's time, never later than when it arrived."""
    return received_ms if newest_ms is None else min(newest_ms, received_ms)


def newest_candle_ms(candles: Sequence[Candle]) -> int | None:
    """The time the newest candle covers up to: its close (open when unknown)."""
    if not candles:
        return None
    last = candles[-1]
    return last.close_time_ms if last.close_time_ms is not None else last.open_time_ms


# -- perpetual DEX market state and accounts (Hyperliquid) ---------------------------------


@dataclass(frozen=True, slots=True)
class PerpMarketContext:
    """One perpetual's live market state as a venue reports it for all its markets at once
    (Hyperliquid ``metaAndAssetCtxs``). Prices in the quote currency (USD for Hyperliquid's
    USDC perps); ``funding_rate`` is the current period's rate as a fraction (Hyperliquid
    funds every hour); open interest and base volume in coins, notional volume in USD."""

    coin: str  # venue name, e.g. "BTC", "kPEPE"
    mark_price: float
    oracle_price: float | None
    mid_price: float | None  # None when the book is empty
    prev_day_price: float | None
    funding_rate: float | None
    premium: float | None
    open_interest_base: float | None
    day_notional_volume_usd: float | None
    day_base_volume: float | None
    max_leverage: int | None
    is_delisted: bool


@dataclass(frozen=True, slots=True)
class PerpMarketContexts:
    markets: tuple[PerpMarketContext, ...]  # in the venue's universe order
    meta: Sourced


@dataclass(frozen=True, slots=True)
class PerpPosition:
    """One open perpetual position of an account. ``size_base`` is signed (negative =
    short), in coins; values in USD; ``leverage`` as the venue set it (cross or isolated)."""

    coin: str
    size_base: float
    entry_price: float | None
    position_value_usd: float
    unrealized_pnl_usd: float
    return_on_equity: float | None  # a fraction of the margin used
    leverage: float | None
    leverage_type: str | None  # "cross" or "isolated"
    liquidation_price: float | None  # None: no liquidation price (well collateralised)
    margin_used_usd: float | None


@dataclass(frozen=True, slots=True)
class PerpAccount:
    """A perpetuals account's open positions and margin summary (USD)."""

    user: str  # the account's address, as asked
    positions: tuple[PerpPosition, ...]  # in the venue's order
    account_value_usd: float | None
    total_notional_usd: float | None
    total_margin_used_usd: float | None
    withdrawable_usd: float | None
    meta: Sourced


# -- market aggregators (CoinGecko) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CoinMarket:
    """One coin's market snapshot from an aggregator (CoinGecko), in USD. Supplies are in
    coins; percentages are percent (-0.63 means -0.63 %). Values the aggregator does not
    have are None."""

    coin_id: str  # the aggregator's id, e.g. "bitcoin"
    symbol: str  # as the aggregator writes it, e.g. "btc"
    name: str
    market_cap_rank: int | None
    price_usd: float | None
    market_cap_usd: float | None
    fully_diluted_valuation_usd: float | None
    volume_24h_usd: float | None
    high_24h_usd: float | None
    low_24h_usd: float | None
    price_change_1h_pct: float | None
    price_change_24h_pct: float | None
    market_cap_change_24h_pct: float | None
    circulating_supply: float | None
    total_supply: float | None
    max_supply: float | None
    last_updated_ms: int | None
    meta: Sourced  # as of ``last_updated_ms`` (never later than receipt)


@dataclass(frozen=True, slots=True)
class CoinMarkets:
    """One page of an aggregator's coin ranking, in the order asked for."""

    coins: tuple[CoinMarket, ...]
    order: str
    page: int
    per_page: int
    category: str | None
    meta: Sourced


@dataclass(frozen=True, slots=True)
class TrendingCoin:
    """A coin on an aggregator's trending list. ``position`` 0 is the most trending."""

    coin_id: str
    symbol: str
    name: str
    position: int
    market_cap_rank: int | None
    price_usd: float | None
    price_btc: float | None
    price_change_24h_pct: float | None
    market_cap_usd: float | None
    volume_24h_usd: float | None


@dataclass(frozen=True, slots=True)
class TrendingCoins:
    coins: tuple[TrendingCoin, ...]  # most trending first
    meta: Sourced
