"""The history store's place in the error tree, and the one converter of asyncpg failures.

    ProviderError (providers.errors)                                          provider="history"
    ├── ProviderUnavailable
    │   ├── UpstreamTimeout        a query or connect timed out                 UPSTREAM_TIMEOUT
    │   └── UpstreamUnreachable    PostgreSQL refused, dropped or terminated    UPSTREAM_UNREACHABLE
    │                              the connection, or is shutting down / full
    ├── ProviderRejected
    │   ├── InvalidRecord          refused before SQL (NEUTRAL, NaN, naive      INVALID_RECORD
    │   │                          datetime...) or by a constraint
    │   └── InvalidQuery           a bad filter or page size                    BAD_ARGUMENT
    │       └── InvalidCursor      a cursor this store did not issue            BAD_CURSOR
    ├── OutboxFailed               the outbox file could not be written         OUTBOX_FAILED
    │   └── OutboxLocked           another process owns the outbox file         OUTBOX_LOCKED
    └── MigrationFailed            a migration's SQL failed (rolled back)       MIGRATION_FAILED

Writes never raise ``Upstream*``: while PostgreSQL is away they are acknowledged from the
outbox. Messages carry the exception class, SQLSTATE and the server's own message, never the
DSN or its password.
"""

from __future__ import annotations

import errno

import asyncpg

from providers.errors import (
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    UpstreamTimeout,
    UpstreamUnreachable,
)

PROVIDER = "history"


class InvalidRecord(ProviderRejected):
    code = "INVALID_RECORD"

    def __init__(self, message: str, endpoint: str = "record") -> None:
        super().__init__(message, provider=PROVIDER, endpoint=endpoint)


class InvalidQuery(ProviderRejected):
    code = "BAD_ARGUMENT"

    def __init__(self, message: str, endpoint: str = "history") -> None:
        super().__init__(message, provider=PROVIDER, endpoint=endpoint)


class InvalidCursor(InvalidQuery):
    code = "BAD_CURSOR"


class OutboxFailed(ProviderError):
    code = "OUTBOX_FAILED"

    def __init__(self, message: str, endpoint: str = "outbox") -> None:
        super().__init__(message, provider=PROVIDER, endpoint=endpoint)


class OutboxLocked(OutboxFailed):
    code = "OUTBOX_LOCKED"


class MigrationFailed(ProviderError):
    code = "MIGRATION_FAILED"

    def __init__(self, message: str) -> None:
        super().__init__(message, provider=PROVIDER, endpoint="migrate")


# -- classification ------------------------------------------------------------------------

# PostgreSQL is away or cannot take us now: the record waits in the outbox and is replayed.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable host, DNS (socket.gaierror)
    TimeoutError,  # connect timeout, command_timeout, pool acquire timeout
    asyncpg.PostgresConnectionError,  # class 08, incl. "closed in the middle of operation"
    asyncpg.exceptions.OperatorInterventionError,  # class 57: admin shutdown, terminated, starting
    asyncpg.exceptions.InsufficientResourcesError,  # class 53: too many connections, disk full
    asyncpg.exceptions.TransactionRollbackError,  # class 40: serialization failure, deadlock
    asyncpg.exceptions.ReadOnlySQLTransactionError,  # a standby during failover
)
# Client-side "the connection/pool is gone" (a pool closing at shutdown, a socket closed
# under an acquired connection): asyncpg raises the generic InterfaceError for these.
_CLOSED_MESSAGES = ("connection is closed", "pool is closing", "pool is closed")


def is_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says PostgreSQL cannot be reached or cannot serve us now."""
    if isinstance(exc, _UNAVAILABLE):
        return True
    if isinstance(exc, asyncpg.exceptions.InternalClientError):
        # a backend terminated while its connection sat in the pool leaves the protocol
        # mid-error ("cannot switch to state ..."); the pool replaces that connection
        return True
    return isinstance(exc, asyncpg.InterfaceError) and any(
        text in str(exc) for text in _CLOSED_MESSAGES
    )


def is_bad_record(exc: BaseException) -> bool:
    """True when PostgreSQL refused the row itself (class 22 data, class 23 constraint)."""
    return isinstance(
        exc,
        asyncpg.exceptions.DataError | asyncpg.exceptions.IntegrityConstraintViolationError,
    )


def describe(exc: BaseException) -> str:
    """A one-line, secret-free description: class, SQLSTATE / errno name, server message."""
    name = type(exc).__name__
    if isinstance(exc, asyncpg.PostgresError):
        return f"{name} [{exc.sqlstate}] {exc.args[0] if exc.args else ''}".rstrip()
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{name} [{errno.errorcode.get(exc.errno, exc.errno)}]"
    if isinstance(exc, asyncpg.InterfaceError):
        return f"{name}: {exc.args[0] if exc.args else ''}".rstrip(": ")
    return name


def unavailable(exc: BaseException, endpoint: str) -> ProviderUnavailable:
    """The tree's error for an unavailability of PostgreSQL (raise it ``from exc``)."""
    if isinstance(exc, TimeoutError):
        return UpstreamTimeout(
            f"PostgreSQL timed out: {describe(exc)}", provider=PROVIDER, endpoint=endpoint
        )
    return UpstreamUnreachable(
        f"PostgreSQL unavailable: {describe(exc)}", provider=PROVIDER, endpoint=endpoint
    )


__all__ = [
    "PROVIDER",
    "InvalidCursor",
    "InvalidQuery",
    "InvalidRecord",
    "MigrationFailed",
    "OutboxFailed",
    "OutboxLocked",
    "describe",
    "is_bad_record",
    "is_unavailable",
    "unavailable",
]
