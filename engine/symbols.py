"""Symbol normalizer: whatever a user types to one canonical symbol with per-venue names.

Accepted forms (case-insensitive unless noted): ``btc``, ``BTCUSDT``, ``btc-usdt-swap``,
``BTC/USDT:USDT``, ``BTC-USDT``, ``BTC_USDT``, ``BTCUSDT.P``, ``1000PEPE``, ``1000PEPEUSDT``
and Hyperliquid's ``kPEPE`` (a lowercase ``k`` before an upper-case name means x1000).

The canonical ticker is the asset itself (``PEPE``); the venues' multiplied contracts keep
their own names (Binance ``1000PEPEUSDT``, Hyperliquid ``kPEPE``). Which symbols exist comes
from the venues' exchange info (``SymbolRegistry.from_contracts``), never from a list here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from engine.domain import ListedContract

QUOTES = ("USDT", "USDC", "BUSD", "USD")
# Binance multiplies tiny-priced assets: 1000PEPE, 1000000MOG, 1MBABYDOGE.
_MULTIPLIER_PREFIXES = (("1000000", 1_000_000), ("1M", 1_000_000), ("1000", 1000))
_SUFFIXES = ("-SWAP", ".P", "-PERP", "PERP")
_SPLIT = re.compile(r"[-/_:]")


@dataclass(frozen=True, slots=True)
class VenueNames:
    binance: str | None
    okx: str
    hyperliquid: str


@dataclass(frozen=True, slots=True)
class SymbolRef:
    """A resolved symbol: canonical ticker (``BTC``), quote and per-venue names."""

    ticker: str
    quote: str
    multiplier: int  # units of the asset per unit of Binance's contract base (1 or 1000...)
    venues: VenueNames
    listed_ms: int | None


class NotListed(LookupError):
    """No listing of this registry matches the text. ``suggestions`` are close canonical
    tickers."""

    def __init__(self, text: str, suggestions: tuple[str, ...]) -> None:
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"unknown symbol {text!r}{hint}")
        self.text = text
        self.suggestions = suggestions


def split_multiplier(base: str) -> tuple[str, int]:
    """``1000PEPE`` -> (``PEPE``, 1000); ``BTC`` -> (``BTC``, 1)."""
    for prefix, factor in _MULTIPLIER_PREFIXES:
        rest = base[len(prefix) :]
        if base.startswith(prefix) and rest[:1].isalpha():
            return rest, factor
    return base, 1


def parse(text: str) -> tuple[str, str]:
    """Parse user input to (canonical asset, quote); raises ValueError on empty input."""
    raw = text.strip()
    if not raw or len(raw) > 40:
        raise ValueError("a ticker is 1 to 40 characters")
    if len(raw) > 1 and raw[0] == "k" and raw[1:2].isupper():  # Hyperliquid kPEPE
        raw = "1000" + raw[1:]
    upper = raw.upper()
    for suffix in _SUFFIXES:
        if upper.endswith(suffix) and len(upper) > len(suffix):
            upper = upper[: -len(suffix)]
            break
    parts = [p for p in _SPLIT.split(upper) if p]
    if not parts:
        raise ValueError("a ticker needs letters or digits")
    base, quote = parts[0], parts[1] if len(parts) > 1 else ""
    if not quote:
        for candidate in QUOTES:
            if base.endswith(candidate) and len(base) > len(candidate):
                base, quote = base[: -len(candidate)], candidate
                break
    asset, _ = split_multiplier(base)
    return asset, quote or "USDT"


def _hyperliquid_name(asset: str, multiplier: int) -> str:
    return f"k{asset}" if multiplier == 1000 else asset


class SymbolRegistry:
    """Tradable perpetuals of a venue, indexed by canonical (asset, quote)."""

    def __init__(self, refs: Iterable[SymbolRef]) -> None:
        self._by_key: dict[tuple[str, str], SymbolRef] = {}
        for ref in refs:
            self._by_key.setdefault((ref.ticker, ref.quote), ref)
        self._tickers = sorted({ticker for ticker, _ in self._by_key})

    @classmethod
    def from_binance(cls, contracts: Iterable[ListedContract]) -> SymbolRegistry:
        refs = []
        for c in contracts:
            if c.status != "TRADING":
                continue
            asset, multiplier = split_multiplier(c.base)
            venues = VenueNames(
                binance=c.venue_symbol,
                okx=f"{asset}-{c.quote}-SWAP",
                hyperliquid=_hyperliquid_name(asset, multiplier),
            )
            refs.append(SymbolRef(asset, c.quote, multiplier, venues, c.onboard_ms))
        return cls(refs)

    @classmethod
    def from_okx(cls, contracts: Iterable[ListedContract]) -> SymbolRegistry:
        refs = []
        for c in contracts:
            if c.status.lower() != "live":
                continue
            asset, multiplier = split_multiplier(c.base)
            venues = VenueNames(None, c.venue_symbol, _hyperliquid_name(asset, multiplier))
            refs.append(SymbolRef(asset, c.quote, multiplier, venues, c.onboard_ms))
        return cls(refs)

    @property
    def tickers(self) -> tuple[str, ...]:
        """Every base ticker listed (BTC, PEPE...), sorted."""
        return tuple(self._tickers)

    def __len__(self) -> int:
        return len(self._by_key)

    def find(self, text: str) -> SymbolRef | None:
        try:
            key = parse(text)
        except ValueError:
            return None
        return self._by_key.get(key)

    def suggest(self, text: str, n: int = 3) -> tuple[str, ...]:
        try:
            asset, _ = parse(text)
        except ValueError:
            return ()
        return tuple(difflib.get_close_matches(asset, self._tickers, n=n, cutoff=0.6))

    def resolve(self, text: str) -> SymbolRef:
        ref = self.find(text)
        if ref is None:
            raise NotListed(text, self.suggest(text))
        return ref


__all__ = [
    "NotListed",
    "SymbolRef",
    "SymbolRegistry",
    "VenueNames",
    "parse",
    "split_multiplier",
]
