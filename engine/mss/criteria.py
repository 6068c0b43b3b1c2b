"""The MSS's three phases as tables of criteria: what each reads, its bands, its points, why.

The replaced system's own figures set the phase maxima: discovery 30, social confirmation 35
(30 for LunarCrush's metrics and a 0-5 bonus for a buy-pressure spike over 60 %), and
institutional validation 35, for 100 in all. Every criterion is a list of bands tried in
order: the first band whose threshold the value reaches gives its points, a value that
reaches none gives 0. ``HIGHER`` criteria reach a band at or above its threshold (``> `` for
a band marked strict), ``LOWER`` ones at or below it.

| phase | criterion | input (source) | bands -> points | why |
|---|---|---|---|---|
| discovery | ``fdv`` | fully diluted valuation, USD (CoinGecko) | <= 20M 12, <= 50M 9, <= 100M 6, <= 500M 3 | an emerging coin is small: room to grow, a move needs little money |
| discovery | ``age`` | days since the futures listing (the venue's exchange info: Binance, else OKX) | <= 30 10, <= 90 7, <= 180 4, <= 365 2 | new coins are where emerging moves happen; old ones are priced in |
| discovery | ``supply`` | circulating supply as % of max (else total) supply (CoinGecko) | >= 80 8, >= 60 6, >= 40 4, >= 20 2 | the less supply still to unlock, the less future selling pressure |
| social | ``galaxy_score`` | Galaxy Score 0-100 (LunarCrush) | >= 70 10, >= 60 7, >= 50 4, >= 40 2 | LunarCrush's combined social and market health |
| social | ``alt_rank`` | AltRank, 1 = best (LunarCrush) | <= 50 8, <= 100 6, <= 250 4, <= 500 2 | social and price activity against every other coin |
| social | ``social_volume`` | posts in the last 24 h (LunarCrush) | >= 10,000 6, >= 1,000 4, >= 100 2 | people are talking about it |
| social | ``sentiment`` | positive posts, % of positive and negative (LunarCrush) | >= 80 6, >= 70 4, >= 60 2 | what they say is good |
| social | ``buy_pressure`` | taker buys, % of taker volume, last hour (Binance) | >= 68 5, >= 66 4, >= 64 3, >= 62 2, > 60 1 | the replaced system's volume-spike bonus: buyers lifting offers |
| institutional | ``oi_change`` | open interest change over 24 h, % (Binance) | >= 20 10, >= 10 7, >= 5 4, > 0 2 | new positions are opening, money is coming in |
| institutional | ``top_traders`` | top traders' long/short position ratio (Binance) | >= 2 10, >= 1.5 7, >= 1.2 4, >= 1 2 | the largest accounts lean long |
| institutional | ``whales`` | whale signs present of 3: OI up >= 5 %, top-trader ratio >= 1.2, taker buys >= 55 % (Binance) | >= 3 10, >= 2 6, >= 1 3 | the replaced system's whale detection: the three together |
| institutional | ``walls`` | bid walls against ask walls, -1..1, a wall being a level over 5x the average level (Binance) | >= 0.5 5, >= 0.2 3 | large resting bids under the price: someone big is buying dips |

A criterion without its data is left out and reported; its phase's maximum (and the total's)
shrinks by its points, so a missing source never scores as a bad one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from engine.signal.model import Tier


class Phase(Enum):
    DISCOVERY = "DISCOVERY"
    SOCIAL = "SOCIAL"
    INSTITUTIONAL = "INSTITUTIONAL"


class Better(Enum):
    HIGHER = "HIGHER"
    LOWER = "LOWER"


@dataclass(frozen=True, slots=True)
class Band:
    threshold: float
    points: float
    strict: bool = False  # reached only past the threshold, not at it


@dataclass(frozen=True, slots=True)
class Criterion:
    key: str
    phase: Phase
    input: str  # what is read, with its unit
    # the data-quality source it reads (``SOURCE_TIERS``); None for one read from the
    # readings of others (``whales``), whose sources are counted once, as theirs
    quality_source: str | None
    better: Better
    bands: tuple[Band, ...]  # tried in order; the first reached gives its points
    why: str

    @property
    def max_points(self) -> float:
        return max(band.points for band in self.bands)

    def points_for(self, value: float) -> float:
        for band in self.bands:
            if self._reaches(value, band):
                return band.points
        return 0.0

    def _reaches(self, value: float, band: Band) -> bool:
        if self.better is Better.HIGHER:
            return value > band.threshold if band.strict else value >= band.threshold
        return value < band.threshold if band.strict else value <= band.threshold


def _bands(*pairs: tuple[float, float]) -> tuple[Band, ...]:
    return tuple(Band(threshold, points) for threshold, points in pairs)


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "fdv", Phase.DISCOVERY, "fully diluted valuation, USD", "coin_details", Better.LOWER,
        _bands((20e6, 12), (50e6, 9), (100e6, 6), (500e6, 3)),
        "an emerging coin is small: room to grow, and a move needs little money",
    ),
    Criterion(
        "age", Phase.DISCOVERY,
        "whole days since the futures listing (the venue's exchange info)", "listing",
        Better.LOWER, _bands((30, 10), (90, 7), (180, 4), (365, 2)),
        "new coins are where emerging moves happen; old ones are priced in",
    ),
    Criterion(
        "supply", Phase.DISCOVERY, "circulating supply, % of max supply (else total supply)",
        "coin_details", Better.HIGHER, _bands((80, 8), (60, 6), (40, 4), (20, 2)),
        "the less supply still to unlock, the less selling pressure to come",
    ),
    Criterion(
        "galaxy_score", Phase.SOCIAL, "Galaxy Score, 0-100", "social", Better.HIGHER,
        _bands((70, 10), (60, 7), (50, 4), (40, 2)),
        "LunarCrush's combined measure of social and market health",
    ),
    Criterion(
        "alt_rank", Phase.SOCIAL, "AltRank, 1 is the best", "social", Better.LOWER,
        _bands((50, 8), (100, 6), (250, 4), (500, 2)),
        "social and price activity ranked against every other coin",
    ),
    Criterion(
        "social_volume", Phase.SOCIAL, "social posts in the last 24 hours", "social",
        Better.HIGHER, _bands((10_000, 6), (1_000, 4), (100, 2)),
        "people are talking about it",
    ),
    Criterion(
        "sentiment", Phase.SOCIAL, "positive posts, % of positive and negative ones", "social",
        Better.HIGHER, _bands((80, 6), (70, 4), (60, 2)),
        "what they say about it is good",
    ),
    Criterion(
        "buy_pressure", Phase.SOCIAL, "taker buys, % of taker volume over the last hour",
        "taker_volume", Better.HIGHER,
        (*_bands((68, 5), (66, 4), (64, 3), (62, 2)), Band(60, 1, strict=True)),
        "a volume spike with buyers lifting offers (over 60 %): the replaced system's bonus",
    ),
    Criterion(
        "oi_change", Phase.INSTITUTIONAL, "open interest change over 24 hours, %",
        "open_interest", Better.HIGHER,
        (*_bands((20, 10), (10, 7), (5, 4)), Band(0, 2, strict=True)),
        "new positions are opening: money is coming in",
    ),
    Criterion(
        "top_traders", Phase.INSTITUTIONAL, "top traders' long/short position ratio",
        "top_traders", Better.HIGHER, _bands((2.0, 10), (1.5, 7), (1.2, 4), (1.0, 2)),
        "the largest accounts lean long",
    ),
    Criterion(
        "whales", Phase.INSTITUTIONAL,
        "whale signs present of three: open interest up >= 5 % in 24 h, top traders' ratio "
        ">= 1.2, taker buys >= 55 %", None, Better.HIGHER,
        _bands((3, 10), (2, 6), (1, 3)),
        "the replaced system's whale detection: the three signs together",
    ),
    Criterion(
        "walls", Phase.INSTITUTIONAL,
        "bid walls against ask walls, -1 to 1 (a wall: a level over 5x the average level)",
        "order_book", Better.HIGHER, _bands((0.5, 5), (0.2, 3)),
        "large resting bids under the price: someone big buys the dips",
    ),
)  # fmt: skip

BY_KEY: Mapping[str, Criterion] = MappingProxyType({c.key: c for c in CRITERIA})

# the replaced system's phase maxima; a test checks the tables add up to them
PHASE_MAX: Mapping[Phase, float] = MappingProxyType(
    {Phase.DISCOVERY: 30.0, Phase.SOCIAL: 35.0, Phase.INSTITUTIONAL: 35.0}
)

# Each source the MSS reads and how much it matters to the score's quality.
SOURCE_TIERS: Mapping[str, Tier] = MappingProxyType(
    {
        "coin_details": Tier.CRITICAL,  # CoinGecko: FDV and supply
        "listing": Tier.IMPORTANT,  # the futures listing date (Binance, else OKX)
        "social": Tier.IMPORTANT,  # LunarCrush (keyed)
        "taker_volume": Tier.IMPORTANT,
        "open_interest": Tier.IMPORTANT,
        "top_traders": Tier.IMPORTANT,
        "order_book": Tier.OPTIONAL,
    }
)

# thresholds of the whale signs (``whales``)
WHALE_OI_CHANGE_PCT = 5.0
WHALE_TOP_TRADER_RATIO = 1.2
WHALE_BUY_SHARE_PCT = 55.0


def phase_criteria(phase: Phase) -> tuple[Criterion, ...]:
    return tuple(c for c in CRITERIA if c.phase is phase)


__all__ = [
    "BY_KEY",
    "CRITERIA",
    "PHASE_MAX",
    "SOURCE_TIERS",
    "WHALE_BUY_SHARE_PCT",
    "WHALE_OI_CHANGE_PCT",
    "WHALE_TOP_TRADER_RATIO",
    "Band",
    "Better",
    "Criterion",
    "Phase",
    "phase_criteria",
]
