"""The municipality panel: read the microdata (digikom panel format), validate it against
the codebook with pandera, and join it to the real municipality frames.

Every downstream rule reads only the panel this module writes."""

from __future__ import annotations

import csv
import io
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import InputDataError

if TYPE_CHECKING:  # pandera is imported where microdata are validated (build_panel only)
    import pandera.pandas as pa

log = logging.getLogger(__name__)

MAX_REPORTED = 20  # failure cases listed per check before "... and N more"


# --------------------------------------------------------------------------- frames
def read_frame(path: str | os.PathLike, year: int) -> pd.DataFrame:
    """A municipality frame (data/reference/municipalities_<year>.csv)."""
    try:
        df = pd.read_csv(path, dtype={"kommunenummer": str, "fylkesnummer": str})
    except FileNotFoundError as exc:
        raise InputDataError(f"{path}: municipality frame for {year} not found") from exc
    need = {"kommunenummer", "kommunenavn", "population"}
    if not need <= set(df.columns):
        raise InputDataError(f"{path}: frame lacks column(s) {sorted(need - set(df.columns))}")
    df = df.rename(columns={"kommunenummer": "kommunenr"})
    df["year"] = int(year)
    return df


def read_frames(paths: dict[int, str | os.PathLike]) -> dict[int, pd.DataFrame]:
    return {int(y): read_frame(p, y) for y, p in paths.items()}


# --------------------------------------------------------------------------- reading
def read_microdata(path: str | os.PathLike) -> pd.DataFrame:
    """Read a CSV (comma or semicolon, UTF-8) or Parquet file as text columns, with
    empty strings for empty cells. Raises InputDataError for anything else."""
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"{path}: microdata file not found")
    if path.is_file() and path.stat().st_size == 0:
        raise InputDataError(f"{path}: file is empty")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputDataError(f"{path}: cannot read microdata file ({exc.strerror})") from exc
    head = data[:4096]
    if head[:4] == b"PAR1" or path.suffix.lower() in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types
            raise InputDataError(f"{path}: not a readable Parquet file ({exc})") from exc
        return _as_text(df)
    if b"\x00" in head:
        raise InputDataError(f"{path}: not a CSV or Parquet file (binary content)")
    text = _decode_utf8(data, path)
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise InputDataError(f"{path}: file has no header line")
    sep = ";" if first.count(";") > first.count(",") else ","
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputDataError(f"{path}: cannot parse as CSV (separator '{sep}'): {exc}") from exc
    if not isinstance(df.index, pd.RangeIndex):  # pandas made the surplus fields row labels
        raise InputDataError(
            f"{path}: the first data line has {df.shape[1] + df.index.nlevels} fields, the "
            f"header {df.shape[1]} (separator '{sep}'): each line needs one field per column"
        )
    if df.shape[1] < 2:
        raise InputDataError(
            f"{path}: found {df.shape[1]} column(s); expected a comma- or semicolon-separated "
            "file in digikom panel format"
        )
    # the header as written: pandas renames a repeated name ("x" again -> "x.1")
    try:
        names = [c.strip() for c in next(csv.reader(io.StringIO(text), delimiter=sep))]
    except csv.Error as exc:
        raise InputDataError(f"{path}: cannot parse the header line as CSV: {exc}") from exc
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise InputDataError(f"{path}: column(s) named twice in the header: {', '.join(dupes)}")
    df.columns = [str(c).strip() for c in df.columns]
    return _as_text(df)


def _decode_utf8(data: bytes, path: Path) -> str:
    """The file as text (UTF-8, a BOM dropped); a byte that is not UTF-8, anywhere in the
    file, is reported with its line, column and byte offset (and the field, when the line
    has no quotes), like every other bad value."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        start = exc.start + bom
        line_start = data.rfind(b"\n", 0, start) + 1
        line = data.count(b"\n", 0, start) + 1
        prefix = data[line_start:start].decode("utf-8", errors="replace")
        column = len(prefix) + 1
        field = ""
        header = data[bom : data.find(b"\n") if b"\n" in data else len(data)]
        header = header.decode("utf-8", errors="replace").rstrip("\r")
        sep = ";" if header.count(";") > header.count(",") else ","
        if '"' not in prefix and '"' not in header:
            names = [h.strip() for h in header.split(sep)]
            i = prefix.count(sep)
            if i < len(names):
                field = f", field '{names[i]}'"
        raise InputDataError(
            f"{path}: line {line}, column {column}{field} (byte {start} of the file): "
            f"byte 0x{data[start]:02x} is not valid UTF-8; save the CSV as UTF-8"
        ) from exc


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_float_dtype(s):
            # 1.0 -> "1"; keep real fractions as they are so range checks see them
            txt = s.map(
                lambda v: "" if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v))
            )
        else:
            txt = s.map(
                lambda v: (
                    ""
                    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA
                    else str(v)
                )
            )
        out[str(col)] = txt.astype(object).str.strip()
    return out


# --------------------------------------------------------------------------- validation
class _Failures:
    """Collects failure cases: (check, column, rows, value)."""

    def __init__(self, source: str, row_offset: int):
        self.source = source
        self.row_offset = row_offset
        self.items: list[tuple[str, str, list[int], str]] = []

    def add(self, check: str, column: str, index, value) -> None:
        rows = [int(i) + self.row_offset for i in np.atleast_1d(index)]
        self.items.append((check, column, rows, str(value)))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        lines = []
        by_check: dict[tuple[str, str], list] = {}
        for check, col, rows, val in self.items:
            by_check.setdefault((check, col), []).append((rows, val))
        for (check, col), cases in by_check.items():
            shown = "; ".join(
                f"row {','.join(map(str, r))}: {v!r}" for r, v in cases[:MAX_REPORTED]
            )
            more = f" ... and {len(cases) - MAX_REPORTED} more" if len(cases) > MAX_REPORTED else ""
            lines.append(f"column '{col}' — {check}: {shown}{more}")
        raise InputDataError(
            f"{self.source}: {len(self.items)} invalid value(s) in microdata "
            f"(rows are line numbers in the file):\n  " + "\n  ".join(lines)
        )


def _int_range_check(var: dict, name: str) -> list[pa.Check]:
    import pandera.pandas as pa

    kind = var["kind"]
    if kind == "binary":
        return [pa.Check.isin([0, 1], name="allowed values 0/1")]
    if kind == "ordinal":
        allowed = sorted(int(k) for k in var["values"])
        return [pa.Check.isin(allowed, name=f"allowed values {allowed}")]
    if kind == "count":
        checks = [pa.Check.ge(0, name="must be >= 0")]
        # an item list caps the count unless the codebook says it is illustrative
        if "max" in var and var.get("bounded", True):
            checks.append(pa.Check.le(var["max"], name=f"must be <= {var['max']} (codebook items)"))
        return checks
    return []


def build_schema(
    codebook: dict, frames: dict[int, pd.DataFrame], waves: list[int]
) -> pa.DataFrameSchema:
    """The pandera schema of the typed microdata, built from the codebook."""
    import pandera.pandas as pa

    valid_codes = {int(y): set(f["kommunenr"]) for y, f in frames.items()}
    cols: dict[str, pa.Column] = {}
    for name, var in codebook["variables"].items():
        if not var.get("input"):
            continue
        if var["kind"] == "id":
            cols[name] = pa.Column(
                str, pa.Check.str_matches(var["pattern"], name="4-digit code"), nullable=False
            )
        elif var["kind"] == "wave":
            cols[name] = pa.Column(
                "Int64",
                pa.Check.isin(list(waves), name=f"a wave in config waves {list(waves)}"),
                nullable=False,
            )
        else:
            cols[name] = pa.Column(
                "Int64", _int_range_check(var, name), nullable=bool(var.get("nullable"))
            )

    def in_frame(df: pd.DataFrame) -> pd.Series:
        return pd.Series(
            [
                (k in valid_codes.get(int(y), set())) if pd.notna(y) else True
                for k, y in zip(df["kommunenr"], df["year"], strict=True)
            ],
            index=df.index,
        )

    def problems_only_if_tried(df: pd.DataFrame) -> pd.Series:
        return ~((df["tried_recruit"] == 0) & df["recruit_problems"].notna()).fillna(False)

    def strategy_areas_zero_without(df: pd.DataFrame) -> pd.Series:
        return ~((df["has_strategy"] == 0) & (df["strategy_areas"] > 0)).fillna(False)

    return pa.DataFrameSchema(
        cols,
        checks=[
            pa.Check(in_frame, name="kommunenr not in that wave's municipality frame"),
            pa.Check(
                problems_only_if_tried, name="recruit_problems set although tried_recruit = 0"
            ),
            pa.Check(
                strategy_areas_zero_without, name="strategy_areas > 0 although has_strategy = 0"
            ),
        ],
        unique=["kommunenr", "year"],
        report_duplicates="all",
        strict=False,
        coerce=False,
    )


def validate_microdata(
    raw: pd.DataFrame,
    codebook: dict,
    frames: dict[int, pd.DataFrame],
    waves: list[int],
    source: str,
) -> pd.DataFrame:
    """Type, repair (3-digit kommunenr) and validate raw text microdata. All failures are
    collected and raised at once as one InputDataError naming file, rows, column, value."""
    if raw.empty:
        raise InputDataError(f"{source}: file has a header but no data rows")
    fails = _Failures(source, row_offset=2)  # header is line 1
    input_vars = {n: v for n, v in codebook["variables"].items() if v.get("input")}
    missing = [n for n, v in input_vars.items() if v.get("required") and n not in raw.columns]
    extra = [str(c) for c in raw.columns if c not in input_vars]
    if missing:
        import difflib

        def named(n: str) -> str:
            close = difflib.get_close_matches(n, extra, n=1, cutoff=0.75)
            return f"{n} (is {close[0]!r} meant?)" if close else n

        raise InputDataError(
            f"{source}: missing required column(s): {', '.join(map(named, missing))} "
            f"(found: {', '.join(map(str, raw.columns))})"
        )
    # Columns beyond the codebook's inputs are allowed (files often carry more) but never
    # used; a file's own value of a derived variable (a weight, say) would be replaced.
    derived = [c for c in extra if c in codebook["variables"]]
    if derived:
        log.warning(
            "%s: column(s) %s ignored: the pipeline derives these itself (codebook "
            "input: false), from the municipality frames and the answers",
            source,
            ", ".join(derived),
        )
    if unknown := [c for c in extra if c not in derived]:
        log.warning("%s: column(s) not in the codebook ignored: %s", source, ", ".join(unknown))
    df = pd.DataFrame(index=raw.index)
    not_integer: set[tuple[str, int]] = set()
    for name, var in input_vars.items():
        s = raw[name].astype(str).str.strip()
        if var["kind"] == "id":
            df[name] = s
            continue
        num = pd.to_numeric(s.where(s != ""), errors="coerce")
        num = num.astype(float)
        # integers only, and of a size that fits int64 (no survey value comes close)
        bad = (s != "") & (num.isna() | (num % 1 != 0) | (num.abs() > 2**53))
        for i in raw.index[bad]:
            fails.add("not an integer", name, i, s[i])
            not_integer.add((name, int(i)))
        df[name] = num.where(~bad).round().astype("Int64")

    # Repair a kommunenr that lost its leading zero (e.g. 301 -> 0301) when unambiguous.
    codes = {int(y): set(f["kommunenr"]) for y, f in frames.items()}
    short = df["kommunenr"].str.fullmatch(r"\d{3}")
    for i in df.index[short.fillna(False)]:
        padded = "0" + df.at[i, "kommunenr"]
        year = df.at[i, "year"]
        if pd.notna(year) and padded in codes.get(int(year), set()):
            log.warning(
                "%s: row %d: kommunenr %r lost its leading zero; read as %r",
                source,
                i + 2,
                df.at[i, "kommunenr"],
                padded,
            )
            df.at[i, "kommunenr"] = padded

    from pandera.errors import SchemaErrors

    schema = build_schema(codebook, frames, waves)
    try:
        schema.validate(df, lazy=True)
    except SchemaErrors as exc:
        fc = exc.failure_cases
        seen_dupes: set[int] = set()
        seen_wide: set[tuple[str, int]] = set()
        for _, row in fc.iterrows():
            col = row.get("column")
            check = str(row.get("check"))
            idx = row.get("index")
            if check in ("column_in_dataframe",):
                continue
            if pd.isna(idx):
                fails.add(check, str(col), [], row.get("failure_case"))
                continue
            if check in WIDE_CHECKS:
                if (check, int(idx)) in seen_wide:
                    continue
                seen_wide.add((check, int(idx)))
                col = _column_of_check(check)
                value = _value_of(df, int(idx), col)
            elif "uniqueness" in check:
                if int(idx) in seen_dupes:
                    continue
                seen_dupes.add(int(idx))
                col, check = "kommunenr, year", "duplicate (kommunenr, year)"
                value = f"{df.at[int(idx), 'kommunenr']}, {df.at[int(idx), 'year']}"
            else:
                if (str(col), int(idx)) in not_integer:
                    continue  # already reported as "not an integer"
                value = row.get("failure_case")
                if col == "year" and check.startswith("isin"):
                    check = f"not a configured wave (config waves: {list(waves)})"
            fails.add(check, str(col), int(idx), value)
    fails.raise_if_any()
    return df


WIDE_CHECKS = (
    "kommunenr not in that wave's municipality frame",
    "recruit_problems set although tried_recruit = 0",
    "strategy_areas > 0 although has_strategy = 0",
)


def _column_of_check(check: str) -> str:
    for col in ("kommunenr", "recruit_problems", "strategy_areas"):
        if check.startswith(col):
            return col
    if "unique" in check or "duplicate" in check:
        return "kommunenr, year"
    return "(row)"


def _value_of(df: pd.DataFrame, idx: int, col: str):
    if col in df.columns:
        v = df.at[idx, col]
        return "" if pd.isna(v) else v
    return ""


# --------------------------------------------------------------------------- panel
def build_panel(
    micro: pd.DataFrame,
    frames: dict[int, pd.DataFrame],
    size_groups: list[dict],
    codebook: dict,
    crosswalk: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per municipality of each wave's frame; respondents carry their answers."""
    parts = []
    for year in sorted(frames):
        frame = frames[year][["kommunenr", "year", "kommunenavn", "population"]].copy()
        answers = micro[micro["year"] == year].drop(columns=["year"])
        merged = frame.merge(answers, on="kommunenr", how="left", indicator=True, validate="1:1")
        merged["responded"] = merged.pop("_merge").eq("both")
        parts.append(merged)
    panel = pd.concat(parts, ignore_index=True)
    panel["population"] = panel["population"].astype("int64")
    panel["log_population"] = np.log(panel["population"].astype(float))
    panel["size_group"] = assign_size_group(panel["population"], size_groups)
    high = codebook["variables"]["competence_barrier"]["levels"]["high"]["values"]
    cb = panel["competence_barrier"]
    panel["competence_large"] = cb.isin(high).astype("Int64").where(cb.notna())
    panel["weight"] = nonresponse_weights(panel)
    if crosswalk is not None:
        panel["kommunenr_2024"] = harmonise_to_2024(panel, crosswalk)
    input_cols = [n for n, v in codebook["variables"].items() if v.get("input")]
    order = [
        "kommunenr",
        "year",
        "kommunenavn",
        "population",
        "log_population",
        "size_group",
        "responded",
    ] + [c for c in input_cols if c not in ("kommunenr", "year")]
    order += ["competence_large", "weight"] + (["kommunenr_2024"] if crosswalk is not None else [])
    for c in input_cols:
        if c not in ("kommunenr", "year"):
            panel[c] = panel[c].astype("Int64")
    return panel[order].sort_values(["year", "kommunenr"]).reset_index(drop=True)


def nonresponse_weights(panel: pd.DataFrame) -> pd.Series:
    """Inverse response rate within size group and wave (N_g / n_g) for respondents,
    0 for non-respondents, so weighted respondents add up to the frame."""
    g = panel.groupby(["year", "size_group"], observed=True)["responded"]
    n_frame = g.transform("size").astype(float)
    n_resp = g.transform("sum").astype(float)
    empty = panel.loc[n_resp == 0, ["year", "size_group"]].drop_duplicates()
    for _, r in empty.iterrows():
        log.warning(
            "no respondents in size group %s, wave %s: its weight cannot be formed",
            r["size_group"],
            r["year"],
        )
    w = np.where(panel["responded"], n_frame / n_resp.replace(0, np.nan), 0.0)
    return pd.Series(w, index=panel.index, dtype=float)


def read_crosswalk(path: str | os.PathLike) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"kommunenummer": str, "kommunenummer_2024": str})


def harmonise_to_2024(panel: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.Series:
    """Municipality number in the 2024 structure (several targets joined by '|')."""
    cw = (
        crosswalk.groupby(["from_year", "kommunenummer"])["kommunenummer_2024"]
        .agg(lambda s: "|".join(sorted(s)))
        .rename("k24")
        .reset_index()
    )
    merged = panel[["year", "kommunenr"]].merge(
        cw, left_on=["year", "kommunenr"], right_on=["from_year", "kommunenummer"], how="left"
    )
    return pd.Series(merged["k24"].to_numpy(), index=panel.index).fillna(panel["kommunenr"])


def read_panel(path: str | os.PathLike) -> pd.DataFrame:
    """Read results/data/panel.csv with the right types."""
    df = pd.read_csv(path, dtype={"kommunenr": str, "kommunenr_2024": str, "size_group": str})
    df["responded"] = df["responded"].astype(bool)
    for c in df.columns:
        if c not in (
            "kommunenr",
            "kommunenr_2024",
            "kommunenavn",
            "size_group",
            "responded",
            "log_population",
            "weight",
        ) and pd.api.types.is_numeric_dtype(df[c]):
            df[c] = df[c].astype("Int64")
    return df


def assign_size_group(population: pd.Series, size_groups: list[dict]) -> pd.Series:
    """Size-group id for each population value (lower inclusive, upper exclusive)."""
    edges = [g["lower"] for g in size_groups] + [np.inf]
    ids = [g["id"] for g in size_groups]
    out = pd.cut(population.astype(float), bins=edges, right=False, labels=ids)
    return out.astype("string")
