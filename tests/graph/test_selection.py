"""The scalping summary reads its selection the way GraphQL executes it: a field selected
twice (or under an alias) counts with every selection's subfields, and arguments come from
literals, variables and the schema's defaults."""

from __future__ import annotations

from typing import Any

import pytest

import graph.types.scalping as scalping_types
from engine.symbols import SymbolRef, VenueNames
from graph.schema import build_schema
from resolvers import symbols
from resolvers.scalping_summary import Selection

ETH = SymbolRef("ETH", "USDT", 1, VenueNames("ETHUSDT", "ETH-USDT-SWAP", "ETH"), None)


async def _selection(
    monkeypatch: pytest.MonkeyPatch, query: str, variables: dict[str, Any] | None = None
) -> Selection:
    """The Selection the snapshot field computes for ``query`` (no upstream is reached:
    the symbol is resolved to a fixed reference and no layer is selected to resolve)."""
    seen: list[Selection] = []
    original = scalping_types.selection_of

    async def resolve(ctx: Any, ticker: str) -> SymbolRef:
        return ETH

    def capture(info: Any) -> Selection:
        seen.append(original(info))
        return seen[-1]

    monkeypatch.setattr(symbols, "resolve_symbol", resolve)
    monkeypatch.setattr(scalping_types, "selection_of", capture)
    await build_schema().execute(query, variable_values=variables, context_value=object())
    (selection,) = seen
    return selection


async def test_a_field_selected_twice_counts_every_selection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    twice = await _selection(
        monkeypatch,
        '{ scalping(ticker: "ETH") { whales { coin } whales { positions { accounts } } } }',
    )
    aliased = await _selection(
        monkeypatch,
        '{ scalping(ticker: "ETH") { whales { coin } w: whales { positions { accounts } } } }',
    )
    only_coin = await _selection(monkeypatch, '{ scalping(ticker: "ETH") { whales { coin } } }')
    assert twice.whale_positions
    assert aliased.whale_positions
    assert not only_coin.whale_positions


async def test_arguments_from_variables_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    selection = await _selection(
        monkeypatch,
        'query($w: StatsWindow!, $d: Int!) { scalping(ticker: "ETH") {'
        " liquidations(window: $w) { longUsd } orderbook(depth: $d) { spreadBps }"
        " rsi { value } } }",
        {"w": "H4", "d": 50},
    )
    assert selection.liquidations_window_ms == 4 * 3_600_000
    assert selection.orderbook_depth == 50
    assert selection.rsi_period == 14  # the schema's default
    assert selection.long_short_period is None  # not selected
