"""Binance USD-M futures venue facts, in one frozen table.

Sources: Binance USDⓈ-M Futures REST docs (Kline/Candlestick Data, Order Book, Mark Price,
Symbol Price Ticker V2, 24hr Ticker, Get Funding Rate History, Open Interest Statistics,
Long/Short Ratio, Taker Buy/Sell Volume, Compressed/Aggregate Trades List) and the
recorded bodies in ``shared/data/recorded/binance-futures``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Unpack

from engine.domain import RatioKind
from providers.http import HostPolicy, HostTuning
from providers.venue_table import LimitRange, interval_table


@dataclass(frozen=True, slots=True)
class BinanceVenue:
    provider: str
    default_base_url: str
    used_weight_header: str
    weight_limit_1m: int  # REQUEST_WEIGHT per minute per IP (exchangeInfo.rateLimits)
    invalid_symbol_code: int  # error body {"code": -1121, "msg": "Invalid symbol."}
    perpetual_contract_types: frozenset[str]
    perp_symbol_format: str  # "BTCUSDT"
    delivery_symbol_format: str  # "BTCUSDT_250627"
    kline_interval_ms: MappingProxyType[str, int]
    stats_periods: tuple[str, ...]  # /futures/data/* periods
    ratio_paths: MappingProxyType[RatioKind, str]
    kline_limit: LimitRange
    depth_limits: MappingProxyType[int, int]  # accepted limit -> request weight
    depth_default_limit: int
    agg_trades_limit: LimitRange
    funding_limit: LimitRange
    stats_limit: LimitRange
    kline_weight_tiers: tuple[tuple[int, int], ...]  # (limit upper bound inclusive, weight)
    kline_weight_above: int  # weight above the last tier
    weights: MappingProxyType[str, int]  # fixed weights, keyed by endpoint path (+ variant)
    separate_limits: MappingProxyType[str, str]  # endpoints limited outside the weight budget


VENUE = BinanceVenue(
    provider="binance",
    default_base_url="https://fapi.binance.com",
    used_weight_header="X-MBX-USED-WEIGHT-1M",
    weight_limit_1m=2400,
    invalid_symbol_code=-1121,
    perpetual_contract_types=frozenset({"PERPETUAL", "TRADIFI_PERPETUAL"}),
    perp_symbol_format="{base}{quote}",
    delivery_symbol_format="{base}{quote}_{yymmdd}",
    # "1M" (calendar month) is left out: it has no fixed length in ms.
    kline_interval_ms=interval_table(
        "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w"
    ),
    stats_periods=("5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d"),
    ratio_paths=MappingProxyType(
        {
            RatioKind.GLOBAL_ACCOUNTS: "/futures/data/globalLongShortAccountRatio",
            RatioKind.TOP_ACCOUNTS: "/futures/data/topLongShortAccountRatio",
            RatioKind.TOP_POSITIONS: "/futures/data/topLongShortPositionRatio",
        }
    ),
    kline_limit=LimitRange(low=1, high=1500, default=500),
    depth_limits=MappingProxyType({5: 2, 10: 2, 20: 2, 50: 2, 100: 5, 500: 10, 1000: 20}),
    depth_default_limit=500,
    agg_trades_limit=LimitRange(low=1, high=1000, default=500),
    funding_limit=LimitRange(low=1, high=1000, default=100),
    stats_limit=LimitRange(low=1, high=500, default=30),
    kline_weight_tiers=((99, 1), (499, 2), (1000, 5)),
    kline_weight_above=10,
    weights=MappingProxyType(
        {
            "/fapi/v1/exchangeInfo": 1,
            "/fapi/v2/ticker/price": 1,
            "/fapi/v2/ticker/price:all": 2,
            "/fapi/v1/ticker/24hr": 1,
            "/fapi/v1/ticker/24hr:all": 40,
            "/fapi/v1/premiumIndex": 1,
            "/fapi/v1/premiumIndex:all": 10,
            "/fapi/v1/openInterest": 1,
            "/fapi/v1/aggTrades": 20,
            # Not charged to REQUEST_WEIGHT; limited separately (see separate_limits).
            "/fapi/v1/fundingRate": 0,
            "/futures/data/openInterestHist": 0,
            "/futures/data/globalLongShortAccountRatio": 0,
            "/futures/data/topLongShortAccountRatio": 0,
            "/futures/data/topLongShortPositionRatio": 0,
            "/futures/data/takerlongshortRatio": 0,
        }
    ),
    separate_limits=MappingProxyType(
        {
            "/fapi/v1/fundingRate": "500 requests / 5 min / IP, shared with /fapi/v1/fundingInfo",
            "/futures/data/*": "1000 requests / 5 min / IP; only the latest 30 days",
        }
    ),
)


def kline_weight(limit: int) -> int:
    """Request weight of ``GET /fapi/v1/klines`` for ``limit`` rows."""
    for upper, weight in VENUE.kline_weight_tiers:
        if limit <= upper:
            return weight
    return VENUE.kline_weight_above


def depth_weight(limit: int) -> int:
    """Request weight of ``GET /fapi/v1/depth`` for an accepted ``limit``."""
    check_depth_limit(limit)
    return VENUE.depth_limits[limit]


def weight(path: str, *, all_symbols: bool = False) -> int:
    """Fixed request weight of ``path``; ``all_symbols`` for the no-symbol variant."""
    key = f"{path}:all" if all_symbols else path
    return VENUE.weights[key]


def perp_symbol(base: str, quote: str = "USDT") -> str:
    """Binance perpetual symbol for a base/quote pair, e.g. ``("BTC", "USDT") -> "BTCUSDT"``."""
    if not base or not quote:
        raise ValueError("base and quote must be non-empty")
    return VENUE.perp_symbol_format.format(base=base.upper(), quote=quote.upper())


# -- argument checks (defence in depth: the API layer validates first) ---------------------


def check_symbol(symbol: str) -> None:
    if not symbol or symbol != symbol.strip() or any(c.isspace() for c in symbol):
        raise ValueError(f"invalid Binance symbol {symbol!r}: expected e.g. 'BTCUSDT'")


def check_interval(interval: str) -> None:
    if interval not in VENUE.kline_interval_ms:
        accepted = ", ".join(VENUE.kline_interval_ms)
        raise ValueError(f"unsupported kline interval {interval!r}; accepted: {accepted}")


def check_period(period: str) -> None:
    if period not in VENUE.stats_periods:
        accepted = ", ".join(VENUE.stats_periods)
        raise ValueError(f"unsupported period {period!r}; accepted: {accepted}")


def check_depth_limit(limit: int) -> None:
    if isinstance(limit, bool) or limit not in VENUE.depth_limits:
        accepted = ", ".join(str(n) for n in VENUE.depth_limits)
        raise ValueError(f"unsupported depth limit {limit!r}; accepted: {accepted}")


# -- HTTP policy -----------------------------------------------------------------------------


def not_served(status: int, body: Any) -> bool:
    """True for Binance's answer to an unknown symbol: HTTP 400 with code -1121."""
    return (
        status == 400 and isinstance(body, dict) and body.get("code") == VENUE.invalid_symbol_code
    )


def host_policy(*, weight_safety_margin: float = 0.1, **tuning: Unpack[HostTuning]) -> HostPolicy:
    """Binance's ``HostPolicy``: venue facts filled in, timeouts and retries from settings.

    ``weight_safety_margin`` is the fraction of the 2400/min request-weight limit kept in
    reserve (0.1 -> calls stop at 2160), leaving room for other clients on the same IP.
    """
    if not 0.0 <= weight_safety_margin < 1.0:
        raise ValueError("weight_safety_margin must be in [0, 1)")
    return HostPolicy(
        provider=VENUE.provider,
        used_weight_header=VENUE.used_weight_header,
        weight_limit_1m=int(VENUE.weight_limit_1m * (1.0 - weight_safety_margin)),
        not_served=not_served,
        **tuning,
    )


__all__ = [
    "VENUE",
    "BinanceVenue",
    "LimitRange",
    "check_depth_limit",
    "check_interval",
    "check_period",
    "check_symbol",
    "depth_weight",
    "host_policy",
    "kline_weight",
    "not_served",
    "perp_symbol",
    "weight",
]
