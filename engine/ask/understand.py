"""``understand(text, known)``: a question in English or Indonesian to an ``Understood``.

Deterministic keyword rules, no model. How a question is read:

1. **Bounds.** Empty text, or text over ``MAX_CHARS`` characters, is refused
   (``NotUnderstood``); only the first ``tokens.MAX_WORDS`` words are read.
2. **Coins and language**: ``engine.ask.tokens`` (its docstring has the rules: ``$ONE``,
   ``BTCUSDT``, ``BTC-USDT-SWAP``, ``bitcoin``; lower-case common words such as "one" or
   "ada" are not coins).
3. **Mode.** The first mode word said: ``konservatif`` / ``conservative`` / ``aman`` /
   ``safe`` / ``m1`` / ``mode 1`` is CONSERVATIVE; ``agresif`` / ``aggressive`` /
   ``seimbang`` / ``balanced`` / ``m2`` / ``mode 2`` is AGGRESSIVE; ``ultra`` / ``extreme`` /
   ``ekstrem`` / ``m3`` / ``mode 3`` is ULTRA (``engine.signal.modes.ALIASES``). None said:
   AGGRESSIVE, with ``mode_said`` False.
   **"scalping"** is the SCALPING intent ("scalping BTC", "sol scalping"; no mode said).
   Only right next to the word "mode" ("mode scalping", "scalping mode") is it the mode
   alias (ULTRA), and then it is not the intent: "sinyal btc mode scalping" is a SIGNAL in
   ULTRA mode.
4. **Intent.** Each intent has keyword phrases in both languages
   (``vocabulary.INTENT_PHRASES``). When several match, **the longest phrase (most words)
   wins; between equally long phrases the intent earlier in the table wins**. The table
   runs from the most specific to the most general: new listings, fear & greed, long/short
   ratio, volume delta, smart money, whales, liquidations, funding, open interest, RSI,
   scalping, sentiment, discovery, market summary, price, signal. So "rasio long short"
   (3 words) beats "long short" (2, a signal), "tren pasar" (market summary) beats "tren"
   (open interest), and "berapa funding" is FUNDING (``funding`` and ``berapa`` tie at one
   word; funding comes first). A coin with no intent word is a SIGNAL.
5. **A coin is needed** by SIGNAL, SCALPING, FUNDING, LONG_SHORT_RATIO, RSI, WHALES,
   OPEN_INTEREST, VOLUME_DELTA and PRICE: without one, ``NotUnderstood`` asks which coin
   ("Which coin?" / "Koin apa?") and carries the intent. The others make sense for the
   whole market without a coin: LIQUIDATIONS and SENTIMENT (the market's),
   SMART_MONEY (a scan), MARKET_SUMMARY, FEAR_GREED, NEW_LISTINGS, DISCOVERY.
"""

from __future__ import annotations

from collections.abc import Collection

from engine.ask.examples import examples_for
from engine.ask.model import Intent, NotUnderstood, Understood
from engine.ask.tokens import read
from engine.ask.vocabulary import INTENT_PHRASES, MODE_MARKERS, MODE_NUMBERS, MODE_WORDS
from engine.signal.model import Mode
from engine.signal.modes import ALIASES, DEFAULT_MODE

MAX_CHARS = 500

NEEDS_A_COIN: frozenset[Intent] = frozenset(
    {
        Intent.SIGNAL,
        Intent.SCALPING,
        Intent.FUNDING,
        Intent.LONG_SHORT_RATIO,
        Intent.RSI,
        Intent.WHALES,
        Intent.OPEN_INTEREST,
        Intent.VOLUME_DELTA,
        Intent.PRICE,
    }
)

_SCALPING = "scalping"
_USED = ""  # a word taken by the mode, out of the intent's reach


def _say(language: str | None, en: str, id_: str) -> str:
    """The message in ``language``; both, English first, when it is not known."""
    if language == "en":
        return en
    if language == "id":
        return id_
    return f"{en} / {id_}"


def _refuse(message: str, language: str | None, intent: Intent | None = None) -> NotUnderstood:
    return NotUnderstood(message, language=language, examples=examples_for(language), intent=intent)


def find_mode(words: list[str]) -> Mode | None:
    """The first mode said in ``words`` (lower case), None when there is none. A word used
    for the mode ("scalping" beside "mode") is replaced by ``_USED`` in ``words``."""
    for i, word in enumerate(words):
        after = words[i + 1] if i + 1 < len(words) else ""
        before = words[i - 1] if i > 0 else ""
        if word in MODE_WORDS:
            return ALIASES[MODE_WORDS[word]]
        if word in MODE_MARKERS and after in MODE_NUMBERS:
            return ALIASES[after]
        if word == _SCALPING and (before in MODE_MARKERS or after in MODE_MARKERS):
            words[i] = _USED
            return ALIASES[_SCALPING]
    return None


def find_intent(words: list[str]) -> Intent | None:
    """The intent of the longest phrase found in ``words``; on a tie, the intent earlier
    in ``INTENT_PHRASES``. None when no phrase is found."""
    padded = f" {' '.join(words)} "
    best: Intent | None = None
    best_length = 0
    for intent, phrases in INTENT_PHRASES.items():
        for phrase in phrases:
            length = len(phrase.split())
            if length > best_length and f" {phrase} " in padded:
                best, best_length = intent, length
    return best


def understand(text: str, known: Collection[str]) -> Understood:
    """Read one question (English or Indonesian) against ``known``, the base tickers the
    venues list (``{"BTC", "ETH", "ONE", "AI", ...}``). Raises ``NotUnderstood`` for
    empty, over-long or unknown text, and for an intent that needs a coin named without
    one. The module docstring has the rules."""
    if len(text) > MAX_CHARS:
        language = read(text[:MAX_CHARS], known).language
        raise _refuse(
            _say(
                language,
                f"The question is too long: at most {MAX_CHARS} characters.",
                f"Pertanyaannya terlalu panjang: paling banyak {MAX_CHARS} karakter.",
            ),
            language,
        )
    reading = read(text, known)
    language = reading.language
    words = list(reading.words)
    mode = find_mode(words)
    intent = find_intent(words)
    if intent is None and reading.tickers:
        intent = Intent.SIGNAL
    if intent is None:
        if reading.unknown:
            names = ", ".join(reading.unknown)
            message = _say(
                language,
                f"{names}: not a listed coin, and no question I know.",
                f"{names}: bukan koin yang terdaftar, dan bukan pertanyaan yang saya kenal.",
            )
        else:
            message = _say(
                language,
                "Sorry, I did not understand that. Try one of the examples.",
                "Maaf, saya tidak mengerti. Coba salah satu contoh.",
            )
        raise _refuse(message, language)
    if intent in NEEDS_A_COIN and not reading.tickers:
        en, id_ = (
            "Which coin? Name one, e.g. BTC, ETH or SOL.",
            ("Koin apa? Sebutkan koinnya, misalnya BTC, ETH atau SOL."),
        )
        if reading.unknown:
            names = ", ".join(reading.unknown)
            en, id_ = f"{en} ({names}: not listed.)", f"{id_} ({names}: tidak terdaftar.)"
        raise _refuse(_say(language, en, id_), language, intent)
    return Understood(
        intent=intent,
        tickers=reading.tickers,
        mode=mode or DEFAULT_MODE,
        mode_said=mode is not None,
        language=language or "en",
    )


__all__ = [
    "MAX_CHARS",
    "NEEDS_A_COIN",
    "Intent",
    "NotUnderstood",
    "Understood",
    "find_intent",
    "find_mode",
    "understand",
]
