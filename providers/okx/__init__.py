"""OKX v5 public REST for perpetual swaps: client, payload models and venue facts."""

from providers.okx.client import OkxClient
from providers.okx.venue import VENUE, host_policy, not_served, okx_inst_id

__all__ = ["VENUE", "OkxClient", "host_policy", "not_served", "okx_inst_id"]
