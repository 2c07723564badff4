"""SSB's published figures as figures: the published values of each theme by year (drawn
into the indicator stage's figures) and the replication figures, published against
reproduced values, one for the calibration and one for the validation statistics (rule
``replication_figure``). Every value drawn here is SSB's or the scorecard's; none is
estimated in this module."""

from __future__ import annotations

import pandas as pd

from .config import Settings
from .figures import PALETTE, t, text
from .text import label


def indicator_label(settings: Settings, ind: str) -> str:
    """The label of a share or mean indicator in the report language (its id if none)."""
    for spec in settings.indicators["shares"] + settings.indicators["means"]:
        if spec["id"] == ind:
            return label(spec, settings.lang)
    return ind


def theme_ids(settings: Settings) -> list[str]:
    """The themes of the configured shares and means, in config order."""
    out: list[str] = []
    for spec in settings.indicators["shares"] + settings.indicators["means"]:
        if spec["theme"] not in out:
            out.append(spec["theme"])
    return out


def published_points(card: pd.DataFrame, settings: Settings, theme: str) -> pd.DataFrame:
    """SSB's published figures of a theme's indicators from the scorecard, one per distinct
    statistic (no alias, no county or subgroup of its own): indicator, year, band (the
    published size band, "" = the indicator's population), value in percent and bound
    (">" / "<" for "more than" / "under", else "")."""
    ids = [
        s["id"]
        for s in settings.indicators["shares"] + settings.indicators["means"]
        if s["theme"] == theme
    ]
    mapping = settings.indicators.get("replication", {}).get("map", {})
    d = card[card.reference.eq("published") & card.indicator.isin(ids)]
    if "same_as" in d:
        d = d[d.same_as.fillna("").astype(str).eq("")]
    rows = []
    for r in d.itertuples():
        m = mapping.get(r.target_id, {})
        if m.get("county") or m.get("among"):
            continue
        value = str(r.published).strip()
        bound = value[0] if value[:1] in "<>" else ""
        lo, hi = float(r.published_low), float(r.published_high)
        point = lo if bound == ">" else hi if bound == "<" else (lo + hi) / 2
        pop = m.get("population")
        rows.append(
            dict(
                indicator=r.indicator,
                year=int(r.year),
                band="" if not pop else f"{pop[0]}-{pop[1] or ''}",
                lower=(pop or [0])[0] or 0,
                value=100 * point,
                bound=bound,
            )
        )
    return pd.DataFrame(
        rows, columns=["indicator", "year", "band", "lower", "value", "bound"]
    ).sort_values(["indicator", "lower", "year"])


def _band_text(band: str, lang: str) -> str:
    lo, hi = band.split("-")
    tx = text(lang)
    if not hi:
        return tx("findings.band_ge", lower=tx.num(int(lo)))
    if not int(lo):
        return tx("findings.band_lt", upper=tx.num(int(hi)))
    return tx("findings.band_between", lower=tx.num(int(lo)), upper=tx.num(int(hi) - 1))


def plot_published(card: pd.DataFrame, settings: Settings, theme: str, waves: list[int]):
    """SSB's published figures of a theme by year: one line per indicator (all
    municipalities), published size bands as separate markers; "more than" / "under" as
    open triangles. Every value is SSB's, none is computed here."""
    import matplotlib.pyplot as plt

    lang = settings.lang
    d = published_points(card, settings, theme)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    parts = []
    series = list(d.groupby(["indicator", "band"], sort=False))
    order = list(dict.fromkeys(d.indicator))
    for (ind, band), g in series:
        # an indicator's colour; its published size bands in the same colour, as squares
        colour = PALETTE[order.index(ind) % 6]
        name = indicator_label(settings, ind) + (f" ({_band_text(band, lang)})" if band else "")
        ax.plot(g.year, g.value, color=colour, lw=1.2 if not band else 0, label=name,
                marker="s" if band else "o", ms=5 if band else 0)  # fmt: skip
        for r in g.itertuples():
            marker = {"": "s" if band else "o", ">": "^", "<": "v"}[r.bound]
            ax.plot(r.year, r.value, marker=marker, ms=6, color=colour,
                    mfc="white" if r.bound else colour)  # fmt: skip
            ax.annotate(f"{r.bound}{text(lang).num(r.value)}", (r.year, r.value),
                        textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7.5)  # fmt: skip
        parts.append(
            name
            + ": "
            + ", ".join(
                f"{r.year} {r.bound}{text(lang).pct(r.value / 100)}" for r in g.itertuples()
            )
        )
    years = sorted(set(waves) | set(d.year))
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlim(min(years) - 0.5, max(years) + 0.5)
    ax.set_ylim(0, 100)
    ax.set_ylabel(t("share", lang))
    ax.set_title(label(settings.codebook["themes"][theme], lang), loc="left", fontsize=11)
    if series:
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.1))
    else:
        ax.text(0.5, 0.5, t("published_none", lang), ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
    return fig, t("published_alt", lang, values="; ".join(parts) or t("published_none", lang))


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
