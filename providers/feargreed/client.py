"""alternative.me Crypto Fear & Greed Index client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from engine.domain import FearGreed, series_as_of
from providers.errors import ProviderRejected
from providers.feargreed import venue
from providers.feargreed.models import FNG_ITEMS, FngEnvelope
from providers.feargreed.venue import VENUE
from providers.http import UpstreamHttp
from providers.payloads import validated

_T = TypeVar("_T")


class FearGreedClient:
    """The daily Crypto Fear & Greed Index of ``https://api.alternative.me``."""

    PROVIDER = VENUE.provider

    def __init__(self, http: UpstreamHttp, base_url: str) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")

    async def index(self, limit: int = 1) -> FearGreed:
        """GET /fng/?limit=N&format=json — the latest ``limit`` daily values, newest first.

        Values 0 (extreme fear) .. 100 (extreme greed) with the service's classification;
        ``ts_ms`` is the day's unix time in ms. ``limit`` 0 returns the whole history. No
        request weights. The service stamps the rows, not the answer, so ``as_of_ms`` is
        the receive time. A non-null ``metadata.error`` raises ``ProviderRejected``.
        """
        path = VENUE.index_path
        venue.check_limit(limit)
        fetched = await self._http.get_json(
            self.PROVIDER,
            path,
            self._base_url + path,
            params={"limit": limit, "format": VENUE.response_format},
        )
        envelope = self._validate(FngEnvelope.model_validate, fetched.body, path)
        if envelope.metadata.error is not None:
            raise ProviderRejected(
                f"{self.PROVIDER} answered an error: {envelope.metadata.error[:200]}",
                provider=self.PROVIDER,
                endpoint=path,
            )
        rows = self._validate(FNG_ITEMS.validate_python, envelope.data, path)
        points = tuple(row.to_domain() for row in rows)  # newest first
        newest = points[0].ts_ms if points else None
        return FearGreed(
            points=points,
            meta=fetched.sourced(self.PROVIDER).at(series_as_of(newest, fetched.received_ms)),
        )

    def _validate(self, parse: Callable[[Any], _T], body: Any, endpoint: str) -> _T:
        return validated(parse, body, self.PROVIDER, endpoint)


__all__ = ["FearGreedClient"]
