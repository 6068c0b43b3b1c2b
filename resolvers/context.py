"""What a request sees: the process-wide services and the request's own loaders.

``Context`` is built per request (by the endpoint, or ``fresh_context`` for work outside a
request: signal updates, the recorder, the scorer) with fresh ``Loaders`` and a
``RequestMeta`` that records how fresh the data behind the response is (the whole-response
cache keeps it no longer than that).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from engine.signal.model import Mode
from resolvers.loaders import Loaders, RequestMeta
from resolvers.services import Services


@dataclass(slots=True)
class Context:
    services: Services
    loaders: Loaders
    meta: RequestMeta
    debug: bool = False
    # signals computed in this request, by (ticker, quote, mode): each once per request
    signals: dict[tuple[str, str, Mode], asyncio.Future[Any]] = field(default_factory=dict)
    # verdicts decided in this request (each once: the AI is asked at most once per key)
    verdicts: dict[tuple[Any, ...], asyncio.Future[Any]] = field(default_factory=dict)


def fresh_context(
    services: Services, meta: RequestMeta | None = None, *, debug: bool = False
) -> Context:
    """A request's context: fresh loaders and freshness record over the shared services."""
    meta = meta or RequestMeta()
    return Context(services, Loaders(services, meta), meta, debug)


__all__ = ["Context", "fresh_context"]
