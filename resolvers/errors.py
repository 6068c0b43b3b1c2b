"""Errors the resolvers raise besides ``providers.errors`` and ``engine.symbols.UnknownSymbol``."""

from __future__ import annotations

from providers.errors import ProviderError


class InvalidArgument(ValueError):
    """A client argument is out of range; ``code`` is stable (BAD_INTERVAL, BAD_LIMIT...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FallbackExhausted(Exception):
    """The primary venue failed and so did the fallback venue. Reported as the primary."""

    def __init__(self, primary: ProviderError, fallback: ProviderError) -> None:
        super().__init__(primary.message)
        self.primary = primary
        self.fallback = fallback


class SourceNotConfigured(InvalidArgument):
    """A source this deployment has no key or setting for (code ``NOT_CONFIGURED``)."""

    def __init__(self, message: str) -> None:
        super().__init__("NOT_CONFIGURED", message)


def check_limit(name: str, value: int, low: int, high: int, code: str = "BAD_LIMIT") -> int:
    if not low <= value <= high:
        raise InvalidArgument(code, f"{name} must be between {low} and {high}, got {value}")
    return value


def check_period(name: str, value: int, low: int, high: int) -> int:
    """An indicator period: out of range is ``BAD_PERIOD`` wherever the period is asked."""
    return check_limit(name, value, low, high, code="BAD_PERIOD")


__all__ = [
    "FallbackExhausted",
    "InvalidArgument",
    "SourceNotConfigured",
    "check_limit",
    "check_period",
]
