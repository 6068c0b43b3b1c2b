"""CoinGecko v3 payloads, named after the upstream fields.

CoinGecko sends JSON numbers (not strings) and many nulls (``max_supply``, ``roi``,
``fully_diluted_valuation``); times are ISO-8601 strings with ms and ``Z``. In
``search/trending`` ``item.price_btc`` is a number while ``item.data.price_btc`` is a string,
and ``item.data.market_cap`` / ``total_volume`` are display strings (``"$2,724,696,398"``).
Nothing is filled in.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, TypeAdapter

from engine.domain import CoinMarket, Sourced, TrendingCoin, series_as_of
from providers.payloads import OptFloat, OptInt, Payload


def _iso_to_ms(value: Any) -> Any:
    """``"2026-03-20T04:01:00.601Z"`` -> Unix ms; ``None``/``""`` stay absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    return value


IsoMs = Annotated[int | None, BeforeValidator(_iso_to_ms)]

_DOLLARS = re.compile(r"\$\d{1,3}(,\d{3})*(\.\d+)?")


def _dollars(value: Any) -> Any:
    """A display amount ``"$2,724,696,398"`` -> 2724696398.0; anything else is absent."""
    if isinstance(value, str) and _DOLLARS.fullmatch(value):
        return float(value[1:].replace(",", ""))
    return None


Dollars = Annotated[float | None, BeforeValidator(_dollars)]


# -- coins/markets ---------------------------------------------------------------------------


class MarketRow(Payload):
    """One ``coins/markets`` row (``vs_currency=usd``): prices and values in USD, supplies in
    coins, changes in percent. ``price_change_percentage_1h_in_currency`` is only sent when
    ``price_change_percentage=1h`` was asked."""

    id: str
    symbol: str
    name: str
    market_cap_rank: OptInt = None
    current_price: OptFloat = None
    market_cap: OptFloat = None
    fully_diluted_valuation: OptFloat = None
    total_volume: OptFloat = None
    high_24h: OptFloat = None
    low_24h: OptFloat = None
    price_change_percentage_24h: OptFloat = None
    price_change_percentage_1h_in_currency: OptFloat = None
    market_cap_change_percentage_24h: OptFloat = None
    circulating_supply: OptFloat = None
    total_supply: OptFloat = None
    max_supply: OptFloat = None
    last_updated: IsoMs = None

    def to_domain(self, received: Sourced) -> CoinMarket:
        return CoinMarket(
            coin_id=self.id,
            symbol=self.symbol,
            name=self.name,
            market_cap_rank=self.market_cap_rank,
            price_usd=self.current_price,
            market_cap_usd=self.market_cap,
            fully_diluted_valuation_usd=self.fully_diluted_valuation,
            volume_24h_usd=self.total_volume,
            high_24h_usd=self.high_24h,
            low_24h_usd=self.low_24h,
            price_change_1h_pct=self.price_change_percentage_1h_in_currency,
            price_change_24h_pct=self.price_change_percentage_24h,
            market_cap_change_24h_pct=self.market_cap_change_percentage_24h,
            circulating_supply=self.circulating_supply,
            total_supply=self.total_supply,
            max_supply=self.max_supply,
            last_updated_ms=self.last_updated,
            meta=received.at(series_as_of(self.last_updated, received.as_of_ms)),
        )


# -- search/trending -------------------------------------------------------------------------


class TrendingData(Payload):
    price: OptFloat = None  # USD
    price_change_percentage_24h: dict[str, float | None] = Field(default_factory=dict)
    market_cap: Dollars = None  # display string in USD
    total_volume: Dollars = None


class TrendingItem(Payload):
    id: str
    name: str
    symbol: str
    market_cap_rank: OptInt = None
    price_btc: OptFloat = None
    score: int
    data: TrendingData | None = None

    def to_domain(self) -> TrendingCoin:
        data = self.data or TrendingData()
        return TrendingCoin(
            coin_id=self.id,
            symbol=self.symbol,
            name=self.name,
            position=self.score,
            market_cap_rank=self.market_cap_rank,
            price_usd=data.price,
            price_btc=self.price_btc,
            price_change_24h_pct=data.price_change_percentage_24h.get("usd"),
            market_cap_usd=data.market_cap,
            volume_24h_usd=data.total_volume,
        )


class TrendingEntry(Payload):
    item: TrendingItem


class Trending(Payload):
    """``{"coins": [{"item": {...}}], "nfts": [...], "categories": [...]}``; only coins are
    read."""

    coins: tuple[TrendingEntry, ...]


# -- coins/{id} --------------------------------------------------------------------------------


def _usd(value: Any) -> Any:
    """``{"usd": 70734, "eur": ...}`` -> the USD amount (absent when not sent)."""
    if isinstance(value, dict):
        return value.get("usd")
    return value


Usd = Annotated[float | None, BeforeValidator(_usd)]


class CoinMarketData(Payload):
    """``market_data`` of ``coins/{id}``: per-currency maps read in USD, supplies in coins."""

    current_price: Usd = None
    market_cap: Usd = None
    fully_diluted_valuation: Usd = None
    total_volume: Usd = None
    high_24h: Usd = None
    low_24h: Usd = None
    price_change_percentage_24h: OptFloat = None
    price_change_percentage_1h_in_currency: Usd = None
    market_cap_change_percentage_24h: OptFloat = None
    market_cap_rank: OptInt = None
    circulating_supply: OptFloat = None
    total_supply: OptFloat = None
    max_supply: OptFloat = None
    last_updated: IsoMs = None


class CoinDetail(Payload):
    """``coins/{id}`` (asked with ``market_data=true``, everything else off)."""

    id: str
    symbol: str
    name: str
    market_cap_rank: OptInt = None
    market_data: CoinMarketData
    last_updated: IsoMs = None

    def to_domain(self, received: Sourced) -> CoinMarket:
        m = self.market_data
        updated = m.last_updated or self.last_updated
        rank = self.market_cap_rank if self.market_cap_rank is not None else m.market_cap_rank
        return CoinMarket(
            coin_id=self.id,
            symbol=self.symbol,
            name=self.name,
            market_cap_rank=rank,
            price_usd=m.current_price,
            market_cap_usd=m.market_cap,
            fully_diluted_valuation_usd=m.fully_diluted_valuation,
            volume_24h_usd=m.total_volume,
            high_24h_usd=m.high_24h,
            low_24h_usd=m.low_24h,
            price_change_1h_pct=m.price_change_percentage_1h_in_currency,
            price_change_24h_pct=m.price_change_percentage_24h,
            market_cap_change_24h_pct=m.market_cap_change_percentage_24h,
            circulating_supply=m.circulating_supply,
            total_supply=m.total_supply,
            max_supply=m.max_supply,
            last_updated_ms=updated,
            meta=received.at(series_as_of(updated, received.as_of_ms)),
        )


MARKETS = TypeAdapter(tuple[MarketRow, ...])

__all__ = [
    "MARKETS",
    "CoinDetail",
    "CoinMarketData",
    "MarketRow",
    "Trending",
    "TrendingData",
    "TrendingEntry",
    "TrendingItem",
]
