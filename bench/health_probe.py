"""``python -m bench.health_probe URL``: GET ``URL/healthz`` every 10 ms until stdin closes,
then print the latencies (ms) as one JSON list.

A process of its own, not a thread beside the load generator: a thread would contend with
the generator for its interpreter's lock, and every wait for it would count as the server's
latency; a liveness probe is another client anyway.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import httpx


def main() -> int:
    url = sys.argv[1]
    done = threading.Event()

    def wait_for_stdin() -> None:
        sys.stdin.read()
        done.set()

    threading.Thread(target=wait_for_stdin, daemon=True).start()
    took: list[float] = []
    with httpx.Client() as client:
        while not done.is_set():
            started = time.perf_counter()
            client.get(url + "/healthz", timeout=10)
            took.append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)
    print(json.dumps(took))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
