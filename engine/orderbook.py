"""Order-book measures. Pure functions over ``OrderBook``."""

from __future__ import annotations

from engine.domain import OrderBook


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


__all__ = ["imbalance", "spread", "spread_bps"]
