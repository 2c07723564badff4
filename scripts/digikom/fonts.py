"""Font checks for the PDF (pandoc -> typst path).

Typst silently falls back to another font when a requested family is missing (it only
warns "unknown font family"), so a machine without the report's fonts would produce a
different-looking, non-reproducible PDF without an error. These helpers turn that into a
clear :class:`~digikom.errors.RenderError` naming the font and what to do.

Wiring (render path, digikom.render.render_pandoc), two options:

* before compiling: ``check_fonts(fonts_in_typst(typ.read_text()))``;
* or compile with ``typst.compile_with_warnings(...)`` and pass the warnings to
  ``raise_on_font_warnings(warnings, source=typ)``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence

from .errors import RenderError

_FONT_ARG = re.compile(r"\b(?:font|codefont|mathfont)\s*:\s*(\([^)]*\)|\"[^\"]*\")")
_QUOTED = re.compile(r"\"([^\"]+)\"")
_UNKNOWN = re.compile(r"unknown font famil(?:y|ies):\s*(.+)", re.I)


def available_fonts(
    font_paths: Sequence[str | os.PathLike] = (), include_system_fonts: bool = True
) -> list[str]:
    """The font families typst can use here (embedded, system, and ``font_paths``)."""
    import typst

    fonts = typst.Fonts(
        include_system_fonts=include_system_fonts,
        include_embedded_fonts=True,
        font_paths=[os.fspath(p) for p in font_paths],
    )
    return sorted(set(fonts.families()))


def check_fonts(
    names: Iterable[str],
    font_paths: Sequence[str | os.PathLike] = (),
    include_system_fonts: bool = True,
) -> list[str]:
    """Raise RenderError naming every family of ``names`` that typst cannot find (case-
    insensitive, as typst matches); return the available families otherwise."""
    avail = available_fonts(font_paths, include_system_fonts)
    have = {f.casefold() for f in avail}
    missing = [n for n in dict.fromkeys(names) if n and n.casefold() not in have]
    if missing:
        raise RenderError(
            "font(s) needed for the PDF not found: "
            + ", ".join(repr(m) for m in missing)
            + f". Available to typst: {', '.join(avail) or '(none)'}. Install the font "
            "(e.g. apt-get install fonts-...), or put its files in a folder and pass it as "
            "a typst font path, or change the font in reports/typst-header.typ."
        )
    return avail


def fonts_in_typst(source: str) -> list[str]:
    """Font families named in ``font: "X"`` / ``font: ("X", "Y")`` arguments of a typst
    source (e.g. the report.typ pandoc writes); empty if it names none."""
    names: list[str] = []
    for m in _FONT_ARG.finditer(source):
        names += _QUOTED.findall(m.group(1))
    return list(dict.fromkeys(names))


def raise_on_font_warnings(warnings: Iterable, source: str = "report.typ") -> None:
    """Turn typst's "unknown font family" warnings into a RenderError naming the font."""
    missing = []
    for w in warnings:
        m = _UNKNOWN.search(str(getattr(w, "message", w)))
        if m:
            missing.append(m.group(1).strip())
    if missing:
        raise RenderError(
            f"{source}: typst cannot find font famil{'y' if len(missing) == 1 else 'ies'} "
            f"{', '.join(repr(x) for x in dict.fromkeys(missing))}; install it or change the "
            "font in reports/typst-header.typ (typst would otherwise silently substitute one)"
        )
