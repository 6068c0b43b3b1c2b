"""Frozen types of the signal engine: its inputs, the per-source status, and its results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from engine.domain import Candle, Liquidation, OpenInterestPoint


class Direction(Enum):
    LONG = "LONG"
    SHORT = "SHORT"
    NEUTRAL = "NEUTRAL"


class Confidence(Enum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class Tier(Enum):
    """How much a source matters to a signal (its weight in the quality score)."""

    CRITICAL = "CRITICAL"
    IMPORTANT = "IMPORTANT"
    OPTIONAL = "OPTIONAL"


class SourceState(Enum):
    OK = "OK"
    STALE = "STALE"  # served past its TTL because the upstream failed
    FAILED = "FAILED"
    NOT_CONFIGURED = "NOT_CONFIGURED"  # a keyed source without its key


class Mode(Enum):
    CONSERVATIVE = "CONSERVATIVE"
    AGGRESSIVE = "AGGRESSIVE"
    ULTRA = "ULTRA"


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One data source of a signal, as fetched. ``name`` is one of ``SOURCES``."""

    name: str
    state: SourceState
    provider: str | None = None
    latency_ms: float | None = None
    code: str | None = None  # the error code when FAILED
    detail: str | None = None  # a one-line reason when FAILED or NOT_CONFIGURED


@dataclass(frozen=True, slots=True)
class LiquidationWindow:
    """Liquidated USD and counts by side over ``window_ms`` ending at ``end_ms``."""

    long_usd: float
    short_usd: float
    long_count: int | None  # None when the source sends USD totals only (Coinglass)
    short_count: int | None
    window_ms: int
    end_ms: int
    largest: tuple[Liquidation, ...] = ()


@dataclass(frozen=True, slots=True)
class SignalInputs:
    """Everything the factors read; ``None`` means the source gave nothing."""

    price: float | None
    candles_1h: tuple[Candle, ...] | None  # oldest first
    funding_rate: float | None  # fraction per funding interval
    global_long_short_ratio: float | None  # all accounts, long/short
    top_position_ratio: float | None  # top traders by position, long/short
    open_interest: tuple[OpenInterestPoint, ...] | None  # oldest first
    liquidations: LiquidationWindow | None
    social_sentiment_pct: float | None  # 0..100, share of positive posts
    fear_greed: int | None  # 0..100


@dataclass(frozen=True, slots=True)
class FactorResult:
    name: str
    weight: int  # of 100
    sub_score: float | None  # 0..100, 50 = no edge; None when unavailable
    available: bool
    contribution: float  # points this factor moves the score away from 50 (signed)
    explanation: str
    source: str | None  # which source name(s) fed it
    raw: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class ModeInfo:
    mode: Mode
    short_at_or_below: float
    long_at_or_above: float
    risk_level: str
    description: str
    best_use: str


@dataclass(frozen=True, slots=True)
class DataQuality:
    score_pct: float
    minimum_pct: float
    sufficient: bool
    sources: tuple[SourceStatus, ...]


@dataclass(frozen=True, slots=True)
class SignalResult:
    direction: Direction
    score: float  # 0..100
    confidence: Confidence
    mode: ModeInfo
    factors: tuple[FactorResult, ...]  # all eight, in weight order
    top_factors: tuple[FactorResult, ...]  # three largest |contribution| among available
    reasons: tuple[str, ...]
    quality: DataQuality
    generated_at_ms: int
