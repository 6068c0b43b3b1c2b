"""OKX v5 public REST for perpetual swaps and the liquidation stream: client, payload models,
venue facts."""

from providers.okx.client import OkxClient
from providers.okx.venue import VENUE, host_policy, not_served, okx_inst_id
from providers.okx.ws import OkxLiquidationStream

__all__ = ["VENUE", "OkxClient", "OkxLiquidationStream", "host_policy", "not_served", "okx_inst_id"]
