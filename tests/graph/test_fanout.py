"""The per-connection outbox of the subscription server: bounded, drops oldest, counted."""

from __future__ import annotations

import asyncio

from graph.server.subscriptions import Outbox


class Socket:
    """Stands in for the client end: records frames once it starts reading."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.reading = asyncio.Event()

    async def send_text(self, text: str) -> None:
        await self.reading.wait()  # a client that does not read blocks the sender
        self.sent.append(text)


async def test_a_client_that_does_not_read_keeps_only_the_newest_frames() -> None:
    drops: list[int] = []
    socket = Socket()
    outbox = Outbox(socket, maxsize=3, on_drop=lambda: drops.append(1))
    sender = asyncio.create_task(outbox.run())
    frames = [f'{{"id":"1","type":"next","payload":{i}}}' for i in range(10)]
    for frame in frames:
        outbox.put(frame)  # never waits, whatever the client does
        await asyncio.sleep(0)
    assert len(outbox.frames) == 3
    socket.reading.set()
    async with asyncio.timeout(2):
        while len(socket.sent) < 4:
            await asyncio.sleep(0.01)
    sender.cancel()
    # the first frame was already in the sender's hands; of the rest only the newest 3 stayed
    assert socket.sent == [frames[0], *frames[-3:]]
    assert len(drops) == 6
