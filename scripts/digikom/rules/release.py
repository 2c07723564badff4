"""Rule entry point of the release stage: revisions (digikom.release)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def revisions(job) -> None:
    """Compare the public tables with the latest release (results/public/revisions.csv),
    evaluate the release rules (results/release/checks.csv) and record this build's
    fingerprint (results/release/fingerprint.json) and what it was compared with
    (results/release/summary.json). A failed rule with ``action: fail`` ends the job
    before anything is written."""
    from ..io import sha256_file, write_csv, write_json
    from ..panel import read_panel
    from ..release import TABLES
    from ..release.checks import evaluate, raise_on_failure
    from ..release.compare import empty, read_table
    from ..release.compare import revisions as compare_release
    from ..release.fingerprint import code_hash, git_describe, package_root, wave_hashes
    from ..release.freeze import read_release

    p = job.params
    current = {name: read_table(job.input[name]) for name in TABLES}
    fp = {
        **p.fingerprint,
        "waves": wave_hashes(read_panel(job.input.panel)),
        "code": {"sha256": code_hash(package_root()), "version": git_describe(package_root())},
        "tables": {name: sha256_file(job.input[name]) for name in TABLES},
    }
    manifest = job.input.manifest  # [] without an earlier release
    manifest = [manifest] if isinstance(manifest, str) else list(manifest)
    summary = {"release": None, "created_utc": None}
    if manifest:
        release = json.loads(Path(manifest[0]).read_text(encoding="utf-8"))
        release["path"] = str(Path(manifest[0]).parent)
        previous = read_release(release)
        rev = compare_release(
            previous, current, release["fingerprint"], fp, p.release["corrections"]
        )
        summary = {"release": release["version"], "created_utc": release["created_utc"]}
        log.info(
            "compared with release %s: %d revisions (%s)",
            release["version"],
            len(rev),
            ", ".join(f"{k} {v}" for k, v in rev.reason.value_counts().items()) or "none",
        )
        unexplained = int(rev.reason.eq("unexplained").sum())
        if unexplained:
            log.warning(
                "%d published numbers moved since release %s without a recorded cause "
                "(reason 'unexplained' in %s)",
                unexplained,
                release["version"],
                job.output.revisions,
            )
    else:
        rev = empty()
        log.info("no earlier release under releases/: no revisions")
    checks = evaluate(current, rev, p.release["checks"], int(fp["decimals"]))
    for r in checks.itertuples():
        (log.warning if r.result == "warn" else log.info)(
            "release check %s (%s): %s, %d of %d%s",
            r.check,
            r.rule,
            r.result,
            r.violations,
            r.checked,
            f": {r.examples}" if r.examples else "",
        )
    raise_on_failure(checks)
    summary["counts"] = {str(k): int(v) for k, v in rev.reason.value_counts().items()}
    write_csv(rev, job.output.revisions)
    write_csv(checks, job.output.checks)
    write_json(job.output.fingerprint, fp)
    write_json(job.output.summary, summary)
