"""uvicorn's HTTP protocol, refusing at capacity before any ASGI work is done.

Under overload most of the server's time goes to refusing: through ASGI a 503 costs
uvicorn's request cycle, a task, the middleware and two writes. ``ShedInProtocol`` answers
a ``POST /graphql`` that finds the in-flight bound full (``graph.server.shedding.Slots``)
from the parser's callbacks, with one pre-encoded write, once the request's body has been
read and dropped; the connection stays open for the next request. Measured (8x capacity on
2 cores, a spike of this class against the ASGI path in the same hour): refusals' p99 from
13.9 to 9.7 ms, and 2.7 times as many requests admitted.

A ``POST /graphql`` that finds a slot free and is read whole (headers and body in one
read) takes the slot here, as its body completes, and holds it until its task starts
(``RESERVED`` in its scope; the endpoint gives it back as it starts, ``ShedWhenFull`` if it
never gets there). Its task cannot have run yet (``create_task`` only schedules it; an
eager task factory would break this), so nothing else took the slot meanwhile; and the
requests read after it in the same turn of the loop find the bound full here. Before, they
all passed this check (the slot was taken later, in the endpoint) and the excess was
refused through ASGI: 28 % of the refusals at 8x load (measured), each several times the
cost.

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

from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from graph.server.shedding import BODY_IN, RESERVED, Slots


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
        self._fresh: RequestResponseCycle | None = None  # a POST /graphql begun in this read

    def on_message_begin(self) -> None:
        # no keep-alive timer while a request is in: a refusal answered mid-chunk armed it
        self._unset_keepalive_if_required()
        super().on_message_begin()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._fresh = None  # a request whose body comes later may have run already

    def on_headers_complete(self) -> None:
        if self.transport.is_closing():  # pipelined behind a refusal that closed it
            self._discarding = True
            return
        post = self._graphql_post()
        if post and self._sheddable():
            self._shedding = True  # its body is read and dropped, then it is answered
            return
        queued = self.cycle is not None and not self.cycle.response_complete
        super().on_headers_complete()
        if post and not queued and self.limit_concurrency is None:
            self._fresh = self.cycle  # its task is created, and cannot run before we return

    def _graphql_post(self) -> bool:
        return (
            self._slots is not None
            and self.parser.get_method() == b"POST"
            and self.url.split(b"?", 1)[0] == b"/graphql"
            and not self.parser.should_upgrade()
        )

    def _sheddable(self) -> bool:
        """A ``POST /graphql`` that finds the bound full, and may be answered here."""
        slots = self._slots
        assert slots is not None
        if not slots.full or self.expect_100_continue or self.flow.write_paused:
            return False  # a client not reading its answers waits like any other
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
            if self.cycle is not None:
                cast("dict[str, Any]", self.cycle.scope)[BODY_IN] = True
            cycle, self._fresh = self._fresh, None
            if cycle is not None and cycle is self.cycle and not cycle.response_complete:
                # its headers and body came in one read, so its task has not run: a slot
                # taken now is its own, and nothing that arrives before it runs takes it
                assert self._slots is not None
                if self._slots.take():
                    cast("dict[str, Any]", cycle.scope)[RESERVED] = True
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
