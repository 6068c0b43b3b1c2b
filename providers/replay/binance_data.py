"""Recorded Binance USD-M bodies other than klines, indexed for the routes in ``binance``.

* premiumIndex: ``premiumIndex-all-2025-06-17.json`` (verbatim array, 521 symbols).
* exchangeInfo: ``exchangeInfo-TESTNET-2025-12-24.json`` (verbatim bytes; newest recording).
* openInterest: ``openInterest-BTCUSDT-2024-06-04.json`` (verbatim, BTCUSDT only).
* depth: ``depth-{SUSHI,AKRO,KEEP,CTK}USDT-limit1000-2021-07-22.json`` (verbatim books).
* fundingRate (derived, rebuilt as ``{symbol, fundingTime, fundingRate}``; markPrice is not
  recorded and left out): BTCUSDT from ``ohlcv/fundingRate-BTCUSDT-2024-07_2025-06.derived.csv``
  (verbatim rate strings, 1000 rows, newer and longer than the 8h JSON), ETHUSDT/SOLUSDT from
  ``ohlcv/fundingRate-{ETH,SOL}USDT-8h.derived.json``. Times keep their recorded ms jitter.
* aggTrades and bookTicker: rebuilt from the ``aggTrade`` / ``bookTicker`` frames of
  ``ws/fstream-combined-SUSHI-AKRO-KEEP-CTK-2021-07-22.jsonl``. REST aggTrades has exactly
  the frame's ``a,p,q,f,l,T,m``; the recorded ids are contiguous (no trade missing in the
  30 s window). bookTicker is the last frame per symbol: ``b,B,a,A,T,u`` map to
  ``bidPrice,bidQty,askPrice,askQty,time,lastUpdateId``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .klines import utc_ms
from .store import RecordedStore
from .wire import dec_str

__all__ = [
    "DEPTH_FILES",
    "EXCHANGE_INFO",
    "OPEN_INTEREST",
    "PREMIUM_INDEX",
    "BinanceData",
    "FundingRecord",
]

_BF = "binance-futures/"
PREMIUM_INDEX = _BF + "premiumIndex-all-2025-06-17.json"
EXCHANGE_INFO = _BF + "exchangeInfo-TESTNET-2025-12-24.json"
OPEN_INTEREST = {"BTCUSDT": _BF + "openInterest-BTCUSDT-2024-06-04.json"}
DEPTH_FILES = {
    s: f"{_BF}depth-{s}-limit1000-2021-07-22.json"
    for s in ("SUSHIUSDT", "AKROUSDT", "KEEPUSDT", "CTKUSDT")
}
WS_FRAMES = _BF + "ws/fstream-combined-SUSHI-AKRO-KEEP-CTK-2021-07-22.jsonl"
FUNDING_CSV = {"BTCUSDT": _BF + "ohlcv/fundingRate-BTCUSDT-2024-07_2025-06.derived.csv"}
FUNDING_JSON = {s: f"{_BF}ohlcv/fundingRate-{s}-8h.derived.json" for s in ("ETHUSDT", "SOLUSDT")}


@dataclass(frozen=True, slots=True)
class FundingRecord:
    symbol: str
    funding_time_ms: int
    rate: str

    def wire(self) -> dict[str, object]:
        return {
            "symbol": self.symbol,
            "fundingTime": self.funding_time_ms,
            "fundingRate": self.rate,
        }


class BinanceData:
    """Lazy indexes over the recorded Binance files (cached in the store)."""

    def __init__(self, store: RecordedStore) -> None:
        self._store = store

    def exchange_info_bytes(self) -> bytes:
        return self._store.raw(EXCHANGE_INFO)

    def premium_index(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self._store.json(PREMIUM_INDEX)
        return data

    def premium_index_by_symbol(self) -> dict[str, dict[str, Any]]:
        return self._store.memo(
            "binance:premium", lambda: {p["symbol"]: p for p in self.premium_index()}
        )

    def open_interest(self, symbol: str) -> dict[str, Any] | None:
        path = OPEN_INTEREST.get(symbol)
        return None if path is None else dict(self._store.json(path))

    def depth(self, symbol: str) -> dict[str, Any] | None:
        path = DEPTH_FILES.get(symbol)
        return None if path is None else dict(self._store.json(path))

    def funding_symbols(self) -> list[str]:
        return [*FUNDING_CSV, *FUNDING_JSON]

    def funding(self, symbol: str) -> list[FundingRecord] | None:
        if symbol not in FUNDING_CSV and symbol not in FUNDING_JSON:
            return None
        return self._store.memo(f"binance:funding:{symbol}", lambda: self._load_funding(symbol))

    def _load_funding(self, symbol: str) -> list[FundingRecord]:
        if symbol in FUNDING_CSV:
            lines = self._store.text(FUNDING_CSV[symbol]).splitlines()[1:]
            rows = [line.split(",") for line in lines if line.strip()]
            out = [FundingRecord(symbol, utc_ms(t), rate) for t, rate in rows]
        else:
            recorded = self._store.json(FUNDING_JSON[symbol])
            out = [FundingRecord(symbol, int(t), _num(rate)) for t, rate in recorded]
        out.sort(key=lambda r: r.funding_time_ms)
        return out

    def agg_trades(self, symbol: str) -> list[dict[str, Any]] | None:
        return self._ws().get("aggTrade", {}).get(symbol)

    def book_ticker(self, symbol: str) -> dict[str, Any] | None:
        frames = self._ws().get("bookTicker", {}).get(symbol)
        if not frames:
            return None
        f = frames[-1]
        return {
            "symbol": f["s"],
            "bidPrice": f["b"],
            "bidQty": f["B"],
            "askPrice": f["a"],
            "askQty": f["A"],
            "time": f["T"],
            "lastUpdateId": f["u"],
        }

    def book_ticker_symbols(self) -> list[str]:
        return list(self._ws().get("bookTicker", {}))

    def _ws(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        return self._store.memo("binance:ws", self._index_ws)

    def _index_ws(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        index: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for line in self._store.jsonl(WS_FRAMES):
            data = json.loads(line["raw"])["data"]
            event = data.get("e")
            if event == "aggTrade":
                trade = {k: data[k] for k in ("a", "p", "q", "f", "l", "T", "m")}
                index.setdefault(event, {}).setdefault(data["s"], []).append(trade)
            elif event == "bookTicker":
                index.setdefault(event, {}).setdefault(data["s"], []).append(data)
        for trades in index.get("aggTrade", {}).values():
            trades.sort(key=lambda t: int(t["a"]))
        return index


def _num(value: Any) -> str:
    return dec_str(value) if isinstance(value, Decimal) else str(value)
