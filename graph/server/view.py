"""Strawberry's ASGI view with our context: the caller, the deadline, the cost and debug.

The endpoint (``graph.server.endpoint``) puts the request's ``RequestMeta`` (with its
caller) in the ASGI scope; the view builds the ``Context`` around it, runs one operation
under ``PERPGRAPH_REQUEST_TIMEOUT_S``, and adds ``extensions.cost`` (and, for an admin with
the debug header, the upstream calls) to the answer.
"""

from __future__ import annotations

import asyncio
import functools
import re
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from graph.errors import present
from graph.guard.extension import ambiguous, operations_in
from providers.http import CallRecord
from resolvers.access import Caller, Role
from resolvers.context import Context, fresh_context
from resolvers.errors import Refused
from resolvers.loaders import Charge, RequestMeta
from resolvers.services import Services

META_KEY = "perpgraph.meta"
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?$")
DEBUG_HEADER = "x-perpgraph-debug"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# The status of an answer whose operation never ran, by its error's code, for a client that
# accepts application/graphql-response+json (the GraphQL over HTTP spec: a request that is
# not well formed or does not validate is a 4xx, and its answer has no data entry). A
# client of application/json keeps the 200 that spec asks for there.
# A refusal of the caller before GraphQL runs, by its code (the endpoint's, and the same
# refusals met inside an operation).
REFUSAL_STATUS = {"UNAUTHENTICATED": 401, "FORBIDDEN": 403, "RATE_LIMITED": 429}
REQUEST_ERROR_STATUS = {
    "GRAPHQL_PARSE_FAILED": 400,
    "GRAPHQL_VALIDATION_FAILED": 400,
    "BAD_REQUEST": 400,
    "QUERY_TOO_COSTLY": 400,
    **REFUSAL_STATUS,
}
SUBSCRIPTIONS_ELSEWHERE = (
    "a subscription is a stream: open it over a WebSocket (graphql-transport-ws or"
    " graphql-ws) or as server-sent events (Accept: text/event-stream), not as one request"
)


def accept_quality(accept: str | None) -> dict[str, float]:
    """An Accept header's media types with their q-values (1 when not given)."""
    quality: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *params = part.split(";")
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.strip().lower()
        if media:
            quality[media] = max(q, quality.get(media, 0.0))
    return quality


def accepts_graphql_response(quality: dict[str, float]) -> bool:
    """Whether the client asks for application/graphql-response+json at least as much as
    for application/json (``*/*``, or no Accept header, means application/json)."""
    wanted = quality.get(GRAPHQL_RESPONSE, 0.0)
    return wanted > 0 and wanted >= quality.get("application/json", 0.0)


JSON_TYPES = (
    "application/json",
    GRAPHQL_RESPONSE,
    "application/graphql+json",
    "application/*",
    "*/*",
)


def event_stream_wanted(quality: dict[str, float]) -> tuple[bool, bool]:
    """(a subscription may stream, a query's answer is sent as an event): server-sent events
    are accepted at all (q above 0), and preferred to every JSON type. A client that lists
    them beside JSON at the same q (urql does) gets its queries answered in JSON."""
    events = quality.get("text/event-stream", 0.0)
    return events > 0, events > max(quality.get(t, 0.0) for t in JSON_TYPES)


def negotiate(accept: str | None) -> tuple[bool, bool, bool]:
    """(application/graphql-response+json, a subscription may stream, a query's answer is
    sent as an event) for an Accept header. Clients send the same few, so each value of up
    to 256 characters is read once (256 of them kept); a longer one is read every time."""
    if accept is not None and len(accept) > 256:
        return _negotiate(accept)
    return _negotiate_cached(accept)


def _negotiate(accept: str | None) -> tuple[bool, bool, bool]:
    quality = accept_quality(accept)
    return (accepts_graphql_response(quality), *event_stream_wanted(quality))


_negotiate_cached = functools.lru_cache(maxsize=256)(_negotiate)


def wants_debug(meta: RequestMeta, header: str | None) -> bool:
    """The debug header counts for admins only (anyone else: it is ignored)."""
    asked = header is not None and header.strip().lower() not in ("", "0", "false", "no")
    return asked and (meta.caller is None or meta.caller.role >= Role.ADMIN)


def points_spent(calls: list[CallRecord]) -> int:
    """The cost points the upstream calls actually made (``graph.guard.cost``'s units)."""
    return sum(max(1, c.weight) for c in calls if not c.outcome.startswith("skipped"))


def refusal(refused: Refused) -> ExecutionResult:
    return ExecutionResult(
        data=None, errors=[GraphQLError(refused.message, original_error=refused)]
    )


def _meta(request: Request | WebSocket) -> RequestMeta:
    """The request's meta, put in the scope by the endpoint (a fresh one otherwise)."""
    meta = request.scope.get(META_KEY)
    return meta if isinstance(meta, RequestMeta) else RequestMeta()


class PerpGraphQL(GraphQL[Context, None]):
    def __init__(
        self,
        services: Services,
        *,
        deadline_s: float = 20.0,
        max_cost: int = 1000,
        private_role: Role = Role.NONE,
        ide_html: str | None = None,
        max_tokens: int = 5000,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._max_tokens = max_tokens
        self._ide_html = ide_html  # GraphiQL's page with its files served here
        self.services = services
        self._private_role = private_role  # field suggestions need it (production: admin)
        self._deadline_s = deadline_s
        self.max_cost = max_cost

    @property
    def graphql_ide_html(self) -> str:
        return self._ide_html if self._ide_html is not None else super().graphql_ide_html

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        meta = _meta(request)
        debug = wants_debug(meta, request.headers.get(DEBUG_HEADER))
        return fresh_context(self.services, meta, debug=debug)

    def subscription_context(self, caller: Caller, charge: Charge | None = None) -> Context:
        """A context of its own for each subscription of a WebSocket, for its caller (whose
        budget ``charge`` takes the subscription's cost from)."""
        return fresh_context(self.services, RequestMeta(caller=caller, charge=charge))

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Any,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """One operation over HTTP under the deadline; a subscription, an unknown or
        ambiguous operation name and a missing query are coded request errors."""
        allowed = OperationType.from_http(request_adapter.method) - {OperationType.SUBSCRIPTION}
        if not self.allow_queries_via_get and request_adapter.method == "GET":
            allowed -= {OperationType.QUERY}
        deadline_s = context.meta.deadline_s or self._deadline_s
        try:
            async with asyncio.timeout(deadline_s):
                return await self.schema.execute(
                    request_data.query,
                    root_value=root_value,
                    variable_values=request_data.variables,
                    context_value=context,
                    operation_name=request_data.operation_name,
                    allowed_operation_types=allowed,
                    operation_extensions=request_data.extensions,
                )
        except TimeoutError:
            return refusal(
                Refused(
                    "TIMEOUT",
                    f"the operation did not finish within {deadline_s:g} s and was cancelled:"
                    " try again in a moment (the venues may be slow), or ask for less",
                )
            )
        except InvalidOperationTypeError as e:
            if e.operation_type is OperationType.SUBSCRIPTION:
                context.meta.status = 400
                # the first operation is a subscription: unless the request named none of several
                count = 0
                if request_data.operation_name is None and request_data.query:
                    count = operations_in(request_data.query, self._max_tokens)
                if count > 1:
                    return refusal(ambiguous(count))
                return refusal(Refused("BAD_REQUEST", SUBSCRIPTIONS_ELSEWHERE))
            context.meta.status = 405  # a mutation over GET: only POST may change anything
            context.meta.headers["allow"] = "POST"
            message = f"{e.as_http_error_reason(request_adapter.method)}: send it by POST"
            return refusal(Refused("BAD_REQUEST", message))
        except CannotGetOperationTypeError as e:
            context.meta.status = 400
            return refusal(Refused("BAD_REQUEST", e.as_http_error_reason()))
        except MissingQueryError:
            context.meta.status = 400
            return refusal(Refused("BAD_REQUEST", "No GraphQL query found in the request"))
        finally:
            context.loaders.cancel_pending()  # what the operation left running ends with it

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            result.errors = [present(e) for e in result.errors]
        data = await super().process_result(request, result)
        meta = _meta(request)
        if meta.caller is not None and meta.caller.role < self._private_role:
            for error in data.get("errors") or []:  # variables' errors suggest names too
                if isinstance(error, dict) and isinstance(error.get("message"), str):
                    error["message"] = _SUGGESTION.sub("", error["message"])
        if data.get("data") is None and data.get("errors"):
            _request_error(meta, data)
        extensions = dict(data.get("extensions") or {})
        if meta.cost is not None:
            cost: dict[str, Any] = {
                "requested": meta.cost,
                "actual": points_spent(meta.calls),
                "maximum": self.max_cost,
            }
            if meta.throttle is not None:
                cost["throttleStatus"] = meta.throttle
            extensions["cost"] = cost
        if wants_debug(meta, request.headers.get(DEBUG_HEADER)):
            calls = [
                {"provider": c.provider, "endpoint": c.endpoint, "outcome": c.outcome, "ms": c.latency_ms}
                for c in meta.calls
            ]  # fmt: skip
            extensions["upstream"] = {"calls": calls, "count": len(calls)}
            extensions["dataFreshForS"] = meta.min_fresh_s
        if extensions:
            data["extensions"] = extensions
        return data


def _request_error(meta: RequestMeta, answer: GraphQLHTTPResponse) -> None:
    """An answer with no data: under application/graphql-response+json, one whose operation
    never ran (its first error's code says so) takes that error's 4xx and loses its data
    entry; a status set already (429, 405) stands."""
    if not meta.graphql_response:
        return
    errors = answer.get("errors") or [{}]
    first = errors[0] if isinstance(errors[0], dict) else {}
    # an error at a field's path came while the operation ran: its code makes no status
    # (a status set already, a budget's 429 from inside a resolver, stands)
    if meta.status is None and "path" not in first:
        meta.status = REQUEST_ERROR_STATUS.get(str((first.get("extensions") or {}).get("code")))
        if meta.status == 401:
            meta.headers["www-authenticate"] = "Bearer"
    if meta.status is not None and meta.status >= 400:
        del answer["data"]


__all__ = [
    "DEBUG_HEADER",
    "GRAPHQL_RESPONSE",
    "META_KEY",
    "REFUSAL_STATUS",
    "PerpGraphQL",
    "accept_quality",
    "accepts_graphql_response",
    "event_stream_wanted",
    "negotiate",
    "points_spent",
    "refusal",
    "wants_debug",
]
