"""Admin endpoints under ``/_replay/`` (JSON; never faulted, never counted).

* ``POST /_replay/faults`` body: one rule object or a list of them, e.g.
  ``{"route": "/fapi/v1/premiumIndex", "latency_ms": 0, "mode": "status", "status": 429,
  "retry_after_s": 2, "times": 1, "hang_s": 30}``; adds or replaces the rule for that route.
  Answers ``{"faults": [...]}`` (all active rules). Bad body: 400 ``{"error": "..."}``.
* ``GET /_replay/faults``: ``{"faults": [rule + "remaining"]}``.
* ``DELETE /_replay/faults[?route=...]``: clears all rules (or one): ``{"cleared": n}``.
* ``GET /_replay/calls``: ``{"<path>": count}``; ``DELETE /_replay/calls`` resets them.
  WebSocket streams count one call per accepted connection under their path.
* ``POST /_replay/streams`` body: one stream rule or a list, e.g. ``{"path":
  "/ws/!forceOrder@arr", "speed": 60, "loop": false, "disconnect_after": null,
  "malformed_every": null, "times": null}`` (``path`` may be ``"prefix*"`` or ``"*"``; see
  ``streams``); adds or replaces the rule for that path. Answers like ``GET``.
* ``GET /_replay/streams``: ``{"streams": [rule + "remaining"], "frames": {"<path>": data
  frames sent}}``.
* ``DELETE /_replay/streams[?path=...]``: clears all rules and frame counts (or one rule):
  ``{"cleared": n}``.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .faults import ADMIN_PREFIX, CallCounter, FaultRegistry, FaultRule
from .streams import StreamRegistry, StreamRule
from .wire import json_response

__all__ = ["admin_routes"]


async def _rule_objects(request: Request) -> list[dict[str, Any]]:
    """The JSON body as a non-empty list of rule objects (one object or a list of them)."""
    body = json.loads(await request.body() or b"null")
    items = body if isinstance(body, list) else [body]
    if not items or not all(isinstance(i, dict) for i in items):
        raise ValueError("body must be a rule object or a list of them")
    return items


def admin_routes(
    registry: FaultRegistry, calls: CallCounter, streams: StreamRegistry | None = None
) -> list[Route]:
    stream_rules = streams if streams is not None else StreamRegistry()

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            route = request.query_params.get("route")
            cleared = registry.clear() if route is None else int(registry.remove(route))
            return json_response({"cleared": cleared})
        if request.method == "POST":
            try:
                rules = [FaultRule.from_dict(i) for i in await _rule_objects(request)]
            except (ValueError, TypeError) as exc:
                return json_response({"error": str(exc)}, 400)
            for rule in rules:
                registry.add(rule)
        return json_response({"faults": registry.snapshot()})

    async def call_counts(request: Request) -> Response:
        if request.method == "DELETE":
            calls.reset()
        return json_response(calls.snapshot())

    async def stream_controls(request: Request) -> Response:
        if request.method == "DELETE":
            path = request.query_params.get("path")
            cleared = stream_rules.clear() if path is None else int(stream_rules.remove(path))
            return json_response({"cleared": cleared})
        if request.method == "POST":
            try:
                rules = [StreamRule.from_dict(i) for i in await _rule_objects(request)]
            except (ValueError, TypeError) as exc:
                return json_response({"error": str(exc)}, 400)
            for rule in rules:
                stream_rules.add(rule)
        return json_response({"streams": stream_rules.snapshot(), "frames": stream_rules.frames()})

    return [
        Route(f"{ADMIN_PREFIX}/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route(f"{ADMIN_PREFIX}/calls", call_counts, methods=["GET", "DELETE"]),
        Route(f"{ADMIN_PREFIX}/streams", stream_controls, methods=["GET", "POST", "DELETE"]),
    ]
