"""Strawberry object types, each built from domain objects (``from_domain``,
``from_cached``...); they import resolvers for lazy fields, never the server."""

from __future__ import annotations

from strawberry.types import Info

from graph.types import enums as enums  # registers the engine's enums first
from resolvers.context import Context

Ctx = Info[Context, None]  # what every resolver of this package receives

__all__ = ["Ctx"]
