"""Order-book measures. Pure functions over ``OrderBook``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from engine.domain import BookLevel, OrderBook

# A wall is a level holding more than this many times its side's average level size: big
# enough that a scalper sees it on a depth chart, rare enough (a few in 100 levels of the
# recorded books) to be a level worth naming.
WALL_FACTOR = 5.0


def imbalance(book: OrderBook) -> float | None:
    """(bid qty - ask qty) / (bid qty + ask qty) over the levels given; -1..1, None if empty."""
    bid = sum(level.quantity for level in book.bids)
    ask = sum(level.quantity for level in book.asks)
    total = bid + ask
    return (bid - ask) / total if total > 0 else None


def spread(book: OrderBook) -> float | None:
    """Best ask minus best bid, in quote currency; None when a side is empty."""
    if not book.bids or not book.asks:
        return None
    return book.asks[0].price - book.bids[0].price


def spread_bps(book: OrderBook) -> float | None:
    """Spread relative to the mid price, in basis points."""
    gap = spread(book)
    if gap is None:
        return None
    mid = (book.asks[0].price + book.bids[0].price) / 2
    return gap / mid * 10_000 if mid > 0 else None


@dataclass(frozen=True, slots=True)
class Wall:
    """One resting level much larger than the others on its side.

    ``price`` in quote currency, ``quantity`` in base units, ``multiple`` = quantity over
    the side's average level quantity (above ``WALL_FACTOR`` by definition)."""

    price: float
    quantity: float
    multiple: float


@dataclass(frozen=True, slots=True)
class Walls:
    bids: tuple[Wall, ...]  # in book order: best (highest) first, so the nearest first
    asks: tuple[Wall, ...]  # best (lowest) first


def side_walls(levels: Sequence[BookLevel], factor: float = WALL_FACTOR) -> tuple[Wall, ...]:
    """The levels whose quantity is strictly above ``factor`` x the average quantity of
    ``levels`` (one side of the book, as many levels as were fetched), in the order given.

    The average includes the wall itself. Empty when the side is empty or holds nothing.
    ``factor`` must be finite and above 0.
    """
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"wall factor must be a finite number above 0, got {factor}")
    if not levels:
        return ()
    average = sum(level.quantity for level in levels) / len(levels)
    if not average > 0:
        return ()
    threshold = factor * average
    return tuple(
        Wall(level.price, level.quantity, level.quantity / average)
        for level in levels
        if level.quantity > threshold
    )


def walls(book: OrderBook, factor: float = WALL_FACTOR) -> Walls:
    """Bid and ask walls (see ``side_walls``), each side against its own average."""
    return Walls(bids=side_walls(book.bids, factor), asks=side_walls(book.asks, factor))


__all__ = [
    "WALL_FACTOR",
    "Wall",
    "Walls",
    "imbalance",
    "side_walls",
    "spread",
    "spread_bps",
    "walls",
]
