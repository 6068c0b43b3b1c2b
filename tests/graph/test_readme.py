"""README examples work as written against the replay, and its settings table is complete."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from graph.operations import load_registry
from graph.server.settings import Settings
from tests.support import ApiServer, gql

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
EXAMPLES = re.findall(r"```graphql\n(.*?)```", README, flags=re.DOTALL)
PYTHON_EXAMPLES = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
REST_EXAMPLES = [
    line.removeprefix("GET ")
    for block in re.findall(r"```http\n(.*?)```", README, flags=re.DOTALL)
    for line in block.splitlines()
    if line.startswith("GET ")
]


async def test_every_graphql_example_answers_without_errors(api: Callable[..., ApiServer]) -> None:
    assert len(EXAMPLES) >= 6
    server = api()
    async with httpx.AsyncClient() as client:
        for example in EXAMPLES:
            result = await gql(client, server.url, example)
            assert "errors" not in result, (example, result["errors"])
            assert all(value is not None for value in result["data"].values()), example


async def test_every_rest_example_answers_its_data(api: Callable[..., ApiServer]) -> None:
    assert len(REST_EXAMPLES) >= 5
    server = api()
    async with httpx.AsyncClient(timeout=30) as client:
        for example in REST_EXAMPLES:
            answer = await client.get(server.url + example)
            assert answer.status_code == 200, (example, answer.text[:300])
            assert answer.headers["content-type"] == "application/json", example
            body = answer.json()
            assert body and all(body[k] is not None for k in body if k != "errors"), example


def test_readme_settings_table_lists_every_setting() -> None:
    listed = set(re.findall(r"^\| `PERPGRAPH_([A-Z0-9_]+)` \|", README, flags=re.MULTILINE))
    assert listed == {name.upper() for name in Settings.model_fields}


def test_the_rpc_table_names_every_operation_by_its_rpc_names() -> None:
    rows = re.findall(r"^\| ((?:`[a-z_.]+`(?:, )?)+) \| `(\w+)` \|$", README, flags=re.MULTILINE)
    table = {op: tuple(re.findall(r"`([a-z_.]+)`", names)) for names, op in rows}
    assert table == {op.id: op.rpc for op in load_registry()}


async def test_the_mcp_example_runs_as_written(
    api: Callable[..., ApiServer], capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's MCP client, its address pointed at the test server, run as written."""
    (example,) = [e for e in PYTHON_EXAMPLES if "mcp" in e]
    server = api()
    code = example.replace("http://127.0.0.1:8000", server.url).replace("asyncio.run(main())", "")
    scope: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), scope)
    await scope["main"]()  # type: ignore[operator]
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"{len(load_registry())} tools"
    assert printed[1] in {"LONG", "SHORT", "NEUTRAL"}
    assert printed[2].startswith("Funding ETH")
