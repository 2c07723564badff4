"""Figures of the models stage: a coefficient plot per model (estimates with confidence
intervals, log-odds scale for logit/binomial/ordinal) and predicted probabilities by size
group and wave for the logit models. Terms are shown in readers' words
(:func:`digikom.models.term_label`); texts come from reports/strings/models.yaml. A failed
model gets a figure that says so, not an empty plot."""

from __future__ import annotations

import json
import re
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .figures import PALETTE, save_figure, setup_style, text
from .models.labels import Labels, level_label, term_label
from .models.reader_warnings import short_warning
from .protection.models import read_model_table
from .text import label


def _read_json(path) -> dict:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _wrap(label: str, width: int) -> str:
    """Wrap a tick label, never inside a number with a thousands space ("2 000")."""
    return textwrap.fill(re.sub(r"(\d) (\d{3})", "\\1\u00a0\\2", label), width)


def _settings(labels: dict) -> Labels:
    """A rule's ``labels`` param (:func:`~digikom.models.labels.label_settings`) as the
    ``settings`` argument of :func:`~digikom.models.labels.term_label`."""
    return Labels.from_param(labels)


def model_title(settings: Labels, info: dict, lang: str) -> str:
    """A model's title from the rule's ``labels`` param (its id if it has none there)."""
    entries = settings.models.get(info.get("model"))
    return label(entries, lang) if entries else str(info.get("model"))


def plot_coefficients(
    coef_path, json_path, spec, labels, lang, confidence, synthetic, png, svg, alt
):
    setup_style()
    tx = text(lang, confidence)
    settings = _settings(labels)
    info = _read_json(json_path)
    spec = {**spec, "reference": info.get("reference") or spec.get("reference") or {}}
    title = model_title(settings, info, lang)
    coef = read_model_table(coef_path, "coefficients")
    hidden = bool(coef["suppressed"].any())
    if len(coef):
        coef = coef[(coef["term_type"] == "coefficient") & ~coef["suppressed"]]
    names = [term_label(t, spec, settings, tx) for t in coef["term"]] if len(coef) else []
    height = 0.42 * max(len(coef), 3) + 1.6
    width = 7.5 if max((len(n) for n in names), default=0) < 40 else 10
    fig, ax = plt.subplots(figsize=(width, height))
    if hidden:  # disclosure control: the model restates hidden cells (digikom.protection)
        msg = tx("figures.model_suppressed")
        ax.text(0.5, 0.5, msg, ha="center", va="center", wrap=True, fontsize=9)
        ax.set_axis_off()
        alt_text = f"{title}. {msg}"
    elif info.get("status") == "failed" or coef.empty:
        msg = tx("figures.failed")
        reasons = short_warning(info.get("warnings", []), spec, settings, tx)
        msg += ":\n" + reasons if reasons else ""
        ax.text(0.5, 0.5, msg, ha="center", va="center", wrap=True, fontsize=9)
        ax.set_axis_off()
        alt_text = f"{title}. {msg}"
    else:
        coef = coef.assign(label=names).iloc[::-1]
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
            ax.text(0, y, tx("figures.separation"), va="center", ha="center", fontsize=8)
        ax.axvline(0, color="#555555", lw=0.8)
        ax.set_yticks(ypos, [_wrap(n, 56) for n in coef["label"]])
        ax.grid(axis="x", color="#d9d9d9")
        ax.grid(axis="y", visible=False)
        axis = "figures.linear" if info.get("family") == "linear" else "figures.logodds"
        ax.set_xlabel(tx(axis, level=tx.level))
        parts = [
            tx(
                "models.coef_alt",
                term=r.label,
                estimate=tx.num(r.estimate, 2),
                low=tx.num(r.conf_low, 2),
                high=tx.num(r.conf_high, 2),
            )
            for r in coef.iloc[::-1].itertuples()
            if np.isfinite(r.estimate)
        ]
        alt_text = f"{title} (n = {info.get('n_obs')}). " + "; ".join(parts) + "."
    # warnings in readers' words (the raw text stays in the model's JSON and log), as a
    # note under the title, never over it
    note = short_warning(info.get("warnings", []), spec, settings, tx)
    if note and info.get("status") != "failed" and not coef.empty:
        alt_text += " " + note.replace("\n", " ")
        shown = "\n".join("⚠ " + textwrap.fill(x, int(9 * width)) for x in note.splitlines())
        ax.set_title(title, loc="left", fontsize=11, pad=10 + 10 * (shown.count("\n") + 1))
        ax.text(
            0,
            1.01,
            shown,
            transform=ax.transAxes,
            fontsize=7.5,
            va="bottom",
            ha="left",
            color="#B00020",
        )
    else:
        ax.set_title(title, loc="left", fontsize=11)
    fig.tight_layout()
    save_figure(fig, png, svg, alt, alt_text, lang, synthetic)


def plot_predictions(pred_paths, json_paths, labels, lang, confidence, synthetic, png, svg, alt):
    """One panel per logit model (two per row), size groups in config order on the x axis,
    one marker per wave; large enough to read at page width. ``pred_paths``: the models'
    own protected prediction tables (results/public/models/<id>/predictions.csv), so that
    the figure does not wait for the collected table; hidden predictions are marked ":"."""
    setup_style()
    tx = text(lang, confidence)
    settings = _settings(labels)
    infos = [_read_json(p) for p in json_paths]
    logits = [i for i in infos if i.get("family") == "logit" and i.get("status") != "failed"]
    pred = [read_model_table(p, "predictions") for p in pred_paths]
    pred = [d for d in pred if len(d)] or pred[:1]
    pred = pd.concat(pred, ignore_index=True)
    pred["category"] = pred["category"].astype("string")
    order = [g["id"] for g in settings.size_groups]
    glabel = {g: level_label("size_group", g, settings, tx) for g in order}
    n = max(len(logits), 1)
    ncols = min(n, 2)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(5.6 * ncols, 4.6 * nrows), sharey=True, squeeze=False
    )
    flat = list(axes.flat)
    alt_parts = []
    if not logits:
        flat[0].text(0.5, 0.5, tx("figures.none"), ha="center", va="center")
        flat[0].set_axis_off()
    for ax in flat[len(logits) :] if logits else []:
        ax.set_axis_off()
    for ax, info in zip(flat, logits, strict=False):
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
                ms=5,
                capsize=2,
                color=PALETTE[k % len(PALETTE)],
                label=str(int(year)),
            )
        ax.set_xticks(
            np.arange(len(order)), [glabel[g] for g in order], rotation=30, ha="right", fontsize=9
        )
        ax.set_ylim(0, 100)
        ax.set_title(
            textwrap.fill(model_title(settings, info, lang), 48),
            loc="left",
            fontsize=10,
        )
        ax.set_xlabel(tx("figures.size"))
        if ax.get_subplotspec().is_first_col():
            ax.set_ylabel(tx("figures.prob_short"))
        last = d[d["year"] == years[-1]] if years else d
        alt_parts.append(
            f"{model_title(settings, info, lang)}: {int(years[-1]) if years else ''} "
            + ", ".join(
                tx(
                    "figures.value",
                    name=glabel.get(r.size_group, r.size_group),
                    v=tx.pct(r.estimate),
                )  # fmt: skip
                for r in last.set_index("size_group").reindex(order).reset_index().itertuples()
                if np.isfinite(r.estimate)
            )
        )
    if logits:
        handles, leg = flat[0].get_legend_handles_labels()
        fig.legend(
            handles,
            leg,
            title=tx("figures.year"),
            fontsize=9,
            frameon=False,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncols=len(leg),
        )
    fig.tight_layout()
    alt_text = tx("figures.prob", level=tx.level) + ". " + ". ".join(alt_parts) + "."
    save_figure(fig, png, svg, alt, alt_text, lang, synthetic)
