"""Hyperliquid info API client: one typed method per info query.

Every query is ``POST {base}/info`` with a JSON body naming its ``type``; it goes through the
shared ``UpstreamHttp`` with the query's request weight and the metrics label
``/info:<type>``. HTTP statuses are mapped by the shared layer: the body ``null`` (a market
Hyperliquid does not list) is ``SymbolNotServed``, 422 (a body it could not read)
``ProviderRejected``, 429 ``UpstreamRateLimited``, 5xx ``UpstreamServerError``; a body that
does not fit the payload models is ``ProviderBadData``.

Every method's answer depends only on its arguments (no clock inside), so results can be
cached under ``hyperliquid:<query>:<arguments>``; ``market_contexts`` serves every coin in
one call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from engine.domain import (
    Candles,
    OrderBook,
    PerpAccount,
    PerpMarketContexts,
    RecentTrades,
    newest_candle_ms,
    series_as_of,
)
from providers.http import Fetched, UpstreamHttp
from providers.hyperliquid import venue
from providers.hyperliquid.models import (
    CANDLES,
    RECENT_TRADES,
    ClearinghouseState,
    L2Book,
    MetaAndAssetCtxs,
)
from providers.hyperliquid.venue import VENUE
from providers.payloads import validated

_T = TypeVar("_T")


class HyperliquidClient:
    """Public perpetuals data of Hyperliquid (``https://api.hyperliquid.xyz``)."""

    PROVIDER = VENUE.provider

    def __init__(self, http: UpstreamHttp, base_url: str) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + VENUE.info_path

    async def market_contexts(self) -> PerpMarketContexts:
        """POST /info ``{"type": "metaAndAssetCtxs"}`` — every perpetual's live state in one
        call. Weight 20.

        Per coin: mark, oracle, mid and previous-day prices (USD); ``funding_rate`` the
        current hourly rate (fraction); ``premium``; open interest and 24 h base volume in
        coins, 24 h notional volume in USD; ``max_leverage`` and ``is_delisted`` from the
        universe. The answer carries no time: ``as_of_ms`` is the receive time.
        """
        info_type = "metaAndAssetCtxs"
        fetched = await self._post(info_type, {"type": info_type})
        payload = self._validate(MetaAndAssetCtxs.model_validate, fetched.body, info_type)
        return payload.to_domain(fetched.sourced(self.PROVIDER))

    async def l2_book(self, coin: str) -> OrderBook:
        """POST /info ``{"type": "l2Book", "coin": coin}`` — the order book at full precision,
        up to 20 levels a side. Weight 2.

        Prices in USD, quantities in coins; bids best (highest) first, asks best (lowest)
        first. ``as_of_ms`` is the book's ``time``. An unlisted coin is ``SymbolNotServed``.
        """
        info_type = "l2Book"
        venue.check_coin(coin)
        fetched = await self._post(info_type, {"type": info_type, "coin": coin})
        payload = self._validate(L2Book.model_validate, fetched.body, info_type)
        bids_rows, asks_rows = payload.levels
        bids = sorted((row.to_domain() for row in bids_rows), key=lambda b: -b.price)
        asks = sorted((row.to_domain() for row in asks_rows), key=lambda a: a.price)
        return OrderBook(
            symbol=coin,
            bids=tuple(bids),
            asks=tuple(asks),
            meta=fetched.sourced(self.PROVIDER).at(payload.venue_ms or fetched.received_ms),
        )

    async def candles(self, coin: str, interval: str, start_ms: int, end_ms: int) -> Candles:
        """POST /info ``{"type": "candleSnapshot", "req": {coin, interval, startTime,
        endTime}}`` — the candles overlapping ``start_ms``..``end_ms``, oldest first.

        Prices in USD, ``volume`` in coins, ``trade_count`` as sent; ``close_time_ms`` is the
        venue's ``T`` (next open - 1 ms); quote and taker volumes are not sent (None). Only the
        most recent 5000 candles exist. The newest may still be open. Weight 20, plus 1 per 60
        candles the window can hold. The caller passes the window (aligned, for caching).
        An unlisted coin is ``SymbolNotServed``; a window with no candles is an empty series.
        """
        info_type = "candleSnapshot"
        venue.check_coin(coin)
        venue.check_interval(interval)
        venue.check_window(start_ms, end_ms)
        body = {
            "type": info_type,
            "req": {"coin": coin, "interval": interval, "startTime": start_ms, "endTime": end_ms},
        }
        weight = venue.weight(info_type, venue.expected_candles(interval, start_ms, end_ms))
        fetched = await self._post(info_type, body, weight)
        rows = self._validate(CANDLES.validate_python, fetched.body, info_type)
        candles = sorted((row.to_domain() for row in rows), key=lambda c: c.open_time_ms)
        return Candles(
            symbol=coin,
            interval=interval,
            candles=tuple(candles),
            meta=fetched.sourced(self.PROVIDER).at(
                series_as_of(newest_candle_ms(candles), fetched.received_ms)
            ),
        )

    async def clearinghouse_state(self, user: str) -> PerpAccount:
        """POST /info ``{"type": "clearinghouseState", "user": user}`` — an account's open
        perpetual positions and margin summary. Weight 2.

        Per position: signed size in coins (negative = short), entry price, position value,
        unrealized PnL, margin used (USD), return on equity (fraction), leverage and its type,
        liquidation price (None when the venue gives none). ``as_of_ms`` is the answer's
        ``time`` (older answers have none: the receive time).
        """
        info_type = "clearinghouseState"
        venue.check_user(user)
        fetched = await self._post(info_type, {"type": info_type, "user": user})
        payload = self._validate(ClearinghouseState.model_validate, fetched.body, info_type)
        return payload.to_domain(user, fetched.sourced(self.PROVIDER))

    async def recent_trades(self, coin: str) -> RecentTrades:
        """POST /info ``{"type": "recentTrades", "coin": coin}`` — the latest prints (about
        ten), oldest first. Weight 20.

        Price in USD, quantity in coins, time in ms; ``trade_id`` is the venue's ``tid``;
        ``buyer_is_maker`` is True when the aggressor sold (side ``A``). An unlisted coin is
        ``SymbolNotServed``. Not on the official Info endpoint page, but served by it.
        """
        info_type = "recentTrades"
        venue.check_coin(coin)
        fetched = await self._post(info_type, {"type": info_type, "coin": coin})
        rows = self._validate(RECENT_TRADES.validate_python, fetched.body, info_type)
        trades = sorted((row.to_domain() for row in rows), key=lambda t: (t.ts_ms, t.trade_id))
        newest = trades[-1].ts_ms if trades else None
        return RecentTrades(
            symbol=coin,
            trades=tuple(trades),
            meta=fetched.sourced(self.PROVIDER).at(series_as_of(newest, fetched.received_ms)),
        )

    # -- helpers ---------------------------------------------------------------------------

    async def _post(
        self, info_type: str, body: dict[str, Any], weight: int | None = None
    ) -> Fetched:
        return await self._http.request_json(
            self.PROVIDER,
            venue.endpoint(info_type),
            "POST",
            self._url,
            json_body=body,
            weight=venue.weight(info_type) if weight is None else weight,
        )

    def _validate(self, parse: Callable[[Any], _T], body: Any, info_type: str) -> _T:
        return validated(parse, body, self.PROVIDER, venue.endpoint(info_type))


__all__ = ["HyperliquidClient"]
