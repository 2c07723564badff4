# Data stage: the synthetic default microdata (when config microdata is null) and the
# validated municipality panel that every later stage reads.


rule synthesize_microdata:
    input:
        code=code("scripts/synthesize_microdata.py"),
        frames=frame_files(),
        crosswalk=SETTINGS.files["crosswalk"],
        targets=SETTINGS.files["targets"],
    output:
        "results/data/microdata_synthetic.csv",
    log:
        "logs/data/synthesize_microdata.log",
    benchmark:
        "benchmarks/data/synthesize_microdata.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        seed=SETTINGS.seed,
        waves=SETTINGS.waves,
        synthetic=SETTINGS.synthetic,
        codebook=SETTINGS.codebook,
    script:
        "../../scripts/synthesize_microdata.py"


rule build_panel:
    input:
        code=code("scripts/build_panel.py"),
        microdata=microdata_input(),
        frames=frame_files(),
        crosswalk=SETTINGS.files["crosswalk"],
    output:
        "results/data/panel.csv",
    log:
        "logs/data/build_panel.log",
    benchmark:
        "benchmarks/data/build_panel.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=2000,
        runtime=15,
    params:
        waves=SETTINGS.waves,
        size_groups=SETTINGS.size_group_bounds,
        codebook=SETTINGS.codebook,
    script:
        "../../scripts/build_panel.py"
