"""The OpenAPI 3.1 document of the REST surface, generated from the registry and the schema.

Parameters come from each operation's variables (their GraphQL input types, descriptions
and examples), narrowed to what the resolvers take (``domains``, by the argument or input
field each variable is passed to); responses from its selection set, walked over the
schema's output types (a nullable field may be null, a list is an array, an enum its
values), so that the document describes exactly what ``graph.server.rest`` takes and
answers. Errors are problem details. ``tests/graph/test_fuzz.py`` holds the document to the
server: a value the document allows is served, one it refuses is refused, as far as a schema
can say it (it does not declare the aliases REST also takes, such as ``symbol`` for
``ticker``, and a cursor is tied to its sort, which no schema expresses).
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    parse,
    type_from_ast,
)

from engine.ask.understand import MAX_CHARS as MAX_QUESTION_CHARS
from engine.intervals import INTERVAL_MS, STAT_PERIODS
from engine.signal.modes import ALIASES
from graph.operations.registry import Operation, Registry
from graph.roots.history import MAX_KEY_CHARS
from resolvers.analysis import MAX_TIMEFRAMES
from resolvers.discovery import (
    COINS_MAX_PAGE,
    COINS_PER_PAGE,
    SCAN_MAX_CANDIDATES,
    SCAN_MAX_FIRST,
    UNIVERSE_MAX_FIRST,
)
from resolvers.mss import SCAN_MAX_CANDIDATES as MSS_SCAN_MAX_CANDIDATES
from resolvers.mss import SCAN_MAX_FIRST as MSS_SCAN_MAX_FIRST

SCALARS: dict[str, dict[str, Any]] = {
    "Int": {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1},
    "Float": {"type": "number"},
    "String": {"type": "string"},
    "ID": {"type": "string"},
    "Boolean": {"type": "boolean"},
    "DateTime": {"type": "string", "format": "date-time"},
    "Date": {"type": "string", "format": "date"},
}
# Python's whitespace (``str.isspace``, all of it in the BMP), as a regex class: what the
# server strips from a parameter or refuses in a name
_SPACE = "".join(f"\\u{c:04x}" for c in range(0x10000) if chr(c).isspace())
# one text item of a list in a query string: REST splits each value at commas too, and
# drops blank parts (graph.operations.params)
_QUERY_ITEM = f"^[^,]*[^,{_SPACE}][^,]*$"
# a DateTime parameter: RFC 3339 with its offset; years 0001 and 9999 are left out, as a time
# there may lie outside the years 1 to 9999 in UTC, which the server cannot take
_DATE_TIME = {"type": "string", "format": "date-time", "pattern": "^(?!0001|9999)"}
# defaults of the settings that bound two parameters (PERPGRAPH_MAX_SYMBOLS_PER_QUERY and
# PERPGRAPH_MAX_CANDLES): openapi()'s caller passes the deployment's own
MAX_SYMBOLS = 50
MAX_CANDLES = 1500


def domains(*, max_symbols: int = MAX_SYMBOLS, max_candles: int = MAX_CANDLES) -> dict[str, Any]:
    """What the resolvers take beyond the GraphQL types, by argument (``Type.field(arg:)``)
    or input field (``Input.field``); a list's ``items`` hold what each item takes."""
    intervals = {"enum": list(INTERVAL_MS)}
    tickers = {"minItems": 1, "maxItems": max_symbols}
    return {
        "Query.fearGreed(limit:)": {"minimum": 1, "maximum": 365},  # resolvers.market
        "Query.newListings(withinDays:)": {"minimum": 1, "maximum": 365},  # resolvers.discovery
        "Query.discoverCoins(first:)": {"minimum": 1, "maximum": COINS_PER_PAGE},
        "Query.discoverCoins(page:)": {"minimum": 1, "maximum": COINS_MAX_PAGE},
        # a CoinGecko category id (providers.coingecko.venue: _slug_ok)
        "Query.discoverCoins(category:)": {"pattern": f"^[^{_SPACE}/?#&=%\\\\]+$"},
        "Query.futuresUniverse(first:)": {"minimum": 1, "maximum": UNIVERSE_MAX_FIRST},
        "Query.signalHistory(first:)": {"minimum": 1, "maximum": 500},  # graph.roots.history
        "SignalHistoryFilter.direction": {"enum": ["LONG", "SHORT"]},  # NEUTRAL is never kept
        "Query.smartMoneyScan(first:)": {"minimum": 1, "maximum": SCAN_MAX_FIRST},
        "SmartMoneyCriteria.candidates": {"minimum": 1, "maximum": SCAN_MAX_CANDIDATES},
        "SmartMoneyCriteria.points": {"minimum": 2, "maximum": 500},
        "SmartMoneyCriteria.period": {"enum": list(STAT_PERIODS)},
        "SmartMoneyCriteria.tickers": tickers | {"maxItems": SCAN_MAX_CANDIDATES},
        "Query.mssScan(first:)": {"minimum": 1, "maximum": MSS_SCAN_MAX_FIRST},  # resolvers.mss
        "Query.mssScan(candidates:)": {"minimum": 1, "maximum": MSS_SCAN_MAX_CANDIDATES},
        "Query.mssScan(minScore:)": {"minimum": 0, "maximum": 100},
        "Query.mssScan(tickers:)": {"minItems": 1, "maxItems": MSS_SCAN_MAX_CANDIDATES},
        "Query.signals(tickers:)": tickers,
        "Query.marketSummary(tickers:)": tickers,
        "Query.scalping(interval:)": intervals,
        "Symbol.indicators(interval:)": intervals,
        "Symbol.indicators(limit:)": {"minimum": 1, "maximum": max_candles},
        "Symbol.smc(interval:)": intervals,
        "Symbol.smc(intervals:)": {
            "minItems": 1,
            "maxItems": MAX_TIMEFRAMES,
            "uniqueItems": True,
            "items": intervals,
        },
        "Symbol.smc(swingLength:)": {"minimum": 1},
        "Query.verdict(accountRiskPct:)": {"exclusiveMinimum": 0, "maximum": 100},
        "Mutation.recordSignal(idempotencyKey:)": {"minLength": 1, "maxLength": MAX_KEY_CHARS},
        "Query.ask(text:)": {"maxLength": MAX_QUESTION_CHARS},
    }


PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; `code` is the GraphQL error code.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["type", "title", "status", "detail", "code"],
}
_SECONDS = {"type": "integer", "minimum": 0}
HEADERS = {  # what an answer may carry (graph.server.rest.PASSED_HEADERS), none always
    "RateLimit-Limit": {
        "description": "Requests this caller may make per window.",
        "schema": _SECONDS,
    },
    "RateLimit-Remaining": {"description": "Requests left in this window.", "schema": _SECONDS},
    "RateLimit-Reset": {"description": "Seconds until the window restarts.", "schema": _SECONDS},
    "Retry-After": {"description": "Seconds to wait before asking again.", "schema": _SECONDS},
    "WWW-Authenticate": {"description": "How to authenticate (401).", "schema": {"type": "string"}},
    "Allow": {
        "description": "The method this operation takes (405).",
        "schema": {"type": "string"},
    },
}
RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
CURSOR = "after"  # the variable of a paged query that takes the previous page's endCursor
EXTRA = {  # what an answer may carry beside its data
    "errors": {
        "type": "array",
        "description": "Fields that could not be answered (they are null), with their codes.",
        "items": {"type": "object"},
    },
    "upstream": {"type": "object", "description": "The upstream calls (debug=true, admins)."},
    "trimmed": {"type": "object", "description": "Lists cut to keep the answer small."},
}


def openapi(
    registry: Registry,
    schema: GraphQLSchema,
    *,
    server_url: str,
    version: str,
    anonymous: bool,
    limit: int | None = None,
    max_symbols: int = MAX_SYMBOLS,
    max_candles: int = MAX_CANDLES,
) -> dict[str, Any]:
    """The document: every operation, or the first ``limit`` (GPT Actions take 30);
    ``max_symbols`` and ``max_candles`` are the deployment's settings of those names."""
    paths: dict[str, Any] = {}
    taken = domains(max_symbols=max_symbols, max_candles=max_candles)
    for op in list(registry)[:limit]:
        method = "post" if op.consequential else "get"
        paths[f"/api/v1/{op.id}"] = {method: _operation(op, schema, taken)}
    security: list[dict[str, list[str]]] = [{"ApiKey": []}, {"Bearer": []}]
    if anonymous:
        security.append({})  # reads without a key, as this deployment allows
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "perpgraph",
            "version": version,
            "description": (
                "Crypto-futures signals and market data (Binance, OKX, Hyperliquid, CoinGecko):"
                " every operation here is a GraphQL document of the server's registry, run"
                " with the same keys, limits and caches as /graphql."
            ),
        },
        "servers": [{"url": server_url}],
        "security": security,
        "paths": paths,
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "Bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {"Problem": PROBLEM},
        },
    }


def _operation(op: Operation, schema: GraphQLSchema, taken: dict[str, Any]) -> dict[str, Any]:
    def problem(*headers: str) -> dict[str, Any]:
        return {
            "description": "A problem: what went wrong, with its code",
            "headers": {name: HEADERS[name] for name in headers},
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }

    uses = _uses(op, schema)
    out: dict[str, Any] = {
        "operationId": op.id,
        "summary": op.summary,
        "parameters": [
            _parameter(var, schema, taken, uses, in_query=not op.consequential)
            for var in op.variables
        ],
        "responses": {
            "200": {
                "description": "The operation's data",
                "headers": {name: HEADERS[name] for name in RATE_HEADERS},
                "content": {"application/json": {"schema": _result(op, schema)}},
            },
            "4XX": problem(*RATE_HEADERS, "Retry-After", "WWW-Authenticate", "Allow"),
            "5XX": problem("Retry-After"),
        },
        "x-openai-isConsequential": op.consequential,
    }
    next_page = _next_page(op, out["responses"]["200"]["content"]["application/json"]["schema"])
    if next_page is not None:
        out["responses"]["200"]["links"] = {"nextPage": next_page}
    if op.consequential:  # a mutation: its parameters as a JSON body, and always a key
        out["security"] = [{"ApiKey": []}, {"Bearer": []}]
        out["requestBody"] = {
            "required": any(p["required"] for p in out["parameters"]),
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {p["name"]: p["schema"] for p in out["parameters"]},
                        "required": [p["name"] for p in out["parameters"] if p["required"]],
                        "additionalProperties": False,  # another name is BAD_PARAMETER (but aliases)
                    }
                }
            },
        }
        del out["parameters"]
    return out


def _next_page(op: Operation, result: dict[str, Any]) -> dict[str, Any] | None:
    """A paged query's link to its next page (the same parameters, ``after`` the answer's
    ``pageInfo.endCursor``), or None: a query with an ``after`` and one ``pageInfo``."""
    if op.consequential or op.variable(CURSOR) is None:
        return None
    found = _page_info(result, "")
    if found is None:
        return None
    parameters = {v.name: f"$request.query.{v.name}" for v in op.variables if v.name != CURSOR}
    return {
        "operationId": op.id,
        "description": "The next page: the same parameters, after this page's endCursor.",
        "parameters": parameters | {CURSOR: f"$response.body#{found}/endCursor"},
    }


def _page_info(value_schema: dict[str, Any], pointer: str) -> str | None:
    """The JSON pointer of the ``pageInfo`` object in an answer's schema, if it has one."""
    for branch in value_schema.get("anyOf", ()):
        found = _page_info(branch, pointer)
        if found is not None:
            return found
    for name, inner in value_schema.get("properties", {}).items():
        if name == "pageInfo" and "endCursor" in inner.get("properties", {}):
            return f"{pointer}/{name}"
        if name not in EXTRA:
            found = _page_info(inner, f"{pointer}/{name}")
            if found is not None:
                return found
    return None


def _parameter(
    var: Any,
    schema: GraphQLSchema,
    taken: dict[str, Any],
    uses: dict[str, list[str]],
    *,
    in_query: bool,
) -> dict[str, Any]:
    input_type = type_from_ast(schema, var.type_node)
    value_schema = _input(input_type)
    for use in uses.get(var.name, ()):
        if use.endswith("[]"):  # the variable is one item of a list written in the document
            value_schema = _narrowed(value_schema, taken.get(use[:-2], {}).get("items", {}))
        else:
            value_schema = _narrowed(value_schema, taken.get(use, {}))
    if var.default is not None:
        value_schema = {**value_schema, "default": var.default}
    out = {
        "name": var.name,
        "in": "query",
        "required": var.required,
        "description": var.description,
        "schema": value_schema,
        "example": var.example,
    }
    if value_schema.get("type") == "array":
        out |= {"style": "form", "explode": True}
        if in_query and value_schema["items"].get("type") == "string":
            value_schema["items"] = {**value_schema["items"], "pattern": _QUERY_ITEM}
    return out


def _input(type_: Any) -> dict[str, Any]:
    if isinstance(type_, GraphQLNonNull):
        return _input(type_.of_type)
    if isinstance(type_, GraphQLList):
        return {"type": "array", "items": _input(type_.of_type)}
    if isinstance(type_, GraphQLEnumType):
        values = list(type_.values)
        if type_.name == "SignalMode":  # REST and RPC also take the replaced system's names
            values += list(ALIASES)
        return {"type": "string", "enum": values}
    if isinstance(type_, GraphQLScalarType):
        if type_.name == "DateTime":
            return dict(_DATE_TIME)
        return dict(SCALARS.get(type_.name, {"type": "string"}))
    if isinstance(type_, GraphQLInputObjectType):
        return {"type": "object"}
    return {}


def _narrowed(value_schema: dict[str, Any], domain: dict[str, Any]) -> dict[str, Any]:
    """``value_schema`` with the keywords of ``domain``; a list's items narrowed alike."""
    out = value_schema | {k: v for k, v in domain.items() if k != "items"}
    if "items" in domain and "items" in value_schema:
        out["items"] = _narrowed(value_schema["items"], domain["items"])
    return out


def _uses(op: Operation, schema: GraphQLSchema) -> dict[str, list[str]]:
    """Where each variable of ``op`` is passed: the arguments (``Type.field(arg:)``) and
    input fields (``Input.field``) it is given to, ``[]`` after one it is an item of."""
    document = parse(op.document)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    found: dict[str, list[str]] = {}

    def value(node: ValueNode, where: str, type_: Any, item: bool) -> None:
        if isinstance(node, VariableNode):
            found.setdefault(node.name.value, []).append(where + ("[]" if item else ""))
        elif isinstance(node, ListValueNode):
            for one in node.values:
                value(one, where, type_, True)
        elif isinstance(node, ObjectValueNode):
            input_type = get_named_type(type_)
            assert isinstance(input_type, GraphQLInputObjectType)
            for field in node.fields:
                name = field.name.value
                value(field.value, f"{input_type.name}.{name}", input_type.fields[name].type, False)

    def selection(
        parent: GraphQLObjectType | GraphQLInterfaceType, selection_set: SelectionSetNode
    ) -> None:
        for field in _fields(selection_set, fragments):
            if field.name.value == "__typename":
                continue
            definition = parent.fields[field.name.value]
            for argument in field.arguments or ():
                name = argument.name.value
                where = f"{parent.name}.{field.name.value}({name}:)"
                value(argument.value, where, definition.args[name].type, False)
            inner = get_named_type(definition.type)
            if field.selection_set and isinstance(inner, GraphQLObjectType | GraphQLInterfaceType):
                selection(inner, field.selection_set)

    root = schema.mutation_type if op.consequential else schema.query_type
    assert root is not None
    selection(root, operation.selection_set)
    return found


def _result(op: Operation, schema: GraphQLSchema) -> dict[str, Any]:
    document = parse(op.document)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    root = schema.mutation_type if op.consequential else schema.query_type
    assert root is not None
    body = _object(root, operation.selection_set, fragments)
    body["properties"] |= EXTRA
    return body


def _object(
    parent: GraphQLObjectType | GraphQLInterfaceType,
    selection: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in _fields(selection, fragments):
        name = field.name.value
        if name == "__typename":
            properties[(field.alias or field.name).value] = {"type": "string"}
            continue
        definition = parent.fields[name]
        key = (field.alias or field.name).value
        properties[key] = _output(definition.type, field, fragments)
        required.append(key)  # always present, null or not
    return {"type": "object", "properties": properties, "required": required}


def _fields(
    selection: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    out: list[FieldNode] = []
    for node in selection.selections:
        if isinstance(node, FieldNode):
            out.append(node)
        elif isinstance(node, InlineFragmentNode):
            out += _fields(node.selection_set, fragments)
        elif isinstance(node, FragmentSpreadNode):
            out += _fields(fragments[node.name.value].selection_set, fragments)
    return out


def _output(
    type_: Any, field: FieldNode, fragments: dict[str, FragmentDefinitionNode]
) -> dict[str, Any]:
    if isinstance(type_, GraphQLNonNull):
        return _output_value(type_.of_type, field, fragments)
    inner = _output_value(type_, field, fragments)
    return {"anyOf": [inner, {"type": "null"}]}


def _output_value(
    type_: Any, field: FieldNode, fragments: dict[str, FragmentDefinitionNode]
) -> dict[str, Any]:
    if isinstance(type_, GraphQLList):
        return {"type": "array", "items": _output(type_.of_type, field, fragments)}
    if isinstance(type_, GraphQLEnumType):
        return {"type": "string", "enum": list(type_.values)}
    if isinstance(type_, GraphQLScalarType):
        return dict(SCALARS.get(type_.name, {}))
    if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType)) and field.selection_set:
        return _object(type_, field.selection_set, fragments)
    if isinstance(type_, GraphQLUnionType):
        return {"type": "object"}
    return {}


__all__ = ["MAX_CANDLES", "MAX_SYMBOLS", "domains", "openapi"]
