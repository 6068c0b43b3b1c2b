"""The MSS of one coin, phase by phase: each phase fetches only its own data, once a request.

Costs upstream for one coin (a phase asked alone costs only its own line; the engine's
tables are in ``engine.mss.criteria``):
- discovery: CoinGecko ``coins/markets?symbols=<ticker>`` (FDV and supply), and the venue's
  listing date from exchange info (cached an hour, loaded at start-up): 1 call;
- social: LunarCrush ``coins/list/v2?symbols=<ticker>`` (keyed; NOT_CONFIGURED without the
  key) and Binance taker volume over the last hour (5 m x 12): 2 calls;
- institutional: Binance open interest history (1 h x 25: 24 h apart), the top traders'
  position ratio (1 h x 24), the same taker volume (shared with social) and a 100-level
  book: 3 calls more when social was asked too, else 4.

A source that fails, has no data for the coin or has no key leaves its criteria out, with
the reason (``engine.mss.inputs``): the phase's maximum shrinks and quality says why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from engine.domain import CoinMarket, RatioKind, SocialCoin, Sourced
from engine.mss import inputs
from engine.mss.criteria import Phase
from engine.mss.score import (
    Absent,
    CriterionState,
    Input,
    MssResult,
    PhaseResult,
    Reading,
    combine,
    score_phase,
)
from engine.symbols import SymbolRef
from providers.coingecko import venue as coingecko_venue
from providers.errors import ProviderError, SymbolNotServed
from providers.lunarcrush import venue as lunarcrush_venue
from resolvers import datasets, market
from resolvers.arguments import check_limit
from resolvers.cache import Cached
from resolvers.context import Context
from resolvers.discovery import top_by_volume
from resolvers.errors import InvalidArgument, NotConfigured, RequestError
from resolvers.symbols import binance_listing, resolve_symbol

T = TypeVar("T")
log = logging.getLogger("perpgraph.mss")

TAKER_PERIOD, TAKER_POINTS = "5m", 12  # the last hour (``buy_pressure``)
OI_PERIOD, OI_POINTS = "1h", 25  # 24 h between the first and the last point (``oi_change``)
TOP_PERIOD, TOP_POINTS = "1h", 24  # the newest is read; 24 shares the smart-money scan's
BOOK_DEPTH = 100  # levels a side read for walls (the smart-money scan's depth)


async def _fetch(fetch: Awaitable[Cached[T]]) -> tuple[T | Absent, bool]:
    """(the value, stale) or (why it is absent, False). A caller's own mistake (a bad
    argument) is not a source's absence: it is raised; anything unexpected is logged whole
    and reported as the source's INTERNAL failure, as signals do."""
    try:
        got = await fetch
    except NotConfigured as err:
        return Absent(CriterionState.NOT_CONFIGURED, err.message, err.code), False
    except SymbolNotServed as err:
        absent = Absent(CriterionState.NO_DATA, err.message, err.code, err.provider)
        return absent, False
    except ProviderError as err:
        return Absent(CriterionState.FAILED, err.message, err.code, err.provider), False
    except RequestError:
        raise
    except Exception:
        log.exception("MSS source failed unexpectedly")
        return Absent(CriterionState.FAILED, "internal error", "INTERNAL"), False
    return got.value, got.stale


def _aged(given: Input, stale: bool) -> Input:
    return replace(given, stale=True) if stale and isinstance(given, Reading) else given


# -- the sources ---------------------------------------------------------------------------


def _nameable(tickers: Sequence[str], check: Callable[[tuple[str, ...]], None]) -> tuple[str, ...]:
    """The tickers a source can name (its own check), each once."""
    kept: list[str] = []
    for ticker in dict.fromkeys(tickers):
        try:
            check((ticker,))
        except ValueError:
            continue
        kept.append(ticker)
    return tuple(kept)


def _asked(
    symbol: str, batch: Sequence[str], case: Callable[[str], str],
    check: Callable[[tuple[str, ...]], None], provider: str, endpoint: str,
) -> tuple[str, ...]:  # fmt: skip
    """What to ask a batched source for: the coin's ``symbol`` (in the source's ``case``)
    and the scan's ``batch`` in that case, each once, those the source cannot name left
    out. A symbol it cannot name is the coin's absence from that source."""
    asked = _nameable([symbol, *map(case, batch)], check)
    if symbol not in asked:
        raise SymbolNotServed(
            f"{provider} cannot name this ticker", provider=provider, endpoint=endpoint
        )
    return asked


async def coin_market(
    ctx: Context, ref: SymbolRef, batch: Sequence[str] = ()
) -> Cached[CoinMarket]:
    """CoinGecko's top coin with the ticker's symbol (symbols are not unique across coins:
    CoinGecko's ``include_tokens=top`` and then the largest market cap pick one). ``batch``:
    the tickers of a scan, asked in the same call (one call for up to 50 coins)."""
    symbol = ref.ticker.lower()
    asked = _asked(
        symbol, batch, str.lower, coingecko_venue.check_symbols, "coingecko", "coins/markets"
    )
    markets = await ctx.loaders.job(datasets.coingecko_markets_by_symbols(ctx.services, asked))
    rows = [c for c in markets.value.coins if c.symbol.lower() == symbol]
    if not rows:
        raise SymbolNotServed(
            "coingecko lists no coin with this symbol",
            provider="coingecko",
            endpoint="coins/markets",
        )
    best = max(rows, key=lambda c: c.market_cap_usd or 0.0)
    return Cached(best, markets.stale, markets.fresh_for_s)


async def listing_origin(ctx: Context, ref: SymbolRef) -> Cached[Sourced]:
    """Where the symbol's listing date (``ref.listed_ms``) came from: the primary venue's
    exchange info."""
    info = await (binance_listing(ctx) if ref.venues.binance else market.okx_listing(ctx))
    return Cached(info.value.meta, info.stale, info.fresh_for_s)


async def social_coin(
    ctx: Context, ref: SymbolRef, batch: Sequence[str] = ()
) -> Cached[SocialCoin]:
    """LunarCrush's row for the ticker (keyed); ``batch`` as for ``coin_market``."""
    s = ctx.services
    client = market.keyed(s.lunarcrush, "PERPGRAPH_LUNARCRUSH_API_KEY")
    symbol = ref.ticker.upper()
    asked = _asked(
        symbol, batch, str.upper, lunarcrush_venue.check_symbols, "lunarcrush", "coins/list"
    )
    rows = await ctx.loaders.job(datasets.lunarcrush_coins(s, client, asked))
    found = next((c for c in rows.value if c.symbol.upper() == symbol), None)
    if found is None:
        raise SymbolNotServed(
            "lunarcrush has no social data for this coin",
            provider="lunarcrush",
            endpoint="coins/list",
        )
    return Cached(found, rows.stale, rows.fresh_for_s)


# -- the phases ------------------------------------------------------------------------------


async def _discovery(c: CoinMss) -> dict[str, Input]:
    ctx, ref, now_ms = c.ctx, c.ref, c.now_ms
    coin_f, origin_f = _fetch(coin_market(ctx, ref, c.batch)), _fetch(listing_origin(ctx, ref))
    (coin, coin_stale), (origin, origin_stale) = await asyncio.gather(coin_f, origin_f)
    if isinstance(origin, Absent):
        age: Input = origin
    else:
        age = _aged(inputs.age(ref.listed_ms, origin, now_ms), origin_stale)
    return {
        "fdv": _aged(inputs.fdv(coin), coin_stale),
        "age": age,
        "supply": _aged(inputs.supply(coin), coin_stale),
    }


def _taker(ctx: Context, ref: SymbolRef) -> Awaitable[Cached[Any]]:
    return market.taker_volume(ctx, ref, TAKER_PERIOD, TAKER_POINTS)


async def _social(c: CoinMss) -> dict[str, Input]:
    ctx, ref = c.ctx, c.ref
    coin_f, taker_f = _fetch(social_coin(ctx, ref, c.batch)), _fetch(_taker(ctx, ref))
    (coin, coin_stale), (taker, taker_stale) = await asyncio.gather(coin_f, taker_f)
    social = {key: _aged(given, coin_stale) for key, given in inputs.social(coin).items()}
    return {**social, "buy_pressure": _aged(inputs.buy_pressure(taker), taker_stale)}


async def _institutional(c: CoinMss) -> dict[str, Input]:
    ctx, ref = c.ctx, c.ref
    oi_f = _fetch(market.open_interest_history(ctx, ref, OI_PERIOD, OI_POINTS))
    top_f = _fetch(
        market.long_short_ratio(ctx, ref, RatioKind.TOP_POSITIONS, TOP_PERIOD, TOP_POINTS)
    )
    taker_f, book_f = _fetch(_taker(ctx, ref)), _fetch(market.orderbook(ctx, ref, BOOK_DEPTH))
    fetched = await asyncio.gather(oi_f, top_f, taker_f, book_f)
    (oi, oi_stale), (top, top_stale), (taker, taker_stale), (book, book_stale) = fetched
    oi_change = _aged(inputs.oi_change(oi), oi_stale)
    top_traders = _aged(inputs.top_traders(top), top_stale)
    buys = _aged(inputs.buy_pressure(taker), taker_stale)
    return {
        "oi_change": oi_change,
        "top_traders": top_traders,
        "whales": inputs.whales(oi_change, top_traders, buys),
        "walls": _aged(inputs.walls(book), book_stale),
    }


@dataclass(slots=True)
class CoinMss:
    """One coin's MSS within one request: each phase fetched and scored at most once,
    however many fields ask for it; the total asks for all three. ``batch``: the tickers
    of the scan it is part of, whose CoinGecko and LunarCrush rows come in one call."""

    ctx: Context
    ref: SymbolRef
    batch: tuple[str, ...] = ()
    now_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    _phases: dict[Phase, asyncio.Future[PhaseResult]] = field(default_factory=dict)
    _total: MssResult | None = None

    def phase(self, phase: Phase) -> Awaitable[PhaseResult]:
        """The phase, scored once: every field asking shares one task, shielded so that a
        field cancelled (a sibling failed) does not cancel it for the others."""
        running = self._phases.get(phase)
        if running is None:
            running = asyncio.ensure_future(self._score(phase))
            running.add_done_callback(_retrieved)
            self._phases[phase] = running
        return asyncio.shield(running)

    async def _score(self, phase: Phase) -> PhaseResult:
        given = await PHASE_INPUTS[phase](self)
        mark = self.ctx.services.limits.mss_pass_marks[phase]
        return score_phase(phase, given, mark)

    async def total(self) -> MssResult:
        """The three phases combined, once (every total field and a scan read it)."""
        if self._total is None:
            phases = await asyncio.gather(*(self.phase(p) for p in Phase))
            self._total = combine(phases, self.ctx.services.limits.min_mss_quality_pct)
        return self._total


def _retrieved(task: asyncio.Future[PhaseResult]) -> None:
    """Its exception read, so a phase nobody awaited any more is not logged as lost."""
    if not task.cancelled():
        task.exception()


PHASE_INPUTS: Mapping[Phase, Callable[[CoinMss], Awaitable[dict[str, Input]]]] = {
    Phase.DISCOVERY: _discovery,
    Phase.SOCIAL: _social,
    Phase.INSTITUTIONAL: _institutional,
}


# -- the scan ----------------------------------------------------------------------------------

SCAN_MAX_CANDIDATES = 50  # CoinGecko names 50 symbols in one call (LunarCrush 100)
SCAN_MAX_FIRST = 50
SCAN_CONCURRENCY = 8  # candidates whose per-symbol Binance statistics are fetched at once


@dataclass(slots=True)
class ScanEntry:
    label: str  # the ticker as asked, or the venue symbol scanned
    mss: CoinMss | None
    result: MssResult | None = None
    error: Exception | None = None  # the candidate itself failed


@dataclass(frozen=True, slots=True)
class MssScan:
    entries: list[ScanEntry]  # ranked, at or above the minimum score, cut to ``first``
    scanned: int


def check_scan(
    candidates: int, tickers: Sequence[str] | None, first: int, min_score: float
) -> None:
    """Every argument, before any upstream call."""
    check_limit("first", first, 1, SCAN_MAX_FIRST)
    if tickers is None:
        check_limit("candidates", candidates, 1, SCAN_MAX_CANDIDATES)
    else:  # candidates is ignored
        check_limit("tickers", len(tickers), 1, SCAN_MAX_CANDIDATES)
    if not 0.0 <= min_score <= 100.0:
        raise InvalidArgument("BAD_SCORE", "minScore must be within 0..100")


async def _entries(ctx: Context, candidates: int, tickers: Sequence[str] | None) -> list[ScanEntry]:
    refs: list[tuple[str, SymbolRef | None, Exception | None]] = []
    if tickers is not None:
        seen: set[str] = set()
        for text in tickers:
            try:
                ref = await resolve_symbol(ctx, text)
            except (RequestError, ProviderError) as err:
                refs.append((text, None, err))
                continue
            if ref.ticker not in seen:  # BTC and BTCUSDT are one coin, scored once
                seen.add(ref.ticker)
                refs.append((text, ref, None))
    else:
        refs = [(label, ref, None) for label, ref in await top_by_volume(ctx, candidates)]
    batch = tuple(dict.fromkeys(ref.ticker for _, ref, _ in refs if ref is not None))
    return [
        ScanEntry(label, None if ref is None else CoinMss(ctx, ref, batch), error=err)
        for label, ref, err in refs
    ]


def _passes(entry: ScanEntry, min_score: float) -> bool:
    """At or above the minimum; one that could not be scored only when there is none."""
    score = entry.result.score if entry.result is not None else None
    return score >= min_score if score is not None else min_score == 0


def _rank_key(entry: ScanEntry) -> tuple[int, float]:
    """Scores with sufficient quality first, then scores without, then the unscored; by
    score within each (a score over two criteria must not outrank one over twelve)."""
    result = entry.result
    if result is None or result.score is None:
        return (2, 0.0)
    return (0 if result.quality.sufficient else 1, -result.score)


async def mss_scan(
    ctx: Context,
    min_score: float,
    candidates: int,
    tickers: Sequence[str] | None,
    first: int,
) -> MssScan:
    """The candidates (the given tickers, each coin once, else the top perpetuals by 24 h
    quote volume) scored whole, ``SCAN_CONCURRENCY`` at a time, ranked (``_rank_key``; ties
    in candidate order), those under ``min_score`` left out."""
    check_scan(candidates, tickers, first, min_score)
    entries = await _entries(ctx, candidates, tickers)
    bound = asyncio.Semaphore(SCAN_CONCURRENCY)

    async def score(entry: ScanEntry) -> None:
        if entry.mss is None:
            return
        async with bound:
            try:
                entry.result = await entry.mss.total()
            except Exception as exc:  # one candidate's failure is its own, listed with it
                entry.error = exc

    await asyncio.gather(*(score(e) for e in entries))
    kept = [e for e in entries if _passes(e, min_score)]
    ranked = sorted(kept, key=_rank_key)
    return MssScan(ranked[:first], len(entries))


__all__ = [
    "BOOK_DEPTH",
    "OI_POINTS",
    "PHASE_INPUTS",
    "SCAN_MAX_CANDIDATES",
    "SCAN_MAX_FIRST",
    "TAKER_POINTS",
    "CoinMss",
    "MssScan",
    "ScanEntry",
    "check_scan",
    "coin_market",
    "listing_origin",
    "mss_scan",
    "social_coin",
]
