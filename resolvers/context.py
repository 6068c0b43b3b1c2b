"""What a request sees: process-wide services and the request's own loaders.

``Services`` is built once by the lifespan (clients, cache, TTLs, limits). ``Context`` is
built per request with fresh ``Loaders`` and a ``RequestMeta`` that records how fresh the
data behind the response is (the whole-response cache lives no longer than that).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from providers.http import CallRecord

if TYPE_CHECKING:
    from engine.signal.model import Mode
    from providers.aijudge import AiJudgeClient
    from providers.binance import BinanceFuturesClient
    from providers.coingecko import CoinGeckoClient
    from providers.coinglass import CoinglassClient
    from providers.feargreed import FearGreedClient
    from providers.history import HistoryStore
    from providers.hyperliquid import HyperliquidClient
    from providers.lunarcrush import LunarCrushClient
    from providers.metrics import Metrics
    from providers.okx import OkxClient
    from resolvers.bus import LiquidationBus
    from resolvers.cache import SharedCache
    from resolvers.history import Alerts
    from resolvers.hub import LiquidationHub
    from resolvers.loaders import Loaders
    from resolvers.watch import SignalWatcher


@dataclass(frozen=True, slots=True)
class Ttls:
    """Seconds each dataset stays fresh in the shared cache."""

    price: float
    ticker_24h: float
    premium_index: float
    funding: float
    funding_history: float
    open_interest: float
    open_interest_history: float
    ratios: float
    taker_volume: float
    orderbook: float
    trades: float
    fear_greed: float
    exchange_info: float
    liquidations: float
    social: float
    whales: float
    discovery: float
    klines_divisor: float
    klines_min: float
    klines_max: float

    def klines(self, interval_ms: int) -> float:
        return max(self.klines_min, min(self.klines_max, interval_ms / 1000 / self.klines_divisor))


@dataclass(frozen=True, slots=True)
class Limits:
    max_symbols: int
    max_candles: int
    min_signal_quality_pct: float = 50.0
    account_risk_pct: float = 1.0  # a verdict's size hint, unless the query gives one


@dataclass(frozen=True, slots=True)
class Services:
    binance: BinanceFuturesClient
    okx: OkxClient
    feargreed: FearGreedClient
    cache: SharedCache
    metrics: Metrics
    ttls: Ttls
    limits: Limits
    hyperliquid: HyperliquidClient | None = None  # public; None only in narrow test setups
    coingecko: CoinGeckoClient | None = None  # public (a demo key only raises the limits)
    whale_addresses: tuple[str, ...] = ()  # Hyperliquid accounts shown by the whales layer
    coinglass: CoinglassClient | None = None  # None: no PERPGRAPH_COINGLASS_API_KEY
    lunarcrush: LunarCrushClient | None = None  # None: no PERPGRAPH_LUNARCRUSH_API_KEY
    aijudge: AiJudgeClient | None = None  # None: no PERPGRAPH_OPENAI_API_KEY (rules judge)
    history: HistoryStore | None = None  # None: no PERPGRAPH_DATABASE_URL (NOT_CONFIGURED)
    alerts: Alerts | None = None  # None: no Telegram bot token and chat id
    hub: LiquidationHub | None = None
    bus: LiquidationBus | None = None  # Redis fan-out of liquidations (with a Redis URL)
    watcher: SignalWatcher | None = None  # signal updates for subscriptions


@dataclass(slots=True)
class RequestMeta:
    """Per request: freshness of the data used, whether the response may be cached."""

    min_fresh_s: float | None = None
    cacheable: bool = True
    calls: list[CallRecord] = field(default_factory=list)

    def used(self, fresh_for_s: float, stale: bool) -> None:
        if stale:
            self.cacheable = False
        if self.min_fresh_s is None or fresh_for_s < self.min_fresh_s:
            self.min_fresh_s = fresh_for_s


@dataclass(slots=True)
class Context:
    services: Services
    loaders: Loaders
    meta: RequestMeta
    debug: bool = False
    # signals computed in this request, by (ticker, quote, mode): each once per request
    signals: dict[tuple[str, str, Mode], asyncio.Future[Any]] = field(default_factory=dict)
    # verdicts decided in this request (each once: the AI is asked at most once per key)
    verdicts: dict[tuple[Any, ...], asyncio.Future[Any]] = field(default_factory=dict)


__all__ = ["Context", "Limits", "RequestMeta", "Services", "Ttls"]
