"""The scalping summary: a bias, key levels and a one-line read from the layers a query
selected on a ``ScalpingSnapshot``. Pure: readings in (``engine.scalping_inputs``), a
``ScalpingSummary`` out.

Every layer given (``None`` = not selected, failed, or without a value) casts one vote: a
score from -1 (leans SHORT) to +1 (leans LONG) and the layer's weight. ``clamp`` cuts to
-1..1. The rules and weights:

==============  ======  ===========================================================================
layer           weight  score
==============  ======  ===========================================================================
trend               20  EMA alignment BULLISH +0.5 / BEARISH -0.5 / MIXED 0, plus structure UP
                        +0.5 / DOWN -0.5 / MIXED 0 (an unknown part adds 0): both agreeing is +-1
orderbook           15  clamp(imbalance / 0.5): bids three times the asks (0.5) count fully
volumeDelta         15  clamp(((taker buy - taker sell) / volume) / 0.2): a 60/40 taker split
                        over the candles counts fully
price               10  clamp((price - VWAP) / VWAP in % / 0.5 %): 0.5 % above VWAP counts fully
rsi                 10  contrarian at the extremes only: above 70 -clamp((rsi - 70) / 10), below
                        30 +clamp((30 - rsi) / 10), 30..70 gives 0 (no edge)
largeTrades          8  (taker buy - taker sell) / (buy + sell) notional of the large trades;
                        0 when there are none
liquidations         6  (short USD - long USD) / (short + long) liquidated: shorts squeezed lean
                        LONG, longs flushed SHORT; 0 when nothing was liquidated
smartMoney           5  clamp(ln(top traders' long/short by position) / ln 2): followed
funding              3  -clamp((rate - 0.0001) / 0.0005): the crowded side pays (0.01 % neutral)
longShortRatio       3  -clamp(ln(accounts' long/short) / ln 2): the crowd is faded
whales               2  (long USD - short USD) / (long + short) of the whale positions: followed;
                        0 when they hold none
fearGreed            2  (50 - value) / 50: contrarian
social               1  (positive % - 50) / 50: followed
==============  ======  ===========================================================================

The weights sum to 100. Fast order flow (trend, book, taker delta, VWAP, RSI) carries 70:
a scalper trades minutes, and slow positioning data (ratios, funding, sentiment) changes
little within them. ``score`` = sum(weight x score) / sum(weight) over the layers that
voted; ``coverage_pct`` = the weight that voted (of 100). Bias LONG at ``score >= 0.15``,
SHORT at ``<= -0.15``, else NEUTRAL; with no vote NEUTRAL and score 0. There is no minimum
coverage: the caller chose the layers, and ``coverage_pct`` and ``based_on`` say how much
the bias rests on. A non-finite input (or a ratio that is not positive) casts no vote.

Key levels: the price layer gives RECENT_HIGH and RECENT_LOW (the last ``RANGE_CANDLES``
= 20 candles) and VWAP (all candles read); the orderbook layer gives up to ``WALLS_PER_SIDE`` walls
a side, nearest first (``engine.orderbook.walls``). The reference price is the price layer's
price, else the book's mid. Support is the highest level strictly below it, resistance the
lowest strictly above. ``based_on`` names, in table order, the layers that voted or gave a
key level.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from engine.indicators import Alignment, Structure, Trend
from engine.scalping_inputs import (
    RSI_OVERBOUGHT,
    RSI_OVERSOLD,
    BookSnapshot,
    PriceSnapshot,
    ScalpingInputs,
    TakerFlow,
    TradeFlow,
    WhaleExposure,
    rsi_zone,
)
from engine.signal.model import Direction, LiquidationWindow
from engine.signal.wording import usd


class Layer(Enum):
    """The snapshot's layers, valued by their field names in the API."""

    TREND = "trend"
    ORDERBOOK = "orderbook"
    VOLUME_DELTA = "volumeDelta"
    PRICE = "price"
    RSI = "rsi"
    LARGE_TRADES = "largeTrades"
    LIQUIDATIONS = "liquidations"
    SMART_MONEY = "smartMoney"
    FUNDING = "funding"
    LONG_SHORT_RATIO = "longShortRatio"
    WHALES = "whales"
    FEAR_GREED = "fearGreed"
    SOCIAL = "social"


WEIGHTS: Mapping[Layer, float] = MappingProxyType(
    {
        Layer.TREND: 20,
        Layer.ORDERBOOK: 15,
        Layer.VOLUME_DELTA: 15,
        Layer.PRICE: 10,
        Layer.RSI: 10,
        Layer.LARGE_TRADES: 8,
        Layer.LIQUIDATIONS: 6,
        Layer.SMART_MONEY: 5,
        Layer.FUNDING: 3,
        Layer.LONG_SHORT_RATIO: 3,
        Layer.WHALES: 2,
        Layer.FEAR_GREED: 2,
        Layer.SOCIAL: 1,
    }
)
BIAS_THRESHOLD = 0.15  # |score| at or above it gives a direction
WALLS_PER_SIDE = 3  # nearest walls a side named as key levels
READ_REASONS = 3  # the strongest votes named in the one-line read
IMBALANCE_FULL = 0.5
TAKER_FLOW_FULL = 0.2
VWAP_DISTANCE_FULL_PCT = 0.5
RSI_FULL_SPAN = 10.0  # RSI points beyond 70 / 30 that count fully
FUNDING_NEUTRAL_RATE, FUNDING_SCALE_RATE = 0.0001, 0.0005
RATIO_FULL = 2.0  # twice as many longs as shorts (or the reverse) counts fully


@dataclass(frozen=True, slots=True)
class Vote:
    """One layer's lean: ``score`` -1..1 (+ = LONG) with the layer's weight and why."""

    layer: Layer
    score: float
    weight: float
    reason: str

    @property
    def contribution(self) -> float:
        """Weighted score, -weight..weight."""
        return self.weight * self.score


class LevelKind(Enum):
    RECENT_HIGH = "RECENT_HIGH"
    RECENT_LOW = "RECENT_LOW"
    VWAP = "VWAP"
    BID_WALL = "BID_WALL"
    ASK_WALL = "ASK_WALL"


@dataclass(frozen=True, slots=True)
class KeyLevel:
    """A price worth watching; ``distance_pct`` from the reference price (+ = above)."""

    kind: LevelKind
    price: float
    layer: Layer
    distance_pct: float | None


@dataclass(frozen=True, slots=True)
class ScalpingSummary:
    bias: Direction
    score: float  # -1..1
    coverage_pct: float  # weight of the layers that voted, of 100
    votes: tuple[Vote, ...]  # table order
    key_levels: tuple[KeyLevel, ...]  # highest price first
    support: KeyLevel | None
    resistance: KeyLevel | None
    read: str
    based_on: tuple[Layer, ...]  # table order


def _clamp(x: float) -> float:
    return max(-1.0, min(1.0, x))


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def _vote(layer: Layer, score: float, reason: str) -> Vote:
    return Vote(layer, score, WEIGHTS[layer], reason)


def _trend(t: Trend) -> Vote | None:
    if t.ema_alignment is None and t.structure is None:
        return None
    score, parts = 0.0, []
    if t.ema_alignment is not None:
        score += {Alignment.BULLISH: 0.5, Alignment.BEARISH: -0.5}.get(t.ema_alignment, 0.0)
        parts.append(f"EMAs {t.ema_alignment.value.lower()}")
    if t.structure is not None:
        score += {Structure.UP: 0.5, Structure.DOWN: -0.5}.get(t.structure, 0.0)
        words = {Structure.UP: "higher highs and lows", Structure.DOWN: "lower highs and lows"}
        parts.append(words.get(t.structure, "mixed highs and lows"))
    return _vote(Layer.TREND, score, ", ".join(parts))


def _orderbook(b: BookSnapshot) -> Vote | None:
    if b.imbalance is None or not _finite(b.imbalance):
        return None
    heavier = "bids" if b.imbalance > 0 else "asks" if b.imbalance < 0 else "neither side"
    return _vote(
        Layer.ORDERBOOK,
        _clamp(b.imbalance / IMBALANCE_FULL),
        f"book imbalance {b.imbalance:+.2f} ({heavier} heavier)",
    )


def _volume_delta(f: TakerFlow) -> Vote | None:
    if not (_finite(f.buy_base, f.volume_base) and f.volume_base > 0):
        return None
    share = f.delta_base / f.volume_base
    side = "buying" if share >= 0 else "selling"
    reason = f"net taker {side} {abs(share) * 100:.1f} % of volume over {f.candles} candles"
    return _vote(Layer.VOLUME_DELTA, _clamp(share / TAKER_FLOW_FULL), reason)


def _price(p: PriceSnapshot) -> Vote | None:
    if p.vwap is None or not (_finite(p.price, p.vwap) and p.vwap > 0):
        return None
    distance_pct = (p.price / p.vwap - 1.0) * 100.0
    return _vote(
        Layer.PRICE,
        _clamp(distance_pct / VWAP_DISTANCE_FULL_PCT),
        f"price {distance_pct:+.2f} % from VWAP",
    )


def _rsi(rsi: float) -> Vote | None:
    if not _finite(rsi):
        return None
    if rsi > RSI_OVERBOUGHT:
        score = -_clamp((rsi - RSI_OVERBOUGHT) / RSI_FULL_SPAN)
    elif rsi < RSI_OVERSOLD:
        score = _clamp((RSI_OVERSOLD - rsi) / RSI_FULL_SPAN)
    else:
        score = 0.0
    return _vote(Layer.RSI, score, f"RSI {rsi:.1f} {rsi_zone(rsi).value.lower()}")


def _large_trades(f: TradeFlow) -> Vote | None:
    total = f.buy_notional + f.sell_notional
    if not _finite(total):
        return None
    if total <= 0:
        return _vote(Layer.LARGE_TRADES, 0.0, "no large trades")
    share = f.buy_notional / total
    reason = f"large trades {share * 100:.0f} % taker buys ({f.trades} trades)"
    return _vote(Layer.LARGE_TRADES, (f.buy_notional - f.sell_notional) / total, reason)


def _liquidations(w: LiquidationWindow) -> Vote | None:
    total = w.long_usd + w.short_usd
    if not (_finite(total) and w.long_usd >= 0 and w.short_usd >= 0):
        return None
    if total == 0:
        return _vote(Layer.LIQUIDATIONS, 0.0, "no liquidations")
    score = (w.short_usd - w.long_usd) / total
    reason = f"liquidated shorts {usd(w.short_usd)} vs longs {usd(w.long_usd)}"
    return _vote(Layer.LIQUIDATIONS, score, reason)


def _log_ratio(ratio: float) -> float | None:
    if not (_finite(ratio) and ratio > 0):
        return None
    return _clamp(math.log(ratio) / math.log(RATIO_FULL))


def _smart_money(ratio: float) -> Vote | None:
    x = _log_ratio(ratio)
    if x is None:
        return None
    return _vote(Layer.SMART_MONEY, x, f"top traders long/short {ratio:.2f}")


def _long_short(ratio: float) -> Vote | None:
    x = _log_ratio(ratio)
    if x is None:
        return None
    return _vote(Layer.LONG_SHORT_RATIO, -x, f"accounts long/short {ratio:.2f} (faded)")


def _funding(rate: float) -> Vote | None:
    if not _finite(rate):
        return None
    score = -_clamp((rate - FUNDING_NEUTRAL_RATE) / FUNDING_SCALE_RATE)
    return _vote(Layer.FUNDING, score, f"funding {rate * 100:+.4f} %")


def _whales(w: WhaleExposure) -> Vote | None:
    total = w.long_usd + w.short_usd
    if not _finite(total):
        return None
    if total <= 0:
        return _vote(Layer.WHALES, 0.0, "no whale positions")
    net = w.long_usd - w.short_usd
    side = "long" if net >= 0 else "short"
    return _vote(Layer.WHALES, net / total, f"whales net {side} {usd(abs(net))}")


def _fear_greed(value: int) -> Vote:
    clamped = min(100, max(0, value))
    return _vote(Layer.FEAR_GREED, (50 - clamped) / 50, f"Fear & Greed {value} (faded)")


def _social(pct: float) -> Vote | None:
    if not _finite(pct):
        return None
    score = _clamp((pct - 50.0) / 50.0)
    return _vote(Layer.SOCIAL, score, f"social {pct:.0f} % positive")


def votes(inputs: ScalpingInputs) -> tuple[Vote, ...]:
    """One vote per layer given and usable, in table order (see the module docstring)."""
    i = inputs
    cast = [
        _trend(i.trend) if i.trend is not None else None,
        _orderbook(i.orderbook) if i.orderbook is not None else None,
        _volume_delta(i.volume_delta) if i.volume_delta is not None else None,
        _price(i.price) if i.price is not None else None,
        _rsi(i.rsi) if i.rsi is not None else None,
        _large_trades(i.large_trades) if i.large_trades is not None else None,
        _liquidations(i.liquidations) if i.liquidations is not None else None,
        _smart_money(i.smart_money_ratio) if i.smart_money_ratio is not None else None,
        _funding(i.funding_rate) if i.funding_rate is not None else None,
        _long_short(i.long_short_ratio) if i.long_short_ratio is not None else None,
        _whales(i.whales) if i.whales is not None else None,
        _fear_greed(i.fear_greed) if i.fear_greed is not None else None,
        _social(i.social_pct) if i.social_pct is not None else None,
    ]
    return tuple(v for v in cast if v is not None)


def _reference(inputs: ScalpingInputs) -> float | None:
    if inputs.price is not None and _finite(inputs.price.price) and inputs.price.price > 0:
        return inputs.price.price
    if inputs.orderbook is not None and inputs.orderbook.mid is not None:
        return inputs.orderbook.mid
    return None


def key_levels(inputs: ScalpingInputs) -> tuple[KeyLevel, ...]:
    """Recent high/low and VWAP (price layer), nearest walls (orderbook), highest first."""
    ref = _reference(inputs)
    raw: list[tuple[LevelKind, float, Layer]] = []
    if inputs.price is not None:
        p = inputs.price
        raw += [(LevelKind.RECENT_HIGH, p.recent_high, Layer.PRICE)]
        raw += [(LevelKind.RECENT_LOW, p.recent_low, Layer.PRICE)]
        if p.vwap is not None:
            raw.append((LevelKind.VWAP, p.vwap, Layer.PRICE))
    if inputs.orderbook is not None:
        w = inputs.orderbook.walls
        raw += [(LevelKind.BID_WALL, x.price, Layer.ORDERBOOK) for x in w.bids[:WALLS_PER_SIDE]]
        raw += [(LevelKind.ASK_WALL, x.price, Layer.ORDERBOOK) for x in w.asks[:WALLS_PER_SIDE]]
    levels = [
        KeyLevel(kind, price, layer, (price / ref - 1.0) * 100.0 if ref else None)
        for kind, price, layer in raw
        if _finite(price)
    ]
    levels.sort(key=lambda level: level.price, reverse=True)
    return tuple(levels)


def _format_price(price: float) -> str:
    """About six significant digits, at least two decimals: 104,250.50 / 1.23450."""
    if price == 0 or not _finite(price):
        return str(price)
    digits = max(2, min(10, 5 - math.floor(math.log10(abs(price)))))
    return f"{price:,.{digits}f}"


def _level_words(level: KeyLevel) -> str:
    return f"{_format_price(level.price)} ({level.kind.value.lower().replace('_', ' ')})"


def _read(
    bias: Direction,
    score: float,
    cast: Sequence[Vote],
    coverage: float,
    support: KeyLevel | None,
    resistance: KeyLevel | None,
    has_levels: bool,
) -> str:
    if not cast and not has_levels:
        return "NEUTRAL: no layer to read; select layers beside summary (e.g. trend, orderbook)"
    if cast:
        strongest = sorted(
            (v for v in cast if v.contribution != 0),
            key=lambda v: abs(v.contribution),
            reverse=True,
        )[:READ_REASONS]
        why = "; ".join(v.reason for v in strongest) or "no layer leans either way"
        plural = "s" if len(cast) != 1 else ""
        head = (
            f"{bias.value} (score {score:+.2f}, {len(cast)} layer{plural}, "
            f"{coverage:.0f} % of the weight): {why}"
        )
    else:
        head = f"{bias.value}: no layer voted"
    marks = [f"support {_level_words(support)}"] if support else []
    marks += [f"resistance {_level_words(resistance)}"] if resistance else []
    return head + ("; " + ", ".join(marks) if marks else "")


def summarize(inputs: ScalpingInputs) -> ScalpingSummary:
    """Bias, key levels and the read of the layers given (rules in the module docstring)."""
    cast = votes(inputs)
    weight = sum(v.weight for v in cast)
    score = sum(v.contribution for v in cast) / weight if weight > 0 else 0.0
    if score >= BIAS_THRESHOLD:
        bias = Direction.LONG
    elif score <= -BIAS_THRESHOLD:
        bias = Direction.SHORT
    else:
        bias = Direction.NEUTRAL
    levels = key_levels(inputs)
    below = [x for x in levels if x.distance_pct is not None and x.distance_pct < 0]
    above = [x for x in levels if x.distance_pct is not None and x.distance_pct > 0]
    support = below[0] if below else None  # highest first: the nearest below
    resistance = above[-1] if above else None
    used = {v.layer for v in cast} | {x.layer for x in levels}
    based_on = tuple(layer for layer in WEIGHTS if layer in used)
    return ScalpingSummary(
        bias=bias,
        score=score,
        coverage_pct=weight,
        votes=cast,
        key_levels=levels,
        support=support,
        resistance=resistance,
        read=_read(bias, score, cast, weight, support, resistance, bool(levels)),
        based_on=based_on,
    )


__all__ = [
    "BIAS_THRESHOLD", "WALLS_PER_SIDE", "WEIGHTS", "KeyLevel", "Layer", "LevelKind",
    "ScalpingSummary", "Vote", "key_levels", "summarize", "votes",
]  # fmt: skip
