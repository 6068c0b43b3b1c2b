"""One-line answers about the whole market, English or Indonesian, from a registry
operation's GraphQL ``data`` (root fields as keys): the market summary, its liquidation
pressure, the smart-money scan, Fear & Greed, new listings and coin discovery.

As in ``engine.ask.answers``: only what is there is said; what is missing is not available.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.ask.data import (
    SHOWN,
    get,
    items,
    join,
    missing,
    number,
    say,
    smart_money_part,
    text,
)
from engine.ask.model import Understood
from engine.signal.wording import signed_pct, usd


def market(u: Understood, data: Mapping[str, Any]) -> str:
    """``marketSummary``: its own explanation in the asker's language."""
    found = get(data, "marketSummary")
    explanation = text(found, "explanationId" if u.language == "id" else "explanationEn")
    if explanation is not None:
        return explanation
    sentiment = text(found, "sentiment")
    if sentiment is None:
        return missing(u, "Market summary", "Ringkasan pasar")
    return say(u, f"Market sentiment: {sentiment}.", f"Sentimen pasar: {sentiment}.")


def market_liquidations(u: Understood, data: Mapping[str, Any]) -> str:
    """``marketSummary``'s 24 h liquidation pressure over the coins that had data."""
    pressure = get(data, "marketSummary", "liquidationPressure")
    coins = number(pressure, "coinsWithData")
    longs, shorts = number(pressure, "longUsd"), number(pressure, "shortUsd")
    if not coins or longs is None or shorts is None:
        return missing(u, "Market liquidations", "Likuidasi pasar")
    label = text(pressure, "label")
    shown = f" ({label})" if label else ""
    return say(
        u,
        f"Market liquidations (24h, {coins:.0f} coins): longs {usd(longs)} vs shorts {usd(shorts)}{shown}.",
        f"Likuidasi pasar (24 jam, {coins:.0f} koin): long {usd(longs)} vs short {usd(shorts)}{shown}.",
    )


def smart_money_scan(u: Understood, data: Mapping[str, Any]) -> str:
    """``smartMoneyScan``: the first ranked coins that have a score."""
    scan = get(data, "smartMoneyScan")
    parts = [p for c in items(scan, "candidates") or [] if (p := smart_money_part(c))]
    if not parts:
        return missing(u, "Smart money scan", "Pemindaian smart money")
    scanned = number(scan, "scanned")
    where = ""
    if scanned is not None:
        where = say(u, f" ({scanned:.0f} scanned)", f" ({scanned:.0f} dipindai)")
    return f"Smart money{where}: {join(parts[:SHOWN])} (-100..100)."


def fear_greed(u: Understood, data: Mapping[str, Any]) -> str:
    """``fearGreed``: the newest index value (0..100) and its classification."""
    found = get(data, "fearGreed")
    value = number(found, "value")
    if value is None:
        return missing(u, "Fear & Greed index", "Indeks Fear & Greed")
    label = text(found, "classification")
    shown = f" ({label})" if label else ""
    return say(
        u,
        f"Fear & Greed index: {value:.0f}/100{shown}.",
        f"Indeks Fear & Greed: {value:.0f}/100{shown}.",
    )


def new_listings(u: Understood, data: Mapping[str, Any]) -> str:
    """``newListings``: how many contracts were listed in the window, the newest named."""
    found = get(data, "newListings")
    listings = items(found, "listings")
    days = number(found, "withinDays")
    if listings is None or days is None:
        return missing(u, "New listings", "Listing baru")
    if not listings:
        return say(
            u,
            f"No new Binance futures listing in the last {days:.0f} days.",
            f"Tidak ada listing futures Binance baru dalam {days:.0f} hari terakhir.",
        )
    names = [text(item, "base") or text(item, "venueSymbol") or "?" for item in listings]
    shown = join(names[:SHOWN]) + (", ..." if len(names) > SHOWN else "")
    return say(
        u,
        f"{len(names)} new Binance futures listings in the last {days:.0f} days: {shown}.",
        f"{len(names)} listing futures Binance baru dalam {days:.0f} hari terakhir: {shown}.",
    )


def discovery(u: Understood, data: Mapping[str, Any]) -> str:
    """``discoverCoins``: the first screened coins with their 24 h change."""
    found = get(data, "discoverCoins")
    coins = items(found, "coins")
    if coins is None:
        return missing(u, "Coin discovery", "Pencarian koin")
    if not coins:
        return say(u, "No coin matched the screen.", "Tidak ada koin yang cocok.")
    parts = []
    for coin in coins[:SHOWN]:
        symbol = (text(coin, "symbol") or "?").upper()
        change = number(coin, "priceChange24hPct")
        parts.append(f"{symbol} {signed_pct(change)}" if change is not None else symbol)
    scanned = number(found, "scanned")
    where = ""
    if scanned is not None:
        where = say(u, f" of {scanned:.0f} scanned", f" dari {scanned:.0f} yang dipindai")
    return say(
        u,
        f"Coins found{where}, 24h change: {join(parts)}.",
        f"Koin ditemukan{where}, perubahan 24 jam: {join(parts)}.",
    )


__all__ = [
    "discovery", "fear_greed", "market", "market_liquidations", "new_listings",
    "smart_money_scan",
]  # fmt: skip
