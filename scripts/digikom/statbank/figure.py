"""The figure of a fetched StatBank table, drawn from its view (:mod:`.view`): small
multiples, one per panel, with SSB's status symbols, its alt text and its source line;
and rule ``statbank_figure``, which writes the view and the figure."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

from ..io import write_json
from .view import all_series, resolve_view


def plot_view(view: dict):
    """Small multiples: one line chart per panel (one line per series, gaps where SSB
    shows no number; a cell with a status symbol is marked with the symbol at the axis),
    sharing the y axis and one legend."""
    import matplotlib.pyplot as plt

    from ..figures import setup_style

    setup_style()
    panels = view["panels"]
    n = len(panels)
    ncols = 1 if n == 1 else 2 if n <= 4 else 3
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(7.0 if n == 1 else 7.5, 3.6 if n == 1 else 1.4 + 2.4 * nrows),
        sharey=True,
        squeeze=False,
    )
    xs = list(range(len(view["axis"]["codes"])))
    handles = {}
    values = [v for s in all_series(view) for v in s["values"] if v is not None]
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.set_visible(False)
            continue
        panel = panels[i]
        for k, s in enumerate(panel["series"]):
            ys = [math.nan if v is None else v for v in s["values"]]
            (line,) = ax.plot(xs, ys, marker="o", color=f"C{k % 10}", label=s["label"])
            handles.setdefault(s["label"], line)
            for x, sym in zip(xs, s["status"], strict=True):
                if sym:
                    ax.annotate(
                        sym,
                        (x, 0),
                        xycoords=("data", "axes fraction"),
                        xytext=(0, 3),
                        textcoords="offset points",
                        ha="center",
                        color=line.get_color(),
                        fontsize=9,
                        fontweight="bold",
                    )
        ax.set_xticks(xs, view["axis"]["labels"])
        ax.set_xlim(-0.5 if len(xs) == 1 else None, 0.5 if len(xs) == 1 else None)
        if panel["label"]:
            ax.set_title(textwrap.fill(panel["label"], 45), fontsize=9, loc="left")
        if i % ncols == 0:
            units = sorted({s["unit"] for s in panel["series"] if s["unit"]})
            if len(units) == 1:
                ax.set_ylabel(units[0])
    # one scale for all panels, from 0 to above the largest value
    axes[0][0].set_ylim(0, max(values, default=1.0) * 1.08 or 1.0)
    if n == 1:
        axes[0][0].set_xlabel(view["axis"]["label"])
    title = textwrap.fill(view["title"], 95)
    fixed = "; ".join(f"{f['label']}: {f['category']}" for f in view["fixed"])
    title += f"\n{fixed}" if fixed else ""
    fig.suptitle(title, fontsize=10, x=0.01, y=1.0, ha="left", va="top")
    labels = [textwrap.fill(lab, 40) for lab in handles]
    if n == 1:
        fig.tight_layout()  # leaves room for the suptitle
        axes[0][0].legend(
            list(handles.values()),
            labels,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
            fontsize=8,
        )
    else:
        fig.tight_layout()  # leaves room for the suptitle
        # below the panels (outside the figure; the saved image is cropped to its content)
        fig.legend(
            list(handles.values()),
            labels,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            bbox_transform=fig.transFigure,
            frameon=False,
            fontsize=8,
            ncol=min(len(handles), 3),
        )
    return fig


def alt_text(view: dict, tx) -> str:
    labels = view["axis"]["labels"]
    series = list(dict.fromkeys(s["label"] for s in all_series(view)))
    text = tx(
        "official.alt",
        title=view["title"],
        n=len(series),
        series=", ".join(series),
        axis=view["axis"]["label"],
        first=labels[0],
        last=labels[-1],
    )
    if len(view["panels"]) > 1:
        text += " " + tx(
            "official.alt_panels",
            n=len(view["panels"]),
            panels="; ".join(p["label"] for p in view["panels"]),
        )
    return text


def statbank_figure(csv, meta, report, table, lang, out) -> None:
    """Rule statbank_figure: the view JSON and the figure (PNG, SVG, alt text)."""
    from ..figures import save_figure
    from ..text import Text
    from .jsonstat import read_tidy_csv

    tx = Text(lang)
    m = json.loads(Path(meta).read_text(encoding="utf-8"))
    df = read_tidy_csv(csv, [d["id"] for d in m["dimensions"]])
    view = resolve_view(df, m, report, f"statbank.tables.{table}.report")
    write_json(out["view"], view)
    fig = plot_view(view)
    source = tx(
        "official.figure_source",
        source=view["source"],
        table=view["table"],
        licence=view["licence_name"],
    )
    save_figure(
        fig, out["png"], out["svg"], out["alt"], alt_text(view, tx), lang, False, source=source
    )
