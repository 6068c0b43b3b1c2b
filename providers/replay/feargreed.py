"""alternative.me Fear & Greed (``/fng/``) served from recordings, newest first.

* Newest element: ``alternative-me/fng-single-item-2026-01-04.json``, verbatim (the only one
  carrying ``time_until_update``).
* Then ``alternative-me/fng-history-daily-2018-02-01_2025-01-02.derived.csv`` rebuilt to
  ``{"value", "value_classification", "timestamp"}`` with timestamp = that date 00:00 UTC in
  unix seconds, as a string. Missing days (2025-01-03 .. 2026-01-03, and 4 days inside the
  CSV) stay missing.

``limit`` = how many elements (0 = all, default 1); ``format`` and ``date_format`` are not
emulated: the body is always JSON with unix-second timestamps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .store import RecordedStore
from .wire import json_response

__all__ = ["feargreed_routes"]

LATEST = "alternative-me/fng-single-item-2026-01-04.json"
HISTORY = "alternative-me/fng-history-daily-2018-02-01_2025-01-02.derived.csv"
NAME = "Fear and Greed Index"


def _history(store: RecordedStore) -> list[dict[str, Any]]:
    def build() -> list[dict[str, Any]]:
        latest = dict(store.json(LATEST))
        rows: list[dict[str, Any]] = [latest]
        for line in store.text(HISTORY).splitlines()[1:]:  # date,fng_value,fng_classification
            if not line.strip():
                continue
            day, value, classification = line.split(",", 2)
            midnight = datetime.fromisoformat(day).replace(tzinfo=UTC)
            rows.append(
                {
                    "value": value,
                    "value_classification": classification,
                    "timestamp": str(int(midnight.timestamp())),
                }
            )
        rows.sort(key=lambda r: int(r["timestamp"]), reverse=True)
        return rows

    return store.memo("fng:history", build)


def feargreed_routes(store: RecordedStore) -> list[Route]:
    async def fng(request: Request) -> Response:
        raw = request.query_params.get("limit", "1")
        limit = int(raw) if raw.isdigit() else 1
        rows = _history(store)
        data = rows if limit == 0 else rows[:limit]
        return json_response({"name": NAME, "data": data, "metadata": {"error": None}})

    return [Route("/fng/", fng, methods=["GET"]), Route("/fng", fng, methods=["GET"])]
