"""The trade plan: entry, ATR-based stop loss and take-profit levels, risk/reward and a size hint.

Pure: candles in (oldest first, all closed), a ``TradePlan`` out. For a LONG (a SHORT mirrors
every sign):

- ``entry`` = the last candle's close;
- ``atr`` = Wilder's average true range over ``atr_period`` candles at the last candle
  (``engine.indicators.atr``, TA-Lib), in the quote currency and the candles' own interval;
  ``atr_pct = 100 * atr / entry``;
- ``stop_loss = entry - stop_atr * atr``;
- ``take_profits[i] = entry + target_atrs[i] * atr``;
- ``risk_reward[i] = target_atrs[i] / stop_atr`` (reward at target i over the risk at the stop);
- size hint: ``stop_distance_pct = 100 * stop_atr * atr / entry``,
  ``position_pct_of_equity = 100 * account_risk_pct / stop_distance_pct``,
  ``leverage_needed = position_pct_of_equity / 100`` (see ``SizeHint``).

The defaults and why:

- ``atr_period`` 14: Wilder's own period, the one every charting tool shows.
- ``stop_atr`` 1.5: the ATR is one ordinary candle's range, so a stop 1 ATR away is within
  reach of plain noise; 1.5 ATR needs a move beyond a typical candle before the idea is wrong.
- ``target_atrs`` (1.5, 3.0, 4.5): the first three multiples of the risk (1R, 2R, 3R). At 1R
  a partial exit pays back what was risked (the stop can go to the entry); 2R and 3R make the
  trade pay even when fewer than half of such trades win (at 2R, one win in three breaks even).
- ``account_risk_pct`` 1.0: the common rule of risking at most 1 % of equity on one trade;
  the server's setting ``verdict_account_risk_pct`` passes its own.

No plan (``None``) for a NEUTRAL direction (nothing to plan), fewer than ``atr_period + 1``
candles (the ATR needs them), an ATR that is not positive (flat candles: no stop distance), a
last close that is not a positive number, or a level that would fall at or below zero (a SHORT
target beyond 100 % of the price). Settings outside their ranges raise ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise

from engine.domain import Candle
from engine.indicators import WILDER_PERIOD, Series, atr
from engine.signal.model import Direction
from engine.verdict.model import SizeHint, TradePlan

STOP_ATR = 1.5
TARGET_ATRS = (1.5, 3.0, 4.5)
ACCOUNT_RISK_PCT = 1.0
SIGNIFICANT_DIGITS = 6  # prices in the text: 102,419.20, 2,296.74, 0.0000123400


def _check_settings(stop_atr: float, target_atrs: Sequence[float], account_risk_pct: float) -> None:
    if not (math.isfinite(stop_atr) and stop_atr > 0):
        raise ValueError(f"stop_atr must be a positive number, got {stop_atr}")
    if not target_atrs:
        raise ValueError("target_atrs must name at least one target")
    if not all(math.isfinite(t) and t > 0 for t in target_atrs) or any(
        a >= b for a, b in pairwise(target_atrs)
    ):
        raise ValueError(
            f"target_atrs must be positive numbers, nearest first, got {tuple(target_atrs)}"
        )
    if not (math.isfinite(account_risk_pct) and 0 < account_risk_pct <= 100):
        raise ValueError(
            f"account_risk_pct must be above 0 and at most 100, got {account_risk_pct}"
        )


def price_text(price: float) -> str:
    """A price with about six significant digits and thousands separators."""
    if not (math.isfinite(price) and price > 0):
        return f"{price}"
    integer_digits = math.floor(math.log10(price)) + 1
    decimals = min(10, max(2, SIGNIFICANT_DIGITS - integer_digits))
    return f"{price:,.{decimals}f}"


def _text(plan: TradePlan, atr_period: int, stop_atr: float, target_atrs: Sequence[float]) -> str:
    hint = plan.size_hint
    targets = ", ".join(
        f"{price_text(tp)} ({rr:.1f}R, {t:g} ATR)"
        for tp, rr, t in zip(plan.take_profits, plan.risk_reward, target_atrs, strict=True)
    )
    leverage = (
        f"{hint.leverage_needed:.2f}x leverage"
        if hint.leverage_needed > 1
        else "no leverage needed"
    )
    return (
        f"{plan.direction.value} from {price_text(plan.entry)} (the last close). "
        f"ATR({atr_period}) is {price_text(plan.atr)}, {plan.atr_pct:.2f} % of the price. "
        f"Stop loss at {price_text(plan.stop_loss)} ({stop_atr:g} ATR, "
        f"{hint.stop_distance_pct:.2f} % away); take profit at {targets}. "
        f"Risking {hint.account_risk_pct:.2f} % of equity at that stop means a position of "
        f"{hint.position_pct_of_equity:.1f} % of equity ({leverage})."
    )


def trade_plan(
    direction: Direction,
    candles: Sequence[Candle],
    *,
    atr_period: int = WILDER_PERIOD,
    stop_atr: float = STOP_ATR,
    target_atrs: Sequence[float] = TARGET_ATRS,
    account_risk_pct: float = ACCOUNT_RISK_PCT,
) -> TradePlan | None:
    """The plan for ``direction`` entering at the last close of ``candles`` (oldest first,
    closed), with the rules and defaults of the module docstring. None: no plan (NEUTRAL, too
    few candles, no volatility, unusable close, a level at or below zero). ``atr_period`` is
    1..1000; ``stop_atr`` and every target positive, targets nearest first;
    ``account_risk_pct`` above 0 and at most 100; else ValueError.
    """
    _check_settings(stop_atr, target_atrs, account_risk_pct)
    if direction is Direction.NEUTRAL or not candles:
        return None
    value = atr(Series.from_candles(candles), atr_period)  # checks the period's range
    entry = candles[-1].close
    if value is None or value <= 0 or not (math.isfinite(entry) and entry > 0):
        return None
    sign = 1.0 if direction is Direction.LONG else -1.0
    stop = entry - sign * stop_atr * value
    targets = tuple(entry + sign * t * value for t in target_atrs)
    if stop <= 0 or any(t <= 0 for t in targets):
        return None
    stop_distance_pct = 100.0 * stop_atr * value / entry
    position_pct = 100.0 * account_risk_pct / stop_distance_pct
    plan = TradePlan(
        direction=direction,
        entry=entry,
        atr=value,
        atr_pct=100.0 * value / entry,
        stop_loss=stop,
        take_profits=targets,
        risk_reward=tuple(t / stop_atr for t in target_atrs),
        size_hint=SizeHint(
            account_risk_pct=account_risk_pct,
            stop_distance_pct=stop_distance_pct,
            position_pct_of_equity=position_pct,
            leverage_needed=position_pct / 100.0,
        ),
        text="",
    )
    return replace(plan, text=_text(plan, atr_period, stop_atr, target_atrs))


__all__ = ["ACCOUNT_RISK_PCT", "STOP_ATR", "TARGET_ATRS", "price_text", "trade_plan"]
