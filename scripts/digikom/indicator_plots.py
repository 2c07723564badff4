"""Figures of the indicator stage, mirroring the report's: shares by size group, trend lines
by wave, the four-group composites by size group, recruitment status by competence-barrier
level (the cross-tab), and the barrier distribution by wave; with SSB's published figures
of each theme (drawn by digikom.published_plots).

Waves: the original report's frame first (report.comparison, 2018 and 2022), then the
last update wave (2024). Intervals: error bars and bands only where the data support
them (digikom.support: real microdata); the synthetic panel is drawn as points, a
demonstration of what microdata will fill. Disclosure control (real microdata): primary
and secondary suppression (digikom.disclosure)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import Settings, figure_id, figure_stem
from .disclosure import SYMBOL
from .figures import PALETTE, save_figure, setup_style, t, text, wrap_group
from .indicators import ALL, crosstab_levels
from .published_plots import indicator_label, plot_published, theme_ids
from .support import Support
from .text import label


def frame_years(settings: Settings, waves: list[int]) -> list[int]:
    """The original's comparison (report.comparison within the waves), then the last
    update wave."""
    from .waves import comparison_waves

    cmp = comparison_waves({**settings.config, "waves": waves})
    years = [cmp["from"], cmp["to"]]
    return years + cmp["update"][-1:]


def _year_label(year: int, years: list[int], lang: str) -> str:
    return t("update_year", lang, year=year) if len(years) > 2 and year == years[-1] else str(year)


def _group_labels(settings: Settings) -> dict[str, str]:
    return {g["id"]: label(g, settings.lang) for g in settings.size_groups}


def plot_size(
    shares: pd.DataFrame,
    settings: Settings,
    ind: str,
    years: list[int],
    intervals: bool = True,
    *,
    confidence: float,
):
    """Bars of an indicator by size group, one per wave of ``years``; error bars at the
    ``confidence`` level where the data support ``intervals``."""
    import matplotlib.pyplot as plt

    lang = settings.lang
    d = shares[
        (shares.indicator == ind)
        & (~shares.weighted)
        & (shares.group != ALL)
        & shares.year.isin(years)
    ]
    groups = [g["id"] for g in settings.size_groups]
    glabels = _group_labels(settings)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    width = 0.8 / len(years)
    x = np.arange(len(groups))
    lines = []
    colours = [PALETTE[4], PALETTE[0], "#9FB8D6"]
    for j, year in enumerate(years):
        dy = d[d.year == year].set_index("group").reindex(groups)
        est = dy["estimate"].to_numpy(dtype=float) * 100
        pos = x + (j - (len(years) - 1) / 2) * width
        kw = {}
        if intervals:
            kw = dict(
                yerr=np.vstack(
                    [
                        est - dy["conf_low"].to_numpy(dtype=float) * 100,
                        dy["conf_high"].to_numpy(dtype=float) * 100 - est,
                    ]
                ),
                capsize=2,
                error_kw={"elinewidth": 0.8, "ecolor": "#444444"},
            )
        ax.bar(
            pos,
            est,
            width,
            color=colours[j % len(colours)],
            hatch="//" if len(years) > 2 and j == len(years) - 1 else None,
            edgecolor="white",
            linewidth=0,
            label=_year_label(year, years, lang),
            **kw,
        )
        for xi, hidden in zip(
            pos, dy.get("suppressed", pd.Series(False, index=dy.index)).fillna(False), strict=True
        ):
            if hidden:
                ax.text(xi, 2, SYMBOL, ha="center", va="bottom", fontsize=11)
        lines.append(
            f"{year}: "
            + ", ".join(
                f"{glabels[g]} {text(lang).pct(v / 100)}"
                for g, v in zip(groups, est, strict=True)
                if not np.isnan(v)
            )
        )
    ax.set_xticks(x, [wrap_group(glabels[g]) for g in groups], fontsize=8.5)
    ax.set_ylabel(t("share", lang))
    ax.set_xlabel(t("size", lang))
    ax.set_ylim(0, 100)
    ax.set_title(indicator_label(settings, ind), loc="left", fontsize=11)
    ax.legend(frameon=False, ncols=len(years), loc="upper center", bbox_to_anchor=(0.5, -0.22))
    alt = t(
        "size_alt" if intervals else "size_alt_points",
        lang,
        confidence,
        name=indicator_label(settings, ind),
        years=", ".join(map(str, years)),
        values="; ".join(lines),
    )
    return fig, alt


def plot_trend(
    shares: pd.DataFrame,
    settings: Settings,
    theme: str,
    inds: list[str],
    intervals: bool = True,
    *,
    confidence: float,
):
    """Lines of a theme's indicators across the waves (all municipalities); bands at the
    ``confidence`` level where the data support ``intervals``."""
    import matplotlib.pyplot as plt

    lang = settings.lang
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    parts = []
    for i, ind in enumerate(inds):
        d = shares[(shares.indicator == ind) & (~shares.weighted) & (shares.group == ALL)]
        d = d.sort_values("year")
        c = PALETTE[i % len(PALETTE)]
        ax.plot(d.year, d.estimate * 100, marker="o", color=c, label=indicator_label(settings, ind))
        if intervals:
            ax.fill_between(d.year, d.conf_low * 100, d.conf_high * 100, color=c, alpha=0.15, lw=0)
        parts.append(
            indicator_label(settings, ind)
            + ": "
            + ", ".join(f"{y} {text(lang).pct(v)}" for y, v in zip(d.year, d.estimate, strict=True))
        )
    years = sorted(shares.year.unique())
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_ylim(0, 100)
    ax.set_ylabel(t("share", lang))
    ax.set_title(label(settings.codebook["themes"][theme], lang), loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8.5, loc="upper left", bbox_to_anchor=(0, -0.12), ncols=1)
    alt = t(
        "trend_alt" if intervals else "trend_alt_points", lang, confidence, values="; ".join(parts)
    )
    return fig, alt


def plot_composite(composites: pd.DataFrame, settings: Settings, spec: dict, years: list[int]):
    """Stacked bars of the four groups by size group, one panel per wave of ``years``."""
    import matplotlib.pyplot as plt

    lang = settings.lang
    groups = [ALL] + [g["id"] for g in settings.size_groups]
    glabels = {ALL: t("all", lang), **_group_labels(settings)}
    cats = ["both", "y_only", "x_only", "neither"]
    colours = [PALETTE[0], PALETTE[4], PALETTE[1], "#BBBBBB"]
    fig, axes = plt.subplots(1, len(years), figsize=(7.5, 4.8), sharey=True, squeeze=False)
    fig.subplots_adjust(left=0.19, right=0.97, top=0.86, bottom=0.24, wspace=0.22)
    y = np.arange(len(groups))[::-1]
    parts = []
    for ax, year in zip(axes[0], years, strict=True):
        d = composites[(composites.composite == spec["id"]) & (composites.year == year)]
        left = np.zeros(len(groups))
        for cat, colour in zip(cats, colours, strict=True):
            v = (
                d[d.category == cat].set_index("group").reindex(groups)["estimate"]
                .fillna(0).to_numpy() * 100
            )  # fmt: skip
            ax.barh(
                y, v, left=left, color=colour, label=label(spec["groups"][cat], lang), height=0.7
            )
            for yi, (li, vi) in enumerate(zip(left, v, strict=True)):
                if vi >= 12:
                    ax.text(
                        li + vi / 2,
                        y[yi],
                        f"{vi:.0f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if colour in (PALETTE[0],) else "black",
                    )
            left += v
        ax.set_xlim(0, 100)
        ax.set_xticks([0, 50, 100], ["0", "50", "100"], fontsize=8)
        ax.grid(False)
        ax.set_title(_year_label(year, years, lang), fontsize=9.5)
        nat = d[d.group == ALL].set_index("category")["estimate"]
        parts.append(
            f"{year}: "
            + ", ".join(
                f"{label(spec['groups'][c], lang)} {text(lang).pct(nat.get(c, np.nan))}"
                for c in cats
            )
        )
    axes[0][0].set_yticks(y, [glabels[g] for g in groups], fontsize=8)
    fig.supxlabel(t("share", lang), fontsize=9, y=0.14)
    fig.suptitle(label(spec, lang), x=0.02, ha="left", fontsize=11)
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(
        handles, names, frameon=False, fontsize=8, ncols=2, loc="lower left",
        bbox_to_anchor=(0.02, 0.0),
    )  # fmt: skip
    alt = t(
        "composite_alt",
        lang,
        name=label(spec, lang),
        year=", ".join(map(str, years)),
        values="; ".join(parts),
    )
    return fig, alt


def plot_crosstab(crosstab: pd.DataFrame, settings: Settings, wave: int):
    import matplotlib.pyplot as plt

    lang = settings.lang
    _, levels = crosstab_levels(settings.indicators, settings.codebook)
    statuses = settings.indicators["crosstab"]["statuses"]
    d = crosstab[crosstab.year == wave]
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    x = np.arange(len(levels))
    width = 0.8 / len(statuses)
    parts = []
    for j, (sid, sspec) in enumerate(statuses.items()):
        v = d[d.status == sid].set_index("level").reindex(list(levels))["estimate"].to_numpy() * 100
        bars = ax.bar(
            x + (j - (len(statuses) - 1) / 2) * width,
            v,
            width,
            color=PALETTE[j],
            label=label(sspec, lang),
        )
        ax.bar_label(bars, fmt="%.0f", fontsize=7.5, padding=1)
        parts.append(label(sspec, lang) + ": " + ", ".join(text(lang).pct(vv / 100) for vv in v))
    ax.set_xticks(x, [label(lv, lang) for lv in levels.values()], fontsize=8.5)
    ax.set_ylim(0, 100)
    ax.set_ylabel(t("crosstab_y", lang))
    ax.set_title(t("crosstab_title", lang, year=wave), loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8.5, ncols=3, loc="upper left")
    levels_text = ", ".join(label(lv, lang) for lv in levels.values())
    return fig, t("crosstab_alt", lang, year=wave, levels=levels_text, values="; ".join(parts))


def plot_barrier_dist(shares: pd.DataFrame, settings: Settings):
    import matplotlib.pyplot as plt

    lang = settings.lang
    var = settings.codebook["variables"]["competence_barrier"]
    values = sorted(int(v) for v in var["values"])
    d = shares[
        shares.indicator.str.startswith("competence_barrier_dist_")
        & (~shares.weighted)
        & (shares.group == ALL)
    ]
    years = sorted(d.year.unique())
    colours = ["#BBBBBB", PALETTE[4], "#E5E5E5", PALETTE[1], PALETTE[5]]
    fig, ax = plt.subplots(figsize=(7.5, 3.6))
    parts = []
    left = np.zeros(len(years))
    yy = np.arange(len(years))[::-1]
    for v, colour in zip(values, colours, strict=False):
        s = d[d.indicator == f"competence_barrier_dist_{v}"].set_index("year").reindex(years)
        w = s["estimate"].fillna(0).to_numpy() * 100
        ax.barh(yy, w, left=left, color=colour, label=label(var["values"][v], lang), height=0.65)
        parts.append(
            label(var["values"][v], lang)
            + ": "
            + ", ".join(f"{y} {text(lang).pct(x / 100)}" for y, x in zip(years, w, strict=True))
        )
        for i, (li, wi) in enumerate(zip(left, w, strict=True)):
            if wi >= 6:
                ax.text(li + wi / 2, yy[i], f"{wi:.0f}", ha="center", va="center", fontsize=8)
        left += w
    ax.set_yticks(yy, [str(y) for y in years])
    ax.set_xlim(0, 100)
    ax.grid(False)
    ax.set_xlabel(t("barrier_x", lang))
    ax.set_title(label(var, lang), loc="left", fontsize=10.5)
    ax.legend(frameon=False, fontsize=8, ncols=3, loc="upper left", bbox_to_anchor=(0, -0.18))
    return fig, t("barrier_alt", lang, values="; ".join(parts))


def draw_all(
    shares: pd.DataFrame,
    composites: pd.DataFrame,
    crosstab: pd.DataFrame,
    settings: Settings,
    outdir: str,
    synthetic: bool,
    scorecard: pd.DataFrame | None = None,
) -> list[str]:
    """Draw every figure of figure_ids(settings) into outdir/fig_<id>.{png,svg,alt.txt}
    from the public tables (``suppressed`` from their status: rule public_tables): hidden
    cells are left out and marked ":"; intervals only where the data support them
    (digikom.support)."""
    setup_style()
    confidence = settings.indicators["confidence"]
    support = Support.of(synthetic)
    intervals = support.intervals
    lang = settings.lang
    waves = sorted(int(y) for y in shares.year.unique())
    years = frame_years(settings, waves)
    figs = settings.indicators.get("figures", {})
    made = []

    def out(fid, fig_alt, source=None, synthetic=synthetic):
        fig, alt = fig_alt
        base = f"{outdir}/{figure_stem(fid)}"
        save_figure(
            fig, f"{base}.png", f"{base}.svg", f"{base}.alt.txt", alt, lang, synthetic, source
        )
        made.append(fid)

    for ind in figs.get("by_size", []):
        fig_alt = plot_size(shares, settings, ind, years, intervals, confidence=confidence)
        out(figure_id("size", ind), fig_alt)
    for theme, inds in figs.get("trends", {}).items():
        fig_alt = plot_trend(shares, settings, theme, inds, intervals, confidence=confidence)
        out(figure_id("trend", theme), fig_alt)
    for spec in settings.indicators["composites"]:
        out(figure_id("composite", spec["id"]), plot_composite(composites, settings, spec, years))
    xw = figs.get("crosstab_wave", waves[-1])
    out(figure_id("crosstab"), plot_crosstab(crosstab, settings, xw if xw in waves else waves[-1]))
    out(figure_id("barrier_dist"), plot_barrier_dist(shares, settings))
    if scorecard is not None:
        for theme in theme_ids(settings):
            # SSB's figures, not the panel's: SSB's source line and no synthetic mark
            out(
                figure_id("published", theme),
                plot_published(scorecard, settings, theme, waves),
                source=t("source_published", lang),
                synthetic=False,
            )
    return made
