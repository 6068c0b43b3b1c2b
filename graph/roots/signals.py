"""``signal``, ``signals`` and the ``signalUpdates`` subscription."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from engine.signal.model import Mode
from graph.types import Ctx
from graph.types.signal import SignalType
from resolvers import signals, symbols
from resolvers.arguments import check_ticker_count


@strawberry.type
class SignalQuery:
    @strawberry.field(description="The signal of one symbol.")
    async def signal(
        self, info: Ctx, ticker: str, mode: Mode = Mode.AGGRESSIVE
    ) -> SignalType | None:
        ref = await symbols.resolve_symbol(info.context, ticker)
        computed = await signals.signal(info.context, ref, mode)
        return SignalType.from_computed(computed)

    @strawberry.field(
        description="Signals of several symbols, computed concurrently; a failed one is a "
        "null entry with its error."
    )
    async def signals(
        self, info: Ctx, tickers: list[str], mode: Mode = Mode.AGGRESSIVE
    ) -> list[SignalType | None]:
        check_ticker_count(tickers, info.context.services.limits.max_symbols)
        results = await asyncio.gather(
            *(signals.signal_or_error(info.context, t, mode) for t in tickers)
        )
        # an Exception entry is nulled by graphql-core and reported at that index
        out: list[Any] = [
            r if isinstance(r, Exception) else SignalType.from_computed(r) for r in results
        ]
        return out


@strawberry.type
class SignalSubscription:
    @strawberry.subscription(
        description="A symbol's signal whenever its direction or score band changes, "
        "computed on an interval once per symbol and mode however many subscribe. The "
        "current signal comes first."
    )
    async def signal_updates(
        self, info: Ctx, tickers: list[str], mode: Mode = Mode.AGGRESSIVE
    ) -> AsyncGenerator[SignalType, None]:
        check_ticker_count(tickers, info.context.services.limits.max_symbols)
        refs = [await symbols.resolve_symbol(info.context, t) for t in tickers]
        updates = info.context.services.signal_updates
        async with updates.subscribe(refs, mode) as inbox:
            while True:
                yield SignalType.from_computed(await inbox.get())


__all__ = ["SignalQuery", "SignalSubscription"]
