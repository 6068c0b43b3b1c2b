"""From fetched data to the MSS's inputs: one ``Reading`` or ``Absent`` per criterion.

Each function takes what a source answered (or an ``Absent`` saying why it did not) and
returns the criterion's input. Nothing is filled in: a value the source did not send is
``Absent(NO_DATA)`` with the reason, and the criterion is left out of its phase.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import replace

from engine import discovery
from engine.domain import (
    CoinMarket,
    LongShortRatio,
    OpenInterestHistory,
    OrderBook,
    SocialCoin,
    Sourced,
    TakerVolume,
)
from engine.mss.criteria import WHALE_BUY_SHARE_PCT, WHALE_OI_CHANGE_PCT, WHALE_TOP_TRADER_RATIO
from engine.mss.score import Absent, CriterionState, Input, Reading

DAY_MS = 86_400_000
OI_WINDOW_MS = DAY_MS  # ``oi_change`` compares open interest this far apart
BUY_PRESSURE_WINDOW_MS = 3_600_000  # ``buy_pressure`` sums taker volume over the last hour


def no_data(reason: str) -> Absent:
    return Absent(CriterionState.NO_DATA, reason)


def _reading(value: float, meta: Sourced, stale: bool = False) -> Reading:
    return Reading(round(value, 6), meta.source, stale)


def fdv(market: CoinMarket | Absent) -> Input:
    if isinstance(market, Absent):
        return market
    fdv_usd = market.fully_diluted_valuation_usd
    if fdv_usd is None or fdv_usd <= 0:  # 0 is CoinGecko's "unknown", not a tiny coin
        return no_data("the aggregator gives no fully diluted valuation for this coin")
    return _reading(fdv_usd, market.meta)


def supply(market: CoinMarket | Absent) -> Input:
    """Circulating supply as a percent of the max supply, or of the total supply when the
    coin has no max (an uncapped coin's total is all that exists today)."""
    if isinstance(market, Absent):
        return market
    whole = market.max_supply or market.total_supply
    if market.circulating_supply is None or not whole:
        return no_data("the aggregator gives no circulating and max or total supply")
    return _reading(100.0 * market.circulating_supply / whole, market.meta)


def age(listed_ms: int | None, listing: Sourced, now_ms: int) -> Input:
    """Whole days since the futures listing (the venue's ``onboardDate``), as an age is
    told: 30 until the 31st day begins; the reading names the venue whose exchange info
    gave it."""
    if listed_ms is None:
        return no_data("the venue gives no listing date for this contract")
    return _reading(float(max(now_ms - listed_ms, 0) // DAY_MS), listing)


def social(coin: SocialCoin | Absent) -> Mapping[str, Input]:
    """The four LunarCrush criteria of the social phase."""
    if isinstance(coin, Absent):
        return dict.fromkeys(("galaxy_score", "alt_rank", "social_volume", "sentiment"), coin)
    values = {
        "galaxy_score": coin.galaxy_score,
        "alt_rank": None if coin.alt_rank is None else float(coin.alt_rank),
        "social_volume": coin.social_volume_24h,
        "sentiment": coin.sentiment_pct,
    }
    return {
        key: no_data(f"LunarCrush sent no {key.replace('_', ' ')}")
        if value is None
        else _reading(value, coin.meta)
        for key, value in values.items()
    }


def buy_share_pct(taker: TakerVolume, window_ms: int = BUY_PRESSURE_WINDOW_MS) -> float | None:
    """Taker buys as a percent of taker volume over the points of the last ``window_ms``
    (from the newest point's start); None without volume."""
    if not taker.points:
        return None
    since = taker.points[-1].ts_ms - window_ms
    recent = [p for p in taker.points if p.ts_ms > since]
    buy = sum(p.buy_volume for p in recent)
    sell = sum(p.sell_volume for p in recent)
    if buy < 0 or sell < 0 or buy + sell <= 0:
        return None
    return 100.0 * buy / (buy + sell)


def buy_pressure(taker: TakerVolume | Absent) -> Input:
    if isinstance(taker, Absent):
        return taker
    share = buy_share_pct(taker)
    if share is None:
        return no_data("no taker volume in the last hour")
    return _reading(share, taker.meta)


def oi_change(history: OpenInterestHistory | Absent, window_ms: int = OI_WINDOW_MS) -> Input:
    """Open interest change in percent from the point ``window_ms`` before the newest one
    (or the oldest point, if the history is shorter by at most one period) to the newest."""
    if isinstance(history, Absent):
        return history
    points = [p for p in history.points if p.base_qty > 0]
    if len(points) < 2:
        return no_data("fewer than 2 open interest points")
    last = points[-1]
    start = last.ts_ms - window_ms
    first = next((p for p in points if p.ts_ms >= start), points[0])
    # the series' own step (its smallest gap): a first point later than one step after the
    # window's start means the history does not reach back that far
    step = min(b.ts_ms - a.ts_ms for a, b in itertools.pairwise(points))
    if first is last or first.ts_ms - start >= step:
        return no_data("the open interest history does not reach back 24 hours")
    return _reading((last.base_qty / first.base_qty - 1.0) * 100.0, history.meta)


def top_traders(ratio: LongShortRatio | Absent) -> Input:
    """The newest top-trader long/short position ratio."""
    if isinstance(ratio, Absent):
        return ratio
    if not ratio.points or not ratio.points[-1].long_short_ratio > 0:
        return no_data("no top-trader long/short ratio")
    return _reading(ratio.points[-1].long_short_ratio, ratio.meta)


_WORST = (CriterionState.FAILED, CriterionState.NOT_CONFIGURED, CriterionState.NO_DATA)


def whales(oi: Input, top: Input, buys: Input) -> Input:
    """How many of the three whale signs are present; it needs all three readings (a count
    over fewer would read a missing sign as an absent one). Without one, the absence of the
    worst missing input (FAILED before NOT_CONFIGURED before NO_DATA), with its reason."""
    missing = [r for r in (oi, top, buys) if isinstance(r, Absent)]
    if missing:
        worst = min(missing, key=lambda a: _WORST.index(a.state))
        reason = f"needs open interest, the top-trader ratio and taker volume: {worst.reason}"
        return replace(worst, reason=reason)
    assert isinstance(oi, Reading) and isinstance(top, Reading) and isinstance(buys, Reading)
    signs = (
        oi.value >= WHALE_OI_CHANGE_PCT,
        top.value >= WHALE_TOP_TRADER_RATIO,
        buys.value >= WHALE_BUY_SHARE_PCT,
    )
    readings = (oi, top, buys)
    sources = sorted({r.source for r in readings})
    return Reading(float(sum(signs)), ", ".join(sources), any(r.stale for r in readings))


def walls(book: OrderBook | Absent) -> Input:
    """Bid walls against ask walls, -1..1, walls as the scalping layer finds them (a level
    over 5x its side's average size); 0 when the book has none."""
    if isinstance(book, Absent):
        return book
    value, reason = discovery.walls_read(book)
    if value is None:
        return no_data(reason)
    return _reading(value, book.meta)


__all__ = [
    "BUY_PRESSURE_WINDOW_MS",
    "DAY_MS",
    "OI_WINDOW_MS",
    "age",
    "buy_pressure",
    "buy_share_pct",
    "fdv",
    "no_data",
    "oi_change",
    "social",
    "supply",
    "top_traders",
    "walls",
    "whales",
]
