"""OKX v5 public REST venue facts, in one frozen table.

Sources: OKX API v5 docs (Get instruments, GET / Ticker, GET / Tickers, Get funding rate,
Get open interest, GET / Candlesticks, Error codes: Public, the ``liquidation-orders`` WS
channel) and the recorded bodies in ``shared/data/recorded/okx``. The REST page of
``public/liquidation-orders`` was not among the stored docs; its parameters are those of the
WS channel plus ``instFamily``/``state``/``limit`` as public clients send them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Unpack

from providers.http import HostPolicy, HostTuning
from providers.venue_table import LimitRange, interval_table


@dataclass(frozen=True, slots=True)
class OkxVenue:
    provider: str
    default_base_url: str
    inst_type: str  # perpetual swaps
    inst_id_format: str  # "BTC-USDT-SWAP"
    inst_id_suffix: str
    # Binance-style interval -> OKX bar. From 6h up OKX's plain bars ("1D") open at UTC+8;
    # the "...utc" bars open at UTC 00:00 like Binance's, so those are used.
    bars: MappingProxyType[str, str]
    interval_ms: MappingProxyType[str, int]
    candle_limit: LimitRange  # only the latest 1,440 candles per bar are served
    ok_code: str
    not_served_codes: frozenset[str]  # 51001: instrument ID does not exist
    rate_limited_codes: frozenset[str]  # 50011: rate limit reached (also sent with HTTP 200)
    rate_limits: MappingProxyType[str, str]  # OKX counts requests, not weights
    liquidation_inst_types: frozenset[str]  # instType values with bankruptcy price and contracts
    liquidation_state: str  # "filled": executed liquidation orders only
    liquidation_limit: LimitRange  # "limit" parameter, at most 100 per request
    # Quote currency of inverse (coin-margined) families, e.g. BTC-USD: their ctVal is in USD,
    # while linear families (BTC-USDT, BTC-USDC) have ctVal in the base coin.
    inverse_quotes: frozenset[str]


VENUE = OkxVenue(
    provider="okx",
    default_base_url="https://www.okx.com",
    inst_type="SWAP",
    inst_id_format="{base}-{quote}-SWAP",
    inst_id_suffix="-SWAP",
    bars=MappingProxyType(
        {
            "1m": "1m",
            "3m": "3m",
            "5m": "5m",
            "15m": "15m",
            "30m": "30m",
            "1h": "1H",
            "2h": "2H",
            "4h": "4H",
            "6h": "6Hutc",
            "12h": "12Hutc",
            "1d": "1Dutc",
            "3d": "3Dutc",
            "1w": "1Wutc",
        }
    ),
    interval_ms=interval_table(
        "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d", "3d", "1w"
    ),
    candle_limit=LimitRange(low=1, high=300, default=100),
    ok_code="0",
    not_served_codes=frozenset({"51001"}),
    rate_limited_codes=frozenset({"50011"}),
    rate_limits=MappingProxyType(
        {
            "/api/v5/public/instruments": "20 requests / 2 s / IP + instType",
            "/api/v5/market/ticker": "20 requests / 2 s / IP",
            "/api/v5/market/tickers": "20 requests / 2 s / IP",
            "/api/v5/public/funding-rate": "10 requests / 2 s / IP + instId",
            "/api/v5/public/open-interest": "20 requests / 2 s / IP + instId",
            "/api/v5/market/candles": "40 requests / 2 s / IP",
            "/api/v5/public/liquidation-orders": "40 requests / 2 s / IP",
        }
    ),
    liquidation_inst_types=frozenset({"SWAP", "FUTURES"}),
    liquidation_state="filled",
    liquidation_limit=LimitRange(low=1, high=100, default=100),
    inverse_quotes=frozenset({"USD"}),
)


def okx_inst_id(base: str, quote: str = "USDT") -> str:
    """OKX perpetual-swap instrument ID, e.g. ``("BTC", "USDT") -> "BTC-USDT-SWAP"``."""
    for part in (base, quote):
        if not part or "-" in part or any(c.isspace() for c in part):
            raise ValueError(f"invalid OKX currency {part!r}: expected e.g. 'BTC' or 'USDT'")
    return VENUE.inst_id_format.format(base=base.upper(), quote=quote.upper())


# -- argument checks (defence in depth: the API layer validates first) ---------------------


def check_inst_id(inst_id: str) -> None:
    """A perpetual-swap ID: units of the answers (base-currency volumes) depend on it."""
    parts = inst_id.split("-")
    if len(parts) != 3 or not all(parts) or not inst_id.endswith(VENUE.inst_id_suffix):
        raise ValueError(f"invalid OKX swap instrument ID {inst_id!r}: expected 'BTC-USDT-SWAP'")


def check_inst_family(inst_family: str) -> None:
    """An instrument family, ``BASE-QUOTE`` as OKX writes it (``BTC-USDT``, ``XRP-USD``)."""
    parts = inst_family.split("-")
    if len(parts) != 2 or not all(parts) or any(c.isspace() for c in inst_family):
        raise ValueError(f"invalid OKX instrument family {inst_family!r}: expected 'BTC-USDT'")


def check_liquidation_inst_type(inst_type: str) -> None:
    if inst_type not in VENUE.liquidation_inst_types:
        accepted = ", ".join(sorted(VENUE.liquidation_inst_types))
        raise ValueError(f"unsupported OKX instType {inst_type!r}; accepted: {accepted}")


def check_contract_size(contract_size: float) -> None:
    if isinstance(contract_size, bool) or not (math.isfinite(contract_size) and contract_size > 0):
        raise ValueError(f"contract size must be a positive number, got {contract_size!r}")


def is_inverse_family(inst_family: str) -> bool:
    """True for coin-margined families (``BTC-USD``): one contract is worth ctVal USD."""
    return inst_family.split("-")[-1] in VENUE.inverse_quotes


def check_interval(interval: str) -> None:
    if interval not in VENUE.bars:
        accepted = ", ".join(VENUE.bars)
        raise ValueError(f"unsupported candle interval {interval!r}; accepted: {accepted}")


# -- HTTP policy -----------------------------------------------------------------------------


def envelope_code(body: Any) -> str | None:
    """The ``code`` of an OKX ``{code, msg, data}`` envelope as a string, if there is one."""
    if isinstance(body, dict) and isinstance(body.get("code"), str | int):
        return str(body["code"])
    return None


def not_served(status: int, body: Any) -> bool:
    """True when an HTTP 4xx answer carries OKX's "instrument does not exist" code.

    OKX sends 51001 with HTTP 200 as well; the client checks those envelopes itself.
    """
    return 400 <= status < 500 and envelope_code(body) in VENUE.not_served_codes


def host_policy(**tuning: Unpack[HostTuning]) -> HostPolicy:
    """OKX's ``HostPolicy``: venue facts filled in, timeouts and retries from settings.

    OKX reports no used-weight header (its limits count requests per endpoint), so no
    weight budget is set.
    """
    return HostPolicy(provider=VENUE.provider, not_served=not_served, **tuning)


__all__ = [
    "VENUE",
    "LimitRange",
    "OkxVenue",
    "check_contract_size",
    "check_inst_family",
    "check_inst_id",
    "check_interval",
    "check_liquidation_inst_type",
    "envelope_code",
    "host_policy",
    "is_inverse_family",
    "not_served",
    "okx_inst_id",
]
