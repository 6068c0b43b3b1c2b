"""LunarCrush API v4 (keyed): client, payload models and service facts."""

from providers.lunarcrush.client import LunarCrushClient
from providers.lunarcrush.venue import VENUE, host_policy, not_served

__all__ = ["VENUE", "LunarCrushClient", "host_policy", "not_served"]
