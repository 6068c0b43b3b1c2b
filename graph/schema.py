"""The schema: the root pieces of ``graph/roots`` merged into Query, Mutation and
Subscription, with the limits and caches every request runs through.

A new root field goes in its domain's piece (or a new piece, added below in the order its
fields should appear in ``schema.graphql``).
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLResolveInfoHelpers
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from graph.errors import log_errors
from graph.guard.document import Limits
from graph.guard.extension import DocumentCache, DocumentGuard
from graph.roots.ask import AskQuery
from graph.roots.cache import CacheQuery
from graph.roots.discovery import DiscoveryQuery
from graph.roots.history import HistoryMutation, HistoryQuery
from graph.roots.liquidations import LiquidationQuery, LiquidationSubscription
from graph.roots.market import MarketQuery
from graph.roots.market_summary import MarketSummaryQuery
from graph.roots.mss import MssQuery
from graph.roots.scalping import ScalpingQuery
from graph.roots.signals import SignalQuery, SignalSubscription
from graph.roots.symbols import SymbolQuery
from graph.roots.verdicts import VerdictQuery
from graph.roots.watchlist import WatchlistMutation, WatchlistQuery
from resolvers.access import Role

Query = merge_types(
    "Query",
    (
        SymbolQuery,
        VerdictQuery,
        SignalQuery,
        ScalpingQuery,
        MarketSummaryQuery,
        LiquidationQuery,
        DiscoveryQuery,
        MssQuery,
        WatchlistQuery,
        HistoryQuery,
        MarketQuery,
        AskQuery,
        CacheQuery,
    ),
)
Mutation = merge_types("Mutation", (HistoryMutation, WatchlistMutation))
Subscription = merge_types("Subscription", (LiquidationSubscription, SignalSubscription))


class Executor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, without the reference cycle graphql-core (3.3) gives
    each operation: its ``async_helpers`` hold two bound methods of the context that holds
    them. Through that cycle everything an operation touched (the context, its loaders and
    meta, the executor's state: about 90 objects a request) was freed only by the cyclic
    collector, whose pauses (measured at 8x load: 5-17 ms, twice a second) held up every
    request in flight, refusals included. Here the helpers reach the context through a weak
    reference; it is alive while anything runs in it (and a subscription's per-event
    executors, shallow copies of it, run while the subscription holds it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        me = weakref.ref(self)

        def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
            return _alive(me).gather_async_work(values)

        def track(values: Sequence[Any]) -> None:
            _alive(me).track_async_work(values)

        self.async_helpers = GraphQLResolveInfoHelpers(gather=gather, track=track)


def _alive(ref: weakref.ref[Executor]) -> Executor:
    executor = ref()
    if executor is None:  # cannot happen: a resolver runs inside its executor's call
        raise RuntimeError("an operation's executor was freed while it ran")
    return executor


class PerpSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def build_schema(
    *,
    max_depth: int = 10,
    max_aliases: int = 50,
    max_fragments: int = 100,
    max_fields: int = 2000,
    max_tokens: int = 5000,
    max_cost: int = 1000,
    document_cache_bytes: int = 256 * 1024,
    private_role: Role = Role.NONE,
) -> strawberry.Schema:
    limits = Limits(
        max_depth=max_depth,
        max_aliases=max_aliases,
        max_fragments=max_fragments,
        max_fields=max_fields,
    )
    documents = DocumentCache(document_cache_bytes)  # shared by every request of this schema
    return PerpSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        execution_context_class=Executor,
        extensions=[  # a factory: Strawberry builds the extension afresh for each request
            lambda: DocumentGuard(
                documents,
                limits,
                max_tokens=max_tokens,
                max_cost=max_cost,
                private_role=private_role,
            )
        ],
    )


__all__ = ["build_schema"]
