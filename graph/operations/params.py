"""Flat parameters (REST query strings, RPC and MCP arguments) to an operation's variables.

A parameter is named as its variable (``symbol`` is also taken for ``ticker``, and ``q``
or ``query`` for ``text``, as the replaced system took them). Text is read by the
variable's GraphQL type: Int and Float as numbers, Boolean as true/false/1/0/yes/no, a list
from repeated parameters or one comma-separated value, an enum by its name in any case, and
a signal mode also as the replaced system's aliases (1/2/3, safe/balanced/extreme/
scalping...). Values already typed (JSON bodies, MCP arguments) are checked against the
type as GraphQL would; null is a parameter not given. What cannot be read is a
``BadParameter`` naming the parameter and what it takes; GraphQL then checks the values as
for any request.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, cast

from graphql import (
    GraphQLEnumType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    type_from_ast,
)

from engine.signal.modes import parse_mode
from graph.operations.registry import Operation, Variable

# parameter name -> the variable it stands for (as the replaced system named them)
ALIASES = {"symbol": "ticker", "q": "text", "query": "text"}
_INT = re.compile(r"[+-]?\d{1,10}")
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})  # a Boolean parameter, and ?debug=
_FALSE = {"false", "0", "no", "off"}


class BadParameter(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"parameter {name!r}: {message}")
        self.name = name


def variables_from(
    op: Operation, schema: GraphQLSchema, params: Mapping[str, Sequence[Any]]
) -> dict[str, Any]:
    """The variables of ``op`` from ``params`` (each name's values, in order; a value is
    text, or already typed). Unknown and missing required parameters are BadParameter."""
    given: dict[str, Sequence[Any]] = {}
    for raw_name, values in params.items():
        name = raw_name if op.variable(raw_name) is not None else ALIASES.get(raw_name, raw_name)
        if op.variable(name) is None:
            accepted = ", ".join(v.name for v in op.variables) or "none"
            raise BadParameter(raw_name, f"not a parameter of {op.id} (it takes: {accepted})")
        if name in given:
            raise BadParameter(raw_name, f"given twice (as {name!r} too)")
        given[name] = values
    out: dict[str, Any] = {}
    types = _input_types(schema)
    for var in op.variables:
        values = [v for v in given.get(var.name, ()) if v is not None]  # null: not given
        if not values:
            if var.required:
                raise BadParameter(var.name, f"required: {var.description}")
            continue
        input_type = types.get((op.id, var.name))
        if input_type is None:
            input_type = cast(GraphQLInputType, type_from_ast(schema, var.type_node))
            types[(op.id, var.name)] = input_type
        out[var.name] = _read(var, input_type, values)
    return out


# each schema's variable types by (operation, variable), looked up once
_TYPES: weakref.WeakKeyDictionary[GraphQLSchema, dict[tuple[str, str], GraphQLInputType]] = (
    weakref.WeakKeyDictionary()
)


def _input_types(schema: GraphQLSchema) -> dict[tuple[str, str], GraphQLInputType]:
    types = _TYPES.get(schema)
    if types is None:
        types = _TYPES[schema] = {}
    return types


def _read(var: Variable, type_: GraphQLInputType, values: Sequence[Any]) -> Any:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        items: list[Any] = []
        for value in values:
            if isinstance(value, list):
                items += value
            elif isinstance(value, str):
                items += [part.strip() for part in value.split(",") if part.strip()]
            else:
                items.append(value)
        inner = type_.of_type
        return [_one(var.name, inner, item) for item in items]
    if len(values) > 1:
        raise BadParameter(var.name, "given more than once; it takes one value")
    return _one(var.name, type_, values[0])


def _one(name: str, type_: Any, value: Any) -> Any:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLEnumType):
        return _enum(name, type_, value)
    if not isinstance(type_, GraphQLScalarType):
        return value  # an input object: GraphQL checks it
    if not isinstance(value, str):
        return _typed(name, type_.name, value)
    text = value.strip()
    if type_.name == "Int":
        if not _INT.fullmatch(text) or not -(2**31) <= int(text) < 2**31:
            raise BadParameter(name, f"takes a whole number (32 bits), not {value!r}")
        return int(text)
    if type_.name == "Float":
        try:
            number = float(text) if "_" not in text else math.nan  # float() takes 1_0
        except ValueError:
            raise BadParameter(name, f"takes a number, not {value!r}") from None
        if not math.isfinite(number):
            raise BadParameter(name, f"takes a finite number, not {value!r}")
        return number
    if type_.name == "Boolean":
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in _FALSE:
            return False
        raise BadParameter(name, f"takes true or false, not {value!r}")
    return value  # String, ID, DateTime and the like: as written


def _typed(name: str, scalar: str, value: Any) -> Any:
    """A value that came typed (a JSON body, an MCP argument), checked against its scalar
    as GraphQL would, so that a wrong one is a BadParameter like a wrong text is."""
    if scalar == "Int":  # 5.0 is 5, as GraphQL takes it
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            kind = "a fraction" if isinstance(value, float) else _shown(value)
            raise BadParameter(name, f"takes a whole number, not {kind}")
        if not -(2**31) <= value < 2**31:
            raise BadParameter(name, "takes a whole number of 32 bits")
        return value
    if scalar == "Float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadParameter(name, f"takes a number, not {_shown(value)}")
        try:
            number = float(value)  # a JSON integer of 400 digits overflows here
        except OverflowError:
            raise BadParameter(name, "takes a finite number") from None
        if not math.isfinite(number):
            raise BadParameter(name, "takes a finite number")
        return value
    if scalar == "Boolean":
        if not isinstance(value, bool):
            raise BadParameter(name, f"takes true or false, not {_shown(value)}")
        return value
    raise BadParameter(name, f"takes text, not {_shown(value)}")


def _shown(value: Any) -> str:
    """What kind of JSON value was given (not the value: it may be large)."""
    kinds = {bool: "a boolean", int: "a number", float: "a number", str: "text"}
    kinds |= {list: "a list", dict: "an object", type(None): "null"}
    return kinds.get(type(value), type(value).__name__)


def _enum(name: str, type_: GraphQLEnumType, value: Any) -> Any:
    if type_.name == "SignalMode" and isinstance(value, (str, int)):
        try:
            return parse_mode(value).name
        except ValueError as exc:
            raise BadParameter(name, str(exc)) from None
    if isinstance(value, str):
        wanted = value.strip().upper()
        for known in type_.values:
            if known.upper() == wanted:
                return known
    accepted = ", ".join(type_.values)
    raise BadParameter(name, f"takes one of {accepted}, not {value!r}")


__all__ = ["ALIASES", "TRUE_WORDS", "BadParameter", "variables_from"]
