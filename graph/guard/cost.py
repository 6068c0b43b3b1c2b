"""A document's cost, computed before anything runs: the upstream calls it may make.

In the spirit of GitHub's and Shopify's GraphQL cost: each field costs the upstream calls
its resolver may make (``FIELDS`` below), one point per call and Binance's calls at their
request weight (the budget every client of this server shares: 2,400 a minute). A call is
counted once however many fields, aliases or fragments need it, because a request's
loaders fetch it once: its key is the symbol, the dataset and its parameters. The analyses
(indicators, SMC) add the CPU they spend (``computed``). A field
returning symbols multiplies what is selected below it by the symbols it names (``tickers``)
or may return (``first``; an unpaged list by ``UNPAGED``). The walk merges fields the way
execution does (by response key, a fragment once per selection), so it is linear in the
document, and stops as soon as the cost passes the maximum.

The cost is an upper bound for a cold cache on the primary venue: a fallback venue's call
replaces a failed one, and a cached dataset costs nothing (``extensions.cost.actual``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import (
    VariableValues,
    get_argument_values,
    get_directive_values,
    get_variable_values,
)

from graph.guard.document import operation_of
from graph.roots.market_summary import SUMMARY_DEFAULT
from providers.binance import venue as binance
from providers.history import watchlist
from providers.hyperliquid import venue as hyperliquid
from resolvers import discovery, mss, scalping, signals, verdicts
from resolvers.analysis import MAX_ITEMS, MAX_TIMEFRAMES
from resolvers.market import candle_fetch_size

Args = Mapping[str, Any]
UNPAGED = 100  # symbols assumed for a list without a size argument (new listings, trending)


@dataclass(frozen=True, slots=True)
class Call:
    """One upstream call (or computation) a field may make: its key (dataset and
    parameters), its points, whether it is made once per symbol or once for all (an
    all-symbol ticker), and whether fields asking the same share it (a loader's call) or
    each pays its own (a computation, an AI verdict under another alias)."""

    key: tuple[object, ...]
    points: int = 1
    per_symbol: bool = True
    shared: bool = True


@dataclass(frozen=True, slots=True)
class Scope:
    """The symbols a selection is about (tickers, or ``?n`` placeholders for symbols a list
    returns) and the arguments of the field that opened it (scalping's ``interval``)."""

    symbols: tuple[str, ...] = ()
    args: Args | None = None


class TooCostly(Exception):
    def __init__(self, cost: int) -> None:
        super().__init__(cost)
        self.cost = cost


# -- what each field's resolver may call -----------------------------------------------------

EXCHANGE_INFO = Call(("exchange_info",), binance.weight("/fapi/v1/exchangeInfo"), per_symbol=False)
PRICES = Call(("price",), binance.weight("/fapi/v2/ticker/price", all_symbols=True), False)
TICKERS = Call(("ticker_24h",), binance.weight("/fapi/v1/ticker/24hr", all_symbols=True), False)
PREMIUM = Call(("premium",), binance.weight("/fapi/v1/premiumIndex", all_symbols=True), False)
FEAR_GREED = Call(("fear_greed", 1), per_symbol=False)
DATABASE = Call(("postgresql",), per_symbol=False)


def klines(interval: object, limit: int) -> Call:
    size = candle_fetch_size(limit)
    return Call(("klines", interval, size), binance.kline_weight(size))


def book(depth: int) -> Call:
    return Call(("orderbook", depth), binance.VENUE.depth_limits.get(depth, 20))


def ratio(kind: object, period: object, limit: object) -> Call:
    return Call(("ratio", kind, period, limit))


def trades(limit: object) -> Call:
    return Call(("trades", limit), binance.weight("/fapi/v1/aggTrades"))


LIQUIDATIONS = Call(("liquidations",), 3)  # OKX pages (or Coinglass's history when keyed)
SOCIAL = Call(("social",))
SIGNAL = (
    PRICES,
    klines(*signals.CANDLES),
    PREMIUM,  # funding
    Call(("oi_history", *signals.STATS)),
    ratio("GLOBAL_ACCOUNTS", *signals.STATS),
    ratio("TOP_POSITIONS", *signals.STATS),
    LIQUIDATIONS,
    SOCIAL,
    FEAR_GREED,
)
VERDICT = (*SIGNAL, klines(*verdicts.PLAN_CANDLES), Call(("ai_judge",), shared=False))
TICKER = Call(("ticker_24h",), binance.weight("/fapi/v1/ticker/24hr"))  # one symbol's
WHALES = Call(  # the recent trades, and the positions of up to 10 configured accounts
    ("whales",),
    hyperliquid.weight("recentTrades") + 10 * hyperliquid.weight("clearinghouseState"),
)


def computed(name: str, a: Args, candles: int, per_point: int, timeframes: int = 1) -> Call:
    """The CPU an analysis spends: a point per ``per_point`` candles per timeframe, paid by
    every field that asks (the upstream call is shared; the computation is not).
    Measured warm on this machine: SMC ~5 ms per 1,500-candle timeframe (pure Python, a
    point per 100 candles), TA-Lib's indicators ~1 ms (a point per 500)."""
    candles = min(max(candles, 0), MAX_ITEMS)  # beyond: BAD_LIMIT when it resolves
    points = -(-candles // per_point) * timeframes
    return Call(("compute", name), points, shared=False)


def _intervals(a: Args) -> Iterable[object]:
    chosen = a.get("intervals") or [a.get("interval")]
    return list(dict.fromkeys(chosen))[:MAX_TIMEFRAMES]


def _scalping_interval(s: Scope) -> object:
    return (s.args or {}).get("interval", "1m")


# the MSS's phases (resolvers.mss): discovery's CoinGecko row (the listing date is in the
# exchange info), social's LunarCrush row and an hour of taker volume, institutional's open
# interest, top traders' ratio, the same taker volume and a 100-level book
MSS_TAKER = Call(("taker", mss.TAKER_PERIOD, mss.TAKER_POINTS))
MSS_PHASES: dict[str, tuple[Call, ...]] = {
    "discovery": (EXCHANGE_INFO, Call(("coingecko_coin",))),
    "social": (Call(("lunarcrush_coin",)), MSS_TAKER),
    "institutional": (
        Call(("oi_history", mss.OI_PERIOD, mss.OI_POINTS)),
        ratio("TOP_POSITIONS", mss.TOP_PERIOD, mss.TOP_POINTS),
        MSS_TAKER,
        book(mss.BOOK_DEPTH),
    ),
}
MSS_WHOLE = tuple(call for calls in MSS_PHASES.values() for call in calls)
MSS_TOTALS = ("score", "points", "maxPoints", "tier", "allPhasesPassed", "quality")


def _mss_scan_points(a: Args) -> int:
    """Every candidate is scored whole, whatever is selected below the scan."""
    per_candidate = sum(c.points for c in MSS_WHOLE if c.per_symbol)
    return _candidates(a, mss.SCAN_MAX_CANDIDATES) * per_candidate


FieldCost = Callable[[Args, Scope], Sequence[Call]]


def _fixed(calls: Sequence[Call]) -> FieldCost:
    def cost(_a: Args, _s: Scope) -> Sequence[Call]:
        return calls

    return cost


FIELDS: dict[str, FieldCost] = {
    "Symbol.price": lambda a, s: (PRICES,),
    "Symbol.priceQuote": lambda a, s: (PRICES,),
    "Symbol.markPrice": lambda a, s: (PREMIUM,),
    "Symbol.indexPrice": lambda a, s: (PREMIUM,),
    "Symbol.premiumIndex": lambda a, s: (PREMIUM,),
    "Symbol.funding": lambda a, s: (PREMIUM,),
    "Funding.intervalHours": lambda a, s: (Call(("funding_history", 3)),),
    "OpenInterest.usd": lambda a, s: (PREMIUM,),
    "Symbol.change24hPct": lambda a, s: (TICKER,),
    "Symbol.quoteVolume24h": lambda a, s: (TICKER,),
    "Symbol.high24h": lambda a, s: (TICKER,),
    "Symbol.low24h": lambda a, s: (TICKER,),
    "Symbol.stats24h": lambda a, s: (TICKER,),
    "Symbol.fundingHistory": lambda a, s: (Call(("funding_history", a["limit"])),),
    "Symbol.openInterest": lambda a, s: (Call(("open_interest",)),),
    "Symbol.openInterestHistory": lambda a, s: (Call(("oi_history", a["period"], a["limit"])),),
    "Symbol.longShortRatio": lambda a, s: (ratio(a["kind"], a["period"], a["limit"]),),
    "Symbol.takerVolume": lambda a, s: (Call(("taker", a["period"], a["limit"])),),
    "Symbol.candles": lambda a, s: (klines(a["interval"], a["limit"]),),
    "Symbol.indicators": lambda a, s: (
        klines(a["interval"], a["limit"]),
        computed("indicators", a, a["limit"], per_point=500),
    ),
    "Symbol.smc": lambda a, s: (
        *(klines(i, a["limit"]) for i in _intervals(a)),
        computed("smc", a, a["limit"], per_point=100, timeframes=len(list(_intervals(a)))),
    ),
    "Symbol.orderbook": lambda a, s: (book(a["depth"]),),
    "Symbol.signal": lambda a, s: SIGNAL,
    "Symbol.liquidations": lambda a, s: (),  # the ingested streams: no upstream call
    "Symbol.recentTrades": lambda a, s: (trades(a["limit"]),),
    "Signal.verdict": lambda a, s: VERDICT,
    "Verdict.signal": lambda a, s: SIGNAL,
    "ScalpingSnapshot.price": lambda a, s: (
        klines(_scalping_interval(s), scalping.WINDOW_CANDLES),
    ),
    "ScalpingSnapshot.orderbook": lambda a, s: (book(a["depth"]),),
    "ScalpingSnapshot.rsi": lambda a, s: (
        klines(_scalping_interval(s), max(scalping.WINDOW_CANDLES, a["period"] * 3)),
    ),
    "ScalpingSnapshot.volumeDelta": lambda a, s: (
        klines(_scalping_interval(s), max(scalping.WINDOW_CANDLES, a["last"])),
    ),
    "ScalpingSnapshot.trend": lambda a, s: (
        klines(_scalping_interval(s), scalping.WINDOW_CANDLES),
    ),
    "ScalpingSnapshot.liquidations": lambda a, s: (),
    "ScalpingSnapshot.funding": lambda a, s: (PREMIUM,),
    "ScalpingSnapshot.longShortRatio": lambda a, s: (
        ratio("GLOBAL_ACCOUNTS", a["period"], scalping.RATIO_POINTS),
    ),
    "ScalpingSnapshot.smartMoney": lambda a, s: (
        ratio("TOP_POSITIONS", a["period"], scalping.RATIO_POINTS),
    ),
    "ScalpingSnapshot.whales": lambda a, s: (WHALES,),
    "ScalpingSnapshot.fearGreed": lambda a, s: (FEAR_GREED,),
    "ScalpingSnapshot.largeTrades": lambda a, s: (trades(scalping.TRADES_SCANNED),),
    "ScalpingSnapshot.social": lambda a, s: (SOCIAL,),
    "ScalpingSnapshot.summary": lambda a, s: (),  # reads only the layers selected beside it
    "Query.verdict": lambda a, s: VERDICT,
    "Query.signal": lambda a, s: SIGNAL,
    "Query.signals": lambda a, s: SIGNAL,
    "Query.marketSummary": lambda a, s: SIGNAL,
    "Query.futuresUniverse": lambda a, s: (EXCHANGE_INFO, TICKERS, PREMIUM),
    "Query.newListings": lambda a, s: (EXCHANGE_INFO,),
    "NewListing.stats24h": lambda a, s: (TICKERS,),
    "UniverseNode.fundingRate": lambda a, s: (PREMIUM,),
    "DiscoveredCoin.futures": lambda a, s: (EXCHANGE_INFO,),
    "DiscoveredCoin.futuresTicker": lambda a, s: (EXCHANGE_INFO,),
    "TrendingCoin.futures": lambda a, s: (EXCHANGE_INFO,),
    "TrendingCoin.futuresTicker": lambda a, s: (EXCHANGE_INFO,),
    "Query.discoverCoins": lambda a, s: (Call(("coingecko", a["page"]), per_symbol=False),),
    "Query.trending": lambda a, s: (Call(("coingecko_trending",), per_symbol=False),),
    "Query.smartMoneyScan": lambda a, s: (
        EXCHANGE_INFO,
        TICKERS,
        # per candidate: top traders, open interest, taker flow, the book's walls
        Call(("scan",), _scan_points(a), per_symbol=False),
    ),
    "Query.signalHistory": lambda a, s: (DATABASE,),
    "Query.verdictAccuracy": lambda a, s: (DATABASE,),
    "Query.signalPerformance": lambda a, s: (DATABASE,),
    # the listing its coins are read against; the operation it runs is priced, and taken
    # from the budget, when the question is read (graph.roots.ask)
    "Query.ask": lambda a, s: (EXCHANGE_INFO,),
    "Query.fearGreed": lambda a, s: (Call(("fear_greed", a["limit"]), per_symbol=False),),
    "Mutation.recordSignal": lambda a, s: (*VERDICT, DATABASE),
    "Subscription.signalUpdates": lambda a, s: SIGNAL,
    **{f"MssScore.{phase}": _fixed(calls) for phase, calls in MSS_PHASES.items()},
    **{f"MssScore.{total}": _fixed(MSS_WHOLE) for total in MSS_TOTALS},
    "Query.mssScan": lambda a, s: (
        EXCHANGE_INFO,
        TICKERS,
        Call(("mss_scan",), _mss_scan_points(a), per_symbol=False),
    ),
    "Query.watchlist": lambda a, s: (DATABASE,),
    "Mutation.watchAdd": lambda a, s: (DATABASE,),
    "Mutation.watchRemove": lambda a, s: (DATABASE,),
}


def _scan_points(a: Args) -> int:
    per_candidate = 3 + binance.VENUE.depth_limits[discovery.SCAN_DEPTH]
    return _candidates(a.get("criteria") or {}, discovery.SCAN_MAX_CANDIDATES) * per_candidate


def _candidates(a: Args, most: int) -> int:
    """How many candidates a scan scores: its ``tickers``, else ``candidates`` (the scan's
    own maximum when not given), never more than that maximum."""
    candidates = len(a.get("tickers") or ()) or a.get("candidates", most)
    return int(min(candidates, most))


def _tickers(values: object) -> tuple[str, ...]:
    if not isinstance(values, list | tuple):
        values = [values]
    return tuple(dict.fromkeys(str(v).strip().upper() for v in values))


def _placeholders(field: str, count: object, most: int = UNPAGED) -> tuple[str, ...]:
    """Stand-ins for the symbols a list may return: ``count`` of them (at most ``most``,
    the list's own cap; an unpaged list is assumed to hold ``UNPAGED``)."""
    n = count if isinstance(count, int) and count > 0 else UNPAGED
    return tuple(f"?{field}#{i}" for i in range(min(n, most)))


# fields whose selection is about other symbols than their parent's
SCOPES: dict[str, Callable[[Args, Scope], Scope]] = {
    "Query.symbol": lambda a, s: Scope(_tickers(a["ticker"])),
    "Query.symbols": lambda a, s: Scope(_tickers(a["tickers"])),
    "Query.verdict": lambda a, s: Scope(_tickers(a["ticker"])),
    "Query.signal": lambda a, s: Scope(_tickers(a["ticker"])),
    "Query.signals": lambda a, s: Scope(_tickers(a["tickers"])),
    "Query.scalping": lambda a, s: Scope(_tickers(a["ticker"]), a),
    "Query.marketSummary": lambda a, s: Scope(_tickers(a.get("tickers") or SUMMARY_DEFAULT)),
    "Query.liquidationStats": lambda a, s: Scope(_tickers(a["ticker"])),
    "Query.futuresUniverse": lambda a, s: Scope(_placeholders("universe", a["first"])),
    "Query.newListings": lambda a, s: Scope(_placeholders("listings", None)),
    "Query.discoverCoins": lambda a, s: Scope(
        _placeholders("coins", a["first"], discovery.COINS_PER_PAGE)
    ),
    "Query.trending": lambda a, s: Scope(_placeholders("trending", None)),
    "Query.smartMoneyScan": lambda a, s: Scope(_placeholders("scan", a["first"])),
    "Mutation.recordSignal": lambda a, s: Scope(_tickers(a["ticker"])),
    "Query.mss": lambda a, s: Scope(_tickers(a["ticker"])),
    # the scan's candidates are priced whole at the scan: what is selected below is paid
    "Query.mssScan": lambda a, s: Scope(()),
    "Query.watchlist": lambda a, s: Scope(_placeholders("watchlist", None, watchlist.MAX_ENTRIES)),
    "Mutation.watchAdd": lambda a, s: Scope(_tickers(a["ticker"])),
    "Subscription.signalUpdates": lambda a, s: Scope(_tickers(a["tickers"])),
    "Symbol.scalping": lambda a, s: Scope(s.symbols, a),
}


# -- the walk ----------------------------------------------------------------------------------


def document_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    maximum: int,
) -> int:
    """The cost of the operation that would run; ``TooCostly`` once it passes ``maximum``.
    The document must have passed validation. Variables that do not coerce cost nothing:
    execution refuses them before any resolver runs."""
    operation = operation_of(document, operation_name)
    if operation is None:
        return 0
    coerced = get_variable_values(
        schema, operation.variable_definitions or (), dict(variables or {})
    )
    if isinstance(coerced, list):
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments, coerced, maximum)
    walk.visit(root, [operation.selection_set], Scope())
    return walk.points


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        maximum: int,
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables
        self._maximum = maximum
        self._seen: set[tuple[object, ...]] = set()
        self._occurrence = 0
        self.points = 0

    def _charge(self, key: tuple[object, ...], points: int) -> None:
        if key in self._seen:
            return
        self._seen.add(key)
        self.points += points
        if self.points > self._maximum:
            raise TooCostly(self.points)

    def visit(
        self, parent: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode], scope: Scope
    ) -> None:
        for fields in self._collect(parent, selection_sets).values():
            node = fields[0]
            name = node.name.value
            definition = parent.fields.get(name)
            if definition is None:  # __typename and introspection: no upstream call
                continue
            coordinate = f"{parent.name}.{name}"
            args = get_argument_values(definition, node, self._variables)
            opens = SCOPES.get(coordinate)
            inner = opens(args, scope) if opens is not None else scope
            if opens is not None and any(not s.startswith("?") for s in inner.symbols):
                self._charge(EXCHANGE_INFO.key, EXCHANGE_INFO.points)  # resolving tickers
            cost = FIELDS.get(coordinate)
            if cost is not None:
                self._occurrence += 1  # what each asking field pays for itself
                for call in cost(args, inner):
                    key = call.key if call.shared else (*call.key, self._occurrence)
                    if call.per_symbol:
                        for symbol in inner.symbols:
                            self._charge((symbol, *key), call.points)
                    else:
                        self._charge(key, call.points)
            child = get_named_type(definition.type)
            if isinstance(child, GraphQLObjectType):
                nested = [f.selection_set for f in fields if f.selection_set is not None]
                if nested:
                    self.visit(child, nested, inner)

    def _collect(
        self, parent: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode]
    ) -> dict[str, list[FieldNode]]:
        """Fields by response key, each fragment expanded once (as execution collects)."""
        by_key: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        pending = list(selection_sets)
        while pending:
            for selection in pending.pop(0).selections:
                if _skipped(selection, self._variables):
                    continue  # @skip(if: true) / @include(if: false): it will not run
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    by_key.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if _applies(selection, parent, self._schema):
                        pending.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self._fragments.get(name)
                    if name in visited or fragment is None:
                        continue
                    visited.add(name)
                    if _applies(fragment, parent, self._schema):
                        pending.append(fragment.selection_set)
        return by_key


def _skipped(node: SelectionNode, variables: VariableValues) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, variables)
    if skip is not None and skip.get("if") is True:
        return True
    include = get_directive_values(GraphQLIncludeDirective, node, variables)
    return include is not None and include.get("if") is False


def _applies(
    fragment: InlineFragmentNode | FragmentDefinitionNode,
    parent: GraphQLObjectType,
    schema: GraphQLSchema,
) -> bool:
    condition = fragment.type_condition
    if condition is None or condition.name.value == parent.name:
        return True
    target = schema.get_type(condition.name.value)  # no field returns an abstract type today:
    return target is not None and not isinstance(target, GraphQLObjectType)  # an upper bound


__all__ = ["FIELDS", "SCOPES", "Call", "Scope", "TooCostly", "document_cost"]
