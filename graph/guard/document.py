"""A parsed document's shape, measured in one walk that visits each fragment once.

Strawberry's depth and alias limiters re-walk a fragment at every place it is spread, so a
chain of fragments that each spread the next twice costs 2^n (n=30, 1.2 KB: minutes of CPU).
Here each fragment's depth and alias count are memoised, unknown fragments and cycles are
refused as GraphQL's own rules would refuse them, and nothing recurses further than the
document's written nesting: the walk is linear in the document's size.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableDefinitionNode,
)

from resolvers.errors import Refused

INVALID = "GRAPHQL_VALIDATION_FAILED"  # the code GraphQL's own validation errors carry
# Beyond these, graphql-core's own validation turns quadratic (measured: 4,900 ``__typename``
# in one selection took 196 ms to validate, 380 ``candles { interval }`` 1.6 s, 1,000
# unused variables 440 ms), and no client needs more.
MAX_REPEATS = 20  # the same response key in one selection set, its fragments merged
MAX_DIRECTIVES = 10  # directives on one field, fragment or operation
MAX_VARIABLES = 100  # variables of one operation
MAX_INTROSPECTION = 3  # __schema and __type fields in a document (GraphiQL sends one)


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_fragments: int
    max_fields: int  # fields once every fragment is spread in place


@dataclass(frozen=True, slots=True)
class _Measure:
    depth: int  # deepest field nesting below the selection set (introspection not counted)
    aliases: int  # aliased fields, counted at every place they are spread
    fields: int  # fields, counted at every place they are spread
    keys: Counter[str]  # response keys of the selection, inline and spread fragments merged


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request runs: the one named ``name``, or the only one; None when the
    name is unknown or, without a name, there are several (GraphQL refuses both)."""
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        ops = [o for o in ops if o.name is not None and o.name.value == name]
    return ops[0] if len(ops) == 1 else None


def check_shape(document: DocumentNode, limits: Limits) -> int:
    """Raise ``Refused`` (GRAPHQL_VALIDATION_FAILED) when the document is too deep, has too
    many aliases, fragments or fields (fragments spread in place: a chain of fragments that
    each spread the next twice doubles at every link), or spreads a fragment that is
    unknown or spreads itself. Returns how many introspection fields it has."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: list[OperationDefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
    if len(fragments) > limits.max_fragments:
        raise Refused(INVALID, f"{len(fragments)} fragments found. Allowed: {limits.max_fragments}")
    walk = _Walk(fragments)
    aliases = fields = 0
    for operation in operations:
        if len(operation.variable_definitions or ()) > MAX_VARIABLES:
            raise Refused(INVALID, f"more than {MAX_VARIABLES} variables in one operation")
        _check_directives(operation)
        for variable in operation.variable_definitions or ():
            _check_directives(variable)
        measured = walk.selections(operation.selection_set)
        if measured.depth > limits.max_depth:
            name = operation.name.value if operation.name else "anonymous"
            raise Refused(
                INVALID, f"'{name}' exceeds maximum operation depth of {limits.max_depth}"
            )
        aliases += measured.aliases
        fields += measured.fields
        if aliases > limits.max_aliases:
            raise Refused(INVALID, f"{aliases} aliases found. Allowed: {limits.max_aliases}")
        if fields > limits.max_fields:
            raise Refused(
                INVALID,
                f"the document spreads to {fields:,} fields (a fragment counts wherever it is"
                f" spread). Allowed: {limits.max_fields:,}",
            )
    return walk.introspection


def _check_directives(
    node: OperationDefinitionNode | SelectionNode | FragmentDefinitionNode | VariableDefinitionNode,
) -> None:
    if len(node.directives or ()) > MAX_DIRECTIVES:
        raise Refused(INVALID, f"more than {MAX_DIRECTIVES} directives in one place")


def _check_repeats(keys: Counter[str], key: str) -> None:
    if keys[key] > MAX_REPEATS:
        raise Refused(INVALID, f"'{key}' is selected more than {MAX_REPEATS} times in one place")


class _Walk:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self._fragments = fragments
        self._measured: dict[str, _Measure] = {}
        self._open: set[str] = set()  # fragments being measured: spreading one is a cycle
        self.introspection = 0

    def selections(self, selection_set: SelectionSetNode) -> _Measure:
        depth = aliases = fields = 0
        keys: Counter[str] = Counter()
        for selection in selection_set.selections:
            _check_directives(selection)
            if isinstance(selection, FieldNode):
                fields += 1
                key = (selection.alias or selection.name).value
                keys[key] += 1
                _check_repeats(keys, key)
                if selection.name.value in ("__schema", "__type"):
                    self.introspection += 1
                    if self.introspection > MAX_INTROSPECTION:
                        raise Refused(
                            INVALID, f"more than {MAX_INTROSPECTION} introspection fields"
                        )
                if selection.alias is not None:
                    aliases += 1
                if selection.selection_set is None:
                    continue
                inner = self.selections(selection.selection_set)
                if not selection.name.value.startswith("__"):  # introspection: not deep
                    depth = max(depth, inner.depth + 1)
            elif isinstance(selection, InlineFragmentNode):
                inner = self.selections(selection.selection_set)
                depth = max(depth, inner.depth)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self.fragment(selection.name.value)
                depth = max(depth, inner.depth)
            else:  # pragma: no cover - graphql-core has no other selection kind
                continue
            aliases += inner.aliases
            fields += inner.fields
            if not isinstance(selection, FieldNode):  # a fragment's fields merge into this one
                keys.update(inner.keys)
                for key in inner.keys:
                    _check_repeats(keys, key)
        return _Measure(depth, aliases, fields, keys)

    def fragment(self, name: str) -> _Measure:
        known = self._measured.get(name)
        if known is not None:
            return known
        definition = self._fragments.get(name)
        if definition is None:
            raise Refused(INVALID, f"Unknown fragment '{name}'.")
        if name in self._open:
            raise Refused(INVALID, f"Cannot spread fragment '{name}' within itself.")
        self._open.add(name)
        _check_directives(definition)
        measured = self.selections(definition.selection_set)
        self._open.discard(name)
        self._measured[name] = measured
        return measured


__all__ = ["INVALID", "Limits", "check_shape", "operation_of"]
