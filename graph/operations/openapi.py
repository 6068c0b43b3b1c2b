"""The OpenAPI 3.1 document of the REST surface, generated from the registry and the schema.

Parameters come from each operation's variables (their GraphQL input types, descriptions
and examples); responses from its selection set, walked over the schema's output types (a
nullable field may be null, a list is an array, an enum its values), so that the document
describes exactly what ``graph.server.rest`` answers. Errors are problem details.
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
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    type_from_ast,
)

from engine.signal.modes import ALIASES
from graph.operations.registry import Operation, Registry

SCALARS: dict[str, dict[str, Any]] = {
    "Int": {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1},
    "Float": {"type": "number"},
    "String": {"type": "string"},
    "ID": {"type": "string"},
    "Boolean": {"type": "boolean"},
    "DateTime": {"type": "string", "format": "date-time"},
    "Date": {"type": "string", "format": "date"},
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
) -> dict[str, Any]:
    """The document: every operation, or the first ``limit`` (GPT Actions take 30)."""
    paths: dict[str, Any] = {}
    for op in list(registry)[:limit]:
        method = "post" if op.consequential else "get"
        paths[f"/api/v1/{op.id}"] = {method: _operation(op, schema)}
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


def _operation(op: Operation, schema: GraphQLSchema) -> dict[str, Any]:
    problem = {
        "description": "A problem: what went wrong, with its code",
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }
    out: dict[str, Any] = {
        "operationId": op.id,
        "summary": op.summary,
        "parameters": [_parameter(var, schema) for var in op.variables],
        "responses": {
            "200": {
                "description": "The operation's data",
                "content": {"application/json": {"schema": _result(op, schema)}},
            },
            "4XX": problem,
            "5XX": problem,
        },
        "x-openai-isConsequential": op.consequential,
    }
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
                    }
                }
            },
        }
        del out["parameters"]
    return out


def _parameter(var: Any, schema: GraphQLSchema) -> dict[str, Any]:
    input_type = type_from_ast(schema, var.type_node)
    value_schema = _input(input_type)
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
        return dict(SCALARS.get(type_.name, {"type": "string"}))
    if isinstance(type_, GraphQLInputObjectType):
        return {"type": "object"}
    return {}


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


__all__ = ["openapi"]
