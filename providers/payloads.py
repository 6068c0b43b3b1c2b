"""What every venue's payload models share: the frozen base model, blank-tolerant numbers,
the as-of rule, and the one place a pydantic ``ValidationError`` becomes ``ProviderBadData``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from providers.errors import ProviderBadData

T = TypeVar("T")


def blank_to_none(value: Any) -> Any:
    """Venues send ``""`` for a value they do not have; that is an absent value."""
    return None if value == "" else value


OptFloat = Annotated[float | None, BeforeValidator(blank_to_none)]
OptInt = Annotated[int | None, BeforeValidator(blank_to_none)]


class Payload(BaseModel):
    """Base of every payload model: frozen, extra fields ignored, no NaN or infinity."""

    model_config = ConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)


def as_of(venue_ms: int | None, received_ms: int) -> int:
    """The venue's own timestamp when it sent one (0 counts as none), else receipt time."""
    return venue_ms if venue_ms else received_ms


def validated(parse: Callable[[Any], T], body: Any, provider: str, endpoint: str) -> T:
    """``parse(body)``, with a validation failure reported as ``ProviderBadData``."""
    try:
        return parse(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ProviderBadData(
            f"{provider} sent a payload that failed validation "
            f"({exc.error_count()} error(s); first at {where}: {first['msg']})",
            provider=provider,
            endpoint=endpoint,
        ) from exc


__all__ = [
    "OptFloat",
    "OptInt",
    "Payload",
    "as_of",
    "blank_to_none",
    "validated",
]
