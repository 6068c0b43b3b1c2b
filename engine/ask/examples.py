"""Example questions per language, shown when a question is not understood. Each one is
understood (a test checks it) and in its own language."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

EXAMPLES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "en": (
            "BTC signal",
            "ETH signal conservative mode",
            "SOL scalping",
            "what is the funding rate of BTC?",
            "ETH liquidations",
            "BTC RSI",
            "smart money scan",
            "fear and greed index",
            "why is crypto crashing?",
            "new listings",
        ),
        "id": (
            "sinyal BTC",
            "sinyal ETH mode konservatif",
            "scalping SOL dong",
            "berapa funding BTC?",
            "likuidasi ETH",
            "harga BTC sekarang",
            "paus BTC",
            "indeks ketakutan",
            "kenapa market merah semua?",
            "listing baru",
        ),
    }
)


def examples_for(language: str | None) -> tuple[str, ...]:
    """The examples of ``language``; both languages' when it is None or not one of them."""
    if language is not None and language in EXAMPLES:
        return EXAMPLES[language]
    return EXAMPLES["en"] + EXAMPLES["id"]


__all__ = ["EXAMPLES", "examples_for"]
