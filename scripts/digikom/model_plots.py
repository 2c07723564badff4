"""Figures of the models stage: a coefficient plot per model (estimates with 95 % CIs,
log-odds scale for logit/binomial/ordinal) and predicted probabilities by size group and
wave for the logit models. A failed model gets a figure that says so, not an empty plot."""

from __future__ import annotations

import json
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .figures import PALETTE, save_figure, setup_style, t


def _read_json(path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def plot_coefficients(coef_path, json_path, lang, synthetic, png, svg, alt):
    setup_style()
    info = _read_json(json_path)
    title = info.get("label", {}).get(lang) or info.get("model")
    coef = pd.read_csv(coef_path)
    if len(coef):
        coef = coef[coef["term_type"] == "coefficient"]
    fig, ax = plt.subplots(figsize=(7, 0.45 * max(len(coef), 3) + 1.6))
    if info.get("status") == "failed" or coef.empty:
        msg = t("failed", lang) + ":\n" + "\n".join(info.get("warnings", []))
        ax.text(0.5, 0.5, msg, ha="center", va="center", wrap=True, fontsize=9)
        ax.set_axis_off()
        alt_text = f"{title}. {msg}"
    else:
        coef = coef.iloc[::-1]
        ypos = np.arange(len(coef))
        ok = coef["estimate"].notna().to_numpy()
        est = coef["estimate"].to_numpy(float)
        lo, hi = coef["conf_low"].to_numpy(float), coef["conf_high"].to_numpy(float)
        ax.errorbar(
            est[ok],
            ypos[ok],
            xerr=[est[ok] - lo[ok], hi[ok] - est[ok]],
            fmt="o",
            color=PALETTE[0],
            ecolor=PALETTE[0],
            capsize=3,
        )
        for y in ypos[~ok]:
            ax.text(0, y, t("separation", lang), va="center", ha="center", fontsize=8)
        ax.axvline(0, color="#555555", lw=0.8)
        ax.set_yticks(ypos, coef["term"].tolist())
        ax.grid(axis="x", color="#d9d9d9")
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(t("linear" if info.get("family") == "linear" else "logodds", lang))
        parts = [
            f"{r.term}: {r.estimate:.2f} ({r.conf_low:.2f} to {r.conf_high:.2f})"
            for r in coef.iloc[::-1].itertuples()
            if np.isfinite(r.estimate)
        ]
        alt_text = f"{title} (n = {info.get('n_obs')}). " + "; ".join(parts) + "."
        if info.get("warnings"):
            alt_text += " " + " ".join(info["warnings"])
    ax.set_title(title, loc="left", fontsize=11)
    if info.get("status") == "warning":
        fig.text(
            0.01,
            0.99,
            "⚠ " + "; ".join(info.get("warnings", []))[:160],
            fontsize=7,
            va="top",
            color="#B00020",
        )
    fig.tight_layout()
    save_figure(fig, png, svg, alt, alt_text, lang, synthetic)


def plot_predictions(pred_path, json_paths, size_groups, lang, synthetic, png, svg, alt):
    setup_style()
    infos = [_read_json(p) for p in json_paths]
    logits = [i for i in infos if i.get("family") == "logit" and i.get("status") != "failed"]
    pred = pd.read_csv(pred_path, dtype={"category": str, "size_group": str})
    order = [g["id"] for g in size_groups]
    glabel = {g["id"]: g.get(lang) or g["id"] for g in size_groups}
    n = max(len(logits), 1)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 4.2), sharey=True, squeeze=False)
    alt_parts = []
    if not logits:
        axes[0, 0].text(0.5, 0.5, t("none", lang), ha="center", va="center")
        axes[0, 0].set_axis_off()
    for ax, info in zip(axes[0], logits, strict=False):
        d = pred[(pred["model"] == info["model"]) & (pred["quantity"] == "prediction")]
        d = d[d["size_group"].isin(order)]
        years = sorted(d["year"].dropna().unique())
        width = 0.8 / max(len(years), 1)
        for k, year in enumerate(years):
            dy = d[d["year"] == year].set_index("size_group").reindex(order)
            x = np.arange(len(order)) - 0.4 + width * (k + 0.5)
            est = dy["estimate"].to_numpy(float)
            ax.errorbar(
                x,
                100 * est,
                yerr=[100 * (est - dy["conf_low"]), 100 * (dy["conf_high"] - est)],
                fmt="o",
                ms=4,
                capsize=2,
                color=PALETTE[k % len(PALETTE)],
                label=str(int(year)),
            )
        ax.set_xticks(np.arange(len(order)), [glabel[g] for g in order], rotation=45, ha="right")
        ax.set_ylim(0, 100)
        ax.set_title(
            textwrap.fill(info.get("label", {}).get(lang) or info["model"], 38),
            loc="left",
            fontsize=9,
        )
        ax.set_xlabel(t("size", lang))
        last = d[d["year"] == years[-1]] if years else d
        alt_parts.append(
            f"{info.get('label', {}).get(lang)}: {int(years[-1]) if years else ''} "
            + ", ".join(
                f"{glabel.get(r.size_group, r.size_group)} {100 * r.estimate:.0f} %"
                for r in last.set_index("size_group").reindex(order).reset_index().itertuples()
                if np.isfinite(r.estimate)
            )
        )
    axes[0, 0].set_ylabel(t("prob_short", lang))
    if logits:
        handles, labels = axes[0, -1].get_legend_handles_labels()
        fig.legend(
            handles,
            labels,
            title=t("year", lang),
            fontsize=8,
            frameon=False,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncols=len(labels),
        )
    fig.tight_layout()
    alt_text = t("prob", lang) + ". " + ". ".join(alt_parts) + "."
    save_figure(fig, png, svg, alt, alt_text, lang, synthetic)
