"""What the AI judge answers, the schema it is held to, and the chat-completion payload.

``AiVerdict`` is both the structured-output schema sent with every request (strict) and the
validator of what comes back. The schema sent is ``AiVerdict``'s JSON schema made portable
across OpenAI-compatible servers: titles dropped, and string-length bounds (which strict mode
has rejected as unsupported) moved into the field descriptions; numeric bounds, enums and
``maxItems`` stay. The bounds are enforced here on receipt either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from openai.types.shared_params import ResponseFormatJSONSchema
from pydantic import BaseModel, ConfigDict, Field

from providers.payloads import Payload

SUMMARY_MAX_CHARS = 400
ITEM_MAX_CHARS = 200
ITEMS_MAX = 6
MULTIPLIER_MAX = 1.5
SCHEMA_NAME = "ai_verdict"

# WAIT ("no direction yet") is the rules' answer to a NEUTRAL signal, and only LONG and SHORT
# signals are sent to the AI: offering it WAIT would only buy answers that must be thrown away
Verdict = Literal["CONFIRM", "DOWNSIZE", "SKIP"]
RiskMode = Literal["NORMAL", "REDUCED", "DEFENSIVE"]
_Item = Annotated[str, Field(min_length=1, max_length=ITEM_MAX_CHARS)]


class AiVerdict(BaseModel):
    """The AI judge's verdict on one signal."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    verdict: Verdict = Field(
        description="CONFIRM: take the trade. DOWNSIZE: take it smaller. SKIP: do not take it."
    )
    risk_mode: RiskMode = Field(description="How defensive the risk management should be.")
    position_multiplier: float = Field(
        ge=0.0,
        le=MULTIPLIER_MAX,
        description="Multiplier of the normal position size: 0 for SKIP, "
        "below 1 to downsize, above 1 only for strong, clean setups.",
    )
    summary: str = Field(
        min_length=1,
        max_length=SUMMARY_MAX_CHARS,
        description="One or two plain sentences explaining the verdict.",
    )
    supporting: tuple[_Item, ...] = Field(
        max_length=ITEMS_MAX, description="Short points that support the trade."
    )
    warnings: tuple[_Item, ...] = Field(
        max_length=ITEMS_MAX, description="Short risk warnings about the trade."
    )


@dataclass(frozen=True, slots=True)
class AiAnswer:
    """A verdict with the model that gave it (as the server named it) and the call's
    wall time in milliseconds."""

    verdict: AiVerdict
    model: str
    latency_ms: float


# -- the structured-output schema ------------------------------------------------------------

_LENGTHS = {"minLength": "at least {} characters", "maxLength": "at most {} characters"}


def _length_note(key: str, value: Any) -> str:
    return "not empty" if (key, value) == ("minLength", 1) else _LENGTHS[key].format(value)


def _portable(node: Any) -> Any:
    """``node`` without titles and with string lengths described instead of declared."""
    if isinstance(node, list):
        return [_portable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in node.items():
        if key == "title":
            continue
        if key in _LENGTHS and node.get("type") == "string":
            notes.append(_length_note(key, value))
            continue
        # "properties" maps names to schemas: recurse into the schemas, keep every name
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _portable(schema) for name, schema in value.items()}
        else:
            out[key] = _portable(value)
    if notes:
        rule = ", ".join(notes)
        rule = rule[0].upper() + rule[1:] + "."
        out["description"] = f"{out.get('description', '')} {rule}".strip()
    return out


def verdict_json_schema() -> dict[str, Any]:
    """The JSON schema sent as the structured-output schema: ``AiVerdict``'s, portable."""
    schema: dict[str, Any] = _portable(AiVerdict.model_json_schema())
    # strict mode wants every property required and no others allowed
    schema["required"] = list(schema["properties"])
    schema["additionalProperties"] = False
    return schema


def response_format() -> ResponseFormatJSONSchema:
    """``response_format`` for chat completions: a strict JSON schema."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": SCHEMA_NAME,
            "description": "A verdict on one crypto-futures trading signal.",
            "schema": verdict_json_schema(),
            "strict": True,
        },
    }


# -- the chat completion, as far as the judge reads it ---------------------------------------


class CompletionMessage(Payload):
    """``choices[].message``: ``content`` is the JSON text; ``refusal`` is set instead when
    the model declined."""

    content: str | None = None
    refusal: str | None = None


class CompletionChoice(Payload):
    message: CompletionMessage
    finish_reason: str | None = None


class ChatCompletion(Payload):
    """A ``chat.completion`` object; ``model`` is the model that answered."""

    model: str
    choices: list[CompletionChoice] = Field(min_length=1)


__all__ = [
    "AiAnswer",
    "AiVerdict",
    "ChatCompletion",
    "RiskMode",
    "Verdict",
    "response_format",
    "verdict_json_schema",
]
