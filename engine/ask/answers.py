"""One-line answers about one coin, English or Indonesian, from a registry operation's
GraphQL ``data`` (root fields as keys).

Each function reads only what is there: a null or missing value is left out of the line,
and when what the question is about is missing the line says it is not available.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.ask.data import (
    coin_of,
    get,
    hours_text,
    items,
    join,
    missing,
    mode_text,
    number,
    price_text,
    say,
    score_text,
    smart_money_part,
    text,
)
from engine.ask.model import Understood
from engine.scalping_inputs import RsiZone, rsi_zone
from engine.signal.wording import signed_pct, usd

_RSI_ZONES = {
    "en": {RsiZone.OVERBOUGHT: "overbought", RsiZone.OVERSOLD: "oversold",
           RsiZone.NEUTRAL: "neutral"},
    "id": {RsiZone.OVERBOUGHT: "jenuh beli", RsiZone.OVERSOLD: "jenuh jual",
           RsiZone.NEUTRAL: "netral"},
}  # fmt: skip
_WINDOWS = {"H1": 1, "H4": 4, "H12": 12, "H24": 24}  # the StatsWindow enum, in hours


# -- signals -----------------------------------------------------------------------------------


def signal(u: Understood, data: Mapping[str, Any]) -> str:
    """``signal``: direction, score, mode and price; data quality when too low."""
    found = get(data, "signal")
    coin = coin_of(u, found)
    direction, score = text(found, "direction"), number(found, "score")
    if direction is None or score is None:
        return missing(u, f"{coin} signal", f"Sinyal {coin}")
    mode = mode_text(u, text(found, "mode"))
    line = say(
        u,
        f"{coin}: {direction}, score {score_text(score)}/100 ({mode})",
        f"{coin}: {direction}, skor {score_text(score)}/100 ({mode})",
    )
    price = number(found, "price")
    if price is not None:
        line += say(u, f", price {price_text(price)}", f", harga {price_text(price)}")
    quality = number(found, "dataQuality", "scorePct")
    if get(found, "dataQuality", "sufficient") is False and quality is not None:
        line += say(
            u,
            f"; data quality {score_text(quality)} % is below the minimum",
            f"; kualitas data {score_text(quality)} % di bawah batas minimum",
        )
    return line + "."


def signals(u: Understood, data: Mapping[str, Any]) -> str:
    """``signals``: each coin's direction and score, in the order asked."""
    entries = items(data, "signals")
    if entries is None:
        names = ", ".join(u.tickers)
        return missing(u, f"Signals for {names}", f"Sinyal {names}")
    parts = []
    for i, asked in enumerate(u.tickers):
        entry = entries[i] if i < len(entries) else None
        coin = text(entry, "ticker") or asked
        direction, score = text(entry, "direction"), number(entry, "score")
        if direction is None or score is None:
            parts.append(say(u, f"{coin} not available", f"{coin} tidak tersedia"))
        else:
            parts.append(f"{coin} {direction} {score_text(score)}/100")
    mode = mode_text(u)
    return say(u, f"Signals ({mode}): ", f"Sinyal ({mode}): ") + join(parts) + "."


# -- symbol: price, funding, open interest, long/short ratio -----------------------------------


def price(u: Understood, data: Mapping[str, Any]) -> str:
    """``symbol``: the last price with its quote and 24 h change."""
    found = get(data, "symbol")
    coin = coin_of(u, found)
    value = number(found, "price")
    if value is None:
        return missing(u, f"{coin} price", f"Harga {coin}")
    quote = text(found, "quote") or ""
    line = say(u, f"{coin} price: ", f"Harga {coin}: ") + f"{price_text(value)} {quote}".rstrip()
    change = number(found, "change24hPct")
    if change is not None:
        line += say(u, f" (24h {signed_pct(change)})", f" (24 jam {signed_pct(change)})")
    return line + "."


def funding(u: Understood, data: Mapping[str, Any]) -> str:
    """``symbol``: the funding rate per interval, in percent."""
    found = get(data, "symbol")
    coin = coin_of(u, found)
    rate = number(found, "funding", "rate")
    if rate is None:
        return missing(u, f"{coin} funding rate", f"Funding {coin}")
    line = say(u, f"{coin} funding rate: ", f"Funding {coin}: ") + signed_pct(rate * 100, 4)
    interval = number(found, "funding", "intervalHours")
    if interval is not None:
        line += f" per {hours_text(u, interval)}"
    return line + "."


def open_interest(u: Understood, data: Mapping[str, Any]) -> str:
    """``symbol``: open interest in USD and coins, with the 24 h price change."""
    found = get(data, "symbol")
    coin = coin_of(u, found)
    oi_usd, oi_coins = (
        number(found, "openInterest", "usd"),
        number(found, "openInterest", "baseQty"),
    )
    if oi_usd is None and oi_coins is None:
        return missing(u, f"{coin} open interest", f"Open interest {coin}")
    if oi_usd is not None and oi_coins is not None:
        shown = f"{usd(oi_usd)} ({score_text(oi_coins)} {coin})"
    elif oi_usd is not None:
        shown = usd(oi_usd)
    else:
        shown = f"{score_text(oi_coins or 0.0)} {coin}"
    line = say(u, f"{coin} open interest: {shown}", f"Open interest {coin}: {shown}")
    change = number(found, "change24hPct")
    if change is not None:
        line += say(u, f"; price 24h {signed_pct(change)}", f"; harga 24 jam {signed_pct(change)}")
    return line + "."


def long_short_ratio(u: Understood, data: Mapping[str, Any]) -> str:
    """``symbol``: the newest global long/short account ratio and its shares."""
    found = get(data, "symbol")
    coin = coin_of(u, found)
    newest = get(found, "longShortRatio", "points", -1)
    ratio = number(newest, "ratio")
    if ratio is None:
        return missing(u, f"{coin} long/short ratio", f"Rasio long/short {coin}")
    period = text(found, "longShortRatio", "period")
    where = f" ({period})" if period else ""
    line = say(u, f"{coin} long/short ratio{where}: ", f"Rasio long/short {coin}{where}: ")
    line += score_text(ratio)
    longs, shorts = number(newest, "longFraction"), number(newest, "shortFraction")
    if longs is not None and shorts is not None:
        line += f", {score_text(longs * 100)} % long, {score_text(shorts * 100)} % short"
    return line + "."


# -- indicators --------------------------------------------------------------------------------


def rsi(u: Understood, data: Mapping[str, Any]) -> str:
    """``indicators``: RSI 14 on the document's interval and its zone (70 / 30)."""
    found = get(data, "symbol")
    coin = coin_of(u, found)
    value = number(found, "indicators", "rsi")
    if value is None:
        return missing(u, f"{coin} RSI", f"RSI {coin}")
    interval = text(found, "indicators", "interval")
    where = f" ({interval})" if interval else ""
    zone = _RSI_ZONES[u.language][rsi_zone(value)]
    return say(
        u,
        f"{coin} RSI 14{where}: {value:.2f}, {zone}.",
        f"RSI 14 {coin}{where}: {value:.2f}, {zone}.",
    )


def volume_delta(u: Understood, data: Mapping[str, Any]) -> str:
    """``indicators``: taker buy minus sell volume, in the coin's units."""
    found = get(data, "symbol")
    coin = coin_of(u, found)
    value = number(found, "indicators", "volumeDelta")
    if value is None:
        return missing(u, f"{coin} volume delta", f"Volume delta {coin}")
    interval = text(found, "indicators", "interval")
    where = f" ({interval})" if interval else ""
    return say(
        u,
        f"{coin} volume delta{where}: {value:+.2f} {coin}, taker buys minus sells.",
        f"Volume delta {coin}{where}: {value:+.2f} {coin}, taker beli dikurangi jual.",
    )


# -- scalping snapshot: the read, whales, social -----------------------------------------------


def scalping(u: Understood, data: Mapping[str, Any]) -> str:
    """``scalping``: the summary's bias and score (-1..1), price, support, resistance."""
    found = get(data, "scalping")
    coin = coin_of(u, found)
    bias, score = text(found, "summary", "bias"), number(found, "summary", "score")
    if bias is None or score is None:
        return missing(u, f"{coin} scalping read", f"Scalping {coin}")
    interval = text(found, "interval")
    where = f" ({interval})" if interval else ""
    parts = [
        say(u, f"{bias}, score {score:+.2f} of -1..1", f"{bias}, skor {score:+.2f} dari -1..1")
    ]
    last = number(found, "price", "price")
    support = number(found, "summary", "support", "price")
    resistance = number(found, "summary", "resistance", "price")
    if last is not None:
        parts.append(say(u, f"price {price_text(last)}", f"harga {price_text(last)}"))
    if support is not None:
        parts.append(f"support {price_text(support)}")
    if resistance is not None:
        parts.append(f"resistance {price_text(resistance)}")
    return say(u, f"{coin} scalping{where}: ", f"Scalping {coin}{where}: ") + join(parts) + "."


def whales(u: Understood, data: Mapping[str, Any]) -> str:
    """``scalping``: watched whale accounts, large trades and the largest Hyperliquid print."""
    found = get(data, "scalping")
    coin = coin_of(u, found)
    parts = []
    positions = get(found, "whales", "positions")
    longs, shorts = number(positions, "longValueUsd"), number(positions, "shortValueUsd")
    accounts = number(positions, "accounts")
    if longs is not None and shorts is not None:
        count = f" ({score_text(accounts)})" if accounts is not None else ""
        parts.append(
            say(
                u,
                f"watched accounts{count} long {usd(longs)} vs short {usd(shorts)}",
                f"akun yang dipantau{count} long {usd(longs)} vs short {usd(shorts)}",
            )
        )
    buys, sells = (
        number(found, "largeTrades", "buyNotional"),
        number(found, "largeTrades", "sellNotional"),
    )
    if buys is not None and sells is not None:
        parts.append(
            say(
                u,
                f"large trades buy {usd(buys)} vs sell {usd(sells)}",
                f"transaksi besar beli {usd(buys)} vs jual {usd(sells)}",
            )
        )
    largest = get(found, "whales", "recentTrades", "trades", 0)
    notional, side = number(largest, "notional"), text(largest, "takerSide")
    if notional is not None and side is not None:
        parts.append(
            say(
                u,
                f"largest Hyperliquid print {usd(notional)} ({side})",
                f"transaksi terbesar di Hyperliquid {usd(notional)} ({side})",
            )
        )
    if not parts:
        return missing(u, f"{coin} whale data", f"Data paus {coin}")
    return say(u, f"{coin} whales: ", f"Paus {coin}: ") + "; ".join(parts) + "."


def social(u: Understood, data: Mapping[str, Any]) -> str:
    """``scalping``: the share of positive social posts."""
    found = get(data, "scalping")
    coin = coin_of(u, found)
    share = number(found, "social", "sentimentPct")
    if share is None:
        return missing(u, f"{coin} social sentiment", f"Sentimen sosial {coin}")
    posts = number(found, "social", "posts")
    line = say(
        u,
        f"{coin} social sentiment: {share:.1f} % positive",
        f"Sentimen sosial {coin}: {share:.1f} % positif",
    )
    if posts is not None:
        line += say(u, f" ({posts:.0f} posts)", f" ({posts:.0f} postingan)")
    return line + "."


# -- liquidations and smart money of one coin ----------------------------------------------


def liquidations(u: Understood, data: Mapping[str, Any]) -> str:
    """``liquidationStats``: USD and counts of longs and shorts liquidated."""
    found = get(data, "liquidationStats")
    coin = coin_of(u, found)
    longs, shorts = number(found, "longUsd"), number(found, "shortUsd")
    if longs is None or shorts is None:
        return missing(u, f"{coin} liquidations", f"Likuidasi {coin}")
    hours = _WINDOWS.get(text(found, "window") or "")
    where = f" ({hours_text(u, hours)})" if hours else ""
    long_count, short_count = number(found, "longCount"), number(found, "shortCount")
    long_n = f" ({long_count:.0f})" if long_count is not None else ""
    short_n = f" ({short_count:.0f})" if short_count is not None else ""
    return say(
        u,
        f"{coin} liquidations{where}: longs {usd(longs)}{long_n}, shorts {usd(shorts)}{short_n}.",
        f"Likuidasi {coin}{where}: long {usd(longs)}{long_n}, short {usd(shorts)}{short_n}.",
    )


def smart_money(u: Understood, data: Mapping[str, Any]) -> str:
    """``smartMoneyAnalyze``: the coin's bias, score (-100..100) and factor coverage."""
    candidates = items(data, "smartMoneyScan", "candidates") or []
    asked = u.tickers[0] if u.tickers else None
    found = next((c for c in candidates if text(c, "ticker") == asked), get(candidates, 0))
    coin = coin_of(u, found)
    part = smart_money_part(found)
    if part is None:
        return missing(u, f"{coin} smart money", f"Smart money {coin}")
    coverage = number(found, "coveragePct")
    covered = ""
    if coverage is not None:
        covered = say(
            u,
            f", {score_text(coverage)} % of the factors read",
            f", {score_text(coverage)} % faktor terbaca",
        )
    return f"Smart money: {part} (-100..100){covered}."


__all__ = [
    "funding", "liquidations", "long_short_ratio", "open_interest", "price", "rsi",
    "scalping", "signal", "signals", "smart_money", "social", "volume_delta", "whales",
]  # fmt: skip
