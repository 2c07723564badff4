"""The report's data access and Markdown building blocks.

``Report`` reads only files under results/ (nothing is fitted or computed from unit-level
data here) and offers the sections (``digikom.sections.*``) what they share: the string
tables of the report language (``R.tx``), estimates looked up by indicator, year and group,
disclosure control, escaping of text from config and data, figures with alt text and
captioned pipe tables. The wording lives in reports/strings/*.yaml and
reports/templates/<lang>/; this module never tests the language.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import disclosure
from .disclosure import SYMBOL
from .evidence import classify, scorecard_rows
from .indicators import ALL
from .report_context import ReportData
from .stats import z_value
from .support import Support
from .text import MISSING, Text, esc, render_template


def md_table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    """A pipe table (HTML and Typst/PDF). Cells are Markdown already (escape text first).
    Pandoc derives relative column widths from the dashes of the separator line, so each
    column gets dashes in proportion to its longest cell, capped so that one long column
    cannot squeeze the others."""
    align = align or ["l"] + ["r"] * (len(header) - 1)
    cells = [[str(c).replace("\n", " ") for c in row] for row in rows]

    def longest(i):
        return max([len(header[i])] + [len(r[i]) for r in cells])

    def longest_word(i):
        return max(len(w) for c in [header[i]] + [r[i] for r in cells] for w in (c.split() or [""]))

    # wide enough for the longest word (no "Es-ti-mat"), capped so that one long text
    # column cannot squeeze the others
    widths = [max(min(longest(i), 30), longest_word(i) + 1, 4) for i in range(len(header))]
    sep = [
        (":" if a in ("l", "c") else "-") + "-" * (w - 2) + (":" if a in ("r", "c") else "-")
        for a, w in zip(align, widths, strict=True)
    ]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in cells]
    return "\n".join(lines)


def direction(a, b, z: float) -> str:
    """'rose'/'fell' when the interval of the difference b - a (z standard errors, the
    standard errors read off each estimate's own interval, taken as independent) excludes
    0, else 'stable'. ``a`` and ``b`` have estimate, conf_low and conf_high."""
    se = math.hypot((a.conf_high - a.conf_low) / (2 * z), (b.conf_high - b.conf_low) / (2 * z))
    diff = b.estimate - a.estimate
    if diff - z * se > 0:
        return "rose"
    if diff + z * se < 0:
        return "fell"
    return "stable"


@dataclass
class Report:
    results: str | Path = "results"
    lang: str = "nb"
    renderer: str = "pandoc"
    renderer_version: str = ""
    # the run's records; default: results/provenance.json and results/context.json
    provenance_path: str | Path | None = None
    context_path: str | Path | None = None
    n_suppressed: int = field(default=0, init=False)
    # cross-reference labels of the headings and figures written so far, in order (a later
    # section refers only to what is in the report)
    emitted: dict = field(default_factory=dict, init=False, repr=False)
    _provenance: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        self.results = Path(self.results)
        # every file the report reads, read by its loader (sections read no files)
        d = self.data = ReportData(self.results, self.context_path, self.provenance_path)
        self.ctx, self.prov = d.ctx, d.prov
        self.shares, self.composites, self.crosstab = d.shares, d.composites, d.crosstab
        self.scorecard, self.changes = d.scorecard, d.changes
        self._scorecard_rows = scorecard_rows(self.scorecard)
        # est(): the row of each (indicator, year, group, weighted), looked up by key
        cols = [self.shares[c].tolist() for c in ("indicator", "year", "group", "weighted")]
        self._share_pos: dict[tuple, int] = {}
        for pos, key in enumerate(zip(*cols, strict=True)):
            self._share_pos.setdefault(key, pos)
        self.confidence = float(self.rules["confidence"])
        self.z = z_value(self.confidence)
        self.tx = Text(self.lang, confidence=self.confidence)
        self.waves = sorted(int(w) for w in self.ctx["waves"])
        comparison = self.ctx["evidence"]["comparison"]
        self.first, self.second = int(comparison["from"]), int(comparison["to"])
        self.update_waves = [int(w) for w in comparison.get("update", [])]
        self.synthetic = self.ctx["data_mode"] == "synthetic"
        # what the data can support, decided once (digikom.support): every section asks
        self.support = Support.of(self.synthetic)
        self.min_cell = int(self.ctx["min_cell"])
        self.disclosure = self.support.disclosure
        # the cells hidden in the public tables (rule public_tables: primary and audited
        # secondary suppression), once for all sections
        keys = ("indicator", "year", "group", "weighted")
        hide = self.shares["suppressed"].to_numpy(dtype=bool)
        self._hidden_shares = {
            (r.indicator, int(r.year), r.group, bool(r.weighted))
            for r in self.shares[hide][list(keys)].itertuples()
        }
        self.groups = self.ctx["size_groups"]
        self.group_label = {
            ALL: self.tx("common.all"),
            **{g["id"]: self.tx.label(g) for g in self.groups},
        }
        self.esc = esc

    # ----------------------------------------------------------------------- settings
    # What the configuration says (results/context.json), one accessor each.
    @property
    def rules(self) -> dict:
        """The indicator rules (config/indicators.yaml)."""
        return self.ctx["indicators"]

    @property
    def reference_wave(self) -> int:
        return self.rules["reference_wave"]

    @property
    def models(self) -> list[dict]:
        """The model specs (config/models.yaml), in config order."""
        return self.ctx["models"]

    @property
    def model_specs(self) -> dict[str, dict]:
        """The model specs by id."""
        return {m["id"]: m for m in self.models}

    @property
    def codebook(self) -> dict:
        return self.ctx["codebook"]

    # ----------------------------------------------------------------------- lookups
    def label(self, obj: dict) -> str:
        """A config label in the report language, escaped for Markdown."""
        return esc(self.tx.label(obj))

    def ind_spec(self, ind: str) -> dict:
        cfg = self.rules
        for spec in cfg["shares"] + cfg["means"]:
            if spec["id"] == ind:
                return spec
        raise KeyError(f"indicator '{ind}' is not in config/indicators.yaml")

    def ind_label(self, ind: str) -> str:
        return self.label(self.ind_spec(ind))

    def theme_label(self, theme: str) -> str:
        return self.label(self.codebook["themes"][theme])

    def var_label(self, var: str) -> str:
        return self.label(self.codebook["variables"][var])

    def model_table(self, name: str) -> pd.DataFrame | None:
        """The ``name`` table ("coefficients" or "predictions") of every configured model,
        in config order, from each model's own results/models/<id>/<name>.csv (what its
        fit_model job wrote; results/models/<name>.csv holds the same rows collected for
        users, and the report does not wait for that copy). None when there is none."""
        return self.data.model_table(name)

    def est(self, ind, year, group=ALL, weighted=False) -> pd.Series | None:
        """The row of results/indicators/shares.csv for this statistic (the first, as
        filtering would give), or None."""
        pos = self._share_pos.get((ind, int(year), group, bool(weighted)))
        return None if pos is None else self.shares.iloc[pos]

    def changed(self, a, b) -> str:
        return direction(a, b, self.z)

    # ----------------------------------------------------------------------- cells
    def hidden(self, row) -> bool:
        """Disclosure control (real microdata only), one rule for every table, figure and
        sentence: a cell hidden in the public tables (rule public_tables: fewer than
        min_cell municipalities, a cell that reveals every member's answer, or a cell
        hidden so that no hidden cell can be narrowed by the published totals) is shown as
        SSB's ':'; a row of another table is judged by the primary rule
        (digikom.disclosure)."""
        if not self.disclosure or row is None:
            return False
        get = row.get if hasattr(row, "get") else (lambda k, d=None: getattr(row, k, d))
        if get("suppressed") is not None and bool(get("suppressed")):
            return True
        ind, year = get("indicator"), get("year")
        key = (ind, None if year is None else int(year), get("group"), bool(get("weighted")))
        if ind is not None and key in self._hidden_shares:
            return True  # also hidden where a total would give a hidden cell away
        return disclosure.hidden(
            get("n"),
            get("estimate"),
            self.min_cell,
            get("kind", "share"),
            get("conf_low"),
            get("conf_high"),
        )

    def cell_pct(self, row, digits: int = 0) -> str:
        if row is None:
            return MISSING
        if self.hidden(row):
            self.n_suppressed += 1
            return SYMBOL
        return self.tx.pct(row["estimate"], digits)

    def cell_ci(self, row, digits: int = 0) -> str:
        """The interval of a share as "95 % KI 40–50" (empty when suppressed)."""
        if row is None or self.hidden(row):
            return ""
        return self.tx.ci(row["conf_low"], row["conf_high"], digits)

    # ----------------------------------------------------------------------- evidence
    def provenance(self, ind: str, year: int, group: str = ALL) -> dict:
        """Where a number comes from: published | assumed | estimated (digikom.evidence)."""
        key = (ind, int(year), group)
        if key not in self._provenance:  # the same statistic is cited in several sections
            self._provenance[key] = classify(
                ind, year, group, self.synthetic, self._scorecard_rows, self.rules
            )
        return dict(self._provenance[key])

    def published_text(self, value: str, target_id: str | None = None) -> str:
        """A published figure as SSB gave it: percent, "five in ten", or a fraction."""
        unit = self.ctx.get("published_units", {}).get(target_id or "", "percent")
        try:
            x = float(value)
        except ValueError:
            return self.esc(value)
        if unit == "out_of_10":
            return self.tx.out_of_ten(x / 10)
        if unit.startswith("percent"):
            digits = len(value.split(".", 1)[1]) if "." in value else 0
            return self.tx.pct(x / 100, digits)
        if unit.startswith("count_of_"):
            return self.tx("common.count_of", k=self.tx.num(x), n=unit.removeprefix("count_of_"))
        return self.esc(value)

    def value(self, ind: str, year: int, group: str = ALL) -> tuple[str, str]:
        """(the value with its provenance marker, its class). Synthetic data: a published
        figure is shown as published, beside the panel's value when they differ, and an
        assumed one says so; an estimate from microdata is the plain value."""
        row = self.est(ind, year, group)
        shown = self.cell_pct(row)
        if row is None or shown == SYMBOL:
            return shown, "estimated"
        prov = self.provenance(ind, year, group)
        cls = prov["class"]
        if cls == "published" and prov["published"] is not None and not prov["complement"]:
            pub = self.published_text(prov["published"], prov["target_id"])
            value = str(prov["published"])
            digits = len(value.split(".", 1)[1]) if "." in value else 0
            shown = self.tx.pct(row["estimate"], digits)  # at the published precision
            if pub == shown:
                return self.tx("common.value_published", value=pub), cls
            return self.tx("common.value_published_panel", value=pub, panel=shown), cls
        if cls in ("published", "assumed"):
            return self.tx(f"common.value_{cls}", value=shown), cls
        return shown, cls

    def change(self, ind: str, first: int, last: int, group: str = ALL):
        """The paired change of ``ind`` between two waves (results/indicators/changes.csv)."""
        d = self.changes
        d = d[
            (d.indicator == ind) & (d.group == group) & (d.from_year == first) & (d.to_year == last)
        ]
        return None if d.empty else d.iloc[0]

    def verdict(self, change) -> str:
        if change.conf_low > 0:
            return "rose"
        if change.conf_high < 0:
            return "fell"
        return "stable"

    # ----------------------------------------------------------------------- blocks
    def figure(self, png: str | Path, caption: str, label: str) -> str:
        """A Markdown figure with a cross-reference label and the alt text stored beside
        the PNG (``<stem>.alt.txt``). ``caption`` is Markdown (escape text first)."""
        alt = ReportData.alt_text(png) or caption
        # an attribute value: no quotes, and no "@" that a renderer could take for a
        # cross-reference (the full-width at sign reads the same)
        alt = " ".join(alt.replace('"', "'").replace("\\", "/").replace("@", "\uff20").split())
        src = os.path.relpath(png).replace(os.sep, "/")
        self.emitted[label] = len(self.emitted)
        return f'![{caption}]({src}){{#{label} fig-alt="{alt}" width="100%"}}\n'

    def fig(self, name: str, caption: str, label: str | None = None) -> str:
        """A figure of results/figures/ by file stem (``fig_size_cloud_use``)."""
        label = label or "fig-" + name.removeprefix("fig_").replace("_", "-")
        return self.figure(self.data.figure_png(name), caption, label)

    def table(self, header, rows, caption: str, label: str, align=None) -> str:
        """A pipe table with a caption and a cross-reference label. Header and cells are
        Markdown (escape text first); ``caption`` too."""
        return f"{md_table(header, rows, align)}\n\n: {caption} {{#{label}}}\n"

    def template(self, name: str, **values) -> str:
        """Longer prose: reports/templates/<lang>/<name> with these values."""
        return render_template(name, self.lang, tx=self.tx, **values)

    def source_line(self) -> str:
        key = "common.source_synthetic" if self.synthetic else "common.source_microdata"
        return f"*{self.tx(key)}*"

    def heading(self, level: int, key: str, ident: str, **values) -> str:
        self.emitted[ident] = len(self.emitted)
        return f"{'#' * level} {self.tx(key, **values)} {{#{ident}}}\n"
