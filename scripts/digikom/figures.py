"""Figure style shared by every plot: colour-blind-safe palette (Okabe-Ito), labels in the
report language, a source line, a "synthetic data" note where that applies, and alt text
stored beside each figure (PNG at 200 dpi and SVG)."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from .io import atomic_path, write_bytes, write_text
from .text import Text, placeholders

# Okabe & Ito (2008) colour-blind-safe palette.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def text(lang: str, confidence: float | None = None) -> Text:
    """The string tables (reports/strings/) of ``lang``; with the ``confidence`` level
    (config/indicators.yaml) where a text prints it ("95 %")."""
    return Text(lang, confidence=confidence)


def t(key: str, lang: str, confidence: float | None = None, **values) -> str:
    """The figure text ``figures.<key>`` in ``lang``; a text that prints the confidence
    level (``{level}``) needs ``confidence``."""
    tx = text(lang, confidence)
    pattern = tx(f"figures.{key}")
    if "level" in placeholders(pattern):
        values = {"level": tx.level, **values}
    return pattern.format(**values) if values else pattern


def setup_style() -> None:
    """matplotlib's settings for every figure of the pipeline."""
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 200,
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "axes.grid": True,
            "axes.grid.axis": "y",
            "grid.color": "#d9d9d9",
            "svg.hashsalt": "digikom",  # reproducible SVG ids
            "svg.fonttype": "none",
            # labels come from config files: plain text, never mathtext ($x$, \, _, ^)
            "text.parse_math": False,
        }
    )


def tick_digits(values) -> int:
    """The fewest decimals (at most 3) that tell the tick values apart as drawn."""
    import numpy as np

    vals = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
    for digits in range(4):
        if np.allclose(vals, np.round(vals, digits), rtol=0, atol=1e-9):
            return digits
    return 3


def localise_axes(fig, lang: str) -> None:
    """Number formats of the report language on every numeric axis of ``fig`` (decimal
    comma and a non-breaking thin space as thousands separator in nb): each axis with
    matplotlib's default number formatter gets a FuncFormatter that formats with
    :meth:`digikom.text.Text.num` at the decimals its ticks need. Category axes keep
    their labels."""
    from matplotlib.ticker import FuncFormatter, LogFormatter, ScalarFormatter

    tx = text(lang)
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            fmt = axis.get_major_formatter()
            if not isinstance(fmt, ScalarFormatter | LogFormatter):
                continue
            lo, hi = sorted(axis.get_view_interval())
            ticks = [v for v in axis.get_majorticklocs() if lo - 1e-9 <= v <= hi + 1e-9]
            digits = tick_digits(ticks) if ticks else 0
            axis.set_major_formatter(FuncFormatter(lambda x, _pos, d=digits: tx.num(x, d)))
            if isinstance(fmt, LogFormatter):
                axis.set_minor_formatter(FuncFormatter(lambda x, _pos: ""))


def save_figure(
    fig,
    png: str | os.PathLike,
    svg: str | os.PathLike,
    alt: str | os.PathLike,
    alt_text: str,
    lang: str,
    synthetic: bool,
    source: str | None = None,
    png_colours: int | None = None,
) -> None:
    """Add the source line (and the synthetic-data note), then write PNG, SVG and the alt
    text atomically. Metadata dates are removed so the files are byte-reproducible. With
    ``png_colours`` the PNG is stored with a palette of that many colours (figures of flat
    colours, such as maps: antialiased edges make a full-colour file four times larger)."""
    localise_axes(fig, lang)
    note = source or t("source_synthetic" if synthetic else "source", lang)
    # Put the source line below everything already drawn (tick labels, legends).
    renderer = fig.canvas.get_renderer()
    bottom = fig.get_tightbbox(renderer).y0 / fig.get_figheight()
    y = min(0.0, bottom) - 0.02
    fig.text(0.01, y, note, ha="left", va="top", fontsize=7.5, color="#333333")
    if synthetic:
        fig.text(
            0.99,
            y,
            t("synthetic", lang),
            ha="right",
            va="top",
            fontsize=7.5,
            color="#B00020",
            fontweight="bold",
        )
    for path, fmt, meta in (
        (png, "png", {"Software": None}),
        (svg, "svg", {"Date": None, "Creator": None}),
    ):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if fmt == "png" and png_colours:
            write_bytes(path, _palette_png(fig, png_colours))
            continue
        with atomic_path(path, suffix=f".{fmt}") as tmp:
            fig.savefig(tmp, format=fmt, metadata=meta, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)
    write_text(alt, alt_text.strip() + "\n")


def _palette_png(fig, colours: int) -> bytes:
    """The figure as a PNG with a palette of ``colours``: rendered once, passed on
    uncompressed (nothing is encoded twice), quantised without dithering. Deterministic.
    Fast octree quantisation and zlib's default level: on the maps four to six times
    faster than median cut with ``optimize`` for files of about the same size (within
    5 %); the flat fills move by one or two levels of 255, legend and map alike."""
    import io

    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(
        raw,
        format="png",
        bbox_inches="tight",
        pad_inches=0.15,
        pil_kwargs={"compress_level": 0},
    )
    raw.seek(0)
    with Image.open(raw) as im:
        q = im.convert("RGB").quantize(
            colors=colours, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    out = io.BytesIO()
    q.save(out, format="PNG")
    return out.getvalue()


def wrap_group(text: str) -> str:
    """Break a size-group label after its dash so tick labels do not collide."""
    return text.replace("–", "–\n", 1)
