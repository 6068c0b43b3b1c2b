"""Who may do what, and how much: API keys and roles, rate limits and cost budgets,
production mode, and keys that never show up anywhere."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
import websockets
from websockets.typing import Subprotocol

from graph.server.settings import Settings
from providers.history.keys import KeyStore
from tests.support import KEYS, ROOT, ApiServer, Replay, gql, replay_settings

RECORD = 'mutation { recordSignal(ticker: "SOL") { id } }'
PRICE = '{ symbol(ticker: "BTC") { price } }'


def _codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


def _bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


async def test_mutations_need_a_key_of_the_write_role(api: Callable[..., ApiServer]) -> None:
    server = api()  # development: an anonymous caller may read everything, never write
    async with httpx.AsyncClient() as client:
        anonymous = await gql(client, server.url, RECORD)
        read = await gql(client, server.url, RECORD, role="read")
        write = await gql(client, server.url, RECORD, role="write")
    assert _codes(anonymous) == ["UNAUTHENTICATED"]
    assert _codes(read) == ["FORBIDDEN"]
    assert "write role" in read["errors"][0]["message"]
    # the write key passes access; this server has no database, so history says so
    assert _codes(write) == ["NOT_CONFIGURED"]


async def test_keys_are_checked_and_anonymous_access_is_a_setting(
    api: Callable[..., ApiServer],
) -> None:
    closed = api(anonymous_role="none")
    async with httpx.AsyncClient() as client:
        bad = await client.post(
            f"{closed.url}/graphql", json={"query": PRICE}, headers=_bearer("not-a-key")
        )
        none = await client.post(f"{closed.url}/graphql", json={"query": PRICE})
        by_header = await client.post(
            f"{closed.url}/graphql", json={"query": PRICE}, headers={"x-api-key": KEYS["read"]}
        )
        by_bearer = await gql(client, closed.url, PRICE, role="read")
    for refused in (bad, none):
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert by_header.status_code == 200 and by_header.json()["data"]["symbol"]["price"] > 0
    assert by_bearer["data"] == by_header.json()["data"]


async def test_what_shows_the_servers_insides_is_for_admins(
    api: Callable[..., ApiServer],
) -> None:
    server = api(anonymous_role="read", response_cache=False)
    async with httpx.AsyncClient() as client:
        stats_anonymous = await gql(client, server.url, "{ cacheStats { hits } }")
        stats_read = await gql(client, server.url, "{ cacheStats { hits } }", role="read")
        stats_admin = await gql(client, server.url, "{ cacheStats { hits } }", role="admin")
        debug_read = await gql(client, server.url, PRICE, debug=True, role="read")
        debug_admin = await gql(client, server.url, PRICE, debug=True, role="admin")
        metrics_anonymous = await client.get(f"{server.url}/metrics")
        metrics_admin = await client.get(f"{server.url}/metrics", headers=_bearer(KEYS["admin"]))
    assert _codes(stats_anonymous) == ["UNAUTHENTICATED"]
    assert _codes(stats_read) == ["FORBIDDEN"]
    assert stats_admin["data"]["cacheStats"]["hits"] >= 0
    assert "upstream" not in debug_read["extensions"]  # the header is ignored
    assert "upstream" in debug_admin["extensions"]
    assert metrics_anonymous.status_code == 401
    assert metrics_admin.status_code == 200
    assert "perpgraph_http_requests_total" in metrics_admin.text


async def test_the_request_rate_is_limited_per_caller(api: Callable[..., ApiServer]) -> None:
    server = api(rate_limit_anonymous="3/minute", rate_limit_read="5/minute")
    async with httpx.AsyncClient() as client:
        anonymous = [
            await client.post(f"{server.url}/graphql", json={"query": "{ __typename }"})
            for _ in range(4)
        ]
        keyed = await gql(client, server.url, "{ __typename }", role="read")  # its own count
    ok, limited = anonymous[:3], anonymous[3]
    assert [r.status_code for r in ok] == [200, 200, 200]
    assert [r.headers["ratelimit-remaining"] for r in ok] == ["2", "1", "0"]
    assert ok[0].headers["ratelimit-limit"] == "3"
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    error = limited.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] >= 1
    assert keyed["data"] == {"__typename": "Query"}


async def test_the_cost_budget_is_spent_by_what_operations_cost(
    api: Callable[..., ApiServer],
) -> None:
    server = api(cost_budget_anonymous="30/minute", response_cache=False)
    signal = '{ signal(ticker: "BTC") { score } }'
    async with httpx.AsyncClient() as client:
        first = await gql(client, server.url, signal)
        second = await client.post(f"{server.url}/graphql", json={"query": signal})
        cheap = await gql(client, server.url, "{ __typename }")  # costs nothing: still served
    cost = first["extensions"]["cost"]
    throttle = cost["throttleStatus"]
    assert throttle["maximumAvailable"] == 30
    assert throttle["currentlyAvailable"] == 30 - cost["requested"]
    assert throttle["restoreRate"] == 0.5  # 30 points a minute
    assert second.status_code == 429
    # until enough points are back for the whole operation, at 0.5 points a second
    left = 30 - cost["requested"]
    assert int(second.headers["retry-after"]) == -(-(cost["requested"] - left) // 0.5)
    error = second.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] < cost["requested"]
    assert second.json().get("data") is None
    assert cheap["data"] == {"__typename": "Query"}


def test_production_refuses_to_start_without_keys() -> None:
    with pytest.raises(pydantic.ValidationError, match="production needs API keys"):
        Settings(env="production")
    with pytest.raises(pydantic.ValidationError, match="refused in production"):
        Settings(env="production", api_keys="sha256:" + "0" * 64 + ":read", anonymous_role="admin")


async def test_production_hides_the_schema_from_non_admins(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    server = api(replay_settings(replay.url, env="production", cors_origins="https://app.example"))
    introspection = "{ __schema { queryType { name } } }"
    async with httpx.AsyncClient() as client:
        page = await client.get(f"{server.url}/graphql", headers={"accept": "text/html"})
        anonymous = await gql(client, server.url, introspection)
        admin = await gql(client, server.url, introspection, role="admin")
        typo_read = await gql(client, server.url, '{ symbol(ticker: "BTC") { pric } }', role="read")
        typo_admin = await gql(
            client, server.url, '{ symbol(ticker: "BTC") { pric } }', role="admin"
        )
        mutation = await gql(client, server.url, RECORD)
        allowed = await client.options(
            f"{server.url}/graphql",
            headers={"origin": "https://app.example", "access-control-request-method": "POST"},
        )
        other = await client.options(
            f"{server.url}/graphql",
            headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
        )
        plain = await client.post(f"{server.url}/graphql", json={"query": "{ __typename }"})
    assert page.status_code == 404  # no GraphiQL in production
    assert _codes(anonymous) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "introspection is disabled" in anonymous["errors"][0]["message"]
    assert admin["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    assert "Did you mean" not in typo_read["errors"][0]["message"]
    assert "Did you mean" in typo_admin["errors"][0]["message"]
    assert _codes(mutation) == ["UNAUTHENTICATED"]
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in other.headers
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in plain.headers["content-security-policy"]
    assert plain.headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in plain.headers  # not behind TLS
    assert "server" not in plain.headers


async def test_websocket_callers_present_their_key_in_connection_init(
    api: Callable[..., ApiServer],
) -> None:
    server = api(anonymous_role="none")
    url = "ws" + server.url.removeprefix("http") + "/graphql"
    protocols = [Subprotocol("graphql-transport-ws")]

    async def handshake(payload: dict[str, Any], origin: str | None = None) -> Any:
        headers = {"origin": origin} if origin else {}
        async with websockets.connect(
            url, subprotocols=protocols, additional_headers=headers
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            try:
                return json.loads(await asyncio.wait_for(ws.recv(), 5))["type"]
            except websockets.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None

    assert await handshake({}) == 4403
    assert await handshake({"Authorization": "Bearer nope"}) == 4403
    assert await handshake({"Authorization": f"Bearer {KEYS['read']}"}) == "connection_ack"
    assert await handshake({"apiKey": KEYS["read"]}) == "connection_ack"
    with pytest.raises(websockets.InvalidStatus):  # a page of a site not allowed
        await handshake({"apiKey": KEYS["read"]}, origin="https://evil.example")
    assert (
        await handshake({"apiKey": KEYS["read"]}, origin="http://localhost:3000")
        == "connection_ack"
    )


async def test_a_revoked_key_is_refused_on_another_instance_within_a_second(
    replay: Replay, database: str, tmp_path: Path
) -> None:
    one, two = (
        ApiServer(
            replay_settings(
                replay.url,
                database_url=database,
                anonymous_role="none",
                history_outbox_path=str(tmp_path / f"outbox-{n}.jsonl"),  # one writer each
            )
        )
        for n in (1, 2)
    )
    store = KeyStore(database)
    one.start()
    two.start()
    try:
        made = await store.create("dashboard", "read")
        async with httpx.AsyncClient() as client:

            async def status(server: ApiServer) -> int:
                response = await client.post(
                    f"{server.url}/graphql",
                    json={"query": "{ __typename }"},
                    headers=_bearer(made.key),
                )
                return response.status_code

            assert [await status(one), await status(two)] == [200, 200]  # both now believe it
            assert await store.revoke(made.record.id)
            revoked_at = time.monotonic()
            while await status(two) == 200:
                assert time.monotonic() - revoked_at < 1.5
                await asyncio.sleep(0.05)
            refused_after = time.monotonic() - revoked_at
            assert await status(one) == 401
    finally:
        await store.close()
        one.stop()
        two.stop()
    assert refused_after <= 1.1, refused_after


def test_keys_cli_shows_a_key_once_and_lists_without_it(database: str) -> None:
    env = {**os.environ, "PERPGRAPH_DATABASE_URL": database}

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "graph.server.cli", "keys", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout

    created = cli("create", "--role", "write", "--name", "bot")
    key = created.splitlines()[0]
    ident = key.split("_")[1]
    listed = cli("list")
    revoked = cli("revoke", ident)
    after = cli("list")
    assert key.startswith("pgk_") and "not shown again" in created
    assert ident in listed and "write" in listed and "live" in listed
    assert key not in listed and key.split("_", 2)[2] not in listed
    assert revoked.strip() == f"revoked {ident}"
    assert "revoked" in after.split(ident)[1].splitlines()[0]


async def test_keys_never_show_in_logs_errors_or_metrics(
    api: Callable[..., ApiServer],
    caplog: pytest.LogCaptureFixture,
    database: str,
    replay: Replay,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = api(
        replay_settings(
            replay.url,
            database_url=database,
            anonymous_role="read",
            history_outbox_path=str(tmp_path / "outbox.jsonl"),
        )
    )
    store = KeyStore(database)
    made = await store.create("secret-bearer", "admin")
    await store.revoke(made.record.id)
    await store.close()
    bodies: list[str] = []
    async with httpx.AsyncClient() as client:
        for key in (
            made.key,
            KEYS["read"],
            KEYS["admin"],
            made.key + "x",
            "pgk_000000000000_" + "A" * 43,
        ):
            for query in (PRICE, RECORD, "{ nope }"):
                response = await client.post(
                    f"{server.url}/graphql", json={"query": query}, headers=_bearer(key)
                )
                bodies.append(response.text + json.dumps(dict(response.headers)))
        metrics = await client.get(f"{server.url}/metrics", headers=_bearer(KEYS["admin"]))
    seen = "\n".join([*bodies, metrics.text, *(r.getMessage() for r in caplog.records)])
    assert metrics.status_code == 200, metrics.text[:300]
    assert len(bodies) == 15
    for key in (made.key, KEYS["read"], KEYS["admin"]):
        secret = key.split("_", 2)[2] if key.startswith("pgk_") else key  # it may hold "_"
        where = seen.find(secret)
        assert where < 0, seen[max(0, where - 200) : where + 50]


async def test_a_spoofed_forwarded_for_is_not_another_caller(api: Callable[..., ApiServer]) -> None:
    server = api(rate_limit_anonymous="2/minute")  # no trusted proxy configured
    async with httpx.AsyncClient() as client:
        statuses = [
            (
                await client.post(
                    f"{server.url}/graphql",
                    json={"query": "{ __typename }"},
                    headers={"x-forwarded-for": f"203.0.113.{n}"},
                )
            ).status_code
            for n in range(3)
        ]
    assert statuses == [200, 200, 429]


async def test_an_operation_over_the_whole_budget_is_too_costly_not_rate_limited(
    api: Callable[..., ApiServer],
) -> None:
    server = api(cost_budget_anonymous="10/minute", response_cache=False)
    async with httpx.AsyncClient() as client:
        result = await gql(client, server.url, '{ signal(ticker: "BTC") { score } }')
    assert _codes(result) == ["QUERY_TOO_COSTLY"]  # no wait would ever let it through


async def test_guessing_keys_is_limited_per_address_and_keys_that_work_still_do(
    api: Callable[..., ApiServer], database: str, tmp_path: Path
) -> None:
    server = api(database_url=database, history_outbox_path=str(tmp_path / "outbox.jsonl"))
    store = KeyStore(database)
    used, unseen = await store.create("dashboard", "read"), await store.create("bot", "read")

    async def ask(key: str) -> int:
        answer = await client.post(
            f"{server.url}/graphql", json={"query": "{ __typename }"}, headers=_bearer(key)
        )
        return answer.status_code

    async with httpx.AsyncClient() as client:
        assert await ask(used.key) == 200  # checked once: the server knows it works
        statuses = [await ask(f"pgk_{n:012x}_" + "A" * 43) for n in range(32)]
        static, known, never = await ask(KEYS["read"]), await ask(used.key), await ask(unseen.key)
    assert statuses[:30] == [401] * 30
    assert statuses[30:] == [429, 429]  # the key table is not asked any more
    # for the rest of the minute this address gets its guesses refused, not its keys
    assert (static, known) == (200, 200)
    assert never == 429  # a key the server has not seen work is a guess like any other


async def test_websocket_operations_take_the_callers_http_rate(
    api: Callable[..., ApiServer],
) -> None:
    server = api(rate_limit_anonymous="2/minute")
    url = "ws" + server.url.removeprefix("http") + "/graphql"
    async with websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"

        async def subscribe(op_id: str, query: str) -> dict[str, Any]:
            await ws.send(
                json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query}})
            )
            async with asyncio.timeout(5):
                while True:
                    message: dict[str, Any] = json.loads(await ws.recv())
                    if message.get("id") == op_id:
                        return message

        # a mutation runs as a POST would: one request of the caller's rate, and refused
        # for want of a write key (an error message, not INTERNAL)
        mutation = await subscribe("0", "mutation { __typename }")
        assert mutation["type"] == "error"
        assert mutation["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        first = await subscribe("1", "subscription { liquidations { price } }")
        second = await subscribe("2", "subscription { liquidations { venue } }")
    assert first["type"] != "error", first  # the second request of the minute: admitted
    assert second["type"] == "error"  # the third of a 2-a-minute caller
    assert second["payload"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_revoked_key_closes_its_open_websocket(
    replay: Replay, database: str, tmp_path: Path
) -> None:
    server = ApiServer(
        replay_settings(
            replay.url,
            database_url=database,
            anonymous_role="none",
            history_outbox_path=str(tmp_path / "outbox.jsonl"),
        )
    )
    server.start()
    store = KeyStore(database)
    try:
        made = await store.create("socket", "read")
        url = "ws" + server.url.removeprefix("http") + "/graphql"
        async with websockets.connect(
            url, subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {"apiKey": made.key}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            assert await store.revoke(made.record.id)
            revoked_at = time.monotonic()
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
            took = time.monotonic() - revoked_at
    finally:
        await store.close()
        server.stop()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    assert took < 2.5  # within two key-cache periods


async def test_identical_subscriptions_of_callers_of_different_roles_run_in_different_groups(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    """What an operation may see depends on the role: a read key's subscription never
    shares an execution started for an admin key (another read connection shares it)."""
    server = api(
        anonymous_role="none",
        liquidation_streams="binance",
        binance_ws_url="ws" + replay.url.removeprefix("http"),
    )
    url = "ws" + server.url.removeprefix("http") + "/graphql"
    query = "subscription { liquidations { ticker } }"

    async def subscribe(key: str) -> Any:
        ws = await websockets.connect(url, subprotocols=[Subprotocol("graphql-transport-ws")])
        await ws.send(json.dumps({"type": "connection_init", "payload": {"apiKey": key}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        return ws

    async def groups(expected: tuple[float, float]) -> tuple[float, float]:
        """(subscriptions, groups) from /metrics, once they are ``expected`` or after 5 s."""
        async with httpx.AsyncClient() as client:
            for _ in range(50):
                text = (
                    await client.get(
                        f"{server.url}/metrics",
                        headers={"authorization": f"Bearer {KEYS['admin']}"},
                    )
                ).text
                values = {
                    line.split()[0]: float(line.split()[1])
                    for line in text.splitlines()
                    if line.startswith(
                        ("perpgraph_ws_subscription_groups ", "perpgraph_ws_subscriptions ")
                    )
                }
                seen = (
                    values["perpgraph_ws_subscriptions"],
                    values["perpgraph_ws_subscription_groups"],
                )
                if seen == expected:
                    break
                await asyncio.sleep(0.1)
        return seen

    sockets = [await subscribe(KEYS["admin"]), await subscribe(KEYS["read"])]
    try:
        assert await groups((2.0, 2.0)) == (2.0, 2.0)
        sockets.append(await subscribe(KEYS["read"]))
        assert await groups((3.0, 2.0)) == (3.0, 2.0)  # the second read socket joins its group
    finally:
        for ws in sockets:
            await ws.close()
