"""The three theme sections (digital priority, competence, activity): sentences per
indicator, figures by size group and over time, composites, tables."""

from __future__ import annotations

from ..disclosure import SYMBOL
from ..indicators import ALL
from ..text import MISSING

THEMES = ("priority", "competence", "activity")


def indicator_ids(R, theme: str, kinds=("shares", "means")) -> list[str]:
    cfg = R.ctx["indicators"]
    return [s["id"] for k in kinds for s in cfg[k] if s["theme"] == theme]


def change_lines(R, ids: list[str]) -> list[str]:
    """Per indicator: the comparison waves with the paired verdict, then the latest wave."""
    lines = []
    for ind in ids:
        a, b = R.est(ind, R.first), R.est(ind, R.second)
        ch = R.change(ind, R.first, R.second)
        if a is None or b is None or ch is None:
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
        if R.update_waves and R.est(ind, R.update_waves[-1]) is not None:
            w = R.update_waves[-1]
            line += " " + R.tx("themes.update_line", year=w, c=R.value(ind, w)[0])
        lines.append(line)
    return lines


def crosstab_text(R, year: int) -> str:
    d = R.crosstab[(R.crosstab.year == year) & (R.crosstab.level == "high")]
    d = d[d.status == "not_tried"]
    if d.empty:
        return ""
    r = d.iloc[0]
    return R.tx("themes.crosstab_text", year=year, v=R.cell_pct(r), ci=R.cell_ci(r))


def value_cell(R, r) -> str:
    if R.hidden(r):
        R.n_suppressed += 1
        return SYMBOL
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
    cap = R.tx("themes.table_caption", theme=R.theme_label(theme), level=R.tx.level)
    return R.table(header, rows, cap, f"tbl-{theme}")


def size_table(R, theme: str, ids: list[str]) -> str:
    last = R.waves[-1]
    gids = [ALL] + [g["id"] for g in R.groups]
    rows = [
        [R.ind_label(ind)] + [R.cell_pct(R.est(ind, last, g)) for g in gids]
        for ind in ids
        if R.est(ind, last) is not None
    ]
    if not rows:
        return ""
    header = [R.tx("common.indicator")] + [R.esc(R.group_label[g]) for g in gids]
    cap = R.tx("themes.size_caption", theme=R.theme_label(theme), year=last)
    return R.table(header, rows, cap, f"tbl-{theme}-size")


def render_theme(R, theme: str) -> str:
    tx = R.tx
    figs = R.ctx["indicators"].get("figures", {})
    share_ids = indicator_ids(R, theme, ("shares",))
    mean_ids = indicator_ids(R, theme, ("means",))
    first, last = R.waves[0], R.waves[-1]
    parts = [
        R.heading(1, "themes.heading", f"sec-{theme}", name=R.theme_label(theme)),
        tx(f"themes.intro_{theme}")
        + " "
        + tx("themes.clear_rule", level=tx.level, first=R.first, last=R.second),
        "\n".join(f"- {s}" for s in change_lines(R, share_ids)),
    ]
    for ind in figs.get("by_size", []):
        if ind in share_ids:
            cap = tx(
                "themes.size_fig", name=R.ind_label(ind), first=first, last=last, level=tx.level
            )
            parts.append(R.fig(f"fig_size_{ind}", cap))
    if theme in figs.get("trends", {}):
        parts.append(
            R.fig(f"fig_trend_{theme}", tx("themes.trend_fig", theme=R.theme_label(theme)))
        )
    for spec in R.ctx["indicators"]["composites"]:
        if spec["theme"] == theme:
            cap = tx("themes.composite_fig", name=R.label(spec), year=last)
            parts.append(R.fig(f"fig_composite_{spec['id']}", cap))
    if theme == "competence":
        xw = figs.get("crosstab_wave", last)
        xw = xw if xw in R.waves else last
        parts.append(crosstab_text(R, xw))
        parts.append(R.fig("fig_crosstab", tx("themes.crosstab_fig", year=xw)))
        parts.append(R.fig("fig_barrier_dist", tx("themes.barrier_fig")))
    parts.append(theme_table(R, theme, share_ids + mean_ids))
    parts.append(size_table(R, theme, share_ids))
    parts.append(R.source_line())
    return "\n\n".join(p for p in parts if p) + "\n"


def render(R) -> str:
    return "\n".join(render_theme(R, theme) for theme in THEMES)
