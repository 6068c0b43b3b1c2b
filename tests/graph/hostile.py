"""Hostile requests, generated: the families an attacker tries first, several hundred
variants each run. Each case is a raw request body (bytes) and its family's name; nothing
here is market data (tickers are strings an attacker would send)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    family: str
    body: bytes
    content_type: str = "application/json"


def _json(family: str, payload: object) -> Case:
    return Case(family, json.dumps(payload).encode())


def _query(family: str, query: str, **extra: object) -> Case:
    return _json(family, {"query": query, **extra})


def _nested(levels: int, field: str = "x") -> str:
    return '{ symbol(ticker: "BTC") ' + f"{{ {field} " * levels + "{ y }" + " }" * levels + " }"


def deep_fields(rng: random.Random) -> Iterator[Case]:
    for levels in range(5, 45):
        yield _query("deep fields", _nested(levels))
    for levels in (100, 500, 1000, 2000):
        yield _query("deep fields", _nested(levels))


def deep_fragments(rng: random.Random) -> Iterator[Case]:
    for n in range(2, 40):
        parts = ["query { ...D0 }"]
        parts += [f"fragment D{i} on Query {{ symbol(ticker: \"BTC\") {{ ...S{i} }} }}"
                  for i in range(1)]  # fmt: skip
        parts += [f"fragment S{i} on Symbol {{ ticker ...S{i + 1} }}" for i in range(n)]
        parts.append(f"fragment S{n} on Symbol {{ base }}")
        yield _query("deep fragments", " ".join(parts))


def circular_fragments(rng: random.Random) -> Iterator[Case]:
    for size in [*range(1, 40), 99, 100, 101, 500, 1000]:
        ring = " ".join(
            f"fragment R{i} on Query {{ __typename ...R{(i + 1) % size} }}" for i in range(size)
        )
        yield _query("circular fragments", "query { ...R0 } " + ring)
    yield _query("circular fragments", "{ ...Missing }")
    yield _query("circular fragments", "fragment A on Query { ...A } { ...A }")


def fragment_chains(rng: random.Random) -> Iterator[Case]:
    for n in range(4, 45):
        parts = ["query { ...F0 }"]
        parts += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
        parts.append(f"fragment F{n} on Query {{ __typename }}")
        yield _query("fragment chains", " ".join(parts))


def aliases(rng: random.Random) -> Iterator[Case]:
    for count in (10, 49, 50, 51, 100, 500, 1000, 2000, 4000, 6000):
        yield _query("aliases", "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }")
        yield _query(
            "aliases",
            "{ "
            + " ".join(f'a{i}: symbol(ticker: "BTC") {{ price }}' for i in range(count))
            + " }",
        )
    for count in range(5, 60, 3):
        yield _query(
            "aliases",
            "{ "
            + " ".join(f'a{i}: signals(tickers: ["BTC", "ETH"]) {{ score }}' for i in range(count))
            + " }",
        )


def duplicated_fields(rng: random.Random) -> Iterator[Case]:
    for count in (10, 100, 1000, 2000, 5000, 9000):
        yield _query("duplicated fields", "{ " + "__typename " * count + "}")
        yield _query("duplicated fields", '{ symbol(ticker: "BTC") { ' + "price " * count + "} }")
        yield _query(
            "duplicated fields",
            "{ " + 'symbol(ticker: "BTC") { ticker } ' * min(count, 2000) + "}",
        )
    for count in range(20, 400, 20):
        yield _query(
            "duplicated fields",
            '{ symbol(ticker: "BTC") { ' + "candles { interval } " * count + "} }",
        )


def directive_repetition(rng: random.Random) -> Iterator[Case]:
    for count in (2, 10, 100, 500, 1000, 3000):
        yield _query("directives", "{ __typename" + " @include(if: true)" * count + " }")
        yield _query("directives", "{ __typename" + " @skip(if: false)" * count + " }")
        yield _query("directives", "{ __typename" + " @deprecated" * count + " }")
        yield _query("directives", "{ __typename" + " @nope(x: 1)" * count + " }")
    for count in range(1, 30):
        yield _query(
            "directives",
            "query($i: Boolean!) { __typename" + " @include(if: $i)" * count + " }",
            variables={"i": True},
        )


def huge_literals(rng: random.Random) -> Iterator[Case]:
    for size in (1_000, 10_000, 30_000, 60_000):
        yield _query("huge literals", f'{{ symbol(ticker: "{"B" * size}") {{ price }} }}')
        escaped = "\\u0041" * (size // 6)  # GraphQL's own escapes, parsed one by one
        yield _query("huge literals", f'{{ symbol(ticker: "{escaped}") {{ ticker }} }}')
    for digits in (10, 19, 20, 100, 1000, 4300, 4301, 5000, 20_000, 60_000):
        yield _query("huge literals", f"{{ fearGreed(limit: {'9' * digits}) {{ value }} }}")
        yield _query("huge literals", f"{{ fearGreed(limit: -{'9' * digits}) {{ value }} }}")
        yield _query(
            "huge literals",
            f'{{ symbol(ticker: "BTC") {{ indicators {{ bollinger(stddev: 1e{digits}) {{ upper }} }} }} }}',
        )
    for _ in range(10):
        yield _query(
            "huge literals",
            '{ newListings(asOf: "' + rng.choice(["0001-01-01T00:00:00", "9999-12-31T23:59:59",
            "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "10000-01-01T00:00:00", "-1",
            "2026-13-40T99:99:99", "x" * 5000]) + '") { withinDays } }',
        )  # fmt: skip


def variables(rng: random.Random) -> Iterator[Case]:
    for count in (1, 10, 100, 500, 1000, 2000):
        defs = ", ".join(f"$v{i}: String" for i in range(count))
        yield _query(
            "variables",
            f"query({defs}) {{ __typename }}",
            variables={f"v{i}": "x" for i in range(count)},
        )
    for depth in (5, 20, 31, 33, 100, 900, 2000):
        nested = b"[" * depth + b'"BTC"' + b"]" * depth  # written out: too deep for json.dumps
        yield Case(
            "variables",
            b'{"query": "query($t: [String!]!) { symbols(tickers: $t) { ticker } }",'
            b' "variables": {"t": ' + nested + b"}}",
        )
    bad: object
    for bad in ([], {}, 1, None, True, "x", [None], ["BTC"] * 10_000, {"a": {"b": {}}}):
        yield _query(
            "variables",
            "query($t: [String!]!) { symbols(tickers: $t) { ticker } }",
            variables={"t": bad},
        )
        yield _query(
            "variables",
            'query($n: Int!) { symbol(ticker: "BTC") { candles(limit: $n) { interval } } }',
            variables={"n": bad},
        )
    yield _query("variables", "query($x: Nope) { __typename }", variables={"x": 1})
    yield _query("variables", "query($x: Int = 1, $x: Int = 2) { __typename }")
    yield _json("variables", {"query": "{ __typename }", "variables": "not an object"})
    yield _json("variables", {"query": "{ __typename }", "variables": [1, 2]})


def operations(rng: random.Random) -> Iterator[Case]:
    two = "query A { __typename } query B { __typename }"
    yield _query("operations", two)
    yield _query("operations", two, operationName="C")
    yield _query("operations", two, operationName="A")
    yield _query("operations", "{ __typename }", operationName="Nope")
    yield _query("operations", "{ __typename }", operationName="\ud800")
    yield _json("operations", {"query": "{ __typename }", "operationName": 42})
    yield _json("operations", {"query": 42})
    yield _json("operations", {"query": None})
    yield _json("operations", {"nope": "{ __typename }"})
    yield _json("operations", {"query": ""})
    yield _query("operations", "subscription { liquidations { price } }")
    yield _query("operations", 'subscription { signalUpdates(tickers: ["BTC"]) { score } }')
    yield _query("operations", "mutation { nope }")
    yield _query("operations", 'mutation { recordSignal(ticker: "") { id } }')
    for name in ("", " ", "a" * 10_000, "\u0000", "query", "0abc"):
        yield _query("operations", "query A { __typename }", operationName=name)
    for _ in range(10):
        ops = " ".join(f"query Q{i} {{ __typename }}" for i in range(rng.randint(2, 300)))
        yield _query("operations", ops, operationName=f"Q{rng.randint(0, 400)}")


def introspection(rng: random.Random) -> Iterator[Case]:
    of_type = "name"
    for _ in range(1, 30):
        of_type = f"ofType {{ {of_type} }}"
        yield _query(
            "introspection", f"{{ __schema {{ types {{ fields {{ type {{ {of_type} }} }} }} }} }}"
        )
    for count in (10, 49, 50, 200, 1000):
        yield _query(
            "introspection",
            "{ " + " ".join(f"t{i}: __schema {{ types {{ name fields {{ name }} }} }}" for i in range(count)) + " }",
        )  # fmt: skip
        yield _query(
            "introspection",
            "{ " + " ".join(f't{i}: __type(name: "Symbol") {{ fields {{ name args {{ name }} }} }}' for i in range(count)) + " }",
        )  # fmt: skip


def batches(rng: random.Random) -> Iterator[Case]:
    for count in (1, 2, 10, 100, 1000):
        yield _json("batches", [{"query": "{ __typename }"}] * count)
    yield _json("batches", [])
    yield _json("batches", [[[]]])


def bodies(rng: random.Random) -> Iterator[Case]:
    for size in (64 * 1024 - 100, 64 * 1024, 64 * 1024 + 1, 200_000, 1_000_000):
        yield _query("body limits", "{ __typename }" + " " * size)
    for raw in (b"", b"{", b"}", b"[", b"null", b"1", b'"x"', b"true", b"false", b"{}", b"[]",
                b"{nope", b'{"query": }', b'{"query": "{ __typename }"', b"\xef\xbb\xbf{}"):  # fmt: skip
        yield Case("non-object bodies", raw)
    for depth in (33, 100, 1000, 5000, 20_000):
        yield Case(
            "nested JSON", b'{"query": "{ __typename }", "v": ' + b"[" * depth + b"]" * depth + b"}"
        )
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "",
    ):
        yield Case("content types", b'{"query": "{ __typename }"}', content_type)


def invalid_utf8(rng: random.Random) -> Iterator[Case]:
    for _ in range(20):
        noise = bytes(rng.randrange(128, 256) for _ in range(rng.randint(1, 64)))
        yield Case(
            "invalid UTF-8", b'{"query": "{ symbol(ticker: \\"' + noise + b'\\") { price } }"}'
        )
    yield Case("invalid UTF-8", b"\xff\xfe{}")
    yield Case("invalid UTF-8", b'{"query": "{ __typename }", "operationName": "\xc3\x28"}')


def null_bytes(rng: random.Random) -> Iterator[Case]:
    for position in range(0, 14, 1):
        query = "{ __typename }"
        yield _query("null bytes", query[:position] + "\x00" + query[position:])
    yield _query("null bytes", '{ symbol(ticker: "BTC\\u0000") { price } }')
    yield _query(
        "null bytes",
        "query($t: String!) { symbol(ticker: $t) { price } }",
        variables={"t": "\x00" * 100},
    )
    yield Case("null bytes", b'{"query": "{ __typename }"}\x00\x00')
    yield Case("null bytes", b"\x00" * 100)


def int_overflow(rng: random.Random) -> Iterator[Case]:
    for value in (2**31 - 1, 2**31, -(2**31) - 1, 2**53 + 1, 2**63, 2**64, 10**30, -1, 0):
        yield _query("Int overflow", f"{{ fearGreed(limit: {value}) {{ value }} }}")
        yield _query(
            "Int overflow",
            "query($n: Int!) { fearGreed(limit: $n) { value } }",
            variables={"n": value},
        )
    for raw in (b"1e400", b"-1e400", b"1" + b"0" * 5000, b"NaN", b"Infinity", b"-Infinity"):
        yield Case(
            "Int overflow",
            b'{"query": "query($n: Int!) { fearGreed(limit: $n) { value } }", "variables": {"n": '
            + raw
            + b"}}",
        )


def list_arguments(rng: random.Random) -> Iterator[Case]:
    for count in (0, 1, 50, 51, 100, 1000, 5000):
        tickers = json.dumps([f"T{i}" for i in range(count)])
        yield _query("list arguments", f"{{ symbols(tickers: {tickers}) {{ ticker }} }}")
        yield _query("list arguments", f"{{ signals(tickers: {tickers}) {{ score }} }}")
    for first in (-(2**31), -1, 0, 1, 100, 101, 10_000, 2**31 - 1):
        yield _query("list arguments", f"{{ futuresUniverse(first: {first}) {{ totalCount }} }}")
        yield _query(
            "list arguments", f"{{ signalHistory(first: {first}) {{ entries {{ ticker }} }} }}"
        )
        yield _query("list arguments", f"{{ smartMoneyScan(first: {first}) {{ scanned }} }}")
        yield _query(
            "list arguments", f"{{ discoverCoins(first: {first}, page: {first}) {{ scanned }} }}"
        )
    for limit in (-1, 0, 1, 1500, 1501, 10**6):
        yield _query(
            "list arguments",
            f'{{ symbol(ticker: "BTC") {{ candles(limit: {limit}) {{ interval }} }} }}',
        )
        yield _query(
            "list arguments",
            f'{{ symbol(ticker: "BTC") {{ smc(limit: {limit}, intervals: ["1m","5m","1h","4h","1d","1w"]) {{ score }} }} }}',
        )
    yield _query(
        "list arguments",
        '{ symbol(ticker: "BTC") { smc(intervals: ['
        + ",".join(['"1h"'] * 5000)
        + "]) { score } } }",
    )


HOSTILE_TICKERS = [
    "", " ", "\t", "\u0000", "BTC\u0000", "B" * 300, "BTC' OR '1'='1", "BTC; DROP TABLE signals;--",
    "../../etc/passwd", "%00", "%2e%2e%2f", "<script>alert(1)</script>", "{{7*7}}", "${jndi:x}",
    "\u202ebtc", "\U0001f680", "\uff22\uff34\uff23", "btc\nusdt", "BTC/USDT", "BTC-USDT-SWAP-SWAP", "-", "_",
    "0", "-1", "1e9", "null", "undefined", "NaN", "BTCUSDTUSDT", "ethusdt", "kPEPE", "1000PEPE",
    "\ud83d", "\\", '"', "'", "`", "BTC ", " BTC", "b\u0301tc",
]  # fmt: skip


def hostile_tickers(rng: random.Random) -> Iterator[Case]:
    for ticker in HOSTILE_TICKERS:
        yield _query(
            "hostile tickers",
            "query($t: String!) { symbol(ticker: $t) { ticker price } }",
            variables={"t": ticker},
        )
    for _ in range(10):
        tickers = rng.sample(HOSTILE_TICKERS, 8)
        yield _query(
            "hostile tickers",
            "query($t: [String!]!) { symbols(tickers: $t) { ticker } signals(tickers: $t) { score } }",
            variables={"t": tickers},
        )


def costly(rng: random.Random) -> Iterator[Case]:
    intervals = [
        "1m",
        "3m",
        "5m",
        "15m",
        "30m",
        "1h",
        "2h",
        "4h",
        "6h",
        "8h",
        "12h",
        "1d",
        "3d",
        "1w",
    ]
    for count in range(5, 50, 4):
        body = " ".join(
            f'a{i}: symbol(ticker: "T{i}") {{ signal {{ score }} smc(intervals: ["1m","5m","15m","1h","4h"], limit: 1500) {{ bias }} '
            f'indicators(interval: "{rng.choice(intervals)}", limit: 1500) {{ rsi }} orderbook(depth: 1000) {{ spread }} recentTrades(limit: 1000) {{ source }} }}'
            for i in range(count)
        )  # fmt: skip
        yield _query("cost", "{ " + body + " }")


FAMILIES = (
    deep_fields, deep_fragments, circular_fragments, fragment_chains, aliases, duplicated_fields,
    directive_repetition, huge_literals, variables, operations, introspection, batches, bodies,
    invalid_utf8, null_bytes, int_overflow, list_arguments, hostile_tickers, costly,
)  # fmt: skip


def cases(seed: int = 11) -> list[Case]:
    rng = random.Random(seed)
    return [case for family in FAMILIES for case in family(rng)]


__all__ = ["Case", "cases"]
