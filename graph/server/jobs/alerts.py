"""Alerts in the background: each recorded signal's Telegram message is sent by a task of
its own, so recording never waits for Telegram and never fails because of it."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict

from providers.telegram import SignalAlert, TelegramClient

log = logging.getLogger("perpgraph.alerts")


class Alerts:
    """Telegram alerts sent in the background; the record never waits for or depends on them.

    One alert per record id (a move recorded twice is alerted once), and at most
    ``max_in_flight`` sends at a time: past that an alert is dropped and counted, never
    queued without bound.
    """

    def __init__(
        self, client: TelegramClient, max_in_flight: int = 50, remember: int = 10_000
    ) -> None:
        self._client = client
        self._tasks: set[asyncio.Task[None]] = set()
        self._alerted: OrderedDict[str, None] = OrderedDict()
        self._max_in_flight = max_in_flight
        self._remember = remember
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    def send_later(self, record_id: str, message: SignalAlert) -> None:
        if record_id in self._alerted:
            return
        if len(self._tasks) >= self._max_in_flight:
            self.dropped += 1
            log.warning(
                "alert for %s dropped: %d sends in flight", message.ticker, len(self._tasks)
            )
            return
        self._alerted[record_id] = None
        if len(self._alerted) > self._remember:
            self._alerted.popitem(last=False)
        task = asyncio.create_task(self._send(message), name="perpgraph-alert")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, message: SignalAlert) -> None:
        try:
            await self._client.send_alert(message)
        except Exception as exc:  # the record is already durable; the alert is best effort
            self.failed += 1
            log.warning("alert for %s not sent: %s", message.ticker, type(exc).__name__)
        else:
            self.sent += 1

    async def drain(self, timeout_s: float = 5.0) -> None:
        """At shutdown: wait (bounded) for the alerts in flight, then cancel the rest."""
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)


__all__ = ["Alerts"]
