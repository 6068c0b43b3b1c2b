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

from typing import TYPE_CHECKING, Any, cast

from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

if TYPE_CHECKING:
    from uvicorn._types import ASGISendEvent

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


class OneWriteCycle(RequestResponseCycle):
    """uvicorn's request cycle, writing an answer of known length in one write.

    uvicorn writes the status line and headers as ``http.response.start`` arrives and the
    body as ``http.response.body`` does: two writes, two TCP segments and, on loopback, two
    wake-ups of the reader, for an answer that is complete the moment its body is. Here an
    answer that states its ``Content-Length`` (every JSON answer) keeps its encoded head
    until the body comes, and both go in one ``transport.write``; its headers are checked
    as uvicorn checks them, with one search of each pattern over all names and all values
    (both are single-byte classes, so that finds what a search of each finds). Anything
    else (a streamed answer, ``Transfer-Encoding`` or ``Connection`` set by the app, 204 and
    304, two ``Content-Length`` headers, an access log, a client not reading) is left to
    uvicorn's own ``send``. ``response_started`` stays False until the head is written, so
    an app failing between start and body gets uvicorn's 500 (nothing was written). Measured
    under wrk on the hot query: a fifth of the server's time was uvicorn's ``send``, two
    thirds of it the two writes.
    """

    _head: bytes | None = None  # the encoded status line and headers, kept for the body
    _length = 0  # its Content-Length

    async def send(self, message: ASGISendEvent) -> None:
        if self._head is not None:
            if message["type"] == "http.response.start":
                # the app failed between start and body, and uvicorn answers 500 instead:
                # nothing of the first answer was written, so the 500 goes out whole
                self._head = None
            else:
                await self._send_with_head(message)
                return
        if (
            message["type"] == "http.response.start"
            and not self.response_started
            and not self.access_log
            and not self.flow.write_paused
            and not self.disconnected
        ):
            head = self._encode_head(message["status"], message.get("headers", ()))
            if head is not None:
                # ``response_started`` stays False until the head is written: an exception
                # before the body then gets uvicorn's 500, not a closed connection
                self.waiting_for_100_continue = False
                self._head = head
                return
        await super().send(message)

    def _encode_head(self, status: int, headers: Any) -> bytes | None:
        """The status line and headers of an answer of known length; None for any other."""
        if status in (204, 304):
            return None
        parts = [STATUS_LINE[status]]
        names: list[bytes] = []
        values: list[bytes] = []
        length: bytes | None = None
        for name, value in (*self.default_headers, *headers):
            name = name.lower()
            if name == b"content-length":
                if length is not None:
                    return None  # two lengths: uvicorn's send refuses the mismatch
                length = value
            elif name == b"transfer-encoding" or name == b"connection":
                return None  # uvicorn reads these
            names.append(name)
            values.append(value)
            parts += (name, b": ", value, b"\r\n")
        if length is None:
            return None
        if HEADER_RE.search(b"".join(names)):
            raise RuntimeError("Invalid HTTP header name.")
        if HEADER_VALUE_RE.search(b"".join(values)):
            raise RuntimeError("Invalid HTTP header value.")
        self._length = int(length)
        if not self.keep_alive:
            parts.append(b"connection: close\r\n")
        parts.append(b"\r\n")
        return b"".join(parts)

    async def _send_with_head(self, message: ASGISendEvent) -> None:
        if message["type"] != "http.response.body":
            raise RuntimeError(
                f"Expected ASGI message 'http.response.body', but got '{message['type']}'."
            )
        head, self._head = self._head, None
        assert head is not None
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        if self.disconnected:
            return
        self.response_started = True  # uvicorn's state from here on, as its send sets it
        self.expected_content_length = self._length
        self.chunked_encoding = False
        body: bytes = message.get("body", b"")
        more_body = message.get("more_body", False)
        if self.scope["method"] == "HEAD":
            body = b""
            self.expected_content_length = 0
        elif len(body) > self.expected_content_length:
            raise RuntimeError("Response content longer than Content-Length")
        else:
            self.expected_content_length -= len(body)
        self.transport.write(head + body)
        if more_body:
            return  # the rest through uvicorn's send
        if self.expected_content_length != 0:
            raise RuntimeError("Response content shorter than Content-Length")
        self.response_complete = True
        self.message_event.set()
        if not self.keep_alive:
            self.transport.close()
        self.on_response()


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
        before = self.cycle
        queued = before is not None and not before.response_complete
        super().on_headers_complete()
        if self.cycle is not before and self.cycle is not None:
            # a cycle uvicorn just made, whose task has not run: answered in one write
            self.cycle.__class__ = OneWriteCycle
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
