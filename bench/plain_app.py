"""The baseline: a plain Starlette endpoint returning fixed JSON bytes (no GraphQL at all).

Served by uvicorn with the same settings as the API so the two are measured alike.
The body is the API's own answer to the benchmarked query, passed in PERPGRAPH_BENCH_BODY.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = os.environ.get("PERPGRAPH_BENCH_BODY", "{}").encode()


async def answer(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/graphql", answer, methods=["POST"])])
