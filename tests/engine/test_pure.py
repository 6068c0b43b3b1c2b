"""Order-book maths and as-of rules, over recorded data."""

from __future__ import annotations

import json

import pytest

from engine.domain import BookLevel, Candle, OrderBook, Sourced, newest_candle_ms, series_as_of
from engine.orderbook import imbalance, spread, spread_bps
from tests.support import RECORDED


def _book(name: str, depth: int) -> OrderBook:
    body = json.loads((RECORDED / f"binance-futures/{name}").read_text())
    bids = tuple(BookLevel(float(p), float(q)) for p, q in body["bids"][:depth])
    asks = tuple(BookLevel(float(p), float(q)) for p, q in body["asks"][:depth])
    return OrderBook("SUSHIUSDT", bids, asks, Sourced("test", body["E"]))


def test_orderbook_measures_on_a_recorded_book() -> None:
    book = _book("depth-SUSHIUSDT-limit1000-2021-07-22.json", 20)
    bid_qty = sum(b.quantity for b in book.bids)
    ask_qty = sum(a.quantity for a in book.asks)
    assert imbalance(book) == pytest.approx((bid_qty - ask_qty) / (bid_qty + ask_qty))
    gap = spread(book)
    assert gap is not None and gap > 0
    assert gap == pytest.approx(book.asks[0].price - book.bids[0].price)
    mid = (book.asks[0].price + book.bids[0].price) / 2
    assert spread_bps(book) == pytest.approx(gap / mid * 10_000)


def test_empty_book_sides_give_none() -> None:
    empty = OrderBook("X", (), (), Sourced("test", 0))
    assert (imbalance(empty), spread(empty), spread_bps(empty)) == (None, None, None)


def test_series_as_of_is_the_newest_row_but_never_after_receipt() -> None:
    rows = json.loads(
        (RECORDED / "binance-futures/klines-BTCUSDT-5m-limit500-2025-11-05.json").read_text()
    )
    candles = [
        Candle(
            r[0],
            float(r[1]),
            float(r[2]),
            float(r[3]),
            float(r[4]),
            float(r[5]),
            r[6],
            None,
            None,
            None,
        )
        for r in rows
    ]
    newest = newest_candle_ms(candles)
    assert newest is not None and newest == rows[-1][6]
    assert series_as_of(newest, newest + 1) == newest  # an old recording: its own time
    assert series_as_of(newest, newest - 1) == newest - 1  # a still-open candle: receipt time
    assert series_as_of(None, 5) == 5
    assert newest_candle_ms([]) is None
