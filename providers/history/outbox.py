"""The outbox: an append-only JSON-lines file every history write goes through first.

File format (one JSON object per line, UTF-8)::

    {"v":1,"key":"s:<signal id>","kind":"record","body":{...}}     an entry (fsynced)
    {"ack":"s:<signal id>"}                                         it is in PostgreSQL

An entry is pending from its line until an ``ack`` line for its key follows it.

Crash-safety, one rule per step:

1. ``append()`` returns only once the line is written and ``fsync``ed (and, when the file
   was just created, its directory too): whatever the caller was told is recorded survives
   a ``kill -9`` or a power cut. Concurrent appends share one write and one fsync (group
   commit), so a burst of records costs a few fsyncs, not one each.
2. An ``ack`` is written only after the PostgreSQL transaction holding the entry committed.
   Acks are not fsynced: a lost ack only means the entry is replayed, and every insert is
   ``ON CONFLICT DO NOTHING`` on the stable id, so a replay never doubles a row.
3. A line leaves the file only by compaction, which rewrites the still-pending entries to
   ``<file>.tmp``, fsyncs it, renames it over the file (atomic) and fsyncs the directory: a
   crash leaves the old complete file or the new one (a stale ``.tmp`` is deleted on open).
   The store compacts when the drain has emptied the backlog and on close; the writer also
   does once the file passes ``compact_bytes`` with at least half of it acknowledged.
4. A crash in the middle of a write leaves at most a torn last line; its entry was never
   acknowledged (fsync had not returned), so ``open()`` truncates it away. A complete line
   that does not parse is logged, counted and skipped.
5. One writer per file. Within a process one writer task does every write, in order; across
   processes an exclusive ``flock`` on ``<file>.lock`` (a sidecar, because compaction
   replaces the file itself) makes a second process fail with ``OutboxLocked``. The kernel
   drops the lock when its holder dies, even by SIGKILL.

Entries that PostgreSQL refuses for their content (a constraint) are copied to
``<file>.rejected`` (fsynced) before being acked, so nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from providers.history.errors import OutboxFailed, OutboxLocked

log = logging.getLogger("perpgraph.history")

_FORMAT = 1


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """One write waiting for PostgreSQL: ``kind`` says how ``body`` is inserted."""

    key: str
    kind: str
    body: dict[str, Any]

    def line(self) -> bytes:
        record = {"v": _FORMAT, "key": self.key, "kind": self.kind, "body": self.body}
        return json.dumps(record, separators=(",", ":"), allow_nan=False).encode() + b"\n"


class Outbox:
    """The append-only file of one store; see the module docstring for the guarantees."""

    def __init__(self, path: str | Path, *, compact_bytes: int = 1 << 20) -> None:
        self.path = Path(path)
        self._compact_bytes = compact_bytes
        self._fd: int | None = None
        self._lock_fd: int | None = None
        self._size = 0
        self._pending: dict[str, tuple[OutboxEntry, bytes]] = {}  # key -> entry, its line
        self._pending_bytes = 0
        self._appends: list[tuple[bytes, OutboxEntry, asyncio.Future[None]]] = []
        self._acks: list[str] = []
        self._compactions: list[asyncio.Future[None]] = []
        self._writer: asyncio.Task[None] | None = None
        self._rejected_lock = asyncio.Lock()
        self.corrupt_lines = 0

    # -- lifecycle ----------------------------------------------------------------------

    async def open(self) -> None:
        """Lock the file, repair a torn tail and load the pending entries (oldest first)."""
        try:
            await asyncio.to_thread(self._open_sync)
        except OSError as exc:
            raise OutboxFailed(
                f"outbox {self.path.name} cannot be opened: {type(exc).__name__} [{exc.errno}]"
            ) from exc

    async def close(self) -> None:
        """Write what is queued, then release the file and its lock."""
        await self.flush()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None

    # -- state --------------------------------------------------------------------------

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    def pending(self, limit: int | None = None) -> list[OutboxEntry]:
        """Pending entries in file order (at most ``limit``)."""
        entries = (entry for entry, _ in self._pending.values())
        return list(itertools.islice(entries, limit))

    @property
    def size_bytes(self) -> int:
        return self._size

    # -- writes -------------------------------------------------------------------------

    async def append(self, entry: OutboxEntry) -> None:
        """Write ``entry`` durably; on return it is on disk and counted as pending.

        Raises ``OutboxFailed`` when the disk refused it (then it was not recorded).
        """
        line = entry.line()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._appends.append((line, entry, done))
        self._kick()
        # a cancelled caller does not cancel the write: the entry may still be recorded
        await asyncio.shield(done)

    def ack(self, keys: Iterable[str]) -> None:
        """Mark entries as stored in PostgreSQL. Returns at once; the line follows."""
        for key in keys:
            done = self._pending.pop(key, None)
            if done is not None:
                self._pending_bytes -= len(done[1])
                self._acks.append(key)
        if self._acks:
            self._kick()

    async def compact(self) -> None:
        """Rewrite the file with only the pending entries (atomically)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._compactions.append(done)
        self._kick()
        await asyncio.shield(done)

    async def flush(self) -> None:
        """Wait until everything queued (appends, acks, compactions) is written."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def reject(self, entry: OutboxEntry, reason: str) -> None:
        """Keep a refused entry in ``<file>.rejected`` (fsynced), then ack it."""
        record = {"reason": reason, "entry": json.loads(entry.line())}
        line = json.dumps(record, separators=(",", ":")).encode() + b"\n"
        async with self._rejected_lock:
            await asyncio.to_thread(
                _append_durably, self.path.with_name(self.path.name + ".rejected"), line
            )
        self.ack([entry.key])

    # -- the writer task ----------------------------------------------------------------

    def _kick(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued(), name="history-outbox")

    async def _write_queued(self) -> None:
        while self._appends or self._acks or self._compactions:
            appends, self._appends = self._appends, []
            acks, self._acks = self._acks, []
            compactions, self._compactions = self._compactions, []
            data = b"".join(line for line, _, _ in appends)
            data += b"".join(_ack_line(key) for key in acks)
            try:
                if data:
                    await asyncio.to_thread(self._write_sync, data, bool(appends))
            except OSError as exc:
                log.error(
                    "history outbox: write failed (%s); %d records not recorded", exc, len(appends)
                )
                failure = OutboxFailed(f"outbox write failed: {type(exc).__name__} [{exc.errno}]")
                for _, _, done in appends:
                    if not done.done():
                        done.set_exception(failure)
            except BaseException as exc:  # cancelled at shutdown: callers must not hang
                for _, _, done in appends:
                    if not done.done():
                        done.set_exception(OutboxFailed(f"outbox writer stopped: {exc!r}"))
                raise
            else:
                for line, entry, done in appends:
                    self._register(entry, line)
                    if not done.done():
                        done.set_result(None)
            if compactions or self._worth_compacting():
                lines = [line for _, line in self._pending.values()]
                try:
                    await asyncio.to_thread(self._rewrite_sync, lines)
                except OSError as exc:  # either file is whole and in use; see _rewrite_sync
                    log.error("history outbox: compaction failed (%s)", exc)
                for done in compactions:
                    if not done.done():
                        done.set_result(None)

    def _register(self, entry: OutboxEntry, line: bytes) -> None:
        if entry.key not in self._pending:
            self._pending[entry.key] = (entry, line)
            self._pending_bytes += len(line)

    def _worth_compacting(self) -> bool:
        """Past ``compact_bytes``, once at least half the file is acknowledged lines."""
        return self._size >= self._compact_bytes and 2 * self._pending_bytes <= self._size

    # -- blocking file work (run in a thread, never two at once) -------------------------

    def _open_sync(self) -> None:
        created = _make_dirs(self.path.parent)
        lock_path = self.path.with_name(self.path.name + ".lock")
        lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_fd)
            raise OutboxLocked(f"outbox {self.path.name} is in use by another process") from None
        self._lock_fd = lock_fd
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path.with_name(self.path.name + ".tmp"))
        exists = self.path.exists()
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        if not exists or created:
            _fsync_dir(self.path.parent)
        data = _read_all(self._fd)
        end = data.rfind(b"\n") + 1
        if end < len(data):  # a torn last line: never acknowledged (see rule 4)
            log.warning("history outbox: dropping a torn last line (%d bytes)", len(data) - end)
            os.ftruncate(self._fd, end)
            os.fsync(self._fd)
            data = data[:end]
        self._size = end
        self._load(data)

    def _load(self, data: bytes) -> None:
        for raw in data.splitlines():
            line = raw + b"\n"
            try:
                record = json.loads(raw)
                if "ack" in record:
                    done = self._pending.pop(str(record["ack"]), None)
                    self._pending_bytes -= len(done[1]) if done is not None else 0
                    continue
                entry = OutboxEntry(str(record["key"]), str(record["kind"]), dict(record["body"]))
            except (ValueError, KeyError, TypeError):
                self.corrupt_lines += 1
                log.error(
                    "history outbox: skipping a line that does not parse (%d bytes)", len(raw)
                )
                continue
            self._register(entry, line)

    def _write_sync(self, data: bytes, sync: bool) -> None:
        if self._fd is None:
            raise OSError("outbox is not open")
        start = self._size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
            if sync:
                os.fsync(self._fd)
        except OSError:
            # leave no partial line behind for the next append to be glued to
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)
            raise
        self._size = start + len(data)

    def _rewrite_sync(self, lines: list[bytes]) -> None:
        """Write the pending lines to a temporary file and rename it over the outbox.

        The temporary file is opened for appending and its descriptor becomes the writer's
        the moment the rename is done, before anything else can fail: the writer never goes
        on appending to the replaced (deleted) file. A failure before the rename leaves the
        old file and descriptor in use, untouched.
        """
        tmp = self.path.with_name(self.path.name + ".tmp")
        data = b"".join(lines)
        fd = os.open(tmp, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
            os.replace(tmp, self.path)
        except BaseException:
            os.close(fd)
            raise
        old, self._fd, self._size = self._fd, fd, len(data)
        if old is not None:
            os.close(old)
        _fsync_dir(self.path.parent)  # the rename itself; a failure here is only logged


def _ack_line(key: str) -> bytes:
    return json.dumps({"ack": key}, separators=(",", ":")).encode() + b"\n"


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _make_dirs(directory: Path) -> bool:
    """Create ``directory`` and missing parents, fsyncing each new entry; True if created."""
    missing = []
    current = directory
    while not current.exists():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)
        _fsync_dir(path.parent)
    return bool(missing)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _append_durably(path: Path, line: bytes) -> None:
    exists = path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    if not exists:
        _fsync_dir(path.parent)


__all__ = ["Outbox", "OutboxEntry"]
