"""The MSS watchlist through the running server on the real PostgreSQL (a database of its
own per test): one row per coin however often it is added, each API key its own list, the
list kept across a restart, and coded refusals."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from providers.history.watchlist import MAX_ENTRIES
from tests.support import KEYS, ApiServer, Replay, gql

ADD = """mutation($t: String!) { watchAdd(ticker: $t) { added entry { ticker addedAt } } }"""
REMOVE = "mutation($t: String!) { watchRemove(ticker: $t) }"
LIST = "{ watchlist { ticker addedAt mss { ticker discovery { maxPoints } } } }"


async def _ask(server: ApiServer, query: str, role: str | None = "write", **v: Any) -> Any:
    async with httpx.AsyncClient(timeout=15) as client:
        return await gql(client, server.url, query, role=role, **v)


async def _rows(database: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(database)
    try:
        rows = await conn.fetch("SELECT owner, ticker FROM watchlist ORDER BY added_at, ticker")
    finally:
        await conn.close()
    return [(r["owner"], r["ticker"]) for r in rows]


def _server(api: Callable[..., ApiServer], database: str, tmp_path: Path) -> ApiServer:
    return api(
        response_cache=False,
        database_url=database,
        history_outbox_path=str(tmp_path / "outbox.jsonl"),
    )


async def test_a_coin_added_twice_is_one_row_and_the_list_survives_a_restart(
    database: str, api: Callable[..., ApiServer], replay: Replay, tmp_path: Path
) -> None:
    server = _server(api, database, tmp_path)
    first = await _ask(server, ADD, t="BTC")
    again = await _ask(server, ADD, t="BTCUSDT")  # the same coin by its venue symbol
    other = await _ask(server, ADD, t="ETH")
    assert "errors" not in first and "errors" not in again and "errors" not in other
    assert first["data"]["watchAdd"]["added"] is True
    assert again["data"]["watchAdd"]["added"] is False
    assert again["data"]["watchAdd"]["entry"] == first["data"]["watchAdd"]["entry"]
    rows = await _rows(database)
    write_digest = hashlib.sha256(KEYS["write"].encode()).hexdigest()
    assert rows == [(f"static:{write_digest[:16]}:test", t) for t in ("BTC", "ETH")]
    assert all(KEYS["write"] not in owner for owner, _ in rows)  # the key's id, never the key
    server.stop()

    restarted = _server(api, database, tmp_path)
    listed = await _ask(restarted, LIST, role="read")  # another key: its own (empty) list
    replay.reset()
    write_list = await _ask(restarted, LIST)
    # the list's coins share one CoinGecko call, as a scan's candidates do
    assert replay.calls() == {"/api/v3/coins/markets": 1}
    assert "errors" not in write_list, write_list
    entries = write_list["data"]["watchlist"]
    assert [e["ticker"] for e in entries] == ["BTC", "ETH"]
    assert entries[0]["addedAt"] == first["data"]["watchAdd"]["entry"]["addedAt"]
    assert entries[0]["mss"]["ticker"] == "BTC"  # its current MSS, fetched when asked
    assert entries[0]["mss"]["discovery"]["maxPoints"] > 0
    assert listed["data"]["watchlist"] == []  # another key (the read one) has its own list


async def test_remove_and_refusals(
    database: str, api: Callable[..., ApiServer], tmp_path: Path
) -> None:
    server = _server(api, database, tmp_path)
    added = await _ask(server, ADD, t="SOL")
    assert added["data"]["watchAdd"]["added"] is True
    removed = await _ask(server, REMOVE, t="SOL")
    gone = await _ask(server, REMOVE, t="SOL")
    assert removed["data"]["watchRemove"] is True and gone["data"]["watchRemove"] is False
    unknown = await _ask(server, ADD, t="NOSUCHCOIN")
    assert unknown["errors"][0]["extensions"]["code"] == "UNKNOWN_SYMBOL"
    anonymous = await _ask(server, LIST, role=None)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await _rows(database) == []


async def test_without_a_database_it_is_not_configured(api: Callable[..., ApiServer]) -> None:
    server = api(response_cache=False)
    result = await _ask(server, LIST)
    assert result["errors"][0]["extensions"]["code"] == "NOT_CONFIGURED"


async def test_a_full_list_is_409_on_rest_and_a_delisted_coin_can_be_removed(
    database: str, api: Callable[..., ApiServer], tmp_path: Path
) -> None:
    server = _server(api, database, tmp_path)
    await _ask(server, ADD, t="BTC")
    ((owner, _),) = await _rows(database)
    conn = await asyncpg.connect(database)
    try:  # fill the list to its size with coins no venue lists (stored as a delisted coin is)
        await conn.executemany(
            "INSERT INTO watchlist (owner, ticker) VALUES ($1, $2)",
            [(owner, f"GONE{i}") for i in range(MAX_ENTRIES - 1)],
        )
    finally:
        await conn.close()
    headers = {"authorization": f"Bearer {KEYS['write']}"}
    async with httpx.AsyncClient(timeout=15) as client:
        full = await client.post(
            f"{server.url}/api/v1/mssWatch", json={"ticker": "ETH"}, headers=headers
        )
    assert full.status_code == 409 and full.json()["code"] == "WATCHLIST_FULL"
    gone = await _ask(server, REMOVE, t="GONE0")  # not listed anywhere: removed as stored
    assert gone["data"]["watchRemove"] is True
    listed = await _ask(server, "{ watchlist { ticker mss { ticker } } }")
    assert "errors" not in listed, listed
    entries = listed["data"]["watchlist"]
    assert len(entries) == MAX_ENTRIES - 1
    assert entries[0] == {"ticker": "BTC", "mss": {"ticker": "BTC"}}
    assert all(e["mss"] is None for e in entries[1:])  # unlisted: shown, not scored
