"""``AskAnswer``: what ``ask`` understood, the registry operation that answered, its data
and a one-line answer in the asker's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import strawberry
from strawberry.scalars import JSON

from engine.ask import Intent, Understood
from engine.signal.model import Mode


@strawberry.type(name="AskAnswer")
class AskAnswerType:
    text: str = strawberry.field(description="The question, as asked.")
    intent: Intent
    tickers: list[str] = strawberry.field(description="The coins understood, in order.")
    mode: Mode = strawberry.field(description="The mode said, AGGRESSIVE when none was.")
    mode_said: bool
    language: str = strawberry.field(description="en (English) or id (Indonesian).")
    operation: str = strawberry.field(
        description="The registry operation that answered (REST /api/v1/<operation>)."
    )
    variables: JSON = strawberry.field(description="The variables it ran with.")
    answer: str = strawberry.field(description="One line, in the asker's language.")
    data: JSON | None = strawberry.field(description="The operation's data, as it answers it.")
    errors: JSON | None = strawberry.field(
        description="Fields of the operation that failed (null in data), with their codes."
    )

    @classmethod
    def build(
        cls,
        text: str,
        understood: Understood,
        operation: str,
        variables: dict[str, Any],
        answer: str,
        data: dict[str, Any] | None,
        errors: Sequence[Mapping[str, Any]],
    ) -> AskAnswerType:
        return cls(
            text=text,
            intent=understood.intent,
            tickers=list(understood.tickers),
            mode=understood.mode,
            mode_said=understood.mode_said,
            language=understood.language,
            operation=operation,
            variables=JSON(variables),
            answer=answer,
            data=None if data is None else JSON(data),
            errors=JSON([dict(e) for e in errors]) if errors else None,
        )


__all__ = ["AskAnswerType"]
