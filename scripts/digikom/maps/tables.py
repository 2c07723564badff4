"""Rule map_tables: what the maps show, as tables (the figures and the report read these).

* the 2024 frame, which is real register data: size group of every municipality and the
  municipalities changed by the configured reforms (merged 2020, split 2024);
* the survey themes of one wave by county: the share of respondents in a composite
  category (composites as the indicators stage defines them, median split at the
  reference wave) and the configured indicators, unprotected: rule public_tables hides
  cells in every run (Oslo is one municipality, so its county value would be a unit-level
  value), and the maps draw the protected table;
* the same by municipality only with real microdata and ``municipality_level: true``;
* the "Din kommune" lookup and maps.json, which tell the report what it may show.

Every setting arrives as an argument (the rule's params); nothing here reads the config.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..geography import county_2024
from ..indicators import composite_groups, query_rows
from ..panel import assign_size_group
from .boundaries import county_names, read_boundaries
from .spec import GEO_YEAR, lookup_mode

log = logging.getLogger(__name__)


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
def respondent_values(
    panel: pd.DataFrame, subject: dict, wave: int, reference_wave: int
) -> pd.DataFrame:
    """Every frame municipality of ``wave`` with its value for one map subject:
    ``value`` (composite category id, 1/0 for a share, the number for a mean) and
    ``status`` (value / nonresponse / missing / not_in_base)."""
    wave_rows = panel[panel["year"] == wave].copy()
    out = wave_rows[["kommunenr", "year", "kommunenr_2024", "responded"]].copy()
    out["value"] = pd.Series(np.nan, index=out.index, dtype=object)
    out["status"] = np.where(out["responded"], "missing", "nonresponse")
    spec = subject["spec"]
    if subject["kind"] == "composite":
        groups = composite_groups(panel, spec, reference_wave)
        cat = groups[groups["year"] == wave].set_index("kommunenr")["category"]
        has = out["kommunenr"].isin(cat.index)
        out.loc[has, "value"] = out.loc[has, "kommunenr"].map(cat)
    else:
        var = spec["variable"]
        resp = wave_rows[wave_rows["responded"]]
        base = query_rows(resp, spec.get("among"), f"indicator {spec['id']}")
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
    wave: int,
    reference_wave: int,
    counties: dict[str, str],
    category: str = "both",
) -> pd.DataFrame:
    """One row per county: respondents with a value (n), and the share in ``category``
    (composites), the share answering yes (shares) or the mean (means). This is the
    internal table: rule public_tables protects it (results/public/tables/counties.csv),
    and the maps draw that."""
    vals = respondent_values(panel, subject, wave, reference_wave)
    vals = vals[vals["status"] == "value"].copy()
    vals["fylkesnummer"] = county_2024(vals)
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
    return out


def municipality_values(
    panel: pd.DataFrame, subject: dict, wave: int, reference_wave: int, codes_2024: list[str]
) -> pd.DataFrame:
    """One row per 2024 municipality with its own value of ``wave``. A 2024 municipality
    that is not the same unit as exactly one municipality of that wave (merged or split
    since) is 'not_comparable'."""
    vals = respondent_values(panel, subject, wave, reference_wave)
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


# --------------------------------------------------------------------------- metadata
def metadata(
    maps: dict,
    *,
    synthetic: bool,
    unit: bool,
    municipality_level: bool,
    min_cell: int,
    figures: list[str],
) -> dict:
    """What the report's maps section needs: the mode, the wave, each map's subject (its
    indicator or composite id: the report takes the labels from the config, so a label
    edit re-runs no table) and the figure stems."""
    subjects = []
    for s in maps["subjects"]:
        entry = {"id": s["id"], "kind": s["kind"], "spec_id": s["spec"]["id"]}
        if s["kind"] == "composite":
            entry["category"] = maps["composite_category"]
        subjects.append(entry)
    return {
        "synthetic": bool(synthetic),
        "municipality_level": bool(municipality_level),
        "unit_level": bool(unit),
        "lookup": lookup_mode(unit, synthetic),
        "wave": int(maps["wave"]),
        "reference_wave": int(maps["reference_wave"]),
        "min_cell": int(min_cell),
        "geo_year": GEO_YEAR,
        "reforms": [int(y) for y in maps["reforms"]],
        "subjects": subjects,
        "figures": list(figures),
    }


# --------------------------------------------------------------------------- rule entry point
def run_tables(
    panel_path,
    frame_path,
    changes_path,
    crosswalk_path,
    municipalities_geo,
    counties_geo,
    *,
    maps: dict,
    size_groups: list[dict],
    min_cell: int,
    unit: bool,
    synthetic: bool,
    municipality_level: bool,
    figures: list[str],
    out: dict,
) -> None:
    """Rule map_tables: the frame table, county values, the lookup, unit-level values (only
    when ``unit``) and the metadata the report reads. ``maps`` is
    :func:`digikom.maps.spec.rule_settings`; ``figures`` the map figure stems."""
    from ..io import write_csv, write_json
    from ..panel import read_crosswalk, read_frame, read_panel

    frame = read_frame(frame_path, GEO_YEAR)
    _, county_gdf = read_boundaries(municipalities_geo, counties_geo, frame)
    names = county_names(county_gdf)
    changes = pd.read_csv(changes_path, dtype={"old_kommunenummer": str, "new_kommunenummer": str})
    crosswalk = read_crosswalk(crosswalk_path)
    frame_tab = frame_table(frame, changes, crosswalk, size_groups, names, maps["reforms"])
    panel = read_panel(panel_path)
    wave, ref = maps["wave"], maps["reference_wave"]
    county = pd.concat(
        [
            county_values(panel, s, wave, ref, names, maps["composite_category"])
            for s in maps["subjects"]
        ],
        ignore_index=True,
    )
    muni = None
    if unit:
        codes = sorted(frame_tab["kommunenr"])
        muni = pd.concat(
            [municipality_values(panel, s, wave, ref, codes) for s in maps["subjects"]],
            ignore_index=True,
        )[["kommunenr", "map", "kind", "year", "value", "status"]]
        write_csv(muni, out["municipalities"])
    log.info(
        "maps: wave %s, %d subjects, unit level %s, %d county cells without respondents",
        wave,
        len(maps["subjects"]),
        unit,
        int(county["n"].eq(0).sum()),
    )
    write_csv(frame_tab, out["frame"])
    write_csv(county, out["counties"])
    write_csv(lookup_table(frame_tab, muni), out["lookup"])
    meta = metadata(
        maps,
        synthetic=synthetic,
        unit=unit,
        municipality_level=municipality_level,
        min_cell=min_cell,
        figures=figures,
    )
    write_json(out["meta"], meta)
