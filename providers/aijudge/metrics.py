"""Prometheus metrics of the AI judge, registered in the process's registry.

Kept beside the judge rather than in ``providers.metrics``: the lifespan builds one
``JudgeMetrics(metrics.registry)`` and hands it to the judge.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

_LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)


class JudgeMetrics:
    """Calls to the AI judge by outcome (``ok`` or the failure reason) and their latency."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.calls = Counter(
            "perpgraph_ai_judge_calls",
            "AI judge calls by outcome: ok, or the reason the rule judge answered instead.",
            ["outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "perpgraph_ai_judge_latency_seconds",
            "Wall time of AI judge calls that reached the server (answered or failed).",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )

    def record(self, outcome: str, latency_s: float | None) -> None:
        self.calls.labels(outcome).inc()
        if latency_s is not None:
            self.latency.observe(latency_s)


__all__ = ["JudgeMetrics"]
