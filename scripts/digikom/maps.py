"""Maps of the frame and of the survey themes, and the "Din kommune" lookup table.

What is mapped (config/indicators.yaml ``maps:``):

* the 2024 frame, which is real register data: size group of every municipality and the
  municipalities changed by the configured reforms (merged 2020, split 2024);
* the survey themes of one wave by county: the share of respondents in a composite
  category (composites as the indicators stage defines them, median split at the
  reference wave) and the configured indicators. Counties with fewer than
  ``report.min_cell`` respondents are suppressed (":") in every run: Oslo is one
  municipality, so its county value would be a unit-level value;
* the same by municipality only with real microdata and ``municipality_level: true``.

Polygons are Kartverket's 2024 boundaries, drawn in ETRS89 / UTM 33N (EPSG:25833). Rule
map_boundaries checks them against the frame and projects them once into GeoParquet files
under results/maps/ (:func:`run_boundaries`); the map rules read those. Each polygon becomes
a matplotlib path once per job (:func:`with_paths`), and every map draws those paths.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .config import assign_size_group
from .disclosure import suppress
from .errors import ConfigError, InputDataError
from .indicators import _query, composite_groups
from .map_spec import GEO_YEAR, figure_ids, lookup_mode, map_settings, map_subjects, unit_level
from .text import label_entries

log = logging.getLogger(__name__)

# Page-width maps at 150 dpi, stored with a 64-colour palette: the eight default maps then
# add well under 1 MB to the self-contained HTML instead of about 5 MB.
MAP_DPI = 150
PNG_COLOURS = 64
CRS = "EPSG:25833"  # ETRS89 / UTM zone 33N, as Kartverket and SSB draw Norway
CATEGORIES = ("both", "y_only", "x_only", "neither")
# Colours: sequential classes from viridis (colour-blind safe); categories from Okabe-Ito.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
GREY_SUPPRESSED = "#bdbdbd"
GREY_EMPTY = "#e3e3e3"
EDGE = "#ffffff"
COUNTY_EDGE = "#4d4d4d"


# --------------------------------------------------------------------------- reading
def read_boundaries(municipalities: str | os.PathLike, counties: str | os.PathLike, frame):
    """Municipality and county polygons in EPSG:25833, from GeoJSON (the shipped files) or
    GeoParquet (rule map_boundaries' projected copies). The municipality codes must be the
    frame's codes (one polygon each) and the counties the frame's counties."""
    import geopandas as gpd

    out = []
    for path, code, codes in (
        (municipalities, "kommunenummer", set(frame["kommunenr"])),
        (counties, "fylkesnummer", set(frame["fylkesnummer"])),
    ):
        parquet = str(path).endswith(".parquet")
        try:
            gdf = gpd.read_parquet(path) if parquet else gpd.read_file(path)
        except Exception as exc:  # pyogrio and pyarrow raise several types
            kind = "GeoParquet" if parquet else "GeoJSON"
            raise InputDataError(f"{path}: not a readable {kind} file ({exc})") from exc
        if code not in gdf.columns:
            raise InputDataError(f"{path}: features lack the property '{code}'")
        gdf[code] = gdf[code].astype(str)
        dupes = sorted(gdf.loc[gdf[code].duplicated(), code])
        extra, missing = sorted(set(gdf[code]) - codes), sorted(codes - set(gdf[code]))
        if dupes or extra or missing:
            raise InputDataError(
                f"{path}: property '{code}' does not match the {GEO_YEAR} frame: "
                f"duplicated {dupes[:10]}, not in the frame {extra[:10]}, "
                f"without polygon {missing[:10]}"
            )
        if gdf.crs is None:
            gdf = gdf.set_crs("EPSG:4326")
        out.append(gdf[[code, *(["fylkesnavn"] if code == "fylkesnummer" else []), "geometry"]])
    muni, county = (g if g.crs == CRS else g.to_crs(CRS) for g in out)
    return (
        muni.sort_values("kommunenummer", ignore_index=True),
        county.sort_values("fylkesnummer", ignore_index=True),
    )


def run_boundaries(municipalities_geo, counties_geo, frame_path, out: dict) -> None:
    """Rule map_boundaries: the boundaries checked against the frame and projected to
    EPSG:25833 once, as GeoParquet (``out``: municipalities, counties). Not simplified:
    the shipped files are already Kartverket's simplified boundaries (31 071 vertices for
    357 municipalities, not an edge-matched coverage), so coverage simplification at
    100 m removes 10 vertices and plain simplification would open gaps between neighbours."""
    import io

    from .io import write_bytes
    from .panel import read_frame

    frame = read_frame(frame_path, GEO_YEAR)
    layers = read_boundaries(municipalities_geo, counties_geo, frame)
    for gdf, key in zip(layers, ("municipalities", "counties"), strict=True):
        buf = io.BytesIO()
        gdf.to_parquet(buf, index=False, compression="zstd")
        write_bytes(out[key], buf.getvalue())
    log.info("boundaries: %s", ", ".join(f"{k} -> {v}" for k, v in out.items()))


def with_paths(gdf):
    """``gdf`` with a column ``path``: each polygon as one matplotlib Path (exterior and
    holes of every part), made once and drawn by every map (:func:`draw_map`)."""
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
    return gdf.assign(path=paths)


def county_names(counties) -> dict[str, str]:
    return dict(zip(counties["fylkesnummer"], counties["fylkesnavn"], strict=True))


# --------------------------------------------------------------------------- frame
def reform_status(
    changes: pd.DataFrame, crosswalk: pd.DataFrame, reforms: list[int]
) -> pd.DataFrame:
    """For each 2024 municipality and reform year: 'merger' when it took in (part of)
    another municipality that year, 'split' when it came out of a split, else ''."""
    codes = sorted(crosswalk.loc[crosswalk["from_year"] == GEO_YEAR, "kommunenummer_2024"])
    out = pd.DataFrame({"kommunenr": codes})
    for year in reforms:
        rows = changes[(changes["year"] == year) & changes["change_type"].isin(["merger", "split"])]
        if rows.empty:
            raise ConfigError(
                f"config/indicators.yaml: key 'maps/reforms': no merger or split takes "
                f"effect in {year} (municipality_changes.csv)"
            )
        # a new code made of more than one old municipality is a merger (n_old_codes_into_new
        # counts a surviving code such as 5001 Trondheim in 2020, which has no row of its
        # own); one made from a single old code that was divided is a split
        olds = rows.groupby("new_kommunenummer")["n_old_codes_into_new"].max()
        split = rows.groupby("new_kommunenummer")["change_type"].agg(lambda s: (s == "split").any())
        new = pd.Series(np.where(olds > 1, "merger", np.where(split, "split", "")), olds.index)
        new = new[new != ""]
        cw = crosswalk[crosswalk["from_year"] == year]
        if cw.empty:
            raise ConfigError(
                f"config/indicators.yaml: key 'maps/reforms': {year} is not a year of the "
                f"crosswalk (from_year: {sorted(crosswalk['from_year'].unique())})"
            )
        to24 = cw[cw["kommunenummer"].isin(new.index)].copy()  # chain to the 2024 codes
        to24["kind"] = to24["kommunenummer"].map(new)
        kind = to24.groupby("kommunenummer_2024")["kind"].agg(
            lambda s: "split" if (s == "split").any() else "merger"
        )
        out[f"reform_{year}"] = out["kommunenr"].map(kind).fillna("")
    return out


def frame_table(
    frame: pd.DataFrame,
    changes: pd.DataFrame,
    crosswalk: pd.DataFrame,
    size_groups: list[dict],
    counties: dict[str, str],
    reforms: list[int],
) -> pd.DataFrame:
    """The 2024 frame as mapped: code, name, county, population, size group (the
    configured bands) and the reform status; real register data only."""
    out = frame[["kommunenr", "kommunenavn", "fylkesnummer", "population"]].copy()
    out["fylkesnavn"] = out["fylkesnummer"].map(counties)
    out["size_group"] = assign_size_group(out["population"], size_groups)
    status = reform_status(changes, crosswalk, reforms)
    out = out.merge(status, on="kommunenr", how="left", validate="1:1")
    cols = [f"reform_{y}" for y in reforms]
    out[cols] = out[cols].fillna("")
    out["reform"] = out[cols].apply(
        lambda r: "+".join(f"{c.removeprefix('reform_')}:{v}" for c, v in r.items() if v), axis=1
    )
    order = ["kommunenr", "kommunenavn", "fylkesnummer", "fylkesnavn", "population"]
    return out[[*order, "size_group", *cols, "reform"]].sort_values("kommunenr")


# --------------------------------------------------------------------------- themes
def county_of(panel: pd.DataFrame) -> pd.Series:
    """The 2024 county of each panel row (first two digits of its 2024 code; a split code
    must not span two counties)."""
    k24 = panel["kommunenr_2024"].astype(str).str.split("|")
    counties = k24.map(lambda codes: sorted({c[:2] for c in codes}))
    bad = panel.loc[counties.map(len) != 1, ["year", "kommunenr"]]
    if not bad.empty:
        r = bad.iloc[0]
        raise InputDataError(
            f"panel: municipality {r['kommunenr']} ({r['year']}) maps to 2024 codes in more "
            "than one county; it cannot be placed on a county map"
        )
    return counties.str[0]


def respondent_values(panel: pd.DataFrame, subject: dict, rules: dict, wave: int) -> pd.DataFrame:
    """Every frame municipality of ``wave`` with its value for one map subject:
    ``value`` (composite category id, 1/0 for a share, the number for a mean) and
    ``status`` (value / nonresponse / missing / not_in_base)."""
    wave_rows = panel[panel["year"] == wave].copy()
    out = wave_rows[["kommunenr", "year", "kommunenr_2024", "responded"]].copy()
    out["value"] = pd.Series(np.nan, index=out.index, dtype=object)
    out["status"] = np.where(out["responded"], "missing", "nonresponse")
    spec = subject["spec"]
    if subject["kind"] == "composite":
        groups = composite_groups(panel, spec, rules["reference_wave"])
        cat = groups[groups["year"] == wave].set_index("kommunenr")["category"]
        has = out["kommunenr"].isin(cat.index)
        out.loc[has, "value"] = out.loc[has, "kommunenr"].map(cat)
    else:
        var = spec["variable"]
        resp = wave_rows[wave_rows["responded"]]
        base = _query(resp, spec.get("among"), f"indicator {spec['id']}")
        out.loc[out.index.isin(resp.index) & ~out.index.isin(base.index), "status"] = "not_in_base"
        base = base[base[var].notna()]
        if subject["kind"] == "share":
            vals = base[var].isin(spec.get("values", [1])).astype(int)
        else:
            vals = base[var].astype(float)
        out.loc[base.index, "value"] = vals
    out.loc[out["value"].notna(), "status"] = "value"
    return out


def county_values(
    panel: pd.DataFrame,
    subject: dict,
    rules: dict,
    wave: int,
    counties: dict[str, str],
    min_cell: int,
    category: str = "both",
) -> pd.DataFrame:
    """One row per county: respondents with a value (n), and the share in ``category``
    (composites), the share answering yes (shares) or the mean (means). Counties with
    n < min_cell are suppressed (estimate empty, ``suppressed`` true)."""
    vals = respondent_values(panel, subject, rules, wave)
    vals = vals[vals["status"] == "value"].copy()
    vals["fylkesnummer"] = county_of(vals)
    if subject["kind"] == "composite":
        vals["y"] = (vals["value"] == category).astype(float)
    else:
        vals["y"] = vals["value"].astype(float)
    agg = vals.groupby("fylkesnummer")["y"].agg(n="size", estimate="mean")
    out = pd.DataFrame({"fylkesnummer": sorted(counties)})
    out = out.merge(agg, on="fylkesnummer", how="left")
    out["n"] = out["n"].fillna(0).astype(int)
    out.insert(1, "fylkesnavn", out["fylkesnummer"].map(counties))
    out.insert(0, "map", subject["id"])
    out.insert(1, "kind", subject["kind"])
    out.insert(2, "year", int(wave))
    out["category"] = category if subject["kind"] == "composite" else ""
    return suppress(out, min_cell)


def municipality_values(
    panel: pd.DataFrame, subject: dict, rules: dict, wave: int, codes_2024: list[str]
) -> pd.DataFrame:
    """One row per 2024 municipality with its own value of ``wave``. A 2024 municipality
    that is not the same unit as exactly one municipality of that wave (merged or split
    since) is 'not_comparable'."""
    vals = respondent_values(panel, subject, rules, wave)
    vals["targets"] = vals["kommunenr_2024"].astype(str).str.split("|")
    one = vals[vals["targets"].map(len) == 1].assign(k24=lambda d: d["targets"].str[0])
    sources = vals.explode("targets")["targets"].value_counts()
    one = one[one["k24"].map(sources) == 1].set_index("k24")
    out = pd.DataFrame({"kommunenr": codes_2024})
    out["value"] = out["kommunenr"].map(one["value"])
    out["status"] = out["kommunenr"].map(one["status"]).fillna("not_comparable")
    out.insert(1, "map", subject["id"])
    out.insert(2, "kind", subject["kind"])
    out.insert(3, "year", int(wave))
    return out


def lookup_table(frame_tab: pd.DataFrame, muni: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of the "Din kommune" lookup: the frame (real register data); with
    unit-level output, each map subject's value (or its status) as one more column."""
    cols = ["kommunenr", "kommunenavn", "fylkesnavn", "size_group", "population", "reform"]
    out = frame_tab[cols].copy()
    if muni is not None and not muni.empty:
        cell = muni["value"].astype(object).where(muni["status"] == "value", muni["status"])
        wide = muni.assign(cell=cell).pivot(index="kommunenr", columns="map", values="cell")
        order = list(dict.fromkeys(muni["map"]))
        out = out.merge(wide[order].reset_index(), on="kommunenr", how="left", validate="1:1")
    return out


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


def classify(values: pd.Series, breaks: list[float]) -> pd.Series:
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
    from matplotlib.collections import PatchCollection, PathCollection
    from matplotlib.patches import Patch, PathPatch, Rectangle

    if "path" not in polygons.columns:
        polygons = with_paths(polygons)
    if borders is not None and "path" not in borders.columns:
        borders = with_paths(borders)
    paths = polygons["path"].to_numpy()

    colour = {k: c for k, c, _ in legend}
    hatch = {k: "////" for k, c, _ in legend if c == GREY_SUPPRESSED}
    fig = plt.figure(figsize=(7.2, 8.4))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    axes = [ax]
    if inset is not None:
        axi = fig.add_axes((0.60, 0.04, 0.38, 0.34))
        axes.append(axi)
    for a in axes:
        for key in dict.fromkeys(keys):
            sel = paths[keys.to_numpy() == key]
            a.add_collection(
                PatchCollection(
                    [PathPatch(p) for p in sel],
                    facecolor=colour[key],
                    edgecolor=EDGE,
                    linewidth=0.25 if a is ax else 0.6,
                    hatch=hatch.get(key),
                )
            )
        if borders is not None:
            a.add_collection(
                PathCollection(
                    list(borders["path"]),
                    facecolor="none",
                    edgecolor=COUNTY_EDGE,
                    linewidth=0.5 if a is ax else 0.9,
                )
            )
        a.set_axis_off()
        a.set_aspect("equal")
    x0, y0, x1, y1 = polygons.total_bounds
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
    out["map_size_group"] = (
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
    out["map_reforms"] = (fig, tx("maps.alt_frame", n=n, year=year, what=what, counts=alt_counts))
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
    cls = classify(geo["estimate"], breaks)
    labels = class_labels(breaks, kind, tx)
    cols = sequential(len(labels))
    keys = cls.astype(str)
    keys[geo["suppressed"].to_numpy() & (geo["n"] > 0).to_numpy()] = "suppressed"
    keys[(geo["n"] == 0).to_numpy()] = "empty"
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
        if r["n"] == 0:
            return tx("maps.no_data")
        if r["suppressed"]:
            return tx("maps.alt_suppressed")
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
        keys = classify(v, breaks).astype(str).where(has, geo["status"])
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


# --------------------------------------------------------------------------- metadata
def metadata(ms: dict, config: dict, synthetic: bool, figure_stems: list[str]) -> dict:
    """What the report's maps section needs: the mode, the wave, and each map's subject
    with its labels in every language."""
    subjects = []
    for s in map_subjects(ms):
        entry = {"id": s["id"], "kind": s["kind"], **label_entries(s["spec"])}
        if s["kind"] == "composite":
            cat = s["spec"]["groups"][ms["composite_category"]]
            entry["category"] = label_entries(cat)
            entry["groups"] = {k: label_entries(g) for k, g in s["spec"]["groups"].items()}
        subjects.append(entry)
    return {
        "synthetic": bool(synthetic),
        "municipality_level": bool(config.get("municipality_level")),
        "unit_level": unit_level(config),
        "lookup": lookup_mode(config),
        "wave": int(ms["wave"]),
        "reference_wave": int(ms["reference_wave"]),
        "min_cell": int(config["report"]["min_cell"]),
        "geo_year": GEO_YEAR,
        "reforms": [int(y) for y in ms["reforms"]],
        "subjects": subjects,
        "figures": figure_stems,
    }


def compact_png(path: str | os.PathLike, colours: int = PNG_COLOURS) -> None:
    """Rewrite a PNG with a palette of ``colours`` (maps have few flat colours; the
    antialiased edges make the full-colour file four times larger). Deterministic."""
    import io

    from PIL import Image

    from .io import write_bytes

    with Image.open(path) as im:
        q = im.convert("RGB").quantize(
            colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    buf = io.BytesIO()
    q.save(buf, format="PNG", optimize=True)
    write_bytes(path, buf.getvalue())


# --------------------------------------------------------------------------- rule entry points
def run_tables(
    panel_path,
    frame_path,
    changes_path,
    crosswalk_path,
    municipalities_geo,
    counties_geo,
    config: dict,
    out: dict,
) -> None:
    """Rule map_tables: the frame table, county values, the lookup, unit-level values (only
    when allowed) and the metadata the report reads."""
    from .config import load_all
    from .io import write_csv, write_json
    from .panel import read_crosswalk, read_frame, read_panel

    settings = load_all(config)
    ms = map_settings(settings)
    synthetic = config.get("microdata") is None
    frame = read_frame(frame_path, GEO_YEAR)
    muni_gdf, county_gdf = read_boundaries(municipalities_geo, counties_geo, frame)
    names = county_names(county_gdf)
    changes = pd.read_csv(changes_path, dtype={"old_kommunenummer": str, "new_kommunenummer": str})
    crosswalk = read_crosswalk(crosswalk_path)
    frame_tab = frame_table(frame, changes, crosswalk, settings.size_groups, names, ms["reforms"])
    panel = read_panel(panel_path)
    min_cell = int(config["report"]["min_cell"])
    subjects = map_subjects(ms)
    county = pd.concat(
        [
            county_values(
                panel,
                s,
                settings.indicators,
                ms["wave"],
                names,
                min_cell,
                ms["composite_category"],
            )
            for s in subjects
        ],
        ignore_index=True,
    )
    muni = None
    if unit_level(config):
        codes = sorted(frame_tab["kommunenr"])
        muni = pd.concat(
            [
                municipality_values(panel, s, settings.indicators, ms["wave"], codes)
                for s in subjects
            ],
            ignore_index=True,
        )[["kommunenr", "map", "kind", "year", "value", "status"]]
        write_csv(muni, out["municipalities"])
    log.info(
        "maps: wave %s, %d subjects, unit level %s, %d county cells suppressed",
        ms["wave"],
        len(subjects),
        unit_level(config),
        int(county["suppressed"].sum()),
    )
    write_csv(frame_tab, out["frame"])
    write_csv(county, out["counties"])
    write_csv(lookup_table(frame_tab, muni), out["lookup"])
    write_json(out["meta"], metadata(ms, config, synthetic, figure_ids(settings, config)))


def run_figures(
    frame_path,
    counties_path,
    municipalities_path,
    municipalities_geo,
    counties_geo,
    config: dict,
    lang: str,
    synthetic: bool,
    outdir,
) -> list[str]:
    """Rule map_figures: every map (PNG, SVG, alt text) under ``outdir``."""
    import matplotlib.pyplot as plt

    from .config import load_all
    from .figures import save_figure, setup_style
    from .text import Text

    settings = load_all(config)
    ms = map_settings(settings)
    tx = Text(lang)
    setup_style()
    frame_tab = pd.read_csv(frame_path, dtype={"kommunenr": str, "fylkesnummer": str})
    frame_tab = frame_tab.fillna({c: "" for c in frame_tab.columns if c.startswith("reform")})
    muni_gdf, county_gdf = (
        with_paths(g) for g in read_boundaries(municipalities_geo, counties_geo, frame_tab)
    )
    inset = inset_bounds(muni_gdf, ms["inset"]["around"], ms["inset"]["buffer_km"])
    min_cell = int(config["report"]["min_cell"])
    credit = tx("maps.credit")
    survey_source = tx("figures.source_synthetic" if synthetic else "figures.source")
    made = []

    def save(stem, fig, alt, source, synth):
        if synth:
            alt = f"{alt} {tx('maps.alt_synthetic')}"
        with plt.rc_context({"savefig.dpi": MAP_DPI}):
            save_figure(
                fig,
                Path(outdir) / f"{stem}.png",
                Path(outdir) / f"{stem}.svg",
                Path(outdir) / f"{stem}.alt.txt",
                alt,
                lang,
                synth,
                source=f"{source}\n{credit}",
            )
        compact_png(Path(outdir) / f"{stem}.png")
        made.append(stem)

    for stem, (fig, alt) in frame_maps(
        frame_tab, muni_gdf, county_gdf, settings.size_groups, ms["reforms"], inset, tx
    ).items():
        save(stem, fig, alt, tx("maps.source_frame"), False)  # real register data
    county = pd.read_csv(counties_path, dtype={"fylkesnummer": str})
    muni = (
        pd.read_csv(municipalities_path, dtype={"kommunenr": str}) if municipalities_path else None
    )
    for s in map_subjects(ms):
        vals = county[county["map"] == s["id"]]
        fig, alt = county_map(vals, s, county_gdf, ms, min_cell, inset, tx)
        save(f"map_county_{s['id']}", fig, alt, survey_source, synthetic)
        if muni is not None:
            v = muni[muni["map"] == s["id"]]
            fig, alt = municipality_map(v, s, muni_gdf, county_gdf, ms, inset, tx)
            save(f"map_municipality_{s['id']}", fig, alt, survey_source, synthetic)
    log.info("drew %d maps: %s", len(made), ", ".join(made))
    return made
