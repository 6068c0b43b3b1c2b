"""Kline aggregation and 24 h statistics, checked against the recorded rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from providers.replay.kline_sources import KLINE_FILES, load_file
from providers.replay.klines import (
    DAY_MS,
    aggregate,
    bucket_bounds,
    can_build_from,
    select_window,
    wire_row,
)
from providers.replay.store import RecordedStore

from .conftest import DATA, recorded_json

KLINES_5M = "binance-futures/klines-BTCUSDT-5m-limit500-2025-11-05.json"
HOUR = 3_600_000


def _dec(rows: list[list[Any]], i: int) -> list[Decimal]:
    return [Decimal(str(r[i])) for r in rows]


def test_1h_from_verbatim_5m_sums_every_recorded_field() -> None:
    rows = json.loads((DATA / KLINES_5M).read_text())
    series = load_file(RecordedStore(DATA), KLINE_FILES[0])
    assert series.interval == "5m" and [wire_row(c) for c in series.candles] == rows
    built = [wire_row(c) for c in aggregate(series.candles, "5m", "1h")]
    assert built
    by_open = {r[0]: r for r in rows}
    for candle in built:
        group = [by_open[int(candle[0]) + i * 300_000] for i in range(12)]
        assert candle[1] == group[0][1] and candle[4] == group[-1][4]
        assert Decimal(candle[2]) == max(_dec(group, 2))
        assert Decimal(candle[3]) == min(_dec(group, 3))
        for field in (5, 7, 9, 10):
            assert Decimal(candle[field]) == sum(_dec(group, field))
        assert candle[8] == sum(r[8] for r in group)
        assert candle[6] == int(candle[0]) + HOUR - 1
    # only complete hours: the first recorded 5m candle (12:35) opens mid-hour
    assert built[0][0] == rows[0][0] - rows[0][0] % HOUR + HOUR


def test_30m_served_from_the_recorded_1m_rows(client: httpx.Client) -> None:
    recorded = recorded_json("binance-futures/ohlcv/ohlcv-ETHUSDT-1m.json")
    by_open = {r[0]: r for r in recorded}
    served = client.get(
        "/fapi/v1/klines", params={"symbol": "ETHUSDT", "interval": "30m", "limit": 1500}
    ).json()
    assert served and all(len(r) == 7 for r in served)
    assert served[0][0] >= recorded[0][0] and served[0][0] % 1_800_000 == 0
    for row in served:
        group = [by_open[row[0] + i * 60_000] for i in range(30)]
        assert Decimal(row[1]) == group[0][1] and Decimal(row[4]) == group[-1][4]
        assert Decimal(row[2]) == max(r[2] for r in group)
        assert Decimal(row[3]) == min(r[3] for r in group)
        assert Decimal(row[5]) == sum(Decimal(str(r[5])) for r in group)
        assert row[6] == row[0] + 1_800_000 - 1


def test_weekly_buckets_open_on_monday(client: httpx.Client) -> None:
    served = client.get("/fapi/v1/klines", params={"symbol": "ETHUSDT", "interval": "1w"}).json()
    assert served
    for row in served:
        opened = datetime.fromtimestamp(row[0] / 1000, tz=UTC)
        assert (opened.weekday(), opened.hour, opened.minute) == (0, 0, 0)


def test_three_day_interval_is_not_guessed(client: httpx.Client) -> None:
    r = client.get("/fapi/v1/klines", params={"symbol": "BTCUSDT", "interval": "3d"})
    assert (r.status_code, r.json()) == (200, [])


def test_24h_stats_from_verbatim_klines(client: httpx.Client) -> None:
    rows = json.loads((DATA / KLINES_5M).read_text())
    window = rows[-288:]  # 24 h of 5m candles ending with the newest
    stats = client.get("/fapi/v1/ticker/24hr", params={"symbol": "BTCUSDT"}).json()
    opening, last = Decimal(window[0][1]), Decimal(window[-1][4])
    assert stats["openPrice"] == window[0][1] and stats["lastPrice"] == window[-1][4]
    assert Decimal(stats["highPrice"]) == max(_dec(window, 2))
    assert Decimal(stats["lowPrice"]) == min(_dec(window, 3))
    assert Decimal(stats["volume"]) == sum(_dec(window, 5))
    assert Decimal(stats["quoteVolume"]) == sum(_dec(window, 7))
    assert stats["count"] == sum(r[8] for r in window)
    assert (stats["openTime"], stats["closeTime"]) == (window[0][0], window[-1][6])
    assert Decimal(stats["priceChange"]) == last - opening
    percent = ((last - opening) / opening * 100).quantize(Decimal("0.001"))
    assert stats["priceChangePercent"] == str(percent)
    vwap = sum(_dec(window, 7)) / sum(_dec(window, 5))
    assert abs(Decimal(stats["weightedAvgPrice"]) - Decimal(vwap)) <= Decimal("0.005")
    assert stats["closeTime"] - stats["openTime"] + 1 == DAY_MS
    for absent in ("lastQty", "firstId", "lastId", "bidPrice", "askPrice", "prevClosePrice"):
        assert absent not in stats


def test_24h_stats_from_derived_klines_leave_unrecorded_fields_out(client: httpx.Client) -> None:
    recorded = recorded_json("binance-futures/ohlcv/ohlcv-SOLUSDT-1m.json")[-1440:]
    stats = client.get("/fapi/v1/ticker/24hr", params={"symbol": "SOLUSDT"}).json()
    assert Decimal(stats["openPrice"]) == recorded[0][1]
    assert Decimal(stats["lastPrice"]) == recorded[-1][4]
    assert Decimal(stats["volume"]) == sum(Decimal(str(r[5])) for r in recorded)
    for absent in ("quoteVolume", "weightedAvgPrice", "count"):
        assert absent not in stats
    everything = client.get("/fapi/v1/ticker/24hr").json()
    assert stats in everything


def test_24h_stats_need_a_full_day_of_klines(client: httpx.Client) -> None:
    # CTKUSDT has 2 recorded minutes: not a 24 h window, so no 24 h ticker
    r = client.get("/fapi/v1/ticker/24hr", params={"symbol": "CTKUSDT"})
    assert (r.status_code, r.json()) == (400, {"code": -1121, "msg": "Invalid symbol."})
    assert "CTKUSDT" not in {t["symbol"] for t in client.get("/fapi/v1/ticker/24hr").json()}


@pytest.mark.parametrize(
    ("ts", "interval", "expected"),
    [
        ("2025-05-07 13:45", "4h", ("2025-05-07 12:00", "2025-05-07 16:00")),
        ("2025-05-07 13:45", "1w", ("2025-05-05 00:00", "2025-05-12 00:00")),
        ("2025-12-31 23:59", "1M", ("2025-12-01 00:00", "2026-01-01 00:00")),
    ],
)
def test_bucket_bounds(ts: str, interval: str, expected: tuple[str, str]) -> None:
    def ms(text: str) -> int:
        return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)

    assert bucket_bounds(ms(ts), interval) == (ms(expected[0]), ms(expected[1]))


def test_can_build_from() -> None:
    assert can_build_from("5m", "1h") and can_build_from("1h", "1M") and can_build_from("8h", "1w")
    assert not can_build_from("15m", "5m") and not can_build_from("1h", "1h")
    assert not can_build_from("1m", "3d") and not can_build_from("5m", "3m")


def test_select_window() -> None:
    series = load_file(RecordedStore(DATA), KLINE_FILES[0]).candles
    assert select_window(series, None, None, 3) == list(series[-3:])
    assert select_window(series, series[5].open_ms, None, 2) == list(series[5:7])
    assert select_window(series, None, series[5].open_ms, 2) == list(series[4:6])
    assert select_window(series, series[-1].open_ms + 1, None, 5) == []
