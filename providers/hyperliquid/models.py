"""Hyperliquid info payloads, named after the upstream fields.

Prices, sizes and rates are JSON strings ("0.0000125"), times ms integers, counts (``n``)
integers. Optional keys (``isDelisted``, ``onlyIsolated``, ``premium``, ``midPx``) may be
absent or ``null``; both become ``None`` (or False for flags). Nothing is filled in.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import TypeAdapter, model_validator

from engine.domain import (
    BookLevel,
    Candle,
    PerpAccount,
    PerpMarketContext,
    PerpMarketContexts,
    PerpPosition,
    Sourced,
    Trade,
)
from providers.payloads import OptFloat, OptInt, Payload, as_of

# -- metaAndAssetCtxs ----------------------------------------------------------------------


class UniverseAsset(Payload):
    """One ``meta.universe`` entry; its index is the asset id used elsewhere."""

    name: str
    szDecimals: OptInt = None
    maxLeverage: OptInt = None
    isDelisted: bool | None = None  # absent (or null) when listed
    onlyIsolated: bool | None = None


class Meta(Payload):
    universe: tuple[UniverseAsset, ...]


class AssetCtx(Payload):
    """One asset context, aligned by index with ``meta.universe``. ``funding`` is the current
    hourly rate (fraction), ``openInterest`` and ``dayBaseVlm`` are in coins, ``dayNtlVlm`` in
    USD. A delisted market sends ``midPx``, ``premium`` and ``impactPxs`` as null."""

    markPx: float
    oraclePx: OptFloat = None
    midPx: OptFloat = None
    prevDayPx: OptFloat = None
    funding: OptFloat = None
    premium: OptFloat = None
    openInterest: OptFloat = None
    dayNtlVlm: OptFloat = None
    dayBaseVlm: OptFloat = None


class MetaAndAssetCtxs(Payload):
    """The two-element array ``[meta, [ctx, ...]]``; both lists have the same length."""

    meta: Meta
    ctxs: tuple[AssetCtx, ...]

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError(f"expected [meta, assetCtxs], got {len(value)} elements")
            return {"meta": value[0], "ctxs": value[1]}
        return value

    @model_validator(mode="after")
    def _aligned(self) -> MetaAndAssetCtxs:
        if len(self.meta.universe) != len(self.ctxs):
            raise ValueError(
                f"{len(self.meta.universe)} universe entries but {len(self.ctxs)} asset contexts"
            )
        return self

    def to_domain(self, received: Sourced) -> PerpMarketContexts:
        markets = tuple(
            PerpMarketContext(
                coin=asset.name,
                mark_price=ctx.markPx,
                oracle_price=ctx.oraclePx,
                mid_price=ctx.midPx,
                prev_day_price=ctx.prevDayPx,
                funding_rate=ctx.funding,
                premium=ctx.premium,
                open_interest_base=ctx.openInterest,
                day_notional_volume_usd=ctx.dayNtlVlm,
                day_base_volume=ctx.dayBaseVlm,
                max_leverage=asset.maxLeverage,
                is_delisted=bool(asset.isDelisted),
            )
            for asset, ctx in zip(self.meta.universe, self.ctxs, strict=True)
        )
        # the answer carries no time of its own
        return PerpMarketContexts(markets=markets, meta=received.at(received.as_of_ms))


# -- l2Book --------------------------------------------------------------------------------


class BookLevelRow(Payload):
    """``{px, sz, n}``: price, total size in coins, number of orders (trimmed samples omit n)."""

    px: float
    sz: float
    n: OptInt = None

    def to_domain(self) -> BookLevel:
        return BookLevel(price=self.px, quantity=self.sz)


class L2Book(Payload):
    """``{coin, time, levels: [bids, asks]}``; bids best (highest) first, asks lowest first."""

    coin: str
    time: OptInt = None
    levels: tuple[tuple[BookLevelRow, ...], tuple[BookLevelRow, ...]]

    @property
    def venue_ms(self) -> int | None:
        return self.time


# -- candleSnapshot --------------------------------------------------------------------------


class CandleRow(Payload):
    """``{t, T, s, i, o, c, h, l, v, n}``: open/close time (ms, T = next open - 1), prices as
    strings, ``v`` volume in coins, ``n`` trade count."""

    t: int
    T: OptInt = None
    s: str | None = None
    i: str | None = None
    o: float
    h: float
    l: float  # noqa: E741 - the upstream name
    c: float
    v: float
    n: OptInt = None

    def to_domain(self) -> Candle:
        return Candle(
            open_time_ms=self.t,
            open=self.o,
            high=self.h,
            low=self.l,
            close=self.c,
            volume=self.v,
            close_time_ms=self.T,
            quote_volume=None,  # not sent
            trade_count=self.n,
            taker_buy_base_volume=None,  # not sent
        )


# -- clearinghouseState --------------------------------------------------------------------


class Leverage(Payload):
    type: str  # "cross" or "isolated"
    value: float


class Position(Payload):
    """``szi`` is the signed size in coins (negative = short); values in USD;
    ``liquidationPx`` is null when the position has no liquidation price."""

    coin: str
    szi: float
    entryPx: OptFloat = None
    positionValue: float
    unrealizedPnl: float
    returnOnEquity: OptFloat = None
    liquidationPx: OptFloat = None
    marginUsed: OptFloat = None
    leverage: Leverage | None = None

    def to_domain(self) -> PerpPosition:
        return PerpPosition(
            coin=self.coin,
            size_base=self.szi,
            entry_price=self.entryPx,
            position_value_usd=self.positionValue,
            unrealized_pnl_usd=self.unrealizedPnl,
            return_on_equity=self.returnOnEquity,
            leverage=self.leverage.value if self.leverage else None,
            leverage_type=self.leverage.type if self.leverage else None,
            liquidation_price=self.liquidationPx,
            margin_used_usd=self.marginUsed,
        )


class AssetPosition(Payload):
    type: str | None = None  # "oneWay"
    position: Position


class MarginSummary(Payload):
    accountValue: OptFloat = None
    totalNtlPos: OptFloat = None
    totalRawUsd: OptFloat = None
    totalMarginUsed: OptFloat = None


class ClearinghouseState(Payload):
    """A user's perpetuals account. Older answers carry no ``time``."""

    assetPositions: tuple[AssetPosition, ...]
    marginSummary: MarginSummary | None = None
    withdrawable: OptFloat = None
    time: OptInt = None

    def to_domain(self, user: str, received: Sourced) -> PerpAccount:
        summary = self.marginSummary or MarginSummary()
        return PerpAccount(
            user=user,
            positions=tuple(p.position.to_domain() for p in self.assetPositions),
            account_value_usd=summary.accountValue,
            total_notional_usd=summary.totalNtlPos,
            total_margin_used_usd=summary.totalMarginUsed,
            withdrawable_usd=self.withdrawable,
            meta=received.at(as_of(self.time, received.as_of_ms)),
        )


# -- recentTrades ----------------------------------------------------------------------------


class RecentTrade(Payload):
    """One print. ``side`` is the aggressor's: ``B`` the taker bought, ``A`` the taker sold.
    ``tid`` identifies the trade together with ``coin`` and ``time``; ``sz`` in coins."""

    coin: str
    side: Literal["A", "B"]
    px: float
    sz: float
    time: int
    tid: int
    hash: str | None = None

    def to_domain(self) -> Trade:
        # the domain's flag: the buyer was the maker exactly when the taker sold
        return Trade(
            trade_id=self.tid,
            price=self.px,
            quantity=self.sz,
            ts_ms=self.time,
            buyer_is_maker=self.side == "A",
        )


CANDLES = TypeAdapter(tuple[CandleRow, ...])
RECENT_TRADES = TypeAdapter(tuple[RecentTrade, ...])

__all__ = [
    "CANDLES",
    "RECENT_TRADES",
    "AssetCtx",
    "AssetPosition",
    "BookLevelRow",
    "CandleRow",
    "ClearinghouseState",
    "L2Book",
    "Leverage",
    "MarginSummary",
    "Meta",
    "MetaAndAssetCtxs",
    "Position",
    "RecentTrade",
    "UniverseAsset",
]
