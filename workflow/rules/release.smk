# Release stage: every build compares its public tables with the latest release under
# releases/ (made by `make release`, digikom.release) and lists each published number
# that changed, appeared or disappeared, with the reason (results/public/revisions.csv);
# the release rules of config `release.checks` are evaluated on the same tables
# (results/release/checks.csv) and can fail the build.
rule revisions:
    input:
        **PUBLIC_TABLES,
        code=code("scripts/revisions.py"),
        panel="results/data/panel.csv",
        predictions="results/public/tables/predictions.csv",
        coefficients="results/public/tables/coefficients.csv",
        manifest=release_manifest()[:1],
        release=release_manifest()[1:],
    output:
        revisions=REVISIONS,
        checks="results/release/checks.csv",
        fingerprint="results/release/fingerprint.json",
        summary="results/release/summary.json",
    log:
        "logs/release/revisions.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        # the configuration hashes of the fingerprint (a config edit that moves numbers
        # re-runs the comparison); the data and code hashes are taken in the job
        fingerprint=settings_fingerprint(SETTINGS),
        # what the comparison and the rules use (not the next release's version)
        release={k: SETTINGS.release[k] for k in ("corrections", "checks")},
    script:
        "../../scripts/revisions.py"
