"""Benchmarks (``make bench``)."""


def unlimited() -> dict[str, str]:
    """Settings that lift the per-caller limits: one load generator is one address, and
    its rate limit (120 requests a minute when anonymous) would answer it 429 within the
    second, or refuse the 121st of a thousand subscribers."""
    env = {}
    for who in ("ANONYMOUS", "READ", "WRITE", "ADMIN"):
        env[f"PERPGRAPH_RATE_LIMIT_{who}"] = "1000000000/minute"
        env[f"PERPGRAPH_COST_BUDGET_{who}"] = "1000000000/minute"
    return env
