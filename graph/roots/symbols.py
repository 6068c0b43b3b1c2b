"""``symbol`` and ``symbols``: markets by any spelling of their ticker."""

from __future__ import annotations

from typing import Any

import strawberry

from graph.types import Ctx
from graph.types.symbol import SymbolType
from resolvers import symbols
from resolvers.arguments import check_ticker_count
from resolvers.errors import UnknownSymbol


@strawberry.type
class SymbolQuery:
    @strawberry.field(
        description="One futures market. Accepts btc, BTCUSDT, btc-usdt-swap, kPEPE..."
    )
    async def symbol(self, info: Ctx, ticker: str) -> SymbolType | None:
        return SymbolType(ref=await symbols.resolve_symbol(info.context, ticker))

    @strawberry.field(
        description="Several markets; an unknown ticker is a null entry with an error."
    )
    async def symbols(self, info: Ctx, tickers: list[str]) -> list[SymbolType | None]:
        check_ticker_count(tickers, info.context.services.limits.max_symbols)
        out: list[Any] = []
        for ticker in tickers:
            try:
                out.append(SymbolType(ref=await symbols.resolve_symbol(info.context, ticker)))
            except UnknownSymbol as err:
                out.append(err)  # graphql-core nulls this entry and reports the error at it
        return out


__all__ = ["SymbolQuery"]
