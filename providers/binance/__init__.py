"""Binance USD-M futures public REST: client, payload models and venue facts."""

from providers.binance.client import BinanceFuturesClient
from providers.binance.venue import VENUE, host_policy, not_served, perp_symbol

__all__ = ["VENUE", "BinanceFuturesClient", "host_policy", "not_served", "perp_symbol"]
