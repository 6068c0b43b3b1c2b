"""alternative.me Crypto Fear & Greed Index: client, payload models and service facts."""

from providers.feargreed.client import FearGreedClient
from providers.feargreed.venue import VENUE, host_policy

__all__ = ["VENUE", "FearGreedClient", "host_policy"]
