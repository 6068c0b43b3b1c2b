"""Discovery: the futures universe (filter, sort, cursors), new listings, coin screens and
the smart-money accumulation / distribution score. Pure: ``now`` and all data passed in.

Universe order is total: every sort key ends with the venue symbol, and rows missing the
sorted value (no quote volume, no funding rate...) come after every row that has it. A
cursor is the sort key of the last row of a page, so the next page is "every row whose key
is greater", which returns each row exactly once for one snapshot of the data. When the
data changes between pages, a row whose value crossed the cursor's position is skipped or
seen twice; nothing fails.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from engine import orderbook
from engine.domain import (
    CoinMarket,
    ListedContract,
    LongShortRatio,
    OpenInterestHistory,
    OrderBook,
    TakerVolume,
    Ticker24h,
)
from engine.symbols import SymbolRef, SymbolRegistry

DAY_MS = 86_400_000
# quote currencies whose quote volume is read as USD (stablecoins at about 1 USD)
USD_QUOTES = frozenset({"USDT", "USDC", "BUSD", "USD"})

# -- universe ---------------------------------------------------------------------------------


class UniverseSort(Enum):
    QUOTE_VOLUME_DESC = "QUOTE_VOLUME_DESC"
    GAINERS = "GAINERS"  # 24 h change, highest first
    LOSERS = "LOSERS"  # 24 h change, lowest first
    FUNDING_HIGH = "FUNDING_HIGH"
    FUNDING_LOW = "FUNDING_LOW"

    @property
    def needs_funding(self) -> bool:
        return self in (UniverseSort.FUNDING_HIGH, UniverseSort.FUNDING_LOW)


@dataclass(frozen=True, slots=True)
class UniverseFilter:
    """Bounds are inclusive; a row without the bounded value fails that bound. Changes in
    percent, funding rates as fractions, volumes in USD."""

    min_quote_volume_usd: float | None = None
    min_change_pct: float | None = None
    max_change_pct: float | None = None
    quote: str | None = None
    min_funding_rate: float | None = None
    max_funding_rate: float | None = None

    @property
    def needs_funding(self) -> bool:
        return self.min_funding_rate is not None or self.max_funding_rate is not None


@dataclass(frozen=True, slots=True)
class UniverseRow:
    contract: ListedContract
    ticker: Ticker24h
    funding_rate: float | None = None  # a fraction; None when not fetched or not sent


SortKey = tuple[int, float, str]  # (0 has the value / 1 lacks it, ordered value, symbol)


class InvalidCursor(ValueError):
    """A cursor this sort did not produce."""


def contract_ref(c: ListedContract) -> SymbolRef | None:
    """The ``SymbolRef`` of exactly this Binance contract (None unless TRADING), built as
    the Binance registry builds it; per contract, because two contracts may share an asset
    (``BOBUSDT`` and ``1000000BOBUSDT``)."""
    return SymbolRegistry.from_binance((c,)).find(c.venue_symbol)


def quote_volume_usd(row: UniverseRow) -> float | None:
    """24 h quote volume when the quote is a USD stablecoin, else None."""
    return row.ticker.quote_volume if row.contract.quote in USD_QUOTES else None


def _within(value: float | None, low: float | None, high: float | None) -> bool:
    if low is None and high is None:
        return True
    if value is None:
        return False
    return (low is None or value >= low) and (high is None or value <= high)


def matches(row: UniverseRow, f: UniverseFilter) -> bool:
    if f.quote is not None and row.contract.quote != f.quote.upper():
        return False
    return (
        _within(quote_volume_usd(row), f.min_quote_volume_usd, None)
        and _within(row.ticker.price_change_pct, f.min_change_pct, f.max_change_pct)
        and _within(row.funding_rate, f.min_funding_rate, f.max_funding_rate)
    )


def sort_key(row: UniverseRow, sort: UniverseSort) -> SortKey:
    values = {
        UniverseSort.QUOTE_VOLUME_DESC: (quote_volume_usd(row), -1.0),
        UniverseSort.GAINERS: (row.ticker.price_change_pct, -1.0),
        UniverseSort.LOSERS: (row.ticker.price_change_pct, 1.0),
        UniverseSort.FUNDING_HIGH: (row.funding_rate, -1.0),
        UniverseSort.FUNDING_LOW: (row.funding_rate, 1.0),
    }
    value, sign = values[sort]
    symbol = row.contract.venue_symbol
    if value is None or math.isnan(value):
        return (1, 0.0, symbol)
    return (0, sign * value + 0.0, symbol)  # + 0.0 turns -0.0 into 0.0


def select(rows: Iterable[UniverseRow], f: UniverseFilter, sort: UniverseSort) -> list[UniverseRow]:
    """The rows that pass ``f``, in ``sort`` order."""
    return sorted((r for r in rows if matches(r, f)), key=lambda r: sort_key(r, sort))


def encode_cursor(sort: UniverseSort, key: SortKey) -> str:
    raw = json.dumps([sort.value, *key], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


# Our cursors are short (a sort name, a number and a symbol); anything much longer was not
# made here, and refusing it before decoding keeps hostile input (deeply nested JSON) out.
MAX_CURSOR_CHARS = 512


def decode_cursor(cursor: str, sort: UniverseSort) -> SortKey:
    not_ours = "the cursor is not one this API gave out"
    if len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidCursor(not_ours)
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, UnicodeError, RecursionError) as err:
        raise InvalidCursor(not_ours) from err
    if not (isinstance(data, list) and len(data) == 4):
        raise InvalidCursor(not_ours)
    name, group, value, symbol = data
    if name != sort.value:
        raise InvalidCursor(f"the cursor belongs to sort {name}, not {sort.value}")
    well_formed = (
        type(group) is int
        and group in (0, 1)
        and type(value) in (int, float)
        and math.isfinite(value)
        and isinstance(symbol, str)
    )
    if not well_formed:
        raise InvalidCursor(not_ours)
    return (group, float(value), symbol)


@dataclass(frozen=True, slots=True)
class Page:
    rows: tuple[UniverseRow, ...]
    cursors: tuple[str, ...]  # one per row
    total: int
    has_next: bool
    has_previous: bool


def paginate(
    ordered: Sequence[UniverseRow], sort: UniverseSort, first: int, after: SortKey | None
) -> Page:
    """``first`` rows of ``ordered`` (already in ``sort`` order) after the key ``after``."""
    keys = [sort_key(r, sort) for r in ordered]
    start = 0 if after is None else next((i for i, k in enumerate(keys) if k > after), len(keys))
    end = min(start + first, len(ordered))
    return Page(
        rows=tuple(ordered[start:end]),
        cursors=tuple(encode_cursor(sort, k) for k in keys[start:end]),
        total=len(ordered),
        has_next=end < len(ordered),
        has_previous=start > 0,
    )


# -- new listings -------------------------------------------------------------------------------


def listed_within(
    contracts: Iterable[ListedContract], as_of_ms: int, within_days: float
) -> list[ListedContract]:
    """Contracts whose listing time is in ``[as_of - within_days, as_of]``, newest first.
    Contracts without a listing time, or listed after ``as_of``, are left out."""
    since = as_of_ms - within_days * DAY_MS
    found = [c for c in contracts if c.onboard_ms is not None and since <= c.onboard_ms <= as_of_ms]
    return sorted(found, key=lambda c: (-(c.onboard_ms or 0), c.venue_symbol))


def age_days(listed_ms: int, as_of_ms: int) -> float:
    return (as_of_ms - listed_ms) / DAY_MS


# -- coin screens (aggregator data) -------------------------------------------------------------


def screen_coins(
    coins: Iterable[CoinMarket],
    max_market_cap_usd: float | None,
    min_volume_usd: float | None,
) -> list[CoinMarket]:
    """Coins within the bounds, in the given order; a coin without the bounded value fails."""
    return [
        c
        for c in coins
        if _within(c.market_cap_usd, None, max_market_cap_usd)
        and _within(c.volume_24h_usd, min_volume_usd, None)
    ]


def volume_to_market_cap(coin: CoinMarket) -> float | None:
    """24 h volume / market cap (turnover); None without a positive market cap."""
    if coin.volume_24h_usd is None or not coin.market_cap_usd:
        return None
    return coin.volume_24h_usd / coin.market_cap_usd


# -- smart money: accumulation / distribution ---------------------------------------------------
#
# Four factors, each read as a value in -1..1 (+1 = accumulation, -1 = distribution) over the
# same window of statistics periods, weighted out of 100:
#   TOP_TRADERS 35      change of the top traders' long share by position, r / (1 + r) of
#                       Binance's topLongShortPositionRatio r, first to last point:
#                       tanh(change_pp / 2 pp)
#   OPEN_INTEREST 25    open interest change with the price change over the same points (price
#                       = the point's USD value / base quantity): tanh(tanh(price_pct / 1 %) * s),
#                       s = oi_pct / 5 % when OI rose (new positions follow the price: longs
#                       when it rose, shorts when it fell) and 0.5 * |oi_pct| / 5 % when OI fell
#                       (short covering mildly up, long liquidation mildly down)
#   TAKER_FLOW 25       taker buy share of taker volume over the window: tanh((share - 0.5) / 5 %)
#   ORDERBOOK_WALLS 15  walls as ``engine.orderbook.walls`` (a level over 5x its side's average
#                       size): bid minus ask wall notional over their sum, 0 without walls
# A factor whose data is absent or too short is missing and never guessed. ``score`` is
# -100..100 over the present factors; ``coverage_pct`` the weight present; ``weighted_score``
# counts a missing factor as 0 (no evidence), so a thin read ranks below a full one.
# Bias: ACCUMULATION at score >= 25, DISTRIBUTION at <= -25, else NEUTRAL; NEUTRAL whatever
# the score when the coverage is under ``MIN_COVERAGE_PCT`` (50).


class FlowFactor(Enum):
    TOP_TRADERS = "TOP_TRADERS"
    OPEN_INTEREST = "OPEN_INTEREST"
    TAKER_FLOW = "TAKER_FLOW"
    ORDERBOOK_WALLS = "ORDERBOOK_WALLS"


FLOW_WEIGHTS: dict[FlowFactor, int] = {
    FlowFactor.TOP_TRADERS: 35,
    FlowFactor.OPEN_INTEREST: 25,
    FlowFactor.TAKER_FLOW: 25,
    FlowFactor.ORDERBOOK_WALLS: 15,
}
TOP_SHARE_SCALE_PP = 2.0
OI_SCALE_PCT = 5.0
OI_PRICE_SCALE_PCT = 1.0
OI_DECLINE_STRENGTH = 0.5
TAKER_SHARE_SCALE = 0.05
MIN_COVERAGE_PCT = 50.0
BIAS_THRESHOLD = 25.0


class FlowBias(Enum):
    ACCUMULATION = "ACCUMULATION"
    DISTRIBUTION = "DISTRIBUTION"
    NEUTRAL = "NEUTRAL"


class ScanDirection(Enum):
    ACCUMULATION = "ACCUMULATION"  # highest weighted score first
    DISTRIBUTION = "DISTRIBUTION"  # lowest first
    EITHER = "EITHER"  # largest magnitude first


@dataclass(frozen=True, slots=True)
class FlowInputs:
    top_positions: LongShortRatio | None = None
    open_interest: OpenInterestHistory | None = None
    taker: TakerVolume | None = None
    book: OrderBook | None = None


@dataclass(frozen=True, slots=True)
class FactorRead:
    factor: FlowFactor
    weight: int
    value: float | None  # -1..1; None: missing
    detail: str


@dataclass(frozen=True, slots=True)
class FlowScore:
    factors: tuple[FactorRead, ...]
    score: float | None  # -100..100 over present factors; None when none is present
    weighted_score: float  # -100..100, missing factors count 0
    coverage_pct: float
    bias: FlowBias


def _ok(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def _long_share_pct(long_short_ratio: float) -> float | None:
    """Longs' share in percent from a long/short ratio: ``100 * r / (1 + r)``."""
    r = long_short_ratio
    return 100.0 * r / (1.0 + r) if _ok(r) and r > 0 else None


def top_traders_read(data: LongShortRatio | None) -> tuple[float | None, str]:
    if data is None or len(data.points) < 2:
        return None, "fewer than 2 points"
    a = _long_share_pct(data.points[0].long_short_ratio)
    b = _long_share_pct(data.points[-1].long_short_ratio)
    if a is None or b is None:
        return None, "no usable long/short ratio"
    change = b - a
    line = f"top traders' long share {a:.1f} % -> {b:.1f} % ({change:+.2f} pp)"
    return math.tanh(change / TOP_SHARE_SCALE_PP), line


def open_interest_read(data: OpenInterestHistory | None) -> tuple[float | None, str]:
    if data is None or len(data.points) < 2:
        return None, "fewer than 2 points"
    first, last = data.points[0], data.points[-1]
    if not (_ok(first.base_qty, last.base_qty) and first.base_qty > 0 and last.base_qty > 0):
        return None, "no usable open interest"
    if first.value_usd is None or last.value_usd is None:
        return None, "no USD value: price direction unknown"
    p0, p1 = first.value_usd / first.base_qty, last.value_usd / last.base_qty
    if not (_ok(p0, p1) and p0 > 0 and p1 > 0):
        return None, "no usable price"
    oi_pct = (last.base_qty / first.base_qty - 1.0) * 100.0
    price_pct = (p1 / p0 - 1.0) * 100.0
    rising = oi_pct >= 0
    strength = oi_pct / OI_SCALE_PCT if rising else OI_DECLINE_STRENGTH * -oi_pct / OI_SCALE_PCT
    value = math.tanh(math.tanh(price_pct / OI_PRICE_SCALE_PCT) * strength)
    return value, f"open interest {oi_pct:+.2f} % with price {price_pct:+.2f} %"


def taker_flow_read(data: TakerVolume | None) -> tuple[float | None, str]:
    if data is None or not data.points:
        return None, "no points"
    buy = sum(p.buy_volume for p in data.points)
    sell = sum(p.sell_volume for p in data.points)
    if not (_ok(buy, sell) and buy >= 0 and sell >= 0 and buy + sell > 0):
        return None, "no taker volume"
    share = buy / (buy + sell)
    value = math.tanh((share - 0.5) / TAKER_SHARE_SCALE)
    return value, f"takers bought {share * 100:.1f} % of {len(data.points)} periods' volume"


def book_walls(book: OrderBook) -> tuple[float, float]:
    """(bid wall notional, ask wall notional) in quote currency, walls as
    ``engine.orderbook.walls`` defines them (the scalping layer's walls)."""
    found = orderbook.walls(book)
    return (
        sum(w.price * w.quantity for w in found.bids),
        sum(w.price * w.quantity for w in found.asks),
    )


def walls_read(book: OrderBook | None) -> tuple[float | None, str]:
    if book is None or not book.bids or not book.asks:
        return None, "no two-sided book"
    bid, ask = book_walls(book)
    if bid + ask <= 0:
        return 0.0, f"no walls in {len(book.bids) + len(book.asks)} levels"
    return (bid - ask) / (bid + ask), f"bid walls {bid:,.0f} vs ask walls {ask:,.0f} (quote)"


def score_flow(inputs: FlowInputs) -> FlowScore:
    """The accumulation / distribution score of one symbol (see the table above)."""
    reads = {
        FlowFactor.TOP_TRADERS: top_traders_read(inputs.top_positions),
        FlowFactor.OPEN_INTEREST: open_interest_read(inputs.open_interest),
        FlowFactor.TAKER_FLOW: taker_flow_read(inputs.taker),
        FlowFactor.ORDERBOOK_WALLS: walls_read(inputs.book),
    }
    factors = tuple(
        FactorRead(f, FLOW_WEIGHTS[f], value, detail) for f, (value, detail) in reads.items()
    )
    present = [f for f in factors if f.value is not None]
    coverage = float(sum(f.weight for f in present))
    weighted = sum(f.weight * (f.value or 0.0) for f in present)
    score = 100.0 * weighted / coverage if coverage > 0 else None
    bias = FlowBias.NEUTRAL
    if score is not None and coverage >= MIN_COVERAGE_PCT:
        if score >= BIAS_THRESHOLD:
            bias = FlowBias.ACCUMULATION
        elif score <= -BIAS_THRESHOLD:
            bias = FlowBias.DISTRIBUTION
    return FlowScore(factors, score, weighted, coverage, bias)


def rank_key(score: FlowScore | None, direction: ScanDirection) -> tuple[int, float]:
    """Sort key of a scanned symbol: scored ones first, by ``weighted_score`` as asked."""
    if score is None or score.score is None:
        return (1, 0.0)
    w = score.weighted_score
    order = {ScanDirection.ACCUMULATION: -w, ScanDirection.DISTRIBUTION: w}
    return (0, order.get(direction, -abs(w)))


__all__ = [
    "DAY_MS",
    "FLOW_WEIGHTS",
    "MIN_COVERAGE_PCT",
    "USD_QUOTES",
    "FactorRead",
    "FlowBias",
    "FlowFactor",
    "FlowInputs",
    "FlowScore",
    "InvalidCursor",
    "Page",
    "ScanDirection",
    "SortKey",
    "UniverseFilter",
    "UniverseRow",
    "UniverseSort",
    "age_days",
    "book_walls",
    "contract_ref",
    "decode_cursor",
    "encode_cursor",
    "listed_within",
    "matches",
    "paginate",
    "quote_volume_usd",
    "rank_key",
    "score_flow",
    "screen_coins",
    "select",
    "sort_key",
    "volume_to_market_cap",
]
