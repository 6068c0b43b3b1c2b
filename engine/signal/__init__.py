"""The signal engine: eight factors, weights, modes, data quality, the weighted score.

Pure and clock-free: inputs and ``now_ms`` come in, frozen results go out.
"""

from engine.signal.factors import FACTORS, FactorSpec, Reading, check_weights
from engine.signal.liquidations import aggregate_liquidations
from engine.signal.modes import DEFAULT_MODE, MODE_INFO, direction_for, parse_mode
from engine.signal.quality import SOURCES, assess
from engine.signal.score import NoPrice, compute_signal, confidence_for
from engine.signal.summary import (
    CoinRow,
    CoinSignal,
    Distribution,
    LiquidationPressure,
    MarketSummary,
    Pressure,
    Sentiment,
    summarize,
)

__all__ = [
    "DEFAULT_MODE",
    "FACTORS",
    "MODE_INFO",
    "SOURCES",
    "CoinRow",
    "CoinSignal",
    "Distribution",
    "FactorSpec",
    "LiquidationPressure",
    "MarketSummary",
    "NoPrice",
    "Pressure",
    "Reading",
    "Sentiment",
    "aggregate_liquidations",
    "assess",
    "check_weights",
    "compute_signal",
    "confidence_for",
    "direction_for",
    "parse_mode",
    "summarize",
]
