"""JSON bodies in the venues' wire shapes: compact JSON, numbers as the recorded text.

``Decimal`` values become strings with :func:`dec_str` before they reach a body; the encoder
falls back to a JSON number only for a ``Decimal`` left inside a verbatim recorded body
(there, the recording had a number).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from starlette.responses import Response

__all__ = [
    "VIA",
    "JsonBody",
    "dec_str",
    "encode_json",
    "json_response",
    "raw_json_response",
]

VIA = "1.1 perpgraph-replay"

JsonBody = Any  # a JSON-serialisable value (dict/list/str/int/Decimal/None)


def dec_str(value: Decimal) -> str:
    """Positional decimal text without exponent: Decimal("6.818E-5") -> "0.00006818"."""
    return format(value, "f")


def _default(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def encode_json(body: JsonBody) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=_default).encode(
        "utf-8"
    )


def json_response(
    body: JsonBody, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return raw_json_response(encode_json(body), status, headers)


def raw_json_response(
    content: bytes, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A body served byte for byte (verbatim recordings)."""
    return Response(content, status_code=status, headers=headers, media_type="application/json")
