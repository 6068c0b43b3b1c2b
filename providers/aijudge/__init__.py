"""The AI signal judge (any OpenAI-compatible server): client, verdict schema, prompt, metrics."""

from providers.aijudge.client import DEFAULT_TIMEOUT_S, AiJudgeClient
from providers.aijudge.errors import JudgeUnavailable
from providers.aijudge.metrics import JudgeMetrics
from providers.aijudge.models import AiAnswer, AiVerdict, RiskMode, Verdict, verdict_json_schema
from providers.aijudge.prompt import SignalNumbers

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "AiAnswer",
    "AiJudgeClient",
    "AiVerdict",
    "JudgeMetrics",
    "JudgeUnavailable",
    "RiskMode",
    "SignalNumbers",
    "Verdict",
    "verdict_json_schema",
]
