"""Reading a question's words: which are coins, which are words, which language.

Rules, in the order they are tried on each word:

1. The text is NFKC-normalised (full-width letters become ASCII) and cut into words of ASCII
   letters and digits, joined by ``- / _ : .`` inside a word (``BTC-USDT-SWAP``, ``BTC/USDT``)
   and optionally led by ``$``. Only the first ``MAX_WORDS`` words are read.
2. A joined word whose second part is a quote (``USDT``, ``USDC``, ``BUSD``, ``USD``) or a
   contract suffix (``SWAP``, ``PERP``, ``P``) is a symbol (``engine.symbols.parse``);
   any other joined word (``long/short``) is read as its parts.
3. A coin written explicitly, as ``$X``, with a quote suffix (``BTCUSDT``) or in a venue's
   multiplied form (``1000PEPE``, ``kPEPE``), is that coin when the venues list it, and an
   unknown coin otherwise.
4. A common coin name (``bitcoin``, ``ethereum``, ``solana``) is its ticker when listed.
5. Keywords and mode words (``funding``, ``rsi``, ``oi``, ``safe``...) are never coins
   unless written as in rule 3 (``$SAFE``).
6. A word in capitals (``ONE``, ``AI``, ``T``) that the venues list is that coin, if
   capitals mean something in this text: it has lower-case letters too, or is one word.
   (In a shouted ``WHY IS THE MARKET RED`` capitals say nothing.)
7. Any other word the venues list is that coin unless it is a common English or Indonesian
   word (``one``, ``ai``, ``sun``, ``not``, ``ada``...), a single letter, or only digits.
8. Indonesian ``-nya`` (``harganya``, ``btcnya``) is dropped when what is left is a keyword
   or a coin.

Coins keep the order said, without duplicates, at most ``MAX_TICKERS``. Words read as coins
do not count for the language: any Indonesian word makes the text Indonesian, else any
English word makes it English, else the language is unknown (None).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from itertools import islice

from engine.ask.vocabulary import (
    COIN_NAMES,
    COMMON_WORDS,
    ENGLISH,
    INDONESIAN,
    INTENT_PHRASES,
    MODE_MARKERS,
    MODE_WORDS,
)
from engine.symbols import QUOTES, parse, split_multiplier

MAX_WORDS = 40  # words read from the text; the rest is ignored
MAX_TICKERS = 10  # coins kept, in the order said

_WORD = re.compile(r"\$?[A-Za-z0-9]+(?:[-/_:.][A-Za-z0-9]+)*")
_JOINERS = re.compile(r"[-/_:.]")
_CONTRACT_SUFFIXES = ("SWAP", "PERP", "P")
_NYA = "nya"  # Indonesian "its / the": harganya = its price
# Stablecoins' own names are not venue spellings: BUSD is not the coin B quoted in USD.
_STABLECOINS = frozenset({"USDT", "USDC", "BUSD", "USD", "TUSD", "FDUSD", "USDE", "USDP", "DAI"})

# Every single word of a keyword phrase or a mode name: never a coin unless explicit.
KEYWORD_WORDS: frozenset[str] = frozenset(
    word
    for phrases in INTENT_PHRASES.values()
    for phrase in phrases
    for word in phrase.split()
) | frozenset(MODE_WORDS) | frozenset(MODE_MARKERS) | {"scalping"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Reading:
    """A question's words. ``words``: lower case, in order, what keyword phrases and mode
    words are matched against; a coin written explicitly is there as ``$x`` (``$safe``), so
    it matches no keyword. ``tickers``: the listed coins said. ``unknown``: coins
    that look meant (explicit or in capitals) but are not listed. ``language``: ``"en"``,
    ``"id"`` or None."""

    words: tuple[str, ...]
    tickers: tuple[str, ...]
    unknown: tuple[str, ...]
    language: str | None


def _raw_words(text: str) -> Iterator[tuple[str, bool]]:
    """(word, explicit) pairs: ``$`` stripped (it makes the word explicit), joined words
    that are not symbols split into their parts."""
    for match in islice(_WORD.finditer(text), MAX_WORDS):
        token = match.group()
        explicit = token.startswith("$")
        body = token.removeprefix("$")
        parts = _JOINERS.split(body)
        if len(parts) == 1:
            yield body, explicit
        elif parts[1].upper() in QUOTES or parts[1].upper() in _CONTRACT_SUFFIXES:
            yield body, True  # BTC-USDT-SWAP, BTC/USDT, BTCUSDT.P
        else:
            yield from ((part, False) for part in parts)


def _venue_form(word: str) -> str | None:
    """The asset of a venue spelling (``BTCUSDT``, ``1000PEPE``, ``kPEPE``, ``BTC-USDT``),
    None when ``word`` is not one."""
    if word.upper() in _STABLECOINS:
        return None
    try:
        asset, _ = parse(word)
    except ValueError:
        return None
    if asset == word.upper() and not _JOINERS.search(word):
        return None  # nothing was stripped: a plain word
    if len(asset) < 2 and split_multiplier(word.upper())[1] != 1:
        return None  # "1000x" is leverage, not the coin X
    return asset


def _has_letter(word: str) -> bool:
    return any(c.isalpha() for c in word)


def read(text: str, known: Collection[str]) -> Reading:
    """Read ``text`` (already bounded in length by the caller) against ``known``, the base
    tickers the venues list (any case). The rules are the module's docstring."""
    listed = {ticker.upper() for ticker in known}
    normal = unicodedata.normalize("NFKC", text)
    pairs = list(_raw_words(normal))
    capitals_count = any(c.islower() for c in normal) or len(pairs) == 1

    words: list[str] = []
    tickers: list[str] = []
    unknown: list[str] = []
    language_words: list[str] = []

    def coin(ticker: str) -> None:
        if ticker not in tickers and len(tickers) < MAX_TICKERS:
            tickers.append(ticker)

    for word, explicit in pairs:
        lower = word.lower()
        stem = lower.removesuffix(_NYA) if lower.endswith(_NYA) and len(lower) >= 6 else None
        if stem is not None and (
            stem in KEYWORD_WORDS
            or stem in COIN_NAMES
            or (stem.upper() in listed and stem not in COMMON_WORDS)
        ):
            word, lower = word[: len(stem)], stem
        venue_asset = _venue_form(word)
        if explicit or venue_asset is not None:
            words.append(f"${lower}")  # "$safe" is the coin, not the mode "safe"
            asset = venue_asset or word.upper()
            if asset in listed:
                coin(asset)
            elif _has_letter(asset):
                unknown.append(asset)
            continue
        words.append(lower)
        if lower in COIN_NAMES:
            if COIN_NAMES[lower] in listed:
                coin(COIN_NAMES[lower])
            else:
                unknown.append(COIN_NAMES[lower])
            continue
        if lower in KEYWORD_WORDS:
            language_words.append(lower)
            continue
        upper = word.upper()
        in_capitals = capitals_count and word.isupper()
        plain_coin = lower not in COMMON_WORDS and len(word) >= 2 and _has_letter(word)
        if upper in listed and (in_capitals or plain_coin):
            coin(upper)
            continue
        if in_capitals and 2 <= len(word) <= 10 and lower not in COMMON_WORDS:
            unknown.append(upper)
        language_words.append(lower)

    return Reading(
        words=tuple(words),
        tickers=tuple(tickers),
        unknown=tuple(dict.fromkeys(u for u in unknown if u not in tickers)),
        language=language_of(language_words),
    )


def language_of(words: Collection[str]) -> str | None:
    """``"id"`` when any word is Indonesian, else ``"en"`` when any is English, else None."""
    if any(w in INDONESIAN for w in words):
        return "id"
    if any(w in ENGLISH for w in words):
        return "en"
    return None


__all__ = ["KEYWORD_WORDS", "MAX_TICKERS", "MAX_WORDS", "Reading", "language_of", "read"]
