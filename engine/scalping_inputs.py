"""What the scalping summary reads: each layer's data reduced to a few numbers.

Pure functions from domain objects (candles, books, trades, positions) to frozen readings;
``engine.scalping`` turns a ``ScalpingInputs`` of them into votes, key levels and a read.
Units are in the names (``_base`` base-asset units, ``_usd``, ``notional`` in the quote
currency).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from engine import indicators
from engine import orderbook as book_math
from engine.domain import Candle, OrderBook, PerpPosition, Trade
from engine.indicators import Trend
from engine.orderbook import Walls
from engine.signal.model import LiquidationWindow

RANGE_CANDLES = 20  # recent high/low: the last 20 candles (the volume delta's default span)
RSI_OVERBOUGHT, RSI_OVERSOLD = 70.0, 30.0


@dataclass(frozen=True, slots=True)
class PriceSnapshot:
    """The newest candles of one interval: price = the newest close (the candle may still be
    open); recent high/low over the last ``range_candles``; VWAP over all ``candles``."""

    candles: tuple[Candle, ...]  # oldest first
    price: float
    recent_high: float
    recent_low: float
    range_candles: int
    vwap: float | None


def price_snapshot(
    candles: Sequence[Candle], range_candles: int = RANGE_CANDLES
) -> PriceSnapshot | None:
    """``PriceSnapshot`` of the candles, oldest first; None when there are none."""
    if range_candles < 1:
        raise ValueError(f"range_candles must be at least 1, got {range_candles}")
    if not candles:
        return None
    recent = candles[-range_candles:]
    return PriceSnapshot(
        candles=tuple(candles),
        price=candles[-1].close,
        recent_high=max(c.high for c in recent),
        recent_low=min(c.low for c in recent),
        range_candles=len(recent),
        vwap=indicators.vwap(indicators.Series.from_candles(candles)),
    )


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """What the summary reads of a book: imbalance (-1..1), mid (quote) and walls."""

    imbalance: float | None
    mid: float | None
    walls: Walls


def book_snapshot(book: OrderBook) -> BookSnapshot:
    """Imbalance over the levels given, mid of the best bid and ask (quote currency; None
    with an empty side) and the walls of each side (``engine.orderbook.walls``)."""
    mid = (book.bids[0].price + book.asks[0].price) / 2 if book.bids and book.asks else None
    return BookSnapshot(book_math.imbalance(book), mid, book_math.walls(book))


@dataclass(frozen=True, slots=True)
class TakerFlow:
    """Taker volume over the last ``candles`` candles, base units."""

    candles: int
    buy_base: float
    volume_base: float

    @property
    def sell_base(self) -> float:
        return self.volume_base - self.buy_base

    @property
    def delta_base(self) -> float:
        """Taker buy minus taker sell (``engine.indicators.volume_delta``)."""
        return self.buy_base - self.sell_base


def taker_flow(candles: Sequence[Candle], last: int) -> TakerFlow | None:
    """Taker buy and total volume of the newest ``last`` candles (the newest may be open).

    None when there are fewer than ``last`` candles or any of them lacks taker volume.
    """
    if last < 1:
        raise ValueError(f"last must be at least 1, got {last}")
    window = candles[-last:]
    if len(window) < last or any(c.taker_buy_base_volume is None for c in window):
        return None
    buy = sum(c.taker_buy_base_volume or 0.0 for c in window)
    return TakerFlow(last, buy, sum(c.volume for c in window))


@dataclass(frozen=True, slots=True)
class TradeFlow:
    """Notional (quote currency) bought and sold by takers over some trades."""

    trades: int
    buy_notional: float
    sell_notional: float


def notional(trade: Trade) -> float:
    """Price x quantity, quote currency."""
    return trade.price * trade.quantity


def largest_trades(
    trades: Sequence[Trade], first: int, min_notional: float = 0.0
) -> tuple[Trade, ...]:
    """The ``first`` trades of largest notional at or above ``min_notional``, largest first
    (ties: newest first)."""
    if first < 1:
        raise ValueError(f"first must be at least 1, got {first}")
    kept = [t for t in trades if notional(t) >= min_notional]
    kept.sort(key=lambda t: (notional(t), t.ts_ms, t.trade_id), reverse=True)
    return tuple(kept[:first])


def trade_flow(trades: Sequence[Trade]) -> TradeFlow:
    """Taker buy and sell notional (``buyer_is_maker`` means the taker sold)."""
    sold = sum(notional(t) for t in trades if t.buyer_is_maker)
    bought = sum(notional(t) for t in trades if not t.buyer_is_maker)
    return TradeFlow(len(trades), bought, sold)


@dataclass(frozen=True, slots=True)
class WhaleExposure:
    """Open position value (USD) of the watched accounts in one coin, by side."""

    positions: int
    long_usd: float
    short_usd: float


def whale_exposure(positions: Sequence[PerpPosition]) -> WhaleExposure:
    """Sums ``position_value_usd`` by the sign of ``size_base`` (negative = short)."""
    long_usd = sum(abs(p.position_value_usd) for p in positions if p.size_base > 0)
    short_usd = sum(abs(p.position_value_usd) for p in positions if p.size_base < 0)
    return WhaleExposure(len(positions), long_usd, short_usd)


class RsiZone(Enum):
    """Where an RSI value sits against the usual bounds."""

    OVERBOUGHT = "OVERBOUGHT"  # at or above 70
    OVERSOLD = "OVERSOLD"  # at or below 30
    NEUTRAL = "NEUTRAL"


def rsi_zone(rsi: float) -> RsiZone:
    """The zone of an RSI value (0..100): the usual 70 / 30 bounds, inclusive."""
    if rsi >= RSI_OVERBOUGHT:
        return RsiZone.OVERBOUGHT
    if rsi <= RSI_OVERSOLD:
        return RsiZone.OVERSOLD
    return RsiZone.NEUTRAL


@dataclass(frozen=True, slots=True)
class ScalpingInputs:
    """The layers the summary reads; None: not selected, failed, or without a value."""

    price: PriceSnapshot | None = None
    orderbook: BookSnapshot | None = None
    rsi: float | None = None
    volume_delta: TakerFlow | None = None
    liquidations: LiquidationWindow | None = None
    funding_rate: float | None = None  # fraction per funding interval
    long_short_ratio: float | None = None  # all accounts, long/short
    smart_money_ratio: float | None = None  # top traders by position, long/short
    whales: WhaleExposure | None = None
    fear_greed: int | None = None  # 0..100
    trend: Trend | None = None
    large_trades: TradeFlow | None = None
    social_pct: float | None = None  # share of positive posts, percent


__all__ = [
    "RANGE_CANDLES", "RSI_OVERBOUGHT", "RSI_OVERSOLD", "BookSnapshot", "PriceSnapshot",
    "RsiZone", "ScalpingInputs", "TakerFlow", "TradeFlow", "WhaleExposure", "book_snapshot",
    "largest_trades", "notional", "price_snapshot", "rsi_zone", "taker_flow", "trade_flow",
    "whale_exposure",
]  # fmt: skip
