"""The import direction of DESIGN.md: graph -> resolvers -> providers -> engine.

No package imports one above it, and ``engine`` imports no I/O library.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["engine", "providers", "resolvers", "graph"]  # lowest first
IO_LIBRARIES = {"strawberry", "httpx", "asyncpg", "aiocache", "pydantic", "pydantic_settings",
                "redis", "starlette", "uvicorn", "websockets", "prometheus_client", "graphql"}  # fmt: skip


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", LAYERS)
def test_no_package_imports_a_layer_above_it(package: str) -> None:
    above = set(LAYERS[LAYERS.index(package) + 1 :])
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & above) for path in _modules(package)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_engine_imports_no_io_library() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & IO_LIBRARIES)
        for path in _modules("engine")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_checker_sees_imports() -> None:
    """Guard against a vacuous pass: the walker finds the imports we know are there."""
    assert "httpx" in _imports(ROOT / "providers" / "http.py")
    assert "engine" in _imports(ROOT / "resolvers" / "market.py")
    assert len(_modules("engine")) >= 3
