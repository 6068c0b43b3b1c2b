"""README examples work as written against the replay, and its settings table is complete."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx

from graph.server.settings import Settings
from tests.support import ApiServer, gql

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
EXAMPLES = re.findall(r"```graphql\n(.*?)```", README, flags=re.DOTALL)


async def test_every_graphql_example_answers_without_errors(api: Callable[..., ApiServer]) -> None:
    assert len(EXAMPLES) >= 6
    server = api()
    async with httpx.AsyncClient() as client:
        for example in EXAMPLES:
            result = await gql(client, server.url, example)
            assert "errors" not in result, (example, result["errors"])
            assert all(value is not None for value in result["data"].values()), example


def test_readme_settings_table_lists_every_setting() -> None:
    listed = set(re.findall(r"^\| `PERPGRAPH_([A-Z0-9_]+)` \|", README, flags=re.MULTILINE))
    assert listed == {name.upper() for name in Settings.model_fields}
