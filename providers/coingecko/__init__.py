"""CoinGecko public API v3 (optional demo key): client, payload models and service facts."""

from providers.coingecko.client import CoinGeckoClient
from providers.coingecko.venue import VENUE, host_policy, not_served

__all__ = ["VENUE", "CoinGeckoClient", "host_policy", "not_served"]
