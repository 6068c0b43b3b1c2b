"""OKX v5 public REST client for perpetual swaps: one typed method per endpoint.

OKX wraps every answer in ``{code, msg, data}``. Code "0" is success; 51001 (instrument
does not exist) arrives with HTTP 200 and becomes ``SymbolNotServed`` here (with HTTP 4xx
the shared HTTP layer maps it through ``venue.not_served``); 50011 becomes
``UpstreamRateLimited``; any other code ``ProviderRejected``. OKX has no request weights:
every call is sent with weight 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from engine.domain import (
    Candles,
    ExchangeInfo,
    FundingSnapshot,
    Liquidations,
    OpenInterest,
    Ticker24h,
    newest_candle_ms,
    series_as_of,
)
from providers.errors import (
    ProviderRejected,
    SymbolNotServed,
    UpstreamRateLimited,
)
from providers.http import Fetched, UpstreamHttp
from providers.okx import venue
from providers.okx.models import (
    CANDLES,
    FUNDING_RATES,
    INSTRUMENTS,
    LIQUIDATION_ORDERS,
    OPEN_INTERESTS,
    TICKERS,
    Envelope,
)
from providers.okx.venue import VENUE
from providers.payloads import validated

_T = TypeVar("_T")


class OkxClient:
    """Public market data of OKX perpetual swaps (``https://www.okx.com``)."""

    PROVIDER = VENUE.provider

    def __init__(self, http: UpstreamHttp, base_url: str) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")

    async def instruments(self) -> ExchangeInfo:
        """GET /api/v5/public/instruments?instType=SWAP — listed perpetual swaps.

        ``venue_symbol`` is the instId (``BTC-USDT-SWAP``), base and quote come from it (for
        linear and inverse swaps alike), ``status`` is OKX's ``state`` (``live``,
        ``suspend``, ``preopen``, ...), ``onboard_ms`` its ``listTime`` in ms.
        ``contract_size`` is ``ctVal`` when it is counted in the base coin (linear swaps,
        e.g. 0.01 BTC for BTC-USDT-SWAP); inverse swaps count ctVal in USD and get None. OKX
        stamps no time on this answer, so ``as_of_ms`` is the receive time.
        """
        path = "/api/v5/public/instruments"
        fetched = await self._get(path, {"instType": VENUE.inst_type})
        rows = self._validate(INSTRUMENTS.validate_python, self._data(fetched, path), path)
        return ExchangeInfo(
            contracts=tuple(row.to_domain() for row in rows),
            meta=fetched.sourced(self.PROVIDER).at(fetched.received_ms),
        )

    async def ticker(self, inst_id: str) -> Ticker24h:
        """GET /api/v5/market/ticker — rolling 24 h stats of one swap.

        Prices in quote currency; ``base_volume`` is ``volCcy24h`` (base currency for swaps);
        ``price_change_pct`` is (last - open24h) / open24h in percent; OKX sends no quote
        volume and no window times (None). ``as_of_ms`` is OKX's ``ts``.
        """
        path = "/api/v5/market/ticker"
        venue.check_inst_id(inst_id)
        fetched = await self._get(path, {"instId": inst_id})
        rows = self._validate(TICKERS.validate_python, self._data(fetched, path), path)
        row = self._only(rows, path)
        if row.last is None:
            raise self._not_served(path, f"okx has no last price for {inst_id}")
        return row.to_domain(fetched.sourced(self.PROVIDER))

    async def tickers(self) -> list[Ticker24h]:
        """GET /api/v5/market/tickers?instType=SWAP — 24 h stats of every swap in one call.

        Units as in ``ticker``. Swaps that have not traded yet (``last`` is ``""``) have no
        ticker and are left out.
        """
        path = "/api/v5/market/tickers"
        fetched = await self._get(path, {"instType": VENUE.inst_type})
        rows = self._validate(TICKERS.validate_python, self._data(fetched, path), path)
        received = fetched.sourced(self.PROVIDER)
        return [row.to_domain(received) for row in rows if row.last is not None]

    async def funding_rate(self, inst_id: str) -> FundingSnapshot:
        """GET /api/v5/public/funding-rate — the current period's funding rate (a fraction).

        ``next_funding_time_ms`` is OKX's ``fundingTime``: the settlement the current rate is
        paid at (``nextFundingTime`` is the one after). A row without ``fundingRate`` is bad
        data; an empty rate (``""``) means OKX has none for this swap (``SymbolNotServed``).
        """
        path = "/api/v5/public/funding-rate"
        venue.check_inst_id(inst_id)
        fetched = await self._get(path, {"instId": inst_id})
        rows = self._validate(FUNDING_RATES.validate_python, self._data(fetched, path), path)
        row = self._only(rows, path)
        if row.fundingRate is None:
            raise self._not_served(path, f"okx has no current funding rate for {inst_id}")
        return row.to_domain(fetched.sourced(self.PROVIDER))

    async def open_interest(self, inst_id: str) -> OpenInterest:
        """GET /api/v5/public/open-interest?instType=SWAP — open interest in base currency
        (``oiCcy``). ``as_of_ms`` is OKX's ``ts``."""
        path = "/api/v5/public/open-interest"
        venue.check_inst_id(inst_id)
        fetched = await self._get(path, {"instType": VENUE.inst_type, "instId": inst_id})
        rows = self._validate(OPEN_INTERESTS.validate_python, self._data(fetched, path), path)
        return self._only(rows, path).to_domain(fetched.sourced(self.PROVIDER))

    async def candles(self, inst_id: str, interval: str, limit: int = 100) -> Candles:
        """GET /api/v5/market/candles — OHLCV candles, returned oldest first.

        ``interval`` is Binance-style ("1m", "1h", "4h", "1d", ...) and mapped to an OKX bar
        (UTC-aligned from 6h up). Prices in quote currency, ``volume`` in base currency
        (``volCcy``), ``quote_volume`` from ``volCcyQuote``; close time, trade count and
        taker volume are not sent (None). ``limit`` 1..300. OKX answers newest first and
        the newest candle may still be open.
        """
        path = "/api/v5/market/candles"
        venue.check_inst_id(inst_id)
        venue.check_interval(interval)
        VENUE.candle_limit.check("candles", limit)
        params: dict[str, str | int] = {
            "instId": inst_id,
            "bar": VENUE.bars[interval],
            "limit": limit,
        }
        fetched = await self._get(path, params)
        rows = self._validate(CANDLES.validate_python, self._data(fetched, path), path)
        candles = sorted((row.to_domain() for row in rows), key=lambda c: c.open_time_ms)
        return Candles(
            symbol=inst_id,
            interval=interval,
            candles=tuple(candles),
            meta=fetched.sourced(self.PROVIDER).at(
                series_as_of(newest_candle_ms(candles), fetched.received_ms)
            ),
        )

    async def liquidation_orders(
        self,
        inst_family: str,
        contract_size: float,
        inst_type: str = "SWAP",
        limit: int = 100,
        earlier_than_ms: int | None = None,
    ) -> Liquidations:
        """GET /api/v5/public/liquidation-orders?state=filled — recent liquidations of one
        instrument family (``BTC-USDT``), oldest first. Weight 1 (40 requests / 2 s / IP).

        OKX keeps about the last day and says the feed is not all of its liquidations.
        ``contract_size`` is the family's ``ctVal`` as ``public/instruments`` lists it: base
        units per contract for linear families (``ListedContract.contract_size``), USD per
        contract for inverse ones (quote ``USD``, e.g. ``BTC-USD``). Each event's ``price``
        is the bankruptcy price ``bkPx`` (quote currency); ``quantity`` is in base units
        (linear: sz x ctVal; inverse: sz x ctVal / bkPx); ``notional_usd`` = price x
        quantity (inverse: sz x ctVal exactly). ``side`` is the liquidated position: a
        ``sell`` order liquidates a LONG. ``symbol`` of the result is the family; every event
        carries its instId. ``as_of_ms`` is the newest event's time. ``limit`` 1..100.
        ``earlier_than_ms`` pages back (OKX's ``after``: records older than that time).
        An empty list is a quiet market, not an error.
        """
        path = "/api/v5/public/liquidation-orders"
        venue.check_inst_family(inst_family)
        venue.check_liquidation_inst_type(inst_type)
        venue.check_contract_size(contract_size)
        VENUE.liquidation_limit.check("liquidation orders", limit)
        params: dict[str, str | int] = {
            "instType": inst_type,
            "instFamily": inst_family,
            "state": VENUE.liquidation_state,
            "limit": limit,
        }
        if earlier_than_ms is not None:
            params["after"] = earlier_than_ms
        fetched = await self._get(path, params)
        rows = self._validate(LIQUIDATION_ORDERS.validate_python, self._data(fetched, path), path)
        inverse = venue.is_inverse_family(inst_family)
        events = sorted(
            (e for row in rows for e in row.to_domain(contract_size, inverse=inverse)),
            key=lambda e: e.ts_ms,  # OKX does not promise time order
        )
        newest = events[-1].ts_ms if events else None
        return Liquidations(
            symbol=inst_family,
            events=tuple(events),
            meta=fetched.sourced(self.PROVIDER).at(series_as_of(newest, fetched.received_ms)),
        )

    async def recent_liquidations(
        self, inst_family: str, contract_size: float, since_ms: int, max_pages: int
    ) -> Liquidations:
        """The family's filled liquidation orders back to ``since_ms``, oldest first: pages
        of ``liquidation_orders`` (100 orders, OKX's most), one call each, paged back until
        a page is not full or reaches ``since_ms``, at most ``max_pages`` calls.

        When the last page allowed is still full and newer than ``since_ms`` (a busy
        market), ``complete_from_ms`` is the oldest order's time: the list is complete from
        there, not from ``since_ms``. ``meta`` is the first (newest) page's."""
        full_page = VENUE.liquidation_limit.high
        page = await self.liquidation_orders(inst_family, contract_size, limit=full_page)
        events, meta = list(page.events), page.meta
        for _ in range(max_pages - 1):
            if len(page.events) < full_page or events[0].ts_ms <= since_ms:
                return Liquidations(inst_family, tuple(events), meta)
            page = await self.liquidation_orders(
                inst_family, contract_size, limit=full_page, earlier_than_ms=events[0].ts_ms
            )
            events = [*page.events, *events]
        cut = len(page.events) == full_page and events[0].ts_ms > since_ms
        return Liquidations(inst_family, tuple(events), meta, events[0].ts_ms if cut else None)

    # -- helpers ---------------------------------------------------------------------------

    async def _get(self, path: str, params: Mapping[str, str | int]) -> Fetched:
        return await self._http.get_json(
            self.PROVIDER, path, self._base_url + path, params=params, weight=1
        )

    def _data(self, fetched: Fetched, endpoint: str) -> tuple[Any, ...]:
        """The envelope's ``data``, or the error its ``code`` stands for."""
        envelope = self._validate(Envelope.model_validate, fetched.body, endpoint)
        code = envelope.code
        if code == VENUE.ok_code:
            return envelope.data
        if code in VENUE.not_served_codes:
            raise self._not_served(endpoint, f"okx has no such instrument (code {code})")
        if code in VENUE.rate_limited_codes:
            raise UpstreamRateLimited(
                f"okx rate limit reached (code {code})", provider=self.PROVIDER, endpoint=endpoint
            )
        raise ProviderRejected(
            f"okx rejected the request (code {code})", provider=self.PROVIDER, endpoint=endpoint
        )

    def _only(self, rows: tuple[_T, ...], endpoint: str) -> _T:
        if not rows:
            raise self._not_served(endpoint, "okx answered no data for this instrument")
        return rows[0]

    def _not_served(self, endpoint: str, message: str) -> SymbolNotServed:
        return SymbolNotServed(message, provider=self.PROVIDER, endpoint=endpoint)

    def _validate(self, parse: Callable[[Any], _T], body: Any, endpoint: str) -> _T:
        return validated(parse, body, self.PROVIDER, endpoint)


__all__ = ["OkxClient"]
