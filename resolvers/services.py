"""What every request shares: the process-wide services, built once by
``graph.server.services.open_services`` and closed by it.

``Services`` holds the provider clients, the shared cache, the TTLs and limits, the
liquidation hub and, when configured, the keyed clients, the history store, Redis fan-out
and alerts. A field is Optional only when a setting decides whether it exists.

The background jobs that resolvers hand work to (alerts, signal updates) are seen here
through Protocols, so that this module, the bottom of ``resolvers``, imports none of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.mss.criteria import Phase
from engine.mss.score import DEFAULT_MIN_QUALITY_PCT, DEFAULT_PASS_MARKS
from engine.signal.model import Mode, ModeInfo
from engine.signal.modes import MODE_INFO
from engine.symbols import SymbolRef
from providers.aijudge import AiJudgeClient
from providers.binance import BinanceFuturesClient
from providers.coingecko import CoinGeckoClient
from providers.coinglass import CoinglassClient
from providers.feargreed import FearGreedClient
from providers.history import HistoryStore
from providers.history.watchlist import WatchlistStore
from providers.hyperliquid import HyperliquidClient
from providers.lunarcrush import LunarCrushClient
from providers.metrics import Metrics
from providers.okx import OkxClient
from providers.telegram import SignalAlert
from resolvers.cache import SharedCache
from resolvers.live.bus import LiquidationBus
from resolvers.live.hub import LiquidationHub


@dataclass(frozen=True, slots=True)
class Ttls:
    """Seconds each dataset stays fresh in the shared cache (settings ``ttl_*_s``)."""

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
    min_signal_quality_pct: float
    account_risk_pct: float  # a verdict's size hint, unless the query gives one
    # each signal mode's two thresholds (the settings'; the table's own when not given)
    modes: Mapping[Mode, ModeInfo] = field(default_factory=lambda: MODE_INFO)
    # the MSS's pass mark of each phase (% of its maximum) and its quality minimum
    mss_pass_marks: Mapping[Phase, float] = field(default_factory=lambda: DEFAULT_PASS_MARKS)
    min_mss_quality_pct: float = DEFAULT_MIN_QUALITY_PCT


class AlertSender(Protocol):
    """Sends a recorded signal's alert in the background (``graph.server.jobs.alerts``)."""

    def send_later(self, record_id: str, message: SignalAlert) -> None: ...


class UpdateInbox(Protocol):
    """One subscriber's queue of signal updates."""

    async def get(self) -> Any: ...


class SignalUpdates(Protocol):
    """Signals recomputed on an interval, pushed on change (``resolvers.live.signal_updates``).

    The inbox yields ``resolvers.signals.Computed``; it is typed ``Any`` here because that
    module sits above this one."""

    def subscribe(
        self, refs: Sequence[SymbolRef], mode: Mode
    ) -> AbstractAsyncContextManager[UpdateInbox]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    binance: BinanceFuturesClient
    okx: OkxClient
    feargreed: FearGreedClient
    hyperliquid: HyperliquidClient
    coingecko: CoinGeckoClient  # public; a demo key only raises its limits
    cache: SharedCache
    metrics: Metrics
    ttls: Ttls
    limits: Limits
    hub: LiquidationHub  # this process's liquidation fan-out
    signal_updates: SignalUpdates
    whale_addresses: tuple[str, ...]  # Hyperliquid accounts shown by the whales layer
    coinglass: CoinglassClient | None  # None: no PERPGRAPH_COINGLASS_API_KEY
    lunarcrush: LunarCrushClient | None  # None: no PERPGRAPH_LUNARCRUSH_API_KEY
    aijudge: AiJudgeClient | None  # None: no PERPGRAPH_OPENAI_API_KEY (the rules judge)
    history: HistoryStore | None  # None: no PERPGRAPH_DATABASE_URL (NOT_CONFIGURED)
    alerts: AlertSender | None  # None: no Telegram bot token and chat id
    bus: LiquidationBus | None  # Redis fan-out of liquidations (with a Redis URL)
    watchlist: WatchlistStore | None = None  # None: no PERPGRAPH_DATABASE_URL (NOT_CONFIGURED)


__all__ = ["AlertSender", "Limits", "Services", "SignalUpdates", "Ttls", "UpdateInbox"]
