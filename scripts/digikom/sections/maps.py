"""Maps section: the frame maps, the theme maps by county (and by municipality when
unit-level output is on), and the "Din kommune" lookup (HTML only).

Everything shown comes from results/maps/ (written by the maps stage, which alone decides
what may be shown): ``maps.json`` says whether unit-level output is on, ``lookup.csv``
holds exactly the columns the lookup may show."""

from __future__ import annotations

import html

import pandas as pd

from ..maps.draw import reform_label
from ..maps.spec import FRAME_FIGURES, figure_stem

STATUS_KEYS = ("nonresponse", "missing", "not_in_base", "not_comparable")
# Filters the lookup table as the reader types (no external script; the HTML stays one file).
STYLE = """<style>
.dk-lookup-scroll { max-height: 28em; overflow-y: auto; margin-top: 0.5em; }
#dk-lookup thead th { position: sticky; top: 0; background: #ffffff; }
#dk-lookup td:nth-child(5), #dk-lookup th.num { text-align: right; }
</style>"""
SCRIPT = """<script>
(function () {
  var box = document.getElementById("dk-lookup-q");
  var rows = document.querySelectorAll("#dk-lookup tbody tr");
  box.addEventListener("input", function () {
    var q = box.value.trim().toLowerCase();
    rows.forEach(function (r) {
      r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0;
    });
  });
})();
</script>"""


def render(R) -> str:
    tx = R.tx
    meta, lookup, counties = R.data.maps()
    geo_year, wave = meta["geo_year"], meta["wave"]
    if meta["synthetic"]:
        mode = tx("maps.unit_synthetic")
    elif meta["unit_level"]:
        mode = tx("maps.unit_on", wave=wave)
    else:
        mode = tx("maps.unit_off")
    parts = [
        f"# {tx('maps.title')} {{#sec-maps}}\n",
        tx(
            "maps.intro",
            geo_year=geo_year,
            n=len(lookup),
            n_counties=counties["fylkesnummer"].nunique(),
            wave=wave,
            k=meta["min_cell"],
        ),
        mode,
        f"## {tx('maps.frame_heading')} {{#sec-maps-frame}}\n",
        _fig(R, FRAME_FIGURES["size_group"], tx("maps.fig_size", year=geo_year, n=len(lookup))),
        _fig(
            R,
            FRAME_FIGURES["reforms"],
            tx("maps.fig_reforms", years=tx("maps.reform_join").join(map(str, meta["reforms"]))),
        ),
        f"## {tx('maps.county_heading')} {{#sec-maps-county}}\n",
    ]
    for s in meta["subjects"]:
        name = tx.label(s)
        if s["kind"] == "composite":
            cap = tx(
                "maps.fig_county_composite", name=name, category=tx.label(s["category"]), year=wave
            )
        else:
            cap = tx("maps.fig_county", name=name, year=wave)
        parts.append(_fig(R, figure_stem("county", s["id"]), cap))
    if meta["unit_level"]:
        parts.append(f"## {tx('maps.muni_heading')} {{#sec-maps-municipality}}\n")
        for s in meta["subjects"]:
            cap = tx("maps.fig_muni", name=tx.label(s), year=wave)
            parts.append(_fig(R, figure_stem("municipality", s["id"]), cap))
    parts.append(R.source_line())
    parts.append(lookup_section(R, meta, lookup))
    return "\n\n".join(parts) + "\n"


def _fig(R, stem: str, caption: str) -> str:
    label = "fig-" + stem.replace("_", "-")
    return R.figure(R.data.figure_png(stem), R.esc(caption), label)


def lookup_section(R, meta: dict, lookup: pd.DataFrame) -> str:
    """The "Din kommune" heading, then as a raw HTML block a sentence on what it shows and
    the searchable table; the PDF gets a one-line note instead."""
    tx = R.tx
    year = meta["geo_year"]
    heading = f"## {tx('maps.lookup_title')} {{#sec-maps-lookup}}\n"
    if meta["lookup"] == "off":
        return heading + "\n" + tx("maps.lookup_off")
    if meta["unit_level"]:
        text = tx("maps.lookup_unit", wave=meta["wave"], year=year)
    else:
        text = tx("maps.lookup_frame", year=year, why=tx("maps.lookup_why_synthetic"))
    return "\n\n".join(
        [
            heading,
            "```{=html}\n"
            + f"<p>{html.escape(text)}</p>\n"
            + lookup_html(R, meta, lookup)
            + "\n```",
            "```{=typst}\n" + tx("maps.lookup_pdf") + "\n```",
        ]
    )


def lookup_html(R, meta: dict, lookup: pd.DataFrame) -> str:
    """The lookup table and its filter box: every cell HTML-escaped."""
    tx = R.tx
    groups = {g["id"]: tx.label(g) for g in R.ctx["size_groups"]}
    subjects = [s for s in meta["subjects"] if s["id"] in lookup.columns]
    header = [
        tx("maps.col_code"),
        tx("maps.col_name"),
        tx("maps.col_county"),
        tx("maps.col_size"),
        tx("maps.col_population"),
        tx("maps.col_reform"),
        *[tx.label(s) for s in subjects],
    ]
    rows = []
    for r in lookup.itertuples(index=False):
        d = r._asdict()
        cells = [
            d["kommunenr"],
            d["kommunenavn"],
            d["fylkesnavn"],
            groups.get(d["size_group"], d["size_group"]),
            tx.num(d["population"]),
            reform_label("" if pd.isna(d["reform"]) else d["reform"], tx),
            *[_unit_cell(tx, s, getattr(r, s["id"])) for s in subjects],
        ]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    num_attr = ' class="num"'
    head = "".join(
        f"<th{num_attr if i == 4 else ''}>{html.escape(h)}</th>" for i, h in enumerate(header)
    )
    return "\n".join(
        [
            STYLE,
            '<div class="dk-lookup">',
            f'<label for="dk-lookup-q">{html.escape(tx("maps.lookup_search"))}</label> '
            f'<input id="dk-lookup-q" type="search" autocomplete="off" '
            f'placeholder="{html.escape(tx("maps.lookup_placeholder"))}">',
            # a scrolling region: reachable and named for keyboard and screen readers
            '<div class="dk-lookup-scroll" tabindex="0" role="region" '
            f'aria-label="{html.escape(tx("maps.lookup_title"), quote=True)}">',
            f'<table id="dk-lookup" data-quarto-disable-processing="true"><thead><tr>{head}</tr></thead><tbody>',
            *rows,
            "</tbody></table>",
            "</div>",
            SCRIPT,
            "</div>",
        ]
    )


def _unit_cell(tx, subject: dict, value) -> str:
    """A unit-level value as text: a composite category, yes/no, a number, or why none."""
    if pd.isna(value) or value == "":
        return ""
    v = str(value)
    if v in STATUS_KEYS:
        return tx(f"maps.{v}")
    if subject["kind"] == "composite":
        return tx.label(subject["groups"][v])
    if subject["kind"] == "share":
        return tx("maps.yes") if float(v) == 1 else tx("maps.no")
    return tx.num(float(v), 0 if float(v).is_integer() else 1)
