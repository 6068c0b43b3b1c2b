"""Queries, mutations and subscriptions over both WebSocket protocols, as clients nobody
here wrote use them (the gql client; the graphql-ws npm client), and the protocols' close
codes and error messages for each protocol error."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from gql import Client, GraphQLRequest
from gql import gql as document
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport
from websockets.typing import Subprotocol

from tests.clients import node
from tests.graph.test_liquidations import (
    FIELDS,
    _ws,
    consecutive,
    looping_stream_server,
    recorded,
)
from tests.graph.test_readme import EXAMPLES
from tests.support import KEYS, ApiServer, Replay, gql, steady

PROTOCOLS = [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL]
RECORD = """mutation($key: String) { recordSignal(ticker: "SOL", idempotencyKey: $key) {
  id ticker direction source } }"""


def _client(url: str, protocol: str, role: str | None = None) -> Client:
    init = {"Authorization": f"Bearer {KEYS[role]}"} if role else {}
    transport = WebsocketsTransport(url=_ws(url), subprotocols=[protocol], init_payload=init)
    return Client(transport=transport, fetch_schema_from_transport=True)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_gql_introspects_and_runs_every_readme_example_over_the_socket(
    api: Callable[..., ApiServer], protocol: str
) -> None:
    server = api()
    async with httpx.AsyncClient() as http:
        over_http = [await gql(http, server.url, example) for example in EXAMPLES]
    async with _client(server.url, protocol) as session:
        assert session.client.schema is not None  # introspection, over the socket
        assert session.client.schema.get_type("Signal") is not None
        for example, expected in zip(EXAMPLES, over_http, strict=True):
            answer = await session.execute(document(example))
            # the same fields answered (cacheStats counts the requests it is part of)
            assert set(answer) == set(expected["data"]), example
            assert all(value is not None for value in answer.values()), example
            if "cacheStats" not in answer:
                assert steady(answer) == steady(expected["data"]), example


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_mutation_over_the_socket_is_recorded_once_per_key(
    api: Callable[..., ApiServer], database: str, tmp_path: Path, protocol: str
) -> None:
    server = api(database_url=database, history_outbox_path=str(tmp_path / "outbox.jsonl"))
    async with _client(server.url, protocol, role="write") as session:
        first = await session.execute(GraphQLRequest(RECORD, variable_values={"key": "ws-1"}))
        again = await session.execute(GraphQLRequest(RECORD, variable_values={"key": "ws-1"}))
    async with _client(server.url, protocol) as anonymous:
        with pytest.raises(TransportQueryError) as refused:
            await anonymous.execute(GraphQLRequest(RECORD, variable_values={"key": "ws-2"}))
    record = first["recordSignal"]
    assert (record["ticker"], record["source"]) == ("SOL", "mutation")
    assert record["direction"] in ("LONG", "SHORT")
    assert again["recordSignal"]["id"] == record["id"]
    assert refused.value.errors is not None
    assert refused.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_query_over_the_socket_takes_the_response_cache_as_over_http(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api()
    query = '{ symbol(ticker: "ETH") { price funding { rate } } }'
    async with _client(server.url, PROTOCOLS[0]) as session:
        replay.reset()
        first = await session.execute(document(query))
        calls = sum(replay.calls().values())
        second = await session.execute(document(query))
        assert sum(replay.calls().values()) == calls  # answered from the cache
    async with httpx.AsyncClient() as http:
        over_http = await gql(http, server.url, query)
    assert calls > 0
    assert first == second == over_http["data"]
    assert sum(replay.calls().values()) == calls  # the same cache entry as HTTP's


async def _closed(url: str, protocol: str, *messages: str | dict[str, Any]) -> tuple[int, str]:
    """Sends ``messages`` and reads until the server closes; (code, reason)."""
    async with websockets.connect(_ws(url), subprotocols=[Subprotocol(protocol)]) as ws:
        for message in messages:
            await ws.send(message if isinstance(message, str) else json.dumps(message))
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code, closed.value.rcvd.reason


@pytest.mark.parametrize(("protocol", "start"), [("graphql-transport-ws", "subscribe"),
                                                 ("graphql-ws", "start")])  # fmt: skip
async def test_each_protocol_error_closes_with_its_code(
    api: Callable[..., ApiServer], replay: Replay, protocol: str, start: str
) -> None:
    server = api(  # with the live stream, so that a subscription stays open
        connection_init_timeout_s=0.5,
        liquidation_streams="binance",
        binance_ws_url="ws" + replay.url.removeprefix("http"),
    )
    init = {"type": "connection_init"}
    query = {"query": "subscription { liquidations { ticker } }"}
    sub = {"id": "1", "type": start, "payload": query}
    assert (await _closed(server.url, protocol, init, "not json"))[0] == 4400
    assert (await _closed(server.url, protocol, init, "[1, 2]"))[0] == 4400
    assert (await _closed(server.url, protocol, init, {"type": "nonsense"}))[0] == 4400
    assert (await _closed(server.url, protocol, sub))[0] == 4401  # before connection_init
    assert (await _closed(server.url, protocol, init, init))[0] == 4429
    assert (await _closed(server.url, protocol, init, sub, sub))[0] == 4409
    assert (await _closed(server.url, protocol))[0] == 4408  # no connection_init in time
    bad_key = {"type": "connection_init", "payload": {"Authorization": "Bearer nope"}}
    assert (await _closed(server.url, protocol, bad_key))[0] == 4403


async def test_an_unknown_subprotocol_closes_with_4406(api: Callable[..., ApiServer]) -> None:
    server = api()
    assert (await _closed(server.url, "graphql-nonsense"))[0] == 4406


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("subscription {", "GRAPHQL_PARSE_FAILED"),
        ("subscription { nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
        ("subscription A { liquidations { ticker } } subscription B { liquidations { side } }",
         "BAD_REQUEST"),
    ],
)  # fmt: skip
@pytest.mark.parametrize(("protocol", "start"), [("graphql-transport-ws", "subscribe"),
                                                 ("graphql-ws", "start")])  # fmt: skip
async def test_a_document_that_does_not_validate_is_an_error_message(
    api: Callable[..., ApiServer], protocol: str, start: str, query: str, code: str
) -> None:
    server = api()
    async with websockets.connect(_ws(server.url), subprotocols=[Subprotocol(protocol)]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "7", "type": start, "payload": {"query": query}}))
        async with asyncio.timeout(5):
            message = json.loads(await ws.recv())
    assert (message["id"], message["type"]) == ("7", "error"), message
    # graphql-transport-ws: a list of errors; the legacy protocol: one error
    error = message["payload"][0] if protocol == "graphql-transport-ws" else message["payload"]
    assert error["extensions"]["code"] == code


def test_the_graphql_ws_npm_client_queries_and_subscribes(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = looping_stream_server(api, replay)
    subscription = f"subscription {{ liquidations {{ {FIELDS} }} }}"
    query = '{ symbol(ticker: "BTC") { ticker price } }'
    got = node("stream.mjs", "ws", _ws(server.url), query, subscription, "3")
    assert got["query"]["data"]["symbol"]["ticker"] == "BTC"
    assert isinstance(got["query"]["data"]["symbol"]["price"], float)
    events = [event["data"]["liquidations"] for event in got["events"]]
    assert len(events) == 3 and consecutive(events, recorded()), events


async def test_an_id_used_again_after_complete_names_the_newer_operation(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(response_cache=False)
    replay.fault(route="*", latency_ms=1000)  # each query takes a second
    start = {"id": "1", "type": "subscribe",
             "payload": {"query": '{ symbol(ticker: "ETH") { price } }'}}  # fmt: skip
    protocols = [Subprotocol("graphql-transport-ws")]
    async with websockets.connect(_ws(server.url), subprotocols=protocols) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps(start))
        await asyncio.sleep(0.2)  # the first query waits on the venue
        await ws.send(json.dumps({"id": "1", "type": "complete"}))
        await ws.send(json.dumps(start))  # the id again, for a second query
        await asyncio.sleep(0.2)  # the first one's cancellation has run its course
        await ws.send(json.dumps(start))  # the second is running: a duplicate
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            async with asyncio.timeout(5):
                while True:
                    await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4409


async def test_a_lone_surrogate_in_a_variable_over_the_socket_is_a_coded_refusal(
    api: Callable[..., ApiServer],
) -> None:
    server = api()
    payload = {"query": "query($a: String) { __typename }", "variables": {"a": "\ud800"}}
    async with websockets.connect(
        _ws(server.url), subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        async with asyncio.timeout(5):
            message = json.loads(await ws.recv())
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "BAD_REQUEST"
