"""The AI judge's prompt: fixed instructions plus the signal's numbers, nothing else.

The caller hands over a flat mapping of the signal's figures (ticker, direction, score, mode
thresholds, confidence, each factor's sub-score and contribution, data quality %, ATR %,
stop and targets). They become one JSON object in the user message; the instructions are
constants of this module. No setting, key, URL or other state of the process reaches the
prompt, so nothing secret can leave through it.

What a mapping may hold is checked, so a mistake upstream cannot smuggle free text into the
request: keys are short identifiers (units in the names: ``atr_pct``, ``stop_loss``), values
are numbers, ``None`` or short labels (``"BTC"``, ``"LONG"``, ``"AGGRESSIVE"``). A number that
is not finite is sent as ``null``; numbers keep 8 significant digits.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping

from openai.types.chat import (
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)

SignalNumbers = Mapping[str, float | int | str | None]

MAX_FIELDS = 120
MAX_LABEL_CHARS = 32
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,63}")
_LABEL = re.compile(r"[A-Za-z0-9 _.:/+-]*")

INSTRUCTIONS = """\
You are the risk judge of a crypto-futures trading signal engine. You receive one signal as a \
JSON object of numbers (units are in the key names: _pct is percent, _usd is US dollars). \
Decide whether to act on it and how big.

Verdicts:
- CONFIRM: the factors agree, data quality is good and volatility is tradeable.
- DOWNSIZE: tradeable, but with a material risk; trade smaller.
- SKIP: do not trade this signal (also when the setup is not ready yet).

Risk modes: NORMAL (usual risk), REDUCED (tighter risk), DEFENSIVE (protect capital first).

position_multiplier scales the normal position size: 0 for SKIP; below 1 for \
DOWNSIZE; about 1 for CONFIRM; above 1 (at most 1.5) only when the factors agree strongly, \
data quality is high and volatility is moderate.

Rules: use only the numbers given; never invent prices, levels or news. The summary is one \
or two plain sentences. supporting and warnings list at most 6 short points each, naming the \
factors or numbers they rest on; use an empty list when there is nothing to say.\
"""


def signal_json(numbers: SignalNumbers) -> str:
    """The numbers as one compact JSON object, keys sorted; ``ValueError`` on a bad entry."""
    if not numbers:
        raise ValueError("the AI judge needs the signal's numbers; the mapping is empty")
    if len(numbers) > MAX_FIELDS:
        raise ValueError(f"too many signal fields for the AI judge ({len(numbers)} > {MAX_FIELDS})")
    clean: dict[str, float | int | str | None] = {}
    for key, value in numbers.items():
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(f"signal field name {key!r} is not a short identifier")
        clean[key] = _value(key, value)
    return json.dumps(clean, sort_keys=True, separators=(",", ":"), allow_nan=False)


def _value(key: str, value: object) -> float | int | str | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return float(f"{value:.8g}") if math.isfinite(value) else None
    if isinstance(value, str):
        if len(value) > MAX_LABEL_CHARS or not _LABEL.fullmatch(value):
            # the value itself stays out of the message: it might be what must not leak
            raise ValueError(f"signal field {key!r} holds text that is not a short label")
        return value
    raise ValueError(f"signal field {key!r} is a {type(value).__name__}, not a number or label")


def messages(numbers: SignalNumbers) -> list[ChatCompletionMessageParam]:
    """The chat messages of one judgement: the fixed instructions, then the signal."""
    system: ChatCompletionSystemMessageParam = {"role": "system", "content": INSTRUCTIONS}
    user: ChatCompletionUserMessageParam = {
        "role": "user",
        "content": "Signal:\n" + signal_json(numbers),
    }
    return [system, user]


__all__ = ["INSTRUCTIONS", "SignalNumbers", "messages", "signal_json"]
