"""Liquidations across processes, over Redis.

With ``PERPGRAPH_REDIS_URL`` set, the ingest (``perpgraph ingest``, or an API process
running the streams) publishes each event to a Redis channel and records it in a sorted
set scored by event time; every API process relays the channel into its own hub, and
rolling statistics read the sorted set, so every instance answers the same. While Redis is
away the statistics answer UPSTREAM_UNREACHABLE (provider ``redis``) within 250 ms, the relay
retries each second (logged once), and the ingest hands its events to its own hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from engine.domain import Liquidation, PositionSide
from providers.errors import UpstreamUnreachable
from resolvers.live.hub import DAY_MS, LiquidationHub
from resolvers.outage import Outage

log = logging.getLogger("perpgraph.bus")


def encode(event: Liquidation) -> str:
    return json.dumps(
        [event.symbol, event.venue, event.side.value, event.price, event.quantity,
         event.notional_usd, event.ts_ms],
        separators=(",", ":"), ensure_ascii=False,
    )  # fmt: skip


def decode(text: str | bytes) -> Liquidation:
    symbol, venue, side, price, qty, notional, ts = json.loads(text)
    return Liquidation(symbol, venue, PositionSide(side), price, qty, notional, ts)


class LiquidationBus:
    """Redis channel ``<ns>:liquidations`` plus sorted set ``<ns>:liquidations:recent``."""

    def __init__(
        self, redis: Redis, namespace: str, keep_ms: int = DAY_MS, outage: Outage | None = None
    ) -> None:
        self._redis = redis
        self._channel = f"{namespace}:liquidations"
        self._recent = f"{namespace}:liquidations:recent"
        self._started = f"{namespace}:liquidations:started"
        self._keep_ms = keep_ms
        self._published = 0
        self._outage = outage or Outage("Redis", log)
        self._relay_outage = Outage("Redis (liquidation relay)", log, retry_s=0.0)

    async def publish(self, event: Liquidation) -> None:
        text = encode(event)
        pipe = self._redis.pipeline(transaction=False)
        pipe.publish(self._channel, text)
        pipe.zadd(self._recent, {text: event.ts_ms})
        self._published += 1
        if self._published % 500 == 1:  # trim now and then, not on every event
            pipe.zremrangebyscore(self._recent, "-inf", event.ts_ms - self._keep_ms)
        await pipe.execute()

    async def mark_started(self, feeds: tuple[str, ...], started_ms: int) -> None:
        await self._redis.set(self._started, json.dumps({"feeds": feeds, "ms": started_ms}))

    async def started(self) -> tuple[tuple[str, ...], int | None]:
        raw = await self._ask(lambda: self._redis.get(self._started))
        if raw is None:
            return (), None
        data: dict[str, Any] = json.loads(raw)
        return tuple(data["feeds"]), int(data["ms"])

    async def recent(self, since_ms: int) -> list[Liquidation]:
        rows = await self._ask(lambda: self._redis.zrangebyscore(self._recent, since_ms, "+inf"))
        return [decode(r) for r in rows if isinstance(r, bytes | str)]

    async def _ask(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """A read the statistics need: Redis within 250 ms, else UPSTREAM_UNREACHABLE (the
        ingested events live in Redis; no other copy can stand in for every instance's)."""

        async def away() -> Any:
            raise UpstreamUnreachable(
                "Redis, which holds the ingested liquidations, is not answering",
                provider="redis",
                endpoint="liquidations",
            )

        return await self._outage.call(call, away)

    async def relay(self, hub: LiquidationHub) -> None:
        """Feed ``hub`` from the channel until cancelled; resubscribes after Redis drops."""
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                self._relay_outage.succeeded()
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        hub.publish(decode(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis went away: try again each second, say it once
                self._relay_outage.failed(exc)
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()


__all__ = ["LiquidationBus", "decode", "encode"]
