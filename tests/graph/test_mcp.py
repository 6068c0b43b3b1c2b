"""MCP at ``/mcp``, driven by the official SDK's own client over loopback HTTP: the tools
are the registry's operations, their schemas the OpenAPI document's, and a call answers
what REST answers (data as structured content, a problem as an error result with its code),
for the caller of the key it sends."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import httpx
import httpx2
import jsonschema
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from graph.operations import load_registry
from tests.support import ApiServer

REGISTRY = load_registry()
WRITE_KEY = "pg_test_mcp_write_key_0123456789"


async def test_the_tools_are_the_registry_with_the_openapi_schemas(
    api: Callable[..., ApiServer],
) -> None:
    server = api()
    async with Client(f"{server.url}/mcp") as client, httpx.AsyncClient() as http:
        listed = (await client.list_tools()).tools
        document = (await http.get(f"{server.url}/openapi.json")).json()
    assert [tool.name for tool in listed] == [op.id for op in REGISTRY]
    for tool in listed:
        op = REGISTRY.operations[tool.name]
        entry = next(iter(document["paths"][f"/api/v1/{op.id}"].values()))
        assert tool.description == op.summary
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is (not op.consequential)
        assert (
            tool.output_schema == entry["responses"]["200"]["content"]["application/json"]["schema"]
        )
        schema = tool.input_schema
        assert set(schema["properties"]) == {v.name for v in op.variables}
        assert set(schema["required"]) == {v.name for v in op.variables if v.required}
        jsonschema.Draft202012Validator.check_schema(schema)
        examples = {v.name: v.example for v in op.variables if v.example is not None}
        jsonschema.validate(examples, schema)  # the registry's examples fit the tool's schema
        for var in op.variables:
            assert schema["properties"][var.name]["description"] == var.description


async def test_a_call_answers_the_data_or_the_coded_problem_rest_gives(
    api: Callable[..., ApiServer],
) -> None:
    server = api()
    async with Client(f"{server.url}/mcp") as client, httpx.AsyncClient() as http:
        signal = await client.call_tool("signal", {"ticker": "ETH", "mode": "CONSERVATIVE"})
        unknown = await client.call_tool("signal", {"ticker": "NOSUCHCOIN"})
        bad = await client.call_tool("signal", {"ticker": "BTC", "mode": "7"})
        stray = await client.call_tool("fearGreed", {"colour": "red"})
        a_list = await client.call_tool("signal", {"ticker": ["BTC"]})
        with pytest.raises(MCPError) as no_tool:  # the spec's answer: a protocol error
            await client.call_tool("noSuchTool", {})
        asked = {"ticker": "ETH", "mode": "CONSERVATIVE"}
        rest = (await http.get(f"{server.url}/api/v1/signal", params=asked)).json()
    assert not signal.is_error
    content: dict[str, Any] = signal.structured_content
    assert content["signal"]["mode"] == "CONSERVATIVE" and content["signal"]["ticker"] == "ETH"
    assert content["signal"].pop("generatedAt") and rest["signal"].pop("generatedAt")
    assert content == rest
    assert no_tool.value.code == INVALID_PARAMS
    assert no_tool.value.data == {"code": "UNKNOWN_OPERATION"}
    for result, code in (
        (unknown, "UNKNOWN_SYMBOL"),
        (bad, "BAD_PARAMETER"),
        (stray, "BAD_PARAMETER"),
        (a_list, "BAD_PARAMETER"),
    ):
        assert result.is_error
        assert result.structured_content["code"] == code
        assert result.content[0].text.startswith(f"{code}: ")  # type: ignore[union-attr]
    assert unknown.structured_content["status"] == 404


async def test_a_mutation_needs_the_write_key_sent_to_mcp(api: Callable[..., ApiServer]) -> None:
    digest = hashlib.sha256(WRITE_KEY.encode()).hexdigest()
    server = api(api_keys=f"sha256:{digest}:write:mcp-test")
    async with Client(f"{server.url}/mcp") as anonymous:
        refused = await anonymous.call_tool("recordSignal", {"ticker": "SOL"})
    async with (  # the SDK's HTTP client, made to send the key (and closed here)
        httpx2.AsyncClient(headers={"authorization": f"Bearer {WRITE_KEY}"}) as http,
        Client(streamable_http_client(f"{server.url}/mcp", http_client=http)) as keyed,
    ):
        recorded = await keyed.call_tool("recordSignal", {"ticker": "SOL"})
    assert refused.is_error and refused.structured_content["code"] == "UNAUTHENTICATED"
    # with the key it gets past authentication to the history store, which needs a database
    assert recorded.is_error and recorded.structured_content["code"] == "NOT_CONFIGURED"


async def test_a_rebinding_host_or_a_foreign_page_is_refused(api: Callable[..., ApiServer]) -> None:
    """A page on another site whose name resolves to this loopback server sends its own
    Host; one from a foreign origin sends its Origin: the SDK's check refuses both."""
    server = api()
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(timeout=10, base_url=server.url) as client:
        rebound = await client.post(
            "/mcp", json=initialize, headers=headers | {"host": "evil.example:8000"}
        )
        foreign = await client.post(
            "/mcp", json=initialize, headers=headers | {"origin": "https://evil.example"}
        )
    assert rebound.status_code == 421
    assert foreign.status_code == 403


async def test_every_mcp_request_is_admitted_bounded_and_counted_once(
    api: Callable[..., ApiServer],
) -> None:
    """Listing tools counts against the caller's rate like any request, a tool call counts
    once (not again for the operation it runs), a body over the bound is 413 (counted, as
    any request is) before the SDK reads it, and nothing but POST is served (no stream is
    left open by a GET)."""
    server = api(rate_limit_anonymous="4/minute", anonymous_role="read", max_body_bytes=4096)
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(timeout=10, base_url=server.url) as client:
        get = await client.get("/mcp", headers=headers)
        too_big = await client.post(
            "/mcp", json={**listing, "params": {"cursor": "x" * 5000}}, headers=headers
        )
        listed = await client.post("/mcp", json=listing, headers=headers)
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "fearGreed", "arguments": {}},
        }
        called = await client.post("/mcp", json=call, headers=headers)
        answered = [await client.post("/mcp", json=listing, headers=headers) for _ in range(3)]
    assert get.status_code == 405 and get.headers["allow"] == "POST"
    assert too_big.status_code == 413 and too_big.json()["code"] == "PAYLOAD_TOO_LARGE"
    assert listed.status_code == 200 and called.status_code == 200
    assert not called.json()["result"]["isError"]
    # 4 a minute: the body too large (counted as it came), the listing, the call (once,
    # not again for the operation it ran) and one more listing; then refused
    assert [a.status_code for a in answered] == [200, 429, 429]
    assert answered[-1].json()["code"] == "RATE_LIMITED"
    assert answered[-1].headers["retry-after"]


async def test_a_client_of_the_handshake_era_is_served_the_same(
    api: Callable[..., ApiServer],
) -> None:
    """Older clients open with the initialize handshake (the SDK's own Client, told to):
    the same tools, the same answers."""
    server = api()
    async with (
        Client(f"{server.url}/mcp", mode="legacy") as legacy,
        Client(f"{server.url}/mcp") as modern,
    ):
        listed = (await legacy.list_tools()).tools
        old = await legacy.call_tool("fearGreed", {})
        new = await modern.call_tool("fearGreed", {})
    assert [tool.name for tool in listed] == [op.id for op in REGISTRY]
    assert not old.is_error and old.structured_content == new.structured_content
