"""Recorded data shaped as the MSS's inputs (``engine.mss.inputs``), with searches over it.

Every number comes from ``providers/replay/data`` (its PROVENANCE.md grades each file): the
CoinGecko top-250 markets page (2026-03-20), Binance's mainnet exchangeInfo of 2024-10-20
(every symbol with its ``onboardDate``), LunarCrush v4's ``coins/list/v2`` row for BTC
(2025-07-23), Binance depth books (2021-07-22), and Coinglass v4's 4 h histories for
Binance BTCUSDT (1,080 bars, 2024-11-14 to 2025-05-13; real values, derived files). A
search that finds nothing raises ``LookupError``, so no test falls back to a typed number.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from engine.domain import (
    ListedContract,
    LongShortPoint,
    LongShortRatio,
    OpenInterestHistory,
    OpenInterestPoint,
    RatioKind,
    SocialCoin,
    Sourced,
    TakerVolume,
    TakerVolumePoint,
)
from providers.binance.models import ExchangeInfoPayload
from providers.lunarcrush.models import CoinsListResponse
from tests.engine.recorded_inputs import first
from tests.support import RECORDED

COINGLASS = "coinglass/{}-2025-05-13.derived.json"
FOUR_HOURS_MS = 4 * 3_600_000
BARS_PER_DAY = 6


def _json(relative: str) -> Any:
    return json.loads((RECORDED / relative).read_text())


def meta(provider: str) -> Sourced:
    return Sourced(provider, 0, "recorded")


@cache
def exchange_info() -> tuple[int, tuple[ListedContract, ...]]:
    """(the body's ``serverTime``, every contract) of Binance's 2024-10-20 exchangeInfo."""
    body = ExchangeInfoPayload.model_validate(_json("binance-futures/exchangeInfo-2024-10-20.json"))
    return body.serverTime, tuple(s.to_domain() for s in body.symbols)


def listing(matches: Callable[[float], bool], what: str) -> tuple[ListedContract, int]:
    """(the first contract whose age in whole days at the body's ``serverTime``
    ``matches``, that time)."""
    now, contracts = exchange_info()
    found = first(
        (c for c in contracts if c.onboard_ms is not None),
        lambda c: matches((now - (c.onboard_ms or 0)) // 86_400_000),
        what,
    )
    return found, now


@cache
def lunarcrush_btc() -> SocialCoin:
    body = _json("lunarcrush/coins-list-v2-symbols-BTC-limit1-2025-07-23.json")
    (coin,) = CoinsListResponse.model_validate(body).to_domain(meta("lunarcrush"))
    return coin


@cache
def top_positions() -> LongShortRatio:
    rows = _json(COINGLASS.format("top-long-short-position-ratio_history-Binance-BTCUSDT-4h"))
    points = tuple(
        LongShortPoint(
            r["time"],
            r["top_position_long_short_ratio"],
            r["top_position_long_percent"] / 100,
            r["top_position_short_percent"] / 100,
        )
        for r in rows
    )
    return LongShortRatio("BTCUSDT", RatioKind.TOP_POSITIONS, "4h", points, meta("coinglass"))


def top_positions_where(matches: Callable[[float], bool], what: str) -> LongShortRatio:
    """The recorded series cut after its first bar whose ratio ``matches``."""
    series = top_positions()
    for i, point in enumerate(series.points):
        if matches(point.long_short_ratio):
            return LongShortRatio(
                series.symbol, series.kind, series.period, series.points[: i + 1], series.meta
            )
    raise LookupError(f"no recorded {what}")


@cache
def open_interest() -> OpenInterestHistory:
    """Binance BTC open interest (coin-margined, in coins) at each 4 h bar's close."""
    rows = _json(COINGLASS.format("open-interest_aggregated-coin-margin-history-BTC-Binance-4h"))
    points = tuple(OpenInterestPoint(r["time"], float(r["close"]), None) for r in rows)
    return OpenInterestHistory("BTCUSDT", "4h", points, meta("coinglass"))


def open_interest_days() -> Iterator[OpenInterestHistory]:
    """Every 24 h stretch of the recorded series (7 bars: 6 periods apart), oldest first."""
    series = open_interest()
    for start in range(len(series.points) - BARS_PER_DAY):
        cut = series.points[start : start + BARS_PER_DAY + 1]
        yield OpenInterestHistory(series.symbol, series.period, cut, series.meta)


def oi_day_where(
    change: Callable[[OpenInterestHistory], float | None],
    matches: Callable[[float], bool],
    what: str,
) -> OpenInterestHistory:
    return first(
        open_interest_days(),
        lambda h: (value := change(h)) is not None and matches(value),
        what,
    )


@cache
def taker_volume() -> TakerVolume:
    """Binance BTCUSDT taker buy and sell volume (USD) per 4 h bar."""
    rows = _json(COINGLASS.format("taker-buy-sell-volume_history-Binance-BTCUSDT-4h"))
    points = []
    for r in rows:
        buy, sell = float(r["taker_buy_volume_usd"]), float(r["taker_sell_volume_usd"])
        points.append(TakerVolumePoint(r["time"], buy, sell, buy / sell if sell else 0.0))
    return TakerVolume("BTCUSDT", "4h", tuple(points), meta("coinglass"))


def taker_bar_where(matches: Callable[[float], bool], what: str) -> TakerVolume:
    """The recorded series cut after its first bar whose buy share (%) ``matches``."""
    series = taker_volume()
    for i, p in enumerate(series.points):
        total = p.buy_volume + p.sell_volume
        if total > 0 and matches(100 * p.buy_volume / total):
            return TakerVolume(series.symbol, series.period, series.points[: i + 1], series.meta)
    raise LookupError(f"no recorded {what}")
