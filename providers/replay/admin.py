"""Admin endpoints under ``/_replay/`` (JSON; never faulted, never counted).

* ``POST /_replay/faults`` body: one rule object or a list of them, e.g.
  ``{"route": "/fapi/v1/premiumIndex", "latency_ms": 0, "mode": "status", "status": 429,
  "retry_after_s": 2, "times": 1, "hang_s": 30}``; adds or replaces the rule for that route.
  Answers ``{"faults": [...]}`` (all active rules). Bad body: 400 ``{"error": "..."}``.
* ``GET /_replay/faults``: ``{"faults": [rule + "remaining"]}``.
* ``DELETE /_replay/faults[?route=...]``: clears all rules (or one): ``{"cleared": n}``.
* ``GET /_replay/calls``: ``{"<path>": count}``; ``DELETE /_replay/calls`` resets them.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .faults import ADMIN_PREFIX, CallCounter, FaultRegistry, FaultRule
from .wire import json_response

__all__ = ["admin_routes"]


def admin_routes(registry: FaultRegistry, calls: CallCounter) -> list[Route]:
    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            route = request.query_params.get("route")
            cleared = registry.clear() if route is None else int(registry.remove(route))
            return json_response({"cleared": cleared})
        if request.method == "POST":
            try:
                body = json.loads(await request.body() or b"null")
                items = body if isinstance(body, list) else [body]
                if not items or not all(isinstance(i, dict) for i in items):
                    raise ValueError("body must be a rule object or a list of them")
                rules = [FaultRule.from_dict(i) for i in items]
            except (ValueError, TypeError) as exc:
                return json_response({"error": str(exc)}, 400)
            for rule in rules:
                registry.add(rule)
        return json_response({"faults": registry.snapshot()})

    async def call_counts(request: Request) -> Response:
        if request.method == "DELETE":
            calls.reset()
        return json_response(calls.snapshot())

    return [
        Route(f"{ADMIN_PREFIX}/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route(f"{ADMIN_PREFIX}/calls", call_counts, methods=["GET", "DELETE"]),
    ]
