"""MCP at ``/mcp``: the registry's operations as MCP tools, over streamable HTTP, with the
official ``mcp`` SDK.

A tool is a registry operation: its name is the operationId, its description the
summary, its input schema the operation's parameters and its output schema the 200
answer, both taken from the OpenAPI document (``graph.operations.openapi``) so the two
surfaces describe the same thing. A call runs exactly what REST runs for the same
parameters (``RestApi.run``: the caller's key and address, its limits and the operation's
deadline), and answers REST's answer: the data as structured content, or, for a problem,
an error result (``isError``) whose structured content is the problem with its GraphQL
error code. So an LLM sees the same ``UNKNOWN_SYMBOL`` or ``RATE_LIMITED`` on every surface.

The SDK's low-level ``Server`` serves it, stateless and answering JSON (no session to keep,
nothing streamed: every tool gives one answer), behind its DNS-rebinding check: the Host
must be a loopback name or the configured public base URL's, and an Origin one this
deployment allows.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.types import ASGIApp, Message

from graph.operations import Operation, Registry
from graph.server.rest import RestApi

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


class McpTools:
    """The MCP server over ``rest``'s operations. ``app`` is its ASGI app, to be routed at
    ``/mcp``; ``run()`` is entered in the lifespan (the SDK's session manager runs in it)."""

    def __init__(
        self,
        rest: RestApi,
        registry: Registry,
        *,
        version: str,
        public_base_url: str | None,
        allowed_origins: list[str],
        check_host: bool,
    ) -> None:
        self._rest = rest
        self._registry = registry
        self._tools: list[types.Tool] | None = None  # built at the first listing
        server: Server[Any] = Server(
            "perpgraph",
            version=version,
            instructions=(
                "Crypto-futures signals and market data. Every tool is an operation of the"
                " perpgraph API; a failed call is an error result with a code such as"
                " UNKNOWN_SYMBOL, BAD_PARAMETER, RATE_LIMITED or TIMEOUT."
            ),
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
        )
        self._manager = StreamableHTTPSessionManager(
            app=server,
            json_response=True,
            stateless=True,
            security_settings=_security(public_base_url, allowed_origins, check_host=check_host),
        )
        self.app: ASGIApp = StreamableHTTPASGIApp(self._manager)

    def run(self) -> Any:
        """The session manager's lifetime (an async context manager)."""
        return self._manager.run()

    def tools(self) -> list[types.Tool]:
        if self._tools is None:
            document = json.loads(self._rest.document("", None))
            self._tools = [_tool(op, document) for op in self._registry]
        return self._tools

    async def _list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=self.tools())

    async def _call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        op = self._registry.operations.get(params.name)
        if op is None:
            known = ", ".join(self._registry.operations)
            return _error(
                {
                    "status": 404,
                    "code": "UNKNOWN_OPERATION",
                    "detail": f"no tool {params.name!r}; there are: {known}",
                }
            )
        request = ctx.request
        if not isinstance(request, Request):  # the HTTP transport always gives one
            return _error({"status": 500, "code": "INTERNAL", "detail": "no HTTP request"})
        caller = Request(request.scope, _never)  # the body is read: nothing more to receive
        given = {name: [value] for name, value in (params.arguments or {}).items()}
        response = await self._rest.run(caller, op, given, debug=False)
        body = json.loads(bytes(response.body))
        if response.status_code != 200:
            retry_after = response.headers.get("retry-after")
            if retry_after is not None:
                body["retryAfter"] = retry_after
            return _error(body)
        text = bytes(response.body).decode()
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], structured_content=body
        )


async def _never() -> Message:
    """A receive that says nothing: the inner request's caller never leaves by it (its
    deadline ends it instead)."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def _error(problem: dict[str, Any]) -> types.CallToolResult:
    line = f"{problem.get('code', 'ERROR')}: {problem.get('detail', '')}"
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=line)],
        structured_content=problem,
        is_error=True,
    )


def _tool(op: Operation, document: dict[str, Any]) -> types.Tool:
    """``op`` as a tool, its schemas from the OpenAPI ``document``'s entry for it."""
    entry = next(iter(document["paths"][f"/api/v1/{op.id}"].values()))
    properties: dict[str, Any] = {}
    required: list[str] = []
    if "requestBody" in entry:  # a mutation: its parameters are the body's
        body = entry["requestBody"]["content"]["application/json"]["schema"]
        for name, schema in body["properties"].items():
            var = op.variable(name)
            properties[name] = _described(schema, var.description if var else None, None)
        required = list(body["required"])
    else:
        for parameter in entry["parameters"]:
            schema = _described(
                parameter["schema"], parameter["description"], parameter.get("example")
            )
            properties[parameter["name"]] = schema
            if parameter["required"]:
                required.append(parameter["name"])
    output = entry["responses"]["200"]["content"]["application/json"]["schema"]
    return types.Tool(
        name=op.id,
        description=op.summary,
        input_schema={
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
        output_schema=output,
        annotations=types.ToolAnnotations(
            read_only_hint=not op.consequential,
            idempotent_hint=not op.consequential,
            destructive_hint=False,
            open_world_hint=True,  # the venues' data
        ),
    )


def _described(schema: dict[str, Any], description: str | None, example: Any) -> dict[str, Any]:
    out = dict(schema)
    if description:
        out["description"] = description
    if example is not None:
        out["examples"] = [example]
    return out


def _security(
    public_base_url: str | None, allowed_origins: list[str], *, check_host: bool
) -> TransportSecuritySettings:
    """The SDK's DNS-rebinding check: loopback Hosts, the public base URL's, and the
    browser origins this deployment allows. Without ``check_host`` (a production server
    that was not told its public address) any Host is taken: such a server is not on a
    victim's loopback, the place a rebinding attack reaches."""
    hosts = [h for name in LOOPBACK_HOSTS for h in (name, f"{name}:*")]
    if public_base_url:
        netloc = urlsplit(public_base_url).netloc
        if netloc:
            hosts.append(netloc)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=check_host,
        allowed_hosts=hosts,
        allowed_origins=allowed_origins,
    )


__all__ = ["McpTools"]
