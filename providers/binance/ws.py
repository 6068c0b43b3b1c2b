"""Binance USD-M all-market liquidation stream, ``!forceOrder@arr``.

Source: Binance USDⓈ-M Futures WebSocket docs ("All Market Liquidation Order Streams",
"Websocket Market Streams": a connection is valid for 24 h) and the recordings described in
``providers/replay/data/PROVENANCE.md`` (forceOrder rows and "Shape quirks").

Binance pushes at most one liquidation per symbol per 1000 ms (the latest one), so this
stream is a **sample** of the liquidations, not the full tape. Several events can share one
millisecond. Symbols can be non-ASCII (``币安人生USDT``); they are kept as sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, Unpack

from pydantic import ValidationError

from engine.domain import Liquidation, PositionSide
from providers.binance.venue import VENUE
from providers.metrics import Metrics
from providers.payloads import OptFloat, OptInt, Payload
from providers.streams import (
    Connect,
    MalformedFrame,
    StreamTuningKwargs,
    UpstreamStream,
    VenueStream,
    tuning_from,
)

PROVIDER = VENUE.provider  # "binance"


@dataclass(frozen=True, slots=True)
class BinanceWsVenue:
    default_base_url: str
    stream: str  # the all-market liquidation stream name
    raw_path: str  # raw stream: each frame is the event itself
    event_type: str  # "e" of a liquidation event
    connection_max_s: float  # Binance closes every connection after 24 h
    pushes_per_symbol_s: float  # at most one liquidation per symbol per second


WS_VENUE = BinanceWsVenue(
    default_base_url="wss://fstream.binance.com",
    stream="!forceOrder@arr",
    raw_path="/ws/!forceOrder@arr",
    event_type="forceOrder",
    connection_max_s=24 * 3600.0,
    pushes_per_symbol_s=1.0,
)

# Rotate half an hour before Binance's 24 h cut; Binance pings every 3 min and websockets
# answers, while its own pings (every 20 s) catch a silently dead socket.
_DEFAULT_TUNING: StreamTuningKwargs = {"rotate_after_s": WS_VENUE.connection_max_s - 1800.0}


class ForceOrder(Payload):
    """The ``o`` object: ``S`` is the liquidation order's side (SELL closes a long).

    ``ap`` average fill price and ``z`` filled quantity (base units) are what was executed;
    ``p`` (order price) and ``q`` (order quantity) are used only when those are absent.
    """

    s: str
    S: Literal["BUY", "SELL"]
    ap: OptFloat = None
    p: OptFloat = None
    z: OptFloat = None
    q: OptFloat = None
    T: OptInt = None  # trade time, ms


class ForceOrderEvent(Payload):
    """``{"e": "forceOrder", "E": ms, "o": {...}}``; one liquidation per frame."""

    e: Literal["forceOrder"]
    E: int  # event time, ms
    o: ForceOrder

    def to_domain(self) -> Liquidation:
        o = self.o
        price = o.ap if o.ap is not None else o.p
        quantity = o.z if o.z is not None else o.q
        if price is None or quantity is None:
            raise ValueError("a forceOrder needs a price (ap or p) and a quantity (z or q)")
        if price <= 0 or quantity <= 0:
            raise ValueError(f"non-positive price {price!r} or quantity {quantity!r}")
        return Liquidation(
            symbol=o.s,
            venue=PROVIDER,
            side=PositionSide.LONG if o.S == "SELL" else PositionSide.SHORT,
            price=price,
            quantity=quantity,
            notional_usd=price * quantity,
            ts_ms=o.T if o.T else self.E,
        )


def parse_frame(text: str) -> list[Liquidation]:
    """One text frame of the raw or the combined stream (``{"stream", "data"}``) as events.

    Raises ``MalformedFrame`` for anything that is not one liquidation event.
    """
    try:
        body: Any = json.loads(text)
        if isinstance(body, dict) and "stream" in body and "data" in body:
            body = body["data"]
        return [ForceOrderEvent.model_validate(body).to_domain()]
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "frame"
        raise MalformedFrame(
            f"forceOrder failed validation at {where}: {first['msg']}",
            provider=PROVIDER,
            endpoint=WS_VENUE.stream,
        ) from exc
    except ValueError as exc:  # not JSON, or no price/quantity
        raise MalformedFrame(
            f"unreadable forceOrder frame: {exc}", provider=PROVIDER, endpoint=WS_VENUE.stream
        ) from exc


class BinanceLiquidationStream(VenueStream[Liquidation]):
    """Every Binance USD-M liquidation Binance pushes (a per-symbol 1 s sample), normalized.

    ``base_url`` is e.g. ``WS_VENUE.default_base_url`` (``wss://fstream.binance.com``); the
    stream connects to ``{base_url}/ws/!forceOrder@arr``. ``loop_tuning`` overrides the
    ``StreamTuning`` numbers (rotation defaults to 23.5 h); ``connect`` replaces the
    websockets client (tests).
    """

    def __init__(
        self,
        base_url: str,
        metrics: Metrics,
        *,
        connect: Connect | None = None,
        **loop_tuning: Unpack[StreamTuningKwargs],
    ) -> None:
        self.url = base_url.rstrip("/") + WS_VENUE.raw_path
        self._stream = UpstreamStream(
            provider=PROVIDER,
            url=self.url,
            parse=parse_frame,
            metrics=metrics,
            connect=connect,
            tuning=tuning_from(_DEFAULT_TUNING, loop_tuning),
        )


__all__ = [
    "PROVIDER",
    "WS_VENUE",
    "BinanceLiquidationStream",
    "BinanceWsVenue",
    "ForceOrder",
    "ForceOrderEvent",
    "parse_frame",
]
