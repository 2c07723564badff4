# Report stage: provenance, the report context, and the rendered report (HTML + PDF).
# The report reads only files under results/; nothing is fitted while rendering.
# provenance.json and context.json are written last, once every other input of the
# report exists (report_ready), so a failed run never rewrites them.


rule provenance:
    input:
        code=code("scripts/write_provenance.py"),
        files=provenance_inputs(),
        ready=report_ready,
    output:
        "results/provenance.json",
    log:
        "logs/report/provenance.log",
    conda:
        CONDA_ENV
    params:
        renderer=renderer(),
        config=config,
    script:
        "../../scripts/write_provenance.py"


rule report_context:
    input:
        code=code("scripts/write_context.py"),
        ready=report_ready,
        targets=config["files"]["targets"],
        codebook=config["files"]["codebook"],
        indicators=config["files"]["indicators"],
        models=config["files"]["models"],
        synthetic=config["files"]["synthetic"],
    output:
        "results/report/context.json",
    log:
        "logs/report/context.log",
    conda:
        CONDA_ENV
    params:
        config=config,
    script:
        "../../scripts/write_context.py"


rule report:
    input:
        code=code("scripts/render_report.py", "reports/report.qmd"),
        qmd="reports/report.qmd",
        css="reports/report.css",
        typst_header="reports/typst-header.typ",
        provenance="results/provenance.json",
        context="results/report/context.json",
        indicators=rules.indicators.output,
        scorecard="results/replication/scorecard.csv",
        figures=rules.indicator_figures.output,
        replication_figure=rules.replication_figure.output,
        models=model_targets(),
        statbank=statbank_report_targets(),
        bootstrap=bootstrap_targets(),
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
        lang=config["lang"],
        renderer=renderer(),
    script:
        "../../scripts/render_report.py"
