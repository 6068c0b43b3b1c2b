"""Records for the history tests, and a writer process the kill -9 test runs and kills.

Prices, times and candle ranges come from the recorded Binance USD-M 15m/1h klines
(``providers/replay/data/binance-futures/ohlcv``); scores, verdicts and the rest are our own
records built from them.

    python -m tests.providers.history_writer --dsn DSN --schema S --app NAME --outbox PATH

opens a ``HistoryStore``, prints ``ready``, then records signals ten at a time and prints each
acknowledged id on its own line (flushed) until it is killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from providers.history import SignalRow, VerdictRow, signal_id

OHLCV = Path(__file__).resolve().parents[2] / "providers/replay/data/binance-futures/ohlcv"
TICKERS = ("BTC", "ETH", "SOL")
MODES = ("CONSERVATIVE", "AGGRESSIVE", "ULTRA")
VERDICTS = ("CONFIRM", "DOWNSIZE", "SKIP", "WAIT")
INTERVALS = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1)}


@cache
def candles(ticker: str, interval: str) -> tuple[tuple[float, ...], ...]:
    """Recorded klines ``[open_time_ms, open, high, low, close, volume]`` of ``ticker``USDT."""
    rows = json.loads((OHLCV / f"ohlcv-{ticker}USDT-{interval}.json").read_text(encoding="utf-8"))
    return tuple(tuple(float(x) for x in row) for row in rows)


def close_time(candle: tuple[float, ...], interval: str) -> datetime:
    return datetime.fromtimestamp(candle[0] / 1000, UTC) + INTERVALS[interval]


def record_for(
    ticker: str, index: int, interval: str = "15m", source: str = "watcher"
) -> tuple[SignalRow, VerdictRow]:
    """A signal taken at the close of candle ``index`` of ``ticker``, with a verdict.

    Direction follows the candle's body; stop and targets are 1.5x / 1x / 2x the candle's
    range from the close.
    """
    candle = candles(ticker, interval)[index]
    _, open_, high, low, close, _ = candle
    direction = "LONG" if close >= open_ else "SHORT"
    side = 1 if direction == "LONG" else -1
    move_pct = (close - open_) / open_ * 100
    mode = MODES[index % len(MODES)]
    at = close_time(candle, interval)
    rng = high - low
    signal = SignalRow(
        id=signal_id(ticker, mode, direction, at, source),
        ticker=ticker,
        mode=mode,
        direction=direction,
        score=round(50 + max(-50.0, min(50.0, move_pct * 20)), 2),
        confidence="HIGH" if abs(move_pct) > 0.5 else "MEDIUM" if abs(move_pct) > 0.1 else "LOW",
        price=close,
        factors={"momentum": {"move_pct": move_pct}, "candle": [open_, high, low, close]},
        quality={"score_pct": 100, "sources": {"binance": "OK"}},
        recorded_at=at,
        source=source,
    )
    verdict = VerdictRow(
        verdict=VERDICTS[index % len(VERDICTS)],
        risk_mode="NORMAL" if index % 2 else "REDUCED",
        position_multiplier=(1.0, 0.5, 0.0, 0.25)[index % 4],
        judge="RULES",
        model=None,
        fallback_reason="no key" if index % 5 == 0 else None,
        stop_loss=close - side * 1.5 * rng,
        take_profits=(close + side * rng, close + side * 2 * rng),
        atr=rng,
        size_hint={"risk_pct": 1.0, "stop_distance": 1.5 * rng},
        plan_text=f"{direction} {ticker} at {close}",
        created_at=at,
        summary=f"{direction} {ticker}",
    )
    return signal, verdict


def sample(count: int, interval: str = "15m") -> list[tuple[SignalRow, VerdictRow]]:
    """``count`` records, the three tickers in turn over consecutive candles (so three
    records share each close time: the pagination tie-break is exercised)."""
    return [record_for(TICKERS[i % 3], i // 3, interval) for i in range(count)]


async def _main(args: argparse.Namespace) -> None:
    from providers.history import HistoryStore

    store = HistoryStore(
        args.dsn,
        outbox_path=args.outbox,
        application_name=args.app,
        server_settings={"search_path": args.schema},
        connect_timeout_s=1.0,
        write_timeout_s=2.0,
        retry_base_s=0.05,
        retry_max_s=0.3,
    )
    await store.open()
    print("ready", flush=True)
    records = sample(args.count)
    for start in range(0, len(records), 10):
        chunk = records[start : start + 10]
        ids = await asyncio.gather(*(store.record(s, v) for s, v in chunk))
        sys.stdout.write("".join(f"{i}\n" for i in ids))
        sys.stdout.flush()
    print("done", flush=True)
    await asyncio.sleep(3600)  # the test kills us


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("--dsn", "--schema", "--app", "--outbox"):
        parser.add_argument(name, required=True)
    parser.add_argument("--count", type=int, default=9000)
    asyncio.run(_main(parser.parse_args()))
