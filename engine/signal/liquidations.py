"""Liquidation events summed into one window by side: the liquidation factor's input."""

from __future__ import annotations

import math
from collections.abc import Sequence

from engine.domain import Liquidation, PositionSide
from engine.signal.model import LiquidationWindow


def aggregate_liquidations(
    events: Sequence[Liquidation], end_ms: int, window_ms: int, largest: int = 5
) -> LiquidationWindow:
    """Liquidated USD and counts by side over the window ``(end_ms - window_ms, end_ms]``.

    ``long_usd`` sums ``notional_usd`` of LONG positions liquidated (SELL orders),
    ``short_usd`` of SHORT positions (BUY orders). Events outside the window are ignored;
    every event given is counted whatever its symbol, so pass one symbol's events.
    ``largest`` keeps that many biggest events in the window, by ``notional_usd``
    descending (earlier first on ties). Times in Unix ms. Raises ValueError when
    ``window_ms`` <= 0 or ``largest`` < 0.
    """
    if window_ms <= 0:
        raise ValueError(f"window_ms must be positive, got {window_ms}")
    if largest < 0:
        raise ValueError(f"largest must be >= 0, got {largest}")
    start_ms = end_ms - window_ms
    inside = [e for e in events if start_ms < e.ts_ms <= end_ms]
    longs = [e.notional_usd for e in inside if e.side is PositionSide.LONG]
    shorts = [e.notional_usd for e in inside if e.side is PositionSide.SHORT]
    biggest = sorted(inside, key=lambda e: (-e.notional_usd, e.ts_ms))[:largest]
    return LiquidationWindow(
        long_usd=math.fsum(longs),
        short_usd=math.fsum(shorts),
        long_count=len(longs),
        short_count=len(shorts),
        window_ms=window_ms,
        end_ms=end_ms,
        largest=tuple(biggest),
    )


__all__ = ["aggregate_liquidations"]
