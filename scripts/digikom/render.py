"""Rendering the Quarto report source to HTML and PDF.

Two renderers, one source (reports/report.qmd):

* ``quarto``: ``quarto render`` (HTML with embed-resources, Typst for PDF), used whenever a
  ``quarto`` binary is on PATH.
* ``pandoc``: the same .qmd is executed here (its ``{python}`` chunks run in one namespace,
  the ``parameters`` cell is overridden like Quarto's ``-P``, inline `` `{python} expr` ``
  is evaluated), figure/table cross-references (``#fig-``, ``#tbl-``, ``@fig-…``) are
  numbered as Quarto numbers them, and pandoc (pypandoc-binary) writes HTML and Typst; the
  ``typst`` wheel compiles the PDF.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from .errors import RenderError
from .io import atomic_path, write_text

log = logging.getLogger(__name__)

CHUNK = re.compile(r"^```\{python\}[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
INLINE = re.compile(r"`\{python\}\s+([^`]+)`")
FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
FIG_IMG = re.compile(
    r"!\[(?P<cap>[^\]]*)\]\((?P<src>[^)]+)\)\{#(?P<id>fig-[\w-]+)(?P<rest>[^}]*)\}"
)
TBL_CAP = re.compile(r"^:\s+(?P<cap>.*?)\s*\{#(?P<id>tbl-[\w-]+)(?P<rest>[^}]*)\}\s*$", re.M)
REF = re.compile(r"@((?:fig|tbl)-[\w-]+)")

WORDS = {"nb": {"fig": "Figur", "tbl": "Tabell"}, "en": {"fig": "Figure", "tbl": "Table"}}


def pick_renderer(choice: str = "auto") -> str:
    if choice == "auto":
        return "quarto" if shutil.which("quarto") else "pandoc"
    if choice == "quarto" and not shutil.which("quarto"):
        raise RenderError(
            "report.renderer is 'quarto' but no quarto binary is on PATH; "
            "install Quarto (conda-forge 'quarto') or set report.renderer: auto"
        )
    return choice


def renderer_version(renderer: str) -> str:
    if renderer == "quarto":
        out = subprocess.run(["quarto", "--version"], capture_output=True, text=True, check=False)
        return f"Quarto {out.stdout.strip()}"
    import pypandoc
    import typst

    return f"pandoc {pypandoc.get_pandoc_version()} + typst {typst.__version__}"


def _chunk_options(code: str) -> dict:
    opts = {}
    for line in code.splitlines():
        if line.startswith("#|"):
            opts.update(yaml.safe_load(line[2:].strip()) or {})
    return opts


def knit(qmd: str, params: dict, source: str = "report.qmd") -> tuple[dict, str]:
    """Execute the python chunks of a .qmd and return (front matter, markdown)."""
    m = FRONT.match(qmd)
    meta = yaml.safe_load(m.group(1)) if m else {}
    body = qmd[m.end() :] if m else qmd
    ns: dict = {"__name__": "__report__"}
    out: list[str] = []
    pos = 0
    for i, chunk in enumerate(CHUNK.finditer(body), start=1):
        out.append(_inline(body[pos : chunk.start()], ns, source))
        pos = chunk.end()
        code = chunk.group(1)
        opts = _chunk_options(code)
        label = opts.get("label", f"chunk {i}")
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf):
                exec(compile(code, f"{source}:{label}", "exec"), ns)
                if "parameters" in (opts.get("tags") or []):
                    ns.update(params)
        except Exception as exc:
            raise RenderError(f"{source}: {label} failed: {type(exc).__name__}: {exc}") from exc
        text = buf.getvalue()
        if text:
            out.append(text if opts.get("output") == "asis" else f"```\n{text}```\n")
    out.append(_inline(body[pos:], ns, source))
    return meta, "".join(out)


def _inline(text: str, ns: dict, source: str) -> str:
    def repl(m):
        try:
            return str(eval(m.group(1), ns))
        except Exception as exc:
            raise RenderError(f"{source}: inline `{m.group(1)}` failed: {exc}") from exc

    return INLINE.sub(repl, text)


def crossref(md: str, lang: str, prefix_captions: bool) -> str:
    """Number figures and tables in order of appearance (as Quarto does), replace
    ``@fig-x``/``@tbl-x`` by links, and (for HTML) prefix captions with "Figur N:"."""
    words = WORDS.get(lang, WORDS["en"])
    numbers: dict[str, int] = {}
    found = sorted(
        [(m.start(), m.group("id")) for m in FIG_IMG.finditer(md)]
        + [(m.start(), m.group("id")) for m in TBL_CAP.finditer(md)]
    )
    counters = {"fig": 0, "tbl": 0}
    for _, ident in found:
        kind = ident.split("-", 1)[0]
        if ident in numbers:
            raise RenderError(f"duplicate cross-reference label #{ident}")
        counters[kind] += 1
        numbers[ident] = counters[kind]

    def ref(m):
        ident = m.group(1)
        if ident not in numbers:
            raise RenderError(f"reference @{ident} has no target")
        return f"[{words[ident[:3]]}&nbsp;{numbers[ident]}](#{ident})"

    if prefix_captions:
        md = FIG_IMG.sub(
            lambda m: (
                f"![{words['fig']} {numbers[m.group('id')]}: {m.group('cap')}]"
                f"({m.group('src')}){{#{m.group('id')}{m.group('rest')}}}"
            ),
            md,
        )
        md = TBL_CAP.sub(
            lambda m: (
                f": {words['tbl']} {numbers[m.group('id')]}: {m.group('cap')} "
                f"{{#{m.group('id')}{m.group('rest')}}}"
            ),
            md,
        )
    return REF.sub(ref, md)


def _pandoc(args: list[str], stdin: str) -> None:
    import pypandoc

    exe = pypandoc.get_pandoc_path()
    proc = subprocess.run([exe, *args], input=stdin, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RenderError(f"pandoc {' '.join(args)} failed: {proc.stderr.strip()}")
    if proc.stderr.strip():
        log.warning("pandoc: %s", proc.stderr.strip())


def render_pandoc(
    qmd_path: str,
    params: dict,
    meta_extra: dict,
    css: str | None,
    out_html: str,
    out_pdf: str,
    workdir: str = ".",
) -> None:
    """Render with pandoc (HTML) and pandoc -> typst (PDF), from the same .qmd."""
    qmd = Path(qmd_path).read_text(encoding="utf-8")
    _, md = knit(qmd, params, source=str(qmd_path))
    lang = meta_extra.get("lang", "nb")
    build = Path(out_html).parent / "_build"
    build.mkdir(parents=True, exist_ok=True)
    meta_file = build / "metadata.yaml"
    write_text(meta_file, yaml.safe_dump(meta_extra, allow_unicode=True, sort_keys=True))
    html_md = crossref(md, lang, prefix_captions=True)
    typ_md = crossref(md, lang, prefix_captions=False)
    write_text(build / "report.html.md", html_md)
    common = [
        "-f",
        "markdown-citations",
        "--standalone",
        "--toc",
        "--toc-depth=2",
        f"--metadata-file={meta_file}",
        f"--resource-path={workdir}",
    ]
    with atomic_path(out_html, suffix=".html") as tmp:
        args = [*common, "-t", "html5", "--embed-resources", "-o", str(tmp)]
        if css:
            args.append(f"--css={css}")
        _pandoc(args, html_md)
    # Typst resolves "/x" relative to --root: make figure paths root-relative.
    typ_md = FIG_IMG.sub(
        lambda m: m.group(0).replace(f"]({m.group('src')})", f"](/{m.group('src').lstrip('/')})"),
        typ_md,
    )
    typ = build / "report.typ"
    header = Path(qmd_path).with_name("typst-header.typ")
    extra = [f"--include-in-header={header}"] if header.exists() else []
    _pandoc(
        [
            *common,
            "-t",
            "typst",
            "-V",
            "papersize=a4",
            "-V",
            "fontsize=10pt",
            "-V",
            "section-numbering=1.1",
            *extra,
            "-o",
            str(typ),
        ],
        typ_md,
    )
    import typst

    from .fonts import check_fonts, fonts_in_typst, raise_on_font_warnings

    # A font named in the Typst source (e.g. in reports/typst-header.typ) must exist:
    # typst would otherwise silently substitute another one.
    source = typ.read_text(encoding="utf-8")
    if header.exists():
        source += header.read_text(encoding="utf-8")
    check_fonts(fonts_in_typst(source))
    with atomic_path(out_pdf, suffix=".pdf") as tmp:
        try:
            _, warnings = typst.compile_with_warnings(
                str(typ),
                output=str(tmp),
                root=str(Path(workdir).resolve()),
                timestamp=pdf_timestamp(meta_extra.get("date")),
            )
        except Exception as exc:  # typst.TypstError and friends
            raise RenderError(f"typst could not compile {typ}: {exc}") from exc
        raise_on_font_warnings(warnings or [], source=str(typ))


def pdf_timestamp(date: str | None) -> int | None:
    """The PDF's internal creation date (UNIX seconds): SOURCE_DATE_EPOCH when set, else
    midnight UTC of the report's build date, so two builds on one day give identical bytes
    (the build date is documented run metadata, docs/reproducibility.md)."""
    import datetime as dt

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return int(epoch)
    if date:
        try:
            day = dt.date.fromisoformat(str(date)[:10])
        except ValueError:
            return None
        return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())
    return None


def render_quarto(
    qmd_path: str, params: dict, meta_extra: dict, out_html: str, out_pdf: str, workdir: str = "."
) -> None:
    """Render with Quarto: copy the .qmd next to the outputs, pass every parameter with -P,
    execute in the working directory, then move the results into place."""
    build = Path(out_html).parent / "_quarto"
    build.mkdir(parents=True, exist_ok=True)
    src = build / "report.qmd"
    shutil.copyfile(qmd_path, src)
    css = Path(qmd_path).with_name("report.css")
    if css.exists():
        shutil.copyfile(css, build / "report.css")
    (build / "_quarto.yml").write_text("project:\n  type: default\n", encoding="utf-8")
    meta_file = build / "metadata.yaml"
    write_text(meta_file, yaml.safe_dump(meta_extra, allow_unicode=True, sort_keys=True))
    ps = [x for k, v in params.items() for x in ("-P", f"{k}:{v}")]
    for fmt, final in (("html", out_html), ("typst", out_pdf)):
        cmd = [
            "quarto",
            "render",
            str(src.name),
            "--to",
            fmt,
            "--execute-dir",
            str(Path(workdir).resolve()),
            "--metadata-file",
            meta_file.name,
            *ps,
        ]
        proc = subprocess.run(cmd, cwd=build, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RenderError(f"quarto render --to {fmt} failed:\n{proc.stderr[-4000:]}")
        produced = build / ("report.html" if fmt == "html" else "report.pdf")
        if not produced.exists():
            raise RenderError(f"quarto did not produce {produced}")
        os.replace(produced, final)
