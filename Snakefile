# digikom: "Digitalisering i kommunene" as a reproducible Snakemake workflow.
# Stages, one rule file each: data -> statbank (optional) -> indicators -> models
# -> figures -> maps -> report (+ optional bootstrap CIs of the model predictions; in the
# synthetic default, the parameter-recovery simulation). `snakemake --cores all` builds
# the default target (rule all).
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/statbank.smk"
include: "workflow/rules/indicators.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/maps.smk"
include: "workflow/rules/public.smk"
include: "workflow/rules/release.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/bootstrap.smk"
include: "workflow/rules/simulation.smk"


rule all:
    default_target: True
    input:
        final_targets(),


onsuccess:
    report_line()
    end_run()


onerror:
    print_warnings()
    end_run()
