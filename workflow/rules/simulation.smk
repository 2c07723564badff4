# Simulation stage (synthetic default only): the parameter-recovery study. Every model of
# config/models.yaml is fitted on simulation.seeds synthetic panels, simulation.seeds_per_job
# panels per job (wildcard {chunk}), so the study scales out through the executor (e.g.
# SLURM, one job per chunk). Replicate k uses seed SeedSequence(seed, spawn_key=(1, k)):
# a chunk's rows per seed are the same whatever the chunk size. True values come from the
# generator where a model has its form, else from one fit per model on a panel
# simulation.truth_scale times as large (docs/methods.md), all models in one job: the
# panel is built once in memory, and each fit (about 0.3 s at 25x) costs less than a job's
# start and imports (about 1.3 s).

SIM = SETTINGS.simulation
SIM_CHUNKS = list(range(sim_chunks(SIM["seeds"], SIM["seeds_per_job"])))
SIM_SPECS = [SETTINGS.model_spec(i) for i in MODEL_IDS]
# what a synthetic panel is made of (the generator's and the panel's inputs)
SIM_DATA = dict(
    frames=frame_files(),
    crosswalk=SETTINGS.files["crosswalk"],
    targets=SETTINGS.files["targets"],
)
# ... and its settings (params: editing them re-runs exactly these rules)
SIM_SETTINGS = dict(
    seed=SETTINGS.seed,
    waves=SETTINGS.waves,
    size_groups=SETTINGS.size_group_bounds,
    synthetic=SETTINGS.synthetic,
    codebook=SETTINGS.codebook,
)


rule simulate_chunk:
    input:
        **SIM_DATA,
        code=code("scripts/simulate_chunk.py"),
        statbank=statbank_targets(),
    output:
        estimates="results/simulation/chunks/{chunk}.csv",
        validation="results/simulation/chunks/{chunk}_validation.csv",
    log:
        "logs/simulation/chunk_{chunk}.log",
    benchmark:
        "benchmarks/simulation/chunk_{chunk}.tsv"
    wildcard_constraints:
        chunk=r"\d+",
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        **SIM_SETTINGS,
        seeds=SIM["seeds"],
        seeds_per_job=SIM["seeds_per_job"],
        specs=SIM_SPECS,
        confidence=CONFIDENCE,
        # the scorecard's validation checks on each panel
        rules=SETTINGS.indicator_rules,
        calibration=SETTINGS.calibration_ids,
    script:
        "../../scripts/simulate_chunk.py"


rule simulation_truth:
    input:
        **SIM_DATA,
        code=code("scripts/simulation_truth.py"),
    output:
        expand("results/simulation/truth/{model}.csv", model=MODEL_IDS),
    log:
        "logs/simulation/truth.log",
    benchmark:
        "benchmarks/simulation/truth.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        **SIM_SETTINGS,
        truth_scale=SIM["truth_scale"],
        specs=SIM_SPECS,
        confidence=CONFIDENCE,
    script:
        "../../scripts/simulation_truth.py"


rule simulation_recovery:
    input:
        code=code("scripts/simulation_recovery.py"),
        truth=expand("results/simulation/truth/{model}.csv", model=MODEL_IDS),
        estimates=expand("results/simulation/chunks/{chunk}.csv", chunk=SIM_CHUNKS),
        validation=expand(
            "results/simulation/chunks/{chunk}_validation.csv", chunk=SIM_CHUNKS
        ),
    output:
        recovery="results/simulation/recovery.csv",
        validation="results/simulation/validation.csv",
    log:
        "logs/simulation/recovery.log",
    benchmark:
        "benchmarks/simulation/recovery.tsv"
    # the fan-in of the chunks: on the login node, not a SLURM job of its own
    localrule: True
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        seeds=SIM["seeds"],
        confidence=CONFIDENCE,
    script:
        "../../scripts/simulation_recovery.py"
