"""Coinglass liquidation stream (keyed): channel ``liquidationOrders`` of the open WebSocket.

Source: Coinglass API docs, "WebSocket — Getting Started" (docs.coinglass.com
``ws-getting-started``): connect to ``wss://open-ws.coinglass.com/ws-api?cg-api-key=KEY``,
send ``{"method": "subscribe", "channels": ["liquidationOrders"]}``, keep the connection up
with a text ``"ping"`` every 20 s (answered ``"pong"``). A push is
``{"channel": "liquidationOrders", "data": [{baseAsset, exName, price, side, symbol, time,
volUsd}]}``: liquidations of many exchanges (``exName``), numbers as JSON numbers, ``time``
in ms, ``volUsd`` the USD value. The doc example is in
``providers/replay/data/coinglass/ws-liquidationOrders.doc-example.json``.

``side``: Coinglass documents it (liquidation order endpoint) as the order direction,
``1`` buy and ``2`` sell. A buy liquidation order closes a SHORT, a sell one a LONG, as on
every venue. (One third-party client claims the opposite from observation; the vendor's
documentation is followed here.)

The key travels in the URL, as Coinglass requires, so the URL is never logged: the
stream's log lines blank it out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, Unpack
from urllib.parse import quote

from pydantic import Field, ValidationError

from engine.domain import Liquidation, PositionSide
from providers.coinglass.venue import VENUE
from providers.metrics import Metrics
from providers.payloads import Payload
from providers.streams import (
    AppKeepalive,
    Connect,
    FrameSocket,
    MalformedFrame,
    StreamTuningKwargs,
    UpstreamStream,
    VenueStream,
    tuning_from,
)

PROVIDER = VENUE.provider  # "coinglass"


@dataclass(frozen=True, slots=True)
class CoinglassWsVenue:
    default_base_url: str
    path: str
    key_param: str  # the key goes in this query parameter
    channel: str
    ping_text: str
    pong_text: str
    ping_every_s: float  # Coinglass recommends a ping every 20 s


WS_VENUE = CoinglassWsVenue(
    default_base_url="wss://open-ws.coinglass.com",
    path="/ws-api",
    key_param="cg-api-key",
    channel="liquidationOrders",
    ping_text="ping",
    pong_text="pong",
    ping_every_s=20.0,
)

# A ping after 20 s without a frame; a busy feed keeps the connection alive by itself.
# Rotate daily like the venues' own streams.
_DEFAULT_TUNING: StreamTuningKwargs = {
    "idle_ping_s": WS_VENUE.ping_every_s,
    "rotate_after_s": 23.5 * 3600.0,
}


class LiquidationOrder(Payload):
    """One ``data[]`` entry. ``side`` 1 is a buy order (a short liquidated), 2 a sell."""

    exName: str = Field(min_length=1)
    symbol: str = Field(min_length=1)
    baseAsset: str | None = None
    price: float = Field(gt=0)
    volUsd: float = Field(gt=0)
    side: Literal[1, 2]
    time: int

    def to_domain(self) -> Liquidation:
        return Liquidation(
            symbol=self.symbol,
            venue=self.exName.lower(),  # "Binance" -> "binance", as the venue feeds name it
            side=PositionSide.SHORT if self.side == 1 else PositionSide.LONG,
            price=self.price,
            quantity=self.volUsd / self.price,
            notional_usd=self.volUsd,
            ts_ms=self.time,
        )


def subscribe_message() -> str:
    return json.dumps({"method": "subscribe", "channels": [WS_VENUE.channel]})


def parse_frame(text: str) -> list[Liquidation]:
    """One push as events; ``[]`` for other channels' pushes. Raises ``MalformedFrame``."""
    try:
        body: Any = json.loads(text)
    except ValueError as exc:
        raise _malformed(f"not JSON: {exc}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise _malformed("expected {channel, data: [...]}")
    if body.get("channel") != WS_VENUE.channel:
        return []
    try:
        rows = [LiquidationOrder.model_validate(row) for row in body["data"]]
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "data"
        raise _malformed(f"failed validation at {where}: {first['msg']}") from exc
    return [row.to_domain() for row in rows]


def _malformed(why: str) -> MalformedFrame:
    return MalformedFrame(why, provider=PROVIDER, endpoint=WS_VENUE.channel)


class CoinglassLiquidationStream(VenueStream[Liquidation]):
    """Liquidations of every exchange Coinglass covers, one connection, keyed.

    Events keep the exchange as ``venue`` (lower case) and its symbol, so an event that a
    venue's own feed also reports (Binance) has the same venue, symbol, side, time and
    price, and the hub publishes it once.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        metrics: Metrics,
        *,
        connect: Connect | None = None,
        **loop_tuning: Unpack[StreamTuningKwargs],
    ) -> None:
        if not api_key:
            raise ValueError("the Coinglass stream needs an API key")
        self.url = f"{base_url.rstrip('/')}{WS_VENUE.path}?{WS_VENUE.key_param}={quote(api_key)}"
        self._stream = UpstreamStream(
            provider=PROVIDER,
            url=self.url,
            parse=parse_frame,
            metrics=metrics,
            on_connect=self._on_connect,
            keepalive=AppKeepalive(WS_VENUE.ping_text, frozenset({WS_VENUE.pong_text})),
            connect=connect,
            tuning=tuning_from(_DEFAULT_TUNING, loop_tuning),
            secrets=(api_key, quote(api_key)),
        )

    def __repr__(self) -> str:  # the URL carries the key
        return f"CoinglassLiquidationStream(channel={WS_VENUE.channel!r})"

    async def _on_connect(self, ws: FrameSocket) -> None:
        await ws.send(subscribe_message())


__all__ = [
    "PROVIDER",
    "WS_VENUE",
    "CoinglassLiquidationStream",
    "CoinglassWsVenue",
    "LiquidationOrder",
    "parse_frame",
    "subscribe_message",
]
