"""``releases/<version>/``: the public tables of one build, frozen, with manifest.json.

The manifest records the version, when it was made, the sha256 of each file, the build's
fingerprint (:mod:`.fingerprint`: each wave's data hash, the configuration hashes, the
published precision), the code version (``git describe`` and the sha256 of the scripts)
and the configuration of the build (from results/provenance.json)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import DigikomError
from ..io import sha256_file
from . import TABLES
from .fingerprint import code_hash, git_describe

MANIFEST = "manifest.json"


class ReleaseError(DigikomError):
    """A release cannot be made or read."""


def default_version(root: str | Path = ".", today: dt.date | None = None) -> str:
    """``<YYYY-MM-DD>-<git describe>``, e.g. 2026-12-08-1931785."""
    today = today or dt.datetime.now(dt.UTC).date()
    return f"{today.isoformat()}-{git_describe(root)}"


def releases(directory: str | Path) -> list[dict]:
    """The manifest of every release under ``directory``, oldest first (by creation time),
    each with ``path`` (its folder)."""
    out = []
    for m in sorted(Path(directory).glob(f"*/{MANIFEST}")):
        try:
            manifest = json.loads(m.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ReleaseError(f"{m}: not a readable release manifest ({exc})") from exc
        for field in ("version", "created_utc", "fingerprint", "files"):
            if field not in manifest:
                raise ReleaseError(f"{m}: the release manifest has no field '{field}'")
        out.append({**manifest, "path": str(m.parent)})
    return sorted(out, key=lambda r: (r["created_utc"], r["version"]))


def latest(directory: str | Path, version: str | None = None) -> dict | None:
    """The release to compare with: ``version`` if given, else the newest; None if none."""
    found = releases(directory)
    if version is not None:
        match = [r for r in found if r["version"] == version]
        if not match:
            raise ReleaseError(
                f"config release.compare_with: no release '{version}' under {directory}"
            )
        return match[0]
    return found[-1] if found else None


def freeze(
    results: str | Path = "results",
    directory: str | Path = "releases",
    version: str | None = None,
    root: str | Path = ".",
) -> Path:
    """Copy results/public/tables/*.csv into ``directory``/<version>/tables/ and write the
    manifest. Refuses an existing version, and a build whose tables are not the ones its
    comparison (rule revisions, results/release/fingerprint.json) saw."""
    results, directory = Path(results), Path(directory)
    fp_path = results / "release" / "fingerprint.json"
    if not fp_path.exists():
        raise ReleaseError(f"{fp_path}: missing; build first (make report), then release")
    fp = json.loads(fp_path.read_text(encoding="utf-8"))
    version = version or default_version(root)
    if "/" in version or version.startswith(".") or not version.strip():
        raise ReleaseError(f"release version {version!r}: not a folder name")
    dest = directory / version
    if dest.exists():
        raise ReleaseError(f"{dest}: release '{version}' exists; choose another version")
    files = {}
    for name in TABLES:
        src = results / "public" / "tables" / f"{name}.csv"
        if not src.exists():
            raise ReleaseError(f"{src}: missing; build first (make report)")
        digest = sha256_file(src)
        if fp["tables"].get(name) != digest:
            raise ReleaseError(
                f"{src}: changed since the build compared it with the last release; "
                "build again (make report), then release"
            )
        files[f"tables/{name}.csv"] = digest
    prov_path = results / "provenance.json"
    config = json.loads(prov_path.read_text("utf-8")).get("config") if prov_path.exists() else None
    manifest = {
        "version": version,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "code": {"version": git_describe(root), "sha256": code_hash(root)},
        "fingerprint": {**fp, "code": {"version": git_describe(root), "sha256": code_hash(root)}},
        "files": files,
        "config": config,
    }
    directory.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=directory))
    try:
        (tmp / "tables").mkdir()
        for rel in files:
            shutil.copy2(results / "public" / rel, tmp / rel)
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def read_release(release: dict) -> dict:
    """{table name: public table} of a release (:func:`latest`), each file checked
    against the manifest's sha256."""
    from .compare import read_table

    out = {}
    for rel, digest in release["files"].items():
        path = Path(release["path"]) / rel
        if not path.exists() or sha256_file(path) != digest:
            raise ReleaseError(
                f"{path}: missing or not the file release {release['version']} recorded"
            )
        out[Path(rel).stem] = read_table(path)
    return out
