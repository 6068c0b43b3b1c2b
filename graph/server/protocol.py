"""uvicorn's HTTP protocol, refusing at capacity before any ASGI work is done.

Under overload most of the server's time goes to refusing: through ASGI a 503 costs
uvicorn's request cycle, a task, the middleware and two writes. ``ShedInProtocol`` answers
a ``POST /graphql`` that finds the in-flight bound full (``graph.server.shedding.Slots``)
from the parser's callbacks, with one pre-encoded write, once the request's body has been
read and dropped; the connection stays open for the next request. Measured (8x capacity on
2 cores, a spike of this class against the ASGI path in the same hour): refusals' p99 from
13.9 to 9.7 ms, and 2.7 times as many requests admitted.

Only the plain case takes this path; everything else goes through ASGI as before
(``ShedWhenFull`` still refuses there): a request with ``Origin`` (a browser page, which
needs the CORS headers to read the refusal), one expecting ``100-continue`` (its body only
comes once asked for), one without a ``Content-Length`` within the body limit, one
pipelined behind an answer still being written (it must wait its turn), one on a
connection whose client is not reading its answers (writing is paused: the ASGI path waits
for it to drain), and an upgrade. An HTTP/1.0 request, or one asking ``Connection: close``,
is told ``connection: close`` and the connection is closed, as uvicorn does.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from graph.server.shedding import Slots


def _slots_of(app: Any) -> tuple[Slots | None, bytes]:
    """The bound and the pre-encoded refusal of the app uvicorn serves, found through the
    ``app`` attributes of uvicorn's own wrappers; (None, b"") for another app."""
    for _ in range(8):
        refusal = getattr(app, "refusal", None)
        if refusal is not None:
            return refusal  # type: ignore[no-any-return]
        app = getattr(app, "app", None)
        if app is None:
            break
    return None, b""


class ShedInProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slots, self._refusal = _slots_of(self.app)
        self._closing_refusal = self._refusal.replace(
            b"\r\n\r\n", b"\r\nconnection: close\r\n\r\n", 1
        )
        self._shedding = False
        self._discarding = False  # a request that began after the connection was closed

    def on_message_begin(self) -> None:
        # no keep-alive timer while a request is in: a refusal answered mid-chunk armed it
        self._unset_keepalive_if_required()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        if self.transport.is_closing():  # pipelined behind a refusal that closed it
            self._discarding = True
            return
        if self._sheddable():
            self._shedding = True  # its body is read and dropped, then it is answered
            return
        super().on_headers_complete()

    def _sheddable(self) -> bool:
        slots = self._slots
        if slots is None or not slots.full or self.expect_100_continue:
            return False
        if self.flow.write_paused or self.parser.should_upgrade():
            return False  # a client not reading its answers waits like any other; upgrades
        if self.parser.get_method() != b"POST" or self.url.split(b"?", 1)[0] != b"/graphql":
            return False
        if self.cycle is not None and not self.cycle.response_complete:
            return False  # pipelined behind an answer still being written
        length = None
        for name, value in self.headers:
            if name == b"origin":
                return False
            if name == b"content-length":
                length = value
        return length is not None and length.isdigit() and int(length) <= slots.max_body_bytes

    def on_body(self, body: bytes) -> None:
        if not (self._shedding or self._discarding):
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._discarding:
            self._discarding = False
            return
        if not self._shedding:
            super().on_message_complete()
            return
        self._shedding = False
        assert self._slots is not None
        self._slots.count_refusal("overloaded_early")
        keep = self.parser.get_http_version() == "1.1" and self.parser.should_keep_alive()
        self.transport.write(self._refusal if keep else self._closing_refusal)
        if not keep:
            self.transport.close()
        self.on_response_complete()  # counted; the keep-alive timer, the next request


__all__ = ["ShedInProtocol"]
