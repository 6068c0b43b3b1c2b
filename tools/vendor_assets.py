"""Vendor the browser assets the API's pages load (Swagger UI at ``/docs``, ReDoc at
``/redoc``) into ``graph/server/static/``, and write its ``manifest.json``.

Run by hand, from the repository root, when a version below changes or a file of our own in
``graph/server/static/perpgraph/`` is edited::

    .venv/bin/python tools/vendor_assets.py            # fetch what is missing, rewrite the manifest
    .venv/bin/python tools/vendor_assets.py --refresh  # fetch every package again
    .venv/bin/python tools/vendor_assets.py --check    # no network, no writes: exit 1 when stale

For each package of ``PACKAGES`` it runs ``npm pack NAME@VERSION`` (npm checks the tarball
against the registry's integrity; this script checks it again against what ``npm pack``
reports), extracts only the files listed (never a ``.map``), the package's licence files
among them, into ``graph/server/static/NAME@VERSION/`` with the package's own paths (so a
page's ``https://unpkg.com/NAME@VERSION/PATH`` becomes ``static/NAME@VERSION/PATH``), and
removes the directories of versions no longer listed. Files of our own (``perpgraph/``) are
hashed as they are. ``graph.server.assets`` serves exactly the files the manifest lists.

The manifest (``graph/server/static/manifest.json``)::

    {
      "generator": "tools/vendor_assets.py",
      "packages": {
        "redoc": {
          "version": "2.5.4",
          "license": "MIT",                       # SPDX, from the package's package.json
          "licenseFiles": ["LICENSE", ...],       # paths in "files"
          "tarball": "sha512-...",                # npm's integrity of the packed tarball
          "files": {"bundles/redoc.standalone.js": {"integrity": "sha384-...", "bytes": 1103471}}
        }
      },
      "own": {"perpgraph/docs-init.js": {"integrity": "sha384-...", "bytes": 812}}
    }

A package file is served at ``/static/NAME@VERSION/PATH``, a file of our own at
``/static/PATH``; ``integrity`` is the Subresource Integrity value the pages give.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "graph" / "server" / "static"
MANIFEST = STATIC / "manifest.json"
OWN = "perpgraph"  # our own files, under STATIC / OWN


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    files: tuple[str, ...]  # paths inside the package, licence files included
    license_files: tuple[str, ...]

    @property
    def directory(self) -> str:
        return f"{self.name}@{self.version}"


PACKAGES = (
    # Swagger UI (Apache-2.0: its NOTICE goes with it). The bundle without the standalone
    # preset: the page uses the base layout, with no top bar to type another URL into.
    Package(
        "swagger-ui-dist",
        "5.36.0",
        files=(
            "swagger-ui-bundle.js",
            "swagger-ui.css",
            "favicon-32x32.png",
            "favicon-16x16.png",
            "LICENSE",
            "NOTICE",
            "swagger-ui-bundle.js.LICENSE.txt",  # the bundled libraries' notices
        ),
        license_files=("LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt"),
    ),
    # ReDoc 2.5 (MIT). 3.x also ships a standalone bundle, but twice the size, as an ES
    # module with another start-up API, and with telemetry on by default.
    Package(
        "redoc",
        "2.5.4",
        files=(
            "bundles/redoc.standalone.js",
            "LICENSE",
            "bundles/redoc.standalone.js.LICENSE.txt",  # the bundled libraries' notices
        ),
        license_files=("LICENSE", "bundles/redoc.standalone.js.LICENSE.txt"),
    ),
    # GraphiQL as Strawberry's page names it (strawberry/static/graphiql.html: these
    # versions and files, and its integrity hashes, which the served files must match)
    Package(
        "react",
        "18.2.0",
        files=("umd/react.production.min.js", "LICENSE"),
        license_files=("LICENSE",),
    ),
    Package(
        "react-dom",
        "18.2.0",
        files=("umd/react-dom.production.min.js", "LICENSE"),
        license_files=("LICENSE",),
    ),
    Package(
        "js-cookie",
        "3.0.5",
        files=("dist/js.cookie.min.js", "LICENSE"),
        license_files=("LICENSE",),
    ),
    Package(
        "graphiql",
        "3.8.3",
        files=("graphiql.min.css", "graphiql.min.js", "LICENSE"),
        license_files=("LICENSE",),
    ),
    Package(
        "@graphiql/plugin-explorer",
        "1.0.2",
        # its tarball has no licence file: package.json states it (MIT), and goes with it
        files=("dist/style.css", "dist/index.umd.js", "package.json"),
        license_files=("package.json",),
    ),
)


def integrity(data: bytes) -> str:
    """The Subresource Integrity value of ``data``: ``sha384-`` and the base64 digest."""
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def _entry(data: bytes) -> dict[str, Any]:
    return {"integrity": integrity(data), "bytes": len(data)}


def npm_pack(package: Package, into: Path) -> tuple[bytes, str]:
    """The tarball of ``package`` and npm's integrity of it (``sha512-...``)."""
    spec = f"{package.name}@{package.version}"
    done = subprocess.run(
        ["npm", "pack", spec, "--json", "--ignore-scripts", "--pack-destination", str(into)],
        cwd=into,
        check=True,
        capture_output=True,
        text=True,
    )
    (packed,) = json.loads(done.stdout)
    tarball = (into / packed["filename"]).read_bytes()
    algorithm, _, digest = packed["integrity"].partition("-")
    if algorithm != "sha512" or base64.b64decode(digest) != hashlib.sha512(tarball).digest():
        raise SystemExit(f"{spec}: the tarball does not match npm's integrity")
    return tarball, str(packed["integrity"])


def extract(package: Package, tarball: bytes) -> tuple[dict[str, bytes], str]:
    """The listed files of ``package`` (by their paths in it) and its SPDX licence."""
    wanted = {f"package/{path}": path for path in package.files}
    found: dict[str, bytes] = {}
    license_id = ""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for member in archive:
            if not member.isfile():
                continue
            if member.name == "package/package.json":
                meta = json.loads(archive.extractfile(member).read())  # type: ignore[union-attr]
                if (meta["name"], meta["version"]) != (package.name, package.version):
                    raise SystemExit(f"{package.directory}: the tarball is {meta['name']}")
                license_id = str(meta.get("license", ""))
            if member.name in wanted:
                found[wanted[member.name]] = archive.extractfile(member).read()  # type: ignore[union-attr]
    missing = sorted(set(package.files) - set(found))
    if missing:
        raise SystemExit(f"{package.directory} has no {', '.join(missing)}")
    return found, license_id


def _on_disk(package: Package) -> dict[str, bytes] | None:
    directory = STATIC / package.directory
    if not all((directory / path).is_file() for path in package.files):
        return None
    return {path: (directory / path).read_bytes() for path in package.files}


def _write(package: Package, files: dict[str, bytes]) -> None:
    """``package``'s directory holding exactly ``files``; other versions' removed."""
    for stale in STATIC.glob(f"{package.name}@*"):
        if stale.is_dir():
            shutil.rmtree(stale)
    for path, data in files.items():
        target = STATIC / package.directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _own_files() -> dict[str, dict[str, Any]]:
    own = STATIC / OWN
    return {
        path.relative_to(STATIC).as_posix(): _entry(path.read_bytes())
        for path in sorted(own.rglob("*"))
        if path.is_file()
    }


def build(previous: dict[str, Any], *, refresh: bool) -> dict[str, Any]:
    """The manifest, fetching each package that is missing (every one with ``refresh``)."""
    packages: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="vendor-assets-") as scratch:
        for package in PACKAGES:
            known = previous.get("packages", {}).get(package.name, {})
            files = None if refresh else _on_disk(package)
            if files is None or known.get("version") != package.version:
                print(f"npm pack {package.name}@{package.version}", file=sys.stderr)
                tarball, tarball_integrity = npm_pack(package, Path(scratch))
                files, license_id = extract(package, tarball)
                _write(package, files)
            else:
                tarball_integrity, license_id = known["tarball"], known["license"]
            packages[package.name] = {
                "version": package.version,
                "license": license_id,
                "licenseFiles": list(package.license_files),
                "tarball": tarball_integrity,
                "files": {path: _entry(files[path]) for path in package.files},
            }
    return {"generator": "tools/vendor_assets.py", "packages": packages, "own": _own_files()}


def _stale(manifest: dict[str, Any]) -> list[str]:
    """What on disk disagrees with ``manifest`` (or with ``PACKAGES``)."""
    problems = []
    listed = manifest.get("packages", {})
    for package in PACKAGES:
        entry = listed.get(package.name)
        if entry is None or entry["version"] != package.version:
            problems.append(f"{package.directory} is not in the manifest")
            continue
        for path, meta in entry["files"].items():
            file = STATIC / package.directory / path
            if not file.is_file() or integrity(file.read_bytes()) != meta["integrity"]:
                problems.append(f"{package.directory}/{path} differs from the manifest")
    if manifest.get("own") != _own_files():
        problems.append(f"the files in {OWN}/ differ from the manifest")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refresh", action="store_true", help="fetch every package again")
    parser.add_argument("--check", action="store_true", help="only say whether it is stale")
    args = parser.parse_args(argv)
    previous = json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else {}
    if args.check:
        problems = _stale(previous)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    manifest = build(previous, refresh=args.refresh)
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")
    total = sum(m["bytes"] for p in manifest["packages"].values() for m in p["files"].values())
    print(f"wrote {MANIFEST.relative_to(ROOT)}: {total:,} bytes vendored", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
