# Report stage: provenance, the report context, and the rendered report (HTML + PDF).
# The report reads only files under results/; nothing is fitted while rendering.


def provenance_inputs():
    files = [
        *frame_files(),
        config["files"]["crosswalk"],
        config["files"]["targets"],
        config["files"]["codebook"],
        config["files"]["indicators"],
        config["files"]["models"],
        "config/config.yaml",
    ]
    if SYNTHETIC:
        files.append(config["files"]["synthetic"])
    else:
        files.append(microdata_input())
    return files


rule provenance:
    input:
        provenance_inputs(),
    output:
        "results/provenance.json",
    params:
        renderer=renderer(),
        config=config,
    log:
        "logs/report/provenance.log",
    script:
        "../../scripts/write_provenance.py"


rule report_context:
    input:
        targets=config["files"]["targets"],
        codebook=config["files"]["codebook"],
        indicators=config["files"]["indicators"],
        models=config["files"]["models"],
        synthetic=config["files"]["synthetic"],
    output:
        "results/report/context.json",
    params:
        config=config,
    log:
        "logs/report/context.log",
    script:
        "../../scripts/write_context.py"


rule report:
    input:
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
    output:
        html="results/report/report.html",
        pdf="results/report/report.pdf",
    params:
        results="results",
        lang=config["lang"],
        renderer=config["report"]["renderer"],
    log:
        "logs/report/report.log",
    benchmark:
        "benchmarks/report/report.tsv"
    resources:
        mem_mb=2000,
        runtime=15,
    script:
        "../../scripts/render_report.py"
