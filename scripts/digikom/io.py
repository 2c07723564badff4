"""Small I/O helpers shared by all rules: logging to the rule's log file, atomic writes,
YAML loading and file hashing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("digikom")


def setup_logging(
    logfile: str | os.PathLike | None = None,
    level: int = logging.INFO,
    console_level: int = logging.ERROR,
) -> None:
    """Send log records to ``logfile`` (everything from ``level`` up, with the Python
    warnings of the libraries) and only digikom's errors to stderr, one line each: the
    console of a run stays short, the log has the detail. Warnings are summarised once
    per run at its end (:func:`warning_summary`, called by the Snakefile)."""
    handlers: list[logging.Handler] = []
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(console_level)
    console.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    console.addFilter(lambda record: record.name.startswith("digikom"))
    handlers.append(console if logfile else logging.StreamHandler(sys.stderr))
    if logfile:
        Path(logfile).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(logfile, mode="w", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(handler)
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logging.captureWarnings(True)  # library warnings (statsmodels, ...) into the log


def _outputs(snakemake: Any) -> str:
    outs = list(snakemake.output)
    dirs = sorted({os.path.dirname(o) or "." for o in outs})
    if len(outs) == 1:
        return outs[0]
    return dirs[0] + "/" if len(dirs) == 1 else ", ".join(outs)


def run_rule(snakemake: Any, func, *args, **kwargs):
    """Run ``func`` inside a rule script: log to ``snakemake.log[0]`` (with the resolved
    inputs and params), and turn a :class:`DigikomError` or a full disk into one clear
    line and a non-zero exit instead of a deep traceback."""
    from .errors import DigikomError, DiskFullError, is_disk_full

    logfile = snakemake.log[0] if len(snakemake.log) else None
    setup_logging(logfile)
    log.info("rule %s", snakemake.rule)
    log.info("input: %s", dict(snakemake.input.items()) or list(snakemake.input))
    log.info("params: %s", dict(snakemake.params.items()))
    wildcards = dict(snakemake.wildcards.items()) if hasattr(snakemake, "wildcards") else {}
    log.info("wildcards: %s", wildcards)
    start = time.perf_counter()
    try:
        result = func(*args, **kwargs)
        label = " ".join([snakemake.rule, *(f"{k}={v}" for k, v in wildcards.items())])
        # the job's one progress line on the console, in one write: print() writes the text
        # and the newline apart, and two parallel jobs' lines then ran together
        sys.stderr.write(f"done  {label}  ({time.perf_counter() - start:.1f} s)\n")
        sys.stderr.flush()
        return result
    except Exception as exc:
        if is_disk_full(exc):
            path = exc.path if isinstance(exc, DiskFullError) else _outputs(snakemake)
            log.info("disk full (details)", exc_info=True)  # in the log file only
            log.error("disk full while writing %s", path)
            sys.exit(1)
        if isinstance(exc, DigikomError):
            log.error("%s: %s", type(exc).__name__, exc)
            sys.exit(1)
        raise


_LOG_LINE = re.compile(r"^\S+ \S+ (?P<level>WARNING|ERROR) (?P<logger>[\w.]+): (?P<msg>.*)$")


_SUBJECT = re.compile(r"^(?P<kind>\w+) (?P<name>\S+): (?P<rest>.+)$")


def warning_summary(log_dir: str | os.PathLike, since: float) -> list[str]:
    """One line per distinct warning in the job logs under ``log_dir`` written since
    ``since`` (epoch seconds, the start of the run). A warning repeated by several jobs
    or for several subjects ("model cloud: X", "model services: X") is shown once
    ("model cloud, services: X")."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for path in sorted(Path(log_dir).rglob("*.log")):
        try:
            if path.stat().st_mtime < since:
                continue
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            m = _LOG_LINE.match(line)
            if not m or m["level"] != "WARNING":
                continue
            s = _SUBJECT.match(m["msg"])
            key, name = ((s["kind"], s["rest"]), s["name"]) if s else (("", m["msg"]), "")
            names = grouped.setdefault(key, [])
            if name not in names:
                names.append(name)
    out = []
    for (kind, rest), names in grouped.items():
        subject = f"{kind} {', '.join(names)}: " if kind else ""
        out.append(f"Warning: {subject}{rest}")
    return out


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``.

    A failure (exception, disk full) removes the temporary file, so no partial output
    is ever left under the final name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=suffix or ".tmp", dir=str(path.parent)
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600 files; give the result the usual umask-based mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        from .errors import DiskFullError, is_disk_full

        if not isinstance(exc, DiskFullError) and isinstance(exc, Exception) and is_disk_full(exc):
            raise DiskFullError(path) from exc
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(
        path, json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False, default=str) + "\n"
    )


def write_csv(df: pd.DataFrame, path: str | os.PathLike, **kwargs) -> None:
    """Write a CSV atomically with fixed formatting (reproducible bytes)."""
    kwargs.setdefault("index", False)
    kwargs.setdefault("lineterminator", "\n")
    kwargs.setdefault("float_format", "%.10g")
    with atomic_path(path, suffix=".csv") as tmp:
        df.to_csv(tmp, **kwargs)


# libyaml's safe loader where PyYAML was built with it (the wheels are): the same
# documents, about five times faster; every job and each Snakefile parse read YAML.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load`` with the fastest safe loader available."""
    return yaml.load(text, Loader=SAFE_LOADER)  # a safe loader (no Python objects)


def read_yaml(path: str | os.PathLike) -> Any:
    from .errors import ConfigError

    try:
        with open(path, encoding="utf-8") as fh:
            return load_yaml(fh.read())
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: file not found") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc


def check_readable_file(key: str, path: str | os.PathLike) -> None:
    """Raise :class:`ConfigError` naming the config ``key`` and ``path`` unless ``path`` is
    an existing, readable regular file (checked when the workflow is parsed, before any
    job runs, so a bad path never reaches results/)."""
    from .errors import ConfigError

    p = Path(path)
    if not p.exists():
        problem = "does not exist"
    elif p.is_dir():
        problem = "is a directory, not a file"
    elif not p.is_file():
        problem = "is not a regular file"
    elif not os.access(p, os.R_OK):
        problem = "is not readable (permission denied)"
    else:
        try:
            with open(p, "rb") as fh:
                fh.read(1)
            return
        except OSError as exc:
            problem = f"cannot be read ({exc.strerror or exc})"
    raise ConfigError(f"config: key '{key}': {str(path)!r} {problem}")


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def concat_tables(paths, columns) -> pd.DataFrame:
    """The CSV tables of ``paths`` one below the other (``category`` and ``size_group`` read
    as text); empty tables are left out, and none at all gives an empty table of
    ``columns``."""
    import pandas as pd

    frames = [pd.read_csv(p, dtype={"category": str, "size_group": str}) for p in paths]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)
