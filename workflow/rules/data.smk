# Data stage: the synthetic default microdata (when config microdata is null) and the
# validated municipality panel that every later stage reads.


rule synthesize_microdata:
    input:
        frames=frame_files(),
        targets=config["files"]["targets"],
        params=config["files"]["synthetic"],
        codebook=config["files"]["codebook"],
    output:
        "results/data/microdata_synthetic.csv",
    params:
        seed=config["seed"],
        waves=WAVES,
    log:
        "logs/data/synthesize_microdata.log",
    benchmark:
        "benchmarks/data/synthesize_microdata.tsv"
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../../scripts/synthesize_microdata.py"


rule build_panel:
    input:
        microdata=microdata_input(),
        frames=frame_files(),
        crosswalk=config["files"]["crosswalk"],
        codebook=config["files"]["codebook"],
    output:
        "results/data/panel.csv",
    params:
        waves=WAVES,
        size_groups=config["size_groups"],
    log:
        "logs/data/build_panel.log",
    benchmark:
        "benchmarks/data/build_panel.tsv"
    resources:
        mem_mb=2000,
        runtime=15,
    script:
        "../../scripts/build_panel.py"
