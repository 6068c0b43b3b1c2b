"""OKX v5 public liquidation stream, channel ``liquidation-orders``.

Source: OKX API v5 docs (WebSocket "Connect": a connection with no data for 30 s is closed,
so send ``"ping"`` when idle and expect ``"pong"``; "Liquidation orders channel") and the
recordings in ``providers/replay/data/okx`` (``ws-v5-public-samples-tardis.jsonl``,
``ws-liquidation-orders.doc-example.json``). Pushes are ``{"arg", "data": [{instId,
instFamily, details: [...]}]}`` with every value a string; ``data[]`` objects have the shape
of the REST ``public/liquidation-orders`` rows, so the REST models are reused. ``sz`` counts
contracts: the instrument's ``ctVal`` (from ``public/instruments``) turns it into base units.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

from pydantic import ValidationError

from engine.domain import Liquidation
from providers.metrics import Metrics
from providers.okx.models import LiquidationOrders
from providers.okx.venue import VENUE, check_liquidation_inst_type, is_inverse_family
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

PROVIDER = VENUE.provider  # "okx"

log = logging.getLogger("perpgraph.ingest")


@dataclass(frozen=True, slots=True)
class OkxWsVenue:
    default_base_url: str
    public_path: str
    channel: str
    idle_cut_s: float  # OKX closes a connection that carried no data for this long
    ping_text: str
    pong_text: str


WS_VENUE = OkxWsVenue(
    default_base_url="wss://ws.okx.com:8443",
    public_path="/ws/v5/public",
    channel="liquidation-orders",
    idle_cut_s=30.0,
    ping_text="ping",
    pong_text="pong",
)

# Ping after 20 s of silence, well inside OKX's 30 s idle cut; rotate daily like Binance.
_DEFAULT_TUNING: StreamTuningKwargs = {"idle_ping_s": 20.0, "rotate_after_s": 23.5 * 3600.0}


def subscribe_message(inst_types: Sequence[str]) -> str:
    """``{"op": "subscribe", "args": [{"channel": "liquidation-orders", "instType": T}, ...]}``."""
    args = [{"channel": WS_VENUE.channel, "instType": t} for t in inst_types]
    return json.dumps({"op": "subscribe", "args": args}, separators=(",", ":"))


def _family(row: LiquidationOrders) -> str:
    """``BTC-USD`` from ``instFamily``, else ``uly``, else the first two parts of ``instId``."""
    return row.instFamily or row.uly or "-".join(row.instId.split("-")[:2])


class OkxLiquidationStream(VenueStream[Liquidation]):
    """OKX liquidations of the subscribed instrument types, normalized to base units and USD.

    ``contract_size(inst_id)`` is the instrument's ``ctVal`` (base units for linear, USD for
    inverse families such as ``BTC-USD``), or None when the instrument is unknown: such a
    detail is skipped and counted (``ingest_events{result="unknown_instrument"}`` and
    ``unknown_instrument``). Linear: quantity = sz x ctVal, notional = bkPx x quantity;
    inverse: notional = sz x ctVal USD, quantity = notional / bkPx. ``side`` is the
    liquidated position (a ``sell`` liquidation order closes a long).

    Acks and other ``event`` messages are ignored; an ``{"event": "error"}`` is logged and
    counted as malformed. ``base_url`` is e.g. ``WS_VENUE.default_base_url``.
    """

    def __init__(
        self,
        base_url: str,
        metrics: Metrics,
        contract_size: Callable[[str], float | None],
        inst_types: Sequence[str] = ("SWAP",),
        *,
        connect: Connect | None = None,
        **loop_tuning: Unpack[StreamTuningKwargs],
    ) -> None:
        if not inst_types:
            raise ValueError("subscribe to at least one instType")
        for inst_type in inst_types:
            check_liquidation_inst_type(inst_type)
        self.url = base_url.rstrip("/") + WS_VENUE.public_path
        self.inst_types = tuple(inst_types)
        self.unknown_instrument = 0  # details skipped for want of a contract size
        self._contract_size = contract_size
        self._subscribe = subscribe_message(self.inst_types)
        self._unknown = metrics.ingest_events.labels(PROVIDER, "unknown_instrument")
        self._warned: set[str] = set()
        self._stream = UpstreamStream(
            provider=PROVIDER,
            url=self.url,
            parse=self.parse_frame,
            metrics=metrics,
            on_connect=self._on_connect,
            keepalive=AppKeepalive(WS_VENUE.ping_text, frozenset({WS_VENUE.pong_text})),
            connect=connect,
            tuning=tuning_from(_DEFAULT_TUNING, loop_tuning),
        )

    async def _on_connect(self, ws: FrameSocket) -> None:
        await ws.send(self._subscribe)

    def parse_frame(self, text: str) -> list[Liquidation]:
        """One text frame as events; ``[]`` for acks and notices. Raises ``MalformedFrame``."""
        try:
            body: Any = json.loads(text)
        except ValueError as exc:
            raise self._malformed(f"not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise self._malformed(f"expected an object, got {type(body).__name__}")
        event = body.get("event")
        if event == "error":
            raise self._malformed(f"error event code={body.get('code')!r} msg={body.get('msg')!r}")
        if event is not None:
            if event not in ("subscribe", "unsubscribe"):
                log.info("okx stream: %s event code=%r", event, body.get("code"))
            return []
        arg = body.get("arg")
        channel = arg.get("channel") if isinstance(arg, dict) else None
        if channel != WS_VENUE.channel or not isinstance(body.get("data"), list):
            raise self._malformed(f"not a {WS_VENUE.channel} push (channel {channel!r})")
        try:
            rows = [LiquidationOrders.model_validate(row) for row in body["data"]]
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "data"
            raise self._malformed(f"failed validation at {where}: {first['msg']}") from exc
        events: list[Liquidation] = []
        for row in rows:
            size = self._contract_size(row.instId)
            if size is None or not (math.isfinite(size) and size > 0):
                self._skip_unknown(row.instId, len(row.details))
                continue
            events.extend(row.to_domain(size, inverse=is_inverse_family(_family(row))))
        return events

    def _skip_unknown(self, inst_id: str, details: int) -> None:
        self.unknown_instrument += details
        self._unknown.inc(details)
        if inst_id not in self._warned:  # once per instrument, not once per push
            self._warned.add(inst_id)
            log.warning(
                "okx stream: no contract size for %s; its liquidations are skipped", inst_id
            )

    @staticmethod
    def _malformed(why: str) -> MalformedFrame:
        return MalformedFrame(why, provider=PROVIDER, endpoint=WS_VENUE.channel)


__all__ = [
    "PROVIDER",
    "WS_VENUE",
    "OkxLiquidationStream",
    "OkxWsVenue",
    "subscribe_message",
]
