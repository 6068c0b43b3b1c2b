"""Signal history (PostgreSQL): ``signalHistory``, ``verdictAccuracy``,
``signalPerformance`` and the ``recordSignal`` mutation. Without
``PERPGRAPH_DATABASE_URL`` each answers ``NOT_CONFIGURED``; the rest of the API is
unaffected."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import strawberry

from engine.signal.model import Mode
from graph.types import Ctx
from graph.types.history import (
    RecordedSignalType,
    SignalHistoryFilter,
    SignalHistoryType,
    SymbolPerformanceType,
    VerdictAccuracyType,
)
from providers.history import HistoryEntry
from resolvers import history, symbols
from resolvers.arguments import check_moment
from resolvers.errors import InvalidArgument

# without an idempotency key, the same move recorded twice in one clock minute is one row
MUTATION_BUCKET = timedelta(minutes=1)
MAX_KEY_CHARS = 128


def _aware(name: str, moment: datetime | None) -> datetime | None:
    return None if moment is None else check_moment(name, moment)


async def _canonical(info: Ctx, ticker: str | None) -> str | None:
    return None if ticker is None else (await symbols.resolve_symbol(info.context, ticker)).ticker


@strawberry.type
class HistoryQuery:
    @strawberry.field(
        description="Recorded LONG and SHORT signals with their verdicts and outcomes, newest "
        "first, `first` (1-500) a page; pass pageInfo.endCursor as `after` for the next page."
    )
    async def signal_history(
        self,
        info: Ctx,
        filter: SignalHistoryFilter | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> SignalHistoryType:
        store = history.store_of(info.context.services)
        info.context.meta.cacheable = False
        f = filter or SignalHistoryFilter()
        f.since, f.until = _aware("since", f.since), _aware("until", f.until)
        page = await store.history(f.to_store(await _canonical(info, f.ticker)), first, after)
        return SignalHistoryType.from_page(page)

    @strawberry.field(
        description="Win rate and average return per verdict type and per mode, at 1 h, 4 h "
        "and 24 h, of the verdicts recorded since `since` (of one ticker when given)."
    )
    async def verdict_accuracy(
        self, info: Ctx, since: datetime | None = None, ticker: str | None = None
    ) -> VerdictAccuracyType:
        store = history.store_of(info.context.services)
        since = _aware("since", since)
        info.context.meta.cacheable = False
        name = await _canonical(info, ticker)
        return VerdictAccuracyType.from_rows(await store.accuracy(since, name))

    @strawberry.field(
        description="Per symbol and direction: signals recorded and how they did per horizon."
    )
    async def signal_performance(
        self, info: Ctx, since: datetime | None = None, ticker: str | None = None
    ) -> list[SymbolPerformanceType]:
        store = history.store_of(info.context.services)
        since = _aware("since", since)
        info.context.meta.cacheable = False
        name = await _canonical(info, ticker)
        return [SymbolPerformanceType.from_row(r) for r in await store.performance(since, name)]


@strawberry.type
class HistoryMutation:
    @strawberry.mutation(
        description="Record a symbol's LONG or SHORT signal with its verdict (a NEUTRAL one is "
        "refused with NEUTRAL_SIGNAL). Durable on return, PostgreSQL up or not. One record "
        "per idempotencyKey, or without one per ticker, mode and direction in a clock "
        "minute. Sends one Telegram alert per record when set up."
    )
    async def record_signal(
        self,
        info: Ctx,
        ticker: str,
        mode: Mode = Mode.AGGRESSIVE,
        idempotency_key: Annotated[
            str | None,
            strawberry.argument(
                description="The same key (1-128 characters) always names the same record: "
                "retries of a request are recorded once."
            ),
        ] = None,
    ) -> RecordedSignalType:
        history.store_of(info.context.services)  # NOT_CONFIGURED before any upstream call
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_KEY_CHARS:
            raise InvalidArgument(
                "BAD_ARGUMENT", f"idempotencyKey must be 1 to {MAX_KEY_CHARS} characters"
            )
        ref = await symbols.resolve_symbol(info.context, ticker)
        recorded = await history.record(
            info.context,
            ref,
            mode,
            "mutation",
            MUTATION_BUCKET,
            idempotency_key=idempotency_key,
        )
        return RecordedSignalType.from_entry(HistoryEntry(recorded.signal, recorded.verdict))


__all__ = ["HistoryMutation", "HistoryQuery"]
