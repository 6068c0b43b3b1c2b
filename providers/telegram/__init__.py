"""Telegram alerts: the Bot API ``sendMessage`` client and the alert's HTML format."""

from providers.telegram.alert import AlertFactor, SignalAlert, format_alert
from providers.telegram.client import (
    DEFAULT_BASE_URL,
    MAX_TEXT_CHARS,
    TelegramClient,
    TelegramSendFailed,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_TEXT_CHARS",
    "AlertFactor",
    "SignalAlert",
    "TelegramClient",
    "TelegramSendFailed",
    "format_alert",
]
