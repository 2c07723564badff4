"""Rule entry points: map_tables, map_boundaries, map_figures."""

from __future__ import annotations


def map_tables(job) -> None:
    from ..maps.tables import run_tables

    p = job.params
    run_tables(
        panel_path=job.input.panel,
        frame_path=job.input.frame,
        changes_path=job.input.changes,
        crosswalk_path=job.input.crosswalk,
        municipalities_geo=job.input.geo_municipalities,
        counties_geo=job.input.geo_counties,
        maps=p.maps,
        size_groups=[dict(g) for g in p.size_groups],
        min_cell=p.min_cell,
        unit=p.unit_level,
        synthetic=p.synthetic,
        municipality_level=p.municipality_level,
        figures=list(p.figures),
        out=dict(job.output.items()),
    )


def map_boundaries(job) -> None:
    from ..maps.boundaries import run_boundaries

    run_boundaries(
        municipalities_geo=job.input.geo_municipalities,
        counties_geo=job.input.geo_counties,
        frame_path=job.input.frame,
        out=dict(job.output.items()),
    )


def map_figures(job) -> None:
    """Each output name of rule map_figures is a figure stem, holding its PNG, SVG and
    alt text (multiext)."""
    from ..maps.draw import run_figures

    p = job.params
    run_figures(
        frame_path=job.input.frame,
        counties_path=job.input.counties,
        municipalities_path=job.input.get("municipalities"),
        municipalities_geo=job.input.geo_municipalities,
        counties_geo=job.input.geo_counties,
        maps=p.maps,
        inset=p.inset,
        size_groups=[dict(g) for g in p.size_groups],
        min_cell=p.min_cell,
        lang=p.lang,
        synthetic=p.synthetic,
        out={stem: tuple(files) for stem, files in job.output.items()},
    )
