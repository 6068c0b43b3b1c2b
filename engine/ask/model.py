"""What the ``ask`` parser understands: an intent, the coins named, the signal mode, the
asker's language; and the refusal it raises when it cannot tell."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from engine.signal.model import Mode

LANGUAGES = ("en", "id")  # English, Indonesian (Bahasa Indonesia)


class Intent(enum.Enum):
    """What the asker wants to know."""

    SIGNAL = "SIGNAL"  # LONG / SHORT / NEUTRAL with a score
    SCALPING = "SCALPING"  # the real-time scalping read
    FUNDING = "FUNDING"  # the funding rate
    LIQUIDATIONS = "LIQUIDATIONS"  # one coin's, or across the market
    LONG_SHORT_RATIO = "LONG_SHORT_RATIO"  # the global long/short account ratio
    RSI = "RSI"
    WHALES = "WHALES"  # large holders' positions and prints
    SMART_MONEY = "SMART_MONEY"  # accumulation / distribution, one coin or a market scan
    OPEN_INTEREST = "OPEN_INTEREST"  # open interest, "trend"
    SENTIMENT = "SENTIMENT"  # a coin's social mood, or the market's
    FEAR_GREED = "FEAR_GREED"  # the Fear & Greed index
    VOLUME_DELTA = "VOLUME_DELTA"  # taker buy minus sell volume
    PRICE = "PRICE"
    MARKET_SUMMARY = "MARKET_SUMMARY"  # "why is crypto crashing?"
    NEW_LISTINGS = "NEW_LISTINGS"  # futures contracts listed recently
    DISCOVERY = "DISCOVERY"  # screening coins ("find me a gem")


@dataclass(frozen=True, slots=True)
class Understood:
    """One understood question.

    ``tickers``: base tickers in upper case (``BTC``), in the order said, no duplicates.
    ``mode``: the signal mode said, AGGRESSIVE (the default) when none was; ``mode_said``
    tells the two apart. ``language``: ``"en"`` or ``"id"``, the language to answer in.
    """

    intent: Intent
    tickers: tuple[str, ...]
    mode: Mode
    mode_said: bool
    language: str


class NotUnderstood(ValueError):
    """The text could not be turned into a question the API answers.

    ``language``: ``"en"`` or ``"id"`` when the text shows which, else None (then
    ``examples`` holds both languages' examples). ``intent``: set when only the coin was
    missing ("funding" without a coin), None otherwise. ``examples``: phrases that work.
    """

    def __init__(
        self,
        message: str,
        *,
        language: str | None,
        examples: tuple[str, ...],
        intent: Intent | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.language = language
        self.examples = examples
        self.intent = intent


__all__ = ["LANGUAGES", "Intent", "NotUnderstood", "Understood"]
