"""Figures of the indicator stage, mirroring the report's: shares by size group (first vs
last wave), trend lines by wave, the four-group composites by size group, the competence
barrier by recruitment status, and the barrier distribution by wave."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import Settings, label
from .disclosure import SYMBOL, suppress
from .figures import PALETTE, save_figure, setup_style, t, text, wrap_group
from .indicators import ALL


def _ind_label(settings: Settings, ind: str) -> str:
    for spec in settings.indicators["shares"] + settings.indicators["means"]:
        if spec["id"] == ind:
            return label(spec, settings.lang)
    return ind


def _group_labels(settings: Settings) -> dict[str, str]:
    return {g["id"]: label(g, settings.lang) for g in settings.size_groups}


def plot_size(shares: pd.DataFrame, settings: Settings, ind: str, waves: list[int]):
    import matplotlib.pyplot as plt

    lang = settings.lang
    first, last = waves[0], waves[-1]
    d = shares[
        (shares.indicator == ind)
        & (~shares.weighted)
        & (shares.group != ALL)
        & shares.year.isin([first, last])
    ]
    groups = [g["id"] for g in settings.size_groups]
    glabels = _group_labels(settings)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    width = 0.38
    x = np.arange(len(groups))
    lines = []
    for j, (year, colour) in enumerate(((first, PALETTE[4]), (last, PALETTE[0]))):
        dy = d[d.year == year].set_index("group").reindex(groups)
        est = dy["estimate"].to_numpy(dtype=float) * 100
        err = np.vstack(
            [
                est - dy["conf_low"].to_numpy(dtype=float) * 100,
                dy["conf_high"].to_numpy(dtype=float) * 100 - est,
            ]
        )
        ax.bar(
            x + (j - 0.5) * width,
            est,
            width,
            yerr=err,
            capsize=2,
            color=colour,
            label=str(year),
            error_kw={"elinewidth": 0.8, "ecolor": "#444444"},
        )
        for xi, hidden in zip(
            x, dy.get("suppressed", pd.Series(False, index=dy.index)).fillna(False), strict=True
        ):
            if hidden:
                ax.text(xi + (j - 0.5) * width, 2, SYMBOL, ha="center", va="bottom", fontsize=11)
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
    ax.set_title(_ind_label(settings, ind), loc="left", fontsize=11)
    ax.legend(frameon=False, ncols=2, loc="upper left")
    alt = t(
        "size_alt",
        lang,
        name=_ind_label(settings, ind),
        first=first,
        last=last,
        values="; ".join(lines),
    )
    return fig, alt


def plot_trend(shares: pd.DataFrame, settings: Settings, theme: str, inds: list[str]):
    import matplotlib.pyplot as plt

    lang = settings.lang
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    parts = []
    for i, ind in enumerate(inds):
        d = shares[(shares.indicator == ind) & (~shares.weighted) & (shares.group == ALL)]
        d = d.sort_values("year")
        c = PALETTE[i % len(PALETTE)]
        ax.plot(d.year, d.estimate * 100, marker="o", color=c, label=_ind_label(settings, ind))
        ax.fill_between(d.year, d.conf_low * 100, d.conf_high * 100, color=c, alpha=0.15, lw=0)
        parts.append(
            _ind_label(settings, ind)
            + ": "
            + ", ".join(f"{y} {text(lang).pct(v)}" for y, v in zip(d.year, d.estimate, strict=True))
        )
    years = sorted(shares.year.unique())
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_ylim(0, 100)
    ax.set_ylabel(t("share", lang))
    ax.set_title(label(settings.codebook["themes"][theme], lang), loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8.5, loc="upper left", bbox_to_anchor=(0, -0.12), ncols=1)
    return fig, t("trend_alt", lang, values="; ".join(parts))


def plot_composite(composites: pd.DataFrame, settings: Settings, spec: dict, wave: int):
    import matplotlib.pyplot as plt

    lang = settings.lang
    groups = [ALL] + [g["id"] for g in settings.size_groups]
    glabels = {ALL: t("all", lang), **_group_labels(settings)}
    cats = ["both", "y_only", "x_only", "neither"]
    colours = [PALETTE[0], PALETTE[4], PALETTE[1], "#BBBBBB"]
    d = composites[(composites.composite == spec["id"]) & (composites.year == wave)]
    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    left = np.zeros(len(groups))
    y = np.arange(len(groups))[::-1]
    for cat, colour in zip(cats, colours, strict=True):
        v = (
            d[d.category == cat].set_index("group").reindex(groups)["estimate"].fillna(0).to_numpy()
            * 100
        )
        ax.barh(y, v, left=left, color=colour, label=label(spec["groups"][cat], lang), height=0.7)
        for yi, (li, vi) in enumerate(zip(left, v, strict=True)):
            if vi >= 7:
                ax.text(
                    li + vi / 2,
                    y[yi],
                    f"{vi:.0f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if colour in (PALETTE[0],) else "black",
                )
        left += v
    ax.set_yticks(y, [glabels[g] for g in groups], fontsize=8.5)
    ax.set_xlim(0, 100)
    ax.set_xlabel(t("share", lang))
    ax.grid(False)
    ax.set_title(f"{label(spec, lang)}, {wave}", loc="left", fontsize=11)
    ax.legend(frameon=False, fontsize=8, ncols=2, loc="upper left", bbox_to_anchor=(0, -0.13))
    nat = d[d.group == ALL].set_index("category")["estimate"]
    values = ", ".join(
        f"{label(spec['groups'][c], lang)} {text(lang).pct(nat.get(c, np.nan))}" for c in cats
    )
    return fig, t("composite_alt", lang, name=label(spec, lang), year=wave, values=values)


def plot_crosstab(crosstab: pd.DataFrame, settings: Settings, wave: int):
    import matplotlib.pyplot as plt

    lang = settings.lang
    levels = settings.codebook["variables"]["competence_barrier"]["levels"]
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
    min_cell: int | None = None,
) -> list[str]:
    """Draw every figure of figure_ids(settings) into outdir/fig_<id>.{png,svg,alt.txt}.
    With real microdata (``min_cell`` set), cells on fewer municipalities are left out and
    marked ":"."""
    setup_style(settings.indicators["confidence"])
    shares = suppress(shares, min_cell)
    composites = suppress(composites, min_cell)
    crosstab = suppress(crosstab, min_cell)
    lang = settings.lang
    waves = sorted(int(y) for y in shares.year.unique())
    figs = settings.indicators.get("figures", {})
    made = []

    def out(fid, fig_alt):
        fig, alt = fig_alt
        base = f"{outdir}/fig_{fid}"
        save_figure(fig, f"{base}.png", f"{base}.svg", f"{base}.alt.txt", alt, lang, synthetic)
        made.append(fid)

    for ind in figs.get("by_size", []):
        out(f"size_{ind}", plot_size(shares, settings, ind, waves))
    for theme, inds in figs.get("trends", {}).items():
        out(f"trend_{theme}", plot_trend(shares, settings, theme, inds))
    for spec in settings.indicators["composites"]:
        out(f"composite_{spec['id']}", plot_composite(composites, settings, spec, waves[-1]))
    xw = figs.get("crosstab_wave", waves[-1])
    out("crosstab", plot_crosstab(crosstab, settings, xw if xw in waves else waves[-1]))
    out("barrier_dist", plot_barrier_dist(shares, settings))
    return made


def plot_replication(card: pd.DataFrame, lang: str, role: str):
    """Published (point or interval) against reproduced value for the computable published
    statistics of one role (validation or calibration; one point per distinct statistic,
    its primary form): calibration and validation are separate figures."""
    import matplotlib.pyplot as plt

    d = card[
        card.reproduced.notna()
        & (card.reference == "published")
        & (card.role == role)
        & card.primary.astype(str).str.lower().eq("true")
    ].copy()
    ok = d.within_tolerance.astype(str).str.lower().eq("true")
    fig, ax = plt.subplots(figsize=(6.2, 5.6))
    ax.plot([0, 100], [0, 100], color="#777777", lw=1, ls="--", zorder=1)
    lo = d.published_low * 100
    hi = d.published_high * 100
    mid = (lo + hi) / 2
    ax.errorbar(
        mid,
        d.reproduced * 100,
        xerr=[mid - lo, hi - mid],
        fmt="none",
        ecolor="#999999",
        elinewidth=0.8,
        zorder=2,
    )
    ax.scatter(
        mid[ok],
        d.reproduced[ok] * 100,
        color=PALETTE[0],
        marker="o",
        s=28,
        zorder=3,
        label=t("within", lang),
    )
    ax.scatter(
        mid[~ok],
        d.reproduced[~ok] * 100,
        color=PALETTE[5],
        marker="X",
        s=40,
        zorder=3,
        label=t("outside", lang),
    )
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_aspect("equal")
    ax.grid(True, axis="both")
    ax.set_xlabel(t("published_x", lang))
    ax.set_ylabel(t("reproduced_y", lang))
    ax.legend(frameon=False, loc="upper left")
    return fig, t(f"replication_alt_{role}", lang, n=len(d), ok=int(ok.sum()))
