"""The report's context, built in one place.

``context_settings(settings)`` is what the configuration says to the report: the slice of
:class:`digikom.config.Settings` that rule ``report`` gets as a param (so editing a
setting the report shows re-runs the report, and nothing else is read).
``build(params, targets_path)`` turns it, with the published targets, into
results/context.json. ``ReportData`` is the loader the report's sections use: it
reads context.json, provenance.json and every result file the sections show, so that no
section reads a file itself.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import pandas as pd

from .evidence import ASSUMED, ESTIMATED
from .text import label


def context_settings(settings) -> dict:
    """The report's settings (a param of rule ``report``), from the validated config."""
    s, config = settings, settings.config
    return {
        "lang": s.lang,
        "waves": config["waves"],
        "data_mode": s.data_mode,
        "microdata": config["microdata"],
        "fetch_statbank": config["fetch_statbank"],
        "min_cell": config["report"]["min_cell"],
        "protection": s.protection,
        "seed": config["seed"],
        "size_groups": s.size_groups,
        "codebook": s.codebook,
        "indicators": s.indicators,
        "models": s.models,
        "robustness": s.robustness,
        "model_labels": s.labels,
        "comparison": s.comparison,
        # the generator's parameters: what the synthetic default is made of
        "synthetic": s.synthetic if s.is_synthetic else None,
        "calibration_targets": s.calibration_ids if s.is_synthetic else [],
    }


def build(params: dict, targets_path: str) -> dict:
    """results/context.json: the report's settings (:func:`context_settings`), the
    units of the published figures and, with the synthetic default, every calibrated share
    and parameter with its provenance (:func:`calibration_rows`, digikom.synthetic)."""
    from . import synthetic as S
    from .published import read_targets

    targets = read_targets(targets_path)
    synthetic = params["data_mode"] == "synthetic"
    calibration = []
    if synthetic:
        calibration = calibration_rows(
            params["synthetic"], targets, params["waves"], params["lang"]
        )
    ctx = {
        k: params[k]
        for k in (
            "lang", "waves", "data_mode", "microdata", "fetch_statbank", "min_cell", "protection",
            "seed",
            "size_groups", "codebook", "indicators", "models", "robustness", "model_labels",
        )
    }  # fmt: skip
    ctx["published_units"] = dict(
        zip(*[targets[c].astype(str) for c in ("id", "unit")], strict=True)
    )
    ctx["calibration"] = calibration
    ctx["calibration_summary"] = calibration_summary(calibration)
    evidence = {"comparison": params["comparison"], "data_mode_class": ESTIMATED}
    if synthetic:
        evidence.update(
            data_mode_class=ASSUMED,
            calibration_targets=list(params["calibration_targets"]),
            parameters=S.parameter_provenance(params["synthetic"], targets),
            persistence=params["synthetic"]["persistence"],
        )
    ctx["evidence"] = evidence
    return ctx


def calibration_rows(params: dict, targets, waves: list[int], lang: str) -> list[dict]:
    """Every share the synthetic generator is calibrated to in the configured waves, one row
    per share spec of :func:`digikom.synthetic._share_specs` (targets, overall, high, low
    and within_level): the one list every calibration count of the report is taken from.
    ``source`` is the published target id(s) the value rests on, or "assumption";
    ``provenance`` the class of :func:`digikom.synthetic.parameter_provenance`; ``note`` is
    in the report language. A configured wave without a value of its own (a new wave) gets
    the value the generator carries over to it (:func:`digikom.synthetic.spec_wave`), as an
    assumption whose note names the wave it comes from (``carried_from``)."""
    from .published import resolve_share
    from .synthetic import _share_specs, spec_wave
    from .text import Text

    specs = [(*s, None) for s in _share_specs(params)]  # ..., carried_from
    by_family: dict[tuple, dict[int, dict]] = {}
    for var, key, year, _, spec, _ in specs:
        if key != "within_level":  # applied only in the waves it names
            by_family.setdefault((var, key), {})[int(year)] = spec
    for (var, key), by_year in by_family.items():
        last = max(i for i, s in enumerate(specs) if s[:2] == (var, key))
        carried = [(w, u) for w in waves if (u := spec_wave(by_year, w)) != w]
        specs[last + 1 : last + 1] = [(var, key, w, None, by_year[u], u) for w, u in carried]
    tx, rows = Text(lang), []
    for var, key, year, level, spec, carried_from in specs:
        if int(year) not in waves:
            continue
        ids = (
            [spec["target"]]
            if "target" in spec
            else list(spec.get("ratio_of", [])) or list(spec.get("derived_from", []))
        )
        path = f"{var}.{key}.{carried_from or year}" + (f".{level}" if level else "")
        row = {
            "variable": var,
            "part": key + (f" ({level})" if level else ""),
            "year": int(year),
            "level": level,
            "value": resolve_share(spec, targets, f"config/synthetic.yaml {path}"),
            "source": ", ".join(ids) if ids else "assumption",
            "provenance": "assumed"
            if not ids
            else "derived"
            if "derived_from" in spec
            else "published",
            "note": label(spec["note"], lang) if spec.get("note") else "",
        }
        if carried_from is not None:
            row.update(
                source="assumption",
                provenance="assumed",
                carried_from=carried_from,
                note=tx("appendix.cal_carried", year=year, used=carried_from),
            )
        rows.append(row)
    return rows


def calibration_summary(rows: list[dict]) -> dict:
    """The calibration counts the report states: shares calibrated (``parameters``), how many
    rest on published figures (``published``) or are assumptions (``assumed``), and the
    distinct published figures they use (``figures``)."""
    ids = {i for r in rows if r["source"] != "assumption" for i in r["source"].split(", ")}
    published = sum(r["source"] != "assumption" for r in rows)
    return {
        "parameters": len(rows),
        "published": published,
        "assumed": len(rows) - published,
        "figures": len(ids),
    }


class ReportData:
    """Every file the report reads, read here: the run's records (``ctx``, ``prov``) and
    the tables every section shares, each read once when first used; the other result
    tables when a section asks (None or {} when the run did not make them)."""

    def __init__(self, results, context_path=None, provenance_path=None):
        self.results = r = Path(results)
        self.context_path = Path(context_path or r / "context.json")
        self.provenance_path = Path(provenance_path or r / "provenance.json")

    @cached_property
    def ctx(self) -> dict:
        return _json(self.context_path)

    @cached_property
    def prov(self) -> dict:
        return _json(self.provenance_path)

    @cached_property
    def shares(self) -> pd.DataFrame:
        return self.public_table("shares")

    @cached_property
    def composites(self) -> pd.DataFrame:
        return self.public_table("composites")

    @cached_property
    def crosstab(self) -> pd.DataFrame:
        return self.public_table("crosstab")

    @cached_property
    def changes(self) -> pd.DataFrame:
        return self.public_table("changes")

    @cached_property
    def scorecard(self) -> pd.DataFrame:
        return pd.read_csv(self.results / "replication" / "scorecard.csv")

    def indicator_table(self, name: str) -> pd.DataFrame:
        """results/indicators/<name>.csv (rule evidence_tables: response, nonresponse,
        reform sensitivity, composite rules)."""
        return pd.read_csv(self.results / "indicators" / f"{name}.csv")

    def public_table(self, name: str) -> pd.DataFrame:
        """results/public/tables/<name>.csv, the protected table (rule public_tables), in
        the internal columns with ``suppressed`` (digikom.protection.public.internal)."""
        from .protection.public import read_public

        return read_public(self.results / "public" / "tables" / f"{name}.csv", name)

    def model_table(self, name: str) -> pd.DataFrame | None:
        """The ``name`` table ("coefficients" or "predictions") of every configured model,
        in config order, from each model's own protected table
        results/public/models/<id>/<name>.csv (rule public_model; results/public/tables/
        holds the same rows collected for users, and the report does not wait for that
        copy), with ``suppressed``. None when there is none."""
        from .protection.models import read_model_table

        frames = []
        for spec in self.ctx["models"]:
            path = self.results / "public" / "models" / spec["id"] / f"{name}.csv"
            if path.exists() and len(d := read_model_table(path, name)):
                frames.append(d)
        return pd.concat(frames, ignore_index=True) if frames else None

    def model_json(self, model_id: str) -> dict:
        """results/models/<id>.json (status, warnings, fit statistics), {} if absent."""
        p = self.results / "models" / f"{model_id}.json"
        return _json(p) if p.exists() else {}

    def _optional_csv(self, *parts: str, **kwargs) -> pd.DataFrame | None:
        p = self.results.joinpath(*parts)
        return pd.read_csv(p, **kwargs) if p.exists() else None

    def revisions(self) -> tuple[dict, pd.DataFrame, pd.DataFrame | None]:
        """What changed since the latest release (rule revisions): the summary
        (results/release/summary.json: ``release`` None without one), the revisions
        (results/public/revisions.csv) and the release rules' results
        (results/release/checks.csv), each empty when absent."""
        from .release.compare import empty, read_revisions

        path = self.results / "release" / "summary.json"
        summary = _json(path) if path.exists() else {"release": None}
        rev_path = self.results / "public" / "revisions.csv"
        rev = read_revisions(rev_path) if rev_path.exists() else empty()
        return summary, rev, self._optional_csv("release", "checks.csv")

    def bootstrap_predictions(self) -> pd.DataFrame | None:
        return self._optional_csv("models", "bootstrap_predictions.csv")

    def robustness(self) -> pd.DataFrame | None:
        return self._optional_csv("models", "robustness.csv")

    def recovery(self) -> pd.DataFrame | None:
        """results/simulation/recovery.csv (the parameter-recovery study), None if absent."""
        return self._optional_csv(
            "simulation", "recovery.csv", dtype={"category": str, "term": str}
        )

    def seed_validation(self) -> pd.DataFrame | None:
        """results/simulation/validation.csv, checked (digikom.replication)."""
        from .replication import read_seed_validation

        return read_seed_validation(self.results / "simulation" / "validation.csv")

    def maps(self) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
        """The maps stage's metadata (maps.json), lookup table and county table."""
        mdir = self.results / "maps"
        lookup = pd.read_csv(
            mdir / "lookup.csv", dtype={"kommunenr": str}, keep_default_na=False, na_values=[""]
        )
        counties = self.public_table("counties")
        return self._with_labels(_json(mdir / "maps.json")), lookup, counties

    def _with_labels(self, meta: dict) -> dict:
        """maps.json's subjects with their labels from the configuration (the report's
        context): the maps stage's tables carry ids only, so a label edit re-runs none."""
        from .text import label_entries

        rules = self.ctx["indicators"]
        specs = {s["id"]: s for s in rules["shares"] + rules["means"]}
        composites = {c["id"]: c for c in rules["composites"]}
        for s in meta["subjects"]:
            if s["kind"] == "composite":
                spec = composites[s["spec_id"]]
                s["groups"] = {k: label_entries(g) for k, g in spec["groups"].items()}
                s["category"] = s["groups"][s["category"]]
            else:
                spec = specs[s["spec_id"]]
            s.update(label_entries(spec))
        return meta

    def statbank_views(self) -> list[dict]:
        """The resolved views of the StatBank tables fetched (results/statbank/*.view.json),
        in file-name order."""
        return [_json(p) for p in sorted((self.results / "statbank").glob("*.view.json"))]

    def figure_png(self, stem: str) -> Path:
        """results/figures/<stem>.png."""
        return self.results / "figures" / f"{stem}.png"

    @staticmethod
    def alt_text(png: str | Path) -> str | None:
        """The alt text stored beside a figure (``<stem>.alt.txt``), None if absent."""
        png = Path(png)
        alt = png.with_name(png.name.removesuffix(".png") + ".alt.txt")
        return alt.read_text(encoding="utf-8").strip() if alt.exists() else None


def _json(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
