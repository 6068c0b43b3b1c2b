"""The eight factors: their table (weights of 100) and one pure reading per factor.

Each reading maps its input to a sub-score from 0 to 100 where 50 means no edge, above 50
leans LONG and below leans SHORT. Unbounded measures are squashed with
``50 + 50 * tanh(x)`` (or its mirror), so a sub-score is never outside 0..100 and the
first unit of ``x`` moves it most. A reading is ``None`` when its input is missing or
unusable (not finite, not positive where a ratio or a price must be, too short).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

from engine.domain import Candle, OpenInterestPoint
from engine.signal.liquidations import aggregate_liquidations
from engine.signal.model import LiquidationWindow, SignalInputs
from engine.signal.wording import HOUR_MS, duration, lean, signed_pct, usd

FUNDING_NEUTRAL_RATE = 0.0001  # 0.01 % per 8 h: the usual baseline, no crowding
FUNDING_SCALE_RATE = 0.0005  # 0.05 % above the baseline moves tanh by one unit
# (hours back, weight, move in % that counts as one full unit): a 1 % hour, a 2 % 4-hour
# and a 5 % day are comparable for a major coin.
MOMENTUM_LEGS: tuple[tuple[int, float, float], ...] = (
    (1, 0.25, 1.0),
    (4, 0.35, 2.0),
    (24, 0.40, 5.0),
)
MOMENTUM_MIN_CANDLES = 25  # the 24 h return needs the close 24 candles before the last
OI_SCALE_PCT = 5.0  # an open-interest change of 5 % is one unit
OI_PRICE_SCALE_PCT = 1.0  # a price move of 1 % gives tanh(1) = 0.76 of the OI signal's sign
OI_DECLINE_STRENGTH = 0.5  # closing positions says less than opening them


class Reading(NamedTuple):
    """One factor's reading: sub-score 0..100 (50 = no edge), a line, raw metrics."""

    sub_score: float
    explanation: str
    raw: Mapping[str, float]


def _bounded(x: float) -> float:
    """0..100 around 50: ``50 + 50 * tanh(x)``."""
    return 50.0 + 50.0 * math.tanh(x)


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def _reading(sub: float, explanation: str, raw: dict[str, float]) -> Reading | None:
    if math.isnan(sub):  # e.g. inf - inf inside an overflowing input
        return None
    return Reading(min(100.0, max(0.0, sub)), explanation, MappingProxyType(raw))


def _orders(count: int | None) -> str:
    return "" if count is None else f" ({count} orders)"


def liquidations_factor(window: LiquidationWindow | None) -> Reading | None:
    """Who was liquidated: shorts squeezed is bullish, longs flushed is bearish.

    ``imbalance = (short_usd - long_usd) / (short_usd + long_usd)`` in -1..1 over the
    window; ``sub = 50 + 50 * imbalance`` (= ``100 - 100 * long_usd / total``, computed
    so that more short-side USD never lowers it); 50 when nothing was liquidated.
    None when either amount is negative or not finite.
    """
    if window is None:
        return None
    long_usd, short_usd = window.long_usd, window.short_usd
    if not (_finite(long_usd, short_usd) and long_usd >= 0 and short_usd >= 0):
        return None
    span = duration(window.window_ms)
    raw = {"long_usd": long_usd, "short_usd": short_usd, "window_ms": float(window.window_ms)}
    if window.long_count is not None and window.short_count is not None:
        raw |= {"long_count": float(window.long_count), "short_count": float(window.short_count)}
    total = long_usd + short_usd
    if total == 0:
        return _reading(50.0, f"no liquidations in {span}: no edge", raw | {"imbalance": 0.0})
    if math.isinf(total):  # two huge finite amounts: their halves still add up
        long_share = (long_usd * 0.5) / (long_usd * 0.5 + short_usd * 0.5)
    else:
        long_share = long_usd / total
    sub = 100.0 - 100.0 * long_share
    imbalance = (sub - 50.0) / 50.0
    shorts = usd(short_usd) + _orders(window.short_count)
    longs = usd(long_usd) + _orders(window.long_count)
    if imbalance >= 0.1:
        line = f"shorts liquidated {shorts} vs longs {longs} in {span}: short squeeze pressure"
    elif imbalance <= -0.1:
        line = f"longs liquidated {longs} vs shorts {shorts} in {span}: long flush pressure"
    else:
        line = f"longs liquidated {longs} vs shorts {shorts} in {span}: balanced"
    return _reading(sub, line, raw | {"imbalance": imbalance})


def momentum_factor(candles_1h: Sequence[Candle] | None) -> Reading | None:
    """Multi-timeframe price momentum from consecutive 1 h candles, oldest first.

    Returns in % of the last close against the closes 1, 4 and 24 candles earlier;
    ``x = 0.25 * r1h / 1 % + 0.35 * r4h / 2 % + 0.40 * r24h / 5 %``;
    ``sub = 50 + 50 * tanh(x)``. Needs at least 25 candles with positive closes.
    The last candle may still be open: its close is then the latest price.
    """
    if candles_1h is None or len(candles_1h) < MOMENTUM_MIN_CANDLES:
        return None
    last = candles_1h[-1].close
    x = 0.0
    raw: dict[str, float] = {"close": last}
    parts: list[str] = []
    for hours, weight, unit_pct in MOMENTUM_LEGS:
        past = candles_1h[-1 - hours].close
        if not (_finite(last, past) and last > 0 and past > 0):
            return None
        ret_pct = (last / past - 1.0) * 100.0
        x += weight * ret_pct / unit_pct
        raw[f"return_{hours}h_pct"] = ret_pct
        parts.append(f"{signed_pct(ret_pct)} {hours}h")
    sub = _bounded(x)
    raw["momentum_x"] = x
    return _reading(sub, f"price {', '.join(parts)}: {lean(sub)} momentum", raw)


def funding_factor(funding_rate: float | None) -> Reading | None:
    """The crowded side pays: funding above the neutral 0.01 % leans bearish.

    ``rate`` is a fraction per funding interval (0.0001 = 0.01 %), read against the usual
    8 h baseline: ``sub = 50 - 50 * tanh((rate - 0.0001) / 0.0005)``. Negative funding
    (shorts pay longs) leans bullish.
    """
    if funding_rate is None or not _finite(funding_rate):
        return None
    excess = funding_rate - FUNDING_NEUTRAL_RATE
    sub = 50.0 - 50.0 * math.tanh(excess / FUNDING_SCALE_RATE)
    if funding_rate < 0:
        crowd = "shorts pay longs"
    elif excess > 0:
        crowd = "longs pay above the baseline"
    else:
        crowd = "at or below the baseline"
    line = (
        f"funding {funding_rate * 100:+.4f} % per interval vs "
        f"{FUNDING_NEUTRAL_RATE * 100:.4f} % neutral: {crowd}, {lean(sub)}"
    )
    raw = {
        "funding_rate": funding_rate,
        "funding_rate_pct": funding_rate * 100,
        "excess_rate": excess,
    }
    return _reading(sub, line, raw)


def _long_pct(ratio: float) -> float:
    """Share of longs in % from a long/short ratio: ``100 * r / (1 + r)``."""
    return 100.0 / (1.0 + 1.0 / ratio)


def long_short_ratio_factor(global_long_short_ratio: float | None) -> Reading | None:
    """All accounts' long/short ratio, read contrarian: a crowd long leans bearish.

    ``sub = 50 - 50 * tanh(ln(ratio))`` (= ``100 / (1 + ratio**2)``): ratio 1 gives 50,
    2 (67 % long) gives 20, 0.5 gives 80. None unless the ratio is finite and positive.
    """
    ratio = global_long_short_ratio
    if ratio is None or not (_finite(ratio) and ratio > 0):
        return None
    log_ratio = math.log(ratio)
    sub = 50.0 - 50.0 * math.tanh(log_ratio)
    long_pct = _long_pct(ratio)
    crowd = "long" if ratio > 1 else "short" if ratio < 1 else "balanced"
    line = (
        f"{long_pct:.1f} % of accounts long (long/short {ratio:.2f}): "
        f"crowd {crowd}, contrarian {lean(sub)}"
    )
    raw = {"long_short_ratio": ratio, "long_pct": long_pct, "log_ratio": log_ratio}
    return _reading(sub, line, raw)


def smart_money_factor(top_position_ratio: float | None) -> Reading | None:
    """Top traders' long/short ratio by position, followed: more long leans bullish.

    ``sub = 50 + 50 * tanh(ln(ratio))`` (= ``100 * ratio**2 / (1 + ratio**2)``).
    None unless the ratio is finite and positive.
    """
    ratio = top_position_ratio
    if ratio is None or not (_finite(ratio) and ratio > 0):
        return None
    log_ratio = math.log(ratio)
    sub = _bounded(log_ratio)
    long_pct = _long_pct(ratio)
    line = f"top traders {long_pct:.1f} % long by position (long/short {ratio:.2f}): {lean(sub)}"
    raw = {"top_position_ratio": ratio, "long_pct": long_pct, "log_ratio": log_ratio}
    return _reading(sub, line, raw)


def _price_at(candles: Sequence[Candle], ts_ms: int) -> float | None:
    """The open of the 1 h candle containing ``ts_ms`` (the price as the hour began)."""
    for candle in reversed(candles):
        if candle.open_time_ms <= ts_ms:
            return candle.open if ts_ms < candle.open_time_ms + HOUR_MS else None
    return None


def oi_trend_factor(
    open_interest: Sequence[OpenInterestPoint] | None, candles_1h: Sequence[Candle] | None
) -> Reading | None:
    """Open-interest change read with the price move over the same span.

    ``oi_change_pct`` from the first to the last point's ``base_qty`` (base units, so price
    does not inflate it); ``price_change_pct`` between the opens of the 1 h candles
    containing those two timestamps. ``x = tanh(price_change_pct / 1 %) * s`` with
    ``s = oi_change_pct / 5 %`` when OI rose and ``0.5 * |oi_change_pct| / 5 %`` when it
    fell; ``sub = 50 + 50 * tanh(x)``. So OI up + price up (new longs) is bullish, OI up +
    price down (new shorts) bearish, OI down + price up (short covering) mildly bullish,
    OI down + price down (long liquidation) mildly bearish.
    Without candles covering both timestamps the price direction is unknown and the
    reading is None (OI alone says nothing about direction).
    """
    if open_interest is None or len(open_interest) < 2 or not candles_1h:
        return None
    first, last = open_interest[0], open_interest[-1]
    if not (_finite(first.base_qty, last.base_qty) and first.base_qty > 0 and last.base_qty >= 0):
        return None
    if last.ts_ms <= first.ts_ms:
        return None
    p0, p1 = _price_at(candles_1h, first.ts_ms), _price_at(candles_1h, last.ts_ms)
    if p0 is None or p1 is None or not (_finite(p0, p1) and p0 > 0 and p1 > 0):
        return None
    oi_pct = (last.base_qty / first.base_qty - 1.0) * 100.0
    price_pct = (p1 / p0 - 1.0) * 100.0
    strength = (
        oi_pct / OI_SCALE_PCT if oi_pct >= 0 else -OI_DECLINE_STRENGTH * oi_pct / OI_SCALE_PCT
    )
    x = math.tanh(price_pct / OI_PRICE_SCALE_PCT) * strength
    sub = _bounded(x)
    if oi_pct == 0 or price_pct == 0:
        label = "no directional read"
    elif oi_pct > 0:
        label = "new longs" if price_pct > 0 else "new shorts"
    else:
        label = "short covering" if price_pct > 0 else "long liquidation"
    span_ms = last.ts_ms - first.ts_ms
    line = (
        f"open interest {signed_pct(oi_pct)} with price {signed_pct(price_pct)} "
        f"over {duration(span_ms)}: {label}, {lean(sub)}"
    )
    raw = {
        "oi_change_pct": oi_pct,
        "price_change_pct": price_pct,
        "span_ms": float(span_ms),
        "oi_start_base_qty": first.base_qty,
        "oi_end_base_qty": last.base_qty,
        "oi_x": x,
    }
    return _reading(sub, line, raw)


def social_factor(social_sentiment_pct: float | None) -> Reading | None:
    """Share of positive social posts, taken directly: ``sub = clamp(pct, 0, 100)``."""
    pct = social_sentiment_pct
    if pct is None or not _finite(pct):
        return None
    sub = min(100.0, max(0.0, pct))
    line = f"{pct:.1f} % of social posts positive: {lean(sub)} crowd mood"
    return _reading(sub, line, {"sentiment_pct": pct})


def _fear_greed_band(value: int) -> str:
    """Words for the index (wording only): <= 24 extreme fear, <= 44 fear, <= 55 neutral,
    <= 75 greed, else extreme greed."""
    for limit, band in ((24, "extreme fear"), (44, "fear"), (55, "neutral"), (75, "greed")):
        if value <= limit:
            return band
    return "extreme greed"


def fear_greed_factor(fear_greed: int | None) -> Reading | None:
    """Fear & Greed (0 extreme fear .. 100 extreme greed), contrarian: ``sub = 100 - value``
    (value clamped to 0..100). Extreme fear leans bullish, extreme greed bearish."""
    if fear_greed is None:
        return None
    value = min(100, max(0, fear_greed))
    sub = float(100 - value)
    line = f"Fear & Greed {fear_greed} ({_fear_greed_band(value)}): contrarian {lean(sub)}"
    return _reading(sub, line, {"fear_greed": float(fear_greed)})


@dataclass(frozen=True, slots=True)
class FactorSpec:
    """One row of the factor table. ``sources`` are names in ``quality.SOURCES``."""

    name: str
    weight: int  # of 100
    sources: tuple[str, ...]
    description: str
    needs: str  # what the reading needs, for the explanation when it is left out
    read: Callable[[SignalInputs], Reading | None]


FACTORS: tuple[FactorSpec, ...] = (
    FactorSpec("liquidations", 24, ("liquidations",), "Liquidated USD by side: shorts squeezed is bullish.",
               "a liquidation window with finite non-negative amounts",
               lambda i: liquidations_factor(i.liquidations)),
    FactorSpec("momentum", 20, ("klines",), "Price returns over 1 h, 4 h and 24 h, weighted.",
               f"at least {MOMENTUM_MIN_CANDLES} 1h candles with positive closes",
               lambda i: momentum_factor(i.candles_1h)),
    FactorSpec("funding", 18, ("funding",), "Funding rate against 0.01 %: the crowded side pays.",
               "a finite funding rate",
               lambda i: funding_factor(i.funding_rate)),
    FactorSpec("long_short_ratio", 12, ("long_short_ratio",), "All accounts' long/short ratio, contrarian.",
               "a positive long/short ratio",
               lambda i: long_short_ratio_factor(i.global_long_short_ratio)),
    FactorSpec("smart_money", 10, ("top_traders",), "Top traders' long/short position ratio, followed.",
               "a positive top-trader position ratio",
               lambda i: smart_money_factor(i.top_position_ratio)),
    FactorSpec("oi_trend", 8, ("open_interest", "klines"), "Open-interest change read with the price move.",
               "2+ open-interest points and 1h candles containing the first and last",
               lambda i: oi_trend_factor(i.open_interest, i.candles_1h)),
    FactorSpec("social", 5, ("social",), "Share of positive social posts.",
               "a finite social sentiment share",
               lambda i: social_factor(i.social_sentiment_pct)),
    FactorSpec("fear_greed", 3, ("fear_greed",), "Fear & Greed index, contrarian.",
               "a Fear & Greed value",
               lambda i: fear_greed_factor(i.fear_greed)),
)  # fmt: skip


def check_weights(factors: Sequence[FactorSpec] = FACTORS) -> None:
    """Raise ValueError unless the weights are positive, names unique and the sum exactly 100.

    The app calls it at start-up, so a bad edit of the table never serves a signal.
    """
    names = [f.name for f in factors]
    if len(set(names)) != len(names):
        raise ValueError(f"factor names repeat: {names}")
    bad = [f"{f.name}={f.weight}" for f in factors if f.weight <= 0]
    if bad:
        raise ValueError(f"factor weights must be positive: {', '.join(bad)}")
    total = sum(f.weight for f in factors)
    if total != 100:
        table = ", ".join(f"{f.name}={f.weight}" for f in factors)
        raise ValueError(f"factor weights sum to {total}, not 100: {table}")


__all__ = [
    "FACTORS",
    "FactorSpec",
    "Reading",
    "aggregate_liquidations",
    "check_weights",
    "fear_greed_factor",
    "funding_factor",
    "liquidations_factor",
    "long_short_ratio_factor",
    "momentum_factor",
    "oi_trend_factor",
    "smart_money_factor",
    "social_factor",
]
