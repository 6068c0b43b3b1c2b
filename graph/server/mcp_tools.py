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
nothing streamed: every tool gives one answer), so only ``POST`` is served. In front of
it every request is admitted as any other (``_Gate``): its body read within the server's
size and time bounds, its caller found by its key and counted by the rate limiter (once:
a tool call's inner request is not counted again), refused while the server is at its
in-flight bound. Then the SDK's DNS-rebinding check: the Host must be a loopback name or
the configured public base URL's, and an Origin the public one or one this deployment
allows (development: localhost). A production server not told its public base URL checks
neither.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecurityMiddleware, TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graph.operations import Operation, Registry
from graph.server.bodies import replay
from graph.server.endpoint import GraphQLEndpoint, refusal_response
from graph.server.problems import problem
from graph.server.rest import PASSED_HEADERS, RestApi, read_bounded
from graph.server.run_operation import ADMITTED_KEY
from graph.server.shedding import Slots
from resolvers.errors import Refused

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
        endpoint: Callable[[], GraphQLEndpoint | None],
        slots: Slots,
        max_body_bytes: int,
        body_timeout_s: float,
    ) -> None:
        self._rest = rest
        self._registry = registry
        self._tools: list[types.Tool] | None = None  # built at the first listing
        self._inputs: dict[str, dict[str, Any]] = {}
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
            # what the SDK checks a call's Mcp-Param headers against (without it, it runs
            # the whole listing again for every call)
            get_tool_input_schema=self._input_schema,
        )
        security = _security(public_base_url, allowed_origins, check_host=check_host)
        self._manager = StreamableHTTPSessionManager(
            app=server,
            json_response=True,
            stateless=True,
            security_settings=security,
            max_request_body_size=max_body_bytes,
        )
        self.app: ASGIApp = _Gate(
            StreamableHTTPASGIApp(self._manager),
            TransportSecurityMiddleware(security),
            endpoint,
            slots,
            max_body_bytes,
            body_timeout_s,
        )

    def run(self) -> Any:
        """The session manager's lifetime (an async context manager)."""
        return self._manager.run()

    def tools(self) -> list[types.Tool]:
        if self._tools is None:
            document = json.loads(self._rest.document("", None))
            self._tools = [_tool(op, document) for op in self._registry]
            self._inputs = {tool.name: tool.input_schema for tool in self._tools}
        return self._tools

    def _input_schema(self, name: str) -> dict[str, Any] | None:
        self.tools()
        return self._inputs.get(name)

    async def _list_tools(
        self, ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=self.tools())

    async def _call_tool(
        self, ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        op = self._registry.operations.get(params.name)
        if op is None:  # the spec's answer to an unknown tool: a protocol error
            known = ", ".join(self._registry.operations)
            raise MCPError(
                types.INVALID_PARAMS,
                f"no tool {params.name!r}; there are: {known}",
                data={"code": "UNKNOWN_OPERATION"},
            )
        request = ctx.request
        if not isinstance(request, Request):  # the HTTP transport always gives one
            return _error({"status": 500, "code": "INTERNAL", "detail": "no HTTP request"})
        caller = Request(request.scope, _never)  # the body is read: nothing more to receive
        given = {name: [value] for name, value in (params.arguments or {}).items()}
        response = await self._rest.run(caller, op, given, debug=False)
        raw = bytes(response.body)
        body = json.loads(raw)
        if response.status_code != 200:
            retry_after = response.headers.get("retry-after")
            if retry_after is not None:
                body["retryAfter"] = float(retry_after)  # seconds, as errors give it
            return _error(body)
        text = raw.decode()
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=text)], structured_content=body
        )


class _Gate:
    """In front of the SDK, in this order: ``POST`` only; while every in-flight slot is
    taken, 503; the SDK's own Host and Origin check (so that a foreign page's request is
    refused before it counts against anyone); the caller admitted by the endpoint's rate
    limiter, and the admission kept in the scope, so that a tool call's inner request is
    not counted again; then the body read within the server's bounds and handed on."""

    def __init__(
        self,
        app: ASGIApp,
        security: TransportSecurityMiddleware,
        endpoint: Callable[[], GraphQLEndpoint | None],
        slots: Slots,
        max_body_bytes: int,
        body_timeout_s: float,
    ) -> None:
        self._app = app
        self._security = security
        self._endpoint = endpoint
        self._slots = slots
        self._max_body = max_body_bytes
        self._body_timeout_s = body_timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self._refusal(scope, receive)
        if isinstance(answer, Response):
            await answer(scope, receive, send)
            return
        await self._app(scope, replay(answer, then=receive), send)

    async def _refusal(self, scope: Scope, receive: Receive) -> Response | bytes:
        """Why the request is not served, or its body."""
        if scope["method"] != "POST":  # stateless: no stream to GET, no session to DELETE
            detail = "MCP here is stateless streamable HTTP: send JSON-RPC with POST"
            return problem(405, "METHOD_NOT_ALLOWED", detail, headers={"allow": "POST"})
        endpoint = self._endpoint()
        if endpoint is None:
            detail = "the server is starting: retry in a moment"
            return problem(503, "STARTING_UP", detail, headers={"retry-after": "1"})
        if self._slots.full:
            detail = "the server is at capacity: retry in a moment"
            return problem(503, "OVERLOADED", detail, headers={"retry-after": "1"})
        foreign = await self._security.validate_request(Request(scope), is_post=True)
        if foreign is not None:  # 421 (Host), 403 (Origin), 400 (not JSON), as the SDK says
            return foreign
        try:
            scope[ADMITTED_KEY] = await endpoint.admit(scope)
        except Refused as refused:  # as REST says it: a problem, with its headers
            refusal = refusal_response(refused)
            headers = {k: v for k, v in refusal.headers.items() if k.lower() in PASSED_HEADERS}
            return problem(refusal.status_code, refused.code, refused.message, headers=headers)
        return await read_bounded(scope, receive, self._max_body, self._body_timeout_s)


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
    origins = list(allowed_origins)
    if public_base_url:
        public = urlsplit(public_base_url)
        if public.hostname:
            host = public.netloc.rsplit("@", 1)[-1]
            port = public.port or (443 if public.scheme == "https" else 80)
            hosts += [host, f"{public.hostname}:{port}"]
            origins.append(f"{public.scheme}://{host}")  # a page of the API's own site
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=check_host,
        allowed_hosts=hosts,
        allowed_origins=origins,
    )


__all__ = ["McpTools"]
