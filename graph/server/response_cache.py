"""Whole-response cache for hot GraphQL queries.

A query asked again while the data behind its answer is fresh is not executed at all: the
stored JSON bytes are sent. The key is (document, variables, operation name); an entry lives
no longer than the shortest remaining TTL of the datasets the response used, and only
error-free responses built from fresh data are stored. In-memory (bounded, LRU) by default;
shared through Redis when it is configured.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from graphql import OperationType
from redis.asyncio import Redis

from graph.guard.extension import operation_type


def cache_key(body: dict[str, Any]) -> str:
    raw = json.dumps(
        [body.get("query"), body.get("variables") or {}, body.get("operationName")],
        sort_keys=True,
        separators=(",", ":"),
    )
    return "resp:" + hashlib.sha256(raw.encode()).hexdigest()


CACHED_DOCUMENT_CHARS = 4096  # hot queries are small; a larger one is looked at afresh


def is_query(document: str, operation_name: str | None, max_tokens: int) -> bool:
    """True when the operation to run is a query (not a mutation or subscription)."""
    if len(document) > CACHED_DOCUMENT_CHARS:
        return _is_query(document, operation_name, max_tokens)
    return _is_query_cached(document, operation_name, max_tokens)


def _is_query(document: str, operation_name: str | None, max_tokens: int) -> bool:
    return operation_type(document, operation_name, max_tokens) is OperationType.QUERY


_is_query_cached = lru_cache(maxsize=1024)(_is_query)  # at most 4 MiB of document text


class ResponseStore(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def set(self, key: str, body: bytes, ttl_s: float) -> None: ...


class MemoryResponseStore:
    """Bounded LRU of (expires_at, bytes)."""

    shared = False

    def __init__(self, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries
        self._clock = clock

    async def get(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[0] <= self._clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item[1]

    async def set(self, key: str, body: bytes, ttl_s: float) -> None:
        self._items[key] = (self._clock() + ttl_s, body)
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)


class RedisResponseStore:
    """The same on Redis, so every API instance reuses it. Millisecond TTLs (PX)."""

    shared = True  # its calls go through the endpoint's Redis breaker

    def __init__(self, client: Redis, namespace: str) -> None:
        self._client = client
        self._prefix = f"{namespace}:"

    async def get(self, key: str) -> bytes | None:
        value = await self._client.get(self._prefix + key)
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, body: bytes, ttl_s: float) -> None:
        ttl_ms = int(ttl_s * 1000)
        if ttl_ms > 0:
            await self._client.set(self._prefix + key, body, px=ttl_ms)


__all__ = ["MemoryResponseStore", "RedisResponseStore", "ResponseStore", "cache_key", "is_query"]
