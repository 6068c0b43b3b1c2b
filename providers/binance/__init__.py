"""Binance USD-M futures public REST and the liquidation stream: client, payload models,
venue facts."""

from providers.binance.client import BinanceFuturesClient
from providers.binance.venue import VENUE, host_policy, not_served, perp_symbol
from providers.binance.ws import BinanceLiquidationStream

__all__ = [
    "VENUE",
    "BinanceFuturesClient",
    "BinanceLiquidationStream",
    "host_policy",
    "not_served",
    "perp_symbol",
]
