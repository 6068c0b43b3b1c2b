"""alternative.me Fear & Greed against the recorded files, over loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from .conftest import DATA, recorded_csv

LATEST = "alternative-me/fng-single-item-2026-01-04.json"
HISTORY = "alternative-me/fng-history-daily-2018-02-01_2025-01-02.derived.csv"


def test_default_is_the_newest_verbatim_element(client: httpx.Client) -> None:
    latest = json.loads((DATA / LATEST).read_text())
    body = client.get("/fng/").json()
    assert body == {"name": "Fear and Greed Index", "data": [latest], "metadata": {"error": None}}


def test_history_rebuilt_newest_first_without_filling_gaps(client: httpx.Client) -> None:
    rows = recorded_csv(HISTORY)
    body = client.get("/fng/", params={"limit": 0, "format": "json"}).json()
    data = body["data"]
    assert len(data) == 1 + len(rows)
    stamps = [int(d["timestamp"]) for d in data]
    assert stamps == sorted(stamps, reverse=True) and len(set(stamps)) == len(stamps)
    by_day = {
        datetime.fromtimestamp(int(d["timestamp"]), tz=UTC).date().isoformat(): d for d in data[1:]
    }
    for day, value, classification in rows:
        assert by_day[day] == {
            "value": value,
            "value_classification": classification,
            "timestamp": by_day[day]["timestamp"],
        }
        assert int(by_day[day]["timestamp"]) % 86_400 == 0
    assert all("time_until_update" not in d for d in data[1:])
    three = client.get("/fng/", params={"limit": 3}).json()["data"]
    assert three == data[:3]
