"""Mode thresholds at their exact edges, and the lenient mode parser."""

from __future__ import annotations

import pytest

from engine.signal.model import Direction, Mode
from engine.signal.modes import DEFAULT_MODE, MODE_INFO, direction_for, parse_mode

L, S, N = Direction.LONG, Direction.SHORT, Direction.NEUTRAL

EDGES = [  # (mode, score, direction): the product's thresholds, at and either side of them
    (Mode.CONSERVATIVE, 34.99, S), (Mode.CONSERVATIVE, 35.0, S), (Mode.CONSERVATIVE, 35.01, N),
    (Mode.CONSERVATIVE, 64.99, N), (Mode.CONSERVATIVE, 65.0, L), (Mode.CONSERVATIVE, 65.01, L),
    (Mode.AGGRESSIVE, 44.99, S), (Mode.AGGRESSIVE, 45.0, S), (Mode.AGGRESSIVE, 45.01, N),
    (Mode.AGGRESSIVE, 54.99, N), (Mode.AGGRESSIVE, 55.0, L), (Mode.AGGRESSIVE, 55.01, L),
    (Mode.ULTRA, 48.99, S), (Mode.ULTRA, 49.0, S), (Mode.ULTRA, 49.01, N),
    (Mode.ULTRA, 50.0, N), (Mode.ULTRA, 50.99, N), (Mode.ULTRA, 51.0, L), (Mode.ULTRA, 51.01, L),
    (Mode.AGGRESSIVE, 0.0, S), (Mode.AGGRESSIVE, 100.0, L), (Mode.AGGRESSIVE, 50.0, N),
]  # fmt: skip


@pytest.mark.parametrize(("mode", "score", "direction"), EDGES)
def test_direction_at_the_edges(mode: Mode, score: float, direction: Direction) -> None:
    assert direction_for(score, mode) is direction


def test_mode_table() -> None:
    assert {m: (i.short_at_or_below, i.long_at_or_above) for m, i in MODE_INFO.items()} == {
        Mode.CONSERVATIVE: (35, 65),
        Mode.AGGRESSIVE: (45, 55),
        Mode.ULTRA: (49, 51),
    }
    assert all(info.mode is mode for mode, info in MODE_INFO.items())
    assert all(
        info.risk_level and info.description and info.best_use for info in MODE_INFO.values()
    )
    assert DEFAULT_MODE is Mode.AGGRESSIVE


ALIASES = [
    (1, Mode.CONSERVATIVE), ("1", Mode.CONSERVATIVE), ("conservative", Mode.CONSERVATIVE),
    ("SAFE", Mode.CONSERVATIVE), (" Safe ", Mode.CONSERVATIVE),
    (2, Mode.AGGRESSIVE), (" 2", Mode.AGGRESSIVE), ("Aggressive", Mode.AGGRESSIVE),
    ("balanced", Mode.AGGRESSIVE), ("BALANCED\t", Mode.AGGRESSIVE),
    (3, Mode.ULTRA), ("3 ", Mode.ULTRA), ("ultra", Mode.ULTRA), ("ULTRA", Mode.ULTRA),
    ("extreme", Mode.ULTRA), ("Scalping", Mode.ULTRA), ("  scalping  ", Mode.ULTRA),
]  # fmt: skip


@pytest.mark.parametrize(("text", "mode"), ALIASES)
def test_every_alias(text: str | int, mode: Mode) -> None:
    assert parse_mode(text) is mode


@pytest.mark.parametrize("text", ["", "4", 0, 4, -1, "turbo", "con servative", "1.0", True])
def test_bad_modes_list_the_accepted_values(text: str | int) -> None:
    with pytest.raises(ValueError) as caught:
        parse_mode(text)
    message = str(caught.value)
    for accepted in (
        "1",
        "2",
        "3",
        "conservative",
        "aggressive",
        "ultra",
        "safe",
        "balanced",
        "extreme",
        "scalping",
    ):
        assert accepted in message
