# Report stage: the rendered report (HTML + PDF) and its two records, provenance.json
# (git, time, config, packages, renderer, sha256 of every input) and context.json (what
# the report describes). The report reads only files under results/ and the
# configuration; nothing is fitted while rendering. The records are made in the same job
# and written only after the report, so a run that fails (earlier, or in the render)
# never leaves records that describe another report.


rule report:
    input:
        code=code("scripts/report.py", "reports/report.qmd"),
        qmd="reports/report.qmd",
        css="reports/report.css",
        typst_header="reports/typst-header.typ",
        title_filter="reports/title-block.lua",
        sources=provenance_inputs(),
        targets=SETTINGS.files["targets"],
        public=PUBLIC_TABLES.values(),
        revisions=rules.revisions.output,
        evidence=EVIDENCE_TABLES,
        scorecard="results/replication/scorecard.csv",
        figures=rules.indicator_figures.output,
        replication_figure=rules.replication_figure.output,
        simulation_validation=simulation_validation_targets(),
        models=model_targets(),
        maps=maps_targets(),
        statbank=statbank_report_targets(),
        bootstrap=bootstrap_targets(),
        simulation=simulation_targets(),
    output:
        **report_outputs(),
    log:
        "logs/report/report.log",
    benchmark:
        "benchmarks/report/report.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        lang=SETTINGS.lang,
        renderer=renderer(),
        # recorded in provenance.json
        config=config,
        # what the report says about the configuration (results/context.json)
        context=context_settings(SETTINGS),
    script:
        "../../scripts/report.py"
