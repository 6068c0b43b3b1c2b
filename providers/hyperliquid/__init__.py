"""Hyperliquid info API (public, no key): client, payload models and service facts."""

from providers.hyperliquid.client import HyperliquidClient
from providers.hyperliquid.venue import VENUE, host_policy, not_served

__all__ = ["VENUE", "HyperliquidClient", "host_policy", "not_served"]
