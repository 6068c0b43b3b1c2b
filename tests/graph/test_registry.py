"""The operation registry: every document fits the schema, covers what the surfaces must
offer, and a document that cannot be served is refused at load, naming its file; the
OpenAPI document generated from it is valid and says what GPT Actions need."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_spec_validator import validate as validate_openapi

from graph.operations import Registry, RegistryError, load_registry
from graph.operations.openapi import openapi
from graph.operations.registry import MAX_DESCRIPTION, MAX_SUMMARY
from graph.schema import build_schema

SCHEMA = build_schema()._schema
REQUIRED = {  # the list (ask and MSS join when they land)
    "symbol", "signal", "signals", "marketSummary", "scalping", "verdict", "indicators",
    "smc", "liquidationStats", "futuresUniverse", "newListings", "discoverCoins", "trending",
    "smartMoneyScan", "fearGreed", "signalHistory", "verdictAccuracy", "cacheStats",
    "recordSignal",
}  # fmt: skip
RPC = {  # the replaced system's operation names
    "signals.get": "signal", "signals.batch": "signals", "market.summary": "marketSummary",
    "scalping.analyze": "scalping", "scalping.quick": "scalping",
    "new_listings.binance": "newListings", "smart_money.scan": "smartMoneyScan",
    "smart_money.analyze": "smartMoneyAnalyze", "coins.discover": "discoverCoins",
    "verdict.get": "verdict", "history.signals": "signalHistory", "cache.stats": "cacheStats",
    "mss.analyze": "mssAnalyze", "mss.info": "mssInfo", "mss.scan": "mssScan",
    "mss.watch": "mssWatch", "mss.unwatch": "mssUnwatch", "mss.watchlist": "mssWatchlist",
}  # fmt: skip
SIGNAL = (Path(__file__).parents[2] / "graph/operations/signal.graphql").read_text()


def test_every_document_fits_the_schema_and_the_limits() -> None:
    registry = load_registry()
    registry.validate(SCHEMA)
    assert set(registry.operations) >= REQUIRED
    assert {name: registry.by_rpc[name].id for name in RPC} == RPC
    for op in registry:
        assert len(op.summary) <= MAX_SUMMARY
        assert all(0 < len(v.description) <= MAX_DESCRIPTION for v in op.variables)
    assert sorted(op.id for op in registry if op.consequential) == [
        "mssUnwatch",
        "mssWatch",
        "recordSignal",
    ]


def _one(tmp_path: Path, name: str, text: str) -> Registry:
    (tmp_path / f"{name}.graphql").write_text(text)
    return load_registry(tmp_path)


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda t: t.replace("#| summary = ", '#| summary = "' + "x" * 301 + '" #'), "300"),
        (lambda t: t.replace("[variables.mode]", "[variables.moods]"), "metadata for"),
        (lambda t: t + "\nquery other { fearGreed { value } }", "2 operations"),
        (lambda t: t.replace("query signal(", "query signalz("), "not 'signal'"),
        (lambda t: t.replace('#| rpc = ["signals.get"]', "#| rpc = 3"), "metadata"),
        (lambda t: t.replace("#| timeout = ", "#| colour = "), "metadata"),
        (lambda t: t.replace("query signal(", "subscription signal("), "queries and mutations"),
    ],
)
def test_a_document_that_cannot_be_served_is_refused_naming_its_file(
    tmp_path: Path, change: object, said: str
) -> None:
    with pytest.raises(RegistryError) as refused:
        _one(tmp_path, "signal", change(SIGNAL))  # type: ignore[operator]
    assert str(refused.value).startswith("signal.graphql: ") and said in str(refused.value)


def test_examples_and_fields_are_checked_against_the_schema(tmp_path: Path) -> None:
    wrong_example = _one(
        tmp_path, "signal", SIGNAL.replace('example = "AGGRESSIVE"', 'example = "NOPE"')
    )
    with pytest.raises(RegistryError, match=r"signal\.graphql: example of \$mode"):
        wrong_example.validate(SCHEMA)
    unknown_field = _one(tmp_path, "signal", SIGNAL.replace("    reasons\n", "    reasonz\n"))
    with pytest.raises(RegistryError, match=r"signal\.graphql: Cannot query field 'reasonz'"):
        unknown_field.validate(SCHEMA)


def test_the_openapi_document_is_valid_and_complete_for_gpt_actions() -> None:
    registry = load_registry()
    document = openapi(
        registry, SCHEMA, server_url="https://api.example.org", version="1", anonymous=False
    )
    validate_openapi(document)
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert len(operations) == len(registry)
    for op in operations:
        assert op["operationId"] in registry.operations and len(op["summary"]) <= 300
        consequential = op["operationId"] in ("recordSignal", "mssWatch", "mssUnwatch")
        assert op["x-openai-isConsequential"] is consequential
        for parameter in op.get("parameters", []):
            assert parameter["description"] and "example" in parameter and parameter["schema"]
        assert set(op["responses"]) == {"200", "4XX", "5XX"}
    assert document["servers"] == [{"url": "https://api.example.org"}]
    assert document["security"] == [{"ApiKey": []}, {"Bearer": []}]  # no anonymous: a key
    mode = document["paths"]["/api/v1/signal"]["get"]["parameters"][1]["schema"]
    assert {"CONSERVATIVE", "AGGRESSIVE", "ULTRA", "1", "safe", "scalping"} <= set(mode["enum"])
    gpt = openapi(registry, SCHEMA, server_url="x", version="1", anonymous=True, limit=30)
    assert len(gpt["paths"]) <= 30 and gpt["security"][-1] == {}
