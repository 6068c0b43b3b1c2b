"""Lazy, cached access to the recorded files under ``providers/replay/data``.

Every file is read and parsed at most once per store (the first request that needs it), then
kept in memory. JSON numbers with a fraction or exponent are parsed as ``Decimal`` so the
recorded text survives unchanged ("102325.60" stays "102325.60", 6.818e-05 becomes
"0.00006818" on the wire, never a re-rounded float).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

__all__ = ["DEFAULT_DATA_DIR", "RecordedStore"]

DEFAULT_DATA_DIR = Path(__file__).resolve().parent / "data"

T = TypeVar("T")


class RecordedStore:
    """Reads recorded files relative to ``root``; each parse is cached for the store's life."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or DEFAULT_DATA_DIR).resolve()
        self._cache: dict[tuple[str, str], object] = {}
        # Handlers run on one event loop, but a store may be shared by servers in other threads.
        self._lock = threading.Lock()

    def path(self, rel: str) -> Path:
        return self.root / rel

    def exists(self, rel: str) -> bool:
        return self.path(rel).is_file()

    def raw(self, rel: str) -> bytes:
        """The file's bytes, for bodies served verbatim."""
        return self._cached(("raw", rel), lambda: self.path(rel).read_bytes())

    def text(self, rel: str) -> str:
        return self._cached(("text", rel), lambda: self.path(rel).read_text(encoding="utf-8"))

    def json(self, rel: str) -> Any:
        """Parsed JSON with non-integer numbers as ``Decimal`` (their recorded text kept)."""
        return self._cached(("json", rel), lambda: json.loads(self.text(rel), parse_float=Decimal))

    def jsonl(self, rel: str) -> list[Any]:
        """One parsed JSON value per non-empty line."""

        def load() -> list[Any]:
            lines = self.text(rel).splitlines()
            return [json.loads(line, parse_float=Decimal) for line in lines if line.strip()]

        return self._cached(("jsonl", rel), load)

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """Caches any value derived from recorded files (aggregated series, indexes)."""
        return self._cached(("memo", key), build)

    def _cached(self, key: tuple[str, str], build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._cache:
                return cast(T, self._cache[key])
        value = build()
        with self._lock:
            return cast(T, self._cache.setdefault(key, value))
