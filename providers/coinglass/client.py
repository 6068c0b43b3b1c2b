"""Coinglass open API v4 client (keyed): one typed method per endpoint.

Every request carries the key in the ``CG-API-KEY`` header (never in the URL). Coinglass
answers ``{code, msg, data}`` with ``code`` a string: "0" is success; "401" (bad key, or the
plan lacks the endpoint) becomes ``ProviderRejected``, "429" ``UpstreamRateLimited``, "408" and
"500" ``UpstreamServerError``, any other code ``ProviderRejected``. Error messages carry the
code only, never ``msg`` or the key. HTTP statuses (401, 429, 5xx) are mapped by the shared
HTTP layer. Coinglass counts requests per key and minute by plan; every call is weight 1.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from engine.domain import (
    LiquidationHistory,
    LongShortPoint,
    LongShortRatio,
    RatioKind,
    Sourced,
    series_as_of,
)
from providers.coinglass import venue
from providers.coinglass.models import (
    GLOBAL_ACCOUNT_RATIOS,
    LIQUIDATION_HISTORY,
    TOP_ACCOUNT_RATIOS,
    TOP_POSITION_RATIOS,
    Envelope,
)
from providers.coinglass.venue import VENUE
from providers.errors import (
    ProviderRejected,
    SymbolNotServed,
    UpstreamRateLimited,
    UpstreamServerError,
)
from providers.http import Fetched, UpstreamHttp
from providers.payloads import validated

_T = TypeVar("_T")


class _RatioRow(Protocol):
    @property
    def time(self) -> int: ...

    def to_domain(self) -> LongShortPoint: ...


_RATIO_ROWS: Mapping[RatioKind, Callable[[Any], Sequence[_RatioRow]]] = MappingProxyType(
    {
        RatioKind.GLOBAL_ACCOUNTS: GLOBAL_ACCOUNT_RATIOS.validate_python,
        RatioKind.TOP_ACCOUNTS: TOP_ACCOUNT_RATIOS.validate_python,
        RatioKind.TOP_POSITIONS: TOP_POSITION_RATIOS.validate_python,
    }
)


class CoinglassClient:
    """Aggregated derivatives data from Coinglass (``https://open-api-v4.coinglass.com``).

    ``api_key`` is the plain key (the app unwraps its ``SecretStr``); it is kept private and
    left out of ``repr``.
    """

    PROVIDER = VENUE.provider

    def __init__(self, http: UpstreamHttp, base_url: str, api_key: str) -> None:
        venue.check_api_key(api_key)
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._headers: Mapping[str, str] = MappingProxyType({VENUE.api_key_header: api_key})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self._base_url!r}, api_key=<hidden>)"

    async def liquidation_history(
        self, exchange: str, symbol: str, interval: str, limit: int = 100
    ) -> LiquidationHistory:
        """GET /api/futures/liquidation/history — USD liquidated per side and interval for one
        pair on one exchange (``"Binance"``, ``"BTCUSDT"``), oldest first. Weight 1.

        Each bucket starts at ``ts_ms``; the newest may still be filling. ``long_usd`` is
        long positions liquidated, ``short_usd`` short ones (USD as Coinglass computes it).
        ``interval`` 1m..1w (``VENUE.intervals``; how far back depends on the plan), ``limit``
        1..1000. ``as_of_ms`` is the newest bucket's start. No rows is ``SymbolNotServed``.
        """
        path = VENUE.liquidation_history_path
        self._check_series(exchange, symbol, interval, limit, "liquidation history")
        fetched = await self._get(path, self._series_params(exchange, symbol, interval, limit))
        rows = self._validate(LIQUIDATION_HISTORY.validate_python, self._data(fetched, path), path)
        buckets = sorted((row.to_domain() for row in rows), key=lambda b: b.ts_ms)
        if not buckets:
            raise self._not_served(path)
        return LiquidationHistory(
            symbol=symbol,
            interval=interval,
            buckets=tuple(buckets),
            meta=self._series_meta(fetched, buckets[-1].ts_ms),
        )

    async def long_short_ratio(
        self, kind: RatioKind, exchange: str, symbol: str, interval: str, limit: int = 30
    ) -> LongShortRatio:
        """GET /api/futures/{global-long-short-account-ratio, top-long-short-account-ratio,
        top-long-short-position-ratio}/history — long/short ratio of one pair on one exchange,
        oldest first. Weight 1.

        ``long_short_ratio`` as sent; long and short shares become fractions (Coinglass sends
        percent: 73.88 -> 0.7388). ``interval`` 1m..1w, ``limit`` 1..1000. ``as_of_ms`` is
        the newest point's time. No rows is ``SymbolNotServed``.
        """
        path = VENUE.ratio_paths[kind]
        self._check_series(exchange, symbol, interval, limit, "long/short ratio")
        fetched = await self._get(path, self._series_params(exchange, symbol, interval, limit))
        rows = self._validate(_RATIO_ROWS[kind], self._data(fetched, path), path)
        points = sorted((row.to_domain() for row in rows), key=lambda p: p.ts_ms)
        if not points:
            raise self._not_served(path)
        return LongShortRatio(
            symbol=symbol,
            kind=kind,
            period=interval,
            points=tuple(points),
            meta=self._series_meta(fetched, points[-1].ts_ms),
        )

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _check_series(exchange: str, symbol: str, interval: str, limit: int, name: str) -> None:
        venue.check_exchange(exchange)
        venue.check_pair(symbol)
        venue.check_interval(interval)
        VENUE.history_limit.check(name, limit)

    @staticmethod
    def _series_params(
        exchange: str, symbol: str, interval: str, limit: int
    ) -> dict[str, str | int]:
        return {"exchange": exchange, "symbol": symbol, "interval": interval, "limit": limit}

    async def _get(self, path: str, params: Mapping[str, str | int]) -> Fetched:
        return await self._http.get_json(
            self.PROVIDER,
            path,
            self._base_url + path,
            params=params,
            weight=1,
            headers=self._headers,
        )

    def _data(self, fetched: Fetched, endpoint: str) -> Any:
        """The envelope's ``data``, or the error its ``code`` stands for (code only)."""
        envelope = self._validate(Envelope.model_validate, fetched.body, endpoint)
        code = envelope.code
        if code == VENUE.ok_code:
            return envelope.data
        error: type[ProviderRejected | UpstreamRateLimited | UpstreamServerError]
        if code in VENUE.auth_codes:
            error, what = ProviderRejected, "refused the API key or its plan for this endpoint"
        elif code in VENUE.rate_limited_codes:
            error, what = UpstreamRateLimited, "rate limit reached"
        elif code in VENUE.server_codes:
            error, what = UpstreamServerError, "failed to answer"
        else:
            error, what = ProviderRejected, "rejected the request"
        raise error(f"coinglass {what} (code {code})", provider=self.PROVIDER, endpoint=endpoint)

    def _series_meta(self, fetched: Fetched, newest_ms: int) -> Sourced:
        return fetched.sourced(self.PROVIDER).at(series_as_of(newest_ms, fetched.received_ms))

    def _not_served(self, endpoint: str) -> SymbolNotServed:
        return SymbolNotServed(
            "coinglass answered no data for this pair", provider=self.PROVIDER, endpoint=endpoint
        )

    def _validate(self, parse: Callable[[Any], _T], body: Any, endpoint: str) -> _T:
        return validated(parse, body, self.PROVIDER, endpoint)


__all__ = ["CoinglassClient"]
