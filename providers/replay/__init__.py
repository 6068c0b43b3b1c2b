"""The replay exchange: Binance USD-M, OKX v5 public and alternative.me Fear & Greed paths
answered from recorded real responses (``data/``, see ``data/PROVENANCE.md`` and
``data/README.md``), with per-route latency and fault injection, and the liquidation WebSocket streams replayed
at a chosen speed with per-stream faults. Nothing is invented: values
are recorded or computed from recorded values (aggregated klines, 24 h stats)."""

from .app import ReplayApp, build_replay_app
from .faults import CallCounter, FaultMode, FaultRegistry, FaultRule
from .server import ReplayServer, run_replay
from .streams import StreamRegistry, StreamRule
from .wire import VIA

__all__ = [
    "VIA",
    "CallCounter",
    "FaultMode",
    "FaultRegistry",
    "FaultRule",
    "ReplayApp",
    "ReplayServer",
    "StreamRegistry",
    "StreamRule",
    "build_replay_app",
    "run_replay",
]
