"""Which registry operation answers an ``Understood``, and its one-line answer.

``route(u)`` names an operation of ``graph/operations/`` (its file stem) and its variables,
spelled as that document declares them; enum values are their GraphQL names. Only the
variables the document declares are passed, and every required one is. The table:

=================  ===================================  =====================================
intent             coins said                           operation, variables
=================  ===================================  =====================================
SIGNAL             one / several                        signal {ticker, mode} /
                                                        signals {tickers, mode}
SCALPING           one                                  scalping {ticker}
FUNDING            one                                  symbol {ticker}: funding
LONG_SHORT_RATIO   one                                  symbol {ticker}: longShortRatio
OPEN_INTEREST      one                                  symbol {ticker}: openInterest
PRICE              one                                  symbol {ticker}: price
RSI                one                                  indicators {ticker}: rsi (1h)
VOLUME_DELTA       one                                  indicators {ticker}: volumeDelta (1h)
WHALES             one                                  scalping {ticker}: whales, largeTrades
SENTIMENT          one / none                           scalping {ticker}: social /
                                                        marketSummary {mode}
LIQUIDATIONS       one / none                           liquidationStats {ticker} (24 h) /
                                                        marketSummary {mode}: pressure
SMART_MONEY        one / several / none                 smartMoneyAnalyze {ticker} /
                                                        smartMoneyScan {tickers} /
                                                        smartMoneyScan {}
MARKET_SUMMARY     any                                  marketSummary {mode[, tickers]}
FEAR_GREED         ignored                              fearGreed {}
NEW_LISTINGS       ignored                              newListings {} (30 days)
DISCOVERY          ignored                              discoverCoins {first: 10}
=================  ===================================  =====================================

An intent served for one coin uses the first coin said. Every other value is the
document's default.

``answer_line(u, data)`` is one line in ``u.language`` built only from ``data``, the
GraphQL ``data`` of that operation (root fields as keys): any value may be null or missing
(a provider failed), and then the line says it is not available; nothing is filled in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from engine.ask import answers, market_answers
from engine.ask.data import say
from engine.ask.examples import EXAMPLES
from engine.ask.model import Intent, Understood

DISCOVERY_FIRST = 10  # coins asked of discoverCoins; the answer line names the first five


def route(u: Understood) -> tuple[str, dict[str, Any]]:
    """The operation id (``graph/operations/<id>.graphql``) and variables serving ``u``.

    Raises ValueError when ``u`` names no coin for an intent that needs one (``understand``
    never returns such an ``Understood``)."""
    mode = u.mode.name  # the SignalMode enum's GraphQL names are the Mode names
    tickers = list(u.tickers)
    one = {"ticker": tickers[0]} if tickers else None
    match u.intent:
        case Intent.SIGNAL if len(tickers) > 1:
            return "signals", {"tickers": tickers, "mode": mode}
        case Intent.SIGNAL if one:
            return "signal", {**one, "mode": mode}
        case Intent.SCALPING | Intent.WHALES if one:
            return "scalping", one
        case Intent.SENTIMENT:
            return ("scalping", one) if one else ("marketSummary", {"mode": mode})
        case Intent.FUNDING | Intent.LONG_SHORT_RATIO | Intent.OPEN_INTEREST | Intent.PRICE if one:
            return "symbol", one
        case Intent.RSI | Intent.VOLUME_DELTA if one:
            return "indicators", one
        case Intent.LIQUIDATIONS:
            return ("liquidationStats", one) if one else ("marketSummary", {"mode": mode})
        case Intent.SMART_MONEY if len(tickers) > 1:
            return "smartMoneyScan", {"tickers": tickers}
        case Intent.SMART_MONEY:
            return ("smartMoneyAnalyze", one) if one else ("smartMoneyScan", {})
        case Intent.MARKET_SUMMARY:
            return "marketSummary", {"mode": mode, **({"tickers": tickers} if tickers else {})}
        case Intent.FEAR_GREED:
            return "fearGreed", {}
        case Intent.NEW_LISTINGS:
            return "newListings", {}
        case Intent.DISCOVERY:
            return "discoverCoins", {"first": DISCOVERY_FIRST}
    raise ValueError(f"{u.intent.name} needs a coin and none was named")


_LINES: Mapping[tuple[Intent, str], Callable[[Understood, Mapping[str, Any]], str]] = (
    MappingProxyType(
        {
            (Intent.SIGNAL, "signal"): answers.signal,
            (Intent.SIGNAL, "signals"): answers.signals,
            (Intent.SCALPING, "scalping"): answers.scalping,
            (Intent.WHALES, "scalping"): answers.whales,
            (Intent.SENTIMENT, "scalping"): answers.social,
            (Intent.SENTIMENT, "marketSummary"): market_answers.market,
            (Intent.FUNDING, "symbol"): answers.funding,
            (Intent.LONG_SHORT_RATIO, "symbol"): answers.long_short_ratio,
            (Intent.OPEN_INTEREST, "symbol"): answers.open_interest,
            (Intent.PRICE, "symbol"): answers.price,
            (Intent.RSI, "indicators"): answers.rsi,
            (Intent.VOLUME_DELTA, "indicators"): answers.volume_delta,
            (Intent.LIQUIDATIONS, "liquidationStats"): answers.liquidations,
            (Intent.LIQUIDATIONS, "marketSummary"): market_answers.market_liquidations,
            (Intent.SMART_MONEY, "smartMoneyAnalyze"): answers.smart_money,
            (Intent.SMART_MONEY, "smartMoneyScan"): market_answers.smart_money_scan,
            (Intent.MARKET_SUMMARY, "marketSummary"): market_answers.market,
            (Intent.FEAR_GREED, "fearGreed"): market_answers.fear_greed,
            (Intent.NEW_LISTINGS, "newListings"): market_answers.new_listings,
            (Intent.DISCOVERY, "discoverCoins"): market_answers.discovery,
        }
    )
)


def answer_line(u: Understood, data: Mapping[str, Any] | None) -> str:
    """One line in ``u.language`` summarising ``data``, the GraphQL ``data`` object
    ``route(u)``'s operation returned (None when the response had none). Values that are
    null or missing are said to be not available, never made up."""
    operation, _ = route(u)
    line = _LINES[(u.intent, operation)](u, data or {})
    if _stale(u.intent, operation, data or {}):  # a venue failed: its last value stands in
        line += say(
            u,
            " Some of it is the last value known before a venue failed (stale).",
            " Sebagian adalah nilai terakhir sebelum venue gagal (stale).",
        )
    return line


# where the value a line quotes says it is stale: a path to an object with ``stale``, or to
# a signal's data quality, whose sources' ``state`` is STALE. The lines of the other
# documents quote nothing that carries the flag (those documents do not select it).
_STALE_AT: Mapping[tuple[Intent, str], tuple[str, ...]] = MappingProxyType(
    {
        (Intent.FUNDING, "symbol"): ("symbol", "funding"),
        (Intent.PRICE, "symbol"): ("symbol", "priceQuote"),
        (Intent.OPEN_INTEREST, "symbol"): ("symbol", "openInterest"),
        (Intent.LONG_SHORT_RATIO, "symbol"): ("symbol", "longShortRatio"),
        (Intent.RSI, "indicators"): ("symbol", "indicators"),
        (Intent.VOLUME_DELTA, "indicators"): ("symbol", "indicators"),
        (Intent.FEAR_GREED, "fearGreed"): ("fearGreed",),
        (Intent.SIGNAL, "signal"): ("signal", "dataQuality"),
    }
)


def _stale(intent: Intent, operation: str, data: Mapping[str, Any]) -> bool:
    path = _STALE_AT.get((intent, operation))
    if path is None:
        return False
    found: Any = data
    for key in path:
        found = found.get(key) if isinstance(found, Mapping) else None
    if not isinstance(found, Mapping):
        return False
    if path[-1] == "dataQuality":
        sources = found.get("sources")
        return isinstance(sources, list) and any(
            isinstance(src, Mapping) and src.get("state") == "STALE" for src in sources
        )
    return found.get("stale") is True


__all__ = ["DISCOVERY_FIRST", "EXAMPLES", "answer_line", "route"]
