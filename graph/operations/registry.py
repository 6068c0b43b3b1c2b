"""Reading and checking the registry's documents (the package's text says what they hold)."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLInputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    TypeNode,
    ValueNode,
    parse,
    print_ast,
    type_from_ast,
    validate,
    value_from_ast_untyped,
)
from graphql.utilities import validate_input_value
from pydantic import BaseModel, ConfigDict, Field, ValidationError

HERE = Path(__file__).parent
MAX_SUMMARY = 300  # GPT Actions' limit for an operation's summary
MAX_DESCRIPTION = 700  # and for a parameter's description
TIMEOUT_CLASSES = ("default", "signal", "smart_money", "mss", "backtest")
FRONT = "#|"


class RegistryError(ValueError):
    """A registry document that cannot be served, with the file it is in."""


class _VariableMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field(min_length=1, max_length=MAX_DESCRIPTION)
    example: Any


class _Meta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    summary: str = Field(min_length=1, max_length=MAX_SUMMARY)
    rpc: list[str] = Field(default_factory=list)
    timeout: Literal["default", "signal", "smart_money", "mss", "backtest"] = "default"
    variables: dict[str, _VariableMeta] = Field(default_factory=dict)


@dataclass(frozen=True)
class Variable:
    """One of an operation's variables: its GraphQL type (as written), whether a caller
    must give it (non-null with no default), its default, description and example."""

    name: str
    type_node: TypeNode
    required: bool
    default: Any
    description: str
    example: Any

    @property
    def type_text(self) -> str:
        return print_ast(self.type_node)


@dataclass(frozen=True)
class Operation:
    id: str  # the file's stem and the operation's name: REST's path, OpenAPI's operationId
    document: str  # the file as it is (the front matter is GraphQL comments)
    kind: Literal["query", "mutation"]
    summary: str
    rpc: tuple[str, ...]
    timeout: str  # one of TIMEOUT_CLASSES: which setting bounds its time
    variables: tuple[Variable, ...]
    path: Path

    @property
    def consequential(self) -> bool:
        """Whether it changes anything (GPT Actions ask the user before such a call)."""
        return self.kind == "mutation"

    def variable(self, name: str) -> Variable | None:
        return self._by_name.get(name)

    @functools.cached_property
    def _by_name(self) -> dict[str, Variable]:  # kept in the instance's __dict__ (frozen)
        return {v.name: v for v in self.variables}


class Registry:
    def __init__(self, operations: list[Operation]) -> None:
        self.operations: Mapping[str, Operation] = MappingProxyType(
            {op.id: op for op in sorted(operations, key=lambda op: op.id)}
        )
        by_rpc: dict[str, Operation] = {}
        for op in self.operations.values():
            for name in op.rpc:
                if name in by_rpc:
                    raise RegistryError(
                        f"{op.path.name}: RPC name {name!r} is {by_rpc[name].id}'s already"
                    )
                by_rpc[name] = op
        self.by_rpc: Mapping[str, Operation] = MappingProxyType(by_rpc)

    def __iter__(self) -> Any:
        return iter(self.operations.values())

    def __len__(self) -> int:
        return len(self.operations)

    def validate(self, schema: GraphQLSchema) -> None:
        """Each document valid against ``schema``, each example valid for its variable's
        type; otherwise RegistryError naming every problem and its file."""
        problems: list[str] = []
        for op in self:
            errors: list[GraphQLError] = validate(schema, parse(op.document))
            problems += [f"{op.path.name}: {e.message}" for e in errors]
            if errors:
                continue
            for var in op.variables:
                input_type = cast(GraphQLInputType, type_from_ast(schema, var.type_node))
                problems += [
                    f"{op.path.name}: example of ${var.name}: {message}"
                    for message in _example_problems(var.example, input_type)
                ]
        if problems:
            raise RegistryError(
                "the operation registry does not fit the schema:\n" + "\n".join(problems)
            )


def _example_problems(example: Any, input_type: GraphQLInputType) -> list[str]:
    found: list[str] = []

    def on_error(error: GraphQLError, *_: Any) -> None:
        found.append(error.message)

    validate_input_value(example, input_type, on_error)
    return found


def load_registry(folder: Path = HERE) -> Registry:
    """Every ``*.graphql`` file of ``folder``, read and checked (RegistryError if not)."""
    return Registry([_read(path) for path in sorted(folder.glob("*.graphql"))])


def _read(path: Path) -> Operation:
    text = path.read_text(encoding="utf-8")
    front = "\n".join(
        line.removeprefix(FRONT).removeprefix(" ")
        for line in text.splitlines()
        if line.startswith(FRONT)
    )
    try:
        meta = _Meta.model_validate(tomllib.loads(front))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise RegistryError(f"{path.name}: its metadata: {exc}") from None
    try:
        document = parse(text)
    except GraphQLError as exc:
        raise RegistryError(f"{path.name}: {exc.message}") from None
    operation = _one_operation(path, document)
    if operation.operation not in (OperationType.QUERY, OperationType.MUTATION):
        raise RegistryError(f"{path.name}: only queries and mutations are offered")
    kind: Literal["query", "mutation"] = (
        "query" if operation.operation == OperationType.QUERY else "mutation"
    )
    defined = {d.variable.name.value: d for d in operation.variable_definitions or ()}
    if set(defined) != set(meta.variables):
        raise RegistryError(
            f"{path.name}: variables {sorted(defined)} but metadata for {sorted(meta.variables)}"
        )
    variables = []
    for name, definition in defined.items():
        about = meta.variables[name]
        has_default = definition.default_value is not None
        variables.append(
            Variable(
                name=name,
                type_node=definition.type,
                required=definition.type.kind == "non_null_type" and not has_default,
                default=value_from_ast_untyped(cast(ValueNode, definition.default_value))
                if has_default
                else None,
                description=about.description,
                example=about.example,
            )
        )
    return Operation(
        id=path.stem,
        document=text,
        kind=kind,
        summary=meta.summary,
        rpc=tuple(meta.rpc),
        timeout=meta.timeout,
        variables=tuple(variables),
        path=path,
    )


def _one_operation(path: Path, document: DocumentNode) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        raise RegistryError(f"{path.name}: {len(operations)} operations; a file holds one")
    operation = operations[0]
    name = operation.name.value if operation.name is not None else None
    if name != path.stem:
        raise RegistryError(f"{path.name}: the operation is named {name!r}, not {path.stem!r}")
    return operation


__all__ = [
    "MAX_DESCRIPTION",
    "MAX_SUMMARY",
    "TIMEOUT_CLASSES",
    "Operation",
    "Registry",
    "RegistryError",
    "Variable",
    "load_registry",
]
