"""``OneWriteCycle`` (``graph.server.protocol``): an answer of known length leaves in one
``transport.write``, byte for byte what uvicorn's own cycle writes in two, and everything
uvicorn checks is still checked."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from graph.server.protocol import OneWriteCycle

JSON_HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"12")]
BODY = b'{"data":{}}\n'


class Transport:
    """What the cycle writes to, recorded write by write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _cycle(
    kind: type[RequestResponseCycle], method: str = "POST", keep_alive: bool = True
) -> tuple[Any, Transport, list[int]]:
    transport = Transport()
    responded: list[int] = []
    cycle = kind(
        scope={"type": "http", "method": method, "http_version": "1.1"},  # type: ignore[typeddict-item]
        transport=transport,  # type: ignore[arg-type]
        flow=FlowControl(transport),  # type: ignore[arg-type]
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger("test.access"),
        access_log=False,
        default_headers=[(b"date", b"Tue, 08 Dec 2026 03:00:00 GMT")],
        message_event=asyncio.Event(),
        expect_100_continue=False,
        keep_alive=keep_alive,
        on_response=lambda: responded.append(1),
    )
    return cycle, transport, responded


async def _answer(
    kind: type[RequestResponseCycle], messages: list[dict[str, Any]], **kwargs: Any
) -> tuple[Any, Transport, list[int]]:
    cycle, transport, responded = _cycle(kind, **kwargs)
    for message in messages:
        await cycle.send(message)
    return cycle, transport, responded


def _start(headers: list[tuple[bytes, bytes]], status: int = 200) -> dict[str, Any]:
    return {"type": "http.response.start", "status": status, "headers": headers}


def _body(body: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.response.body", "body": body, "more_body": more}


@pytest.mark.parametrize(
    ("method", "keep_alive"), [("POST", True), ("GET", True), ("HEAD", True), ("POST", False)]
)
async def test_an_answer_of_known_length_is_one_write_of_what_uvicorn_writes_in_two(
    method: str, keep_alive: bool
) -> None:
    messages = [_start(JSON_HEADERS), _body(BODY)]
    _, stock_out, stock_done = await _answer(
        RequestResponseCycle, messages, method=method, keep_alive=keep_alive
    )
    ours, out, done = await _answer(OneWriteCycle, messages, method=method, keep_alive=keep_alive)
    # what this saves: uvicorn writes head and body apart (HEAD has no body to write)
    assert len(stock_out.writes) == (1 if method == "HEAD" else 2)
    assert out.writes == [b"".join(stock_out.writes)]
    assert out.writes[0].startswith(b"HTTP/1.1 200 OK\r\ndate: ")
    assert out.writes[0].endswith(b"\r\n\r\n" if method == "HEAD" else b"\r\n\r\n" + BODY)
    assert (b"connection: close\r\n" in out.writes[0]) is (not keep_alive)
    assert out.closed is stock_out.closed is (not keep_alive)
    assert done == stock_done == [1]
    assert ours.response_complete and ours.message_event.is_set()


async def test_a_body_in_parts_sends_the_head_with_the_first_part() -> None:
    messages = [_start(JSON_HEADERS), _body(BODY[:5], more=True), _body(BODY[5:])]
    _, stock_out, _ = await _answer(RequestResponseCycle, messages)
    ours, out, done = await _answer(OneWriteCycle, messages)
    assert len(out.writes) == 2 and out.writes[1] == BODY[5:]
    assert b"".join(out.writes) == b"".join(stock_out.writes)
    assert done == [1] and ours.response_complete


@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-type", b"text/event-stream")],  # streamed: no length, chunked
        [(b"content-length", b"12"), (b"connection", b"close")],  # the app's own Connection
        [(b"transfer-encoding", b"chunked")],
    ],
)
async def test_other_answers_are_uvicorns_own(headers: list[tuple[bytes, bytes]]) -> None:
    cycle, transport, _ = _cycle(OneWriteCycle)
    await cycle.send(_start(headers))
    assert len(transport.writes) == 1  # the head is written at once, as uvicorn does
    _, stock_out, _ = await _answer(RequestResponseCycle, [_start(headers)])
    assert transport.writes == stock_out.writes


async def test_no_content_answers_are_uvicorns_own() -> None:
    cycle, transport, _ = _cycle(OneWriteCycle)
    await cycle.send(_start([(b"content-length", b"0")], status=204))
    assert len(transport.writes) == 1


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ([(b"x-bad", b"one\r\ntwo"), (b"content-length", b"12")], "Invalid HTTP header value."),
        ([(b"x bad", b"v"), (b"content-length", b"12")], "Invalid HTTP header name."),
    ],
)
async def test_headers_are_checked_as_uvicorn_checks_them(
    headers: list[tuple[bytes, bytes]], message: str
) -> None:
    cycle, transport, _ = _cycle(OneWriteCycle)
    with pytest.raises(RuntimeError, match=message):
        await cycle.send(_start(headers))
    assert transport.writes == []


async def test_a_body_longer_or_shorter_than_its_length_is_refused() -> None:
    longer, transport, _ = _cycle(OneWriteCycle)
    await longer.send(_start(JSON_HEADERS))
    with pytest.raises(RuntimeError, match="longer than Content-Length"):
        await longer.send(_body(BODY + b"x"))
    assert transport.writes == []
    shorter, transport, done = _cycle(OneWriteCycle)
    await shorter.send(_start(JSON_HEADERS))
    with pytest.raises(RuntimeError, match="shorter than Content-Length"):
        await shorter.send(_body(BODY[:-1]))
    assert done == [] and not shorter.response_complete


async def test_a_client_gone_before_the_body_is_written_nothing() -> None:
    cycle, transport, done = _cycle(OneWriteCycle)
    await cycle.send(_start(JSON_HEADERS))
    cycle.disconnected = True
    await cycle.send(_body(BODY))
    assert transport.writes == [] and done == []


async def test_two_content_lengths_are_left_to_uvicorn_which_refuses_the_mismatch() -> None:
    cycle, transport, _ = _cycle(OneWriteCycle)
    await cycle.send(_start([(b"content-length", b"5"), (b"content-length", b"12")]))
    assert len(transport.writes) == 1  # uvicorn's head, with its first length
    with pytest.raises(RuntimeError, match="longer than Content-Length"):
        await cycle.send(_body(BODY))


async def test_an_app_failing_between_start_and_body_gets_a_whole_500() -> None:
    """uvicorn's run_asgi answers 500 when the response has not started: here it has not,
    since nothing was written, so the 500 goes out instead of a closed connection."""

    async def failing(scope: Any, receive: Any, send: Any) -> None:
        await send(_start(JSON_HEADERS))
        raise RuntimeError("boom")

    cycle, transport, done = _cycle(OneWriteCycle)
    await cycle.run_asgi(failing)
    written = b"".join(transport.writes)  # uvicorn's own 500 (it says connection: close)
    assert written.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert written.endswith(b"\r\n\r\nInternal Server Error")
    assert b"application/json" not in written  # nothing of the failed answer
    assert done == [1] and transport.closed
