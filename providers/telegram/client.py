"""Telegram Bot API client for alerts: ``sendMessage`` with bounded retries.

POST {base_url}/bot{token}/sendMessage with ``chat_id``, ``text``, ``parse_mode=HTML`` and
``disable_web_page_preview``, over the process's ``httpx.AsyncClient``.

Retries: up to ``max_attempts`` in all, on timeouts, connection errors, HTTP 5xx and HTTP 429.
A 429 waits the ``parameters.retry_after`` seconds Telegram's error body names (else the
``Retry-After`` header, else the backoff); a wait longer than ``max_retry_after_s`` is not
worth holding an alert for, so it fails at once. Other answers (400 bad HTML or chat not
found, 401 bad token, 403 bot blocked) are final. Backoff is exponential with jitter. A
timeout can hide a message that did go out, so a retry may send it twice: for an alert a
duplicate beats a loss.

The token is part of the URL, so it is kept out of everything that might be shown: errors
carry the status and Telegram's description only and are not chained to httpx's exceptions
(which hold the request and its URL), ``repr`` hides it, and a filter on the ``httpx`` logger
blanks it from httpx's own request lines (``HTTP Request: POST .../bot<token>/...``), which
it writes at INFO.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from providers.errors import ProviderError
from providers.http import parse_retry_after
from providers.telegram.alert import SignalAlert, format_alert
from providers.telegram.models import BotResponse, SentMessage

log = logging.getLogger("perpgraph.alerts")

PROVIDER = "telegram"
ENDPOINT = "sendMessage"
DEFAULT_BASE_URL = "https://api.telegram.org"
MAX_TEXT_CHARS = 4096  # a message's text after entity parsing, per the Bot API
_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,80}")
_CHAT_ID = re.compile(r"-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}")
_HIDDEN = "<hidden>"


class TelegramSendFailed(ProviderError):
    """A message was not delivered after the attempts allowed; ``attempts`` says how many
    were made. The record it announced is unaffected."""

    code = "ALERT_NOT_SENT"

    def __init__(
        self,
        message: str,
        *,
        attempts: int,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(
            message,
            provider=PROVIDER,
            endpoint=ENDPOINT,
            status=status,
            retry_after_s=retry_after_s,
        )
        self.attempts = attempts


class _Redactor(logging.Filter):
    """Blanks registered secrets from records of the logger it is attached to."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secret: str) -> None:
        self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            cleaned = message
            for secret in self._secrets:
                cleaned = cleaned.replace(secret, _HIDDEN)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


_REDACTOR = _Redactor()


def _hide_in_httpx_logs(token: str) -> None:
    _REDACTOR.add(token)
    logger = logging.getLogger("httpx")
    if _REDACTOR not in logger.filters:
        logger.addFilter(_REDACTOR)


@dataclass(frozen=True, slots=True)
class _Failure:
    detail: str  # for the error message and logs: never the URL or token
    retry: bool
    status: int | None = None
    retry_after_s: float | None = None


class TelegramClient:
    """Sends messages to one chat through one bot.

    ``token`` is the plain bot token (the app unwraps its ``SecretStr``) and ``chat_id`` a
    numeric id or ``@channel``; both are checked here, the token without quoting it.
    ``sleep`` and ``jitter`` are injectable for tests of the waits.
    """

    PROVIDER = PROVIDER

    def __init__(
        self,
        http: httpx.AsyncClient,
        token: str,
        chat_id: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        max_attempts: int = 3,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 8.0,
        max_retry_after_s: float = 60.0,
        timeout_s: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise ValueError("the Telegram bot token is not of the form <bot id>:<secret>")
        if not _CHAT_ID.fullmatch(chat_id):
            raise ValueError(f"invalid Telegram chat id {chat_id!r}: a number or @channel")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        _hide_in_httpx_logs(token)
        self._http = http
        self._token = token
        self._chat_id = chat_id
        self._base_url = base_url.rstrip("/")
        self._url = f"{self._base_url}/bot{token}/{ENDPOINT}"
        self._max_attempts = max_attempts
        self._backoff_base_s = backoff_base_s
        self._backoff_max_s = backoff_max_s
        self._max_retry_after_s = max_retry_after_s
        self._timeout = httpx.Timeout(timeout_s)
        self._sleep = sleep
        self._jitter = jitter

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._base_url!r}, chat_id={self._chat_id!r}, "
            f"token={_HIDDEN})"
        )

    async def send_alert(self, alert: SignalAlert) -> int:
        """``send_message(format_alert(alert))``."""
        return await self.send_message(format_alert(alert))

    async def send_message(self, text: str) -> int:
        """POST /bot{token}/sendMessage — ``text`` (Telegram HTML, at most 4,096 characters)
        to the chat, link previews off. Returns the sent message's ``message_id``; raises
        ``TelegramSendFailed`` when the attempts are spent or Telegram refuses it."""
        if not text.strip() or len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"a Telegram message needs 1 to {MAX_TEXT_CHARS} characters")
        body = {
            "chat_id": self._chat_id,
            "text": text,
            "parse_mode": "HTML",
            "disable_web_page_preview": True,
        }
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(body)
            if isinstance(outcome, int):
                return outcome
            if not outcome.retry or attempt >= self._max_attempts:
                raise self._failed(outcome, attempt)
            wait = outcome.retry_after_s
            if wait is None:
                wait = min(self._backoff_max_s, self._backoff_base_s * 2 ** (attempt - 1))
                wait *= 0.5 + self._jitter() / 2
            elif wait > self._max_retry_after_s:
                raise self._failed(outcome, attempt, note=f"asked to wait {wait:g} s")
            log.warning(
                "telegram sendMessage attempt %d of %d failed (%s); retrying in %.2f s",
                attempt,
                self._max_attempts,
                outcome.detail,
                wait,
            )
            await self._sleep(wait)

    async def _attempt(self, body: dict[str, object]) -> int | _Failure:
        """One POST: the message id, or what went wrong and whether to try again."""
        try:
            response = await self._http.post(self._url, json=body, timeout=self._timeout)
        except httpx.TimeoutException:
            return _Failure("timeout", retry=True)
        except httpx.HTTPError as exc:
            return _Failure(f"connection failed ({type(exc).__name__})", retry=True)
        status = response.status_code
        answer = _parse(response.content)
        if status == 200 and answer is not None and answer.ok:
            try:
                return SentMessage.model_validate(answer.result).message_id
            except ValidationError:
                # it was accepted: sending again would duplicate it
                return _Failure("HTTP 200 without a sent message", retry=False, status=status)
        detail = f"HTTP {status}"
        if answer is not None and answer.description:
            detail += f": {self._clean(answer.description)}"
        if status == 429:
            retry_after = answer.parameters.retry_after if answer and answer.parameters else None
            if retry_after is None:
                retry_after = parse_retry_after(response.headers.get("retry-after"), time.time())
            return _Failure(detail, retry=True, status=status, retry_after_s=retry_after)
        return _Failure(detail, retry=status >= 500, status=status)

    def _clean(self, text: str) -> str:
        """Telegram's description, one line, bounded, without the token (defence in depth)."""
        text = " ".join(text.replace(self._token, _HIDDEN).split())
        return text if len(text) <= 200 else text[:199] + "…"

    def _failed(self, outcome: _Failure, attempts: int, *, note: str = "") -> TelegramSendFailed:
        detail = f"{outcome.detail}; {note}" if note else outcome.detail
        return TelegramSendFailed(
            f"telegram sendMessage failed after {attempts} attempt(s): {detail}",
            attempts=attempts,
            status=outcome.status,
            retry_after_s=outcome.retry_after_s,
        )


def _parse(content: bytes) -> BotResponse | None:
    try:
        return BotResponse.model_validate_json(content)
    except ValidationError:
        return None


__all__ = ["DEFAULT_BASE_URL", "MAX_TEXT_CHARS", "TelegramClient", "TelegramSendFailed"]
