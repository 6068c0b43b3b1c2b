"""Every upstream dataset in one table: its cache statistics name, cache key, TTL and fetch.

A ``Job`` is one non-batchable dataset (a request's loaders fetch it once however many
fields ask); a ``Batch`` is an all-symbol dataset that answers any number of symbols with
one call (``resolvers.loaders`` batches it). Keys are ``provider:kind:params``; the TTL is
the setting named beside each entry (``PERPGRAPH_TTL_*_S``). Resolvers pick which entry to
load (venue fallback, checks); this table says only what each one is.

Venue facts (how many candles one call gives, how liquidation pages are read) live in the
venue packages; the entries here pass the resolvers' arguments through.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from engine.domain import (
    Candles,
    CoinMarkets,
    ExchangeInfo,
    FearGreed,
    FundingHistory,
    FundingSnapshot,
    LiquidationHistory,
    Liquidations,
    LongShortRatio,
    OpenInterest,
    OpenInterestHistory,
    OrderBook,
    PerpAccount,
    PremiumIndex,
    PriceQuote,
    RatioKind,
    RecentTrades,
    SocialCoin,
    SocialSentiment,
    TakerVolume,
    Ticker24h,
    TrendingCoins,
)
from engine.intervals import INTERVAL_MS
from providers.coinglass import CoinglassClient
from providers.lunarcrush import LunarCrushClient
from providers.okx import venue as okx_venue
from resolvers.services import Services

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Job(Generic[T]):
    """One non-batchable upstream dataset: statistics name, cache key, TTL and fetch."""

    dataset: str
    key: str
    ttl_s: float
    fetch: Callable[[], Awaitable[T]]


@dataclass(frozen=True, slots=True)
class Batch(Generic[T]):
    """An all-symbol dataset: ``fetch(None)`` answers every symbol, ``fetch(s)`` one."""

    provider: str
    dataset: str
    ttl_s: float
    fetch: Callable[[str | None], Awaitable[Sequence[T]]]


def key(provider: str, kind: str, *params: object) -> str:
    return ":".join([provider, kind, *map(str, params)])


# -- Binance USD-M futures: all-symbol answers -------------------------------------------------


def prices(s: Services) -> Batch[PriceQuote]:  # ttl_price_s
    return Batch("binance", "price", s.ttls.price, s.binance.ticker_prices)


def tickers_24h(s: Services) -> Batch[Ticker24h]:  # ttl_ticker_24h_s
    return Batch("binance", "ticker_24h", s.ttls.ticker_24h, s.binance.tickers_24h)


def premium_indexes(s: Services) -> Batch[PremiumIndex]:  # ttl_premium_index_s
    return Batch("binance", "premium_index", s.ttls.premium_index, s.binance.premium_index)


# -- Binance USD-M futures: one symbol -----------------------------------------------------------


def binance_exchange_info(s: Services) -> Job[ExchangeInfo]:  # ttl_exchange_info_s
    return Job(
        "exchange_info", key("binance", "exchange_info"), s.ttls.exchange_info,
        s.binance.exchange_info,
    )  # fmt: skip


def binance_open_interest(s: Services, symbol: str) -> Job[OpenInterest]:  # ttl_open_interest_s
    return Job(
        "open_interest", key("binance", "open_interest", symbol), s.ttls.open_interest,
        lambda: s.binance.open_interest(symbol),
    )  # fmt: skip


def binance_funding_history(s: Services, symbol: str, limit: int) -> Job[FundingHistory]:
    return Job(  # ttl_funding_history_s
        "funding_history", key("binance", "funding_history", symbol, limit),
        s.ttls.funding_history, lambda: s.binance.funding_history(symbol, limit),
    )  # fmt: skip


def binance_open_interest_history(
    s: Services, symbol: str, period: str, limit: int
) -> Job[OpenInterestHistory]:  # ttl_open_interest_history_s
    return Job(
        "open_interest_history", key("binance", "open_interest_history", symbol, period, limit),
        s.ttls.open_interest_history,
        lambda: s.binance.open_interest_history(symbol, period, limit),
    )  # fmt: skip


def binance_ratios(
    s: Services, symbol: str, kind: RatioKind, period: str, limit: int
) -> Job[LongShortRatio]:  # ttl_ratios_s
    return Job(
        "ratios", key("binance", "ratios", symbol, kind.value, period, limit), s.ttls.ratios,
        lambda: s.binance.long_short_ratio(symbol, kind, period, limit),
    )  # fmt: skip


def binance_taker_volume(s: Services, symbol: str, period: str, limit: int) -> Job[TakerVolume]:
    return Job(  # ttl_taker_volume_s
        "taker_volume", key("binance", "taker_volume", symbol, period, limit),
        s.ttls.taker_volume, lambda: s.binance.taker_volume(symbol, period, limit),
    )  # fmt: skip


def binance_klines(s: Services, symbol: str, interval: str, limit: int) -> Job[Candles]:
    return Job(  # ttl_klines_*: the interval over a divisor, clamped
        "klines", key("binance", "klines", symbol, interval, limit),
        s.ttls.klines(INTERVAL_MS[interval]), lambda: s.binance.klines(symbol, interval, limit),
    )  # fmt: skip


def binance_orderbook(s: Services, symbol: str, depth: int) -> Job[OrderBook]:  # ttl_orderbook_s
    return Job(
        "orderbook", key("binance", "orderbook", symbol, depth), s.ttls.orderbook,
        lambda: s.binance.depth(symbol, depth),
    )  # fmt: skip


def binance_trades(s: Services, symbol: str, limit: int) -> Job[RecentTrades]:  # ttl_trades_s
    return Job(
        "trades", key("binance", "trades", symbol, limit), s.ttls.trades,
        lambda: s.binance.agg_trades(symbol, limit),
    )  # fmt: skip


# -- OKX public swaps (the fallback venue) ---------------------------------------------------------


def okx_instruments(s: Services) -> Job[ExchangeInfo]:  # ttl_exchange_info_s
    return Job("exchange_info", key("okx", "instruments"), s.ttls.exchange_info, s.okx.instruments)


def okx_ticker(s: Services, inst_id: str) -> Job[Ticker24h]:  # ttl_ticker_24h_s
    return Job(
        "ticker_24h", key("okx", "ticker_24h", inst_id), s.ttls.ticker_24h,
        lambda: s.okx.ticker(inst_id),
    )  # fmt: skip


def okx_funding(s: Services, inst_id: str) -> Job[FundingSnapshot]:  # ttl_funding_s
    return Job(
        "funding", key("okx", "funding", inst_id), s.ttls.funding,
        lambda: s.okx.funding_rate(inst_id),
    )  # fmt: skip


def okx_open_interest(s: Services, inst_id: str) -> Job[OpenInterest]:  # ttl_open_interest_s
    return Job(
        "open_interest", key("okx", "open_interest", inst_id), s.ttls.open_interest,
        lambda: s.okx.open_interest(inst_id),
    )  # fmt: skip


def okx_candles(s: Services, inst_id: str, interval: str, limit: int) -> Job[Candles]:
    """At most the candles one OKX call gives (``okx.venue``): a longer ask gets fewer."""
    limit = min(limit, okx_venue.VENUE.candle_limit.high)
    return Job(  # ttl_klines_*
        "klines", key("okx", "klines", inst_id, interval, limit),
        s.ttls.klines(INTERVAL_MS[interval]), lambda: s.okx.candles(inst_id, interval, limit),
    )  # fmt: skip


OKX_LIQUIDATION_PAGES = 3  # calls at most for one family's liquidation window


def okx_liquidations(
    s: Services, family: str, contract_size: float, since_ms: int
) -> Job[Liquidations]:  # ttl_liquidations_s
    """Filled liquidation orders back to ``since_ms`` (the key leaves the time out: one
    entry per family for the TTL)."""
    return Job(
        "liquidations", key("okx", "liquidations", family), s.ttls.liquidations,
        lambda: s.okx.recent_liquidations(family, contract_size, since_ms, OKX_LIQUIDATION_PAGES),
    )  # fmt: skip


# -- keyed and other sources ----------------------------------------------------------------------


def coinglass_liquidations(
    s: Services, client: CoinglassClient, symbol: str
) -> Job[LiquidationHistory]:  # ttl_liquidations_s
    """Hourly liquidation history on Binance, the last 24 buckets."""
    return Job(
        "liquidation_history", key("coinglass", "liquidation_history", symbol, "1h", 24),
        s.ttls.liquidations, lambda: client.liquidation_history("Binance", symbol, "1h", 24),
    )  # fmt: skip


def coinglass_ratio(
    s: Services, client: CoinglassClient, symbol: str, kind: RatioKind
) -> Job[LongShortRatio]:  # ttl_ratios_s
    """Long/short ratio history on Binance, 30 hourly points."""
    return Job(
        "coinglass_ratio", key("coinglass", "ratio", symbol, kind.value, "1h", 30),
        s.ttls.ratios, lambda: client.long_short_ratio(kind, "Binance", symbol, "1h", 30),
    )  # fmt: skip


def lunarcrush_topic(s: Services, client: LunarCrushClient, topic: str) -> Job[SocialSentiment]:
    return Job(  # ttl_social_s
        "social", key("lunarcrush", "topic", topic), s.ttls.social,
        lambda: client.topic_sentiment(topic),
    )  # fmt: skip


def lunarcrush_coins(
    s: Services, client: LunarCrushClient, symbols: tuple[str, ...]
) -> Job[tuple[SocialCoin, ...]]:  # ttl_social_s
    """LunarCrush's coins-list rows of these symbols (sorted: one entry per set)."""
    wanted = tuple(sorted(set(symbols)))
    return Job(
        "social", key("lunarcrush", "coins", ",".join(wanted)), s.ttls.social,
        lambda: client.coins(wanted),
    )  # fmt: skip


def fear_greed(s: Services, limit: int) -> Job[FearGreed]:  # ttl_fear_greed_s
    return Job(
        "fear_greed", key("alternative.me", "fng", limit), s.ttls.fear_greed,
        lambda: s.feargreed.index(limit),
    )  # fmt: skip


def hyperliquid_account(s: Services, address: str) -> Job[PerpAccount]:  # ttl_whales_s
    return Job(
        "whales", key("hyperliquid", "state", address.lower()), s.ttls.whales,
        lambda: s.hyperliquid.clearinghouse_state(address),
    )  # fmt: skip


def hyperliquid_trades(s: Services, coin: str) -> Job[RecentTrades]:  # ttl_whales_s
    return Job(
        "whales", key("hyperliquid", "trades", coin), s.ttls.whales,
        lambda: s.hyperliquid.recent_trades(coin),
    )  # fmt: skip


def coingecko_markets(
    s: Services, order: str, per_page: int, page: int, category: str | None
) -> Job[CoinMarkets]:  # ttl_discovery_s
    return Job(
        "discovery", key("coingecko", "markets", order, per_page, page, category or ""),
        s.ttls.discovery, lambda: s.coingecko.markets(order, per_page, page, category),
    )  # fmt: skip


def coingecko_markets_by_symbols(
    s: Services, symbols: tuple[str, ...]
) -> Job[CoinMarkets]:  # ttl_discovery_s
    """CoinGecko's top coin of each symbol (sorted: one entry per set)."""
    wanted = tuple(sorted(set(symbols)))
    return Job(
        "discovery", key("coingecko", "markets_by_symbols", ",".join(wanted)), s.ttls.discovery,
        lambda: s.coingecko.markets_by_symbols(wanted),
    )  # fmt: skip


def coingecko_trending(s: Services) -> Job[TrendingCoins]:  # ttl_discovery_s
    return Job("discovery", key("coingecko", "trending"), s.ttls.discovery, s.coingecko.trending)


__all__ = [
    "OKX_LIQUIDATION_PAGES",
    "Batch",
    "Job",
    "binance_exchange_info",
    "binance_funding_history",
    "binance_klines",
    "binance_open_interest",
    "binance_open_interest_history",
    "binance_orderbook",
    "binance_ratios",
    "binance_taker_volume",
    "binance_trades",
    "coingecko_markets",
    "coingecko_markets_by_symbols",
    "coingecko_trending",
    "coinglass_liquidations",
    "coinglass_ratio",
    "fear_greed",
    "hyperliquid_account",
    "hyperliquid_trades",
    "key",
    "lunarcrush_coins",
    "lunarcrush_topic",
    "okx_candles",
    "okx_funding",
    "okx_instruments",
    "okx_liquidations",
    "okx_open_interest",
    "okx_ticker",
    "premium_indexes",
    "prices",
    "tickers_24h",
]
