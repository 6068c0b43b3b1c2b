"""Telegram Bot API payloads, named after the upstream fields.

Every answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": 429,
"description": "...", "parameters": {"retry_after": 3}}`` (Bot API, "Making requests" and
``ResponseParameters``).
"""

from __future__ import annotations

from typing import Any

from providers.payloads import Payload


class ResponseParameters(Payload):
    """Why a request failed, where Telegram says: seconds to wait under flood control, or
    the supergroup a group chat moved to."""

    retry_after: float | None = None
    migrate_to_chat_id: int | None = None


class SentMessage(Payload):
    """The ``Message`` that ``sendMessage`` returns, as far as we read it."""

    message_id: int


class BotResponse(Payload):
    ok: bool
    result: Any = None
    error_code: int | None = None
    description: str | None = None
    parameters: ResponseParameters | None = None


__all__ = ["BotResponse", "ResponseParameters", "SentMessage"]
