"""The scalping summary's rules (engine.scalping), one table per rule; its readings
(engine.scalping_inputs) and order-book walls, all on recorded data.

Every market input comes from providers/replay/data through ``tests.engine.recorded_inputs``,
which searches the recordings for an input on each side of a rule's break points ("the first
20-candle window of 5 m klines whose taker delta is a fifth of its volume or more"). The
expected score is the module docstring's formula applied to that recorded input, and each
case names the branch it stands for ("+1", "+", "0", "-", "-1" or "none"), which is checked
before the engine is asked. Where no recording reaches a branch, the input is derived from a
recorded one next to it (scaled, mirrored, zeroed) with a comment. Scores, weights and the
engine's own thresholds stay literal or are imported.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

import pytest

from engine import indicators
from engine import orderbook as book_math
from engine.domain import BookLevel, OrderBook, RatioKind, Sourced, Trade
from engine.indicators import Alignment, Structure, Trend
from engine.orderbook import WALL_FACTOR, Walls, side_walls, walls
from engine.scalping import (
    BIAS_THRESHOLD,
    FUNDING_NEUTRAL_RATE,
    FUNDING_SCALE_RATE,
    IMBALANCE_FULL,
    RATIO_FULL,
    RSI_FULL_SPAN,
    TAKER_FLOW_FULL,
    VWAP_DISTANCE_FULL_PCT,
    WALLS_PER_SIDE,
    WEIGHTS,
    KeyLevel,
    Layer,
    LevelKind,
    summarize,
    votes,
)
from engine.scalping_inputs import (
    RANGE_CANDLES,
    RSI_OVERBOUGHT,
    RSI_OVERSOLD,
    BookSnapshot,
    PriceSnapshot,
    RsiZone,
    ScalpingInputs,
    TakerFlow,
    TradeFlow,
    WhaleExposure,
    book_snapshot,
    largest_trades,
    notional,
    price_snapshot,
    rsi_zone,
    taker_flow,
    trade_flow,
    whale_exposure,
)
from engine.signal.model import Direction, LiquidationWindow
from providers.lunarcrush.models import SentimentCounts
from tests.engine.recorded_inputs import (
    DEPTH_SYMBOLS,
    agg_trades,
    book_where,
    candles_1m,
    depth_book,
    first,
    funding_where,
    largest_trade_flows,
    liquidated_symbols,
    liquidation_window,
    liquidation_window_where,
    price_snapshot_where,
    ratio_where,
    rsi_between,
    social_placeholder,
    taker_flow_where,
    taker_share,
    vwap_distance_pct,
    whale_positions,
    ws_candles_1m,
)
from tests.engine.signal.recorded import candles_1h, candles_5m_verbatim, fear_greed_values

DEPTH_FILES = sorted(
    (Path(__file__).resolve().parents[2] / "providers/replay/data/binance-futures").glob(
        "depth-*USDT-limit1000-*.json"
    )
)
META = Sourced("test", 0)


def _trend(alignment: Alignment | None, structure: Structure | None) -> Trend:
    return Trend(alignment, structure, None, None, None, None)


def _clamp(x: float) -> float:
    return max(-1.0, min(1.0, x))


class Rule(NamedTuple):
    layer: Layer
    case: str  # what the input is and where it was recorded
    inputs: ScalpingInputs  # that layer only
    expected: float | None  # the documented formula on the input; None = no vote
    lands: str  # the branch the input stands for: "+1", "+", "0", "-", "-1" or "none"


def _lands_on(expected: float | None, lands: str) -> bool:
    if expected is None:
        return lands == "none"
    tol = 1e-12
    return {
        "+1": abs(expected - 1.0) <= tol,
        "+": tol < expected < 1.0 - tol,
        "0": abs(expected) <= tol,
        "-": -1.0 + tol < expected < -tol,
        "-1": abs(expected + 1.0) <= tol,
    }.get(lands, False)


# -- trend: alignment +-0.5 plus structure +-0.5 (labels, not numbers) -------------------------


def _trend_rules() -> list[Rule]:
    table = [
        (Alignment.BULLISH, Structure.UP, 1.0, "+1"),
        (Alignment.BEARISH, Structure.DOWN, -1.0, "-1"),
        (Alignment.BULLISH, Structure.MIXED, 0.5, "+"),
        (Alignment.BULLISH, Structure.DOWN, 0.0, "0"),
        (None, Structure.DOWN, -0.5, "-"),
        (Alignment.MIXED, None, 0.0, "0"),
        (None, None, None, "none"),
    ]
    return [
        Rule(
            Layer.TREND,
            f"{a and a.value} {s and s.value}",
            ScalpingInputs(trend=_trend(a, s)),
            expected,
            lands,
        )
        for a, s, expected, lands in table
    ]


# -- orderbook: clamp(imbalance / 0.5), recorded Binance books ------------------------------


def _book_rule(case: str, snapshot: BookSnapshot, lands: str) -> Rule:
    x = snapshot.imbalance
    expected = _clamp(x / IMBALANCE_FULL) if x is not None and math.isfinite(x) else None
    return Rule(Layer.ORDERBOOK, case, ScalpingInputs(orderbook=snapshot), expected, lands)


def _orderbook_rules() -> list[Rule]:
    def found(what: str, lands: str, low: float, high: float) -> Rule:
        book = book_where(lambda x: low <= x < high, what)
        return _book_rule(f"{book.symbol} top {len(book.bids)}", book_snapshot(book), lands)

    full = IMBALANCE_FULL
    book = depth_book("SUSHIUSDT", 10)
    # No recorded book sits exactly on the full mark or at zero, so two are derived from the
    # recorded SUSHI top 10: (1) its ask sizes, times (1 + 0.5) / (1 - 0.5) = 3, put on its bid
    # prices: bids three times the asks, imbalance 0.5; (2) its bid sizes mirrored onto its ask
    # prices: equal sides, imbalance 0.
    times = (1 + IMBALANCE_FULL) / (1 - IMBALANCE_FULL)
    pairs = list(zip(book.bids, book.asks, strict=True))
    tripled = replace(book, bids=tuple(BookLevel(b.price, times * a.quantity) for b, a in pairs))
    mirrored = replace(book, asks=tuple(BookLevel(a.price, b.quantity) for b, a in pairs))
    return [
        found("bids heavier, under the full mark", "+", math.nextafter(0.0, 1.0), full),
        found("bids at least 3x the asks", "+1", full, math.inf),
        found("asks heavier, under the full mark", "-", math.nextafter(-full, 0.0), 0.0),
        found("asks at least 3x the bids", "-1", -1.0, math.nextafter(-full, 0.0)),
        _book_rule("SUSHIUSDT top 10, ask sizes x3 on the bids", book_snapshot(tripled), "+1"),
        _book_rule("SUSHIUSDT top 10, bid sizes mirrored", book_snapshot(mirrored), "0"),
        _book_rule("SUSHIUSDT, no levels", book_snapshot(replace(book, bids=(), asks=())), "none"),
        # no book yields it: the guard against a broken upstream value
        _book_rule("non-finite imbalance", BookSnapshot(math.nan, None, Walls((), ())), "none"),
    ]


# -- volume delta: clamp(((buy - sell) / volume) / 0.2), recorded BTCUSDT 5 m klines ----------


def _flow_rule(case: str, flow: TakerFlow, lands: str) -> Rule:
    expected = _clamp(taker_share(flow) / TAKER_FLOW_FULL) if flow.volume_base > 0 else None
    return Rule(Layer.VOLUME_DELTA, case, ScalpingInputs(volume_delta=flow), expected, lands)


def _volume_delta_rules() -> list[Rule]:
    def found(what: str, lands: str, low: float, high: float) -> Rule:
        flow = taker_flow_where(lambda s: low <= s < high, what)
        return _flow_rule(f"BTCUSDT 5m x{flow.candles}", flow, lands)

    full = TAKER_FLOW_FULL
    candle = candles_5m_verbatim()[-1]
    # Derived from the newest recorded candle: its volume split (1 + 0.2) / 2 = 60 % taker
    # buys, the split that counts fully; and the same candle without a trade (no volume, so
    # no taker buys), which casts no vote.
    at_mark = TakerFlow(1, candle.volume * (1 + full) / 2, candle.volume)
    no_trade = replace(candle, volume=0.0, taker_buy_base_volume=0.0)
    idle = taker_flow([no_trade], 1)
    assert idle is not None
    return [
        found("net taker buying under a fifth", "+", math.nextafter(0.0, 1.0), full),
        found("net taker buying of a fifth or more", "+1", full, math.inf),
        found("net taker selling under a fifth", "-", math.nextafter(-full, 0.0), 0.0),
        found("net taker selling of a fifth or more", "-1", -1.0, math.nextafter(-full, 0.0)),
        _flow_rule("newest BTCUSDT 5m volume split 60/40", at_mark, "+1"),
        _flow_rule("newest BTCUSDT 5m, volume zeroed", idle, "none"),
    ]


# -- price: clamp(% from VWAP / 0.5 %), recorded BTCUSDT 5 m windows -----------------------------


def _price_rule(case: str, p: PriceSnapshot, lands: str) -> Rule:
    expected = _clamp(vwap_distance_pct(p) / VWAP_DISTANCE_FULL_PCT) if p.vwap is not None else None
    return Rule(Layer.PRICE, case, ScalpingInputs(price=p), expected, lands)


def _price_rules() -> list[Rule]:
    def found(what: str, lands: str, low: float, high: float) -> Rule:
        p = price_snapshot_where(lambda d: low <= d < high, what)
        return _price_rule(f"BTCUSDT 5m x{p.range_candles}", p, lands)

    full = VWAP_DISTANCE_FULL_PCT
    # one recorded 1 m candle that closed mid-range (high + low = 2 x close): its VWAP, the
    # typical price (high + low + close) / 3, is its close
    level = first(candles_1m(), lambda c: c.high + c.low == 2 * c.close, "mid-range close")
    at_vwap = price_snapshot([level])
    # the same candle without volume (zeroed): no VWAP
    no_volume = price_snapshot([replace(level, volume=0.0)])
    assert at_vwap is not None and no_volume is not None
    return [
        found("above VWAP by under 0.5 %", "+", math.nextafter(0.0, 1.0), full),
        found("above VWAP by 0.5 % or more", "+1", full, math.inf),
        found("below VWAP by under 0.5 %", "-", math.nextafter(-full, 0.0), 0.0),
        found("below VWAP by 0.5 % or more", "-1", -math.inf, math.nextafter(-full, 0.0)),
        _price_rule("BTCUSDT 1m candle closing mid-range", at_vwap, "0"),
        _price_rule("BTCUSDT 1m candle, volume zeroed", no_volume, "none"),
    ]


# -- rsi: contrarian beyond 70 / 30 over 10 points, 0 inside; RSI of recorded BTCUSDT 1 m -------


def _rsi_rule(case: str, rsi: float, lands: str) -> Rule:
    expected: float | None
    if not math.isfinite(rsi):
        expected = None
    elif rsi > RSI_OVERBOUGHT:
        expected = -_clamp((rsi - RSI_OVERBOUGHT) / RSI_FULL_SPAN)
    elif rsi < RSI_OVERSOLD:
        expected = _clamp((RSI_OVERSOLD - rsi) / RSI_FULL_SPAN)
    else:
        expected = 0.0
    return Rule(Layer.RSI, case, ScalpingInputs(rsi=rsi), expected, lands)


def _rsi_rules() -> list[Rule]:
    high, low, span = RSI_OVERBOUGHT, RSI_OVERSOLD, RSI_FULL_SPAN
    return [
        _rsi_rule("BTCUSDT 1m, between the bounds", rsi_between(low, high), "0"),
        _rsi_rule("the overbought bound itself", high, "0"),
        _rsi_rule("BTCUSDT 1m, overbought by under 10", rsi_between(high, high + span), "-"),
        _rsi_rule("BTCUSDT 1m, overbought by 10 or more", rsi_between(high + span, 100.0), "-1"),
        _rsi_rule("the oversold bound itself", low, "0"),
        _rsi_rule("BTCUSDT 1m, oversold by under 10", rsi_between(low - span, low), "+"),
        _rsi_rule("BTCUSDT 1m, oversold by 10 or more", rsi_between(0.0, low - span), "+1"),
        _rsi_rule("non-finite RSI", math.inf, "none"),  # not a reading: the guard
    ]


# -- large trades: (buy - sell) / (buy + sell) notional; recorded aggregate trades ------------


def _trades_rule(case: str, flow: TradeFlow, lands: str) -> Rule:
    total = flow.buy_notional + flow.sell_notional
    expected = (flow.buy_notional - flow.sell_notional) / total if total > 0 else 0.0
    return Rule(Layer.LARGE_TRADES, case, ScalpingInputs(large_trades=flow), expected, lands)


def _large_trade_rules() -> list[Rule]:
    def found(what: str, lands: str, buy_side: bool, sell_side: bool, buys_lead: bool) -> Rule:
        symbol, n, flow = first(
            largest_trade_flows(),
            lambda x: (
                x[1] >= 2
                and (x[2].buy_notional > 0) == buy_side
                and (x[2].sell_notional > 0) == sell_side
                and (x[2].buy_notional > x[2].sell_notional) == buys_lead
            ),
            what,
        )
        return _trades_rule(f"{symbol} {n} largest", flow, lands)

    everything = [t for s in DEPTH_SYMBOLS for t in agg_trades(s)]
    # a floor just above the largest recorded trade: none is large enough
    floor = math.nextafter(max(notional(t) for t in everything), math.inf)
    return [
        found("largest trades leaning to taker buys", "+", True, True, True),
        found("largest trades leaning to taker sells", "-", True, True, False),
        found("largest trades all taker buys", "+1", True, False, True),
        found("largest trades all taker sells", "-1", False, True, False),
        _trades_rule(
            "no trade above the largest",
            trade_flow(largest_trades(everything, len(everything), min_notional=floor)),
            "0",
        ),
    ]


# -- liquidations: (short - long) / (short + long) USD; the recorded forceOrder feed ------------


def _liq_rule(case: str, w: LiquidationWindow, lands: str) -> Rule:
    total = w.long_usd + w.short_usd
    expected: float | None
    if w.long_usd < 0 or w.short_usd < 0:
        expected = None
    else:
        expected = (w.short_usd - w.long_usd) / total if total > 0 else 0.0
    return Rule(Layer.LIQUIDATIONS, case, ScalpingInputs(liquidations=w), expected, lands)


def _liquidation_rules() -> list[Rule]:
    def found(what: str, lands: str, longs: bool, shorts: bool, shorts_lead: bool) -> Rule:
        w = liquidation_window_where(
            lambda w: (
                (w.long_usd > 0) == longs
                and (w.short_usd > 0) == shorts
                and (w.short_usd > w.long_usd) == shorts_lead
            ),
            what,
        )
        symbol = w.largest[0].symbol
        return _liq_rule(f"{symbol} over the recording", w, lands)

    quiet = first(DEPTH_SYMBOLS, lambda s: s not in liquidated_symbols(), "unliquidated symbol")
    both = liquidation_window_where(lambda w: w.long_usd > 0 and w.short_usd > 0, "both sides")
    return [
        found("more shorts than longs liquidated", "+", True, True, True),
        found("more longs than shorts liquidated", "-", True, True, False),
        found("only shorts liquidated", "+1", False, True, True),
        found("only longs liquidated", "-1", True, False, False),
        _liq_rule(f"{quiet}: none in the recording", liquidation_window(quiet), "0"),
        # a negative amount, as no feed should send: a recorded window's long USD sign-flipped
        _liq_rule("long USD sign-flipped", replace(both, long_usd=-both.long_usd), "none"),
    ]


# -- smart money (followed) and the accounts' long/short ratio (faded): ln(ratio) / ln 2 -------
# Only documentation examples record long/short ratios (Binance, Coinglass, OKX). The rule
# reads any long/short ratio the same way, so every recorded kind is searched, the layer's own
# kind first; the case names the series used.


def _ratio_rule(layer: Layer, case: str, ratio: float, lands: str) -> Rule:
    x = _clamp(math.log(ratio) / math.log(RATIO_FULL)) if ratio > 0 else None
    if layer is Layer.SMART_MONEY:
        return Rule(layer, case, ScalpingInputs(smart_money_ratio=ratio), x, lands)
    return Rule(
        layer, case, ScalpingInputs(long_short_ratio=ratio), None if x is None else -x, lands
    )


def _ratio_rules(layer: Layer, kind: RatioKind) -> list[Rule]:
    followed = layer is Layer.SMART_MONEY

    def lean(lands: str) -> str:  # the branch as the follower reads it; faded: the opposite
        return lands if followed else {"+1": "-1", "+": "-", "-": "+", "-1": "+1"}[lands]

    def found(what: str, lands: str, low: float, high: float) -> Rule:
        source, ratio = ratio_where(lambda r: low <= r < high, what, kind)
        return _ratio_rule(layer, source, ratio, lean(lands))

    full, half = RATIO_FULL, 1 / RATIO_FULL
    source, recorded = ratio_where(lambda r: r > 0, "ratio", kind)
    rules = [
        found("of 2 or more", "+1", full, math.inf),
        found("between 1 and 2", "+", math.nextafter(1.0, 2.0), full),
        found("between 1/2 and 1", "-", math.nextafter(half, 1.0), 1.0),
        found("of 1/2 or less", "-1", math.nextafter(0.0, 1.0), math.nextafter(half, 1.0)),
        # a ratio that is not positive, as no venue sends: a recorded one sign-flipped
        _ratio_rule(layer, f"{source}, sign-flipped", -recorded, "none"),
    ]
    if followed:
        rules += [
            _ratio_rule(layer, "the full mark itself (RATIO_FULL)", RATIO_FULL, "+1"),
            # as many longs as shorts: no recording sits exactly there, so a recorded ratio
            # is scaled onto 1 (divided by itself)
            _ratio_rule(layer, f"{source}, scaled onto 1", recorded / recorded, "0"),
        ]
    return rules


# -- funding: -clamp((rate - 0.0001) / 0.0005); recorded Binance funding rates ---------------


def _funding_rules() -> list[Rule]:
    neutral, scale = FUNDING_NEUTRAL_RATE, FUNDING_SCALE_RATE

    def found(what: str, lands: str, low: float, high: float) -> Rule:
        where, rate = funding_where(lambda r: low <= r < high, what)
        expected = -_clamp((rate - neutral) / scale)
        return Rule(Layer.FUNDING, where, ScalpingInputs(funding_rate=rate), expected, lands)

    above = math.nextafter(neutral, 1.0)
    return [
        found("at the neutral 0.01 %", "0", neutral, above),
        found("above neutral by under 0.05 %", "-", above, neutral + scale),
        found("above neutral by 0.05 % or more", "-1", neutral + scale, math.inf),
        found("below neutral by under 0.05 %", "+", math.nextafter(neutral - scale, 1.0), neutral),
        found(
            "below neutral by 0.05 % or more", "+1", -math.inf, math.nextafter(neutral - scale, 1.0)
        ),
    ]


# -- whales: (long - short) / (long + short) USD; the recorded Hyperliquid account --------------


def _whale_rule(case: str, e: WhaleExposure, lands: str) -> Rule:
    total = e.long_usd + e.short_usd
    expected = (e.long_usd - e.short_usd) / total if total > 0 else 0.0
    return Rule(Layer.WHALES, case, ScalpingInputs(whales=e), expected, lands)


def _whale_rules() -> list[Rule]:
    held = whale_positions()
    longs = [p for p in held if p.size_base > 0]
    shorts = [p for p in held if p.size_base < 0]
    mixed = whale_exposure(held)
    return [
        _whale_rule("every position", mixed, "+" if mixed.long_usd > mixed.short_usd else "-"),
        _whale_rule("its long positions", whale_exposure(longs), "+1"),
        _whale_rule("its short positions", whale_exposure(shorts), "-1"),
        _whale_rule("no position", whale_exposure([]), "0"),
    ]


# -- fear & greed: (50 - value) / 50, value clamped to 0..100; recorded daily index ----------


def _fear_greed_rules() -> list[Rule]:
    def rule(case: str, value: int, lands: str) -> Rule:
        expected = (50 - min(100, max(0, value))) / 50
        return Rule(Layer.FEAR_GREED, case, ScalpingInputs(fear_greed=value), expected, lands)

    values = fear_greed_values()
    return [
        rule("newest fearful day", first(values, lambda v: v < 50, "fearful day"), "+"),
        rule("newest greedy day", first(values, lambda v: v > 50, "greedy day"), "-"),
        rule("newest neutral day", first(values, lambda v: v == 50, "day at 50"), "0"),
        # past the scale, as no feed should send: the greediest recorded day doubled
        rule("greediest day doubled", 2 * max(values), "-1"),
    ]


# -- social: (positive % - 50) / 50; LunarCrush's recorded placeholder counts ------------------


def _social_rules() -> list[Rule]:
    data = social_placeholder()  # one positive, one neutral, one negative tweet
    tweets = data.types_sentiment_detail["tweet"]
    # Derived networks: the recorded tweets with their negative (or positive) posts dropped.
    positives = tweets.model_copy(update={"negative": 0.0})
    negatives = tweets.model_copy(update={"positive": 0.0})

    def rule(case: str, lands: str, **networks: SentimentCounts) -> Rule:
        pct = data.model_copy(update={"types_sentiment_detail": networks}).sentiment_pct()
        assert pct is not None
        expected = _clamp((pct - 50.0) / 50.0)
        return Rule(Layer.SOCIAL, case, ScalpingInputs(social_pct=pct), expected, lands)

    return [
        rule("the placeholder as recorded", "0", tweet=tweets),
        rule("plus a network of its positive posts", "+", tweet=tweets, news=positives),
        rule("plus a network of its negative posts", "-", tweet=tweets, news=negatives),
        rule("its positive posts only", "+1", tweet=positives),
        Rule(Layer.SOCIAL, "non-finite share", ScalpingInputs(social_pct=math.nan), None, "none"),
    ]


RULES: list[Rule] = [
    *_trend_rules(),
    *_orderbook_rules(),
    *_volume_delta_rules(),
    *_price_rules(),
    *_rsi_rules(),
    *_large_trade_rules(),
    *_liquidation_rules(),
    *_ratio_rules(Layer.SMART_MONEY, RatioKind.TOP_POSITIONS),
    *_funding_rules(),
    *_ratio_rules(Layer.LONG_SHORT_RATIO, RatioKind.GLOBAL_ACCOUNTS),
    *_whale_rules(),
    *_fear_greed_rules(),
    *_social_rules(),
]


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.layer.value}[{r.lands}] {r.case}" for r in RULES])
def test_each_rule_scores_its_layer(rule: Rule) -> None:
    # the recorded input reaches the branch it stands for
    assert _lands_on(rule.expected, rule.lands), (rule.expected, rule.lands)
    cast = votes(rule.inputs)
    if rule.expected is None:
        assert cast == ()
        return
    assert [v.layer for v in cast] == [rule.layer]
    assert cast[0].score == pytest.approx(rule.expected, abs=1e-12)
    assert cast[0].weight == WEIGHTS[rule.layer]
    assert cast[0].reason


def test_every_layer_has_a_rule_leaning_each_way() -> None:
    for layer in Layer:
        lands = {r.lands for r in RULES if r.layer is layer}
        assert lands & {"+", "+1"} and lands & {"-", "-1"}, layer


def test_the_weights_sum_to_100_and_cover_every_layer() -> None:
    assert sum(WEIGHTS.values()) == 100
    assert set(WEIGHTS) == set(Layer)
    # fast order flow carries most of the weight, as documented
    fast = (Layer.TREND, Layer.ORDERBOOK, Layer.VOLUME_DELTA, Layer.PRICE, Layer.RSI)
    assert sum(WEIGHTS[x] for x in fast) == 70


def test_a_single_vote_sets_the_score_and_the_coverage() -> None:
    book = book_where(
        lambda x: BIAS_THRESHOLD * IMBALANCE_FULL <= x < IMBALANCE_FULL,
        "bids heavy enough to lean LONG on their own",
    )
    imbalance = book_math.imbalance(book)
    assert imbalance is not None
    s = summarize(ScalpingInputs(orderbook=book_snapshot(book)))
    assert s.score == pytest.approx(imbalance / IMBALANCE_FULL)
    assert s.coverage_pct == WEIGHTS[Layer.ORDERBOOK]
    assert s.bias is Direction.LONG
    assert s.based_on == (Layer.ORDERBOOK,)


def _bias_cases() -> list[object]:
    lean = BIAS_THRESHOLD * RSI_FULL_SPAN  # RSI points past a bound that score the threshold
    asks_heavy = book_where(lambda x: x <= -IMBALANCE_FULL, "asks at least 3x the bids")
    most_fearful = min(fear_greed_values())
    return [
        # (20 x 1 - 15 x 1) / 35 = 0.143: under the threshold
        pytest.param(
            ScalpingInputs(
                trend=_trend(Alignment.BULLISH, Structure.UP), orderbook=book_snapshot(asks_heavy)
            ),
            Direction.NEUTRAL,
            id="trend-against-a-full-book",
        ),
        # an RSI scoring exactly +-0.15 alone: the threshold counts
        pytest.param(ScalpingInputs(rsi=RSI_OVERSOLD - lean), Direction.LONG, id="rsi-at-long"),
        pytest.param(ScalpingInputs(rsi=RSI_OVERBOUGHT + lean), Direction.SHORT, id="rsi-at-short"),
        # recorded RSIs either side of those marks
        pytest.param(
            ScalpingInputs(rsi=rsi_between(RSI_OVERBOUGHT, RSI_OVERBOUGHT + lean)),
            Direction.NEUTRAL,
            id="recorded-rsi-short-of-short",
        ),
        pytest.param(
            ScalpingInputs(rsi=rsi_between(RSI_OVERBOUGHT + lean, 100.0)),
            Direction.SHORT,
            id="recorded-rsi-past-short",
        ),
        pytest.param(
            ScalpingInputs(rsi=rsi_between(RSI_OVERSOLD - lean, RSI_OVERSOLD)),
            Direction.NEUTRAL,
            id="recorded-rsi-short-of-long",
        ),
        pytest.param(
            ScalpingInputs(rsi=rsi_between(0.0, RSI_OVERSOLD - lean)),
            Direction.LONG,
            id="recorded-rsi-past-long",
        ),
        # (20 x -1 + 2 x fear) / 22: SHORT despite the most fearful recorded day (contrarian)
        pytest.param(
            ScalpingInputs(
                trend=_trend(Alignment.BEARISH, Structure.DOWN), fear_greed=most_fearful
            ),
            Direction.SHORT,
            id="trend-against-fear",
        ),
    ]


@pytest.mark.parametrize(("inputs", "bias"), _bias_cases())
def test_bias_thresholds(inputs: ScalpingInputs, bias: Direction) -> None:
    s = summarize(inputs)
    assert s.bias is bias
    weights = sum(v.weight for v in s.votes)
    assert s.score == pytest.approx(sum(v.weight * v.score for v in s.votes) / weights)
    assert (s.score >= BIAS_THRESHOLD) == (bias is Direction.LONG)
    assert (s.score <= -BIAS_THRESHOLD) == (bias is Direction.SHORT)


def test_no_layers_is_neutral_based_on_nothing() -> None:
    s = summarize(ScalpingInputs())
    assert (s.bias, s.score, s.coverage_pct, s.based_on) == (Direction.NEUTRAL, 0.0, 0, ())
    assert s.key_levels == () and s.support is None and s.resistance is None
    assert s.read.startswith("NEUTRAL: no layer to read")


def test_based_on_is_in_table_order_and_the_read_names_the_strongest_three() -> None:
    tweets = social_placeholder().types_sentiment_detail["tweet"]
    positives = tweets.model_copy(update={"negative": 0.0})  # derived, as in the social rules
    social = social_placeholder().model_copy(
        update={"types_sentiment_detail": {"tweet": tweets, "news": positives}}
    )
    social_pct = social.sentiment_pct()
    assert social_pct is not None
    bids_heavy = book_where(lambda x: 0 < x < IMBALANCE_FULL, "bids heavier")
    inputs = ScalpingInputs(
        social_pct=social_pct,  # 1 x 1/3
        fear_greed=first(fear_greed_values(), lambda v: v < 50, "fearful day"),  # 2 x under 1
        # deep in the oversold span: 10 x over 1/2, more than fear and social can weigh
        rsi=rsi_between(RSI_OVERSOLD - RSI_FULL_SPAN, RSI_OVERSOLD - RSI_FULL_SPAN / 2),
        trend=_trend(Alignment.BULLISH, Structure.UP),  # 20 x 1
        orderbook=book_snapshot(bids_heavy),  # 15 x imbalance / 0.5
    )
    s = summarize(inputs)
    assert s.based_on == (Layer.TREND, Layer.ORDERBOOK, Layer.RSI, Layer.FEAR_GREED, Layer.SOCIAL)
    assert s.coverage_pct == sum(WEIGHTS[layer] for layer in s.based_on)
    read = s.read
    assert read.startswith("LONG (score +")
    by_strength = sorted(s.votes, key=lambda v: abs(v.contribution), reverse=True)
    named, unnamed = by_strength[:3], by_strength[3:]
    assert {v.layer for v in unnamed} == {Layer.FEAR_GREED, Layer.SOCIAL}
    positions = [read.index(v.reason) for v in named]
    assert positions == sorted(positions)  # strongest first
    assert all(v.reason not in read for v in unnamed)


def _level_words(level: KeyLevel) -> str:
    """As the read writes a level: about six significant digits, at least two decimals."""
    digits = max(2, min(10, 5 - math.floor(math.log10(abs(level.price)))))
    return f"{level.price:,.{digits}f} ({level.kind.value.lower().replace('_', ' ')})"


def test_key_levels_support_and_resistance() -> None:
    # SUSHIUSDT's recorded 1 m klines and its book, recorded in the same minute
    price = price_snapshot(ws_candles_1m("SUSHIUSDT"))
    book = book_snapshot(depth_book("SUSHIUSDT", 1000))
    assert price is not None and price.vwap is not None
    assert len(book.walls.bids) > WALLS_PER_SIDE and len(book.walls.asks) > WALLS_PER_SIDE
    s = summarize(ScalpingInputs(price=price, orderbook=book))
    expected = sorted(
        [
            (LevelKind.RECENT_HIGH, price.recent_high, Layer.PRICE),
            (LevelKind.RECENT_LOW, price.recent_low, Layer.PRICE),
            (LevelKind.VWAP, price.vwap, Layer.PRICE),
            *[(LevelKind.BID_WALL, w.price, Layer.ORDERBOOK) for w in book.walls.bids[:3]],
            *[(LevelKind.ASK_WALL, w.price, Layer.ORDERBOOK) for w in book.walls.asks[:3]],
        ],
        key=lambda x: x[1],
        reverse=True,
    )
    assert WALLS_PER_SIDE == 3  # the walls past the third of a side are left out
    assert [(k.kind, k.price, k.layer) for k in s.key_levels] == expected
    assert [k.distance_pct for k in s.key_levels] == pytest.approx(
        [(p / price.price - 1) * 100 for _, p, _ in expected]
    )
    below = [p for _, p, _ in expected if p < price.price]
    above = [p for _, p, _ in expected if p > price.price]
    assert s.support is not None and s.support.price == max(below)
    assert s.resistance is not None and s.resistance.price == min(above)
    assert f"support {_level_words(s.support)}" in s.read
    assert f"resistance {_level_words(s.resistance)}" in s.read


def test_without_a_price_layer_levels_are_measured_from_the_book_mid() -> None:
    book = depth_book("SUSHIUSDT", 100)
    snapshot = book_snapshot(book)
    assert snapshot.mid == (book.bids[0].price + book.asks[0].price) / 2
    s = summarize(ScalpingInputs(orderbook=snapshot))
    walls_kept = [*snapshot.walls.bids[:WALLS_PER_SIDE], *snapshot.walls.asks[:WALLS_PER_SIDE]]
    prices = sorted((w.price for w in walls_kept), reverse=True)
    assert [k.price for k in s.key_levels] == prices
    assert [k.distance_pct for k in s.key_levels] == pytest.approx(
        [(p / snapshot.mid - 1) * 100 for p in prices]
    )
    # walls nearest first: the nearest bid wall supports, the nearest ask wall resists
    assert s.support is not None and s.support.kind is LevelKind.BID_WALL
    assert s.support.price == snapshot.walls.bids[0].price
    assert s.resistance is not None and s.resistance.kind is LevelKind.ASK_WALL
    assert s.resistance.price == snapshot.walls.asks[0].price


def test_rsi_zones() -> None:
    # the bounds are inclusive
    assert [
        rsi_zone(x)
        for x in (
            RSI_OVERBOUGHT,
            math.nextafter(RSI_OVERBOUGHT, 0.0),
            math.nextafter(RSI_OVERSOLD, 100.0),
            RSI_OVERSOLD,
        )
    ] == [RsiZone.OVERBOUGHT, RsiZone.NEUTRAL, RsiZone.NEUTRAL, RsiZone.OVERSOLD]
    # recorded readings in each zone
    assert rsi_zone(rsi_between(RSI_OVERBOUGHT, 100.0)) is RsiZone.OVERBOUGHT
    assert rsi_zone(rsi_between(RSI_OVERSOLD, RSI_OVERBOUGHT)) is RsiZone.NEUTRAL
    assert rsi_zone(rsi_between(0.0, RSI_OVERSOLD)) is RsiZone.OVERSOLD


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


def _by_size(trades: list[Trade] | tuple[Trade, ...], min_notional: float = 0.0) -> list[Trade]:
    """The documented order: largest notional first, equal notionals newest first."""
    kept = [t for t in trades if notional(t) >= min_notional]
    return sorted(kept, key=lambda t: (-notional(t), -t.ts_ms, -t.trade_id))


def test_largest_trades_and_their_flow() -> None:
    trades = agg_trades("SUSHIUSDT")
    ordered = largest_trades(trades, len(trades))
    assert list(ordered) == _by_size(trades)
    # the recording holds two trades of equal notional: the newer one comes first
    ties = [(a, b) for a, b in pairwise(ordered) if notional(a) == notional(b)]
    assert ties and all(a.ts_ms > b.ts_ms for a, b in ties)
    top = largest_trades(trades, 3)
    assert list(top) == _by_size(trades)[:3]
    floor = notional(top[-1])  # the third largest: every trade at least that large
    assert list(largest_trades(trades, len(trades), min_notional=floor)) == _by_size(trades, floor)
    flow = trade_flow(top)
    assert flow.trades == 3
    assert flow.buy_notional == sum(notional(t) for t in top if not t.buyer_is_maker)
    assert flow.sell_notional == sum(notional(t) for t in top if t.buyer_is_maker)
    with pytest.raises(ValueError):
        largest_trades(trades, 0)


def test_whale_exposure_by_side() -> None:
    held = whale_positions()
    longs = [abs(p.position_value_usd) for p in held if p.size_base > 0]
    shorts = [abs(p.position_value_usd) for p in held if p.size_base < 0]
    assert longs and shorts  # the recorded account holds both sides
    e = whale_exposure(held)
    assert e.positions == len(held)
    assert (e.long_usd, e.short_usd) == pytest.approx((sum(longs), sum(shorts)))


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
    # AKROUSDT's six best recorded bids (whole-contract sizes, so the sums below are exact);
    # the sixth is resized below to sit on the wall mark
    *levels, sixth = depth_book("AKROUSDT", 6).bids
    total, n = sum(x.quantity for x in levels), len(levels)
    assert all(x.quantity.is_integer() for x in levels)
    assert side_walls(()) == ()
    # the recorded prices with their sizes zeroed: the side holds nothing, no wall
    assert side_walls([replace(x, quantity=0.0) for x in levels]) == ()
    # a sixth level holding exactly WALL_FACTOR x the side's average (which includes it):
    # q = F x (total + q) / (n + 1), so q = F x total / (n + 1 - F); only above it is a wall
    edge = WALL_FACTOR * total / (n + 1 - WALL_FACTOR)
    assert side_walls([*levels, replace(sixth, quantity=edge)]) == ()
    bigger = replace(sixth, quantity=edge + total)  # the five levels' total on top of that
    assert [w.price for w in side_walls([*levels, bigger])] == [sixth.price]
    with pytest.raises(ValueError):
        side_walls(levels, factor=0.0)
    with pytest.raises(ValueError):
        side_walls(levels, factor=math.nan)
