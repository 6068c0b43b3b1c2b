"""OKX v5 public payloads, named after the upstream fields.

OKX sends everything as strings, including times and the envelope ``code``; ``""`` means
"no value" and becomes ``None`` where a field may be empty. Nothing is filled in.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

from engine.domain import (
    Candle,
    FundingSnapshot,
    Liquidation,
    ListedContract,
    OpenInterest,
    PositionSide,
    Sourced,
    Ticker24h,
)
from providers.okx.venue import VENUE
from providers.payloads import OptFloat, OptInt, Payload, as_of


class Envelope(Payload):
    """``{"code": "0", "msg": "", "data": [...]}``; a non-"0" code is an error."""

    model_config = ConfigDict(frozen=True, extra="ignore", coerce_numbers_to_str=True)

    code: str
    msg: str = ""
    data: tuple[Any, ...] = ()


class Instrument(Payload):
    """One ``public/instruments`` row. ``instId`` is ``BASE-QUOTE-SWAP`` for linear and
    inverse swaps alike (``ctValCcy``/``settleCcy`` swap roles between the two).

    ``ctVal`` is one contract's face value in ``ctValCcy``: the base coin for linear swaps
    (0.01 BTC for BTC-USDT-SWAP), USD for inverse ones (100 USD for BTC-USD-SWAP).
    """

    instId: str
    state: str
    listTime: OptInt = None
    ctVal: OptFloat = None
    ctValCcy: str | None = None

    @field_validator("instId")
    @classmethod
    def _swap_id(cls, value: str) -> str:
        parts = value.split("-")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"expected BASE-QUOTE-SWAP, got {value!r}")
        return value

    def to_domain(self) -> ListedContract:
        base, quote, _ = self.instId.split("-")
        # contract_size is in base units: only a ctVal counted in the base coin is one. An
        # inverse swap's ctVal is USD (its base amount moves with the price), so it stays None.
        base_ct_val = self.ctVal if self.ctValCcy == base else None
        return ListedContract(
            venue_symbol=self.instId,
            base=base,
            quote=quote,
            status=self.state,
            onboard_ms=self.listTime,
            contract_size=base_ct_val,
        )


class Ticker(Payload):
    instId: str
    last: OptFloat  # "" when the instrument has not traded yet
    open24h: OptFloat = None
    high24h: OptFloat = None
    low24h: OptFloat = None
    volCcy24h: OptFloat = None  # base currency for swaps (vol24h counts contracts)
    ts: OptInt = None

    def to_domain(self, received: Sourced) -> Ticker24h:
        if self.last is None:
            raise ValueError(f"{self.instId} has no last price")
        change_pct = None
        if self.open24h:  # computed from two venue values; None when OKX sends no open
            change_pct = (self.last - self.open24h) / self.open24h * 100.0
        return Ticker24h(
            symbol=self.instId,
            last_price=self.last,
            price_change_pct=change_pct,
            high_price=self.high24h,
            low_price=self.low24h,
            base_volume=self.volCcy24h,
            quote_volume=None,  # OKX sends no quote volume for swaps
            open_time_ms=None,
            close_time_ms=None,
            meta=received.at(as_of(self.ts, received.as_of_ms)),
        )


class FundingRate(Payload):
    instId: str
    fundingRate: OptFloat  # required key; "" (no current rate) becomes None
    fundingTime: OptInt = None  # settlement time of fundingRate
    nextFundingTime: OptInt = None  # the settlement after that
    ts: OptInt = None

    def to_domain(self, received: Sourced) -> FundingSnapshot:
        if self.fundingRate is None:
            raise ValueError(f"{self.instId} has no current funding rate")
        return FundingSnapshot(
            symbol=self.instId,
            funding_rate=self.fundingRate,
            next_funding_time_ms=self.fundingTime,
            meta=received.at(as_of(self.ts, received.as_of_ms)),
        )


class OpenInterestItem(Payload):
    instId: str
    oiCcy: float  # base currency ("oi" counts contracts, "oiUsd" is USD)
    ts: OptInt = None

    def to_domain(self, received: Sourced) -> OpenInterest:
        return OpenInterest(
            symbol=self.instId,
            base_qty=self.oiCcy,
            meta=received.at(as_of(self.ts, received.as_of_ms)),
        )


_CANDLE_FIELDS = ("ts", "o", "h", "l", "c", "vol", "volCcy", "volCcyQuote", "confirm")


class CandleRow(Payload):
    """``[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]``, all strings. For swaps
    ``vol`` counts contracts, ``volCcy`` is base currency, ``volCcyQuote`` quote currency.
    Older answers stop after ``volCcy``."""

    ts: int
    o: float
    h: float
    l: float  # noqa: E741 - the upstream name
    c: float
    vol: OptFloat = None
    volCcy: float
    volCcyQuote: OptFloat = None
    confirm: str | None = None  # "0" while the candle is still open

    @model_validator(mode="before")
    @classmethod
    def _from_array(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            if not 7 <= len(value) <= len(_CANDLE_FIELDS):
                raise ValueError(f"an OKX candle has 7 to 9 elements, got {len(value)}")
            return dict(zip(_CANDLE_FIELDS, value, strict=False))
        return value

    def to_domain(self) -> Candle:
        return Candle(
            open_time_ms=self.ts,
            open=self.o,
            high=self.h,
            low=self.l,
            close=self.c,
            volume=self.volCcy,
            close_time_ms=None,  # OKX sends none
            quote_volume=self.volCcyQuote,
            trade_count=None,
            taker_buy_base_volume=None,
        )


class LiquidationDetail(Payload):
    """One ``details[]`` entry of ``public/liquidation-orders`` (and of the WS channel).

    ``side`` is the liquidation order's side: ``sell`` closes a long, ``buy`` a short.
    ``posSide`` is ``long``/``short`` in hedge mode and ``net`` in net mode, so only ``side``
    always says which position was liquidated; a contradicting ``posSide`` is bad data.
    ``bkPx`` is the bankruptcy price (quote currency), ``sz`` counts contracts.
    """

    side: Literal["buy", "sell"]
    posSide: str | None = None
    bkPx: float = Field(gt=0)
    sz: float = Field(gt=0)
    ts: int

    @model_validator(mode="after")
    def _sides_agree(self) -> LiquidationDetail:
        implied = {"sell": "long", "buy": "short"}[self.side]
        if self.posSide in ("long", "short") and self.posSide != implied:
            raise ValueError(f"side {self.side!r} cannot liquidate a {self.posSide!r} position")
        return self

    @property
    def position_side(self) -> PositionSide:
        return PositionSide.LONG if self.side == "sell" else PositionSide.SHORT

    def to_domain(self, inst_id: str, contract_size: float, *, inverse: bool) -> Liquidation:
        """``contract_size`` is ctVal: base units for linear contracts, USD for inverse ones."""
        if inverse:  # face value in USD; the base amount follows from the price
            notional_usd = self.sz * contract_size
            quantity = notional_usd / self.bkPx
        else:
            quantity = self.sz * contract_size
            notional_usd = self.bkPx * quantity
        return Liquidation(
            symbol=inst_id,
            venue=VENUE.provider,
            side=self.position_side,
            price=self.bkPx,
            quantity=quantity,
            notional_usd=notional_usd,
            ts_ms=self.ts,
        )


class LiquidationOrders(Payload):
    """One ``data[]`` entry: the liquidations of one instrument."""

    instId: str
    instType: str | None = None
    instFamily: str | None = None
    uly: str | None = None
    details: tuple[LiquidationDetail, ...] = ()

    def to_domain(self, contract_size: float, *, inverse: bool) -> list[Liquidation]:
        return [d.to_domain(self.instId, contract_size, inverse=inverse) for d in self.details]


INSTRUMENTS = TypeAdapter(tuple[Instrument, ...])
TICKERS = TypeAdapter(tuple[Ticker, ...])
FUNDING_RATES = TypeAdapter(tuple[FundingRate, ...])
OPEN_INTERESTS = TypeAdapter(tuple[OpenInterestItem, ...])
CANDLES = TypeAdapter(tuple[CandleRow, ...])
LIQUIDATION_ORDERS = TypeAdapter(tuple[LiquidationOrders, ...])

__all__ = [
    "CANDLES",
    "FUNDING_RATES",
    "INSTRUMENTS",
    "LIQUIDATION_ORDERS",
    "OPEN_INTERESTS",
    "TICKERS",
    "CandleRow",
    "Envelope",
    "FundingRate",
    "Instrument",
    "LiquidationDetail",
    "LiquidationOrders",
    "OpenInterestItem",
    "Ticker",
]
