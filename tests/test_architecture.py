"""The house rules of DESIGN.md, read from the source.

* Imports run one way: graph -> resolvers -> providers -> engine; ``engine`` imports no I/O
  library.
* No import circle inside ``resolvers`` or ``graph``, counting imports under
  ``TYPE_CHECKING`` and inside functions; the one allowed pair is Signal <-> Verdict, whose
  Signal -> Verdict side must stay lazy.
* ``graph/types`` and ``graph/roots`` import no server module; ``graph/types`` no root.
* ``graph/server`` is the only place in ``graph`` and ``resolvers`` that builds I/O objects
  (HTTP clients, caches, stores, provider clients, streams, background senders).
* What serves a request (``resolvers``, ``graph/types``, ``graph/roots``) raises no bare
  built-in exception: its errors belong to the trees of ``providers/errors.py`` and
  ``resolvers/errors.py``, which the API maps to codes.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["engine", "providers", "resolvers", "graph"]  # lowest first
IO_LIBRARIES = {"strawberry", "httpx", "asyncpg", "aiocache", "pydantic", "pydantic_settings",
                "redis", "starlette", "uvicorn", "websockets", "prometheus_client", "graphql"}  # fmt: skip
# constructors (and factories) of I/O objects: only graph/server calls them
IO_BUILDERS = {
    "AsyncClient", "UpstreamHttp", "SharedCache", "build_backend", "Cache", "Redis", "from_url",
    "create_pool", "HistoryStore", "LiquidationBus", "LiquidationHub", "SignalUpdateFeed",
    "Alerts", "TelegramClient", "AiJudgeClient", "BinanceFuturesClient", "OkxClient",
    "FearGreedClient", "CoinglassClient", "LunarCrushClient", "HyperliquidClient",
    "CoinGeckoClient", "BinanceLiquidationStream", "OkxLiquidationStream",
    "CoinglassLiquidationStream", "KeyStore", "RateLimiter", "RedisStorage", "MemoryStorage",
}  # fmt: skip
# the Signal type's `verdict` field resolves to the Verdict type, which shows its signal
LAZY_PAIR = ("graph.types.signal", "graph.types.verdict")


@dataclass(frozen=True)
class Import:
    module: str  # the project module (or package) imported
    lazy: bool  # under ``if TYPE_CHECKING:`` or inside a function


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


PROJECT = {module_name(p) for layer in LAYERS for p in _modules(layer)}


def _target(module: str, name: str | None) -> str:
    """``from module import name``: the submodule when ``name`` is one, else the module."""
    if name is not None and f"{module}.{name}" in PROJECT:
        return f"{module}.{name}"
    return module


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, lazy: bool) -> Iterator[tuple[ast.AST, bool]]:
    for child in ast.iter_child_nodes(node):
        inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        inner = inner or (isinstance(child, ast.If) and _is_type_checking(child))
        yield child, inner
        yield from _walk(child, inner)


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    """The module a ``from`` import names, relative ones (``from ..server import x``)
    resolved against the importing module's package."""
    if node.level == 0:
        return node.module or ""
    parts = module_name(path).split(".")
    package = parts if path.name == "__init__.py" else parts[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def project_imports(path: Path) -> list[Import]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[Import] = []
    for node, lazy in _walk(tree, False):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(path, node)
            names = [_target(module, alias.name) for alias in node.names]
        else:
            continue
        found += [Import(n, lazy) for n in names if n in PROJECT]
    return found


BUILTIN_ERRORS = {
    name for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
}  # fmt: skip


def bare_raises(path: Path) -> list[str]:
    """``raise ValueError(...)`` and the like: built-in exceptions raised by name."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id in BUILTIN_ERRORS:
                found.append(f"{exc.id} line {node.lineno}")
    return found


def _top_imports(path: Path) -> set[str]:
    """Top-level package names imported anywhere in the module (project or not)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(_absolute(path, node).split(".")[0])
    return names


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in edges.get(v, ()):
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def import_graph(package: str) -> dict[str, set[str]]:
    """Module -> project modules of the same package it imports (the lazy pair's lazy side
    left out)."""
    edges: dict[str, set[str]] = {}
    for path in _modules(package):
        name = module_name(path)
        targets = set()
        for imp in project_imports(path):
            if imp.module.split(".")[0] != package or imp.module == name:
                continue
            if (name, imp.module) == LAZY_PAIR and imp.lazy:
                continue
            targets.add(imp.module)
        edges[name] = targets
    return edges


def io_builder_calls(path: Path) -> list[str]:
    """Calls of an I/O builder, also under another name (``import X as Y``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    renamed = {
        alias.asname: alias.name.split(".")[-1]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
        if alias.asname
    }
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            name = renamed.get(name or "", name)
            if name in IO_BUILDERS:
                calls.append(f"{name}() line {node.lineno}")
    return calls


# -- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize("package", LAYERS)
def test_no_package_imports_a_layer_above_it(package: str) -> None:
    above = set(LAYERS[LAYERS.index(package) + 1 :])
    offenders = {
        str(path.relative_to(ROOT)): sorted(_top_imports(path) & above)
        for path in _modules(package)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_engine_imports_no_io_library() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_top_imports(path) & IO_LIBRARIES)
        for path in _modules("engine")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("package", ["resolvers", "graph"])
def test_no_import_circle_inside_a_package(package: str) -> None:
    assert circles(import_graph(package)) == []


def test_the_signal_verdict_pair_stays_lazy_on_the_signal_side() -> None:
    signal = ROOT / "graph" / "types" / "signal.py"
    to_verdict = [i for i in project_imports(signal) if i.module == LAZY_PAIR[1]]
    assert to_verdict and all(i.lazy for i in to_verdict)


@pytest.mark.parametrize(
    ("room", "forbidden"),
    [
        ("graph/types", ("graph.server", "graph.roots", "graph.schema")),
        ("graph/roots", ("graph.server", "graph.schema")),
    ],
)
def test_types_and_roots_import_no_server_module(room: str, forbidden: tuple[str, ...]) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            {i.module for i in project_imports(path) if i.module.startswith(forbidden)}
        )
        for path in sorted((ROOT / room).rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_only_graph_server_builds_io() -> None:
    server = ROOT / "graph" / "server"
    paths = [p for pkg in ("graph", "resolvers") for p in _modules(pkg) if server not in p.parents]
    offenders = {str(p.relative_to(ROOT)): io_builder_calls(p) for p in paths}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_what_serves_a_request_raises_no_bare_builtin_exception() -> None:
    rooms = [ROOT / "resolvers", ROOT / "graph" / "types", ROOT / "graph" / "roots"]
    offenders = {
        str(p.relative_to(ROOT)): bare_raises(p)
        for room in rooms
        for p in sorted(room.rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


# -- the checkers see what they check ----------------------------------------------------------


def test_the_checkers_see_imports_circles_and_builders() -> None:
    """Guard against vacuous passes: each checker finds what is known to be there."""
    assert "httpx" in _top_imports(ROOT / "providers" / "http.py")
    assert "engine" in _top_imports(ROOT / "resolvers" / "market.py")
    assert len(_modules("engine")) >= 3
    # a submodule imported by ``from package import name`` is an edge to that submodule
    market = {i.module for i in project_imports(ROOT / "resolvers" / "market.py")}
    assert {"resolvers.datasets", "resolvers.context"} <= market
    assert import_graph("graph")["graph.schema"] >= {"graph.roots.signals", "graph.errors"}
    # the TYPE_CHECKING and function-local imports of the lazy pair are seen, and lazy
    signal = project_imports(ROOT / "graph" / "types" / "signal.py")
    assert {i.lazy for i in signal if i.module == LAZY_PAIR[1]} == {True}
    # relative imports resolve against the importing module's package
    replay = {i.module for i in project_imports(ROOT / "providers" / "replay" / "binance.py")}
    assert {"providers.replay.binance_data", "providers.replay.klines"} <= replay
    assert "providers" in _top_imports(ROOT / "providers" / "replay" / "binance.py")
    # a circle is found, with its members
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"a"}}) == [["a"]]
    # a bare raise is seen (the settings' validators raise ValueError, as pydantic wants)
    assert {r.split()[0] for r in bare_raises(ROOT / "graph" / "server" / "settings.py")} == {
        "ValueError"
    }
    # the composition root is seen building the I/O
    built = " ".join(io_builder_calls(ROOT / "graph" / "server" / "services.py"))
    assert "AsyncClient()" in built and "SharedCache()" in built and "HistoryStore()" in built


def test_a_builder_under_another_name_is_still_seen(tmp_path: Path) -> None:
    module = tmp_path / "sneaky.py"
    module.write_text("from httpx import AsyncClient as _C\n\nclient = _C()\n")
    assert io_builder_calls(module) == ["AsyncClient() line 3"]
