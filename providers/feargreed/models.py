"""alternative.me ``/fng/`` payloads, named after the upstream fields.

``value`` and ``timestamp`` (unix seconds) arrive as strings; ``time_until_update`` only on
the newest row. Nothing is filled in.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter

from engine.domain import FearGreedPoint
from providers.feargreed.venue import VENUE
from providers.payloads import OptInt, Payload


class Metadata(Payload):
    error: str | None = None


class FngEnvelope(Payload):
    """``{"name": ..., "data": [...], "metadata": {"error": null}}``."""

    name: str | None = None
    data: tuple[Any, ...] = ()
    metadata: Metadata = Metadata()


class FngItem(Payload):
    value: Annotated[int, Field(ge=VENUE.value_min, le=VENUE.value_max)]
    value_classification: str
    timestamp: int  # unix seconds
    time_until_update: OptInt = None  # seconds; newest row only

    def to_domain(self) -> FearGreedPoint:
        return FearGreedPoint(
            value=self.value,
            classification=self.value_classification,
            ts_ms=self.timestamp * 1000,
        )


FNG_ITEMS = TypeAdapter(tuple[FngItem, ...])

__all__ = ["FNG_ITEMS", "FngEnvelope", "FngItem", "Metadata"]
