"""The three theme sections (digital priority, competence, activity): sentences per
indicator, figures by size group and over time, composites, tables.

What each part may say follows ``R.support`` (digikom.support). Synthetic default: SSB's
published figures of the theme first, as SSB gave them; the panel's tables and figures
follow only as a marked demonstration of what microdata will fill (points, no intervals,
no verdict words). Real microdata: estimates with intervals and the paired verdicts;
nothing is said about a suppressed cell. Both: the original's frame first (2018 and
2022, then 2024 as update), and a composite whose rule leaves more than 90 % in one class
says so."""

from __future__ import annotations

from ..config import figure_id, figure_stem
from ..disclosure import SYMBOL
from ..indicators import ALL
from ..text import MISSING
from . import findings

# a composite axis (or class) holding more than this share says that it hardly separates
UNINFORMATIVE = 0.9
# SSB's published figures of a theme are charted when there are at least this many
MIN_CHART = 3

THEMES = ("priority", "competence", "activity")


def indicator_ids(R, theme: str, kinds=("shares", "means")) -> list[str]:
    cfg = R.rules
    return [s["id"] for k in kinds for s in cfg[k] if s["theme"] == theme]


def change_lines(R, ids: list[str]) -> list[str]:
    """Per indicator: the comparison waves with the paired verdict, then the latest wave."""
    lines = []
    for ind in ids:
        a, b = R.est(ind, R.first), R.est(ind, R.second)
        ch = R.change(ind, R.first, R.second)
        if a is None or b is None or ch is None or R.hidden(a) or R.hidden(b):
            continue
        line = R.tx(
            "themes.change_line",
            name=R.ind_label(ind),
            a=R.value(ind, R.first)[0],
            b=R.value(ind, R.second)[0],
            first=R.first,
            last=R.second,
            verdict=R.tx(f"themes.{R.verdict(ch)}"),
        )
        last = R.est(ind, R.update_waves[-1]) if R.update_waves else None
        if last is not None and not R.hidden(last):
            w = R.update_waves[-1]
            line += " " + R.tx("themes.update_line", year=w, c=R.value(ind, w)[0])
        lines.append(line)
    return lines


def crosstab_text(R, year: int) -> str:
    d = R.crosstab[(R.crosstab.year == year) & (R.crosstab.level == "high")]
    d = d[d.status == "not_tried"]
    if d.empty or not R.support.estimates:
        return ""  # synthetic: SSB's published cross-tab stands in the published part
    r = d.iloc[0]
    if R.hidden(r):
        return ""
    return R.tx("themes.crosstab_text", year=year, v=R.cell_pct(r), ci=R.cell_ci(r))


def value_cell(R, r) -> str:
    if R.hidden(r):
        R.n_suppressed += 1
        return SYMBOL
    if not R.support.intervals:  # a demonstration value: the point only
        return R.tx.num(r.estimate, 2) if r.kind == "mean" else R.tx.num(100 * r.estimate, 1)
    if r.kind == "mean":
        return f"{R.tx.num(r.estimate, 2)} ({R.tx.range(r.conf_low, r.conf_high, 2)})"
    return f"{R.tx.num(100 * r.estimate, 1)} ({R.tx.range(r.conf_low, r.conf_high, 0, 100)})"


def theme_table(R, theme: str, ids: list[str]) -> str:
    rows = []
    for ind in ids:
        cells = [R.est(ind, w) for w in R.waves]
        if all(c is None for c in cells):
            continue
        kind = next(c.kind for c in cells if c is not None)
        name = R.ind_label(ind) + (R.tx("themes.mean_suffix") if kind == "mean" else "")
        rows.append([name] + [MISSING if c is None else value_cell(R, c) for c in cells])
    header = [R.tx("common.indicator")] + [str(w) for w in R.waves]
    key = "themes.table_caption" if R.support.intervals else "themes.table_caption_points"
    cap = R.tx(key, theme=R.theme_label(theme), level=R.tx.level)
    return R.table(header, rows, cap, f"tbl-{theme}")


def frame_years(R) -> list[int]:
    """The original's comparison waves, then the last update wave."""
    return [R.first, R.second] + R.update_waves[-1:]


def year_label(R, year: int) -> str:
    return R.tx("themes.update_year", year=year) if year in R.update_waves else str(year)


def size_table(R, theme: str, ids: list[str]) -> str:
    """Shares by size group in the original's frame (2018, 2022), then the update wave."""
    gids = [ALL] + [g["id"] for g in R.groups]
    rows = []
    for ind in ids:
        for i, year in enumerate(frame_years(R)):
            if R.est(ind, year) is None:
                continue
            name = R.ind_label(ind) if i == 0 else ""
            rows.append([name, str(year)] + [R.cell_pct(R.est(ind, year, g)) for g in gids])
    if not rows:
        return ""
    header = [R.tx("common.indicator"), R.tx("common.year")]
    header += [R.esc(R.group_label[g]) for g in gids]
    key = "themes.size_caption" if R.support.estimates else "themes.size_caption_points"
    years = ", ".join(year_label(R, y) for y in frame_years(R))
    cap = R.tx(key, theme=R.theme_label(theme), years=years)
    return R.table(header, rows, cap, f"tbl-{theme}-size", ["l", "l"] + ["r"] * len(gids))


def composite_note(R, spec: dict) -> str:
    """Says so when the composite's rule leaves more than 90 % of the municipalities high
    (or low) on one axis, or in one class, in a wave shown: the split hardly separates."""
    comp = R.composites
    if R.support.disclosure:  # nothing said about a wave with a hidden cell
        comp = comp[~comp["suppressed"].to_numpy(dtype=bool)]
    d = comp[(comp.composite == spec["id"]) & (comp.group == ALL)]
    hidden_years = set(R.composites.year) - set(comp.year) if R.support.disclosure else set()
    found = []
    for year in frame_years(R):
        dy = d[d.year == year].set_index("category")["estimate"]
        if dy.empty or dy.isna().any() or year in hidden_years or len(dy) < len(spec["groups"]):
            continue
        axes = {
            "x": dy.get("both", 0) + dy.get("x_only", 0),
            "y": dy.get("both", 0) + dy.get("y_only", 0),
        }
        for axis, high in axes.items():
            for share, level in ((high, "high"), (1 - high, "low")):
                if share > UNINFORMATIVE:
                    found.append((year, R.label(spec[axis]), share, level))
        for cat, share in dy.items():
            if share > UNINFORMATIVE and cat in spec["groups"]:
                found.append((year, R.label(spec["groups"][cat]), share, "class"))
    if not found:
        return ""
    parts = [
        R.tx(f"themes.uninformative_{level}", name=name, share=R.tx.pct(share), year=year)
        for year, name, share, level in found
    ]
    key = "themes.uninformative" if R.support.estimates else "themes.uninformative_synthetic"
    return R.tx(
        key,
        name=R.label(spec),
        what="; ".join(parts),
        ref=R.reference_wave,
        limit=R.tx.pct(UNINFORMATIVE),
    )


def published_part(R, theme: str, ids: list[str]) -> list[str]:
    """SSB's published figures of the theme's indicators, with year and source."""
    figs = [f for f in findings.published_figures(R, ids) if f["indicator"] in ids]
    lines = findings.published_sentences(R, "all", figs, ids)
    if theme == "competence":
        lines += published_crosstab(R)
    if lines:
        out = [R.tx("themes.published_heading"), "\n".join(f"- {s}" for s in lines)]
        if len(figs) >= MIN_CHART:  # one or two values read better in the sentence alone
            cap = R.tx("themes.published_fig", theme=R.theme_label(theme))
            out.append(R.fig(figure_stem(figure_id("published", theme)), cap))
        return out
    return [R.tx("themes.published_none")]


def published_crosstab(R) -> list[str]:
    """SSB's published cross-tab cell: of the municipalities where lack of competence was
    a large barrier, the share that had not tried to recruit (scorecard "not_tried/high")."""
    card = R.scorecard
    d = card[(card.reference == "published") & (card.indicator == "not_tried/high")]
    out = []
    for r in d.itertuples():
        unit = R.ctx.get("published_units", {}).get(r.target_id, "percent")
        out.append(
            R.tx(
                "themes.crosstab_published",
                year=int(r.year),
                v=findings.published_words(R, r.published, unit),
                source=findings.source_link(R, r.source_url),
            )
        )
    return out


def render_theme(R, theme: str) -> str:
    tx = R.tx
    figs = R.rules.get("figures", {})
    share_ids = indicator_ids(R, theme, ("shares",))
    mean_ids = indicator_ids(R, theme, ("means",))
    last = R.waves[-1]
    years = ", ".join(year_label(R, y) for y in frame_years(R))
    parts = [R.heading(1, "themes.heading", f"sec-{theme}", name=R.theme_label(theme))]
    if R.support.estimates:
        parts += [
            tx(f"themes.intro_{theme}")
            + " "
            + tx("themes.clear_rule", level=tx.level, first=R.first, last=R.second),
            "\n".join(f"- {s}" for s in change_lines(R, share_ids)),
        ]
    else:
        parts.append(tx(f"themes.intro_{theme}"))
        parts += published_part(R, theme, share_ids + mean_ids)
        parts.append("::: {.callout-note .demonstration}\n" + tx("themes.demonstration") + "\n:::")
    for ind in figs.get("by_size", []):
        if ind in share_ids:
            key = "themes.size_fig" if R.support.intervals else "themes.size_fig_points"
            cap = tx(key, name=R.ind_label(ind), years=years, level=tx.level)
            parts.append(R.fig(figure_stem(figure_id("size", ind)), cap))
    if theme in figs.get("trends", {}):
        key = "themes.trend_fig" if R.support.intervals else "themes.trend_fig_points"
        parts.append(
            R.fig(
                figure_stem(figure_id("trend", theme)),
                tx(key, theme=R.theme_label(theme), level=tx.level),
            )
        )
    for spec in R.rules["composites"]:
        if spec["theme"] == theme:
            cap = tx("themes.composite_fig", name=R.label(spec), year=years)
            parts.append(R.fig(figure_stem(figure_id("composite", spec["id"])), cap))
            parts.append(composite_note(R, spec))
    if theme == "competence":
        xw = figs.get("crosstab_wave", last)
        xw = xw if xw in R.waves else last
        parts.append(crosstab_text(R, xw))
        parts.append(R.fig(figure_stem(figure_id("crosstab")), tx("themes.crosstab_fig", year=xw)))
        parts.append(R.fig(figure_stem(figure_id("barrier_dist")), tx("themes.barrier_fig")))
    parts.append(theme_table(R, theme, share_ids + mean_ids))
    parts.append(size_table(R, theme, share_ids))
    parts.append(R.source_line())
    return "\n\n".join(p for p in parts if p) + "\n"


def render(R) -> str:
    return "\n".join(render_theme(R, theme) for theme in THEMES)
