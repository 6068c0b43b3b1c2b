"""Binance USD-M futures public REST client: one typed method per endpoint.

Every method checks its arguments against the venue table (``ValueError`` lists what is
accepted), sends one GET through the shared ``UpstreamHttp`` with the endpoint's request
weight, validates the body with the payload models (``ProviderBadData`` when it does not
fit) and returns domain objects. Series come back oldest first; their ``meta.as_of_ms`` is
the receive time, because Binance stamps the rows, not the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import TypeAdapter

from engine.domain import (
    Candles,
    ExchangeInfo,
    FundingHistory,
    LongShortRatio,
    OpenInterest,
    OpenInterestHistory,
    OrderBook,
    PremiumIndex,
    PriceQuote,
    RatioKind,
    RecentTrades,
    Sourced,
    TakerVolume,
    Ticker24h,
    newest_candle_ms,
    series_as_of,
)
from providers.binance import venue
from providers.binance.models import (
    AGG_TRADES,
    FUNDING_RATES,
    KLINES,
    LONG_SHORT_RATIOS,
    OPEN_INTEREST_HIST,
    PREMIUM_INDEX,
    TAKER_VOLUMES,
    TICKER_PRICES,
    TICKERS_24HR,
    DepthPayload,
    ExchangeInfoPayload,
    OpenInterestPayload,
)
from providers.binance.venue import VENUE
from providers.http import Fetched, UpstreamHttp
from providers.payloads import validated

_T = TypeVar("_T")


class BinanceFuturesClient:
    """Public market data of Binance USD-M futures (``https://fapi.binance.com``)."""

    PROVIDER = VENUE.provider

    def __init__(self, http: UpstreamHttp, base_url: str) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")

    # -- reference data ------------------------------------------------------------------

    async def exchange_info(self) -> ExchangeInfo:
        """GET /fapi/v1/exchangeInfo — listed perpetual contracts. Weight 1.

        Keeps contract types PERPETUAL and TRADIFI_PERPETUAL (delivery contracts and the
        occasional ``""`` type are dropped). ``onboard_ms`` is the listing time in ms;
        ``as_of_ms`` is the venue's ``serverTime``.
        """
        path = "/fapi/v1/exchangeInfo"
        fetched = await self._get(path, None, venue.weight(path))
        payload = self._validate(ExchangeInfoPayload.model_validate, fetched.body, path)
        return ExchangeInfo(
            contracts=tuple(s.to_domain() for s in payload.symbols if s.is_perpetual),
            meta=fetched.sourced(self.PROVIDER).at(payload.serverTime),
        )

    # -- prices ----------------------------------------------------------------------------

    async def ticker_prices(self, symbol: str | None = None) -> list[PriceQuote]:
        """GET /fapi/v2/ticker/price — last price in quote currency. Weight 1, or 2 for all.

        Without ``symbol`` every symbol comes back in one call.
        """
        path = "/fapi/v2/ticker/price"
        fetched = await self._get(path, self._symbol_param(symbol), self._weight(path, symbol))
        rows = self._validate(TICKER_PRICES.validate_python, _as_list(fetched.body), path)
        received = fetched.sourced(self.PROVIDER)
        return [row.to_domain(received) for row in rows]

    async def tickers_24h(self, symbol: str | None = None) -> list[Ticker24h]:
        """GET /fapi/v1/ticker/24hr — rolling 24 h stats. Weight 1, or 40 for all symbols.

        Prices in quote currency, ``base_volume`` in base asset, ``quote_volume`` in quote
        asset, ``price_change_pct`` a percent (-1.5 means -1.5 %). Absent fields are None.
        """
        path = "/fapi/v1/ticker/24hr"
        fetched = await self._get(path, self._symbol_param(symbol), self._weight(path, symbol))
        rows = self._validate(TICKERS_24HR.validate_python, _as_list(fetched.body), path)
        received = fetched.sourced(self.PROVIDER)
        return [row.to_domain(received) for row in rows]

    async def premium_index(self, symbol: str | None = None) -> list[PremiumIndex]:
        """GET /fapi/v1/premiumIndex — mark/index price and funding. Weight 1, or 10 for all.

        Funding and interest rates are fractions (0.0001 = 0.01 %). Binance answers an object
        for one symbol and an array for all; both become a list. Delivery contracts send
        ``nextFundingTime: 0``, which becomes None.
        """
        path = "/fapi/v1/premiumIndex"
        fetched = await self._get(path, self._symbol_param(symbol), self._weight(path, symbol))
        rows = self._validate(PREMIUM_INDEX.validate_python, _as_list(fetched.body), path)
        received = fetched.sourced(self.PROVIDER)
        return [row.to_domain(received) for row in rows]

    # -- funding and open interest ---------------------------------------------------------

    async def funding_history(self, symbol: str, limit: int = 100) -> FundingHistory:
        """GET /fapi/v1/fundingRate — settled funding rates (fractions), oldest first.

        Weight 0 (own limit: 500 requests / 5 min / IP). ``limit`` 1..1000. Funding times in
        ms, rounded to the second; ``mark_price`` is None when absent or ``""``.
        """
        path = "/fapi/v1/fundingRate"
        venue.check_symbol(symbol)
        VENUE.funding_limit.check("fundingRate", limit)
        params: dict[str, str | int] = {"symbol": symbol, "limit": limit}
        fetched = await self._get(path, params, venue.weight(path))
        rows = self._validate(FUNDING_RATES.validate_python, fetched.body, path)
        records = sorted((row.to_domain() for row in rows), key=lambda r: r.funding_time_ms)
        newest = records[-1].funding_time_ms if records else None
        return FundingHistory(
            symbol=symbol, records=tuple(records), meta=self._series_meta(fetched, newest)
        )

    async def open_interest(self, symbol: str) -> OpenInterest:
        """GET /fapi/v1/openInterest — current open interest in base asset. Weight 1."""
        path = "/fapi/v1/openInterest"
        venue.check_symbol(symbol)
        fetched = await self._get(path, {"symbol": symbol}, venue.weight(path))
        payload = self._validate(OpenInterestPayload.model_validate, fetched.body, path)
        return payload.to_domain(fetched.sourced(self.PROVIDER))

    async def open_interest_history(
        self, symbol: str, period: str, limit: int = 30
    ) -> OpenInterestHistory:
        """GET /futures/data/openInterestHist — open interest per period, oldest first.

        ``base_qty`` in base asset, ``value_usd`` in USD(T). Weight 0 (own limit: 1000
        requests / 5 min / IP; last 30 days only). ``period`` one of the stats periods,
        ``limit`` 1..500.
        """
        path = "/futures/data/openInterestHist"
        points, meta = await self._stats(path, symbol, period, limit, OPEN_INTEREST_HIST)
        return OpenInterestHistory(symbol=symbol, period=period, points=points, meta=meta)

    async def long_short_ratio(
        self, symbol: str, kind: RatioKind, period: str, limit: int = 30
    ) -> LongShortRatio:
        """GET /futures/data/{globalLongShortAccountRatio | topLongShortAccountRatio |
        topLongShortPositionRatio} — long/short ratio per period, oldest first.

        Long and short shares are fractions (0.66 = 66 %). Weight 0 (own limit: 1000
        requests / 5 min / IP). ``period`` one of the stats periods, ``limit`` 1..500.
        """
        path = VENUE.ratio_paths[kind]
        points, meta = await self._stats(path, symbol, period, limit, LONG_SHORT_RATIOS)
        return LongShortRatio(symbol=symbol, kind=kind, period=period, points=points, meta=meta)

    async def taker_volume(self, symbol: str, period: str, limit: int = 30) -> TakerVolume:
        """GET /futures/data/takerlongshortRatio — taker buy/sell volume (base asset) per
        period, oldest first. Weight 0 (own limit: 1000 requests / 5 min / IP)."""
        path = "/futures/data/takerlongshortRatio"
        points, meta = await self._stats(path, symbol, period, limit, TAKER_VOLUMES)
        return TakerVolume(symbol=symbol, period=period, points=points, meta=meta)

    # -- candles, book, trades ---------------------------------------------------------------

    async def klines(self, symbol: str, interval: str, limit: int = 500) -> Candles:
        """GET /fapi/v1/klines — OHLCV candles, oldest first; the newest may still be open.

        Prices in quote currency, ``volume`` and taker-buy volume in base asset, times in ms.
        ``limit`` 1..1500; weight 1 / 2 / 5 / 10 for limit <100 / <500 / <=1000 / >1000.
        Arrays of 6 or 7 elements (replays of derived OHLCV) leave the rest None.
        """
        path = "/fapi/v1/klines"
        venue.check_symbol(symbol)
        venue.check_interval(interval)
        VENUE.kline_limit.check("klines", limit)
        params: dict[str, str | int] = {"symbol": symbol, "interval": interval, "limit": limit}
        fetched = await self._get(path, params, venue.kline_weight(limit))
        rows = self._validate(KLINES.validate_python, fetched.body, path)
        candles = sorted((row.to_domain() for row in rows), key=lambda c: c.open_time_ms)
        return Candles(
            symbol=symbol,
            interval=interval,
            candles=tuple(candles),
            meta=self._series_meta(fetched, newest_candle_ms(candles)),
        )

    async def depth(self, symbol: str, limit: int = 100) -> OrderBook:
        """GET /fapi/v1/depth — order book snapshot; prices in quote, quantities in base.

        ``limit`` one of 5, 10, 20, 50, 100, 500, 1000 with weight 2, 2, 2, 2, 5, 10, 20.
        Bids best (highest) first, asks best (lowest) first; ``as_of_ms`` is the venue's
        message time ``E`` (else transaction time ``T``).
        """
        path = "/fapi/v1/depth"
        venue.check_symbol(symbol)
        venue.check_depth_limit(limit)
        params: dict[str, str | int] = {"symbol": symbol, "limit": limit}
        fetched = await self._get(path, params, venue.depth_weight(limit))
        payload = self._validate(DepthPayload.model_validate, fetched.body, path)
        bids = sorted((lvl.to_domain() for lvl in payload.bids), key=lambda b: -b.price)
        asks = sorted((lvl.to_domain() for lvl in payload.asks), key=lambda a: a.price)
        return OrderBook(
            symbol=symbol,
            bids=tuple(bids),
            asks=tuple(asks),
            meta=self._meta(fetched, payload.venue_ms),
        )

    async def agg_trades(self, symbol: str, limit: int = 100) -> RecentTrades:
        """GET /fapi/v1/aggTrades — recent aggregated trades, oldest first. Weight 20.

        Price in quote currency, quantity in base asset, time in ms. ``limit`` 1..1000.
        """
        path = "/fapi/v1/aggTrades"
        venue.check_symbol(symbol)
        VENUE.agg_trades_limit.check("aggTrades", limit)
        params: dict[str, str | int] = {"symbol": symbol, "limit": limit}
        fetched = await self._get(path, params, venue.weight(path))
        rows = self._validate(AGG_TRADES.validate_python, fetched.body, path)
        trades = sorted((row.to_domain() for row in rows), key=lambda t: (t.ts_ms, t.trade_id))
        newest = trades[-1].ts_ms if trades else None
        return RecentTrades(
            symbol=symbol, trades=tuple(trades), meta=self._series_meta(fetched, newest)
        )

    # -- helpers ---------------------------------------------------------------------------

    async def _get(self, path: str, params: Mapping[str, str | int] | None, weight: int) -> Fetched:
        return await self._http.get_json(
            self.PROVIDER, path, self._base_url + path, params=params, weight=weight
        )

    def _meta(self, fetched: Fetched, venue_ms: int | None = None) -> Sourced:
        return fetched.sourced(self.PROVIDER).at(venue_ms or fetched.received_ms)

    def _series_meta(self, fetched: Fetched, newest_ms: int | None) -> Sourced:
        """A series is as of its newest row, never later than when it was received."""
        return self._meta(fetched, series_as_of(newest_ms, fetched.received_ms))

    @staticmethod
    def _symbol_param(symbol: str | None) -> dict[str, str | int] | None:
        if symbol is None:
            return None
        venue.check_symbol(symbol)
        return {"symbol": symbol}

    @staticmethod
    def _weight(path: str, symbol: str | None) -> int:
        return venue.weight(path, all_symbols=symbol is None)

    async def _stats(
        self, path: str, symbol: str, period: str, limit: int, rows_model: TypeAdapter[Any]
    ) -> tuple[tuple[Any, ...], Sourced]:
        """One ``/futures/data/*`` series: its points oldest first, and its as-of."""
        venue.check_symbol(symbol)
        venue.check_period(period)
        VENUE.stats_limit.check("futures/data", limit)
        params: dict[str, str | int] = {"symbol": symbol, "period": period, "limit": limit}
        fetched = await self._get(path, params, venue.weight(path))
        rows = self._validate(rows_model.validate_python, fetched.body, path)
        points = tuple(sorted((row.to_domain() for row in rows), key=lambda p: p.ts_ms))
        return points, self._series_meta(fetched, points[-1].ts_ms if points else None)

    def _validate(self, parse: Callable[[Any], _T], body: Any, endpoint: str) -> _T:
        return validated(parse, body, self.PROVIDER, endpoint)


def _as_list(body: Any) -> Any:
    """Binance answers one object for one symbol and an array for all of them."""
    return [body] if isinstance(body, dict) else body


__all__ = ["BinanceFuturesClient"]
