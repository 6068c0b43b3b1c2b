"""The ScalpingSnapshot's whales layer: Hyperliquid accounts and prints, each part fetched
only when selected.

``positions`` reads the accounts listed in ``PERPGRAPH_HYPERLIQUID_WHALE_ADDRESSES`` (and
reports NOT_CONFIGURED without any rather than guessing whose positions matter);
``recentTrades`` reads Hyperliquid's latest prints of the coin. Each part is a ``MarketData``
with its own ``source`` and ``asOf``: they are two answers, from two calls.
"""

from __future__ import annotations

import strawberry

from engine import scalping_inputs as readings
from engine.domain import PerpPosition
from engine.symbols import SymbolRef
from graph.types import Ctx
from graph.types.market import MarketData, origin
from graph.types.scalping_layers import LargeTradeType, layer_origin
from resolvers import scalping as layers


@strawberry.type(name="WhalePosition")
class WhalePositionType:
    address: str
    coin: str = strawberry.field(description="Hyperliquid's coin name.")
    side: str = strawberry.field(description="LONG or SHORT.")
    size: float = strawberry.field(description="Signed size in coins (negative = short).")
    entry_price: float | None
    position_value_usd: float
    unrealized_pnl_usd: float
    return_on_equity: float | None = strawberry.field(description="Fraction of margin used.")
    leverage: float | None
    leverage_type: str | None
    liquidation_price: float | None
    margin_used_usd: float | None

    @classmethod
    def from_domain(cls, address: str, p: PerpPosition) -> WhalePositionType:
        return cls(
            address=address,
            coin=p.coin,
            side="LONG" if p.size_base > 0 else "SHORT",
            size=p.size_base,
            entry_price=p.entry_price,
            position_value_usd=p.position_value_usd,
            unrealized_pnl_usd=p.unrealized_pnl_usd,
            return_on_equity=p.return_on_equity,
            leverage=p.leverage,
            leverage_type=p.leverage_type,
            liquidation_price=p.liquidation_price,
            margin_used_usd=p.margin_used_usd,
        )


@strawberry.type(name="WhalePositions")
class WhalePositionsType(MarketData):
    accounts: int = strawberry.field(description="Watched accounts read.")
    positions: list[WhalePositionType] = strawberry.field(
        description="Open positions in this coin, largest position value first."
    )
    long_value_usd: float
    short_value_usd: float


@strawberry.type(name="WhaleTrades")
class WhaleTradesType(MarketData):
    scanned: int = strawberry.field(description="Recent prints read (about ten).")
    trades: list[LargeTradeType] = strawberry.field(description="Largest notional first.")


@strawberry.type(
    name="ScalpingWhales",
    description="Hyperliquid: the watched accounts' positions and the latest large prints, "
    "each fetched only when selected.",
)
class ScalpingWhalesType:
    coin: str = strawberry.field(description="Hyperliquid's name of the coin.")
    ref: strawberry.Private[SymbolRef]

    @strawberry.field(
        description="Open positions of the accounts in PERPGRAPH_HYPERLIQUID_WHALE_ADDRESSES "
        "(NOT_CONFIGURED without any)."
    )
    async def positions(self, info: Ctx) -> WhalePositionsType | None:
        r = await layers.whale_positions(info.context, self.ref)
        exposure = readings.whale_exposure([w.position for w in r.value.positions])
        return WhalePositionsType(
            accounts=r.value.accounts,
            positions=[
                WhalePositionType.from_domain(w.address, w.position) for w in r.value.positions
            ],
            long_value_usd=exposure.long_usd,
            short_value_usd=exposure.short_usd,
            **layer_origin(r),
        )

    @strawberry.field(description="Hyperliquid's latest prints of the coin, largest first.")
    async def recent_trades(
        self, info: Ctx, first: int = layers.LARGE_TRADES, min_notional: float = 0.0
    ) -> WhaleTradesType | None:
        layers.check_large_trades(first, min_notional)
        c = await layers.whale_trades(info.context, self.ref)
        chosen = readings.largest_trades(c.value.trades, first, min_notional)
        return WhaleTradesType(
            scanned=len(c.value.trades),
            trades=[LargeTradeType.from_domain(t) for t in chosen],
            **origin(c),
        )


__all__ = ["ScalpingWhalesType", "WhalePositionType", "WhalePositionsType", "WhaleTradesType"]
