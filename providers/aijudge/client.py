"""The AI signal judge: one chat completion with a strict structured output, under a hard
timeout, through the official ``openai`` client against any OpenAI-compatible server.

POST {base_url}/chat/completions with the fixed instructions and the signal's numbers
(``providers.aijudge.prompt``) and ``response_format`` = the ``AiVerdict`` JSON schema, strict
(``providers.aijudge.models``). The key travels in the ``Authorization`` header only.

Timing: the whole HTTP exchange (connect, send, wait, read) runs inside
``asyncio.timeout(timeout_s)``, the ``openai`` client is built with ``max_retries=0`` and its
own timeout set to the same value, so a call ends by ``timeout_s`` after it starts whatever the
server does (validating the answer afterwards is CPU work of well under a millisecond).
Nothing is retried: a retry could not fit in a budget sized for one answer, and the caller
has a rule judge that answers at once. Above all a quota error (HTTP 429
``insufficient_quota``) is never repeated.

Every failure raises ``JudgeUnavailable`` with a short stable reason
(``providers.aijudge.errors``); falling back to the rule judge is the caller's business. The
foreign exception is not chained: an SDK error's text can quote the server, and servers quote
(masked) keys in 401 messages; the log line names the error's status, type and code instead.

The ``openai`` client reads ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID`` and
``OPENAI_CUSTOM_HEADERS`` from the environment when set; a deployment should leave them unset.
"""

from __future__ import annotations

import asyncio
import logging
import time

import openai
from pydantic import ValidationError

from providers.aijudge.errors import (
    CONNECTION,
    ERROR,
    INVALID_OUTPUT,
    INVALID_RESPONSE,
    NO_KEY,
    QUOTA,
    RATE_LIMITED,
    REFUSAL,
    TIMEOUT,
    JudgeUnavailable,
    http_status,
)
from providers.aijudge.metrics import JudgeMetrics
from providers.aijudge.models import AiAnswer, AiVerdict, ChatCompletion, response_format
from providers.aijudge.prompt import SignalNumbers, messages
from providers.http import parse_retry_after

log = logging.getLogger("perpgraph.aijudge")

DEFAULT_TIMEOUT_S = 8.0
_QUOTA_CODES = frozenset({"insufficient_quota"})


class AiJudgeClient:
    """Asks a chat model for an ``AiVerdict`` on one signal.

    ``api_key`` is the plain key (the app unwraps its ``SecretStr``); ``None`` or blank means
    not configured, and every call raises ``JudgeUnavailable("no key")`` without sending
    anything. The key is kept inside the ``openai`` client and left out of ``repr``.
    ``http_client`` is an ``openai.DefaultAsyncHttpxClient`` owned by the caller (the
    composition root); without one the ``openai`` client makes its own, closed by ``aclose()``.
    """

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str,
        model: str,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        http_client: openai.DefaultAsyncHttpxClient | None = None,
        metrics: JudgeMetrics | None = None,
    ) -> None:
        if not model.strip():
            raise ValueError("the AI judge needs a model name")
        _check_timeout(timeout_s)
        self._base_url = base_url.rstrip("/")
        self._model = model
        self._timeout_s = timeout_s
        self._metrics = metrics
        self._owns_http = http_client is None
        self._response_format = response_format()
        self._openai: openai.AsyncOpenAI | None = None
        if api_key is not None and api_key.strip():
            self._openai = openai.AsyncOpenAI(
                api_key=api_key,
                base_url=self._base_url,
                max_retries=0,
                timeout=timeout_s,
                http_client=http_client,
            )
            # the SDK imports its resources on first touch; pay that here, not inside a
            # call's deadline
            self._create = self._openai.chat.completions.with_raw_response.create

    @property
    def configured(self) -> bool:
        """True when a key was given (calls are sent)."""
        return self._openai is not None

    @property
    def model(self) -> str:
        """The model asked for (the answer names the one that replied)."""
        return self._model

    def __repr__(self) -> str:
        key = "<hidden>" if self._openai is not None else None
        return (
            f"{type(self).__name__}(base_url={self._base_url!r}, model={self._model!r}, "
            f"timeout_s={self._timeout_s!r}, api_key={key})"
        )

    async def judge(self, numbers: SignalNumbers, *, timeout_s: float | None = None) -> AiAnswer:
        """POST /chat/completions — the model's verdict on the signal described by ``numbers``.

        ``timeout_s`` (default: the client's) bounds the whole call; ``latency_ms`` is its
        wall time. A malformed ``numbers`` mapping is the caller's bug and raises
        ``ValueError`` before anything is sent; every other failure raises
        ``JudgeUnavailable``.
        """
        limit = self._timeout_s if timeout_s is None else timeout_s
        _check_timeout(limit)
        if self._openai is None:
            raise self._failed(NO_KEY, None)
        chat = messages(numbers)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(limit):
                raw = await self._create(
                    model=self._model,
                    messages=chat,
                    response_format=self._response_format,
                    timeout=limit,
                )
        except (TimeoutError, openai.APITimeoutError):
            raise self._failed(TIMEOUT, started) from None
        except openai.APIConnectionError as exc:
            raise self._failed(CONNECTION, started, exc) from None
        except openai.RateLimitError as exc:
            retry_after = parse_retry_after(exc.response.headers.get("retry-after"), time.time())
            reason = QUOTA if _is_quota(exc) else RATE_LIMITED
            raise self._failed(reason, started, exc, 429, retry_after) from None
        except openai.APIStatusError as exc:
            status = exc.status_code
            raise self._failed(http_status(status), started, exc, status) from None
        except openai.APIResponseValidationError as exc:
            raise self._failed(INVALID_RESPONSE, started, exc) from None
        except openai.OpenAIError as exc:
            raise self._failed(ERROR, started, exc) from None
        verdict, model = self._read(raw.content, started)
        latency_s = time.perf_counter() - started
        if self._metrics is not None:
            self._metrics.record("ok", latency_s)
        log.debug("AI judge answered", extra={"model": model, "latency_s": round(latency_s, 3)})
        return AiAnswer(verdict=verdict, model=model, latency_ms=round(latency_s * 1000, 1))

    async def aclose(self) -> None:
        """Close the ``openai`` client's own HTTP client (an injected one is the caller's)."""
        if self._openai is not None and self._owns_http:
            await self._openai.close()

    # -- helpers ---------------------------------------------------------------------------

    def _read(self, body: bytes, started: float) -> tuple[AiVerdict, str]:
        """The verdict and the answering model from a chat completion's raw body."""
        try:
            completion = ChatCompletion.model_validate_json(body)
        except ValidationError:
            raise self._failed(INVALID_RESPONSE, started) from None
        choice = completion.choices[0]
        if choice.message.refusal or choice.finish_reason == "content_filter":
            raise self._failed(REFUSAL, started)
        try:
            verdict = AiVerdict.model_validate_json(choice.message.content or "")
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "content"
            log.warning(
                "AI judge output failed the verdict schema",
                extra={
                    "finish_reason": choice.finish_reason,
                    "where": where,
                    "error": first["type"],
                },
            )
            raise self._failed(INVALID_OUTPUT, started) from None
        return verdict, completion.model

    def _failed(
        self,
        reason: str,
        started: float | None,
        exc: openai.OpenAIError | None = None,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> JudgeUnavailable:
        """Count and log a failure; the error to raise."""
        latency_s = None if started is None else time.perf_counter() - started
        if self._metrics is not None:
            self._metrics.record(reason, latency_s)
        detail: dict[str, object] = {"reason": reason}
        if isinstance(exc, openai.APIError):  # identifiers only, never the server's message
            detail.update(error=type(exc).__name__, error_type=exc.type, error_code=exc.code)
        elif exc is not None:
            detail["error"] = type(exc).__name__
        if status is not None:
            detail["status"] = status
        log.warning("AI judge unavailable: %s", reason, extra=detail)
        return JudgeUnavailable(reason, status=status, retry_after_s=retry_after_s)


def _is_quota(exc: openai.RateLimitError) -> bool:
    """OpenAI says ``insufficient_quota`` as the error's code (and type) on a 429."""
    return exc.code in _QUOTA_CODES or exc.type in _QUOTA_CODES


def _check_timeout(timeout_s: float) -> None:
    if not timeout_s > 0:
        raise ValueError(f"the AI judge timeout must be positive, got {timeout_s!r}")


__all__ = ["DEFAULT_TIMEOUT_S", "AiJudgeClient"]
