"""The words the ``ask`` parser knows, in English and Indonesian. Data only, no logic.

* ``INTENT_PHRASES``: per intent, the phrases that name it, in table order (the order
  breaks ties, see ``engine.ask.understand``). A phrase is lower-case words separated by one
  space; it matches whole words of the text (``"fear and greed"`` matches "Fear and Greed?",
  ``"long short"`` matches "long/short").
* ``MODE_WORDS``: words that name a signal mode, resolved through
  ``engine.signal.modes.ALIASES`` (Indonesian words are translated to its English keys).
* ``COMMON_WORDS``: frequent English and Indonesian words. Many are also tickers (ONE, AI,
  SUN, T, NOT, PEOPLE, ADA, RED, WHY...): written in lower case they are read as words.
* ``INDONESIAN`` / ``ENGLISH``: the words that tell the asker's language.
* ``COIN_NAMES``: common coin names to their ticker (a name table, not market data: the
  ticker still has to be listed by the venues).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from engine.ask.model import Intent

# Table order: the earlier intent wins a tie between equally long phrases.
INTENT_PHRASES: Mapping[Intent, tuple[str, ...]] = MappingProxyType(
    {
        Intent.NEW_LISTINGS: (
            "new listing", "new listings", "newly listed", "just listed", "recent listings",
            "recently listed", "new futures", "listing baru", "listingan baru", "baru listing",
            "baru dilisting", "baru di listing",
        ),
        Intent.FEAR_GREED: (
            "fear and greed", "fear greed", "fear n greed", "fng", "greed index", "fear index",
            "ketakutan", "keserakahan", "indeks ketakutan", "takut dan serakah", "serakah",
        ),
        Intent.LONG_SHORT_RATIO: (
            "long short ratio", "long to short ratio", "ls ratio", "long short account",
            "rasio long short", "rasio long", "rasio ls", "perbandingan long short",
        ),
        Intent.VOLUME_DELTA: (
            "volume delta", "delta volume", "taker", "takers", "taker volume", "cvd",
            "buy volume", "sell volume", "order flow", "volume beli", "volume jual",
        ),
        Intent.SMART_MONEY: (
            "smart money", "top trader", "top traders", "accumulation", "accumulating",
            "distribution", "uang pintar", "akumulasi", "distribusi",
        ),
        Intent.WHALES: ("whale", "whales", "big players", "paus", "ikan paus", "bandar"),
        Intent.LIQUIDATIONS: (
            "liquidation", "liquidations", "liquidated", "liq", "liqs", "rekt", "likuidasi",
            "terlikuidasi", "kena likuidasi",
        ),
        Intent.FUNDING: (
            "funding", "funding rate", "funding fee", "biaya pendanaan", "pendanaan",
        ),
        Intent.OPEN_INTEREST: ("oi", "open interest", "trend", "tren"),
        Intent.RSI: ("rsi", "overbought", "oversold", "jenuh beli", "jenuh jual"),
        Intent.SCALPING: ("scalping", "scalp", "skalping"),
        Intent.SENTIMENT: ("sentiment", "social", "mood", "sentimen", "sosial", "suasana"),
        Intent.DISCOVERY: (
            "discover", "discovery", "gem", "gems", "hidden gem", "find coins", "find a coin",
            "low cap", "small cap", "small caps", "which coin", "what coin", "what coins",
            "coins to buy", "coin to buy", "screener", "koin baru", "cari koin",
            "carikan koin", "koin potensial", "rekomendasi koin", "koin apa", "koin bagus",
            "koin murah",
        ),
        Intent.MARKET_SUMMARY: (
            "market summary", "market overview", "overview", "summary",
            "how is the market", "how s the market", "why is crypto", "why is the market",
            "crypto crashing", "market crashing", "market crash", "market dump",
            "market pump", "market red", "market green", "whole market", "market trend",
            "state of the market", "ringkasan pasar", "ringkasan market", "ringkasan",
            "kenapa market", "kenapa pasar", "kenapa kripto", "kenapa crypto",
            "market merah", "pasar merah", "market hijau", "pasar hijau", "merah semua",
            "hijau semua", "kondisi market", "kondisi pasar", "gimana market",
            "gimana pasar", "bagaimana pasar", "bagaimana market", "tren pasar", "tren market",
        ),
        Intent.PRICE: ("price", "prices", "how much", "harga", "berapa harga", "berapa"),
        Intent.SIGNAL: (
            "signal", "signals", "long or short", "long short", "buy or sell",
            "should i buy", "should i sell", "should i long", "should i short", "entry",
            "analysis", "analyze", "analyse", "prediction", "predict", "forecast", "outlook",
            "bullish or bearish", "sinyal", "long atau short", "beli atau jual", "analisa",
            "analisis", "prediksi", "cek", "posisi",
        ),
    }
)  # fmt: skip

# Mode word -> its key in engine.signal.modes.ALIASES ("1" / "2" / "3" are the mode
# numbers). "scalping" is here only as the mode's name next to the word "mode"
# ("mode scalping", "scalping mode"); anywhere else it is the SCALPING intent.
MODE_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "conservative": "conservative", "konservatif": "conservative", "safe": "safe",
        "aman": "safe", "m1": "1",
        "aggressive": "aggressive", "agresif": "aggressive", "balanced": "balanced",
        "seimbang": "balanced", "m2": "2",
        "ultra": "ultra", "extreme": "extreme", "ekstrem": "extreme", "ekstrim": "extreme",
        "m3": "3", "mode1": "1", "mode2": "2", "mode3": "3",
    }
)  # fmt: skip
MODE_NUMBERS = ("1", "2", "3")  # after the word "mode": "mode 2"
MODE_MARKERS = ("mode",)

_COMMON_ENGLISH = """
a about above after again against all also am an and any anyone anything are as ask at back
bad be because been before being below best better between big both but by can close coin
coins could crash crashing crypto current currently day did do does doing down dump dumping
during each even ever every everything few first for from fun get give go going gold good
green had happened happening has have having he hello her here hey hi high him his home hot
hour hours how i if in into is it its just key know last latest let lets like look low make
many market markets me more most much my need new next no nor not now of off ok okay old on
once one only open or other our out over own people perp perps please pls pump pumping real
red right same see sell buy she should show sign small so some someone something soon spot
still such sure take tell than thank thanks that the their them then there these they think
this those through time to today tomorrow too top trade trader trading two under until up us
very want was way we week were what when where which while who whom why will win with world
would yes yesterday you your yours zero
act ai alt bank banana baby ban beat bid cat cow cross dam deep dog dogs drift edge epic era
flow form giggle goat grass gun hive hook hyper id idol io ip ir kite la lab layer light
link magic mask meme memes met milk moon move near night nil og order play portal power
prompt prove quick rare river rose sent shell sky spell stable sun super tag token tokens
towns tree useless vine wet
"""

_COMMON_INDONESIAN = """
ada adalah agak aja akan aku anda apa apakah atau bagaimana bagus bakal banget bang begini
begitu belum berapa besok beli bisa boleh bukan bulan buat cari carikan cek coba cuma cukup
dan dari deh dengan di dia dimana dong dulu enak enggak ga gak gan gimana gini gitu gue gw
hai halo hanya hari harga harus hijau hitung ingin itu jadi jam jelek juga jual kak kalau kalo
kami kamu kapan karena kasih kayak ke kemarin kenapa kita koin kok kondisi lagi lah lebih
liat lihat lu mahal makasih mana masih mau mending mengapa menit merah mereka minggu mohon
murah naik nanti nggak nih oke oleh pada pakai pake paling para pasar pengen posisi punya
saja sama sangat saya sebaiknya sedang sekali sekarang semua seperti siapa sih sinyal sip
situasi soalnya sudah tadi tahun tampilkan tapi tentang terima terus tetapi tidak tolong
trus tuh turun udah untuk ya yah yang koma ta
"""

COMMON_WORDS: frozenset[str] = frozenset((_COMMON_ENGLISH + _COMMON_INDONESIAN).split())

# Words that show the text is Indonesian: its common words and keywords, without the ones
# English shares ("mode", "ok", "entry", "market"...).
_INDONESIAN_KEYWORDS = """
    analisa analisis prediksi rekomendasi sinyal harga harganya koin pasar paus ikan bandar
    likuidasi terlikuidasi kena biaya pendanaan rasio perbandingan uang pintar akumulasi
    distribusi tren sentimen sosial suasana ketakutan keserakahan indeks takut serakah
    ringkasan kripto jenuh baru listingan dilisting potensial konservatif agresif aman
    seimbang ekstrem ekstrim skalping volume
"""
INDONESIAN: frozenset[str] = frozenset((_COMMON_INDONESIAN + _INDONESIAN_KEYWORDS).split()) - {
    "ok",
    "volume",
    "ya",
    "ta",
    "koma",
    "jam",
}

_ENGLISH_KEYWORDS = """
    signal signals price prices funding rate fee liquidation liquidations liquidated whale
    whales smart money accumulation distribution interest trend sentiment social mood fear
    greed index summary overview listing listings listed discover discovery gems find cap
    caps screener analysis analyze analyse prediction predict forecast outlook bullish
    bearish conservative aggressive balanced ultra extreme safe mode ratio delta volume
"""
ENGLISH: frozenset[str] = frozenset((_COMMON_ENGLISH + _ENGLISH_KEYWORDS).split())

# Common names -> ticker, for names that differ from the ticker ("pepe" is its own ticker).
COIN_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "bitcoin": "BTC", "ethereum": "ETH", "ether": "ETH", "solana": "SOL",
        "ripple": "XRP", "dogecoin": "DOGE", "cardano": "ADA",
        "polkadot": "DOT", "chainlink": "LINK", "litecoin": "LTC", "avalanche": "AVAX",
        "polygon": "POL", "binancecoin": "BNB", "tron": "TRX", "toncoin": "TON",
        "shiba": "SHIB", "aptos": "APT", "arbitrum": "ARB",
        "optimism": "OP", "cosmos": "ATOM", "uniswap": "UNI", "stellar": "XLM",
        "monero": "XMR", "hyperliquid": "HYPE", "bittensor": "TAO", "filecoin": "FIL",
        "dogwifhat": "WIF", "injective": "INJ", "celestia": "TIA", "ethena": "ENA",
        "worldcoin": "WLD", "kaspa": "KAS", "hedera": "HBAR", "algorand": "ALGO",
        "tezos": "XTZ", "zcash": "ZEC",
    }
)  # fmt: skip

__all__ = [
    "COIN_NAMES",
    "COMMON_WORDS",
    "ENGLISH",
    "INDONESIAN",
    "INTENT_PHRASES",
    "MODE_MARKERS",
    "MODE_NUMBERS",
    "MODE_WORDS",
]
