"""The symbol normalizer, over the recorded Binance (testnet 2025) and OKX (2022) listings."""

from __future__ import annotations

import json

import pytest

from engine.domain import ListedContract
from engine.symbols import NotListed, SymbolRegistry, parse, split_multiplier
from tests.support import RECORDED


def _binance() -> SymbolRegistry:
    body = json.loads(
        (RECORDED / "binance-futures/exchangeInfo-TESTNET-2025-12-24.json").read_text()
    )
    contracts = [
        ListedContract(s["symbol"], s["baseAsset"], s["quoteAsset"], s["status"], s["onboardDate"])
        for s in body["symbols"]
        if s["contractType"] == "PERPETUAL"
    ]
    return SymbolRegistry.from_binance(contracts)


def _okx() -> SymbolRegistry:
    body = json.loads((RECORDED / "okx/instruments-SWAP-2022-05-13.json").read_text())
    contracts = []
    for inst in body["data"]:
        base, quote, _ = inst["instId"].split("-")
        contracts.append(ListedContract(inst["instId"], base, quote, inst["state"], None))
    return SymbolRegistry.from_okx(contracts)


@pytest.mark.parametrize(
    "text", ["btc", "BTC", "BTCUSDT", "btcusdt", "btc-usdt-swap", "BTC/USDT:USDT", "BTC-USDT", "BTC_USDT", "BTCUSDT.P"]
)  # fmt: skip
def test_every_spelling_of_btc_is_one_symbol(text: str) -> None:
    ref = _binance().resolve(text)
    assert (ref.ticker, ref.quote, ref.multiplier) == ("BTC", "USDT", 1)
    assert (ref.venues.binance, ref.venues.okx, ref.venues.hyperliquid) == (
        "BTCUSDT",
        "BTC-USDT-SWAP",
        "BTC",
    )


@pytest.mark.parametrize("text", ["1000PEPE", "1000pepeusdt", "kPEPE", "PEPE", "pepe-usdt-swap"])
def test_multiplied_contracts_map_to_the_asset(text: str) -> None:
    ref = _binance().resolve(text)
    assert (ref.ticker, ref.multiplier) == ("PEPE", 1000)
    assert (ref.venues.binance, ref.venues.okx, ref.venues.hyperliquid) == (
        "1000PEPEUSDT",
        "PEPE-USDT-SWAP",
        "kPEPE",
    )


def test_quote_is_kept_when_given() -> None:
    ref = _binance().resolve("BTC/USDC:USDC")
    assert ref.venues.binance == "BTCUSDC"


def test_unknown_symbol_suggests_close_tickers() -> None:
    with pytest.raises(NotListed) as info:
        _binance().resolve("ETHH")
    assert "ETH" in info.value.suggestions
    assert "did you mean" in str(info.value)


@pytest.mark.parametrize("text", ["", "   ", "-/-", "x" * 41])
def test_garbage_is_unknown_not_a_crash(text: str) -> None:
    with pytest.raises(NotListed):
        _binance().resolve(text)


def test_okx_listing_resolves_what_binance_lacks() -> None:
    ref = _okx().resolve("btc")
    assert ref.venues.binance is None
    assert ref.venues.okx == "BTC-USDT-SWAP"


def test_parse_and_split_rules() -> None:
    assert parse("kBONK") == ("BONK", "USDT")
    assert parse("KAVA") == ("KAVA", "USDT")  # an upper-case K is part of the name
    assert split_multiplier("1000000MOG") == ("MOG", 1_000_000)
    assert split_multiplier("1INCH") == ("1INCH", 1)  # digits that are the name stay
    assert len(_binance()) > 400
