"""Recorded market data shaped as the inputs of the scalping rules (engine.scalping) and the
smart-money score (engine.discovery), with small searches over it: "the first 5 m window
whose taker buy share is above 60 %", "the first recorded book whose bids outweigh its asks".

Every number comes from ``providers/replay/data`` (PROVENANCE.md grades each file). The
``*.doc-example.json`` files are the vendors' documentation examples: recorded vendor files
whose numbers are illustrative, used where no real recording exists (long/short ratios,
open-interest history, Binance's taker long/short ratio). A search that finds nothing raises
``LookupError`` naming what it looked for, so a test never falls back to a typed number.
Where no recording reaches a rule's branch, the test derives the input from a recorded one
in plain sight (scaled, mirrored, zeroed) and says so next to it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from typing import Any, TypeVar

from pydantic import TypeAdapter

from engine import indicators
from engine import orderbook as book_math
from engine.domain import (
    Candle,
    CoinMarket,
    LongShortPoint,
    LongShortRatio,
    OpenInterestHistory,
    OrderBook,
    PerpPosition,
    RatioKind,
    Sourced,
    TakerVolume,
    TakerVolumePoint,
    Trade,
)
from engine.scalping_inputs import (
    RANGE_CANDLES,
    PriceSnapshot,
    TakerFlow,
    TradeFlow,
    largest_trades,
    price_snapshot,
    taker_flow,
    trade_flow,
)
from engine.signal.liquidations import aggregate_liquidations
from engine.signal.model import LiquidationWindow
from providers.binance.models import (
    LONG_SHORT_RATIOS,
    OPEN_INTEREST_HIST,
    PREMIUM_INDEX,
    TAKER_VOLUMES,
    AggTrade,
    DepthPayload,
)
from providers.coingecko.models import MARKETS
from providers.coinglass.models import (
    GLOBAL_ACCOUNT_RATIOS,
    TOP_ACCOUNT_RATIOS,
    TOP_POSITION_RATIOS,
)
from providers.hyperliquid.models import ClearinghouseState
from providers.lunarcrush.models import TopicData
from tests.engine.signal.recorded import DATA, candles_5m_verbatim, liquidations

T = TypeVar("T")
META = Sourced("recorded", 0)
BINANCE = DATA / "binance-futures"
DOCS = BINANCE / "doc-examples"


def _json(relative: str) -> Any:
    return json.loads((DATA / relative).read_text())


def first(items: Iterable[T], matches: Callable[[T], bool], what: str) -> T:
    """The first item that ``matches``; ``LookupError("no recorded <what>")`` when none does."""
    for item in items:
        if matches(item):
            return item
    raise LookupError(f"no recorded {what}")


# -- order books: Binance depth, 2021-07-22 ------------------------------------------------------

DEPTH_SYMBOLS = ("AKROUSDT", "CTKUSDT", "KEEPUSDT", "SUSHIUSDT")
DEPTH_LEVELS = (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000)  # the venue's limit choices


@cache
def _depth(symbol: str) -> DepthPayload:
    return DepthPayload.model_validate(
        _json(f"binance-futures/depth-{symbol}-limit1000-2021-07-22.json")
    )


def depth_book(symbol: str, levels: int) -> OrderBook:
    """The recorded book of ``symbol`` cut to its best ``levels`` a side."""
    body = _depth(symbol)
    return OrderBook(
        symbol,
        tuple(x.to_domain() for x in body.bids[:levels]),
        tuple(x.to_domain() for x in body.asks[:levels]),
        META,
    )


def depth_books() -> Iterator[OrderBook]:
    """Every recorded book at every depth Binance serves, shallow first."""
    for levels in DEPTH_LEVELS:
        for symbol in DEPTH_SYMBOLS:
            yield depth_book(symbol, levels)


def book_where(matches: Callable[[float], bool], what: str) -> OrderBook:
    """The first recorded book (``depth_books`` order) whose imbalance ``matches``."""

    def imbalance_matches(book: OrderBook) -> bool:
        x = book_math.imbalance(book)
        return x is not None and matches(x)

    return first(depth_books(), imbalance_matches, f"book with {what}")


# -- WebSocket frames: SUSHI/AKRO/KEEP/CTK USDT, 2021-07-22 22:25:41 .. 22:26:11 ------------------


@cache
def _ws_events() -> tuple[dict[str, Any], ...]:
    path = BINANCE / "ws/fstream-combined-SUSHI-AKRO-KEEP-CTK-2021-07-22.jsonl"
    lines = path.read_text().splitlines()
    return tuple(json.loads(json.loads(line)["raw"])["data"] for line in lines if line)


def agg_trades(symbol: str) -> tuple[Trade, ...]:
    """The recorded aggregate trades of ``symbol``, oldest first (about 30 s of them)."""
    return tuple(
        AggTrade.model_validate(e).to_domain()
        for e in _ws_events()
        if e["e"] == "aggTrade" and e["s"] == symbol
    )


def largest_trade_flows() -> Iterator[tuple[str, int, TradeFlow]]:
    """(symbol, n, flow of its n largest recorded trades) for every n, smallest n first."""
    for symbol in DEPTH_SYMBOLS:
        trades = agg_trades(symbol)
        for n in range(1, len(trades) + 1):
            yield symbol, n, trade_flow(largest_trades(trades, n))


def ws_candles_1m(symbol: str) -> tuple[Candle, ...]:
    """The recorded 1 m klines of ``symbol`` (the last frame of each candle; the newest is
    still open), oldest first."""
    newest: dict[int, dict[str, Any]] = {}
    for e in _ws_events():
        if e["e"] == "kline" and e["s"] == symbol:
            newest[e["k"]["t"]] = e["k"]
    return tuple(
        Candle(
            k["t"],
            float(k["o"]),
            float(k["h"]),
            float(k["l"]),
            float(k["c"]),
            float(k["v"]),
            k["T"],
            float(k["q"]),
            k["n"],
            float(k["V"]),
        )
        for _, k in sorted(newest.items())
    )


# -- candles and what the scalping layers read of them ------------------------------------------


@cache
def candles_1m(symbol: str = "BTCUSDT") -> tuple[Candle, ...]:
    """The derived 1 m OHLCV of ``symbol`` (freqtrade feather, 14 days), oldest first."""
    rows = _json(f"binance-futures/ohlcv/ohlcv-{symbol}-1m.json")
    return tuple(
        Candle(int(r[0]), r[1], r[2], r[3], r[4], r[5], None, None, None, None) for r in rows
    )


@cache
def rsi_readings() -> tuple[float, ...]:
    """The 14-period RSI after every recorded BTCUSDT 1 m candle (5.4 .. 94.3)."""
    series = indicators.rsi_series(indicators.Series.from_candles(candles_1m()))
    return tuple(x for x in series if x is not None)


def rsi_between(low: float, high: float) -> float:
    """The first recorded RSI strictly between ``low`` and ``high``."""
    return first(rsi_readings(), lambda x: low < x < high, f"RSI between {low} and {high}")


TAKER_WINDOWS = (RANGE_CANDLES, 12, 3, 1)  # 5 m candles: the default span, an hour, 15 min, one


def taker_share(flow: TakerFlow) -> float:
    """(taker buy - taker sell) / volume: the volume-delta layer's share."""
    return flow.delta_base / flow.volume_base


def taker_flow_where(matches: Callable[[float], bool], what: str) -> TakerFlow:
    """The first window of the verbatim BTCUSDT 5 m klines (``TAKER_WINDOWS`` candles, oldest
    first) whose ``taker_share`` matches."""
    candles = candles_5m_verbatim()

    def flows() -> Iterator[TakerFlow]:
        for last in TAKER_WINDOWS:
            for end in range(last, len(candles) + 1):
                flow = taker_flow(candles[:end], last)
                if flow is not None:
                    yield flow

    return first(flows(), lambda f: matches(taker_share(f)), f"5m taker window with {what}")


def vwap_distance_pct(p: PriceSnapshot) -> float:
    """Price from VWAP in percent, as the price layer reads it."""
    assert p.vwap is not None
    return (p.price / p.vwap - 1.0) * 100.0


def price_snapshot_where(matches: Callable[[float], bool], what: str) -> PriceSnapshot:
    """The first ``RANGE_CANDLES`` window of the verbatim BTCUSDT 5 m klines whose price sits
    where ``matches`` (percent from its VWAP) says."""
    candles = candles_5m_verbatim()
    windows = (
        price_snapshot(candles[end - RANGE_CANDLES : end])
        for end in range(RANGE_CANDLES, len(candles) + 1)
    )
    return first(
        (p for p in windows if p is not None and p.vwap is not None),
        lambda p: matches(vwap_distance_pct(p)),
        f"5m window with the price {what}",
    )


def kline_taker_volume(candles: Iterable[Candle], symbol: str = "BTCUSDT") -> TakerVolume:
    """Klines as Binance's taker buy/sell volume periods: buy = the kline's taker buy base
    volume, sell = its volume minus that."""
    points = []
    for c in candles:
        assert c.taker_buy_base_volume is not None
        buy, sell = c.taker_buy_base_volume, c.volume - c.taker_buy_base_volume
        points.append(TakerVolumePoint(c.open_time_ms, buy, sell, buy / sell))
    return TakerVolume(symbol, "5m", tuple(points), META)


def kline_taker_share(c: Candle) -> float:
    """Taker buy share of one kline's volume (0..1)."""
    assert c.taker_buy_base_volume is not None
    return c.taker_buy_base_volume / c.volume


# -- liquidations: Binance forceOrder, 2025-10-22 09:36 .. 09:43 ----------------------------------


def liquidated_symbols() -> tuple[str, ...]:
    """Symbols with a recorded liquidation, in order of their first one."""
    return tuple(dict.fromkeys(e.symbol for e in liquidations()))


def liquidation_window(symbol: str) -> LiquidationWindow:
    """``symbol``'s liquidations over the whole recording (its first to last event)."""
    events = liquidations()
    start = min(e.ts_ms for e in events)
    end = max(e.ts_ms for e in events)
    return aggregate_liquidations([e for e in events if e.symbol == symbol], end, end - start + 1)


def liquidation_window_where(
    matches: Callable[[LiquidationWindow], bool], what: str
) -> LiquidationWindow:
    return first(
        (liquidation_window(s) for s in liquidated_symbols()), matches, f"symbol with {what}"
    )


# -- funding -----------------------------------------------------------------------------------


@cache
def funding_rates() -> tuple[tuple[str, float], ...]:
    """(where, rate): Binance's last funding rate of each symbol in the 2025-06-17 premium
    index, then BTCUSDT's funding history 2024-07-19 .. 2025-06-17."""
    index = PREMIUM_INDEX.validate_python(_json("binance-futures/premiumIndex-all-2025-06-17.json"))
    rates = [
        (p.symbol, p.last_funding_rate)
        for p in (row.to_domain(Sourced("recorded", 0)) for row in index)
        if p.last_funding_rate is not None
    ]
    path = BINANCE / "ohlcv/fundingRate-BTCUSDT-2024-07_2025-06.derived.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rates += [
            (f"BTCUSDT {r['fundingTime']}", float(r["fundingRate"])) for r in csv.DictReader(f)
        ]
    return tuple(rates)


def funding_where(matches: Callable[[float], bool], what: str) -> tuple[str, float]:
    return first(funding_rates(), lambda x: matches(x[1]), f"funding rate {what}")


# -- long/short ratios (documentation examples: no real recording exists) -----------------------


def _binance_ratios(name: str) -> tuple[LongShortPoint, ...]:
    rows = LONG_SHORT_RATIOS.validate_python(
        json.loads((DOCS / f"{name}.doc-example.json").read_text())
    )
    return tuple(r.to_domain() for r in rows)


def _coinglass_ratios(name: str, rows: TypeAdapter[Any]) -> tuple[LongShortPoint, ...]:
    data = _json(f"coinglass/{name}_history.doc-example.json")["data"]
    return tuple(r.to_domain() for r in rows.validate_python(data))


def _okx_ratios(name: str) -> tuple[LongShortPoint, ...]:
    rows = _json(f"okx/{name}.doc-example.json")["data"]  # newest first
    return tuple(LongShortPoint(int(ts), float(r), None, None) for ts, r in reversed(rows))


@cache
def long_short_series() -> tuple[LongShortRatio, ...]:
    """Every recorded long/short series, oldest point first; ``symbol`` names the file."""
    top, acc, all_ = RatioKind.TOP_POSITIONS, RatioKind.TOP_ACCOUNTS, RatioKind.GLOBAL_ACCOUNTS
    files = [
        ("binance topLongShortPositionRatio", top, _binance_ratios("topLongShortPositionRatio")),
        (
            "coinglass top-long-short-position-ratio",
            top,
            _coinglass_ratios("top-long-short-position-ratio", TOP_POSITION_RATIOS),
        ),
        ("binance topLongShortAccountRatio", acc, _binance_ratios("topLongShortAccountRatio")),
        (
            "coinglass top-long-short-account-ratio",
            acc,
            _coinglass_ratios("top-long-short-account-ratio", TOP_ACCOUNT_RATIOS),
        ),
        (
            "binance globalLongShortAccountRatio",
            all_,
            _binance_ratios("globalLongShortAccountRatio"),
        ),
        (
            "coinglass global-long-short-account-ratio",
            all_,
            _coinglass_ratios("global-long-short-account-ratio", GLOBAL_ACCOUNT_RATIOS),
        ),
        ("okx rubik long-short-account-ratio", all_, _okx_ratios("rubik-long-short-account-ratio")),
        (
            "okx rubik long-short-account-ratio-contract",
            all_,
            _okx_ratios("rubik-long-short-account-ratio-contract"),
        ),
    ]
    return tuple(LongShortRatio(name, kind, "doc", points, META) for name, kind, points in files)


def ratio_series(source: str) -> LongShortRatio:
    return first(long_short_series(), lambda s: s.symbol == source, f"ratio series {source}")


def ratio_where(
    matches: Callable[[float], bool], what: str, prefer: RatioKind
) -> tuple[str, float]:
    """(source, ratio): the first recorded long/short ratio that ``matches``, searching the
    series of kind ``prefer`` first, then every other kind (all read by the same rule)."""
    ordered = sorted(long_short_series(), key=lambda s: s.kind is not prefer)
    ratios = ((s.symbol, p.long_short_ratio) for s in ordered for p in s.points)
    return first(ratios, lambda x: matches(x[1]), f"long/short ratio {what}")


def series_where(matches: Callable[[LongShortRatio], bool], what: str) -> LongShortRatio:
    return first(long_short_series(), matches, f"long/short series {what}")


# -- open interest and taker volume history (documentation examples) --------------------------


def open_interest_doc() -> OpenInterestHistory:
    """Binance's ``openInterestHist`` documentation example (2 points, oldest first)."""
    rows = OPEN_INTEREST_HIST.validate_python(
        json.loads((DOCS / "openInterestHist.doc-example.json").read_text())
    )
    return OpenInterestHistory("BTCUSDT", "5m", tuple(r.to_domain() for r in rows), META)


def taker_volume_doc() -> TakerVolume:
    """Binance's ``takerlongshortRatio`` documentation example (base volumes)."""
    rows = TAKER_VOLUMES.validate_python(
        json.loads((DOCS / "takerlongshortRatio.doc-example.json").read_text())
    )
    return TakerVolume("BTCUSDT", "5m", tuple(r.to_domain() for r in rows), META)


def taker_volume_coinglass() -> TakerVolume:
    """Coinglass's aggregated taker buy/sell volume documentation example (USD volumes)."""
    rows = _json("coinglass/aggregated-taker-buy-sell-volume_history.doc-example.json")["data"]
    points = tuple(
        TakerVolumePoint(
            r["time"],
            r["aggregated_buy_volume_usd"],
            r["aggregated_sell_volume_usd"],
            r["aggregated_buy_volume_usd"] / r["aggregated_sell_volume_usd"],
        )
        for r in rows
    )
    return TakerVolume("BTC", "1h", points, META)


# -- positions, sentiment, coins --------------------------------------------------------------


@cache
def whale_positions() -> tuple[PerpPosition, ...]:
    """The open positions of the recorded Hyperliquid account (2023-03-27)."""
    state = ClearinghouseState.model_validate(
        _json("hyperliquid/clearinghouseState-2023-03-27.json")
    )
    return tuple(p.position.to_domain() for p in state.assetPositions)


def social_placeholder() -> TopicData:
    """LunarCrush's own neutral stand-in topic data (doc-example: 1 positive, 1 neutral and 1
    negative tweet); the only recorded sentiment counts."""
    return TopicData.model_validate(_json("lunarcrush/topic-v1-data-placeholder.doc-example.json"))


@cache
def coin_markets() -> tuple[CoinMarket, ...]:
    """CoinGecko's recorded top-250 market page (2026-03-20), rank order."""
    rows = MARKETS.validate_python(_json("coingecko/coins-markets-250-2026-03-20.json"))
    return tuple(r.to_domain(Sourced("recorded", 0)) for r in rows)


__all__ = [
    "DEPTH_LEVELS",
    "DEPTH_SYMBOLS",
    "META",
    "TAKER_WINDOWS",
    "agg_trades",
    "book_where",
    "candles_1m",
    "coin_markets",
    "depth_book",
    "depth_books",
    "first",
    "funding_rates",
    "funding_where",
    "kline_taker_share",
    "kline_taker_volume",
    "largest_trade_flows",
    "liquidated_symbols",
    "liquidation_window",
    "liquidation_window_where",
    "long_short_series",
    "open_interest_doc",
    "price_snapshot_where",
    "ratio_series",
    "ratio_where",
    "rsi_between",
    "rsi_readings",
    "series_where",
    "social_placeholder",
    "taker_flow_where",
    "taker_share",
    "taker_volume_coinglass",
    "taker_volume_doc",
    "vwap_distance_pct",
    "whale_positions",
    "ws_candles_1m",
]
