"""Bounded work for every operation (HTTP, WebSocket), decided before anything runs.

One Strawberry extension replaces its parser cache, validation cache, depth and alias
limiters: a document is parsed once (token limit), its shape checked in one linear walk
(``document.check_shape``), validated once, and the three results are kept in one LRU
bounded by the characters of the documents it holds. A parsed document takes about 100 bytes
of memory per character of its text (measured with tracemalloc on graphql-core 3.3), so a
256 KiB budget keeps ~26 MiB however many distinct documents arrive; a document larger
than a sixteenth of the budget is never kept (it would push out the hot ones).

Before execution the operation's cost (``cost.document_cost``) is checked against the
per-request maximum (QUERY_TOO_COSTLY, with the cost) and kept in the request's
``RequestMeta`` for ``extensions.cost``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, Token, validate
from graphql import OperationType as OperationKind  # graphql-core's (Strawberry has its own)
from graphql.language.parser import Parser, nested_too_deeply_error
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.execution import ExecutionContext
from strawberry.types.graphql import OperationType

from graph.guard.cost import TooCostly, document_cost
from graph.guard.document import INVALID, Limits, check_shape, operation_of
from resolvers.access import Caller, Role, require
from resolvers.errors import Refused
from resolvers.loaders import RequestMeta

STRAWBERRY_RULES = (MaybeNullValidationRule, OneOfInputValidationRule)  # as Strawberry adds


@dataclass(slots=True)
class _Entry:
    document: DocumentNode
    shape: Refused | None = None
    shape_checked: bool = False
    introspection: int = 0  # __schema and __type fields
    # validation errors, with and without field suggestions ("Did you mean ...?")
    errors: dict[bool, list[GraphQLError]] = field(default_factory=dict)
    size: int = 0


@dataclass(slots=True)
class DocumentCache:
    """Parsed documents with their checks, least recently used first out."""

    max_bytes: int
    _entries: OrderedDict[str, _Entry] = field(default_factory=OrderedDict)
    _bytes: int = 0

    def get(self, query: str) -> _Entry | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
        return entry

    def put(self, query: str, entry: _Entry) -> None:
        entry.size = len(query)
        if entry.size * 16 > self.max_bytes:
            return
        self._entries[query] = entry
        self._bytes += entry.size
        while self._bytes > self.max_bytes:
            _, old = self._entries.popitem(last=False)
            self._bytes -= old.size

    @property
    def stored_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)


def parse_unlinked(query: str, max_tokens: int) -> DocumentNode:
    """``graphql.parse``, with the lexer's tokens unlinked afterwards (also when it fails).

    graphql-core links every token to the next and the previous one, so each parsed
    document leaves a reference cycle of all its tokens that only the cyclic collector
    frees: under hostile documents the full collections it triggered paused the server
    for 200-400 ms each (measured). Unlinked, the tokens the document does not keep are
    freed at once, and the ones it keeps (its nodes' first and last) hold no chain.
    """
    parser = Parser(query, max_tokens=max_tokens)
    try:
        try:
            return parser.parse_document()
        except RecursionError:  # as graphql.parse: raised after leaving this block
            pass
        raise nested_too_deeply_error(parser)
    finally:
        token: Token | None = parser._lexer.token
        while token is not None:
            token.prev, token.next, token = None, None, token.prev


def operation_type(query: str, name: str | None, max_tokens: int) -> OperationKind | None:
    """The type of the operation ``query`` would run; None when that is not known (a parse
    error, the token limit, an unknown or missing name: execution reports those)."""
    try:
        operation = operation_of(parse_unlinked(query, max_tokens), name)
    except GraphQLError:
        return None
    return None if operation is None else operation.operation


def _operations(document: DocumentNode) -> int:
    return sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)


_UNKNOWN = "\x00unknown"


def _provided_name(context: ExecutionContext) -> str | None:
    """The operationName the request gave (Strawberry's ``operation_name`` falls back to the
    first operation's name, which hides whether one was given). Should a Strawberry release
    rename its attribute, no request counts as ambiguous (Strawberry runs the first, as it
    did): ``test_operation_selection_errors_are_400_and_a_named_one_runs`` would fail."""
    name: str | None = getattr(context, "_provided_operation_name", _UNKNOWN)
    return name


def ambiguous(operations: int) -> Refused:
    return Refused(
        "BAD_REQUEST",
        f"the document holds {operations} operations: name the one to run in operationName",
    )


def operations_in(query: str, max_tokens: int) -> int:
    """How many operations ``query`` holds; 0 when it does not parse."""
    try:
        return _operations(parse_unlinked(query, max_tokens))
    except GraphQLError:
        return 0


def _as_error(refused: Refused) -> GraphQLError:
    return GraphQLError(refused.message, original_error=refused)


def _as_validation_error(error: GraphQLError) -> GraphQLError:
    """A validation error as the client sees it: coded GRAPHQL_VALIDATION_FAILED even when a
    literal's coercion raised inside (an Int of 5,000 digits raises Python's ValueError)."""
    if error.original_error is None:
        return error
    message = error.message
    if isinstance(error.original_error, ValueError) and "digits" in str(error.original_error):
        message = "Expected a number, found one too long to read (over 4,300 digits)."
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions)


class DocumentGuard(SchemaExtension):
    """Parse, check the shape, validate: each once per distinct document."""

    def __init__(
        self,
        cache: DocumentCache,
        limits: Limits,
        *,
        max_tokens: int,
        max_cost: int,
        private_role: Role = Role.NONE,
    ) -> None:
        super().__init__()
        self._cache = cache
        self._limits = limits
        self._max_tokens = max_tokens
        self._max_cost = max_cost
        self._private_role = private_role  # introspection and suggestions need it
        self._entry: _Entry | None = None

    def _caller(self) -> Caller | None:
        meta = getattr(self.execution_context.context, "meta", None)
        return meta.caller if isinstance(meta, RequestMeta) else None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        context.parse_options["max_tokens"] = self._max_tokens
        if context.graphql_document is None and query is not None:
            entry = self._cache.get(query)
            if entry is None:
                try:
                    document = parse_unlinked(query, self._max_tokens)
                except GraphQLError:
                    if OperationType.SUBSCRIPTION in context.allowed_operations:
                        yield  # a stream reports only its own parse errors: Strawberry's
                        return
                    raise  # a query or mutation: answered as a coded parse error
                entry = _Entry(document)
                self._cache.put(query, entry)
            context.graphql_document = entry.document
            self._entry = entry
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = self._entry
        if entry is None:  # a document given pre-parsed: checked, not kept
            assert context.graphql_document is not None
            entry = _Entry(context.graphql_document)
        if not entry.shape_checked:
            try:
                entry.introspection = check_shape(entry.document, self._limits)
            except Refused as refused:  # kept without its traceback: the frames would
                entry.shape = refused.with_traceback(None)  # hold the entry in a cycle
            except RecursionError:
                entry.shape = Refused(INVALID, "Document is nested too deeply.")
            entry.shape_checked = True
        caller = self._caller()
        private = caller is not None and caller.role < self._private_role
        operations = _operations(entry.document)
        if entry.shape is not None:  # set, not raised: a raise would end a subscription
            context.pre_execution_errors = [_as_error(entry.shape)]
        elif operations > 1 and _provided_name(context) is None:
            # Strawberry would run the first; GraphQL says a request must name the one it means
            context.pre_execution_errors = [_as_error(ambiguous(operations))]
            meta = getattr(context.context, "meta", None)
            if isinstance(meta, RequestMeta):
                meta.status = 400
        elif private and entry.introspection:
            disabled = Refused(INVALID, "introspection is disabled for this caller")
            context.pre_execution_errors = [_as_error(disabled)]
        else:
            errors = entry.errors.get(private)
            if errors is None:
                try:
                    found = validate(
                        context.schema._schema,
                        entry.document,
                        (*context.validation_rules, *STRAWBERRY_RULES),
                        hide_suggestions=private,
                    )
                except RecursionError:
                    found = [_as_error(Refused(INVALID, "Document is nested too deeply."))]
                errors = entry.errors[private] = [_as_validation_error(e) for e in found]
            context.pre_execution_errors = errors
        yield

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        meta = getattr(context.context, "meta", None)
        assert context.graphql_document is not None
        if context.operation_type is OperationType.MUTATION:
            caller = self._caller()
            if caller is not None and caller.anonymous:  # whatever the anonymous role
                raise Refused(
                    "UNAUTHENTICATED",
                    "a mutation needs an API key with the write role: send Authorization:"
                    " Bearer <key>",
                )
            require(caller, Role.WRITE, "a mutation")
        try:
            cost = document_cost(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
                self._max_cost,
            )
        except TooCostly as over:
            raise Refused(
                "QUERY_TOO_COSTLY",
                f"this operation costs at least {over.cost} points; the maximum per request"
                f" is {self._max_cost} (one point per upstream call, Binance calls at their"
                " request weight): ask for fewer symbols, intervals or candles",
                details={"cost": {"requested": over.cost, "maximum": self._max_cost}},
            ) from None
        if isinstance(meta, RequestMeta):
            meta.cost, meta.max_cost = cost, self._max_cost
            if meta.charge is not None:
                meta.throttle = await meta.charge(meta, cost)
        yield


__all__ = [
    "DocumentCache",
    "DocumentGuard",
    "ambiguous",
    "operation_type",
    "operations_in",
    "parse_unlinked",
]
