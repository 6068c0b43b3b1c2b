"""The scalping summary's rules (engine.scalping), one table per rule; its readings
(engine.scalping_inputs) and order-book walls on recorded data.

Rule tables use round inputs chosen to land on the documented break points (they are rule
checks, not market data). Walls, price levels and taker flow are checked on recorded data
with the expected values computed here in plain Python.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from engine import indicators
from engine.domain import BookLevel, OrderBook, PerpPosition, Sourced, Trade
from engine.indicators import Alignment, Structure, Trend
from engine.orderbook import WALL_FACTOR, Wall, Walls, side_walls, walls
from engine.scalping import (
    BIAS_THRESHOLD,
    WALLS_PER_SIDE,
    WEIGHTS,
    Layer,
    LevelKind,
    summarize,
    votes,
)
from engine.scalping_inputs import (
    RANGE_CANDLES,
    BookSnapshot,
    PriceSnapshot,
    RsiZone,
    ScalpingInputs,
    TakerFlow,
    TradeFlow,
    WhaleExposure,
    largest_trades,
    price_snapshot,
    rsi_zone,
    taker_flow,
    trade_flow,
    whale_exposure,
)
from engine.signal.model import Direction, LiquidationWindow
from tests.engine.signal.recorded import candles_1h, candles_5m_verbatim

DEPTH_FILES = sorted(
    (Path(__file__).resolve().parents[2] / "providers/replay/data/binance-futures").glob(
        "depth-*USDT-limit1000-*.json"
    )
)
META = Sourced("test", 0)


def _trend(alignment: Alignment | None, structure: Structure | None) -> Trend:
    return Trend(alignment, structure, None, None, None, None)


def _book(imbalance: float | None) -> BookSnapshot:
    return BookSnapshot(imbalance, None, Walls((), ()))


def _price(price: float, vwap: float | None) -> PriceSnapshot:
    return PriceSnapshot((), price, price, price, 1, vwap)


def _liq(long_usd: float, short_usd: float) -> LiquidationWindow:
    return LiquidationWindow(long_usd, short_usd, None, None, 3_600_000, 0)


# (layer, inputs with that layer only, expected score; None = no vote)
RULES: list[tuple[Layer, ScalpingInputs, float | None]] = [
    # trend: alignment +-0.5 plus structure +-0.5
    (Layer.TREND, ScalpingInputs(trend=_trend(Alignment.BULLISH, Structure.UP)), 1.0),
    (Layer.TREND, ScalpingInputs(trend=_trend(Alignment.BEARISH, Structure.DOWN)), -1.0),
    (Layer.TREND, ScalpingInputs(trend=_trend(Alignment.BULLISH, Structure.MIXED)), 0.5),
    (Layer.TREND, ScalpingInputs(trend=_trend(Alignment.BULLISH, Structure.DOWN)), 0.0),
    (Layer.TREND, ScalpingInputs(trend=_trend(None, Structure.DOWN)), -0.5),
    (Layer.TREND, ScalpingInputs(trend=_trend(Alignment.MIXED, None)), 0.0),
    (Layer.TREND, ScalpingInputs(trend=_trend(None, None)), None),
    # orderbook: imbalance / 0.5, clamped
    (Layer.ORDERBOOK, ScalpingInputs(orderbook=_book(0.25)), 0.5),
    (Layer.ORDERBOOK, ScalpingInputs(orderbook=_book(0.5)), 1.0),
    (Layer.ORDERBOOK, ScalpingInputs(orderbook=_book(-0.8)), -1.0),
    (Layer.ORDERBOOK, ScalpingInputs(orderbook=_book(0.0)), 0.0),
    (Layer.ORDERBOOK, ScalpingInputs(orderbook=_book(None)), None),
    (Layer.ORDERBOOK, ScalpingInputs(orderbook=_book(math.nan)), None),
    # volume delta: (buy - sell) / volume / 0.2, clamped
    (Layer.VOLUME_DELTA, ScalpingInputs(volume_delta=TakerFlow(20, 55.0, 100.0)), 0.5),
    (Layer.VOLUME_DELTA, ScalpingInputs(volume_delta=TakerFlow(20, 60.0, 100.0)), 1.0),
    (Layer.VOLUME_DELTA, ScalpingInputs(volume_delta=TakerFlow(20, 45.0, 100.0)), -0.5),
    (Layer.VOLUME_DELTA, ScalpingInputs(volume_delta=TakerFlow(20, 0.0, 100.0)), -1.0),
    (Layer.VOLUME_DELTA, ScalpingInputs(volume_delta=TakerFlow(20, 0.0, 0.0)), None),
    # price: % from VWAP / 0.5 %, clamped
    (Layer.PRICE, ScalpingInputs(price=_price(100.25, 100.0)), 0.5),
    (Layer.PRICE, ScalpingInputs(price=_price(99.0, 100.0)), -1.0),
    (Layer.PRICE, ScalpingInputs(price=_price(100.0, 100.0)), 0.0),
    (Layer.PRICE, ScalpingInputs(price=_price(100.0, None)), None),
    # rsi: contrarian beyond 70 / 30 over 10 points, 0 inside
    (Layer.RSI, ScalpingInputs(rsi=50.0), 0.0),
    (Layer.RSI, ScalpingInputs(rsi=70.0), 0.0),
    (Layer.RSI, ScalpingInputs(rsi=75.0), -0.5),
    (Layer.RSI, ScalpingInputs(rsi=95.0), -1.0),
    (Layer.RSI, ScalpingInputs(rsi=30.0), 0.0),
    (Layer.RSI, ScalpingInputs(rsi=25.0), 0.5),
    (Layer.RSI, ScalpingInputs(rsi=3.0), 1.0),
    (Layer.RSI, ScalpingInputs(rsi=math.inf), None),
    # large trades: (buy - sell) / total notional
    (Layer.LARGE_TRADES, ScalpingInputs(large_trades=TradeFlow(4, 300.0, 100.0)), 0.5),
    (Layer.LARGE_TRADES, ScalpingInputs(large_trades=TradeFlow(2, 0.0, 50.0)), -1.0),
    (Layer.LARGE_TRADES, ScalpingInputs(large_trades=TradeFlow(0, 0.0, 0.0)), 0.0),
    # liquidations: (short - long) / total; 0 when none
    (Layer.LIQUIDATIONS, ScalpingInputs(liquidations=_liq(100.0, 300.0)), 0.5),
    (Layer.LIQUIDATIONS, ScalpingInputs(liquidations=_liq(300.0, 100.0)), -0.5),
    (Layer.LIQUIDATIONS, ScalpingInputs(liquidations=_liq(0.0, 0.0)), 0.0),
    (Layer.LIQUIDATIONS, ScalpingInputs(liquidations=_liq(-1.0, 5.0)), None),
    # smart money: ln(ratio) / ln 2, followed
    (Layer.SMART_MONEY, ScalpingInputs(smart_money_ratio=2.0), 1.0),
    (Layer.SMART_MONEY, ScalpingInputs(smart_money_ratio=math.sqrt(2.0)), 0.5),
    (Layer.SMART_MONEY, ScalpingInputs(smart_money_ratio=1.0), 0.0),
    (Layer.SMART_MONEY, ScalpingInputs(smart_money_ratio=0.25), -1.0),
    (Layer.SMART_MONEY, ScalpingInputs(smart_money_ratio=0.0), None),
    # long/short ratio of all accounts: faded
    (Layer.LONG_SHORT_RATIO, ScalpingInputs(long_short_ratio=2.0), -1.0),
    (Layer.LONG_SHORT_RATIO, ScalpingInputs(long_short_ratio=1 / math.sqrt(2.0)), 0.5),
    (Layer.LONG_SHORT_RATIO, ScalpingInputs(long_short_ratio=-1.0), None),
    # funding: -(rate - 0.0001) / 0.0005, clamped
    (Layer.FUNDING, ScalpingInputs(funding_rate=0.0001), 0.0),
    (Layer.FUNDING, ScalpingInputs(funding_rate=0.00035), -0.5),
    (Layer.FUNDING, ScalpingInputs(funding_rate=0.003), -1.0),
    (Layer.FUNDING, ScalpingInputs(funding_rate=-0.00015), 0.5),
    # whales: (long - short) / total, followed; 0 without positions
    (Layer.WHALES, ScalpingInputs(whales=WhaleExposure(2, 300.0, 100.0)), 0.5),
    (Layer.WHALES, ScalpingInputs(whales=WhaleExposure(1, 0.0, 80.0)), -1.0),
    (Layer.WHALES, ScalpingInputs(whales=WhaleExposure(0, 0.0, 0.0)), 0.0),
    # fear & greed: (50 - value) / 50, value clamped to 0..100
    (Layer.FEAR_GREED, ScalpingInputs(fear_greed=25), 0.5),
    (Layer.FEAR_GREED, ScalpingInputs(fear_greed=75), -0.5),
    (Layer.FEAR_GREED, ScalpingInputs(fear_greed=50), 0.0),
    (Layer.FEAR_GREED, ScalpingInputs(fear_greed=140), -1.0),
    # social: (positive % - 50) / 50, followed
    (Layer.SOCIAL, ScalpingInputs(social_pct=75.0), 0.5),
    (Layer.SOCIAL, ScalpingInputs(social_pct=25.0), -0.5),
    (Layer.SOCIAL, ScalpingInputs(social_pct=math.nan), None),
]


@pytest.mark.parametrize(("layer", "inputs", "expected"), RULES)
def test_each_rule_scores_its_layer(
    layer: Layer, inputs: ScalpingInputs, expected: float | None
) -> None:
    cast = votes(inputs)
    if expected is None:
        assert cast == ()
        return
    assert [v.layer for v in cast] == [layer]
    assert cast[0].score == pytest.approx(expected, abs=1e-12)
    assert cast[0].weight == WEIGHTS[layer]
    assert cast[0].reason


def test_the_weights_sum_to_100_and_cover_every_layer() -> None:
    assert sum(WEIGHTS.values()) == 100
    assert set(WEIGHTS) == set(Layer)
    # fast order flow carries most of the weight, as documented
    fast = (Layer.TREND, Layer.ORDERBOOK, Layer.VOLUME_DELTA, Layer.PRICE, Layer.RSI)
    assert sum(WEIGHTS[x] for x in fast) == 70


def test_a_single_vote_sets_the_score_and_the_coverage() -> None:
    s = summarize(ScalpingInputs(orderbook=_book(0.25)))
    assert s.score == pytest.approx(0.5)
    assert s.coverage_pct == WEIGHTS[Layer.ORDERBOOK]
    assert s.bias is Direction.LONG
    assert s.based_on == (Layer.ORDERBOOK,)


@pytest.mark.parametrize(
    ("inputs", "bias"),
    [
        # (20 x 1 - 15 x 1) / 35 = 0.143: under the threshold
        (
            ScalpingInputs(trend=_trend(Alignment.BULLISH, Structure.UP), orderbook=_book(-0.5)),
            Direction.NEUTRAL,
        ),
        # RSI 28.5 alone scores exactly +0.15: the threshold counts
        (ScalpingInputs(rsi=30.0 - 1.5), Direction.LONG),
        (ScalpingInputs(rsi=70.0 + 1.5), Direction.SHORT),
        (ScalpingInputs(rsi=70.0 + 1.4), Direction.NEUTRAL),
        # (20 x -1 + 2 x 0.5) / 22: SHORT despite the contrarian fear
        (
            ScalpingInputs(trend=_trend(Alignment.BEARISH, Structure.DOWN), fear_greed=25),
            Direction.SHORT,
        ),
    ],
)
def test_bias_thresholds(inputs: ScalpingInputs, bias: Direction) -> None:
    s = summarize(inputs)
    assert s.bias is bias
    weights = sum(v.weight for v in s.votes)
    assert s.score == pytest.approx(sum(v.weight * v.score for v in s.votes) / weights)
    assert (s.score >= BIAS_THRESHOLD) == (bias is Direction.LONG)


def test_no_layers_is_neutral_based_on_nothing() -> None:
    s = summarize(ScalpingInputs())
    assert (s.bias, s.score, s.coverage_pct, s.based_on) == (Direction.NEUTRAL, 0.0, 0, ())
    assert s.key_levels == () and s.support is None and s.resistance is None
    assert s.read.startswith("NEUTRAL: no layer to read")


def test_based_on_is_in_table_order_and_the_read_names_the_strongest_three() -> None:
    inputs = ScalpingInputs(
        social_pct=75.0,  # 1 x 0.5
        fear_greed=25,  # 2 x 0.5
        rsi=25.0,  # 10 x 0.5
        trend=_trend(Alignment.BULLISH, Structure.UP),  # 20 x 1
        orderbook=_book(0.1),  # 15 x 0.2
    )
    s = summarize(inputs)
    assert s.based_on == (Layer.TREND, Layer.ORDERBOOK, Layer.RSI, Layer.FEAR_GREED, Layer.SOCIAL)
    assert s.coverage_pct == 20 + 15 + 10 + 2 + 1
    reasons = {v.layer: v.reason for v in s.votes}
    read = s.read
    assert read.startswith("LONG (score +")
    positions = [read.index(reasons[x]) for x in (Layer.TREND, Layer.RSI, Layer.ORDERBOOK)]
    assert positions == sorted(positions)  # strongest first
    assert reasons[Layer.FEAR_GREED] not in read and reasons[Layer.SOCIAL] not in read


def test_key_levels_support_and_resistance() -> None:
    price = PriceSnapshot((), 100.0, 110.0, 90.0, RANGE_CANDLES, 101.0)
    bid_walls = tuple(Wall(p, 10.0, 6.0) for p in (98.0, 95.0, 93.0, 92.0))
    book = BookSnapshot(0.0, 100.05, Walls(bid_walls, (Wall(105.0, 9.0, 5.5),)))
    s = summarize(ScalpingInputs(price=price, orderbook=book))
    got = [(k.kind, k.price, k.layer) for k in s.key_levels]
    assert got == [
        (LevelKind.RECENT_HIGH, 110.0, Layer.PRICE),
        (LevelKind.ASK_WALL, 105.0, Layer.ORDERBOOK),
        (LevelKind.VWAP, 101.0, Layer.PRICE),
        (LevelKind.BID_WALL, 98.0, Layer.ORDERBOOK),
        (LevelKind.BID_WALL, 95.0, Layer.ORDERBOOK),
        (LevelKind.BID_WALL, 93.0, Layer.ORDERBOOK),  # the 4th wall (92) is past WALLS_PER_SIDE
        (LevelKind.RECENT_LOW, 90.0, Layer.PRICE),
    ]
    assert WALLS_PER_SIDE == 3
    assert [k.distance_pct for k in s.key_levels] == pytest.approx(
        [(p / 100.0 - 1) * 100 for _, p, _ in got]
    )
    assert s.support is not None and s.support.price == 98.0
    assert s.resistance is not None and s.resistance.price == 101.0
    assert "support 98.0000 (bid wall)" in s.read
    assert "resistance 101.000 (vwap)" in s.read


def test_without_a_price_layer_levels_are_measured_from_the_book_mid() -> None:
    book = BookSnapshot(0.2, 50.0, Walls((Wall(49.0, 1.0, 6.0),), (Wall(52.0, 1.0, 6.0),)))
    s = summarize(ScalpingInputs(orderbook=book))
    assert [k.distance_pct for k in s.key_levels] == pytest.approx([4.0, -2.0])
    assert s.support is not None and s.support.kind is LevelKind.BID_WALL
    assert s.resistance is not None and s.resistance.kind is LevelKind.ASK_WALL


def test_rsi_zones() -> None:
    assert [rsi_zone(x) for x in (70.0, 69.9, 30.1, 30.0)] == [
        RsiZone.OVERBOUGHT,
        RsiZone.NEUTRAL,
        RsiZone.NEUTRAL,
        RsiZone.OVERSOLD,
    ]


# --- layer readings on recorded data -----------------------------------------------------


def test_price_snapshot_on_recorded_candles() -> None:
    candles = candles_1h()[-100:]
    p = price_snapshot(candles)
    assert p is not None
    recent = candles[-RANGE_CANDLES:]
    assert p.price == candles[-1].close
    assert p.recent_high == max(c.high for c in recent)
    assert p.recent_low == min(c.low for c in recent)
    typical = [(c.high + c.low + c.close) / 3 * c.volume for c in candles]
    assert p.vwap == pytest.approx(sum(typical) / sum(c.volume for c in candles), rel=1e-12)
    assert price_snapshot(()) is None
    short = price_snapshot(candles[:3])  # fewer candles than the range: all of them
    assert short is not None and short.range_candles == 3
    assert short.recent_high == max(c.high for c in candles[:3])


def test_taker_flow_on_recorded_klines_matches_the_volume_delta() -> None:
    candles = candles_5m_verbatim()
    for last in (1, 20, 100):
        flow = taker_flow(candles, last)
        assert flow is not None
        window = candles[-last:]
        buy = sum(c.taker_buy_base_volume or 0.0 for c in window)
        volume = sum(c.volume for c in window)
        assert flow.candles == last
        assert (flow.buy_base, flow.volume_base) == pytest.approx((buy, volume))
        expected = indicators.volume_delta(indicators.Series.from_candles(candles), last)
        assert flow.delta_base == pytest.approx(expected)
    assert taker_flow(candles[:5], 6) is None  # too few candles
    assert taker_flow(candles_1h(), 20) is None  # derived OHLCV: no taker volume


def _trade(i: int, price: float, qty: float, taker_sold: bool) -> Trade:
    return Trade(i, price, qty, 1_000 + i, taker_sold)


def test_largest_trades_and_their_flow() -> None:
    trades = [
        _trade(1, 10.0, 1.0, False),  # 10
        _trade(2, 10.0, 5.0, True),  # 50
        _trade(3, 20.0, 1.0, False),  # 20
        _trade(4, 5.0, 10.0, False),  # 50, newer than #2
        _trade(5, 1.0, 1.0, True),  # 1
    ]
    top = largest_trades(trades, 3)
    assert [t.trade_id for t in top] == [4, 2, 3]
    assert [t.trade_id for t in largest_trades(trades, 10, min_notional=20.0)] == [4, 2, 3]
    flow = trade_flow(top)
    assert (flow.trades, flow.buy_notional, flow.sell_notional) == (3, 70.0, 50.0)
    with pytest.raises(ValueError):
        largest_trades(trades, 0)


def test_whale_exposure_by_side() -> None:
    def pos(size: float, value: float) -> PerpPosition:
        return PerpPosition("ETH", size, None, value, 0.0, None, None, None, None, None)

    e = whale_exposure([pos(1.0, 300.0), pos(-2.0, 100.0), pos(0.5, 50.0)])
    assert (e.positions, e.long_usd, e.short_usd) == (3, 350.0, 100.0)


# --- walls on recorded books ---------------------------------------------------------------


def _recorded_book(path: Path, depth: int) -> OrderBook:
    raw = json.loads(path.read_text())

    def side(rows: list[list[str]]) -> tuple[BookLevel, ...]:
        return tuple(BookLevel(float(p), float(q)) for p, q in rows[:depth])

    return OrderBook(path.name, side(raw["bids"]), side(raw["asks"]), META)


def _expected_walls(levels: tuple[BookLevel, ...]) -> list[tuple[float, float, float]]:
    quantities = [level.quantity for level in levels]
    mean = sum(quantities) / len(quantities)
    return [(x.price, x.quantity, x.quantity / mean) for x in levels if x.quantity > 5 * mean]


@pytest.mark.parametrize("depth", [50, 100, 1000])
@pytest.mark.parametrize("path", DEPTH_FILES, ids=[p.name.split("-")[1] for p in DEPTH_FILES])
def test_walls_on_recorded_depth(path: Path, depth: int) -> None:
    book = _recorded_book(path, depth)
    got = walls(book)
    for levels, found in ((book.bids, got.bids), (book.asks, got.asks)):
        expected = _expected_walls(levels)
        assert [(w.price, w.quantity) for w in found] == [(p, q) for p, q, _ in expected]
        assert [w.multiple for w in found] == pytest.approx([m for _, _, m in expected])
        assert all(w.multiple > WALL_FACTOR for w in found)
    # every recorded book has walls at 100 levels (what the snapshot asks by default)
    if depth == 100:
        assert got.bids and got.asks


def test_recorded_depth_files_are_found() -> None:
    assert len(DEPTH_FILES) == 4


def test_walls_edge_cases() -> None:
    level = BookLevel
    assert side_walls(()) == ()
    assert side_walls([level(1.0, 0.0), level(2.0, 0.0)]) == ()
    # five equal levels and one of 26: average 30/6 = 5, 26 > 25
    levels = [level(float(i), 1.0) for i in range(5)] + [level(9.0, 25.0 + 1.0)]
    assert [w.price for w in side_walls(levels)] == [9.0]
    # exactly 5x the average is not a wall (strictly above): 1.0 against an average of 0.2
    edge = [level(float(i), 0.0) for i in range(4)] + [level(8.0, 1.0)]
    assert side_walls(edge) == ()
    with pytest.raises(ValueError):
        side_walls(levels, factor=0.0)
    with pytest.raises(ValueError):
        side_walls(levels, factor=math.nan)
