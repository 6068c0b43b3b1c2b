"""REST over the registry: ``GET /api/v1/{operationId}`` answers what GraphQL answers for the
same document, takes the replaced system's parameter forms, and says what went wrong as an
RFC 9457 problem with the GraphQL error code."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from graph.operations import TIMEOUT_CLASSES, load_registry
from graph.server.rest import _trim
from tests.support import ApiServer, Replay, query_params

REGISTRY = load_registry()


async def _graphql(
    client: httpx.AsyncClient, url: str, op_id: str, **variables: object
) -> dict[str, Any]:
    op = REGISTRY.operations[op_id]
    body = {"query": op.document, "variables": variables, "operationName": op.id}
    answer = await client.post(f"{url}/graphql", json=body)
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


async def test_a_signal_by_rest_is_the_signal_graphql_gives(api: Callable[..., ApiServer]) -> None:
    server = api()
    async with httpx.AsyncClient(timeout=30) as client:
        rest = await client.get(
            f"{server.url}/api/v1/signal", params={"ticker": "BTC", "mode": "2"}
        )
        graphql = await _graphql(client, server.url, "signal", ticker="BTC", mode="AGGRESSIVE")
    assert rest.status_code == 200, rest.text
    assert rest.headers["content-type"] == "application/json"
    body = rest.json()
    assert body["signal"]["mode"] == "AGGRESSIVE" and body["signal"]["ticker"] == "BTC"
    assert body["signal"].pop("generatedAt") and graphql["signal"].pop("generatedAt")
    assert body == graphql


async def test_mode_aliases_and_symbol_for_ticker(api: Callable[..., ApiServer]) -> None:
    server = api()
    modes = {}
    async with httpx.AsyncClient(timeout=30) as client:
        for given in ("1", "Conservative", "SAFE", "3", "extreme", "scalping", "balanced"):
            answer = await client.get(
                f"{server.url}/api/v1/signal", params={"symbol": "ETH", "mode": given}
            )
            assert answer.status_code == 200, answer.text
            modes[given] = answer.json()["signal"]["mode"]
    assert modes == {
        "1": "CONSERVATIVE",
        "Conservative": "CONSERVATIVE",
        "SAFE": "CONSERVATIVE",
        "3": "ULTRA",
        "extreme": "ULTRA",
        "scalping": "ULTRA",
        "balanced": "AGGRESSIVE",
    }


async def test_what_went_wrong_is_a_coded_problem(api: Callable[..., ApiServer]) -> None:
    server = api()
    async with httpx.AsyncClient(timeout=30, base_url=server.url) as client:
        unknown = await client.get("/api/v1/signal", params={"ticker": "NOSUCHCOIN"})
        bad_mode = await client.get("/api/v1/signal", params={"ticker": "BTC", "mode": "7"})
        stray = await client.get("/api/v1/signal", params={"ticker": "BTC", "colour": "red"})
        missing = await client.get("/api/v1/signal")
        no_such = await client.get("/api/v1/nothingHere")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["code"] == "UNKNOWN_SYMBOL" and unknown.json()["status"] == 404
    assert bad_mode.status_code == 400 and bad_mode.json()["code"] == "BAD_PARAMETER"
    assert "accepted" in bad_mode.json()["detail"]
    assert stray.status_code == 400 and "colour" in stray.json()["detail"]
    assert missing.status_code == 400 and "ticker" in missing.json()["detail"]
    assert no_such.status_code == 404 and no_such.json()["code"] == "UNKNOWN_OPERATION"
    assert "signal" in no_such.json()["detail"]


async def test_lists_as_repeated_or_comma_separated_parameters(
    api: Callable[..., ApiServer],
) -> None:
    server = api()
    async with httpx.AsyncClient(timeout=30, base_url=server.url) as client:
        repeated = await client.get(
            "/api/v1/signals", params=[("tickers", "BTC"), ("tickers", "ETH")]
        )
        commas = await client.get("/api/v1/signals", params={"tickers": "BTC, ETH"})
    assert repeated.status_code == commas.status_code == 200, repeated.text
    tickers = [[s["ticker"] for s in a.json()["signals"]] for a in (repeated, commas)]
    assert tickers == [["BTC", "ETH"], ["BTC", "ETH"]]


async def test_partial_data_is_a_200_with_the_data_and_its_errors(
    api: Callable[..., ApiServer],
) -> None:
    """The replay has no long/short ratio for BTC: that field is null with NO_DATA, and
    everything else is answered."""
    server = api()
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.get(f"{server.url}/api/v1/symbol", params={"ticker": "BTC"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["symbol"]["price"] > 0 and body["symbol"]["longShortRatio"] is None
    assert {e["extensions"]["code"] for e in body["errors"]} == {"NO_DATA"}
    assert [e["path"] for e in body["errors"]] == [["symbol", "longShortRatio"]]


async def test_a_mutation_is_a_post_with_a_key(api: Callable[..., ApiServer]) -> None:
    server = api()
    async with httpx.AsyncClient(timeout=30, base_url=server.url) as client:
        by_get = await client.get("/api/v1/recordSignal", params={"ticker": "SOL"})
        head = await client.head("/api/v1/fearGreed")
        anonymous = await client.post("/api/v1/recordSignal", json={"ticker": "SOL"})
        a_query_by_post = await client.post("/api/v1/signal", json={"ticker": "SOL"})
        others = {
            method: await client.request(method, "/api/v1/signal", params={"ticker": "SOL"})
            for method in ("PUT", "DELETE", "PATCH", "OPTIONS")
        }
    assert by_get.status_code == 405 and by_get.headers["allow"] == "POST"
    assert head.status_code == 200 and head.content == b""  # HEAD: as GET, without the body
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "UNAUTHENTICATED"
    assert a_query_by_post.status_code == 405 and a_query_by_post.headers["allow"] == "GET, HEAD"
    for method, other in others.items():  # told, in a problem, which methods are taken
        assert other.status_code == 405 and other.headers["allow"] == "GET, HEAD", method
        assert other.headers["content-type"] == "application/problem+json", method
        assert other.json()["code"] == "METHOD_NOT_ALLOWED"


async def test_debug_adds_the_upstream_calls(api: Callable[..., ApiServer]) -> None:
    """In development the anonymous caller is an admin, who may ask for them."""
    server = api(response_cache=False)
    async with httpx.AsyncClient(timeout=30, base_url=server.url) as client:
        plain = await client.get("/api/v1/fearGreed")
        debug = await client.get("/api/v1/fearGreed", params={"debug": "true"})
    assert "upstream" not in plain.json()
    assert debug.json()["fearGreed"] == plain.json()["fearGreed"]
    assert debug.json()["upstream"]["count"] == len(debug.json()["upstream"]["calls"])


async def test_a_hung_upstream_answers_a_coded_problem_within_the_timeout(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    """Every venue route hung for 5 s, the operation's timeout 1 s: 504 TIMEOUT within
    about the timeout (the work is cancelled), and the server answers other routes meanwhile."""
    server = api(
        operation_timeout_default_s=1.0, binance_read_timeout_s=5, feargreed_read_timeout_s=5
    )
    replay.fault(route="*", latency_ms=5000)
    async with httpx.AsyncClient(timeout=30, base_url=server.url) as client:
        started = time.perf_counter()
        hung = asyncio.create_task(client.get("/api/v1/fearGreed"))
        await asyncio.sleep(0.2)
        health = await client.get("/healthz")
        answer = await hung
        took = time.perf_counter() - started
    assert health.status_code == 200
    assert answer.status_code == 504 and answer.json()["code"] == "TIMEOUT"
    assert "1 s" in answer.json()["detail"]
    assert 1.0 <= took < 1.5


async def test_every_operation_with_every_upstream_hung_answers_within_its_timeout(
    api: Callable[..., ApiServer], replay: Replay
) -> None:
    """All venue routes hung for 5 s and every operation's timeout 1 s: each REST operation,
    all at once, answers a coded problem (or its data, when it needs no venue) within about
    its timeout, and the server answers a health probe meanwhile."""
    timeouts = {f"operation_timeout_{c}_s": 1.0 for c in TIMEOUT_CLASSES}
    reads = {f"{v}_read_timeout_s": 5.0 for v in ("binance", "okx", "feargreed", "coingecko")}
    server = api(**timeouts, **reads)
    replay.fault(route="*", latency_ms=5000)
    took: dict[str, float] = {}

    async def one(
        client: httpx.AsyncClient, op_id: str, params: httpx.QueryParams
    ) -> httpx.Response:
        started = time.perf_counter()
        answer = await client.get(f"/api/v1/{op_id}", params=params)
        took[op_id] = time.perf_counter() - started
        return answer

    reads_only = [op for op in REGISTRY if not op.consequential]
    async with httpx.AsyncClient(timeout=30, base_url=server.url) as client:
        calls = [
            one(client, op.id, query_params({v.name: v.example for v in op.variables}))
            for op in reads_only
        ]
        answers = asyncio.gather(*calls)
        await asyncio.sleep(0.3)
        health = await client.get("/healthz")
        done = await answers
    assert health.status_code == 200
    codes = {}
    for op, answer in zip(reads_only, done, strict=True):
        assert answer.status_code != 500, (op.id, answer.text)
        if answer.status_code != 200:
            assert answer.headers["content-type"] == "application/problem+json", op.id
            codes[op.id] = answer.json()["code"]
        assert took[op.id] < 2.0, (op.id, took[op.id])  # the 1 s timeout, and a loaded CI
    timed_out = [op_id for op_id, code in codes.items() if code == "TIMEOUT"]
    assert len(timed_out) >= 12, codes  # every operation that reads a venue
    assert set(codes.values()) <= {"TIMEOUT", "NOT_CONFIGURED", "INGEST_NOT_RUNNING"}, codes


async def test_hostile_parameters_and_bodies_are_coded_4xx(api: Callable[..., ApiServer]) -> None:
    server = api()
    async with httpx.AsyncClient(timeout=30, base_url=server.url) as client:
        deep = await client.post(
            "/invoke", content=b"[" * 5000, headers={"content-type": "application/json"}
        )
        deep_params = await client.post(
            "/invoke",
            content=b'{"operation":"signals.get","params":{"ticker":'
            + b"[" * 3000
            + b"]" * 3000
            + b"}}",
            headers={"content-type": "application/json"},
        )
        not_an_object = await client.post("/invoke", json=[1, 2])
        no_name = await client.post("/invoke", json={"operation": 7})
        unknown = await client.post("/invoke", json={"operation": "signals.nope"})
        form = await client.post("/invoke", data={"operation": "signals.get"})
        too_big_int = await client.get("/api/v1/fearGreed", params={"limit": "2147483648"})
        far_past = await client.get(
            "/api/v1/newListings", params={"asOf": "0001-01-01T00:00:00+14:00"}
        )
        still = await client.get("/api/v1/fearGreed")
    assert (deep.status_code, deep.json()["code"]) == (400, "BAD_REQUEST")
    assert "nests deeper" in deep.json()["detail"]
    assert (deep_params.status_code, deep_params.json()["code"]) == (400, "BAD_REQUEST")
    assert (not_an_object.status_code, not_an_object.json()["code"]) == (400, "BAD_REQUEST")
    assert (no_name.status_code, no_name.json()["code"]) == (400, "BAD_REQUEST")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "UNKNOWN_OPERATION")
    assert "signals.get" in unknown.json()["detail"]
    assert (form.status_code, form.json()["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    assert (too_big_int.status_code, too_big_int.json()["code"]) == (400, "BAD_PARAMETER")
    assert (far_past.status_code, far_past.json()["code"]) == (400, "BAD_ARGUMENT")
    assert still.status_code == 200


async def test_a_body_that_never_arrives_is_answered_408(api: Callable[..., ApiServer]) -> None:
    server = api(body_timeout_s=1.0)
    port = int(server.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /invoke HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b'content-length: 100\r\n\r\n{"operation":'
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    writer.close()
    assert head.startswith(b"HTTP/1.1 408 ")


async def test_an_answer_over_the_limit_has_its_longest_lists_cut_and_says_so(
    api: Callable[..., ApiServer],
) -> None:
    """A real answer (three signals and an unknown ticker's error) cut to fit in 1,500
    characters: the longest lists by their own items are halved, `errors` is never cut,
    and the note says what was."""
    server = api()
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.get(
            f"{server.url}/api/v1/signals", params={"tickers": "BTC,ETH,SOL,NOSUCHCOIN"}
        )
    body = answer.json()
    errors = list(body["errors"])
    whole = len(json.dumps(body, separators=(",", ":"), ensure_ascii=False))
    assert whole > 1500
    cut = _trim(copy.deepcopy(body), 1500)
    assert cut is not None
    assert len(json.dumps(cut, separators=(",", ":"), ensure_ascii=False)) <= 1500
    assert cut["errors"] == errors  # what failed is all still said
    lists = cut["trimmed"]["lists"]
    assert lists and all(item["kept"] < item["of"] for item in lists)
    assert all(item["path"].startswith("signals") for item in lists), lists
    assert _trim(copy.deepcopy(body), 50) is None  # cannot fit: a problem, not a broken answer


async def test_typed_values_are_read_as_graphql_reads_them(api: Callable[..., ApiServer]) -> None:
    """JSON values (RPC and MCP arguments, a mutation's body) are checked against their
    variable's type as GraphQL checks them: 5.0 is the Int 5, a fraction or a list is not,
    and a number too large for a Float is a coded 400, not a server error."""
    server = api()
    async with httpx.AsyncClient(timeout=30, base_url=server.url) as client:

        async def invoke(operation: str, **params: object) -> httpx.Response:
            return await client.post("/invoke", json={"operation": operation, **params})

        whole = await invoke("futures.universe", first=5.0)
        fraction = await invoke("futures.universe", first=5.5)
        a_list = await invoke("signals.get", ticker=["BTC"])
        huge = await invoke("verdict.get", ticker="BTC", accountRiskPct=10**400)
    assert whole.status_code == 200, whole.text
    assert len(whole.json()["futuresUniverse"]["edges"]) <= 5
    for refused in (fraction, a_list, huge):
        assert refused.status_code == 400, refused.text
        assert refused.json()["code"] == "BAD_PARAMETER"
    assert "fraction" in fraction.json()["detail"]
