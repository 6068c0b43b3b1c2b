"""What a query selected under the field being resolved, read the way GraphQL executes it.

graphql-core's own argument coercion fills in each argument's schema default and resolves
variables, and ``@skip`` / ``@include`` and fragments are applied as execution applies them,
so nothing here repeats a field's name in camelCase or a copy of its defaults: fields and
arguments come back under their Python names (the Strawberry definitions behind the schema).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values
from strawberry.types import Info

Raw = GraphQLResolveInfo[Any]
_DEFINITION = "strawberry-definition"  # where Strawberry keeps a schema element's definition


def _variables(raw: Raw) -> VariableValues:
    """The operation's variables as graphql-core's coercion takes them (Strawberry's
    executor hands resolvers the plain coerced dict)."""
    values: Any = raw.variable_values
    return values if isinstance(values, VariableValues) else VariableValues({}, dict(values))


def _included(raw: Raw, node: Any) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, _variables(raw))
    if skip is not None and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, _variables(raw))
    return include is None or include.get("if") is not False


def _field_nodes(
    raw: Raw, selection_sets: Iterable[SelectionSetNode | None]
) -> Iterator[FieldNode]:
    """The fields of the selection sets, fragments flattened, skipped ones left out, in
    document order."""
    for selection_set in selection_sets:
        if selection_set is None:
            continue
        for node in selection_set.selections:
            if not _included(raw, node):
                continue
            if isinstance(node, FieldNode):
                yield node
            elif isinstance(node, InlineFragmentNode):
                yield from _field_nodes(raw, [node.selection_set])
            elif isinstance(node, FragmentSpreadNode):
                yield from _field_nodes(raw, [raw.fragments[node.name.value].selection_set])


def _python_arguments(raw: Raw, field: GraphQLField, node: FieldNode) -> dict[str, Any]:
    coerced = get_argument_values(field, node, _variables(raw))  # defaults applied
    return {field.args[name].extensions[_DEFINITION].python_name: v for name, v in coerced.items()}


class Selected:
    """One selected field: its arguments (Python names, defaults applied; the first
    selection's when it is selected several times) and what was selected under any of
    its selections."""

    def __init__(self, raw: Raw, field: GraphQLField, node: FieldNode) -> None:
        self._raw = raw
        self._field = field
        self._nodes = [node]
        self.arguments = _python_arguments(raw, field, node)

    def also(self, node: FieldNode) -> None:
        self._nodes.append(node)

    def subfields(self) -> dict[str, Selected]:
        return _selected(self._raw, get_named_type(self._field.type), self._nodes)


def _selected(raw: Raw, parent: Any, nodes: Iterable[FieldNode]) -> dict[str, Selected]:
    if not isinstance(parent, GraphQLObjectType):
        return {}
    out: dict[str, Selected] = {}
    for node in _field_nodes(raw, (n.selection_set for n in nodes)):
        field = parent.fields.get(node.name.value)
        if field is None:  # __typename
            continue
        name = field.extensions[_DEFINITION].python_name
        if name in out:  # selected twice (or under several aliases): one entry, all nodes
            out[name].also(node)
        else:
            out[name] = Selected(raw, field, node)
    return out


def selected_fields(info: Info[Any, Any]) -> dict[str, Selected]:
    """The fields selected under the field being resolved, by Python name (one entry for a
    field selected twice or under several aliases: the first one's arguments, every
    selection's subfields)."""
    raw: Raw = info._raw_info  # Strawberry exposes no field nodes otherwise
    return _selected(raw, get_named_type(raw.return_type), raw.field_nodes)


__all__ = ["Selected", "selected_fields"]
