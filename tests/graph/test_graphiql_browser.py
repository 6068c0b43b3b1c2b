"""GraphiQL in headless Chromium (Debian's; ``make test`` installs it) with every request
beyond the server refused: the page loads its files from the server itself, the editor
takes a query, and running it shows the server's answer."""

from __future__ import annotations

import os
from collections.abc import Callable

import httpx

from tests.clients import CHROMIUM, node
from tests.support import ApiServer, gql


async def test_graphiql_loads_and_runs_a_query_with_no_network(
    api: Callable[..., ApiServer],
) -> None:
    assert os.access(CHROMIUM, os.X_OK), f"{CHROMIUM} is needed: `make test` installs it"
    server = api()
    page = node("graphiql.mjs", f"{server.url}/graphql", CHROMIUM, timeout_s=90)
    assert page["blocked"] == []  # nothing asked of a CDN or anywhere else
    async with httpx.AsyncClient() as client:
        expected = await gql(client, server.url, '{ symbol(ticker: "BTC") { ticker price } }')
    assert page["answer"]["data"] == expected["data"]
