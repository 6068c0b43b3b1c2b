"""Which recorded file serves which (symbol, interval), and loading it as candles.

One source series per (symbol, interval), preferring verbatim, then newest:

=========  ========  ==============================================================  =========
symbol     interval  file (under ``binance-futures/``)                               fields
=========  ========  ==============================================================  =========
BTCUSDT    5m        ``klines-BTCUSDT-5m-limit500-2025-11-05.json`` (verbatim)       12
BTCUSDT    1h        ``ohlcv/ohlcv-BTCUSDT-1h-2025-05_2025-06.derived.csv``          7
BTCUSDT    1m, 15m   ``ohlcv/ohlcv-BTCUSDT-{1m,15m}.json`` (derived)                 7
ETH/SOL    1m, 5m,   ``ohlcv/ohlcv-{ETH,SOL}USDT-{tf}.json`` (derived)               7
           15m, 1h
SUSHI,     1m        final 22:25 and open 22:26 candles of 2021-07-22 from the       12
AKRO,                ``kline_1m`` frames in ``ws/fstream-combined-…jsonl``
KEEP, CTK            (last frame per candle; the REST body at 22:26:11 had these)
=========  ========  ==============================================================  =========

Not served: ``ohlcv-BTCUSDT-5m.json`` and ``ohlcv-BTCUSDT-1h.json`` (older and derived;
the verbatim 5m file and the verbatim-price 1h CSV win). Mark-price klines (``8h``) come from
``ohlcv/markPriceKlines-{BTC,ETH,SOL}USDT-8h.derived.json``.

Intervals not recorded for a symbol are aggregated from the finest recorded series whose
interval divides them and that yields at least one complete bucket (e.g. BTCUSDT 30m/4h/1d
from the 1m series, 2025-05-04..18). Aggregation is exact whichever series it starts from;
the choice only decides the span covered.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from .klines import INTERVAL_MS, Candle, Extra, aggregate, can_build_from, utc_ms
from .store import RecordedStore

__all__ = ["KLINE_FILES", "MARK_PRICE_FILES", "KlineBook", "KlineFile", "Series"]

Kind = Literal["rest12", "ohlcv_json", "ohlcv_csv", "ws_kline", "mark_json"]
_BF = "binance-futures/"
_WS = _BF + "ws/fstream-combined-SUSHI-AKRO-KEEP-CTK-2021-07-22.jsonl"


@dataclass(frozen=True, slots=True)
class KlineFile:
    symbol: str
    interval: str
    path: str  # relative to the data dir
    kind: Kind


@dataclass(frozen=True, slots=True)
class Series:
    symbol: str
    interval: str
    candles: tuple[Candle, ...]
    source: str  # file it came from (aggregates: "<file> aggregated from <interval>")


def _ohlcv(symbol: str, tf: str) -> KlineFile:
    return KlineFile(symbol, tf, f"{_BF}ohlcv/ohlcv-{symbol}-{tf}.json", "ohlcv_json")


KLINE_FILES: tuple[KlineFile, ...] = (
    KlineFile("BTCUSDT", "5m", _BF + "klines-BTCUSDT-5m-limit500-2025-11-05.json", "rest12"),
    KlineFile(
        "BTCUSDT", "1h", _BF + "ohlcv/ohlcv-BTCUSDT-1h-2025-05_2025-06.derived.csv", "ohlcv_csv"
    ),
    _ohlcv("BTCUSDT", "1m"),
    _ohlcv("BTCUSDT", "15m"),
    *(_ohlcv(sym, tf) for sym in ("ETHUSDT", "SOLUSDT") for tf in ("1m", "5m", "15m", "1h")),
    *(
        KlineFile(s, "1m", _WS, "ws_kline")
        for s in ("SUSHIUSDT", "AKROUSDT", "KEEPUSDT", "CTKUSDT")
    ),
)

MARK_PRICE_FILES: tuple[KlineFile, ...] = tuple(
    KlineFile(s, "8h", f"{_BF}ohlcv/markPriceKlines-{s}-8h.derived.json", "mark_json")
    for s in ("BTCUSDT", "ETHUSDT", "SOLUSDT")
)


def _dec(value: Any) -> Decimal:
    """Recorded number (JSON text parsed as Decimal/int, or a string) as Decimal."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _from_rest12(row: list[Any]) -> Candle:
    extra = Extra(_dec(row[7]), int(row[8]), _dec(row[9]), _dec(row[10]), str(row[11]))
    o, h, lo, c, v = (_dec(x) for x in row[1:6])
    return Candle(int(row[0]), int(row[6]), o, h, lo, c, v, extra)


def _from_ohlc(row: list[Any], size: int, with_volume: bool) -> Candle:
    open_ms = int(row[0])
    o, h, lo, c = (_dec(x) for x in row[1:5])
    return Candle(open_ms, open_ms + size - 1, o, h, lo, c, _dec(row[5]) if with_volume else None)


def _load_ws(store: RecordedStore, path: str, symbol: str) -> list[Candle]:
    latest: dict[int, dict[str, Any]] = {}  # frames arrive in order: keep each candle's last
    for line in store.jsonl(path):
        frame = json.loads(line["raw"], parse_float=Decimal)
        data = frame["data"]
        if data.get("e") == "kline" and data["s"] == symbol:
            latest[data["k"]["t"]] = data["k"]
    out = []
    for t in sorted(latest):
        k = latest[t]
        extra = Extra(_dec(k["q"]), int(k["n"]), _dec(k["V"]), _dec(k["Q"]), str(k["B"]))
        o, h, lo, c, v = (_dec(k[f]) for f in ("o", "h", "l", "c", "v"))
        out.append(Candle(int(t), int(k["T"]), o, h, lo, c, v, extra))
    return out


def load_file(store: RecordedStore, f: KlineFile) -> Series:
    size = INTERVAL_MS[f.interval]
    if f.kind == "rest12":
        candles = [_from_rest12(r) for r in store.json(f.path)]
    elif f.kind in ("ohlcv_json", "mark_json"):
        with_volume = f.kind == "ohlcv_json"
        candles = [_from_ohlc(r, size, with_volume) for r in store.json(f.path)]
    elif f.kind == "ohlcv_csv":
        lines = store.text(f.path).splitlines()[1:]  # header: open_time,open,high,low,close,volume
        rows = [line.split(",") for line in lines if line.strip()]
        candles = [_from_ohlc([utc_ms(r[0]), *r[1:6]], size, True) for r in rows]
    else:
        candles = _load_ws(store, f.path, f.symbol)
    candles.sort(key=lambda c: c.open_ms)
    return Series(f.symbol, f.interval, tuple(candles), f.path)


class KlineBook:
    """Series by (symbol, interval) for one file table, built lazily and cached in the store."""

    def __init__(self, store: RecordedStore, files: tuple[KlineFile, ...], name: str) -> None:
        self._store = store
        self._files = {(f.symbol, f.interval): f for f in files}
        self._name = name

    def symbols(self) -> list[str]:
        return list(dict.fromkeys(symbol for symbol, _ in self._files))

    def recorded(self, symbol: str) -> list[Series]:
        return [self._load(f) for (s, _), f in self._files.items() if s == symbol]

    def newest(self, symbol: str) -> Series | None:
        """The recorded series of ``symbol`` whose last candle is the most recent."""
        series = [s for s in self.recorded(symbol) if s.candles]
        return max(series, key=lambda s: s.candles[-1].open_ms, default=None)

    def series(self, symbol: str, interval: str) -> Series | None:
        """Recorded or aggregated series; ``None`` when ``symbol`` has no recording at all.
        A valid interval that cannot be built yields an empty series."""
        if not any(s == symbol for s, _ in self._files):
            return None
        f = self._files.get((symbol, interval))
        if f is not None:
            return self._load(f)
        build: Callable[[], Series] = lambda: self._aggregate(symbol, interval)  # noqa: E731
        return self._store.memo(f"{self._name}:agg:{symbol}:{interval}", build)

    def _load(self, f: KlineFile) -> Series:
        return self._store.memo(
            f"{self._name}:file:{f.symbol}:{f.interval}", lambda: load_file(self._store, f)
        )

    def _aggregate(self, symbol: str, interval: str) -> Series:
        sources = [s for s in self.recorded(symbol) if can_build_from(s.interval, interval)]
        for src in sorted(sources, key=lambda s: INTERVAL_MS[s.interval]):
            built = aggregate(src.candles, src.interval, interval)
            if built:
                source = f"{src.source} aggregated from {src.interval}"
                return Series(symbol, interval, tuple(built), source)
        return Series(symbol, interval, (), "")
