# Data stage: the synthetic default microdata (when config microdata is null) and the
# validated municipality panel that every later stage reads.


rule synthesize_microdata:
    input:
        code=code("scripts/synthesize_microdata.py"),
        frames=frame_files(),
        crosswalk=config["files"]["crosswalk"],
        targets=config["files"]["targets"],
        params=config["files"]["synthetic"],
        codebook=config["files"]["codebook"],
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
        seed=config["seed"],
        waves=WAVES,
    script:
        "../../scripts/synthesize_microdata.py"


rule build_panel:
    input:
        code=code("scripts/build_panel.py"),
        microdata=microdata_input(),
        frames=frame_files(),
        crosswalk=config["files"]["crosswalk"],
        codebook=config["files"]["codebook"],
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
        waves=WAVES,
        size_groups=size_group_bounds(),
    script:
        "../../scripts/build_panel.py"
