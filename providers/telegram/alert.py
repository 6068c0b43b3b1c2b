"""A recorded signal as a readable Telegram message (``parse_mode=HTML``).

``SignalAlert`` holds plain values, so this module needs nothing from the engine; the caller
copies them from its signal and verdict. ``format_alert`` is pure: every dynamic text goes
through ``html.escape``, numbers are formatted here, and the time is the alert's own.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import UTC, datetime

MAX_FACTORS = 5  # top factors shown
MAX_SUMMARY_CHARS = 400

_DIRECTIONS = {"LONG": "🟢 ▲ LONG", "SHORT": "🔴 ▼ SHORT"}


@dataclass(frozen=True, slots=True)
class AlertFactor:
    """One factor of the score: its name and the points it contributed."""

    name: str
    contribution: float


@dataclass(frozen=True, slots=True)
class SignalAlert:
    """What an alert says about one recorded signal and its verdict.

    ``score`` is 0-100, ``position_multiplier`` 0-1.5; prices (``entry``, ``stop_loss``,
    ``take_profits``) are in the quote currency, ``None``/empty when the plan has none.
    ``judge`` is ``"AI"`` or ``"RULES"``; ``model`` names the AI model that answered and
    ``fallback_reason`` why the rule judge answered instead. ``ts_ms`` is the signal's time.
    """

    ticker: str
    direction: str
    score: float
    mode: str
    verdict: str
    risk_mode: str
    position_multiplier: float
    entry: float | None
    stop_loss: float | None
    take_profits: tuple[float, ...]
    top_factors: tuple[AlertFactor, ...]
    judge: str
    ts_ms: int
    model: str | None = None
    fallback_reason: str | None = None
    summary: str = ""


def format_alert(alert: SignalAlert) -> str:
    """The alert as Telegram HTML: direction, ticker, score and mode on top, then the
    verdict, the levels (with their distance from entry), the top factors, the judge, the
    time (UTC)."""
    e = _text
    direction = _DIRECTIONS.get(alert.direction.upper(), f"⚪ {e(alert.direction)}")
    lines = [
        f"{direction} <b>{e(alert.ticker)}</b>",
        f"Score: <b>{alert.score:.1f}</b> · mode {e(alert.mode)}",
        f"Verdict: <b>{e(alert.verdict)}</b> · risk {e(alert.risk_mode)} · "
        f"size \N{MULTIPLICATION SIGN}{alert.position_multiplier:.2f}",
        f"Entry: {_price(alert.entry)}",
        f"Stop: {_level(alert.stop_loss, alert.entry)}",
    ]
    if alert.take_profits:
        targets = " · ".join(_level(tp, alert.entry) for tp in alert.take_profits)
        lines.append(f"Targets: {targets}")
    else:
        lines.append("Targets: —")
    if alert.top_factors:
        factors = " · ".join(
            f"{e(f.name)} {f.contribution:.1f}" for f in alert.top_factors[:MAX_FACTORS]
        )
        lines.append(f"Top factors: {factors}")
    lines.append(f"Judge: {_judge(alert)}")
    if alert.summary:
        summary = alert.summary.strip()
        if len(summary) > MAX_SUMMARY_CHARS:
            summary = summary[: MAX_SUMMARY_CHARS - 1] + "…"
        lines.append(f"<i>{e(summary)}</i>")
    lines.append(_time(alert.ts_ms))
    return "\n".join(lines)


def _text(value: str) -> str:
    # Telegram's HTML mode needs only <, > and & escaped in text
    return html.escape(value, quote=False)


def _judge(alert: SignalAlert) -> str:
    judge = f"<b>{_text(alert.judge)}</b>"
    if alert.model:
        judge += f" ({_text(alert.model)})"
    if alert.fallback_reason:
        judge += f" · AI unavailable: {_text(alert.fallback_reason)}"
    return judge


def _price(value: float | None) -> str:
    """A price with about six significant digits and thousands separators; ``—`` if none."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    decimals = min(12, max(2, 5 - math.floor(math.log10(abs(value)))))
    return f"{value:,.{decimals}f}"


def _level(value: float | None, entry: float | None) -> str:
    """A stop or target with its distance from entry in percent."""
    text = _price(value)
    if value is None or not entry or not math.isfinite(value) or not math.isfinite(entry):
        return text
    return f"{text} ({(value / entry - 1) * 100:+.2f} %)"


def _time(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


__all__ = ["AlertFactor", "SignalAlert", "format_alert"]
