"""``ask`` served: the question read, the operation it names run in the same request (its
cost computed first and charged), and the same answer on GraphQL, REST (``q``), the
``nlp.analyze`` RPC and the MCP tool. The phrase table itself is tests/engine/test_ask.py."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from graphql import parse
from mcp import Client

from graph.guard.cost import document_cost
from graph.operations import load_registry
from graph.schema import build_schema
from tests.support import ApiServer, steady

REGISTRY = load_registry()
ASK = REGISTRY.operations["ask"]


async def test_one_question_on_every_surface(api: Callable[..., ApiServer]) -> None:
    server = api()
    question = "berapa funding eth?"
    async with (
        httpx.AsyncClient(timeout=60, base_url=server.url) as client,
        Client(f"{server.url}/mcp") as mcp,
    ):
        graphql = await client.post(
            "/graphql",
            json={"query": ASK.document, "variables": {"text": question}, "operationName": "ask"},
        )
        rest = await client.get("/api/v1/ask", params={"q": question})
        rpc = await client.post("/invoke", json={"operation": "nlp.analyze", "query": question})
        tool = await mcp.call_tool("ask", {"text": question})
        direct = await client.get("/api/v1/symbol", params={"ticker": "ETH"})
    answer = graphql.json()["data"]["ask"]
    assert rest.status_code == rpc.status_code == 200
    assert steady(rest.json()["ask"]) == steady(rpc.json()["ask"]) == steady(answer)
    assert steady(tool.structured_content["ask"]) == steady(answer)
    assert answer["intent"] == "FUNDING" and answer["tickers"] == ["ETH"]
    assert answer["language"] == "id" and answer["operation"] == "symbol"
    # the operation's data is what the symbol operation answers; the line quotes its rate
    assert steady(answer["data"]) == steady({"symbol": direct.json()["symbol"]})
    rate_pct = answer["data"]["symbol"]["funding"]["rate"] * 100
    assert f"{rate_pct:+.4f} %" in answer["answer"]
    # what failed inside (the replay has no long/short ratio) is listed, the rest answered
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"NO_DATA"}


async def test_a_question_it_cannot_read_is_bad_question_with_examples(
    api: Callable[..., ApiServer],
) -> None:
    server = api()
    async with httpx.AsyncClient(timeout=30, base_url=server.url) as client:
        gibberish = await client.get("/api/v1/ask", params={"q": "blah blah blah"})
        no_coin = await client.get("/api/v1/ask", params={"q": "sinyal dong"})
        too_long = await client.get("/api/v1/ask", params={"q": "btc " * 200})
        graphql = await client.post("/graphql", json={"query": '{ ask(text: "") { answer } }'})
    for answer in (gibberish, no_coin, too_long):
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "BAD_QUESTION"
    examples = no_coin.json()["errors"][0]["extensions"]["examples"]
    assert examples and all(isinstance(e, str) for e in examples)
    assert no_coin.json()["errors"][0]["extensions"]["language"] == "id"
    assert graphql.status_code == 200
    assert graphql.json()["errors"][0]["extensions"]["code"] == "BAD_QUESTION"


async def test_the_operation_asked_for_is_priced_and_charged(
    api: Callable[..., ApiServer],
) -> None:
    """The cost shown is the ask field's own plus the operation's, each as ``graph.guard``
    prices a document; a maximum below the two together refuses before anything runs."""
    schema = build_schema()._schema
    variables = {"ticker": "BTC", "mode": "AGGRESSIVE"}
    own = document_cost(schema, parse(ASK.document), "ask", {"text": "signal btc"}, 10**6)
    routed = REGISTRY.operations["signal"]
    inner = document_cost(schema, parse(routed.document), "signal", variables, 10**6)
    server = api(response_cache=False)
    body = {"query": ASK.document, "variables": {"text": "signal btc"}}
    async with httpx.AsyncClient(timeout=30) as client:
        answer = (await client.post(f"{server.url}/graphql", json=body)).json()
    assert answer["data"]["ask"]["variables"] == variables
    assert answer["extensions"]["cost"]["requested"] == own + inner

    tight = api(max_cost=own + inner - 1)
    async with httpx.AsyncClient(timeout=30) as client:
        refused = await client.get(f"{tight.url}/api/v1/ask", params={"q": "signal btc"})
    assert refused.status_code == 422 and refused.json()["code"] == "QUERY_TOO_COSTLY"
