"""Artifacts that must stay in step with the code: schema.graphql and .env.example."""

from __future__ import annotations

import re
from pathlib import Path

from graph.schema import build_schema
from graph.server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_schema_graphql_matches_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    current = build_schema().as_str() + "\n"
    assert committed == current, "schema.graphql is out of date: run `make schema`"


def test_env_example_lists_every_setting() -> None:
    text = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*PERPGRAPH_([A-Z0-9_]+)=", text, flags=re.MULTILINE))
    fields = {name.upper() for name in Settings.model_fields}
    assert listed == fields


def test_settings_are_frozen_and_built_from_a_dict() -> None:
    s = Settings(port=9001, ttl_price_s=2.5)
    assert (s.port, s.ttl_price_s) == (9001, 2.5)
    try:
        s.port = 1  # type: ignore[misc]
    except Exception as exc:  # pydantic raises ValidationError for frozen models
        assert "frozen" in str(exc).lower()
    else:
        raise AssertionError("settings must be immutable")


def test_secrets_are_not_shown() -> None:
    s = Settings(redis_url="redis://:hunter2@127.0.0.1:6379/0")
    assert "hunter2" not in repr(s)
    assert "hunter2" not in str(s.model_dump())
