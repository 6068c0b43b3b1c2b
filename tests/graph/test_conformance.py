"""GraphQL over HTTP as its spec says: the spec's own audit suite (graphql-http), the
application/graphql-response+json status codes, and request errors that are 4xx on either
media type (non-object bodies, subscriptions, ambiguous or unknown operations, mutations
over GET, content types a cross-site form could send)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.clients import node
from tests.support import ApiServer

GRJ = "application/graphql-response+json"
JSON = {"content-type": "application/json"}
ASKS_GRJ = {**JSON, "accept": GRJ}


def test_the_graphql_over_http_audit_suite_passes_every_audit(
    api: Callable[..., ApiServer],
) -> None:
    server = api()
    audit = node("audit.mjs", f"{server.url}/graphql")
    assert audit["notOk"] == []
    assert (audit["total"], audit["ok"]) == (61, 61)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"query": "{"}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "{ nope }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "query($t: String!) { symbol(ticker: $t) { price } }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "query($t: String!) { symbol(ticker: $t) { price } }", "variables": {"t": 5}},
         "GRAPHQL_VALIDATION_FAILED"),
    ],
)  # fmt: skip
async def test_a_request_that_never_ran_is_a_400_without_data_under_graphql_response_json(
    api: Callable[..., ApiServer], body: dict[str, object], code: str
) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        strict = await client.post(f"{server.url}/graphql", json=body, headers=ASKS_GRJ)
        legacy = await client.post(f"{server.url}/graphql", json=body, headers=JSON)
    assert strict.status_code == 400, strict.text
    assert strict.headers["content-type"] == f"{GRJ}; charset=utf-8"
    assert "data" not in strict.json()
    assert strict.json()["errors"][0]["extensions"]["code"] == code
    # application/json keeps the 200 (and the null data) that spec asks for there
    assert legacy.status_code == 200 and legacy.headers["content-type"] == "application/json"
    assert legacy.json()["data"] is None
    assert legacy.json()["errors"][0]["extensions"]["code"] == code


async def test_an_answer_that_ran_is_a_200_under_graphql_response_json_cache_hit_too(
    api: Callable[..., ApiServer],
) -> None:
    server = api()
    query = {"query": '{ symbol(ticker: "BTC") { price } }'}
    field_error = {"query": '{ symbol(ticker: "NOPE") { price } }'}
    async with httpx.AsyncClient() as client:
        miss = await client.post(f"{server.url}/graphql", json=query, headers=ASKS_GRJ)
        hit = await client.post(f"{server.url}/graphql", json=query, headers=ASKS_GRJ)
        failed = await client.post(f"{server.url}/graphql", json=field_error, headers=ASKS_GRJ)
    for answer in (miss, hit, failed):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == f"{GRJ}; charset=utf-8"
    assert (miss.headers["x-response-cache"], hit.headers["x-response-cache"]) == ("miss", "hit")
    assert isinstance(miss.json()["data"]["symbol"]["price"], float)
    assert hit.json()["data"] == miss.json()["data"]
    # a field that failed: the operation ran, so 200 with its data (the field null) and errors
    assert failed.json()["data"] == {"symbol": None}
    assert failed.json()["errors"][0]["extensions"]["code"] == "UNKNOWN_SYMBOL"


@pytest.mark.parametrize("body", [b"42", b"null", b"true", b'"x"', b"[]", b"{}"])
async def test_a_body_that_is_not_a_request_object_is_a_400_in_graphql_shape(
    api: Callable[..., ApiServer], body: bytes
) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{server.url}/graphql", content=body, headers=JSON)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_operation_selection_errors_are_400_and_a_named_one_runs(
    api: Callable[..., ApiServer],
) -> None:
    server = api()
    two = "query A { a: __typename } query B { b: __typename }"
    url = f"{server.url}/graphql"
    async with httpx.AsyncClient() as client:
        ambiguous = await client.post(url, json={"query": two}, headers=JSON)
        named = await client.post(url, json={"query": two, "operationName": "B"}, headers=JSON)
        first = await client.post(url, json={"query": two, "operationName": "A"}, headers=JSON)
        unknown = await client.post(url, json={"query": two, "operationName": "C"}, headers=JSON)
        subscription = "subscription { liquidations { ticker } }"
        posted = await client.post(url, json={"query": subscription}, headers=JSON)
        got = await client.get(url, params={"query": subscription})
    for refused in (ambiguous, unknown, posted, got):
        assert refused.status_code == 400, refused.text
        assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "operationName" in ambiguous.json()["errors"][0]["message"]
    assert "WebSocket" in posted.json()["errors"][0]["message"]
    assert "text/event-stream" in got.json()["errors"][0]["message"]
    assert (named.json()["data"], first.json()["data"]) == ({"b": "Query"}, {"a": "Query"})


async def test_a_mutation_over_get_is_405_and_posts_a_form_cannot_send_are_415(
    api: Callable[..., ApiServer],
) -> None:
    server = api()
    url = f"{server.url}/graphql"
    mutation = '{"query": "mutation { __typename }"}'
    async with httpx.AsyncClient() as client:
        got = await client.get(url, params={"query": "mutation { __typename }"})
        # what a cross-site page can POST without a preflight: a form or text/plain
        forms = [
            await client.post(url, content=mutation, headers={"content-type": kind})
            for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data")
        ]
        bare = await client.post(url, content=mutation, headers={"content-type": ""})
    assert got.status_code == 405 and got.headers["allow"] == "POST"
    assert got.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    for refused in (*forms, bare):
        assert refused.status_code == 415, refused.text
        assert refused.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_head_answers_as_get_without_the_body(api: Callable[..., ApiServer]) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        page = await client.get(f"{server.url}/graphql", headers={"accept": "text/html"})
        head = await client.head(f"{server.url}/graphql", headers={"accept": "text/html"})
    assert (page.status_code, head.status_code) == (200, 200)
    assert head.headers["content-type"] == page.headers["content-type"]
    assert head.headers["content-length"] == str(len(page.content))


def test_an_error_at_a_field_path_is_never_taken_for_a_request_error() -> None:
    from graph.server.view import _request_error
    from resolvers.loaders import RequestMeta

    meta = RequestMeta(graphql_response=True)
    # a non-null root field failed while the operation ran (a venue's 429, say)
    ran = {"data": None, "errors": [{"message": "x", "path": ["ask"],
                                     "extensions": {"code": "RATE_LIMITED"}}]}  # fmt: skip
    _request_error(meta, ran)  # type: ignore[arg-type]
    assert meta.status is None and "data" in ran
    never = {"data": None, "errors": [{"message": "x", "extensions": {"code": "UNAUTHENTICATED"}}]}
    _request_error(meta, never)  # type: ignore[arg-type]
    assert meta.status == 401 and "data" not in never
    assert meta.headers["www-authenticate"] == "Bearer"


async def test_a_lone_surrogate_in_get_variables_is_a_400(api: Callable[..., ApiServer]) -> None:
    server = api()
    async with httpx.AsyncClient() as client:
        answer = await client.get(
            f"{server.url}/graphql",
            params={"query": "query($a: String) { __typename }", "variables": '{"a": "\\ud800"}'},
        )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "surrogate" in answer.json()["errors"][0]["message"]


def test_a_budget_429_from_inside_a_resolver_has_no_data_and_long_accepts_are_not_kept() -> None:
    from graph.server.view import _negotiate_cached, _request_error, negotiate
    from resolvers.loaders import RequestMeta

    meta = RequestMeta(graphql_response=True, status=429)  # ask charged the budget: spent
    answer = {"data": None, "errors": [{"message": "x", "path": ["ask"],
                                        "extensions": {"code": "RATE_LIMITED"}}]}  # fmt: skip
    _request_error(meta, answer)  # type: ignore[arg-type]
    assert meta.status == 429 and "data" not in answer
    _negotiate_cached.cache_clear()
    assert negotiate("application/*;q=0.9, text/event-stream;q=0.5") == (False, True, False)
    assert negotiate("text/event-stream") == (False, True, True)
    assert negotiate("x/" + "y" * 5000) == (False, False, False)
    assert _negotiate_cached.cache_info().currsize == 2  # the long one was not kept
