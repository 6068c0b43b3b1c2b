"""Coinglass open API v4 (keyed): client, payload models and service facts."""

from providers.coinglass.client import CoinglassClient
from providers.coinglass.venue import VENUE, host_policy, not_served

__all__ = ["VENUE", "CoinglassClient", "host_policy", "not_served"]
