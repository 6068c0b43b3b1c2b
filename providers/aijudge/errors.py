"""The one exception of the AI judge, and its reasons.

``JudgeUnavailable`` joins the project's tree under ``ProviderError`` (code
``AI_JUDGE_UNAVAILABLE``): whatever went wrong, the caller falls back to the rule judge and
records ``reason``, a short stable string:

    no key          no API key configured; nothing was sent
    timeout         the hard timeout passed (connect, send, wait or read)
    connection      the server could not be reached (refused, reset, DNS, TLS)
    quota           HTTP 429 with error code ``insufficient_quota``: retrying cannot help
    rate limited    any other HTTP 429
    http <status>   any other HTTP error status (``http 500``, ``http 401``, ...)
    invalid response  the answer was not a chat completion with one choice
    refusal         the model refused (``message.refusal`` or a content filter stop)
    invalid output  the model's content was not JSON, or failed the verdict schema
                    (including content cut short by the token limit)
    error           any other failure of the ``openai`` client

Messages carry the reason only: never the key, the prompt, or the model's text.
"""

from __future__ import annotations

from providers.errors import ProviderError

PROVIDER = "aijudge"
ENDPOINT = "chat/completions"

NO_KEY = "no key"
TIMEOUT = "timeout"
CONNECTION = "connection"
QUOTA = "quota"
RATE_LIMITED = "rate limited"
INVALID_RESPONSE = "invalid response"
REFUSAL = "refusal"
INVALID_OUTPUT = "invalid output"
ERROR = "error"

# worth asking again on a later signal; the others need a change (key, plan, prompt, model)
_TRANSIENT = frozenset({TIMEOUT, CONNECTION, RATE_LIMITED})


def http_status(status: int) -> str:
    """The reason for an HTTP error status other than 429: ``"http 500"``."""
    return f"http {status}"


class JudgeUnavailable(ProviderError):
    """The AI judge gave no usable verdict; ``reason`` says why (see the module docstring)."""

    code = "AI_JUDGE_UNAVAILABLE"

    def __init__(
        self, reason: str, *, status: int | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(
            f"AI judge unavailable: {reason}",
            provider=PROVIDER,
            endpoint=ENDPOINT,
            status=status,
            retry_after_s=retry_after_s,
        )
        self.reason = reason
        self.transient = reason in _TRANSIENT or (status is not None and status >= 500)


__all__ = [
    "CONNECTION",
    "ERROR",
    "INVALID_OUTPUT",
    "INVALID_RESPONSE",
    "NO_KEY",
    "QUOTA",
    "RATE_LIMITED",
    "REFUSAL",
    "TIMEOUT",
    "JudgeUnavailable",
    "http_status",
]
