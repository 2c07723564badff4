"""``python -m digikom.release [--version V]``: freeze the current build's public tables
into releases/<version>/ (``make release`` builds first, then runs this)."""

from __future__ import annotations

import argparse
import sys

from ..errors import DigikomError
from .freeze import freeze


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m digikom.release", description=__doc__)
    ap.add_argument("--version", help="release version (default: config release.version, "
                    "else <date>-<git describe>)")  # fmt: skip
    ap.add_argument("--results", default="results")
    ap.add_argument("--releases", default="releases")
    ap.add_argument("--config", default="config/config.yaml")
    args = ap.parse_args(argv)
    try:
        version = args.version
        if version is None:
            from ..io import read_yaml

            version = ((read_yaml(args.config) or {}).get("release") or {}).get("version")
        dest = freeze(args.results, args.releases, version)
    except DigikomError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print(f"Release: {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
