"""alternative.me Fear & Greed client at the transport.

The only full envelope on record is a documentation example ("shape test"); the real
recording is one ``data[]`` element whose envelope was not stored, so it is wrapped in the
documented envelope here.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from engine.domain import FearGreedPoint
from providers.errors import ProviderBadData, ProviderRejected
from providers.feargreed import FearGreedClient, venue
from tests.providers.conftest import VenueStub, load, params

BASE = "https://fng.test/"


def client(stub: VenueStub) -> FearGreedClient:
    return FearGreedClient(stub.http(venue.host_policy()), BASE)


def _point(row: dict[str, Any]) -> FearGreedPoint:
    return FearGreedPoint(
        value=int(row["value"]),
        classification=row["value_classification"],
        ts_ms=int(row["timestamp"]) * 1000,
    )


async def test_index_shape(stub: VenueStub) -> None:
    """Shape test (doc example): newest first, as sent."""
    recorded_path = "alternative-me/fng.doc-example.json"
    stub.answer_file("/fng/", recorded_path)
    rows = load(recorded_path)["data"]

    index = await client(stub).index(limit=len(rows))

    assert stub.last.url.path == "/fng/"
    assert params(stub.last) == {"limit": str(len(rows)), "format": "json"}
    assert index.points == tuple(_point(row) for row in rows)
    assert index.meta.source == "alternative.me"


async def test_index_recorded_latest_item(stub: VenueStub) -> None:
    row = load("alternative-me/fng-single-item-2026-01-04.json")
    stub.answer_json(
        "/fng/", {"name": "Fear and Greed Index", "data": [row], "metadata": {"error": None}}
    )

    index = await client(stub).index()

    assert params(stub.last) == {"limit": "1", "format": "json"}
    assert index.points == (_point(row),)


async def test_metadata_error_is_rejected(stub: VenueStub) -> None:
    body = load("alternative-me/fng.doc-example.json")
    stub.answer_json("/fng/", {**body, "data": [], "metadata": {"error": "Limit is invalid"}})

    with pytest.raises(ProviderRejected) as caught:
        await client(stub).index()

    assert caught.value.provider == "alternative.me"


async def test_missing_value_is_bad_data(stub: VenueStub) -> None:
    body = load("alternative-me/fng.doc-example.json")
    rows = [{k: v for k, v in row.items() if k != "value"} for row in body["data"]]
    stub.answer_json("/fng/", {**body, "data": rows})

    with pytest.raises(ProviderBadData) as caught:
        await client(stub).index(limit=2)

    assert isinstance(caught.value.__cause__, ValidationError)


async def test_negative_limit_raises_before_any_request(stub: VenueStub) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        await client(stub).index(limit=-1)

    assert stub.requests == []
