# Bootstrap stage (optional): cluster-bootstrap percentile CIs of the model predictions.
# Off by default (bootstrap.replicates: 0). B replicates are split into bootstrap.chunks
# jobs per model, so heavy inference scales out through the executor (e.g. SLURM:
# docs/scaling.md). Chunk c draws from numpy SeedSequence(seed, spawn_key=(c,)).

BOOT = SETTINGS.bootstrap
BOOT_CHUNKS = list(range(int(BOOT["chunks"])))


rule bootstrap_chunk:
    input:
        code=code("scripts/bootstrap_chunk.py"),
        panel="results/data/panel.csv",
    output:
        "results/models/bootstrap/{model}_chunk{chunk}.csv",
    log:
        "logs/models/bootstrap_{model}_chunk{chunk}.log",
    benchmark:
        "benchmarks/models/bootstrap_{model}_chunk{chunk}.tsv"
    wildcard_constraints:
        chunk=r"\d+",
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        spec=lambda wildcards: SETTINGS.model_spec(wildcards.model),
        seed=SETTINGS.seed,
        replicates=BOOT["replicates"],
        chunks=BOOT["chunks"],
    script:
        "../../scripts/bootstrap_chunk.py"


rule bootstrap_combine:
    input:
        code=code("scripts/bootstrap_combine.py"),
        point="results/models/predictions.csv",
        chunks=expand(
            "results/models/bootstrap/{model}_chunk{chunk}.csv",
            model=MODEL_IDS,
            chunk=BOOT_CHUNKS,
        ),
    output:
        "results/models/bootstrap_predictions.csv",
    log:
        "logs/models/bootstrap_combine.log",
    # a second's pandas on the login node instead of a SLURM job and its status checks
    localrule: True
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        confidence=CONFIDENCE,
    script:
        "../../scripts/bootstrap_combine.py"
