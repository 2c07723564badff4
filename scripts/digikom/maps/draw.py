"""Rule map_figures: the choropleths of the frame and of the survey themes.

Polygons are Kartverket's 2024 boundaries as rule map_boundaries projected them. Each
polygon becomes a matplotlib path once per job (:func:`with_paths`), and every map draws
those paths. Every setting arrives as an argument (the rule's params).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputDataError
from ..protection.public import read_public
from .boundaries import read_boundaries
from .spec import FRAME_FIGURES, GEO_YEAR, figure_ids, figure_stem

log = logging.getLogger(__name__)

# Page-width maps at 150 dpi, stored with a 64-colour palette: the eight default maps then
# add well under 1 MB to the self-contained HTML instead of about 5 MB.
MAP_DPI = 150
PNG_COLOURS = 64
CATEGORIES = ("both", "y_only", "x_only", "neither")
# Colours: sequential classes from viridis (colour-blind safe); categories from Okabe-Ito.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
GREY_SUPPRESSED = "#bdbdbd"
GREY_EMPTY = "#e3e3e3"
EDGE = "#ffffff"
COUNTY_EDGE = "#4d4d4d"


# --------------------------------------------------------------------------- paths
BOUNDS = ["bx0", "by0", "bx1", "by1"]  # each polygon's bounding box (columns, with_paths)


def with_paths(gdf):
    """``gdf`` with a column ``path`` (each polygon as one matplotlib Path: exterior and
    holes of every part) and its bounding box (columns ``BOUNDS``), made once per job and
    drawn by every map (:func:`draw_map`)."""
    import shapely
    from matplotlib.path import Path as MplPath

    paths = []
    for geom in gdf.geometry:
        parts = shapely.get_parts(geom)
        rings = [r for p in parts for r in (p.exterior, *p.interiors)]
        paths.append(
            MplPath.make_compound_path(
                *(MplPath(shapely.get_coordinates(r), closed=True) for r in rings)
            )
        )
    bounds = shapely.bounds(gdf.geometry.to_numpy())
    return gdf.assign(path=paths, **dict(zip(BOUNDS, bounds.T, strict=True)))


def _within(gdf, box) -> np.ndarray:
    """Which polygons of ``gdf`` (with :func:`with_paths`' columns) meet the box
    (x0, y0, x1, y1): all when ``box`` is None."""
    if box is None:
        return np.ones(len(gdf), dtype=bool)
    x0, y0, x1, y1 = box
    return (
        (gdf["bx1"].to_numpy() >= x0)
        & (gdf["bx0"].to_numpy() <= x1)
        & (gdf["by1"].to_numpy() >= y0)
        & (gdf["by0"].to_numpy() <= y1)
    )


# --------------------------------------------------------------------------- drawing
def nice_classes(values: pd.Series, kind: str, max_classes: int = 6) -> list[float]:
    """Class breaks with round steps covering the values (shares: whole percent steps)."""
    v = values.dropna().astype(float)
    if v.empty:
        return [0.0, 1.0]
    steps = [0.05, 0.1, 0.2, 0.25, 0.5] if kind != "mean" else [0.25, 0.5, 1, 2, 5, 10, 20]
    for step in steps:
        lo = np.floor(v.min() / step + 1e-9) * step
        hi = np.ceil(v.max() / step - 1e-9) * step
        if hi <= lo:
            hi = lo + step
        if (hi - lo) / step <= max_classes:
            if kind != "mean":
                lo, hi = max(0.0, lo), min(1.0, hi)
            return [float(x) for x in np.round(np.arange(lo, hi + step / 2, step), 10)]
    return [float(v.min()), float(v.max())]


def class_index(values: pd.Series, breaks: list[float]) -> pd.Series:
    """Class index of each value: [b0, b1), [b1, b2), …, the last class closed."""
    idx = np.searchsorted(np.asarray(breaks[1:-1]), values.astype(float), side="right")
    return pd.Series(np.where(values.notna(), idx, -1), index=values.index)


def class_labels(breaks: list[float], kind: str, tx) -> list[str]:
    def fmt(x):
        return tx.num(100 * x, 0) if kind != "mean" else tx.num(x, 2 if x % 1 else 0)

    unit = "" if kind == "mean" else " %"
    labels = []
    for i, (lo, hi) in enumerate(zip(breaks[:-1], breaks[1:], strict=True)):
        key = "maps.class_le" if i == len(breaks) - 2 else "maps.class_lt"
        labels.append(tx(key, lo=fmt(lo), hi=fmt(hi)) + unit)
    return labels


def sequential(n: int) -> list[str]:
    import matplotlib

    cmap = matplotlib.colormaps["viridis"].reversed()
    return [matplotlib.colors.to_hex(cmap(0.05 + 0.85 * i / max(1, n - 1))) for i in range(n)]


def inset_bounds(muni, around: str, buffer_km: float) -> tuple[float, float, float, float]:
    geom = muni.loc[muni["kommunenummer"] == around, "geometry"]
    if geom.empty:
        raise ConfigError(
            f"config/indicators.yaml: key 'maps/inset/around': {around} is not a "
            f"{GEO_YEAR} municipality code"
        )
    x0, y0, x1, y1 = geom.total_bounds
    b = 1000 * buffer_km
    return (x0 - b, y0 - b, x1 + b, y1 + b)


def draw_map(
    polygons,
    keys: pd.Series,
    legend: list[tuple[str, str, str]],
    legend_title: str,
    borders,
    inset: tuple[float, float, float, float] | None,
    tx,
):
    """A categorical choropleth: ``keys`` (aligned with ``polygons``) names each polygon's
    legend entry; ``legend`` is [(key, colour, label)] in order. County borders are drawn
    on top; an inset shows ``inset`` (x0, y0, x1, y1) enlarged. The polygons' matplotlib
    paths (column ``path``, :func:`with_paths`) are made once per job, not per map.
    Returns the figure."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import PathCollection
    from matplotlib.patches import Patch, Rectangle

    if "path" not in polygons.columns:
        polygons = with_paths(polygons)
    if borders is not None and "path" not in borders.columns:
        borders = with_paths(borders)
    paths = polygons["path"].to_numpy()
    keys = keys.to_numpy()

    colour = {k: c for k, c, _ in legend}
    hatch = {k: "////" for k, c, _ in legend if c == GREY_SUPPRESSED}
    fig = plt.figure(figsize=(7.2, 8.4))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    # the inset draws only what it shows: the polygons (and borders) that meet its box
    views = [(ax, None, 0.25, 0.5)]
    if inset is not None:
        axi = fig.add_axes((0.60, 0.04, 0.38, 0.34))
        views.append((axi, inset, 0.6, 0.9))
    for a, box, width, border_width in views:
        shown = _within(polygons, box)
        for key in dict.fromkeys(keys[shown]):
            a.add_collection(
                PathCollection(
                    list(paths[shown & (keys == key)]),
                    facecolor=colour[key],
                    edgecolor=EDGE,
                    linewidth=width,
                    hatch=hatch.get(key),
                    gid=f"fill:{key}",
                )
            )
        if borders is not None:
            a.add_collection(
                PathCollection(
                    list(borders["path"].to_numpy()[_within(borders, box)]),
                    facecolor="none",
                    edgecolor=COUNTY_EDGE,
                    linewidth=border_width,
                    gid="borders",
                )
            )
        a.set_axis_off()
        a.set_aspect("equal")
    x0, y0 = polygons["bx0"].min(), polygons["by0"].min()
    x1, y1 = polygons["bx1"].max(), polygons["by1"].max()
    ax.set_xlim(x0 - 20_000, x1 + 20_000)
    ax.set_ylim(y0 - 20_000, y1 + 20_000)
    if inset is not None:
        ix0, iy0, ix1, iy1 = inset
        axi.set_xlim(ix0, ix1)
        axi.set_ylim(iy0, iy1)
        axi.set_axis_on()
        axi.set_xticks([])
        axi.set_yticks([])
        axi.set_xlabel("")
        axi.set_ylabel("")
        axi.grid(False)
        for s in axi.spines.values():
            s.set_visible(True)
            s.set_color("#333333")
        axi.set_facecolor("#ffffff")
        axi.set_title(tx("maps.inset"), fontsize=8, loc="left")
        ax.add_patch(
            Rectangle((ix0, iy0), ix1 - ix0, iy1 - iy0, fill=False, edgecolor="#333333", lw=0.8)
        )
    handles = [
        Patch(facecolor=c, edgecolor="#666666", hatch=hatch.get(k), label=lab)
        for k, c, lab in legend
    ]
    ax.legend(
        handles=handles,
        title=legend_title,
        loc="upper left",
        fontsize=8,
        title_fontsize=8.5,
        frameon=False,
        alignment="left",
    )
    return fig


def _count_label(tx, lab: str, n: int) -> str:
    return tx("maps.legend_count", label=lab, n=tx.num(n))


def frame_maps(frame_tab, muni, counties_gdf, size_groups, reforms, inset, tx) -> dict:
    """The two frame maps: size group and reforms. Returns {stem: (figure, alt text)}."""
    geo = muni.merge(
        frame_tab, left_on="kommunenummer", right_on="kommunenr", how="left", validate="1:1"
    )
    year, n = GEO_YEAR, len(geo)
    out = {}
    groups = [g["id"] for g in size_groups]
    cols = sequential(len(groups))
    counts = geo["size_group"].value_counts()
    legend = [
        (g["id"], c, _count_label(tx, tx.label(g), int(counts.get(g["id"], 0))))
        for g, c in zip(size_groups, cols, strict=True)
    ]
    fig = draw_map(
        geo, geo["size_group"], legend, tx("maps.legend_size", year=year), counties_gdf, inset, tx
    )
    alt_counts = "; ".join(
        tx("maps.alt_count", label=tx.label(g), n=int(counts.get(g["id"], 0))) for g in size_groups
    )
    what = tx("maps.alt_what_size")
    out[FRAME_FIGURES["size_group"]] = (
        fig,
        tx("maps.alt_frame", n=n, year=year, what=what, counts=alt_counts),
    )
    # reforms: one legend entry per combination present, "none" first
    combos = [c for c in dict.fromkeys(sorted(geo["reform"])) if c]
    labels = {"": tx("maps.reform_none")} | {c: reform_label(c, tx) for c in combos}
    colours = {"": GREY_EMPTY} | dict(zip(combos, OKABE_ITO, strict=False))
    counts = geo["reform"].value_counts()
    legend = [(k, colours[k], _count_label(tx, labels[k], int(counts.get(k, 0)))) for k in labels]
    years = tx("maps.reform_join").join(str(y) for y in reforms)
    fig = draw_map(
        geo, geo["reform"], legend, tx("maps.legend_reforms", year=year), counties_gdf, inset, tx
    )
    alt_counts = "; ".join(
        tx("maps.alt_count", label=labels[k], n=int(counts.get(k, 0))) for k in labels
    )
    what = tx("maps.alt_what_reforms", years=years)
    out[FRAME_FIGURES["reforms"]] = (
        fig,
        tx("maps.alt_frame", n=n, year=year, what=what, counts=alt_counts),
    )
    return out


def reform_label(code: str, tx) -> str:
    """'2020:merger+2024:split' as text ("Slått sammen 2020, delt 2024"); '' = none."""
    if not code:
        return tx("maps.reform_none")
    parts = []
    for item in code.split("+"):
        year, kind = item.split(":")
        parts.append(tx(f"maps.reform_{kind}", year=year))
    text = tx("maps.reform_join").join(parts)
    return text[:1].upper() + text[1:]


def subject_name(subject: dict, tx) -> str:
    return tx.label(subject["spec"])


def county_map(values: pd.DataFrame, subject: dict, counties_gdf, ms: dict, min_cell, inset, tx):
    """A county map of one subject (values from :func:`county_values`)."""
    kind = subject["kind"]
    geo = counties_gdf.merge(values, on=["fylkesnummer", "fylkesnavn"], how="left", validate="1:1")
    breaks = nice_classes(geo["estimate"], kind)
    cls = class_index(geo["estimate"], breaks)
    labels = class_labels(breaks, kind, tx)
    cols = sequential(len(labels))
    keys = cls.astype(str)
    suppressed = geo["suppressed"].fillna(False).astype(bool).to_numpy()
    keys[suppressed] = "suppressed"
    keys[geo["n"].fillna(-1).eq(0).to_numpy() & ~suppressed] = "empty"
    legend = [(str(i), c, lab) for i, (c, lab) in enumerate(zip(cols, labels, strict=True))]
    if (keys == "suppressed").any():
        legend.append(("suppressed", GREY_SUPPRESSED, tx("maps.suppressed", k=min_cell)))
    if (keys == "empty").any():
        legend.append(("empty", GREY_EMPTY, tx("maps.no_data")))
    name, year = subject_name(subject, tx), ms["wave"]
    if kind == "composite":
        cat = tx.label(subject["spec"]["groups"][ms["composite_category"]])
        title = tx(
            "maps.legend_county_composite",
            name=name,
            year=year,
            category=cat,
            reference=ms["reference_wave"],
        )
    else:
        title = tx(f"maps.legend_county_{kind}", name=name, year=year)
    fig = draw_map(geo, keys, legend, title, None, inset, tx)

    def value(r):
        if r["suppressed"]:
            return tx("maps.alt_suppressed")
        if pd.isna(r["estimate"]):
            return tx("maps.no_data")
        return tx.pct(r["estimate"]) if kind != "mean" else tx.num(r["estimate"], 1)

    vals = "; ".join(
        tx("maps.alt_value", name=r["fylkesnavn"], value=value(r)) for _, r in geo.iterrows()
    )
    alt = tx("maps.alt_county", n=len(geo), year=year, legend=" ".join(title.split()), values=vals)
    return fig, alt


def municipality_map(values: pd.DataFrame, subject: dict, muni, counties_gdf, ms, inset, tx):
    """A municipality map of one subject (values from :func:`municipality_values`)."""
    kind = subject["kind"]
    geo = muni.merge(
        values, left_on="kommunenummer", right_on="kommunenr", how="left", validate="1:1"
    )
    status_keys = ["nonresponse", "missing", "not_in_base", "not_comparable"]
    status_lab = {k: tx(f"maps.{k}") for k in status_keys}
    greys = dict(zip(status_keys, ["#d9d9d9", "#bdbdbd", "#ececec", "#969696"], strict=True))
    has = (geo["status"] == "value").to_numpy()
    if kind == "composite":
        groups = subject["spec"]["groups"]
        value_legend = [
            (c, col, tx.label(groups[c])) for c, col in zip(CATEGORIES, OKABE_ITO, strict=False)
        ]
        keys = geo["value"].astype(object).where(has, geo["status"]).astype(str)
        title = tx(
            "maps.legend_muni_composite",
            name=subject_name(subject, tx),
            year=ms["wave"],
            reference=ms["reference_wave"],
        )
    elif kind == "share":
        value_legend = [("1", OKABE_ITO[0], tx("maps.yes")), ("0", OKABE_ITO[1], tx("maps.no"))]
        v = geo["value"].astype(float)
        keys = v.map(lambda x: str(int(x)) if pd.notna(x) else "").where(has, geo["status"])
        title = tx("maps.legend_muni_share", name=subject_name(subject, tx), year=ms["wave"])
    else:
        v = geo["value"].astype(float).where(has)
        breaks = nice_classes(v, "mean")
        labels = class_labels(breaks, "mean", tx)
        value_legend = [
            (str(i), c, lab)
            for i, (c, lab) in enumerate(zip(sequential(len(labels)), labels, strict=True))
        ]
        keys = class_index(v, breaks).astype(str).where(has, geo["status"])
        title = tx("maps.legend_muni_mean", name=subject_name(subject, tx), year=ms["wave"])
    keys = pd.Series(keys.to_numpy(), index=geo.index)
    counts = keys.value_counts()
    legend = [
        (k, c, _count_label(tx, lab, int(counts.get(k, 0))))
        for k, c, lab in value_legend + [(k, greys[k], status_lab[k]) for k in status_keys]
        if k in counts.index or k in {e[0] for e in value_legend}
    ]
    fig = draw_map(geo, keys, legend, title, counties_gdf, inset, tx)
    alt_counts = "; ".join(
        tx("maps.alt_count", label=lab, n=int(counts.get(k, 0)))
        for k, _, lab in value_legend + [(k, None, status_lab[k]) for k in status_keys]
        if k in counts.index
    )
    alt = tx("maps.alt_muni", n=len(geo), legend=" ".join(title.split()), counts=alt_counts)
    return fig, alt


# --------------------------------------------------------------------------- rule entry point
def run_figures(
    frame_path,
    counties_path,
    municipalities_path,
    municipalities_geo,
    counties_geo,
    *,
    maps: dict,
    inset: dict,
    size_groups: list[dict],
    min_cell: int,
    lang: str,
    synthetic: bool,
    out: dict,
) -> list[str]:
    """Rule map_figures: every map. ``out`` maps each figure stem
    (:mod:`digikom.maps.spec`) to its (PNG, SVG, alt text) paths; ``maps`` is
    :func:`digikom.maps.spec.rule_settings`, ``inset`` the ``maps/inset`` settings."""
    import matplotlib.pyplot as plt

    from ..figures import save_figure, setup_style
    from ..text import Text

    stems = figure_ids(maps["subjects"], municipalities_path is not None)
    if sorted(stems) != sorted(out):
        raise InputDataError(
            f"rule map_figures: the outputs ({', '.join(sorted(out))}) are not the maps "
            f"this configuration draws ({', '.join(stems)})"
        )
    tx = Text(lang)
    setup_style()
    frame_tab = pd.read_csv(frame_path, dtype={"kommunenr": str, "fylkesnummer": str})
    frame_tab = frame_tab.fillna({c: "" for c in frame_tab.columns if c.startswith("reform")})
    muni_gdf, county_gdf = (
        with_paths(g) for g in read_boundaries(municipalities_geo, counties_geo, frame_tab)
    )
    box = inset_bounds(muni_gdf, inset["around"], inset["buffer_km"])
    credit = tx("maps.credit")
    survey_source = tx("figures.source_synthetic" if synthetic else "figures.source")
    made = []

    def save(stem, fig, alt, source, synth):
        png, svg, alt_path = out[stem]
        if synth:
            alt = f"{alt} {tx('maps.alt_synthetic')}"
        with plt.rc_context({"savefig.dpi": MAP_DPI}):
            save_figure(
                fig,
                png,
                svg,
                alt_path,
                alt,
                lang,
                synth,
                source=f"{source}\n{credit}",
                png_colours=PNG_COLOURS,
            )
        made.append(stem)

    frame = frame_maps(frame_tab, muni_gdf, county_gdf, size_groups, maps["reforms"], box, tx)
    for stem, (fig, alt) in frame.items():
        save(stem, fig, alt, tx("maps.source_frame"), False)  # real register data
    county = read_public(counties_path, "counties")
    muni = (
        pd.read_csv(municipalities_path, dtype={"kommunenr": str}) if municipalities_path else None
    )
    for s in maps["subjects"]:
        vals = county[county["map"] == s["id"]]
        fig, alt = county_map(vals, s, county_gdf, maps, min_cell, box, tx)
        save(figure_stem("county", s["id"]), fig, alt, survey_source, synthetic)
        if muni is not None:
            v = muni[muni["map"] == s["id"]]
            fig, alt = municipality_map(v, s, muni_gdf, county_gdf, maps, box, tx)
            save(figure_stem("municipality", s["id"]), fig, alt, survey_source, synthetic)
    log.info("drew %d maps: %s", len(made), ", ".join(made))
    return made
