"""Running the replay exchange under uvicorn on loopback.

``ReplayServer`` serves in a background thread (tests, ``perpgraph serve --replay``);
``run_replay`` blocks in the calling thread (``perpgraph replay``).
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from .app import ReplayApp, build_replay_app
from .faults import FaultRule

__all__ = ["ReplayServer", "run_replay"]

_EXPECTED_ABORT = "ASGI callable returned without completing response."


class _InjectedAbortFilter(logging.Filter):
    """Hides uvicorn's error line for the truncated/reset faults, which end a response early
    on purpose (that is how an ASGI app makes the server drop the connection)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != _EXPECTED_ABORT


_FILTER = _InjectedAbortFilter()


def _config(
    app: ReplayApp, log_level: str, host: str = "127.0.0.1", port: int = 0
) -> uvicorn.Config:
    logging.getLogger("uvicorn.error").addFilter(_FILTER)  # same instance: added once
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # leave logging setup to the host process
        log_level=log_level,
        access_log=False,
        lifespan="off",
        ws="websockets-sansio",  # the liquidation streams; no legacy websockets API
        timeout_graceful_shutdown=2,
        server_header=False,
    )


class ReplayServer:
    """The replay app under uvicorn on ``host:port`` in a daemon thread.

    ``port=0`` picks a free port. ``start()`` returns the base URL (``http://127.0.0.1:PORT``)
    once the server accepts connections; ``stop()`` shuts it down. Usable as a context
    manager. ``app.faults`` / ``app.calls`` control faults and read call counts in-process.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        data_dir: Path | None = None,
        faults: list[FaultRule] | None = None,
        log_level: str = "warning",
    ) -> None:
        self.host, self.port = host, port
        self.app = build_replay_app(data_dir, faults)
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> str:
        if self._thread is not None:
            return self.base_url
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        server = uvicorn.Server(_config(self.app, self._log_level))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="replay-exchange", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError(f"replay exchange did not start on {self.base_url}")
            time.sleep(0.005)
        return self.base_url

    def stop(self, timeout_s: float = 5.0) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(timeout_s)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout_s)

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_replay(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    data_dir: Path | None = None,
    log_level: str = "info",
) -> None:
    """Serves the replay exchange until interrupted (Ctrl-C / SIGTERM)."""
    uvicorn.Server(_config(build_replay_app(data_dir), log_level, host, port)).run()
