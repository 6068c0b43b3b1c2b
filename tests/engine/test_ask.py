"""engine.ask: the bilingual question parser, its routes to the registry's documents and
its one-line answers.

The venues' tickers are the recorded Binance listing (exchange info, testnet 2025), so the
words that are real tickers there (ONE, AI, SUN, T, NOT, PEOPLE, ADA, RED, WHY, THE...) are
tested as they are listed. Routes are checked against the documents in graph/operations/ and
the committed SDL; answer lines against what the server returns over the replay exchange's
recordings, and against null data. No market value is typed in here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from graphql import (
    FieldNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    build_schema,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from engine.ask import (
    EXAMPLES,
    MAX_CHARS,
    NEEDS_A_COIN,
    Intent,
    NotUnderstood,
    Understood,
    answer_line,
    route,
    understand,
)
from engine.ask.data import get, price_text, score_text
from engine.ask.tokens import MAX_TICKERS, MAX_WORDS
from engine.signal.model import Mode
from engine.signal.wording import signed_pct, usd
from engine.symbols import split_multiplier
from tests.support import RECORDED, ROOT, ApiServer

OPERATIONS = ROOT / "graph" / "operations"
SCHEMA = build_schema((ROOT / "schema.graphql").read_text())


def _listed() -> frozenset[str]:
    body = json.loads(
        (RECORDED / "binance-futures/exchangeInfo-TESTNET-2025-12-24.json").read_text()
    )
    return frozenset(
        split_multiplier(s["baseAsset"])[0]
        for s in body["symbols"]
        if s["contractType"] == "PERPETUAL" and s["status"] == "TRADING"
    )


KNOWN = _listed()
C, A, U = Mode.CONSERVATIVE, Mode.AGGRESSIVE, Mode.ULTRA


def test_the_listing_has_the_tickers_that_are_words() -> None:
    """Guard against a vacuous table: these words really are listed tickers."""
    words = {"ONE", "AI", "SUN", "T", "NOT", "PEOPLE", "ME", "BANANA", "MEME", "DOGS", "ADA"}
    assert words | {"RED", "WHY", "THE", "A", "S", "MANA", "BTC", "ETH", "SOL", "PEPE"} <= KNOWN


# (text, intent or None for "not understood", tickers, mode said or None, language)
PHRASES: list[tuple[str, Intent | None, tuple[str, ...], Mode | None, str]] = [
    # -- English
    ("why is crypto crashing?", Intent.MARKET_SUMMARY, (), None, "en"),
    ("BTCUSDT m3", Intent.SIGNAL, ("BTC",), U, "en"),
    ("bitcoin aggressive", Intent.SIGNAL, ("BTC",), A, "en"),
    ("sol scalping", Intent.SCALPING, ("SOL",), None, "en"),
    ("BTC signal", Intent.SIGNAL, ("BTC",), None, "en"),
    ("eth signal conservative mode", Intent.SIGNAL, ("ETH",), C, "en"),
    ("$btc", Intent.SIGNAL, ("BTC",), None, "en"),
    ("BTC-USDT-SWAP funding rate", Intent.FUNDING, ("BTC",), None, "en"),
    ("BTC/USDT rsi", Intent.RSI, ("BTC",), None, "en"),
    ("what is the funding rate of ETH?", Intent.FUNDING, ("ETH",), None, "en"),
    ("liquidations on solana", Intent.LIQUIDATIONS, ("SOL",), None, "en"),
    ("market liquidations today", Intent.LIQUIDATIONS, (), None, "en"),
    ("long short ratio btc", Intent.LONG_SHORT_RATIO, ("BTC",), None, "en"),
    ("long/short ratio of ETH", Intent.LONG_SHORT_RATIO, ("ETH",), None, "en"),
    ("long or short on ETH?", Intent.SIGNAL, ("ETH",), None, "en"),
    ("should i buy sol", Intent.SIGNAL, ("SOL",), None, "en"),
    ("whale activity on BTC", Intent.WHALES, ("BTC",), None, "en"),
    ("smart money scan", Intent.SMART_MONEY, (), None, "en"),
    ("smart money BTC ETH", Intent.SMART_MONEY, ("BTC", "ETH"), None, "en"),
    ("open interest of ethereum", Intent.OPEN_INTEREST, ("ETH",), None, "en"),
    ("btc trend", Intent.OPEN_INTEREST, ("BTC",), None, "en"),
    ("social sentiment for pepe", Intent.SENTIMENT, ("PEPE",), None, "en"),
    ("fear and greed index", Intent.FEAR_GREED, (), None, "en"),
    ("Fear & Greed?", Intent.FEAR_GREED, (), None, "en"),
    ("volume delta btc", Intent.VOLUME_DELTA, ("BTC",), None, "en"),
    ("taker flow on SOL", Intent.VOLUME_DELTA, ("SOL",), None, "en"),
    ("price of bitcoin", Intent.PRICE, ("BTC",), None, "en"),
    ("how much is ETH right now?", Intent.PRICE, ("ETH",), None, "en"),
    ("market summary", Intent.MARKET_SUMMARY, (), None, "en"),
    ("why is the market red?", Intent.MARKET_SUMMARY, (), None, "en"),
    ("WHY IS THE MARKET RED", Intent.MARKET_SUMMARY, (), None, "en"),
    ("new listings", Intent.NEW_LISTINGS, (), None, "en"),
    ("find me a hidden gem", Intent.DISCOVERY, (), None, "en"),
    ("discover coins", Intent.DISCOVERY, (), None, "en"),
    ("signal ONE and AI", Intent.SIGNAL, ("ONE", "AI"), None, "en"),
    ("$one price", Intent.PRICE, ("ONE",), None, "en"),
    ("signal for T", Intent.SIGNAL, ("T",), None, "en"),
    ("PEOPLE signal", Intent.SIGNAL, ("PEOPLE",), None, "en"),
    ("the people want a signal for btc", Intent.SIGNAL, ("BTC",), None, "en"),
    ("BTC ETH SOL signals ultra", Intent.SIGNAL, ("BTC", "ETH", "SOL"), U, "en"),
    ("mode 1 btc", Intent.SIGNAL, ("BTC",), C, "en"),
    ("btc m2", Intent.SIGNAL, ("BTC",), A, "en"),
    ("btc safe", Intent.SIGNAL, ("BTC",), C, "en"),
    ("sol extreme", Intent.SIGNAL, ("SOL",), U, "en"),
    ("btc signal scalping mode", Intent.SIGNAL, ("BTC",), U, "en"),
    ("1000PEPE funding", Intent.FUNDING, ("PEPE",), None, "en"),
    ("kPEPE rsi", Intent.RSI, ("PEPE",), None, "en"),
    ("\uff22\uff34\uff23 price", Intent.PRICE, ("BTC",), None, "en"),  # full-width BTC
    ("btc, eth, btc signal", Intent.SIGNAL, ("BTC", "ETH"), None, "en"),
    ("is sol oversold? rsi", Intent.RSI, ("SOL",), None, "en"),
    ("ADA price", Intent.PRICE, ("ADA",), None, "en"),
    ("$SAFE signal", Intent.SIGNAL, ("SAFE",), None, "en"),  # the coin, not the mode
    ("sun and meme coins signal for btc", Intent.SIGNAL, ("BTC",), None, "en"),
    # -- Indonesian
    ("kenapa market merah semua?", Intent.MARKET_SUMMARY, (), None, "id"),
    ("sinyal btc mode konservatif", Intent.SIGNAL, ("BTC",), C, "id"),
    ("berapa funding eth?", Intent.FUNDING, ("ETH",), None, "id"),
    ("sinyal BTC", Intent.SIGNAL, ("BTC",), None, "id"),
    ("ada sinyal btc?", Intent.SIGNAL, ("BTC",), None, "id"),
    ("harga btc sekarang", Intent.PRICE, ("BTC",), None, "id"),
    ("harganya solana berapa?", Intent.PRICE, ("SOL",), None, "id"),
    ("btc long atau short?", Intent.SIGNAL, ("BTC",), None, "id"),
    ("eth beli atau jual", Intent.SIGNAL, ("ETH",), None, "id"),
    ("biaya pendanaan btc", Intent.FUNDING, ("BTC",), None, "id"),
    ("likuidasi eth", Intent.LIQUIDATIONS, ("ETH",), None, "id"),
    ("likuidasi pasar hari ini", Intent.LIQUIDATIONS, (), None, "id"),
    ("rasio long short btc", Intent.LONG_SHORT_RATIO, ("BTC",), None, "id"),
    ("rsi sol dong", Intent.RSI, ("SOL",), None, "id"),
    ("paus btc lagi ngapain", Intent.WHALES, ("BTC",), None, "id"),
    ("uang pintar eth", Intent.SMART_MONEY, ("ETH",), None, "id"),
    ("smart money pasar", Intent.SMART_MONEY, (), None, "id"),
    ("oi btc berapa", Intent.OPEN_INTEREST, ("BTC",), None, "id"),
    ("tren eth", Intent.OPEN_INTEREST, ("ETH",), None, "id"),
    ("tren pasar", Intent.MARKET_SUMMARY, (), None, "id"),
    ("sentimen sosial pepe", Intent.SENTIMENT, ("PEPE",), None, "id"),
    ("sentimen pasar", Intent.SENTIMENT, (), None, "id"),
    ("indeks ketakutan", Intent.FEAR_GREED, (), None, "id"),
    ("fear and greed hari ini berapa", Intent.FEAR_GREED, (), None, "id"),
    ("volume delta btc dong", Intent.VOLUME_DELTA, ("BTC",), None, "id"),
    ("berapa harga bitcoin?", Intent.PRICE, ("BTC",), None, "id"),
    ("ringkasan pasar", Intent.MARKET_SUMMARY, (), None, "id"),
    ("kondisi pasar gimana?", Intent.MARKET_SUMMARY, (), None, "id"),
    ("listing baru di binance", Intent.NEW_LISTINGS, (), None, "id"),
    ("koin baru", Intent.DISCOVERY, (), None, "id"),
    ("cari koin gem", Intent.DISCOVERY, (), None, "id"),
    ("scalping sol dong", Intent.SCALPING, ("SOL",), None, "id"),
    ("sinyal btc eth sol mode agresif", Intent.SIGNAL, ("BTC", "ETH", "SOL"), A, "id"),
    ("sinyal eth aman", Intent.SIGNAL, ("ETH",), C, "id"),
    ("sinyal sol seimbang", Intent.SIGNAL, ("SOL",), A, "id"),
    ("sinyal btc mode scalping", Intent.SIGNAL, ("BTC",), U, "id"),
    ("sinyal btc mode 3", Intent.SIGNAL, ("BTC",), U, "id"),
    ("apa sinyal untuk ONE sekarang?", Intent.SIGNAL, ("ONE",), None, "id"),
    ("sinyal AI dong", Intent.SIGNAL, ("AI",), None, "id"),
    ("gimana btcnya?", Intent.SIGNAL, ("BTC",), None, "id"),
    ("harga T berapa?", Intent.PRICE, ("T",), None, "id"),
    ("sinyal scalping eth ekstrem", Intent.SCALPING, ("ETH",), U, "id"),
    ("cek ADA", Intent.SIGNAL, ("ADA",), None, "id"),
    ("ada apa dengan mana?", None, (), None, "id"),  # ADA and MANA are words here
    ("kenapa kripto turun", Intent.MARKET_SUMMARY, (), None, "id"),
    ("koin apa yang bagus?", Intent.DISCOVERY, (), None, "id"),
    ("bandar lagi akumulasi btc?", Intent.SMART_MONEY, ("BTC",), None, "id"),
]  # fmt: skip


def test_the_table_is_big_enough_in_both_languages() -> None:
    languages = [language for *_, language in PHRASES]
    assert len(PHRASES) >= 60
    assert languages.count("en") >= 25 and languages.count("id") >= 25
    assert {intent for _, intent, *_ in PHRASES} >= set(Intent)


@pytest.mark.parametrize(("text", "intent", "tickers", "mode", "language"), PHRASES)
def test_phrase(
    text: str, intent: Intent | None, tickers: tuple[str, ...], mode: Mode | None, language: str
) -> None:
    if intent is None:
        with pytest.raises(NotUnderstood) as refused:
            understand(text, KNOWN)
        assert refused.value.language == language
        return
    u = understand(text, KNOWN)
    assert (u.intent, u.tickers, u.language) == (intent, tickers, language)
    assert (u.mode, u.mode_said) == ((mode, True) if mode else (Mode.AGGRESSIVE, False))


# -- hostile and unknown text --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("", None),
        ("   \n\t ", None),
        ("?!?!... ,,, ;-)", None),
        ("\U0001f680\U0001f680\U0001f4c9", None),
        ("\x00\x00 \u200b", None),
        ("\u0441\u0438\u0433\u043d\u0430\u043b", None),  # Cyrillic: no ASCII words at all
        ("for one ai", "en"),
        ("FOR ONE AI", "en"),
        ("the sun is not for me", "en"),
        ("halo", "id"),
        ("x" * 10_000, None),
        ("btc " * 200, None),
        ("sinyal btc " * 60, "id"),
    ],
)
def test_refused(text: str, language: str | None) -> None:
    with pytest.raises(NotUnderstood) as refused:
        understand(text, KNOWN)
    assert refused.value.language == language
    expected = EXAMPLES[language] if language else EXAMPLES["en"] + EXAMPLES["id"]
    assert refused.value.examples == expected
    assert refused.value.intent is None


def test_too_long_is_refused_with_a_clear_message() -> None:
    assert understand("btc " + " " * (MAX_CHARS - 4), KNOWN).tickers == ("BTC",)
    with pytest.raises(NotUnderstood, match="too long: at most 500 characters"):
        understand("btc signal " + "x" * MAX_CHARS, KNOWN)
    with pytest.raises(NotUnderstood, match="terlalu panjang"):
        understand("sinyal btc " * 100, KNOWN)


def test_only_the_first_words_are_read() -> None:
    assert understand("hello " * (MAX_WORDS - 1) + "btc", KNOWN).tickers == ("BTC",)
    with pytest.raises(NotUnderstood):
        understand("hello " * MAX_WORDS + "btc", KNOWN)


def test_at_most_ten_coins_in_the_order_said() -> None:
    coins = ["BTC", "ETH", "SOL", "XRP", "BNB", "DOGE", "ADA", "LINK", "AVAX", "DOT", "LTC", "TRX"]
    u = understand("signal " + " ".join(coins), KNOWN)
    assert u.tickers == tuple(coins[:MAX_TICKERS]) and MAX_TICKERS == 10


def test_words_that_would_be_tickers_elsewhere() -> None:
    """IT, FOR, ANY are not in this listing; a listing that had them changes nothing."""
    known = KNOWN | {"IT", "FOR", "ANY"}
    with pytest.raises(NotUnderstood):
        understand("is it for me? any one?", known)
    assert understand("signal $it and FOR", known).tickers == ("IT", "FOR")
    assert understand("itusdt funding", known).tickers == ("IT",)


@pytest.mark.parametrize(
    ("text", "intent", "language", "says"),
    [
        ("funding", Intent.FUNDING, "en", "Which coin?"),
        ("berapa funding?", Intent.FUNDING, "id", "Koin apa?"),
        ("signal XYZ", Intent.SIGNAL, "en", "XYZ: not listed"),
        ("harga $qqqq", Intent.PRICE, "id", "QQQQ: tidak terdaftar"),
        ("rsi", Intent.RSI, None, "Which coin? Name one, e.g. BTC, ETH or SOL. / Koin apa?"),
        ("long short ratio", Intent.LONG_SHORT_RATIO, "en", "Which coin?"),
        ("paus", Intent.WHALES, "id", "Koin apa?"),
        ("BUSD price", Intent.PRICE, "en", "BUSD: not listed"),
    ],
)
def test_a_coin_is_missing(text: str, intent: Intent, language: str | None, says: str) -> None:
    """The jargon word alone ("rsi") shows no language: the message is in both."""
    assert intent in NEEDS_A_COIN
    with pytest.raises(NotUnderstood) as refused:
        understand(text, KNOWN)
    assert says in str(refused.value)
    assert (refused.value.intent, refused.value.language) == (intent, language)
    expected = EXAMPLES[language] if language else EXAMPLES["en"] + EXAMPLES["id"]
    assert refused.value.examples == expected


def test_an_unknown_explicit_coin_is_named() -> None:
    with pytest.raises(NotUnderstood, match="XYZ: not a listed coin"):
        understand("$xyz", KNOWN)


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_example_is_understood_in_its_language(language: str) -> None:
    assert len(EXAMPLES[language]) >= 5
    for phrase in EXAMPLES[language]:
        assert understand(phrase, KNOWN).language == language, phrase


# -- routes against the registry's documents -------------------------------------------------------


def _u(
    intent: Intent, *tickers: str, mode: Mode = Mode.AGGRESSIVE, language: str = "en"
) -> Understood:
    return Understood(intent, tickers, mode, mode != Mode.AGGRESSIVE, language)


ROUTES: list[tuple[Understood, str]] = [
    (_u(Intent.SIGNAL, "BTC", mode=Mode.CONSERVATIVE), "signal"),
    (_u(Intent.SIGNAL, "BTC", "ETH", mode=Mode.ULTRA), "signals"),
    (_u(Intent.SCALPING, "SOL"), "scalping"),
    (_u(Intent.FUNDING, "ETH"), "symbol"),
    (_u(Intent.LIQUIDATIONS, "BTC"), "liquidationStats"),
    (_u(Intent.LIQUIDATIONS), "marketSummary"),
    (_u(Intent.LONG_SHORT_RATIO, "BTC"), "symbol"),
    (_u(Intent.RSI, "SOL"), "indicators"),
    (_u(Intent.WHALES, "BTC"), "scalping"),
    (_u(Intent.SMART_MONEY, "BTC"), "smartMoneyAnalyze"),
    (_u(Intent.SMART_MONEY, "BTC", "ETH"), "smartMoneyScan"),
    (_u(Intent.SMART_MONEY), "smartMoneyScan"),
    (_u(Intent.OPEN_INTEREST, "BTC"), "symbol"),
    (_u(Intent.SENTIMENT, "PEPE"), "scalping"),
    (_u(Intent.SENTIMENT), "marketSummary"),
    (_u(Intent.FEAR_GREED), "fearGreed"),
    (_u(Intent.VOLUME_DELTA, "BTC"), "indicators"),
    (_u(Intent.PRICE, "BTC"), "symbol"),
    (_u(Intent.MARKET_SUMMARY), "marketSummary"),
    (_u(Intent.MARKET_SUMMARY, "BTC", "ETH", mode=Mode.CONSERVATIVE), "marketSummary"),
    (_u(Intent.NEW_LISTINGS), "newListings"),
    (_u(Intent.DISCOVERY), "discoverCoins"),
]


def _id(value: object) -> str:
    return value.intent.name if isinstance(value, Understood) else str(value)


def _operation(operation: str) -> OperationDefinitionNode:
    document = parse((OPERATIONS / f"{operation}.graphql").read_text())
    assert validate(SCHEMA, document) == []
    [definition] = document.definitions
    assert isinstance(definition, OperationDefinitionNode)
    assert definition.name is not None and definition.name.value == operation
    return definition


def test_every_intent_is_routed() -> None:
    assert {u.intent for u, _ in ROUTES} == set(Intent)


@pytest.mark.parametrize(("u", "operation"), ROUTES, ids=_id)
def test_route_matches_the_document(u: Understood, operation: str) -> None:
    op_id, variables = route(u)
    assert op_id == operation
    definition = _operation(op_id)
    definitions = definition.variable_definitions or ()
    declared = {d.variable.name.value: d for d in definitions}
    required = {
        name
        for name, d in declared.items()
        if isinstance(d.type, NonNullTypeNode) and d.default_value is None
    }
    assert set(variables) <= set(declared), (op_id, set(variables) - set(declared))
    assert required <= set(variables), (op_id, required - set(variables))
    # the values coerce to the declared types (enum names, lists, integers) in the SDL
    coerced = get_variable_values(SCHEMA, definitions, variables)
    assert not isinstance(coerced, list), coerced  # a list is the coercion errors
    if "mode" in variables:
        assert variables["mode"] == u.mode.name
    for name in ("ticker", "tickers"):
        if name in variables:
            said = variables[name] if name == "tickers" else [variables[name]]
            assert said == list(u.tickers[: len(said)])


@pytest.mark.parametrize("intent", sorted(NEEDS_A_COIN, key=str))
def test_route_refuses_an_intent_without_its_coin(intent: Intent) -> None:
    with pytest.raises(ValueError, match="needs a coin"):
        route(_u(intent))


# -- answer lines from null data -----------------------------------------------------------------


NOT_AVAILABLE = {"en": "not available", "id": "tidak tersedia"}


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize(("u", "operation"), ROUTES, ids=_id)
def test_null_data_is_not_available(u: Understood, operation: str, language: str) -> None:
    u = Understood(u.intent, u.tickers, u.mode, u.mode_said, language)
    op_id, _ = route(u)
    root = _operation(op_id).selection_set.selections[0]
    assert isinstance(root, FieldNode)
    field = root.name.value
    for data in ({}, None, {field: None}):
        line = answer_line(u, data)
        assert NOT_AVAILABLE[language] in line, (op_id, line)
        assert not any(ch.isdigit() for ch in line), line  # no number is made up


@pytest.mark.parametrize(
    ("u", "data"),
    [
        (_u(Intent.SIGNAL, "BTC"), {"signal": {"ticker": "BTC", "direction": None, "score": None}}),
        (_u(Intent.SIGNAL, "BTC", "ETH"), {"signals": [None, None]}),
        (_u(Intent.PRICE, "BTC"), {"symbol": {"ticker": "BTC", "price": None, "quote": "USDT"}}),
        (_u(Intent.FUNDING, "BTC"), {"symbol": {"ticker": "BTC", "funding": None}}),
        (_u(Intent.RSI, "BTC"), {"symbol": {"ticker": "BTC", "indicators": {"rsi": None}}}),
        (_u(Intent.SMART_MONEY, "BTC"), {"smartMoneyScan": {"candidates": []}}),
        (_u(Intent.LIQUIDATIONS), {"marketSummary": {"liquidationPressure": {"coinsWithData": 0}}}),
        (_u(Intent.SIGNAL, "BTC"), {"signal": {"ticker": "BTC", "direction": "LONG", "score": True}}),
        (_u(Intent.PRICE, "BTC"), {"symbol": {"ticker": "BTC", "price": float("nan")}}),
        (_u(Intent.PRICE, "BTC"), {"symbol": ["not", "a", "mapping"]}),
    ],
)  # fmt: skip
def test_partly_null_data_is_not_available(u: Understood, data: dict[str, Any]) -> None:
    line = answer_line(u, data)
    assert "not available" in line
    assert not any(ch.isdigit() for ch in line), line


# -- answer lines from the server over the replay's recordings ---------------------------------------


async def _ask(
    client: httpx.AsyncClient, url: str, text: str
) -> tuple[Understood, dict[str, Any], str]:
    """Understand ``text``, run its routed document on the server, answer from its data."""
    u = understand(text, KNOWN)
    op_id, variables = route(u)
    document = (OPERATIONS / f"{op_id}.graphql").read_text()
    response = await client.post(
        f"{url}/graphql",
        json={"query": document, "variables": variables, "operationName": op_id},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    data = response.json().get("data") or {}
    return u, data, answer_line(u, data)


def _available(line: str) -> bool:
    return "not available" not in line and "tidak tersedia" not in line


async def test_signal_answers_over_the_replay(api: Callable[..., ApiServer]) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        for text in ("sinyal btc mode konservatif", "bitcoin aggressive", "BTCUSDT m3"):
            u, data, line = await _ask(client, server.url, text)
            signal = data["signal"]
            assert signal["ticker"] == "BTC" and signal["mode"] == u.mode.name
            assert line.startswith(f"BTC: {signal['direction']}, ")
            assert f"{score_text(signal['score'])}/100" in line
            assert price_text(signal["price"]) in line
        assert "(mode konservatif)" in (await _ask(client, server.url, "sinyal btc konservatif"))[2]
        assert "(aggressive mode)" in (await _ask(client, server.url, "btc signal"))[2]

        u, data, line = await _ask(client, server.url, "btc eth signals")
        assert route(u)[0] == "signals"
        for entry in data["signals"]:
            assert (
                f"{entry['ticker']} {entry['direction']} {score_text(entry['score'])}/100" in line
            )


async def test_market_data_answers_over_the_replay(api: Callable[..., ApiServer]) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        _, data, line = await _ask(client, server.url, "harga btc sekarang")
        symbol = data["symbol"]
        assert line.startswith("Harga BTC: ") and price_text(symbol["price"]) in line
        assert signed_pct(symbol["change24hPct"]) in line

        _, data, line = await _ask(client, server.url, "berapa funding eth?")
        assert line.startswith("Funding ETH: ")
        assert signed_pct(data["symbol"]["funding"]["rate"] * 100, 4) in line

        _, data, line = await _ask(client, server.url, "open interest btc")
        assert usd(data["symbol"]["openInterest"]["usd"]) in line and "BTC" in line

        # what the replay has no recording of is said to be missing, never filled in
        for text, path in [
            ("open interest eth", ("symbol", "openInterest")),
            ("long short ratio btc", ("symbol", "longShortRatio")),
            ("volume delta btc", ("symbol", "indicators", "volumeDelta")),
            ("whales btc", ("scalping", "whales", "positions")),
            ("sentimen sosial btc", ("scalping", "social")),
            ("likuidasi btc", ("liquidationStats",)),
        ]:
            _, data, line = await _ask(client, server.url, text)
            assert _available(line) == (get(data, *path) is not None), (text, line)

        _, data, line = await _ask(client, server.url, "rsi btc dong")
        rsi = data["symbol"]["indicators"]["rsi"]
        assert line.startswith("RSI 14 BTC (1h): ") and f"{rsi:.2f}" in line

        _, data, line = await _ask(client, server.url, "btc scalping")
        read = data["scalping"]["summary"]
        assert line.startswith("BTC scalping (1m): ") and read["bias"] in line
        assert price_text(data["scalping"]["price"]["price"]) in line
        assert price_text(read["support"]["price"]) in line


async def test_market_wide_answers_over_the_replay(api: Callable[..., ApiServer]) -> None:
    server = api(response_cache=False)
    async with httpx.AsyncClient() as client:
        _, data, line = await _ask(client, server.url, "kenapa market merah semua?")
        assert line == data["marketSummary"]["explanationId"]
        _, data, line = await _ask(client, server.url, "why is crypto crashing?")
        assert line == data["marketSummary"]["explanationEn"]

        _, data, line = await _ask(client, server.url, "fear and greed")
        fear_greed = data["fearGreed"]
        assert f"{fear_greed['value']}/100 ({fear_greed['classification']})" in line

        _, data, line = await _ask(client, server.url, "listing baru")
        listings = data["newListings"]
        if listings["listings"]:
            assert listings["listings"][0]["base"] in line
        else:
            assert line.startswith("Tidak ada listing futures Binance baru")
        assert str(listings["withinDays"]) in line

        _, data, line = await _ask(client, server.url, "discover coins")
        first = data["discoverCoins"]["coins"][0]
        assert first["symbol"].upper() in line
        assert signed_pct(first["priceChange24hPct"]) in line

        # the replay's smart-money factors all lack data: no score, so not available
        for text in ("smart money scan", "uang pintar btc"):
            _, data, line = await _ask(client, server.url, text)
            scores = [c["score"] for c in data["smartMoneyScan"]["candidates"]]
            assert _available(line) == any(s is not None for s in scores), (text, line)

        # liquidation pressure over coins without liquidation data is not a $0 market
        _, data, line = await _ask(client, server.url, "market liquidations")
        pressure = data["marketSummary"]["liquidationPressure"]
        assert _available(line) == (pressure["coinsWithData"] > 0), line


@pytest.mark.parametrize("language", ["en", "id"])
def test_a_stale_value_is_said_to_be_stale(language: str) -> None:
    """A value the cache kept after its venue failed carries ``stale: true`` (a signal's
    source: state STALE); the line says so for the value it quotes, not for another one
    the same answer holds (no market value is needed to show it)."""
    funding = Understood(Intent.FUNDING, ("ETH",), Mode.AGGRESSIVE, False, language)
    fresh = {"symbol": {"ticker": "ETH", "funding": {"rate": None, "stale": False}}}
    kept = {"symbol": {"ticker": "ETH", "funding": {"rate": None, "stale": True}}}
    elsewhere = {
        "symbol": {
            "ticker": "ETH",
            "funding": {"rate": None, "stale": False},
            "openInterest": {"usd": None, "stale": True},
        }
    }
    assert "stale" not in answer_line(funding, fresh)
    assert "stale" in answer_line(funding, kept)
    assert "stale" not in answer_line(funding, elsewhere)
    signal = Understood(Intent.SIGNAL, ("ETH",), Mode.AGGRESSIVE, False, language)
    sources = [{"name": "funding", "state": "OK"}, {"name": "price", "state": "STALE"}]
    quality = {"signal": {"ticker": "ETH", "dataQuality": {"sources": sources}}}
    assert "stale" in answer_line(signal, quality)
    sources[1]["state"] = "OK"
    assert "stale" not in answer_line(signal, quality)
