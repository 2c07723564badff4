# Simulation stage (synthetic default only): the simulation study of docs/simulation.md.
# simulation_cuts solves the superpopulation generator's cut-points once; simulate_model
# fits one model on simulation.seeds_per_job seeds of every scenario (wildcards {model},
# {chunk}), so editing one model's formula re-runs only that model's jobs, and a SLURM run
# at S >= 1000 spreads the chunks over the cluster. Seed k of a scenario draws from
# SeedSequence(seed, spawn_key=(1, scenario, k)): the results do not depend on the
# chunking. simulation_validation draws whole panels for the predictive check of the
# validation figures (simulation.validation_seeds).

SIM = SETTINGS.simulation
SIM_CHUNKS = list(range(sim_chunks(SIM["seeds"], SIM["seeds_per_job"])))
SIM_VAL_CHUNKS = list(
    range(sim_chunks(SIM["validation_seeds"], SIM["validation_per_job"]))
)
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


rule simulation_cuts:
    input:
        **SIM_DATA,
        code=code("scripts/simulation_cuts.py"),
    output:
        "results/simulation/cuts.json",
    log:
        "logs/simulation/cuts.log",
    benchmark:
        "benchmarks/simulation/cuts.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        **SIM_SETTINGS,
        truth_scale=SIM["truth_scale"],
    script:
        "../../scripts/simulation_cuts.py"


rule simulate_model:
    input:
        **SIM_DATA,
        code=code("scripts/simulate_model.py"),
        cuts="results/simulation/cuts.json",
    output:
        "results/simulation/estimates/{model}/{chunk}.csv",
    log:
        "logs/simulation/{model}_{chunk}.log",
    benchmark:
        "benchmarks/simulation/{model}_{chunk}.tsv"
    wildcard_constraints:
        chunk=r"\d+",
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        **SIM_SETTINGS,
        spec=lambda wildcards: SETTINGS.model_spec(wildcards.model),
        seeds=SIM["seeds"],
        seeds_per_job=SIM["seeds_per_job"],
        scenarios=SIM["scenarios"],
        mnar_slope=SIM["mnar_slope"],
        confidence=CONFIDENCE,
    script:
        "../../scripts/simulate_model.py"


rule simulation_validation:
    input:
        **SIM_DATA,
        code=code("scripts/simulation_validation.py"),
        cuts="results/simulation/cuts.json",
        statbank=statbank_targets(),
    output:
        "results/simulation/validation/{chunk}.csv",
    log:
        "logs/simulation/validation_{chunk}.log",
    benchmark:
        "benchmarks/simulation/validation_{chunk}.tsv"
    wildcard_constraints:
        chunk=r"\d+",
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=30,
    params:
        **SIM_SETTINGS,
        seeds=SIM["validation_seeds"],
        seeds_per_job=SIM["validation_per_job"],
        # the scorecard's validation checks on each panel
        rules=SETTINGS.indicator_rules,
        calibration=SETTINGS.calibration_ids,
    script:
        "../../scripts/simulation_validation.py"


rule simulation_recovery:
    input:
        code=code("scripts/simulation_recovery.py"),
        estimates=expand(
            "results/simulation/estimates/{model}/{chunk}.csv",
            model=MODEL_IDS,
            chunk=SIM_CHUNKS,
        ),
        validation=expand(
            "results/simulation/validation/{chunk}.csv", chunk=SIM_VAL_CHUNKS
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
        validation_seeds=SIM["validation_seeds"],
        confidence=CONFIDENCE,
    script:
        "../../scripts/simulation_recovery.py"
