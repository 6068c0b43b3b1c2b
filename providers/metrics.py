"""Prometheus metrics of one process, in one registry built by the composition root.

Upstream calls are counted here by the HTTP layer; the cache and the GraphQL view record
into the same object so ``/metrics`` shows everything side by side.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """All counters and histograms of the process, registered in a private registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.upstream_calls = Counter(
            "perpgraph_upstream_calls",
            "HTTP calls sent to upstream providers, by outcome.",
            ["provider", "endpoint", "outcome"],
            registry=self.registry,
        )
        self.upstream_latency = Histogram(
            "perpgraph_upstream_latency_seconds",
            "Latency of upstream HTTP calls (one attempt each).",
            ["provider", "endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.upstream_skipped = Counter(
            "perpgraph_upstream_skipped",
            "Calls not sent because a gate was closed (retry-after, breaker, weight).",
            ["provider", "endpoint", "reason"],
            registry=self.registry,
        )
        self.cache_requests = Counter(
            "perpgraph_cache_requests",
            "Shared-cache lookups by dataset and result (hit, miss, stale).",
            ["dataset", "result"],
            registry=self.registry,
        )
        self.http_requests = Counter(
            "perpgraph_http_requests",
            "API requests served, by route and status class.",
            ["route", "status"],
            registry=self.registry,
        )
        self.http_refused = Counter(
            "perpgraph_http_refused",
            "API requests refused before they ran, by reason (overloaded, ...).",
            ["reason"],
            registry=self.registry,
        )
        self.http_latency = Histogram(
            "perpgraph_http_request_seconds",
            "API request latency.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.response_cache = Counter(
            "perpgraph_response_cache",
            "Whole-response cache lookups for GraphQL queries (hit, miss, bypass).",
            ["result"],
            registry=self.registry,
        )

        self.ingest_events = Counter(
            "perpgraph_ingest_events",
            "Liquidation events received from an upstream stream, by provider and result "
            "(published, malformed, unknown_instrument).",
            ["provider", "result"],
            registry=self.registry,
        )
        self.ingest_connections = Counter(
            "perpgraph_ingest_connections",
            "Upstream stream connections opened, by provider and reason (first, reconnect, "
            "rotate).",
            ["provider", "reason"],
            registry=self.registry,
        )
        self.ingest_gaps = Counter(
            "perpgraph_ingest_gaps",
            "Times an upstream stream was down (each reconnect after a drop is one gap).",
            ["provider"],
            registry=self.registry,
        )
        self.hub_dropped = Counter(
            "perpgraph_hub_dropped",
            "Events dropped from a full subscriber queue (oldest first).",
            ["topic"],
            registry=self.registry,
        )
        self.hub_subscribers = Gauge(
            "perpgraph_hub_subscribers",
            "Subscribers currently registered with the hub.",
            ["topic"],
            registry=self.registry,
        )
        self.in_flight_limit = Gauge(
            "perpgraph_in_flight_limit",
            "HTTP operations admitted at once now (adapts to the event loop's lateness).",
            registry=self.registry,
        )
        self.loop_lag = Gauge(
            "perpgraph_event_loop_lag_seconds",
            "Lateness of a 5 ms timer, 90th percentile of the ticks of the last 0.1 s step.",
            registry=self.registry,
        )
        self.ws_subscriptions = Gauge(
            "perpgraph_ws_subscriptions",
            "GraphQL subscriptions open over WebSocket or as event streams (all connections).",
            registry=self.registry,
        )
        self.ws_groups = Gauge(
            "perpgraph_ws_subscription_groups",
            "Groups of identical subscriptions, each executed once per event.",
            registry=self.registry,
        )
        self.hub_delivered = Counter(
            "perpgraph_hub_delivered",
            "Events put on subscriber queues.",
            ["topic"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        """Prometheus text exposition of every metric."""
        return generate_latest(self.registry)


__all__ = ["Metrics"]
