"""The JavaScript clients of ``tests/clients/`` (installed by ``make test`` with ``npm ci``),
run against a loopback server: each prints one JSON line, returned parsed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

CLIENTS = Path(__file__).resolve().parent / "clients"
CHROMIUM = "/usr/bin/chromium"


def node(script: str, *args: str, timeout_s: float = 60) -> Any:
    """``node tests/clients/<script> args...``; its one line of JSON. A missing install is
    a failure, never a skip: ``make test`` installs the clients first."""
    assert shutil.which("node"), "Node.js is needed: every machine here has it"
    assert (CLIENTS / "node_modules").is_dir(), "run `make test` (it runs npm ci in tests/clients)"
    done = subprocess.run(
        ["node", str(CLIENTS / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
