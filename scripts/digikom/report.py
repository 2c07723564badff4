"""The report's content: every sentence with a number, every table, every figure
reference, generated from files under results/ (nothing is fitted or computed from
unit-level data here). reports/report.qmd calls these functions, one per section.

Wording adapts to the data: directions ("rose", "fell", "about unchanged") are decided
from the estimates and their confidence intervals, so the text stays true when data change.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from .indicators import ALL

SUPPRESSED = ":"


# --------------------------------------------------------------------------- formatting
def num(x: float, lang: str, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    s = f"{x:,.{digits}f}"
    if lang == "nb":
        s = s.replace(",", "\u00a0").replace(".", ",")
    return s.replace("-", "\u2212")  # a real minus sign


def pct(x: float, lang: str, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return (
        f"{num(100 * x, lang, digits)}\u00a0%" if lang == "nb" else f"{num(100 * x, lang, digits)}%"
    )


def ci(lo: float, hi: float, lang: str, digits: int = 0) -> str:
    word = "KI" if lang == "nb" else "CI"
    a, b = num(100 * lo, lang, digits), num(100 * hi, lang, digits)
    if lo < 0 or hi < 0:  # "−9,4 til −6,2" reads better than "−9,4–−6,2"
        return f"95 % {word} {a} {'til' if lang == 'nb' else 'to'} {b}"
    return f"95 % {word} {a}–{b}"


def out_of_ten(x: float, lang: str) -> str:
    k = int(round(10 * x))
    words_nb = ["null", "én", "to", "tre", "fire", "fem", "seks", "sju", "åtte", "ni", "ti"]
    words_en = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
    ]
    return f"{words_nb[k]} av ti" if lang == "nb" else f"{words_en[k]} in ten"


def md_table(df: pd.DataFrame, align: list[str] | None = None) -> str:
    """A pipe table (survives HTML and Typst/PDF)."""
    cols = [str(c) for c in df.columns]
    align = align or ["l"] + ["r"] * (len(cols) - 1)

    def cell(v):
        return str(v).replace("|", "\\|").replace("\n", " ")

    # Pandoc derives relative column widths from the dashes of the separator line.
    widths = [max([len(c)] + [len(cell(v)) for v in df.iloc[:, i]]) for i, c in enumerate(cols)]
    # ...but never narrower than the longest unbreakable token (code, identifiers).
    longest = [
        max(
            [len(t) for c2 in [cols[i]] + [cell(v) for v in df.iloc[:, i]] for t in c2.split()]
            or [3]
        )
        for i in range(len(cols))
    ]
    widths = [max(min(max(w, 3), 40), lt + 2) for w, lt in zip(widths, longest, strict=True)]
    sep = [
        (":" if a in ("l", "c") else "-") + "-" * (w - 2) + (":" if a in ("r", "c") else "-")
        for a, w in zip(align, widths, strict=True)
    ]

    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


T = {
    "nb": {
        "findings": "Hovedfunn",
        "data": "Data og metode",
        "models": "Modeller",
        "replication": "Replikering av publiserte tall",
        "appendix": "Vedlegg",
        "source_mode": {
            "synthetic": "Syntetiske data (kalibrert til publiserte tall)",
            "microdata": "Mikrodatafil",
        },
        "rose": "økte",
        "fell": "falt",
        "stable": "var omtrent uendret",
        "wave": "Bølge",
        "frame": "Kommuner i rammen",
        "resp": "Svarte",
        "rate": "Svarprosent",
        "group": "Gruppe",
        "estimate": "Andel",
        "ci": "95 % KI",
        "weighted": "Vektet",
        "n": "n",
        "all": "Alle kommuner",
        "size": "Kommunestørrelse",
        "indicator": "Indikator",
        "year": "År",
        "source": "Kilde: SSB, Digitalisering og IKT i offentlig sektor (iktbruks); beregninger i digikom.",
        "synthetic_note": "**Syntetiske data.** Tallene i denne rapporten er beregnet fra et syntetisk kommunepanel, ikke fra SSBs mikrodata.",
        "suppressed_note": f"«{SUPPRESSED}» = skjult fordi cellen bygger på færre enn {{k}} kommuner (SSBs symbol for konfidensielt).",
    },
    "en": {
        "findings": "Key findings",
        "data": "Data and methods",
        "models": "Models",
        "replication": "Replication of published figures",
        "appendix": "Appendix",
        "source_mode": {
            "synthetic": "Synthetic data (calibrated to published figures)",
            "microdata": "Microdata file",
        },
        "rose": "rose",
        "fell": "fell",
        "stable": "was about unchanged",
        "wave": "Wave",
        "frame": "Municipalities in frame",
        "resp": "Responded",
        "rate": "Response rate",
        "group": "Group",
        "estimate": "Share",
        "ci": "95 % CI",
        "weighted": "Weighted",
        "n": "n",
        "all": "All municipalities",
        "size": "Municipality size",
        "indicator": "Indicator",
        "year": "Year",
        "source": "Source: Statistics Norway, ICT usage in the public sector (iktbruks); digikom calculations.",
        "synthetic_note": "**Synthetic data.** The figures in this report are computed from a synthetic municipality panel, not from SSB's microdata.",
        "suppressed_note": f'"{SUPPRESSED}" = suppressed because the cell is based on fewer than {{k}} municipalities (SSB\'s symbol for confidential).',
    },
}


def direction(a_est, a_lo, a_hi, b_est, b_lo, b_hi, z: float = 1.959964) -> str:
    """'rose'/'fell' when the 95 % interval of the difference b - a excludes 0, else
    'stable'. Standard errors are read off the two (independent) 95 % intervals."""
    se = math.hypot((a_hi - a_lo) / (2 * z), (b_hi - b_lo) / (2 * z))
    diff = b_est - a_est
    if diff - z * se > 0:
        return "rose"
    if diff + z * se < 0:
        return "fell"
    return "stable"


@dataclass
class Report:
    results: str = "results"
    lang: str = "nb"
    renderer: str = "pandoc"
    renderer_version: str = ""

    def __post_init__(self):
        r = Path(self.results)
        self.ctx = json.loads((r / "report" / "context.json").read_text(encoding="utf-8"))
        self.prov = json.loads((r / "provenance.json").read_text(encoding="utf-8"))
        self.shares = pd.read_csv(r / "indicators" / "shares.csv")
        self.composites = pd.read_csv(r / "indicators" / "composites.csv")
        self.crosstab = pd.read_csv(r / "indicators" / "crosstab.csv")
        self.scorecard = pd.read_csv(r / "replication" / "scorecard.csv")
        self.figdir = r / "figures"
        self.modeldir = r / "models"
        self.t = T[self.lang]
        self.waves = sorted(int(w) for w in self.ctx["waves"])
        self.synthetic = self.ctx["data_mode"] == "synthetic"
        self.min_cell = int(self.ctx["min_cell"])
        self.disclosure = not self.synthetic
        self.groups = self.ctx["size_groups"]
        self.group_label = {ALL: self.t["all"], **{g["id"]: g[self.lang] for g in self.groups}}
        self.n_suppressed = 0

    # ----------------------------------------------------------------------- helpers
    def lab(self, obj) -> str:
        return obj.get(self.lang) or obj.get("nb") or ""

    def ind_spec(self, ind: str) -> dict:
        for spec in self.ctx["indicators"]["shares"] + self.ctx["indicators"]["means"]:
            if spec["id"] == ind:
                return spec
        return {"id": ind, "nb": ind, "en": ind}

    def est(self, ind, year, group=ALL, weighted=False) -> pd.Series | None:
        d = self.shares[
            (self.shares.indicator == ind)
            & (self.shares.year == year)
            & (self.shares.group == group)
            & (self.shares.weighted == weighted)
        ]
        return None if d.empty else d.iloc[0]

    def hidden(self, n) -> bool:
        return self.disclosure and (pd.isna(n) or int(n) < self.min_cell)

    def cell_pct(self, row, digits=0) -> str:
        if row is None:
            return "–"
        if self.hidden(row["n"]):
            self.n_suppressed += 1
            return SUPPRESSED
        return pct(row["estimate"], self.lang, digits)

    def figure(self, fid: str, caption: str, label: str | None = None) -> str:
        png = (
            self.figdir / f"fig_{fid}.png"
            if not fid.startswith("model_")
            else self.figdir / f"{fid}.png"
        )
        alt_path = (
            png.with_suffix("").with_suffix(".alt.txt")
            if False
            else Path(str(png)[:-4] + ".alt.txt")
        )
        alt = alt_path.read_text(encoding="utf-8").strip() if alt_path.exists() else caption
        alt = alt.replace('"', "'")
        label = label or f"fig-{fid.replace('_', '-')}"
        src = os.path.relpath(png)
        return f'![{caption}]({src}){{#{label} fig-alt="{alt}" width="100%"}}\n'

    def source_line(self) -> str:
        s = f"*{self.t['source']}*"
        if self.synthetic:
            s += " " + ("*Syntetiske data.*" if self.lang == "nb" else "*Synthetic data.*")
        return s

    # ----------------------------------------------------------------------- sections
    def header(self) -> str:
        nb = self.lang == "nb"
        mode = self.t["source_mode"][self.ctx["data_mode"]]
        if self.ctx.get("fetch_statbank"):
            mode += " + StatBank (PxWebApi v2)"
        rows = [
            ("Datakilde" if nb else "Data source", mode),
            ("Bølger" if nb else "Waves", ", ".join(map(str, self.waves))),
            ("Bygget" if nb else "Built", self.prov["created_utc"][:10]),
            (
                "Versjon (git)" if nb else "Version (git)",
                self.prov["git"]["short"]
                + (
                    " (+ endringer)"
                    if nb and self.prov["git"].get("dirty")
                    else " (+ local changes)"
                    if self.prov["git"].get("dirty")
                    else ""
                ),
            ),
            (
                "Renderer",
                f"{self.renderer} ({self.renderer_version})"
                if self.renderer_version
                else self.renderer,
            ),
        ]
        out = md_table(pd.DataFrame(rows, columns=["", ""]), ["l", "l"]) + "\n"
        if self.synthetic:
            out += (
                "\n::: {.callout-warning .synthetic}\n"
                + self.t["synthetic_note"]
                + (
                    " Dataene er laget for å vise hvordan rapporten bygges; de beskriver ingen virkelig kommune."
                    if nb
                    else " They show how the report is built; they describe no real municipality."
                )
                + "\n:::\n"
            )
        return out

    def key_findings(self) -> str:
        """Sentences in the order of `findings` in config/indicators.yaml."""
        nb = self.lang == "nb"
        sents = []
        for item in self.ctx["indicators"].get("findings", []):
            kind = item["type"]
            if kind == "change":
                s = self._change(item["indicator"])
            elif kind == "gradient":
                s = self._gradient(item["indicator"], self.waves[-1])
            elif kind == "out_of_ten":
                s = self._out_of_ten(item["indicator"])
            else:  # model_effect
                s = self._model_effect(item["model"], item["effect"])
            if s:
                sents.append(s)
        ok, comp = self._replication_counts()
        if comp:
            sents.append(
                f"{ok} av {comp} publiserte tall som panelet kan beregne, gjenskapes innenfor toleransen (se @tbl-scorecard)."
                if nb
                else f"{ok} of the {comp} published figures the panel can compute are reproduced within tolerance (see @tbl-scorecard)."
            )
        if self.synthetic:
            sents.append(
                "Alle tall bygger på syntetiske data; de viser metoden, ikke virkeligheten i en bestemt kommune."
                if nb
                else "All figures rest on synthetic data; they show the method, not the situation of any real municipality."
            )
        return "\n".join(f"- {s}" for s in sents) + "\n"

    def _change(self, ind: str) -> str | None:
        first, last = self.waves[0], self.waves[-1]
        a, b = self.est(ind, first), self.est(ind, last)
        if a is None or b is None or first == last:
            return None
        d = direction(a.estimate, a.conf_low, a.conf_high, b.estimate, b.conf_low, b.conf_high)
        name = self.lab(self.ind_spec(ind))
        pa, pb, c = self.cell_pct(a), self.cell_pct(b), ci(b.conf_low, b.conf_high, self.lang)
        if self.lang == "nb":
            verb = {
                "rose": f"økte fra {pa} i {first} til {pb} i {last}",
                "fell": f"falt fra {pa} i {first} til {pb} i {last}",
                "stable": f"var {pa} i {first} og {pb} i {last}, en forskjell innenfor usikkerheten",
            }[d]
            return f"Andelen «{name}» {verb} ({c} for {last})."
        verb = {
            "rose": f"rose from {pa} in {first} to {pb} in {last}",
            "fell": f"fell from {pa} in {first} to {pb} in {last}",
            "stable": f"was {pa} in {first} and {pb} in {last}, a difference within the uncertainty",
        }[d]
        return f"The share '{name}' {verb} ({c} for {last})."

    def _out_of_ten(self, ind: str) -> str | None:
        first, last = self.waves[0], self.waves[-1]
        a, b = self.est(ind, first), self.est(ind, last)
        if b is None or self.hidden(b.n):
            return None
        name = self.lab(self.ind_spec(ind))
        c = ci(b.conf_low, b.conf_high, self.lang)
        words = out_of_ten(b.estimate, self.lang)
        before = (
            ""
            if a is None or first == last
            else (
                f", mot {self.cell_pct(a)} i {first}"
                if self.lang == "nb"
                else f", against {self.cell_pct(a)} in {first}"
            )
        )
        if self.lang == "nb":
            return f"«{name}» gjaldt {words} kommuner i {last} ({self.cell_pct(b)}, {c}){before}."
        return f"'{name}' applied to {words} municipalities in {last} ({self.cell_pct(b)}, {c}){before}."

    def _gradient(self, ind: str, year: int) -> str | None:
        nb = self.lang == "nb"
        gs = [g["id"] for g in self.groups]
        lo, hi = self.est(ind, year, gs[0]), self.est(ind, year, gs[-1])
        if lo is None or hi is None:
            return None
        name = self.lab(self.ind_spec(ind))
        d = direction(
            lo.estimate, lo.conf_low, lo.conf_high, hi.estimate, hi.conf_low, hi.conf_high
        )
        gl, gh = self.group_label[gs[0]], self.group_label[gs[-1]]
        if nb:
            rel = {
                "rose": "klart høyere blant de største kommunene",
                "fell": "klart lavere blant de største kommunene",
                "stable": "ikke klart forskjellig mellom de minste og de største kommunene",
            }[d]
            return (
                f"I {year} var andelen «{name}» {rel}: {self.cell_pct(hi)} i gruppen «{gh}» innbyggere "
                f"({ci(hi.conf_low, hi.conf_high, 'nb')}) mot {self.cell_pct(lo)} i gruppen «{gl}» "
                f"({ci(lo.conf_low, lo.conf_high, 'nb')})."
            )
        rel = {
            "rose": "clearly higher among the largest municipalities",
            "fell": "clearly lower among the largest municipalities",
            "stable": "not clearly different between the smallest and the largest municipalities",
        }[d]
        return (
            f"In {year} the share '{name}' was {rel}: {self.cell_pct(hi)} in the group '{gh}' "
            f"inhabitants ({ci(hi.conf_low, hi.conf_high, 'en')}) against {self.cell_pct(lo)} in the group '{gl}' "
            f"({ci(lo.conf_low, lo.conf_high, 'en')})."
        )

    def _replication_counts(self) -> tuple[int, int]:
        sc = self.scorecard[self.scorecard.reference == "published"]
        comp = int(sc.reproduced.notna().sum())
        ok = int(sc.within_tolerance.astype(str).str.lower().eq("true").sum())
        return ok, comp

    # -- models ---------------------------------------------------------------------
    def model_json(self, mid: str) -> dict | None:
        p = self.modeldir / f"{mid}.json"
        return json.loads(p.read_text(encoding="utf-8")) if p.exists() else None

    def _ame(self) -> pd.DataFrame:
        p = self.modeldir / "predictions.csv"
        if not p.exists():
            return pd.DataFrame()
        d = pd.read_csv(p)
        return d[d["quantity"] == "ame"] if "quantity" in d.columns else pd.DataFrame()

    def _model_effect(self, mid: str, effect: str) -> str | None:
        """A sentence on an average marginal effect (competence_large 0 -> 1, or a doubling
        of population), worded by its sign and whether its 95 % interval excludes zero."""
        nb = self.lang == "nb"
        ame = self._ame()
        d = ame[(ame.model == mid) & (ame.effect == effect)] if not ame.empty else ame
        spec = next((m for m in self.ctx["models"] if m["id"] == mid), None)
        if d.empty or spec is None:
            return None
        r = d.iloc[0]
        e, lo, hi = r.estimate, r.conf_low, r.conf_high
        outcome = self.lab(self.ctx["codebook"]["variables"][spec["outcome"]]).lower()
        clear = lo > 0 or hi < 0
        pp = f"{num(100 * e, self.lang, 1)} {'prosentpoeng' if nb else 'percentage points'} ({ci(lo, hi, self.lang, 1)})"
        model = self.lab(spec)
        if effect == "competence_large":
            if nb:
                how = ("høyere" if e > 0 else "lavere") if clear else "ikke klart forskjellig"
                return (
                    f"I modellen «{model}» er andelen for «{outcome}» {how} i kommuner der manglende "
                    f"kompetanse er et stort hinder, gitt størrelse og år: gjennomsnittlig marginal effekt {pp}."
                )
            how = ("higher" if e > 0 else "lower") if clear else "not clearly different"
            return (
                f"In the model '{model}', the share for '{outcome}' is {how} where lack of competence is a "
                f"large barrier, given size and year: average marginal effect {pp}."
            )
        if nb:
            how = ("øker" if e > 0 else "synker") if clear else "endres ikke klart"
            return (
                f"En dobling av folketallet henger sammen med at sannsynligheten for «{outcome}» {how}: "
                f"{pp} i gjennomsnitt (modellen «{model}»)."
            )
        how = ("rises" if e > 0 else "falls") if clear else "does not clearly change"
        return (
            f"A doubling of population goes with a probability of '{outcome}' that {how}: {pp} on "
            f"average (model '{model}')."
        )

    def models(self) -> str:
        nb = self.lang == "nb"
        coefs = (
            pd.read_csv(self.modeldir / "coefficients.csv")
            if (self.modeldir / "coefficients.csv").exists()
            else pd.DataFrame()
        )
        parts = [
            (
                "Modellene spør hvordan kommunestørrelse og kompetansemangel henger sammen med digitale utfall, "
                "gitt bølge. De er beskrivende sammenhenger, ikke årsakseffekter. Logit-, binomiske og ordinale "
                "koeffisienter er på log-odds-skala; standardfeil er klyngerobuste per kommune når en kommune inngår "
                "i flere bølger. Teksten omtaler effektstørrelser med konfidensintervall, ikke p-verdier alene."
                if nb
                else "The models ask how municipality size and competence shortage relate to digital outcomes, given the wave. "
                "They describe associations, not causal effects. Logit, binomial and ordinal coefficients are on the "
                "log-odds scale; standard errors are cluster-robust by municipality where a municipality appears in "
                "several waves. The text states effect sizes with confidence intervals, not p-values alone."
            )
        ]
        warn_rows = []
        for m in self.ctx["models"]:
            mid = m["id"]
            js = self.model_json(mid) or {}
            status = js.get("status", "missing")
            parts.append(f"### {self.lab(m)} (`{mid}`) {{#sec-model-{mid.replace('_', '-')}}}")
            fam = {
                "logit": "logit",
                "binomial": "binomial ("
                + ("andel av" if nb else "share of")
                + f" {m.get('trials', '')})",
                "ordinal_logit": "ordinal logit",
                "linear": "lineær" if nb else "linear",
            }[m["family"]]
            n = js.get("n_obs")
            parts.append(
                f"Utfall `{m['outcome']}`, {fam}, formel `{m['formula']}`; n = {num(n, self.lang) if n else '–'}"
                f", McFadden pseudo-R² = {num(js.get('pseudo_r2_mcfadden') or float('nan'), self.lang, 3)}."
                if nb
                else f"Outcome `{m['outcome']}`, {fam}, formula `{m['formula']}`; n = {num(n, self.lang) if n else '–'}"
                f", McFadden pseudo-R² = {num(js.get('pseudo_r2_mcfadden') or float('nan'), self.lang, 3)}."
            )
            for w in js.get("warnings", []):
                warn_rows.append((mid, status, w))
            if status == "failed":
                parts.append(
                    (
                        "**Modellen kunne ikke estimeres:** "
                        if nb
                        else "**The model could not be estimated:** "
                    )
                    + "; ".join(js.get("warnings", []))
                )
                continue
            c = coefs[(coefs.model == mid)] if not coefs.empty else pd.DataFrame()
            if len(c) > 14:  # e.g. full interactions: main terms here, all in the CSV and plot
                inter = c.term.astype(str).str.contains(":")
                parts.append(
                    f"Tabellen viser hovedleddene; de {int(inter.sum())} samspillsleddene står i "
                    "`results/models/coefficients.csv` og i figuren."
                    if nb
                    else f"The table shows the main terms; the {int(inter.sum())} interaction terms are in "
                    "`results/models/coefficients.csv` and in the figure."
                )
                c = c[~inter]
            if not c.empty:
                rows = [
                    (
                        f"`{r.term}`"
                        + (
                            " (" + ("terskel" if nb else "threshold") + ")"
                            if str(getattr(r, "term_type", "")) == "threshold"
                            else ""
                        ),
                        num(r.estimate, self.lang, 3),
                        num(r.std_error, self.lang, 3),
                        f"{num(r.conf_low, self.lang, 3)} – {num(r.conf_high, self.lang, 3)}",
                    )
                    for r in c.itertuples()
                ]
                parts.append(
                    md_table(
                        pd.DataFrame(
                            rows,
                            columns=["Term", "Estimat" if nb else "Estimate", "SE", self.t["ci"]],
                        )
                    )
                    + f"\n\n: {self.lab(m)}: "
                    + ("koeffisienter" if nb else "coefficients")
                    + f" {{#tbl-model-{mid.replace('_', '-')}}}"
                )
            parts.append(
                self.figure(
                    f"model_{mid}_coef",
                    (
                        f"{self.lab(m)}: koeffisienter med 95 % konfidensintervall"
                        if nb
                        else f"{self.lab(m)}: coefficients with 95 % confidence intervals"
                    ),
                    label=f"fig-model-{mid.replace('_', '-')}",
                )
            )
        parts.append(
            "### " + ("Predikerte andeler" if nb else "Predicted shares") + " {#sec-predictions}"
        )
        parts.append(
            "Predikerte sannsynligheter er gjennomsnitt over de observerte kommunene i hver størrelsesgruppe og bølge "
            "(ikke beregnet i gjennomsnittet av forklaringsvariablene)."
            if nb
            else "Predicted probabilities are averages over the observed municipalities of each size group and wave "
            "(not computed at the means of the covariates)."
        )
        parts.append(
            self.figure(
                "model_predictions",
                "Predikerte andeler etter størrelsesgruppe og bølge"
                if nb
                else "Predicted shares by size group and wave",
                label="fig-model-predictions",
            )
        )
        ame = self._ame()
        if not ame.empty:
            eff_lab = {
                "competence_large": "Stor kompetansemangel (0 → 1)"
                if nb
                else "Large competence shortage (0 → 1)",
                "population_doubling": "Dobling av folketall" if nb else "Doubling of population",
            }
            rows = [
                (
                    self.lab(
                        next(
                            (m for m in self.ctx["models"] if m["id"] == r.model),
                            {"nb": r.model, "en": r.model},
                        )
                    ),
                    eff_lab.get(r.effect, r.effect),
                    str(r.category) if isinstance(r.category, str) and r.category else "",
                    num(100 * r.estimate, self.lang, 1),
                    f"{num(100 * r.conf_low, self.lang, 1)} – {num(100 * r.conf_high, self.lang, 1)}",
                )
                for r in ame.itertuples()
            ]
            parts.append(
                md_table(
                    pd.DataFrame(
                        rows,
                        columns=[
                            "Modell" if nb else "Model",
                            "Effekt" if nb else "Effect",
                            "Kategori" if nb else "Category",
                            "AME (pp)",
                            self.t["ci"],
                        ],
                    )
                )
                + "\n\n: "
                + (
                    "Gjennomsnittlige marginale effekter (prosentpoeng)"
                    if nb
                    else "Average marginal effects (percentage points)"
                )
                + " {#tbl-ame}"
            )
        parts.append(self._robustness())
        parts.append(
            "### "
            + ("Advarsler fra estimeringen" if nb else "Warnings from fitting")
            + " {#sec-model-warnings}"
        )
        if warn_rows:
            parts.append(
                md_table(
                    pd.DataFrame(
                        warn_rows, columns=["id", "Status", "Advarsel" if nb else "Warning"]
                    ),
                    ["l", "l", "l"],
                )
                + "\n\n: "
                + ("Advarsler fra modelltilpasningen" if nb else "Warnings from model fitting")
                + " {#tbl-model-warnings}"
            )
        else:
            parts.append(
                "Ingen modell ga advarsler (konvergens, separasjon, tomme kategorier)."
                if nb
                else "No model raised warnings (convergence, separation, empty categories)."
            )
        parts.append(self.source_line())
        return "\n\n".join(parts) + "\n"

    def _robustness(self) -> str:
        nb = self.lang == "nb"
        p = self.modeldir / "robustness.csv"
        if not p.exists():
            return ""
        r = pd.read_csv(p)
        if r.empty:
            return ""
        # the substantive terms: plain covariates, not the intercept, factor levels or interactions
        t = r.term.astype(str)
        d = r[(t != "") & (t != "nan") & (t != "Intercept") & ~t.str.contains(r"C\(|:", regex=True)]
        rows = []
        for x in d.itertuples():
            vlab = getattr(x, f"variant_{self.lang}", x.variant)
            same = (
                {True: "✓", False: "✗"}.get(str(x.same_sign_as_main).lower() == "true", "")
                if x.variant != "main"
                else ""
            )
            rows.append(
                (
                    x.model,
                    vlab if isinstance(vlab, str) else x.variant,
                    f"`{x.term}`",
                    num(x.estimate, self.lang, 3),
                    f"{num(x.conf_low, self.lang, 3)} – {num(x.conf_high, self.lang, 3)}",
                    same,
                    ""
                    if pd.isna(x.ratio_to_main) or x.variant == "main"
                    else num(x.ratio_to_main, self.lang, 2),
                )
            )
        head = (
            "### Robusthet {#sec-robustness}\n\nHovedmodellene er estimert på nytt med størrelsesgrupper i stedet for "
            "log folketall, med frafallsvekter og med samspill med år. Tabellen viser om fortegn og størrelse holder."
            if nb
            else "### Robustness {#sec-robustness}\n\nThe main models were refitted with size groups instead of log population, "
            "with nonresponse weights and with year interactions. The table shows whether signs and sizes hold."
        )
        tab = md_table(
            pd.DataFrame(
                rows,
                columns=[
                    "Modell" if nb else "Model",
                    "Variant",
                    "Term",
                    "Estimat" if nb else "Estimate",
                    self.t["ci"],
                    "Samme fortegn" if nb else "Same sign",
                    "Forhold til hovedmodell" if nb else "Ratio to main",
                ],
            ),
            ["l", "l", "l", "r", "r", "c", "r"],
        )
        return (
            head
            + "\n\n"
            + tab
            + "\n\n: "
            + ("Robusthetstabell" if nb else "Robustness table")
            + " {#tbl-robustness}"
        )

    # -- data and methods ------------------------------------------------------------
    def data_methods(self) -> str:
        nb = self.lang == "nb"
        rr = self.shares[(self.shares.indicator == "response_rate") & (self.shares.group == ALL)]
        rows = []
        for _, r in rr.sort_values("year").iterrows():
            resp = int(round(r.estimate * r.n))
            rows.append(
                (
                    int(r.year),
                    num(r.n, self.lang),
                    num(resp, self.lang),
                    pct(r.estimate, self.lang, 1),
                )
            )
        t = self.t
        tab = md_table(pd.DataFrame(rows, columns=[t["wave"], t["frame"], t["resp"], t["rate"]]))
        parts = []
        if nb:
            parts.append(
                "SSBs undersøkelse «Digitalisering og IKT i offentlig sektor» (statistikken *iktbruks*) "
                "besvares av alle kommuner i første kvartal. Hver kommune i bølgens kommuneinndeling "
                "(ramme fra SSB-tabell 07459, folkemengde 1. januar) er med; en kommune uten svar regnes "
                "som frafall. @tbl-response viser rammen og svarprosenten per bølge."
            )
        else:
            parts.append(
                "Statistics Norway's survey 'Digitalisation and ICT in the public sector' (statistic *iktbruks*) "
                "is answered by all municipalities in the first quarter. Every municipality of the wave's "
                "structure (frame from SSB table 07459, population on 1 January) is included; one without an "
                "answer counts as non-response. @tbl-response shows the frame and response rate by wave."
            )
        parts.append(
            tab
            + "\n\n: "
            + ("Ramme og svar per bølge" if nb else "Frame and response by wave")
            + " {#tbl-response}"
        )
        # size groups
        sizes = self.shares[(self.shares.indicator == "response_rate") & (self.shares.group != ALL)]
        srows = []
        for g in self.groups:
            band = (
                f"{num(g['lower'], self.lang)}–{num(g['upper'] - 1, self.lang)}"
                if g["upper"] is not None
                else f"≥ {num(g['lower'], self.lang)}"
            )
            cells = [self.group_label[g["id"]], band]
            for w in self.waves:
                r = sizes[(sizes.group == g["id"]) & (sizes.year == w)]
                cells.append(num(r.n.iloc[0], self.lang) if not r.empty else "0")
            srows.append(cells)
        cols = [self.t["size"], "Innbyggere" if nb else "Inhabitants"] + [
            str(w) for w in self.waves
        ]
        parts.append(
            "Størrelsesgruppene er definert én gang i konfigurasjonen (`size_groups`) og brukes i alle "
            "tabeller, figurer og modeller (@tbl-sizes)."
            if nb
            else "Size groups are defined once in the configuration (`size_groups`) and used in every table, "
            "figure and model (@tbl-sizes)."
        )
        parts.append(
            md_table(pd.DataFrame(srows, columns=cols))
            + "\n\n: "
            + (
                "Størrelsesgrupper og antall kommuner i rammen"
                if nb
                else "Size groups and number of municipalities in the frame"
            )
            + " {#tbl-sizes}"
        )
        weight = self.ctx["codebook"]["variables"]["weight"]["question"][self.lang]
        weight = weight[0].lower() + weight[1:]
        if nb:
            parts.append(
                f"**Andeler.** Som i SSBs publiseringer er andelene uvektede andeler av kommunene som svarte. "
                f"I tillegg beregnes frafallsvektede andeler: {weight}. Konfidensintervallene er Wilson-intervaller "
                f"(95 %); for vektede andeler brukes Kish' effektive utvalgsstørrelse."
            )
        else:
            parts.append(
                f"**Shares.** As in SSB's publications, shares are unweighted shares of the responding municipalities. "
                f"Nonresponse-weighted shares are also computed: {weight}. Confidence intervals are Wilson intervals "
                f"(95 %); weighted shares use Kish's effective sample size."
            )
        parts.append(self._composite_rules())
        if self.synthetic:
            parts.append(self._synthetic_text())
        elif self.disclosure:
            parts.append(self.t["suppressed_note"].format(k=self.min_cell))
        return "\n\n".join(parts) + "\n"

    def _composite_rules(self) -> str:
        nb = self.lang == "nb"
        ref = self.ctx["indicators"]["reference_wave"]
        lines = []
        for spec in self.ctx["indicators"]["composites"]:
            d = self.composites[self.composites.composite == spec["id"]]
            mx = d.x_median.iloc[0] if not d.empty else float("nan")
            my = d.y_median.iloc[0] if not d.empty else float("nan")
            op = {"gt": ">", "ge": "≥"}
            lines.append(
                f"- **{self.lab(spec)}**: {self.lab(spec['x'])} = `{spec['x']['expr']}` "
                f"{op[spec['x'].get('rule', 'gt')]} {num(mx, self.lang, 1)}; {self.lab(spec['y'])} = "
                f"`{spec['y']['expr']}` {op[spec['y'].get('rule', 'gt')]} {num(my, self.lang, 1)}."
            )
        head = (
            f"**Sammensatte indikatorer.** Som i SSBs rapport plasseres hver kommune på to akser som deles ved "
            f"medianen i referansebølgen {ref}, slik at kommunene faller i fire grupper:"
            if nb
            else f"**Composite indicators.** As in SSB's report, each municipality is placed on two axes split at the "
            f"median of the reference wave {ref}, giving four groups:"
        )
        return head + "\n\n" + "\n".join(lines)

    def _synthetic_text(self) -> str:
        nb = self.lang == "nb"
        cal = pd.DataFrame(self.ctx["calibration"])
        text = (
            "**Syntetiske data.** SSBs mikrodata er konfidensielle. Standardkjøringen bruker derfor et syntetisk panel "
            "på de virkelige kommunerammene: svarene avhenger av kommunestørrelse og av hverandre slik rapportene "
            "beskriver, og konstantleddene løses per bølge slik at andelene treffer de publiserte tallene der slike "
            "finnes (ellers en dokumentert antakelse). Frøet (seed) er "
            f"{self.ctx['seed']}; samme frø gir identisk panel."
            if nb
            else "**Synthetic data.** SSB's microdata are confidential. The default run therefore uses a synthetic panel on the "
            "real municipality frames: answers depend on municipality size and on each other as the reports describe, "
            "and intercepts are solved per wave so that shares hit the published figures where these exist (otherwise "
            f"a documented assumption). The seed is {self.ctx['seed']}; the same seed gives an identical panel."
        )
        if cal.empty:
            return text
        pub = int((cal.source != "assumption").sum())
        text += (
            f" {pub} av {len(cal)} kalibreringsmål er publiserte tall; resten er antakelser (se vedlegget)."
            if nb
            else f" {pub} of {len(cal)} calibration targets are published figures; the rest are assumptions (see the appendix)."
        )
        return text

    # -- themes ----------------------------------------------------------------------
    def theme(self, theme: str) -> str:
        nb = self.lang == "nb"
        ind_cfg = self.ctx["indicators"]
        figs = ind_cfg.get("figures", {})
        parts = []
        share_ids = [s["id"] for s in ind_cfg["shares"] if s["theme"] == theme]
        mean_ids = [s["id"] for s in ind_cfg["means"] if s["theme"] == theme]
        parts.append(self._theme_text(theme, share_ids))
        for ind in figs.get("by_size", []):
            if ind in share_ids:
                cap = (
                    f"{self.lab(self.ind_spec(ind))}, etter kommunestørrelse. {self.waves[0]} og {self.waves[-1]}, med 95 % konfidensintervall"
                    if nb
                    else f"{self.lab(self.ind_spec(ind))}, by municipality size. {self.waves[0]} and {self.waves[-1]}, with 95 % confidence intervals"
                )
                parts.append(self.figure(f"size_{ind}", cap))
        if theme in figs.get("trends", {}):
            cap = (
                "Utvikling over bølgene, alle kommuner"
                if nb
                else "Development across waves, all municipalities"
            )
            parts.append(
                self.figure(
                    f"trend_{theme}",
                    f"{self.lab(self.ctx['codebook']['themes'][theme])}: {cap.lower() if not nb else cap.lower()}",
                )
            )
        for spec in ind_cfg["composites"]:
            if spec["theme"] == theme:
                cap = (
                    f"{self.lab(spec)} etter kommunestørrelse, {self.waves[-1]}"
                    if nb
                    else f"{self.lab(spec)} by municipality size, {self.waves[-1]}"
                )
                parts.append(self.figure(f"composite_{spec['id']}", cap))
        if theme == "competence":
            xw = figs.get("crosstab_wave", self.waves[-1])
            xw = xw if xw in self.waves else self.waves[-1]
            parts.append(self._crosstab_text(xw))
            parts.append(
                self.figure(
                    "crosstab",
                    (
                        "Rekrutteringsstatus etter hvor stort hinder manglende kompetanse er, "
                        f"{xw}. Prosent innen hindringsgrad"
                        if nb
                        else f"Recruitment status by how large a barrier lack of competence is, {xw}. Percent within barrier level"
                    ),
                )
            )
            parts.append(
                self.figure(
                    "barrier_dist",
                    "Fordeling av svarene om manglende kompetanse, per bølge"
                    if nb
                    else "Distribution of answers on lack of competence, by wave",
                )
            )
        parts.append(self._theme_table(theme, share_ids + mean_ids))
        parts.append(self._size_table(theme, share_ids))
        parts.append(self.source_line())
        return "\n\n".join(parts) + "\n"

    def _theme_text(self, theme: str, ids: list[str]) -> str:
        nb = self.lang == "nb"
        first, last = self.waves[0], self.waves[-1]
        sents = []
        for ind in ids:
            a, b = self.est(ind, first), self.est(ind, last)
            if a is None or b is None:
                continue
            d = direction(a.estimate, a.conf_low, a.conf_high, b.estimate, b.conf_low, b.conf_high)
            name = self.lab(self.ind_spec(ind))
            sents.append(
                f"{name}: {self.cell_pct(a)} ({first}) → {self.cell_pct(b)} ({last}); {self.t[d]}."
                if nb
                else f"{name}: {self.cell_pct(a)} ({first}) → {self.cell_pct(b)} ({last}); {self.t[d]}."
            )
        intro = {
            "priority": (
                "Digital prioritering handler om strategi og IKT-prosjekter."
                if nb
                else "Digital priority concerns strategy and ICT projects."
            ),
            "competence": (
                "Digital kompetanse handler om hvem som utfører IKT-oppgavene, om mangel på kompetanse, og om rekruttering."
                if nb
                else "Digital competence concerns who performs ICT tasks, lack of competence, and recruitment."
            ),
            "activity": (
                "Digital aktivitet handler om skytjenester, digitale anskaffelser og digitale tjenester til innbyggerne."
                if nb
                else "Digital activity concerns cloud services, digital procurement and digital services to citizens."
            ),
        }[theme]
        return (
            intro
            + " "
            + (
                "Endringen regnes som klar når 95 %-intervallet for forskjellen mellom første og siste bølge ikke omfatter null."
                if nb
                else "A change counts as clear when the 95 % interval of the difference between the first and last wave excludes zero."
            )
            + "\n\n"
            + "\n".join(f"- {s}" for s in sents)
        )

    def _crosstab_text(self, year: int) -> str:
        nb = self.lang == "nb"
        d = self.crosstab[self.crosstab.year == year]
        hi = d[(d.level == "high") & (d.status == "not_tried")]
        if hi.empty:
            return ""
        r = hi.iloc[0]
        v = SUPPRESSED if self.hidden(r.n) else pct(r.estimate, self.lang)
        return (
            f"Blant kommunene der manglende kompetanse i stor grad var et hinder i {year}, hadde {v} ikke forsøkt å rekruttere IKT-spesialister ({ci(r.conf_low, r.conf_high, 'nb')}; @fig-crosstab)."
            if nb
            else f"Among municipalities where lack of competence was a large barrier in {year}, {v} had not tried to recruit ICT specialists ({ci(r.conf_low, r.conf_high, 'en')}; @fig-crosstab)."
        )

    def _theme_table(self, theme: str, ids: list[str]) -> str:
        nb = self.lang == "nb"
        rows = []
        for ind in ids:
            for weighted in (False, True):
                cells = []
                kind = None
                for w in self.waves:
                    r = self.est(ind, w, weighted=weighted)
                    if r is None:
                        cells.append("–")
                        continue
                    kind = r.kind
                    if self.hidden(r.n):
                        self.n_suppressed += 1
                        cells.append(SUPPRESSED)
                    elif r.kind == "mean":
                        cells.append(
                            f"{num(r.estimate, self.lang, 2)} ({num(r.conf_low, self.lang, 2)}–{num(r.conf_high, self.lang, 2)})"
                        )
                    else:
                        cells.append(
                            f"{num(100 * r.estimate, self.lang, 1)} ({num(100 * r.conf_low, self.lang, 0)}–{num(100 * r.conf_high, self.lang, 0)})"
                        )
                if kind is None:
                    continue
                name = self.lab(self.ind_spec(ind))
                suffix = []
                if kind == "mean":
                    suffix.append("snitt" if nb else "mean")
                if weighted:
                    suffix.append("vektet" if nb else "weighted")
                rows.append([name + (f" ({', '.join(suffix)})" if suffix else "")] + cells)
        cols = [self.t["indicator"]] + [str(w) for w in self.waves]
        cap = (
            f"{self.lab(self.ctx['codebook']['themes'][theme])}: prosent (andeler) eller gjennomsnitt, med 95 % konfidensintervall, alle kommuner"
            if nb
            else f"{self.lab(self.ctx['codebook']['themes'][theme])}: percent (shares) or mean, with 95 % confidence interval, all municipalities"
        )
        return md_table(pd.DataFrame(rows, columns=cols)) + f"\n\n: {cap} {{#tbl-{theme}}}"

    def _size_table(self, theme: str, ids: list[str]) -> str:
        nb = self.lang == "nb"
        last = self.waves[-1]
        gids = [ALL] + [g["id"] for g in self.groups]
        rows = [
            [self.lab(self.ind_spec(ind))] + [self.cell_pct(self.est(ind, last, g)) for g in gids]
            for ind in ids
            if self.est(ind, last) is not None
        ]
        if not rows:
            return ""
        cols = [self.t["indicator"]] + [self.group_label[g] for g in gids]
        cap = (
            f"{self.lab(self.ctx['codebook']['themes'][theme])}: andeler etter kommunestørrelse, {last} (uvektet)"
            if nb
            else f"{self.lab(self.ctx['codebook']['themes'][theme])}: shares by municipality size, {last} (unweighted)"
        )
        return md_table(pd.DataFrame(rows, columns=cols)) + f"\n\n: {cap} {{#tbl-{theme}-size}}"

    # -- replication -------------------------------------------------------------------
    def replication(self) -> str:
        nb = self.lang == "nb"
        sc = self.scorecard.copy()
        ok, comp = self._replication_counts()
        mark = {True: "✓", False: "✗"}
        rows = []
        for _, r in sc.iterrows():
            if pd.isna(r.reproduced):
                m = "–"
                rep = "–"
            else:
                m = mark[str(r.within_tolerance).lower() == "true"]
                rep = pct(r.reproduced, self.lang, 1)
            diff = "" if pd.isna(r.diff_pp) else num(r.diff_pp, self.lang, 1)
            why = (
                ""
                if pd.isna(r.reason) or not r.reason
                else str(r.reason).replace("not computable: ", "")
            )
            rows.append(
                (r.target_id, int(r.year), str(r.indicator), str(r.published), rep, diff, m, why)
            )
        cols = [
            "Mål" if nb else "Target",
            self.t["year"],
            self.t["indicator"],
            "Publisert" if nb else "Published",
            "Gjenskapt" if nb else "Reproduced",
            "Diff. (pp)",
            "",
            "Merknad" if nb else "Note",
        ]
        computable = [r for r in rows if r[6] != "–"]
        other = [r for r in rows if r[6] == "–"]
        text = (
            f"Tabellen sammenligner {comp} publiserte tall som panelet kan beregne, med pipelinens estimater: "
            f"{ok} ligger innenfor toleransen (✓), {comp - ok} utenfor (✗). Tall oppgitt i ord («en tredjedel», "
            f"«over halvparten») sjekkes mot intervallet de impliserer. {len(other)} publiserte tall kan ikke beregnes "
            f"(–), oftest fordi panelet ikke har variabelen eller bølgen ikke er konfigurert; de er listet i "
            f"`results/replication/scorecard.csv`."
            if nb
            else f"The table compares {comp} published figures the panel can compute with the pipeline's estimates: "
            f"{ok} lie within tolerance (✓), {comp - ok} outside (✗). Figures given in words ('a third', "
            f"'over half') are checked against the interval they imply. {len(other)} published figures cannot be "
            f"computed (–), mostly because the panel lacks the variable or the wave is not configured; they are listed "
            f"in `results/replication/scorecard.csv`."
        )
        if self.synthetic:
            text += (
                " Med syntetiske data viser tabellen at kalibreringen virker – ikke at SSBs tall er gjenskapt fra mikrodata."
                if nb
                else " With synthetic data the table shows that the calibration works – not that SSB's figures were reproduced from microdata."
            )
        tab = md_table(
            pd.DataFrame(computable, columns=cols), ["l", "r", "l", "r", "r", "r", "c", "l"]
        )
        cap = "Publiserte og gjenskapte tall" if nb else "Published and reproduced figures"
        fig = self.figure(
            "replication",
            "Publisert mot gjenskapt verdi; linjen viser likhet"
            if nb
            else "Published against reproduced value; the line marks equality",
        )
        return (
            text
            + "\n\n"
            + tab
            + f"\n\n: {cap} {{#tbl-scorecard}}\n\n"
            + fig
            + "\n"
            + self._statbank()
            + "\n"
            + self.source_line()
            + "\n"
        )

    def _statbank(self) -> str:
        """Official StatBank figures (when fetch_statbank=true): the comparisons configured
        in indicators.yaml replication.statbank, and the latest period of each table."""
        nb = self.lang == "nb"
        files = sorted((Path(self.results) / "statbank").glob("*.csv"))
        if not self.ctx.get("fetch_statbank") or not files:
            return ""
        parts = [
            "## "
            + ("Offisielle tall fra Statistikkbanken" if nb else "Official figures from StatBank")
            + " {#sec-statbank}"
        ]
        sb = self.scorecard[self.scorecard.reference == "statbank"]
        if not sb.empty:
            rows = [
                (
                    r.target_id,
                    int(r.year),
                    r.indicator,
                    pct(float(r.published), self.lang, 1),
                    pct(r.reproduced, self.lang, 1) if pd.notna(r.reproduced) else "–",
                    "" if pd.isna(r.diff_pp) else num(r.diff_pp, self.lang, 1),
                    {"true": "✓", "false": "✗"}.get(str(r.within_tolerance).lower(), "–"),
                )
                for r in sb.itertuples()
            ]
            parts.append(
                md_table(
                    pd.DataFrame(
                        rows,
                        columns=[
                            "Id",
                            self.t["year"],
                            self.t["indicator"],
                            "StatBank",
                            "digikom",
                            "Diff. (pp)",
                            "",
                        ],
                    ),
                    ["l", "r", "l", "r", "r", "r", "c"],
                )
                + "\n\n: "
                + ("Statistikkbanken mot digikom" if nb else "StatBank against digikom")
                + " {#tbl-statbank}"
            )
        for f in files:
            d = pd.read_csv(f, dtype=str)
            tcol = "Tid" if "Tid" in d.columns else None
            if tcol:
                d = d[d[tcol] == max(d[tcol])]
            labels = [c for c in d.columns if c.endswith("_label")]
            show = d[labels + ["value", "status"]].head(25).fillna("")
            show.columns = [c.removesuffix("_label") for c in labels] + ["value", "status"]
            parts.append(
                md_table(show, ["l"] * len(labels) + ["r", "c"])
                + "\n\n: "
                + (
                    f"Statistikkbanken, tabell {f.stem} (siste periode; inntil 25 rader)"
                    if nb
                    else f"StatBank table {f.stem} (latest period; up to 25 rows)"
                )
                + f" {{#tbl-statbank-{f.stem}}}"
            )
        return "\n\n".join(parts) + "\n"

    # -- appendix --------------------------------------------------------------------
    def appendix(self) -> str:
        nb = self.lang == "nb"
        cb = self.ctx["codebook"]["variables"]
        rows = []
        for name, v in cb.items():
            if v["kind"] in ("binary",):
                rng = "0/1"
            elif v["kind"] == "ordinal":
                rng = ", ".join(f"{k} = {self.lab(lab)}" for k, lab in v["values"].items())
            elif v["kind"] == "count" and "max" in v:
                rng = f"0–{v['max']}"
            elif v["kind"] == "count":
                rng = "≥ 0"
            else:
                rng = v["kind"]
            if v.get("nullable"):
                rng += "; " + ("tom tillatt" if nb else "empty allowed")
            q = v.get("question", {})
            rows.append(
                (
                    f"`{name}`",
                    self.lab(v),
                    self.lab(q) if isinstance(q, dict) else str(q),
                    rng,
                    ("inndata" if nb else "input")
                    if v.get("input")
                    else ("avledet" if nb else "derived"),
                )
            )
        cols = [
            "Variabel" if nb else "Variable",
            "Etikett" if nb else "Label",
            "Spørsmål / definisjon" if nb else "Question / definition",
            "Verdier" if nb else "Values",
            "Type",
        ]
        parts = [
            "### " + ("Kodebok" if nb else "Codebook") + " {#sec-codebook}",
            md_table(pd.DataFrame(rows, columns=cols), ["l", "l", "l", "l", "l"])
            + "\n\n: "
            + (
                "Kodebok (workflow/schemas/codebook.yaml)"
                if nb
                else "Codebook (workflow/schemas/codebook.yaml)"
            )
            + " {#tbl-codebook}",
        ]
        mrows = [
            (
                f"`{m['id']}`",
                self.lab(m),
                f"`{m['outcome']}`",
                m["family"],
                f"`{m['formula']}`",
                m.get("subset", ""),
                m.get("weights", "none"),
                m.get("cov_type", "cluster"),
            )
            for m in self.ctx["models"]
        ]
        parts += [
            "### "
            + ("Modellspesifikasjoner" if nb else "Model specifications")
            + " {#sec-modelspecs}",
            md_table(
                pd.DataFrame(
                    mrows,
                    columns=[
                        "id",
                        "Modell" if nb else "Model",
                        "Utfall" if nb else "Outcome",
                        "Familie" if nb else "Family",
                        "Formel" if nb else "Formula",
                        "Utvalg" if nb else "Subset",
                        "Vekter" if nb else "Weights",
                        "Kovarians" if nb else "Covariance",
                    ],
                ),
                ["l"] * 8,
            )
            + "\n\n: "
            + (
                "Modeller slik de er konfigurert (config/models.yaml)"
                if nb
                else "Models as configured (config/models.yaml)"
            )
            + " {#tbl-modelspecs}",
        ]
        if self.synthetic and self.ctx.get("calibration"):
            cal = pd.DataFrame(self.ctx["calibration"])
            crow = [
                (r.variable, r.part, int(r.year), pct(r.value, self.lang, 1), r.source, r.note)
                for r in cal.itertuples()
            ]
            parts += [
                "### "
                + (
                    "Kalibrering av de syntetiske dataene"
                    if nb
                    else "Calibration of the synthetic data"
                ),
                md_table(
                    pd.DataFrame(
                        crow,
                        columns=[
                            "Variabel" if nb else "Variable",
                            "Del" if nb else "Part",
                            self.t["year"],
                            "Mål" if nb else "Target",
                            "Kilde" if nb else "Source",
                            "Merknad" if nb else "Note",
                        ],
                    ),
                    ["l", "l", "r", "r", "l", "l"],
                )
                + "\n\n: "
                + (
                    "Kalibreringsmål (config/synthetic.yaml)"
                    if nb
                    else "Calibration targets (config/synthetic.yaml)"
                )
                + " {#tbl-calibration}",
            ]
        prov = self.prov
        irows = [
            (f"`{i['path']}`", f"`{i['sha256'][:16]}…`", num(i["bytes"], self.lang))
            for i in prov["inputs"]
        ]
        parts += [
            "### " + ("Proveniens" if nb else "Provenance") + " {#sec-provenance}",
            (
                f"Git-versjon `{prov['git']['commit']}`, Python {prov['python']}, renderer {self.renderer}. "
                f"Full proveniens (inkludert hele konfigurasjonen) ligger i `results/provenance.json`."
                if nb
                else f"Git version `{prov['git']['commit']}`, Python {prov['python']}, renderer {self.renderer}. "
                f"Full provenance (including the whole configuration) is in `results/provenance.json`."
            ),
            md_table(
                pd.DataFrame(irows, columns=["Fil" if nb else "File", "sha256", "Bytes"]),
                ["l", "l", "r"],
            )
            + "\n\n: "
            + ("Inndatafiler" if nb else "Input files")
            + " {#tbl-inputs}",
            md_table(
                pd.DataFrame(
                    [(k, v or "–") for k, v in prov["packages"].items()],
                    columns=["Pakke" if nb else "Package", "Versjon" if nb else "Version"],
                ),
                ["l", "l"],
            )
            + "\n\n: "
            + ("Pakkeversjoner" if nb else "Package versions")
            + " {#tbl-packages}",
        ]
        cfg = {k: v for k, v in prov["config"].items() if k not in ("statbank",)}
        parts += [
            "**" + ("Konfigurasjon" if nb else "Configuration") + "**",
            "```yaml\n"
            + yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False, width=90)
            + "```",
        ]
        parts += [
            "### "
            + ("Slik bygges rapporten på nytt" if nb else "How to rebuild")
            + " {#sec-rebuild}",
            "```sh\nmake report                      # "
            + (
                "oppretter .venv, installerer låste pakker, kjører snakemake"
                if nb
                else "creates .venv, installs pinned packages, runs snakemake"
            )
            + "\nsnakemake --cores all --config lang="
            + self.lang
            + "\nsnakemake --cores all --config microdata="
            + ("sti/til/panel.csv" if nb else "path/to/panel.csv")
            + "\n```",
        ]
        return "\n\n".join(parts) + "\n"
