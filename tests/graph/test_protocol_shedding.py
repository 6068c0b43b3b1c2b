"""Refusals at capacity straight from uvicorn's protocol (``graph.server.protocol``): the
same 503 as through ASGI, the connection kept for the next request, the body dropped,
and every case it must not take left to the ASGI path."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support import ApiServer, Replay, ServerProcess, gql, replay_settings

SLOW = {"query": '{ symbol(ticker: "BTC") { candles(interval: "1m") { interval } } }'}
QUICK = json.dumps({"query": "{ __typename }"}).encode()


def _post(port: int, body: bytes, *extra: str) -> bytes:
    head = ["POST /graphql HTTP/1.1", f"host: 127.0.0.1:{port}",
            "content-type: application/json", f"content-length: {len(body)}", *extra]  # fmt: skip
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    lines = head.split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers["content-length"]))
    return int(lines[0].split()[1]), headers, body


async def _refused(client: httpx.AsyncClient, server: ApiServer) -> dict[str, float]:
    text = (await client.get(f"{server.url}/metrics")).text
    prefix = "perpgraph_http_refused_total{reason="
    return {
        line.split('"')[1]: float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith(prefix)
    }


@contextlib.asynccontextmanager
async def _full(
    api: Callable[..., ApiServer], replay: Replay, **settings: Any
) -> AsyncIterator[tuple[ApiServer, int, httpx.AsyncClient, asyncio.Task[httpx.Response]]]:
    """A server with one slot, taken by a request waiting 800 ms on the venue: the server,
    its port, a client, and the slow request (awaited to free the slot)."""
    server = api(max_in_flight=1, response_cache=False, **settings)
    replay.fault(route="/fapi/v1/klines", latency_ms=800)
    async with httpx.AsyncClient(timeout=10) as client:
        await gql(client, server.url, "{ __typename }")
        slow = asyncio.create_task(client.post(f"{server.url}/graphql", json=SLOW))
        await asyncio.sleep(0.3)
        yield server, int(server.url.rsplit(":", 1)[1]), client, slow
        await slow


async def test_a_refusal_keeps_the_connection_for_the_next_request(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    async with _full(api, replay) as (server, port, client, slow):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        big = json.dumps({"query": "{ __typename }", "variables": {"pad": "x" * 20_000}})
        writer.write(_post(port, big.encode()))  # a body to be read and dropped
        status, headers, body = await _answer(reader)
        assert (await slow).status_code == 200  # the slot is free again
        writer.write(_post(port, QUICK))  # the same connection, afterwards
        again = await _answer(reader)
        writer.close()
        counted = await _refused(client, server)
    assert status == 503
    assert headers["retry-after"] == "1"
    assert headers["x-content-type-options"] == "nosniff" and headers["vary"] == "Origin"
    assert json.loads(body)["errors"][0]["extensions"]["code"] == "OVERLOADED"
    assert again[0] == 200 and json.loads(again[2])["data"] == {"__typename": "Query"}
    assert counted == {"overloaded_early": 1.0}  # answered by the parser, not through ASGI


async def test_two_requests_in_one_write_are_answered_in_order(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    """Pipelined: both refused while full, each answer framed, in order; and a request
    pipelined behind one being answered waits its turn."""
    async with _full(api, replay) as (_, port, _, slow):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_post(port, QUICK) + _post(port, QUICK))
        first, second = await _answer(reader), await _answer(reader)
        await slow
        slow_body = json.dumps(SLOW).encode()
        writer.write(_post(port, slow_body) + _post(port, QUICK))  # the first one takes the slot
        behind = [await _answer(reader), await _answer(reader)]
        writer.close()
    assert [first[0], second[0]] == [503, 503]
    assert [b[0] for b in behind] == [200, 200]  # the second waited for the first's answer
    assert "candles" in behind[0][2].decode() and b"__typename" in behind[1][2]


async def test_the_cases_the_protocol_leaves_to_asgi(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    async with _full(api, replay, max_body_bytes=4096) as (server, port, client, slow):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_post(port, QUICK, "origin: http://localhost:3000"))
        page = await _answer(reader)  # refused by ShedWhenFull, with CORS
        writer.write(_post(port, b"x" * 5000))
        too_big = await _answer(reader)  # over the body limit: not drained, ShedWhenFull's
        writer.write(_post(port, QUICK, "connection: close"))
        closing = await _answer(reader)
        closed = await reader.read()  # the server closes it
        writer.close()
        await slow
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_post(port, b"x" * 5000))
        free = await _answer(reader)  # the slot is free: the endpoint says 413
        writer.close()
        counted = await _refused(client, server)
    assert page[0] == 503 and page[1]["access-control-allow-origin"] == "http://localhost:3000"
    assert too_big[0] == 503
    assert closing[0] == 503 and closed == b""
    assert free[0] == 413
    assert counted == {"overloaded": 2.0, "overloaded_early": 1.0}  # page and body by ASGI


async def test_closing_http_1_0_and_upgrades_while_full(
    api: Callable[..., ApiServer], replay: Replay, caplog: pytest.LogCaptureFixture
) -> None:
    """A refusal that closes says so and runs nothing pipelined behind it; an HTTP/1.0
    client is closed on as uvicorn would; an upgrade is left to uvicorn, no error logged."""
    caplog.set_level(logging.ERROR)
    async with _full(api, replay) as (_, port, _, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_post(port, QUICK, "connection: close") + _post(port, QUICK))
        closing = await _answer(reader)
        rest = await reader.read()  # nothing for the request behind it: closed
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        old = _post(port, QUICK, "connection: keep-alive").replace(b"HTTP/1.1", b"HTTP/1.0", 1)
        writer.write(old)
        http10 = await _answer(reader)
        http10_rest = await asyncio.wait_for(reader.read(), 2)  # closed, not kept alive
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_post(port, QUICK, "connection: upgrade", "upgrade: websocket"))
        upgraded = await asyncio.wait_for(reader.read(4096), 5)
        writer.close()
    assert closing[0] == 503 and closing[1]["connection"] == "close" and rest == b""
    assert http10[0] == 503 and http10[1]["connection"] == "close" and http10_rest == b""
    assert upgraded.startswith(b"HTTP/1.1 ") and b" 503 " not in upgraded.split(b"\r\n")[0]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def _one_write_each(port: int, bodies: list[bytes], *extra: str) -> list[tuple[int, bytes]]:
    """Each body as a whole request in one write on a connection of its own, all written
    before any answer is read; the answers' statuses and bodies, in the same order."""
    connections = [await asyncio.open_connection("127.0.0.1", port) for _ in bodies]
    for (_, writer), body in zip(connections, bodies, strict=True):
        writer.write(_post(port, body, *extra))
    answers = [await _answer(reader) for reader, _ in connections]
    for _, writer in connections:
        writer.close()
    return [(status, body) for status, _, body in answers]


async def test_requests_arriving_together_past_the_bound_are_all_refused_by_the_parser(
    replay: Replay,
) -> None:
    """Ten requests arriving in one turn of the server's loop (written while its process is
    stopped, then it is let go), two slots (the bound fixed), each admitted one waiting
    300 ms on the venue: two answered, and all eight others refused by the protocol. A
    request read whole takes its slot as it is read, so those read after it in the same turn
    find it taken; before, each of the ten passed the parser's check (the slot was taken
    later, in the endpoint) and eight were refused through ASGI, at several times the cost.
    """
    server = ServerProcess(
        {
            "PERPGRAPH_BINANCE_BASE_URL": replay.url,
            "PERPGRAPH_OKX_BASE_URL": replay.url,
            "PERPGRAPH_MAX_IN_FLIGHT": "2",
            "PERPGRAPH_LOOP_LAG_TARGET_MS": "1e9",
            "PERPGRAPH_RESPONSE_CACHE": "false",
        }
    )
    server.start()
    replay.fault(route="/fapi/v1/klines", latency_ms=300)
    body = json.dumps(SLOW).encode()
    try:
        connections = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(10)]
        await asyncio.sleep(0.2)  # accepted
        os.kill(server.pid, signal.SIGSTOP)
        try:
            for _, writer in connections:
                writer.write(_post(server.port, body))
                await writer.drain()
        finally:
            os.kill(server.pid, signal.SIGCONT)
        answers = [await _answer(reader) for reader, _ in connections]
        for _, writer in connections:
            writer.close()
        async with httpx.AsyncClient(timeout=10) as client:
            text = (await client.get(f"{server.url}/metrics")).text
    finally:
        server.stop()
    assert sorted(status for status, _, _ in answers) == [200] * 2 + [503] * 8
    admitted = [json.loads(body) for status, _, body in answers if status == 200]
    assert [a["data"]["symbol"]["candles"]["interval"] for a in admitted] == ["1m", "1m"]
    refused = [
        line for line in text.splitlines() if line.startswith("perpgraph_http_refused_total")
    ]
    assert refused == ['perpgraph_http_refused_total{reason="overloaded_early"} 8.0']


async def test_a_slot_taken_for_a_request_refused_before_it_ran_is_given_back(
    api: Callable[..., ApiServer],
) -> None:
    """One slot: requests refused before they run (a key nobody issued: 401; a body that
    is not JSON: 400; each read whole, so the protocol took the slot for it) give it back:
    the request after them is answered, not told the server is full."""
    server = api(max_in_flight=1, loop_lag_target_ms=1e9)
    port = int(server.url.rsplit(":", 1)[1])
    refused = []
    for _ in range(3):
        refused += await _one_write_each(port, [QUICK], "authorization: Bearer pg_nobody")
        refused += await _one_write_each(port, [b"{"])
    answered = await _one_write_each(port, [QUICK])
    assert [status for status, _ in refused] == [401, 400] * 3
    assert answered[0][0] == 200
    assert json.loads(answered[0][1])["data"] == {"__typename": "Query"}


async def test_a_key_being_looked_up_holds_no_slot(
    api: Callable[..., ApiServer], database: str, replay: Replay, tmp_path: Path
) -> None:
    """Two slots, two requests with keys the server has not seen, their lookup held up by a
    lock on the key table: an anonymous request meanwhile is answered, not refused. The
    protocol's reservation is given back as the endpoint starts and a slot taken again once
    the caller is known (holding it through the lookup, a few unknown keys filled the
    bound for everyone: found by review)."""
    server = api(
        replay_settings(
            replay.url,
            database_url=database,
            anonymous_role="read",
            max_in_flight=2,
            loop_lag_target_ms=1e9,
            history_outbox_path=str(tmp_path / "outbox.jsonl"),
        )
    )
    port = int(server.url.rsplit(":", 1)[1])

    def unknown(n: int) -> str:
        return f"authorization: Bearer pgk_{n:012x}_" + "B" * 43

    assert [s for s, _ in await _one_write_each(port, [QUICK], unknown(0))] == [401]  # pool up
    locker = await asyncpg.connect(database)
    try:
        async with locker.transaction():
            await locker.execute("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE")
            looking_up = asyncio.gather(
                *(_one_write_each(port, [QUICK], unknown(n)) for n in (1, 2))
            )
            await asyncio.sleep(0.3)  # both waiting on the lock
            anonymous = await _one_write_each(port, [QUICK])
        looked_up = await looking_up
    finally:
        await locker.close()
    assert anonymous[0][0] == 200
    assert [answers[0][0] for answers in looked_up] == [401, 401]
