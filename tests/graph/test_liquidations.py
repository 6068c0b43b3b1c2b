"""Live liquidations end to end: the replay's Binance stream -> the server's ingest -> the
hub -> GraphQL subscriptions over real WebSocket clients, both protocols."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from graph.server.jobs.ingest import feed_names
from graph.server.settings import Settings
from tests.providers.conftest import load
from tests.providers.test_streams import Conn, frame_server, stay_open
from tests.support import RECORDED, REDIS_URL, ROOT, ApiServer, Replay, ServerProcess, gql

STREAM = "/ws/!forceOrder@arr"
FIELDS = "ticker venueSymbol venue side price quantity notionalUsd time"


def recorded() -> list[dict[str, Any]]:
    """The recorded events as the API shows them (side of the liquidated position)."""
    path = RECORDED / "binance-futures/forceOrder-derived-2025-10-22.csv"
    rows = []
    with path.open() as f:
        for r in csv.DictReader(f):
            ts = datetime.fromisoformat(r["timestamp"]).replace(tzinfo=UTC)
            price, qty = float(r["avg_price"]), float(r["filled_qty"])
            rows.append({
                "venueSymbol": r["symbol"],
                "side": "LONG" if r["side"] == "SELL" else "SHORT",
                "price": price,
                "quantity": qty,
                "notionalUsd": round(price * qty, 2),  # worked out here: to the cent
                "time": ts.isoformat(),
            })  # fmt: skip
    return rows


def _stream_server(
    api: Callable[..., ApiServer],
    replay: Replay,
    settings: dict[str, Any] | None = None,
    **rule: Any,
) -> ApiServer:
    httpx.post(
        f"{replay.url}/_replay/streams",
        json={"path": STREAM, "speed": 0, "start_delay_s": 1.5, **rule},
    ).raise_for_status()
    return api(
        response_cache=False,
        liquidation_streams="binance",
        binance_ws_url="ws" + replay.url.removeprefix("http"),
        **(settings or {}),
    )


def looping_stream_server(api: Callable[..., ApiServer], replay: Replay) -> ApiServer:
    """The recording looped, at 50 times its pace (8 s a pass), as the demo plays it: a
    client subscribing at any moment gets events, consecutive ones of the recording."""
    return _stream_server(api, replay, {"replay": True}, loop=True, speed=50)


def consecutive(got: list[dict[str, Any]], events: list[dict[str, Any]]) -> bool:
    """Whether ``got`` are consecutive events of the looped recording ``events``."""
    shown = [_shown(e) for e in got]
    looped = [_shown(e) for e in events * (2 + len(got) // len(events))]
    return any(looped[i : i + len(shown)] == shown for i in range(len(events)))


def _ws(url: str) -> str:
    return f"ws{url.removeprefix('http')}/graphql"


@asynccontextmanager
async def transport_ws(url: str, query: str) -> AsyncIterator[ClientConnection]:
    """graphql-transport-ws: init, ack, subscribe with id 1."""
    protocols = [Subprotocol("graphql-transport-ws")]
    async with websockets.connect(_ws(url), subprotocols=protocols) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        yield ws


@asynccontextmanager
async def legacy_ws(url: str, query: str) -> AsyncIterator[ClientConnection]:
    """The legacy graphql-ws protocol: init, ack, start with id 1."""
    async with websockets.connect(_ws(url), subprotocols=[Subprotocol("graphql-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "start", "payload": {"query": query}}))
        yield ws


# where a stuck subscriber's wide frames share the server (and this test process's cores)
# with the reader: a bound on liveness, which a slow machine must not fail
STUCK_TIMEOUT_S = 60.0


async def receive(
    ws: ClientConnection, count: int, kind: str = "next", timeout_s: float = 15
) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout_s):
        while len(got) < count:
            message = json.loads(await ws.recv())
            if message["type"] == "ka":
                continue
            assert message["type"] == kind, message
            got.append(message["payload"]["data"]["liquidations"])
    return got


def replay_metrics(server: ApiServer) -> str:
    return httpx.get(f"{server.url}/metrics").text


def _sample(text: str, name: str, **labels: str) -> float | None:
    """One sample of a Prometheus text exposition, or None when it is absent."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


def _shown(event: dict[str, Any]) -> dict[str, Any]:
    return {
        k: event[k] for k in ("venueSymbol", "side", "price", "quantity", "notionalUsd", "time")
    }


async def test_filtered_subscribers_on_both_protocols_share_one_upstream_connection(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    events = recorded()
    server = _stream_server(api, replay)
    eth_longs = [e for e in events if e["venueSymbol"] == "ETHUSDT" and e["side"] == "LONG"]
    big = sorted(e["notionalUsd"] for e in events)[-20]
    large = [e for e in events if e["notionalUsd"] >= big]
    q_eth = f'subscription {{ liquidations(tickers: ["eth"], side: LONG) {{ {FIELDS} }} }}'
    q_all = f"subscription {{ liquidations {{ {FIELDS} }} }}"
    q_big = f"subscription {{ liquidations(minNotionalUsd: {big!r}) {{ {FIELDS} }} }}"
    async with (
        transport_ws(server.url, q_eth) as a,
        transport_ws(server.url, q_all) as b,
        legacy_ws(server.url, q_big) as c,
    ):
        got_a, got_b, got_c = await asyncio.gather(
            receive(a, len(eth_longs)), receive(b, len(events)), receive(c, len(large), "data")
        )
    assert [_shown(e) for e in got_b] == events  # every event, in recorded order
    assert [_shown(e) for e in got_a] == eth_longs  # exactly the matching ones
    assert {e["ticker"] for e in got_a} == {"ETH"}
    assert [_shown(e) for e in got_c] == large
    assert replay.calls()[STREAM] == 1  # three subscribers, one upstream connection


async def test_a_looping_recording_is_delivered_again_with_its_recorded_times(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    events = recorded()
    # a pass in about 4 s, from the moment the ingest connects
    server = _stream_server(api, replay, {"replay": True}, loop=True, speed=100)
    query = f"subscription {{ liquidations {{ {FIELDS} }} }}"
    async with transport_ws(server.url, query) as ws:
        got = await receive(ws, len(events) + 50)
    # the next pass is the recording again, as recorded: nothing re-timed, nothing dropped
    assert consecutive(got, events), [_shown(e) for e in got[:3]]


async def test_the_batched_feed_delivers_every_event_in_fewer_messages_with_totals(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    events = recorded()
    server = _stream_server(api, replay, speed=20)  # the 7 recorded minutes in about 21 s
    query = f"""subscription {{ liquidationFeed(intervalMs: 500) {{
        events {{ {FIELDS} }} longUsd shortUsd longCount shortCount dropped sentAt }} }}"""
    batches: list[dict[str, Any]] = []
    async with transport_ws(server.url, query) as ws, asyncio.timeout(60):
        while sum(len(b["events"]) for b in batches) < len(events):
            message = json.loads(await ws.recv())
            assert message["type"] == "next", message
            batches.append(message["payload"]["data"]["liquidationFeed"])
    assert [_shown(e) for b in batches for e in b["events"]] == events  # all, in order
    assert len(batches) < len(events) / 5  # one message per half second, not per event
    for batch in batches:
        longs = [e["notionalUsd"] for e in batch["events"] if e["side"] == "LONG"]
        shorts = [e["notionalUsd"] for e in batch["events"] if e["side"] == "SHORT"]
        assert (batch["longCount"], batch["shortCount"]) == (len(longs), len(shorts))
        # the totals add up the amounts as shown
        assert (batch["longUsd"], batch["shortUsd"]) == (
            round(sum(longs), 2),
            round(sum(shorts), 2),
        )
        assert batch["events"] and batch["dropped"] == 0


async def test_a_feed_interval_out_of_range_is_an_error_message(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = _stream_server(api, replay)
    query = "subscription { liquidationFeed(intervalMs: 5) { longUsd } }"
    async with transport_ws(server.url, query) as ws, asyncio.timeout(10):
        message = json.loads(await ws.recv())
    assert message["type"] == "next"
    assert message["payload"]["data"] is None
    assert message["payload"]["errors"][0]["extensions"]["code"] == "BAD_ARGUMENT"
    assert "intervalMs" in message["payload"]["errors"][0]["message"]


async def test_unsubscribe_frees_its_queue(api: Callable[..., ApiServer], replay: Replay) -> None:
    server = _stream_server(api, replay)

    async def subscribers() -> float:
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{server.url}/metrics")).text
        line = next(x for x in text.splitlines() if x.startswith("perpgraph_hub_subscribers{"))
        return float(line.rsplit(" ", 1)[1])

    query = f"subscription {{ liquidations {{ {FIELDS} }} }}"
    async with transport_ws(server.url, query) as ws:
        await receive(ws, 1)
        assert await subscribers() == 1
        await ws.send(json.dumps({"id": "1", "type": "complete"}))
        async with asyncio.timeout(5):
            while await subscribers() != 0:
                await asyncio.sleep(0.05)


async def test_upstream_drop_reconnects_and_events_flow_without_resubscribing(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    events = recorded()
    # after its one use, the exact rule expires and the wildcard one serves the reconnect
    replay.stream(path="*", speed=0)
    server = _stream_server(api, replay, disconnect_after=100, times=1)
    query = f"subscription {{ liquidations {{ {FIELDS} }} }}"
    async with transport_ws(server.url, query) as ws:
        got = await receive(ws, len(events))
    # the second connection replays from the start; the hub drops the 100 it already had
    assert [_shown(e) for e in got] == events
    assert replay.calls()[STREAM] == 2
    metrics = replay_metrics(server)
    assert 'perpgraph_ingest_gaps_total{provider="binance"} 1.0' in metrics


async def test_a_malformed_frame_is_counted_and_skipped(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    events = recorded()
    server = _stream_server(api, replay, malformed_every=50)
    spoiled = {i for i in range(len(events)) if (i + 1) % 50 == 0}
    expected = [e for i, e in enumerate(events) if i not in spoiled]
    query = f"subscription {{ liquidations {{ {FIELDS} }} }}"
    async with transport_ws(server.url, query) as ws:
        got = await receive(ws, len(expected))
    assert [_shown(e) for e in got] == expected
    metrics = replay_metrics(server)
    line = f'perpgraph_ingest_events_total{{provider="binance",result="malformed"}} {float(len(spoiled))}'
    assert line in metrics


async def test_liquidation_stats_from_the_stream(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = _stream_server(api, replay, start_delay_s=0)
    async with httpx.AsyncClient() as client:
        async with asyncio.timeout(10):  # wait until the whole recording is in
            while "perpgraph_hub_delivered" not in (await client.get(f"{server.url}/metrics")).text:
                await asyncio.sleep(0.05)
        result = await gql(
            client,
            server.url,
            '{ liquidationStats(ticker: "ETH", window: H24) { longUsd shortUsd longCount shortCount largest { price } source } }',
        )
    # the recording is from 2025: a window ending now does not reach it, and says so
    assert result["data"]["liquidationStats"]["longCount"] == 0
    assert result["data"]["liquidationStats"]["source"] == "stream: binance"


async def test_without_an_ingest_the_stream_fields_are_coded_errors(
    api: Callable[..., ApiServer],
) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, '{ liquidationStats(ticker: "BTC") { longUsd } }')
    assert [e["extensions"]["code"] for e in result["errors"]] == ["INGEST_NOT_RUNNING"]


@pytest.mark.parametrize("limit", [2])
async def test_connections_per_client_are_limited(
    api: Callable[..., ApiServer], replay: Replay, limit: int
) -> None:
    server = _stream_server(api, replay)
    server_limited = api(
        response_cache=False,
        liquidation_streams="binance",
        binance_ws_url="ws" + replay.url.removeprefix("http"),
        max_connections_per_client=limit,
    )
    del server
    query = f"subscription {{ liquidations {{ {FIELDS} }} }}"
    async with transport_ws(server_limited.url, query), transport_ws(server_limited.url, query):
        # the third socket of this client is refused before the handshake completes
        with pytest.raises(websockets.exceptions.InvalidStatus) as info:
            async with transport_ws(server_limited.url, query):
                pass
    assert info.value.response.status_code == 403
    async with transport_ws(server_limited.url, query) as ws:  # freed again once they left
        await receive(ws, 1)


async def test_two_api_processes_and_one_ingest_share_events_over_redis(replay: Replay) -> None:
    """`perpgraph ingest` publishes to Redis; each API process relays to its subscribers."""
    events = recorded()
    namespace = f"test-{uuid.uuid4().hex}"
    common = {
        "PERPGRAPH_REDIS_URL": REDIS_URL,
        "PERPGRAPH_CACHE_NAMESPACE": namespace,
        "PERPGRAPH_BINANCE_BASE_URL": replay.url,
        "PERPGRAPH_OKX_BASE_URL": replay.url,
        "PERPGRAPH_FEARGREED_BASE_URL": replay.url,
    }
    replay.stream(path=STREAM, speed=0, start_delay_s=0.5)
    one, two = ServerProcess(common), ServerProcess(common)
    ingest_env = {
        **os.environ,
        **common,
        "PERPGRAPH_LIQUIDATION_STREAMS": "binance",
        "PERPGRAPH_BINANCE_WS_URL": "ws" + replay.url.removeprefix("http"),
        "PERPGRAPH_LOG_LEVEL": "WARNING",
    }
    ingest: subprocess.Popen[bytes] | None = None
    query = f"subscription {{ liquidations {{ {FIELDS} }} }}"
    stats_query = '{ liquidationStats(ticker: "ETH", window: H24) { longUsd shortUsd longCount shortCount source } }'
    try:
        one.start()
        two.start()
        async with transport_ws(one.url, query) as a, transport_ws(two.url, query) as b:
            await asyncio.sleep(0.3)  # both subscriptions registered before the stream starts
            ingest = subprocess.Popen(  # noqa: ASYNC220 (starting it is quick; it runs apart)
                [sys.executable, "-m", "graph.server.cli", "ingest"], cwd=ROOT, env=ingest_env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            got_a, got_b = await asyncio.gather(receive(a, len(events)), receive(b, len(events)))
        async with httpx.AsyncClient() as client:
            stats_one = await gql(client, one.url, stats_query)
            stats_two = await gql(client, two.url, stats_query)
    finally:
        if ingest is not None:
            ingest.terminate()
            ingest.wait(timeout=10)
        one.stop()
        two.stop()
    assert [_shown(e) for e in got_a] == events
    assert [_shown(e) for e in got_b] == events
    assert replay.calls()[STREAM] == 1  # one upstream connection for both API processes
    assert "errors" not in stats_one, stats_one
    assert stats_one["data"] == stats_two["data"], stats_one
    assert stats_one["data"]["liquidationStats"]["source"] == "stream: binance", stats_one
    redis = Redis.from_url(REDIS_URL)
    try:
        kept = await redis.zcard(f"{namespace}:liquidations:recent")
        await redis.delete(f"{namespace}:liquidations:recent", f"{namespace}:liquidations:started")
    finally:
        await redis.aclose()
    assert kept == len(events)  # the rolling store every instance reads


async def test_protocol_limits_close_codes(api: Callable[..., ApiServer], replay: Replay) -> None:
    server = _stream_server(api, replay)
    limited = api(
        response_cache=False,
        liquidation_streams="binance",
        binance_ws_url="ws" + replay.url.removeprefix("http"),
        max_subscriptions_per_connection=1,
        connection_init_timeout_s=0.3,
    )
    del server
    query = f"subscription {{ liquidations {{ {FIELDS} }} }}"
    # a second subscription on the same connection is refused with an error message
    async with transport_ws(limited.url, query) as ws:
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": {"query": query}}))
        async with asyncio.timeout(10):
            while True:
                message = json.loads(await ws.recv())
                if message.get("id") == "2":
                    break
        assert message["type"] == "error"
        assert "limit" in message["payload"][0]["message"].lower()
    # no connection_init in time: closed with graphql-transport-ws code 4408
    protocols = [Subprotocol("graphql-transport-ws")]
    async with websockets.connect(_ws(limited.url), subprotocols=protocols) as ws:
        with pytest.raises(websockets.exceptions.ConnectionClosed) as info:
            async with asyncio.timeout(5):
                await ws.recv()
    assert info.value.rcvd is not None and info.value.rcvd.code == 4408


async def test_a_subscriber_that_never_reads_does_not_hold_up_the_others(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    events = recorded()
    # the recorded 7 minutes in about 4 s: a reading client keeps up with a queue of 50
    replay.stream(path=STREAM, speed=100, start_delay_s=1.5)
    server = api(
        response_cache=False,
        liquidation_streams="binance",
        binance_ws_url="ws" + replay.url.removeprefix("http"),
        subscriber_queue_size=50,
    )
    query = f"subscription {{ liquidations {{ {FIELDS} }} }}"
    host, port = server.url.removeprefix("http://").split(":")
    stuck_sock = socket.socket()
    stuck_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)  # a reader that stalls
    stuck_sock.connect((host, int(port)))
    protocols = [Subprotocol("graphql-transport-ws")]
    async with websockets.connect(
        _ws(server.url), sock=stuck_sock, subprotocols=protocols, max_queue=1, close_timeout=1
    ) as stuck:
        await stuck.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await stuck.recv())["type"] == "connection_ack"
        # a different document: its own group, so the reader below is not grouped with it
        slow_query = f"subscription {{ liquidations(minNotionalUsd: 0) {{ {FIELDS} }} }}"
        await stuck.send(
            json.dumps({"id": "s", "type": "subscribe", "payload": {"query": slow_query}})
        )
        async with transport_ws(server.url, query) as reader:
            # the stuck one never reads from here on
            got = await receive(reader, len(events), timeout_s=STUCK_TIMEOUT_S)
        assert [_shown(e) for e in got] == events
    # (472 recorded frames of this selection fit in the socket buffers, so the stuck
    # client's own outbox need not overflow here: the next test makes its frames wide)


async def test_a_stuck_subscribers_drops_are_counted_in_metrics(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    events = recorded()
    replay.stream(path=STREAM, speed=100, start_delay_s=1.5)
    queue, subscriptions = 50, 20
    server = api(
        response_cache=False,
        liquidation_streams="binance",
        binance_ws_url="ws" + replay.url.removeprefix("http"),
        subscriber_queue_size=queue,
        max_subscriptions_per_connection=subscriptions,
        max_aliases=100,
    )
    # The stuck client subscribes 20 times to one wide document (90 aliases, about 2 kB a
    # frame): one execution per event, 20 frames into its outbox, about 19 MB in all. That
    # is more than the kernel's socket buffers (they grow to 4 MB) and the transport's take.
    wide = " ".join(f"a{i}: venueSymbol b{i}: notionalUsd c{i}: time" for i in range(30))
    stuck_query = f"subscription {{ liquidations {{ {wide} }} }}"
    host, port = server.url.removeprefix("http://").split(":")
    stuck_sock = socket.socket()
    stuck_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    stuck_sock.connect((host, int(port)))
    protocols = [Subprotocol("graphql-transport-ws")]
    async with websockets.connect(
        _ws(server.url), sock=stuck_sock, subprotocols=protocols, max_queue=1, close_timeout=1
    ) as stuck:
        await stuck.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await stuck.recv())["type"] == "connection_ack"
        for n in range(subscriptions):
            subscribe = {"id": f"s{n}", "type": "subscribe", "payload": {"query": stuck_query}}
            await stuck.send(json.dumps(subscribe))
        query = f"subscription {{ liquidations {{ {FIELDS} }} }}"
        async with transport_ws(server.url, query) as reader:
            got = await receive(reader, len(events), timeout_s=STUCK_TIMEOUT_S)
        assert [_shown(e) for e in got] == events  # the reader lost nothing
        text = replay_metrics(server)
        dropped = _sample(text, "perpgraph_hub_dropped_total", topic="frames") or 0
        # the stuck connection's outbox stayed bounded: frames past its bound were dropped
        # (oldest first) and counted; the hub's queues, which feed both groups, lost nothing
        assert dropped > 0
        assert dropped <= len(events) * subscriptions - queue
        assert _sample(text, "perpgraph_hub_dropped_total", topic="liquidations") is None


async def test_the_coinglass_feed_needs_a_key_and_publishes_each_event_once(
    api: Callable[..., ApiServer],
) -> None:
    with pytest.raises(ValueError, match="PERPGRAPH_COINGLASS_API_KEY"):
        feed_names(Settings(liquidation_streams="binance,coinglass"))
    push = json.dumps(load("coinglass/ws-liquidationOrders.doc-example.json"))
    (row,) = json.loads(push)["data"]

    subscribed = asyncio.Event()

    async def upstream_script(conn: Conn) -> None:
        await conn.next_message()  # the subscribe message
        await subscribed.wait()
        for _ in range(5):  # the same push again and again: the hub publishes it once
            await conn.ws.send(push)
        await stay_open(conn)

    async with frame_server(upstream_script) as upstream:
        server = api(
            response_cache=False,
            liquidation_streams="coinglass",
            coinglass_api_key="test-key",
            coinglass_ws_url=upstream.url,
        )
        query = f'subscription {{ liquidations(tickers: ["BTC"]) {{ {FIELDS} }} }}'
        async with transport_ws(server.url, query) as ws:
            async with asyncio.timeout(15), httpx.AsyncClient() as client:
                while (
                    _sample(
                        (await client.get(f"{server.url}/metrics")).text,
                        "perpgraph_hub_subscribers",
                        topic="liquidations",
                    )
                    != 1
                ):
                    await asyncio.sleep(0.02)
            subscribed.set()
            (got,) = await receive(ws, 1)
            with pytest.raises(TimeoutError):  # no second copy of the repeated push
                await receive(ws, 1, timeout_s=0.5)
    assert len(upstream.conns) == 1
    assert (got["venue"], got["venueSymbol"], got["side"]) == ("binance", row["symbol"], "LONG")
    assert got["notionalUsd"] == round(row["volUsd"], 2)  # to the cent, as every amount
