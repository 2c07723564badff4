# Maps stage: the 2024 frame (size group, reforms) by municipality, the survey themes by
# county, and by municipality only with real microdata and municipality_level: true.
# What is mapped: config/indicators.yaml `maps:`; code: scripts/digikom/maps/ (boundaries,
# tables, draw; spec: what is drawn, read here at parse time). Every setting is a param.
rule map_boundaries:
    input:
        **MAP_GEO,
        code=code("scripts/map_boundaries.py"),
        frame=SETTINGS.frame_file(GEO_YEAR),
    output:
        municipalities=MAP_BOUNDARIES["geo_municipalities"],
        counties=MAP_BOUNDARIES["geo_counties"],
    log:
        "logs/maps/map_boundaries.log",
    benchmark:
        "benchmarks/maps/map_boundaries.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../../scripts/map_boundaries.py"


rule map_tables:
    input:
        **MAP_BOUNDARIES,
        code=code("scripts/map_tables.py"),
        panel="results/data/panel.csv",
        frame=SETTINGS.frame_file(GEO_YEAR),
        changes="data/reference/municipality_changes.csv",
        crosswalk=SETTINGS.files["crosswalk"],
    output:
        **MAP_UNIT_OUTPUT,
        frame="results/maps/frame_2024.csv",
        counties="results/maps/counties.csv",
        lookup="results/maps/lookup.csv",
        meta="results/maps/maps.json",
    log:
        "logs/maps/map_tables.log",
    conda:
        CONDA_ENV
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        # ids, not labels: a label edit re-draws the maps, it re-runs no table
        maps=SETTINGS.without_labels(MAPS),
        size_groups=size_group_bounds(),
        min_cell=SETTINGS.min_cell,
        unit_level=MAP_UNIT_LEVEL,
        synthetic=SYNTHETIC,
        municipality_level=SETTINGS.municipality_level,
        figures=MAP_FIGURES,
    script:
        "../../scripts/map_tables.py"


rule map_figures:
    input:
        **MAP_BOUNDARIES,
        **MAP_UNIT_OUTPUT,
        code=code("scripts/map_figures.py"),
        frame="results/maps/frame_2024.csv",
        counties=PUBLIC_TABLES["counties"],
        strings="reports/strings/maps.yaml",
    output:
        **MAP_FIGURE_FILES,
    log:
        "logs/maps/map_figures.log",
    benchmark:
        "benchmarks/maps/map_figures.tsv"
    conda:
        CONDA_ENV
    resources:
        mem_mb=1500,
        runtime=15,
    params:
        maps=MAPS,
        inset=MAP_SETTINGS["inset"],
        size_groups=SETTINGS.size_groups,  # the legend's group labels
        min_cell=SETTINGS.min_cell,  # named in the legend
        lang=SETTINGS.lang,
        synthetic=SYNTHETIC,
    script:
        "../../scripts/map_figures.py"
