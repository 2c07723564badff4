"""Rule map_boundaries: Kartverket's 2024 boundaries checked against the frame and
projected once.

Polygons are drawn in ETRS89 / UTM 33N (EPSG:25833). :func:`run_boundaries` checks the
shipped GeoJSON files against the 2024 frame and writes them projected as GeoParquet under
results/maps/; the map rules read those with :func:`read_boundaries`.
"""

from __future__ import annotations

import logging
import os

from ..errors import InputDataError
from .spec import GEO_YEAR

log = logging.getLogger(__name__)

CRS = "EPSG:25833"  # ETRS89 / UTM zone 33N, as Kartverket and SSB draw Norway


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


def county_names(counties) -> dict[str, str]:
    """County number -> county name, from the county polygons."""
    return dict(zip(counties["fylkesnummer"], counties["fylkesnavn"], strict=True))


def run_boundaries(municipalities_geo, counties_geo, frame_path, out: dict) -> None:
    """Rule map_boundaries: the boundaries checked against the frame and projected to
    EPSG:25833 once, as GeoParquet (``out``: municipalities, counties). Not simplified:
    the shipped files are already Kartverket's simplified boundaries (31 071 vertices for
    357 municipalities, not an edge-matched coverage), so coverage simplification at
    100 m removes 10 vertices and plain simplification would open gaps between neighbours."""
    import io

    from ..io import write_bytes
    from ..panel import read_frame

    frame = read_frame(frame_path, GEO_YEAR)
    layers = read_boundaries(municipalities_geo, counties_geo, frame)
    for gdf, key in zip(layers, ("municipalities", "counties"), strict=True):
        buf = io.BytesIO()
        gdf.to_parquet(buf, index=False, compression="zstd")
        write_bytes(out[key], buf.getvalue())
    log.info("boundaries: %s", ", ".join(f"{k} -> {v}" for k, v in out.items()))
