"""The trade plan over recorded candles, checked against TA-Lib and the documented formulas.

The expected numbers are computed here, independently of the engine: the recorded JSON is
read again into arrays, TA-Lib's ATR is called directly, then the formulas of
engine/verdict/plan.py's docstring are applied.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import talib

from engine.domain import Candle
from engine.signal.model import Direction
from engine.verdict.plan import price_text, trade_plan
from tests.engine.signal import recorded
from tests.engine.verdict import cases

OHLCV = recorded.DATA / "binance-futures" / "ohlcv"
VERBATIM_5M = recorded.DATA / "binance-futures" / "klines-BTCUSDT-5m-limit500-2025-11-05.json"


@dataclass(frozen=True)
class Expected:
    entry: float
    atr: float
    stop: float
    targets: tuple[float, ...]


def _arrays(path: Path) -> np.ndarray:
    """Rows of ``[open ms, open, high, low, close, volume]`` as floats (strings parsed)."""
    return np.array([[float(v) for v in row[:6]] for row in json.loads(path.read_text())])


def _candles(rows: np.ndarray) -> tuple[Candle, ...]:
    return tuple(
        Candle(int(r[0]), r[1], r[2], r[3], r[4], r[5], None, None, None, None) for r in rows
    )


def _expected(
    rows: np.ndarray, sign: float, period: int, stop_atr: float, target_atrs: tuple[float, ...]
) -> Expected:
    atr = float(talib.ATR(rows[:, 2], rows[:, 3], rows[:, 4], timeperiod=period)[-1])
    entry = float(rows[-1, 4])
    return Expected(
        entry=entry,
        atr=atr,
        stop=entry - sign * stop_atr * atr,
        targets=tuple(entry + sign * t * atr for t in target_atrs),
    )


SERIES = [  # (file, first row, end row): windows of real candles
    pytest.param(OHLCV / "ohlcv-BTCUSDT-1h.json", 0, 100, id="btc-1h-first-100"),
    pytest.param(OHLCV / "ohlcv-BTCUSDT-1h.json", 600, 719, id="btc-1h-last-119"),
    pytest.param(OHLCV / "ohlcv-ETHUSDT-1h.json", 3, 103, id="eth-1h-march-drop"),
    pytest.param(OHLCV / "ohlcv-SOLUSDT-1h.json", 360, 460, id="sol-1h"),
    pytest.param(OHLCV / "ohlcv-BTCUSDT-15m.json", 1000, 1300, id="btc-15m"),
    pytest.param(OHLCV / "ohlcv-ETHUSDT-5m.json", 5000, 5015, id="eth-5m-15-candles"),
    pytest.param(VERBATIM_5M, 0, 499, id="btc-5m-verbatim"),
]


@pytest.mark.parametrize("direction", [Direction.LONG, Direction.SHORT])
@pytest.mark.parametrize(("path", "first", "end"), SERIES)
def test_default_plan_matches_talib_and_the_formulas(
    path: Path, first: int, end: int, direction: Direction
) -> None:
    rows = _arrays(path)[first:end]
    sign = 1.0 if direction is Direction.LONG else -1.0
    want = _expected(rows, sign, 14, 1.5, (1.5, 3.0, 4.5))
    plan = trade_plan(direction, _candles(rows))
    assert plan is not None
    assert plan.direction is direction
    assert plan.entry == want.entry
    assert plan.atr == pytest.approx(want.atr, rel=1e-12)
    assert plan.atr_pct == pytest.approx(100 * want.atr / want.entry, rel=1e-12)
    assert plan.stop_loss == pytest.approx(want.stop, rel=1e-12)
    assert plan.take_profits == pytest.approx(want.targets, rel=1e-12)
    risk = abs(want.entry - want.stop)
    assert plan.risk_reward == pytest.approx(
        tuple(abs(t - want.entry) / risk for t in want.targets), rel=1e-9
    )
    assert plan.risk_reward == (1.0, 2.0, 3.0)
    stop_pct = 100 * risk / want.entry
    hint = plan.size_hint
    assert hint.account_risk_pct == 1.0
    assert hint.stop_distance_pct == pytest.approx(stop_pct, rel=1e-9)
    assert hint.position_pct_of_equity == pytest.approx(100 * 1.0 / stop_pct, rel=1e-9)
    assert hint.leverage_needed == pytest.approx(1.0 / stop_pct, rel=1e-9)
    # the loss at the stop, at the hinted size, is the account risk
    assert hint.position_pct_of_equity * stop_pct / 100 == pytest.approx(1.0)
    # a LONG's stop is below the entry and its targets above, nearest first (SHORT mirrored)
    assert sign * (plan.entry - plan.stop_loss) > 0
    assert all(
        sign * (b - a) > 0
        for a, b in zip((plan.entry, *plan.take_profits), plan.take_profits, strict=False)
    )


def test_settings_change_the_plan_as_documented() -> None:
    rows = _arrays(OHLCV / "ohlcv-SOLUSDT-1h.json")[100:300]
    want = _expected(rows, -1.0, 20, 2.0, (1.0, 2.5))
    plan = trade_plan(
        Direction.SHORT,
        _candles(rows),
        atr_period=20,
        stop_atr=2.0,
        target_atrs=(1.0, 2.5),
        account_risk_pct=0.5,
    )
    assert plan is not None
    assert plan.atr == pytest.approx(want.atr, rel=1e-12)
    assert plan.stop_loss == pytest.approx(want.stop, rel=1e-12)
    assert plan.take_profits == pytest.approx(want.targets, rel=1e-12)
    assert plan.risk_reward == (0.5, 1.25)
    stop_pct = 100 * 2.0 * want.atr / want.entry
    assert plan.size_hint.position_pct_of_equity == pytest.approx(100 * 0.5 / stop_pct)
    assert "ATR(20)" in plan.text and "0.50 % of equity" in plan.text


def test_text_is_one_paragraph_with_the_plan_s_figures() -> None:
    hourly = trade_plan(Direction.LONG, cases.window("BTCUSDT", 340))
    fast = trade_plan(Direction.SHORT, _candles(_arrays(VERBATIM_5M)[:499]))
    assert hourly is not None and fast is not None
    for plan in (hourly, fast):
        assert "\n" not in plan.text
        assert plan.text.startswith(f"{plan.direction.value} from {price_text(plan.entry)} ")
        assert f"{plan.atr_pct:.2f} % of the price" in plan.text
        assert f"Stop loss at {price_text(plan.stop_loss)} (1.5 ATR, " in plan.text
        for target, rr in zip(plan.take_profits, plan.risk_reward, strict=True):
            assert f"{price_text(target)} ({rr:.1f}R, " in plan.text
        assert f"{plan.size_hint.position_pct_of_equity:.1f} % of equity" in plan.text
    # an hourly 1.5-ATR stop on BTC is over 1 % away: 1 % risk fits without leverage; a
    # 5-minute one is a fraction of that and needs it
    assert hourly.size_hint.leverage_needed < 1 and "(no leverage needed)" in hourly.text
    assert fast.size_hint.leverage_needed > 1
    assert f"({fast.size_hint.leverage_needed:.2f}x leverage)" in fast.text


def test_no_plan() -> None:
    candles = cases.window("ETHUSDT", 200)
    assert trade_plan(Direction.NEUTRAL, candles) is None
    assert trade_plan(Direction.LONG, ()) is None
    # ATR(14) needs 15 candles (14 true ranges after the first close)
    assert trade_plan(Direction.LONG, candles[-14:]) is None
    assert trade_plan(Direction.LONG, candles[-15:]) is not None
    assert trade_plan(Direction.LONG, candles[-5:], atr_period=4) is not None
    # no volatility: one recorded close repeated as flat candles gives an ATR of 0
    close = candles[-1].close
    flat = tuple(
        Candle(c.open_time_ms, close, close, close, close, c.volume, None, None, None, None)
        for c in candles[-30:]
    )
    assert trade_plan(Direction.LONG, flat) is None
    # a SHORT target past zero: 1000 ATRs below any recorded price
    assert trade_plan(Direction.SHORT, candles, target_atrs=(1.5, 1000.0)) is None
    assert trade_plan(Direction.LONG, candles, target_atrs=(1.5, 1000.0)) is not None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"stop_atr": 0.0}, "stop_atr"),
        ({"stop_atr": math.nan}, "stop_atr"),
        ({"target_atrs": ()}, "at least one target"),
        ({"target_atrs": (3.0, 1.5)}, "nearest first"),
        ({"target_atrs": (1.5, 1.5)}, "nearest first"),
        ({"target_atrs": (-1.0, 1.5)}, "positive"),
        ({"account_risk_pct": 0.0}, "account_risk_pct"),
        ({"account_risk_pct": 100.01}, "account_risk_pct"),
        ({"atr_period": 0}, "atr period"),
    ],
)
def test_settings_out_of_range_raise(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        trade_plan(Direction.LONG, cases.window("BTCUSDT", 200), **settings)  # type: ignore[arg-type]


def test_price_text_keeps_six_significant_digits() -> None:
    prices = [
        *(recorded.candles_1h(s)[-1].close for s in ("BTCUSDT", "ETHUSDT", "SOLUSDT")),
        *sorted({e.price for e in recorded.liquidations()})[:3],  # DOGS at 0.0000587
    ]
    for price in prices:
        text = price_text(price)
        assert float(text.replace(",", "")) == pytest.approx(price, rel=1e-5)
        decimals = len(text.split(".")[1])
        assert decimals >= 2
    assert price_text(recorded.candles_1h()[-1].close).count(",") == 1  # 83,804.30
