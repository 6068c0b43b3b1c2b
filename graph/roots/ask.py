"""``ask``: a question in plain English or Indonesian, answered by the registry operation it
asks for.

The question is read by ``engine.ask`` (keyword rules, no AI) against the coins Binance
lists; the operation it names runs here, in this request, through the same schema, loaders
and meta as any field (so its upstream calls count, and share fetches, as this request's
own). Its cost is computed before it runs, from its document and variables, and taken from
the caller's budget like any operation's (over what is left of the per-request maximum it
is QUERY_TOO_COSTLY). When the operation answers nothing its first error is this field's
error, with its code (UNKNOWN_SYMBOL, TIMEOUT...); fields of it that failed are listed in
``errors`` (logged, as any operation's errors are, and the answer is not response-cached). A question it cannot read is BAD_QUESTION, with example phrases.
"""

from __future__ import annotations

import functools
from typing import Any

import strawberry
from graphql import DocumentNode, ExecutionResult, GraphQLError, execute, parse

from engine.ask import EXAMPLES, NotUnderstood, Understood, answer_line, route, understand
from graph.errors import log_errors, present
from graph.guard.cost import TooCostly, document_cost
from graph.operations import Operation, load_registry
from graph.types import Ctx
from graph.types.ask import AskAnswerType
from resolvers import symbols
from resolvers.errors import Refused

DESCRIPTION = (
    "Ask in English or Indonesian, e.g. 'sinyal btc mode konservatif', 'funding eth?',"
    " 'why is crypto crashing?', 'kenapa market merah semua?'. Answers what was understood"
    " (intent, coins, mode, language), the operation that answered with its data, and one"
    " line in the asker's language."
)


@functools.cache
def _operations() -> dict[str, tuple[Operation, DocumentNode]]:
    return {op.id: (op, parse(op.document)) for op in load_registry()}


@strawberry.type
class AskQuery:
    @strawberry.field(description=DESCRIPTION)
    async def ask(self, info: Ctx, text: str) -> AskAnswerType:
        understood = _understood(text, await symbols.known_tickers(info.context))
        try:
            op_id, variables = route(understood)
        except ValueError as exc:  # an intent that needs a coin, without one
            raise _bad_question(str(exc), understood.language) from None
        op, document = _operations()[op_id]
        await _charge(info, document, op, variables)
        result = await _run(info, document, op, variables)
        data = result.data
        if result.errors and (data is None or all(v is None for v in data.values())):
            _raise_first(result.errors)  # this field's error: logged as any field's is
        if result.errors:
            log_errors(result.errors)  # as the schema logs an operation's errors
            info.context.meta.cacheable = False  # a partial answer is not kept for others
        errors = [present(e).formatted for e in result.errors or ()]
        line = answer_line(understood, data)
        return AskAnswerType.build(text, understood, op.id, variables, line, data, errors)


def _understood(text: str, known: frozenset[str]) -> Understood:
    try:
        return understand(text, known)
    except NotUnderstood as exc:
        raise Refused(
            "BAD_QUESTION",
            str(exc),
            details={"examples": list(exc.examples), "language": exc.language},
        ) from None


def _bad_question(message: str, language: str) -> Refused:
    return Refused(
        "BAD_QUESTION",
        message,
        details={"examples": list(EXAMPLES[language]), "language": language},
    )


async def _charge(info: Ctx, document: DocumentNode, op: Operation, variables: Any) -> None:
    """The operation's cost, bounded by what is left of the request's maximum, taken from
    the caller's budget before it runs."""
    meta = info.context.meta
    spent = meta.cost or 0
    left = (meta.max_cost - spent) if meta.max_cost is not None else 10**9
    schema = info.schema._schema
    try:
        cost = document_cost(schema, document, op.id, variables, left)
    except TooCostly as over:
        raise Refused(
            "QUERY_TOO_COSTLY",
            f"answering this costs at least {over.cost} points; {left} are left of this"
            " request's maximum: ask about fewer coins",
            details={"cost": {"requested": spent + over.cost, "maximum": meta.max_cost}},
        ) from None
    meta.cost = spent + cost
    if meta.charge is not None and cost:
        meta.throttle = await meta.charge(meta, cost)


async def _run(info: Ctx, document: DocumentNode, op: Operation, variables: Any) -> ExecutionResult:
    schema = info.schema
    result = execute(
        schema._schema,
        document,
        context_value=info.context,
        variable_values=variables,
        operation_name=op.id,
        executor_class=schema.execution_context_class,
    )
    if isinstance(result, ExecutionResult):  # nothing to await (a variable was refused)
        return result
    return await result


def _raise_first(errors: list[GraphQLError]) -> None:
    """The operation answered nothing: its first error is this field's (its own
    exception, so it keeps its code; a GraphQL error without one stays masked)."""
    first = errors[0]
    original = first.original_error
    if isinstance(original, Exception):
        raise original
    raise first


__all__ = ["AskQuery"]
