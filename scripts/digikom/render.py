"""Rendering the report source (reports/report.qmd) to HTML and PDF.

One source, prepared once, typeset by either renderer:

1. :func:`prepare` executes the ``{python}`` chunks of the .qmd once, in this process (the
   ``parameters`` cell is overridden as Quarto's ``-P`` would, inline `` `{python} expr` ``
   is evaluated). It writes the resulting Markdown, with the source's front matter (minus
   the execution options) and the run's metadata, to ``<build>/report.qmd``, and copies
   every image it references, plus the CSS and Typst header, into ``<build>`` so that all
   paths resolve from there (a missing image is a :class:`RenderError`).
2. :func:`render_quarto` runs ``quarto render`` on that prepared file (HTML with
   embed-resources, and Typst PDF). Nothing is executed by Quarto a second time.
3. :func:`render_pandoc` numbers the ``#fig-``/``#tbl-`` cross-references as Quarto does
   and lets pandoc (pypandoc-binary) write HTML and Typst; the ``typst`` wheel compiles it.

A renderer warning about a resource it could not fetch fails the render (RenderError);
on success the build directory is removed, on failure it is kept for debugging.
Measurements behind this design are in docs/benchmarks.md.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from .errors import RenderError
from .io import atomic_path, write_text

log = logging.getLogger(__name__)

CHUNK = re.compile(r"^```\{python\}[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
INLINE = re.compile(r"`\{python\}\s+([^`]+)`")
FRONT = re.compile(r"\A---\n(.*?)\n---\n", re.S)
FIG_IMG = re.compile(
    r"!\[(?P<cap>(?:\\.|[^\]\\])*)\]\((?P<src>[^)]+)\)\{#(?P<id>fig-[\w-]+)(?P<rest>[^}]*)\}"
)
IMG = re.compile(r"(?P<pre>!\[(?:\\.|[^\]\\])*\]\()(?P<src>[^)\s]+)(?P<post>[^)]*\))")
TBL_CAP = re.compile(r"^:\s+(?P<cap>.*?)\s*\{#(?P<id>tbl-[\w-]+)(?P<rest>[^}]*)\}\s*$", re.M)
# a cross-reference; "\@fig-x" (an escaped @ in text from config) is not one
REF = re.compile(r"(?<!\\)@((?:fig|tbl)-[\w-]+)")
# a reference to a section, and a heading with its label ("## Title {#sec-x}")
SEC_REF = re.compile(r"(?<![\\\w])@(sec-[\w-]*\w)")
HEADING = re.compile(r"^#{1,6}[ \t]+(?P<title>.*?)[ \t]*\{#(?P<id>sec-[\w-]+)[^}]*\}[ \t]*$", re.M)
# What Quarto and pandoc print when an image or other resource cannot be read.
MISSING_RESOURCE = re.compile(r"^.*could not fetch.*$", re.I | re.M)
# Quarto gives every float caption a random id (``tbl-x-caption-<uuid4>``); it is only
# referenced from the same float, so a stable id keeps rebuilds byte-identical.
CAPTION_UUID = re.compile(r"-caption-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Front-matter keys that only concern executing the chunks (done once, by prepare()).
EXECUTION_KEYS = ("jupyter", "execute", "engine", "knitr", "params")


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
    return meta or {}, "".join(out)


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
    from .text import Text

    tx = Text(lang)
    words = {"fig": tx("common.fig"), "tbl": tx("common.tbl")}
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


# a space between digit groups of a number ("2 000", "10 000"): never a line break there
NUMBER_SPACE = re.compile(r"(?<=\d) (?=\d{3}(?!\d))")


def keep_numbers_whole(md: str) -> str:
    """Non-breaking spaces as thousands separators, so that no renderer breaks a line (or
    a table header) inside a number ("Under 2 / 000")."""
    return NUMBER_SPACE.sub("\u00a0", md)


def section_refs(md: str) -> str:
    """Replace every ``@sec-x`` by a link to that heading named by its title, so that
    section references resolve in every renderer (Quarto numbers sections only with
    number-sections; pandoc does not know them). A reference to no heading is an error."""
    titles = {m.group("id"): m.group("title") for m in HEADING.finditer(md)}

    def repl(m):
        ident = m.group(1)
        if ident not in titles:
            raise RenderError(f"reference @{ident} has no target (no heading {{#{ident}}})")
        return f"[{titles[ident]}](#{ident})"

    return SEC_REF.sub(repl, md)


# --------------------------------------------------------------------------- prepare
def _localise_images(md: str, workdir: Path, build: Path, source: str) -> str:
    """Copy every local image ``md`` references into ``build/figures/`` and point the
    Markdown there, so that the prepared file is self-contained (HTML embedding and the
    Typst root both resolve paths from ``build``)."""
    figdir = build / "figures"
    seen: dict[Path, str] = {}

    def repl(m):
        src = m.group("src").strip("<>")
        if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.I):  # data:, https:, file: ...
            return m.group(0)
        path = (workdir / src).resolve() if not os.path.isabs(src) else Path(src)
        if not path.is_file():
            raise RenderError(
                f"{source}: the report refers to an image that does not exist: {src} "
                f"(looked for {path})"
            )
        if path not in seen:
            name = path.name
            if any(v == f"figures/{name}" for v in seen.values()):
                name = f"{len(seen)}-{name}"
            figdir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, figdir / name)
            seen[path] = f"figures/{name}"
        return f"{m.group('pre')}{seen[path]}{m.group('post')}"

    return IMG.sub(repl, md)


def prepare(
    qmd_path: str | os.PathLike,
    params: dict,
    meta_extra: dict,
    build: str | os.PathLike,
    workdir: str | os.PathLike = ".",
) -> Path:
    """Execute the .qmd once and write the typeset-only source ``<build>/report.qmd``.

    Its front matter is the source's (formats and their options) without execution keys,
    plus ``meta_extra`` (title, date, lang, ...). Files the front matter names relative to
    the source (``css``, ``include-in-header``) and every image are copied into ``build``.
    Returns the path of the prepared file."""
    qmd_path, build, workdir = Path(qmd_path), Path(build), Path(workdir).resolve()
    if build.exists():
        shutil.rmtree(build)
    build.mkdir(parents=True)
    front, md = knit(qmd_path.read_text(encoding="utf-8"), params, source=str(qmd_path))
    md = _localise_images(md, workdir, build, str(qmd_path))
    md = keep_numbers_whole(section_refs(md))
    front = {k: v for k, v in front.items() if k not in EXECUTION_KEYS}
    named = [("filters", n) for n in _as_list(front.get("filters"))]
    for fmt in (front.get("format") or {}).values():
        named += [
            (k, n) for k in ("css", "include-in-header") for n in _as_list((fmt or {}).get(k))
        ]
    for key, name in named:
        src = qmd_path.parent / name
        if not src.is_file():
            raise RenderError(f"{qmd_path}: option {key}: {name} does not exist")
        shutil.copyfile(src, build / Path(name).name)
    front.update(meta_extra)
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    out = build / "report.qmd"
    write_text(out, f"---\n{head}---\n\n{md}")
    # pin the Quarto project to the build directory (Typst's root; no parent _quarto.yml)
    write_text(build / "_quarto.yml", "project:\n  type: default\n")
    return out


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _fail_on_missing_resources(stderr: str, what: str) -> None:
    missing = MISSING_RESOURCE.findall(stderr)
    if missing:
        raise RenderError(
            f"{what} could not fetch {len(missing)} resource(s); first: {missing[0].strip()}"
        )


# --------------------------------------------------------------------------- quarto
def quarto_env(date: str | None = None) -> dict:
    """The environment for ``quarto``: QUARTO_PYTHON is this interpreter unless set, so
    any Python Quarto starts is the project's (with its Jupyter packages); the typst CLI
    that Quarto runs dates the PDF by SOURCE_DATE_EPOCH, set here (unless set) to the same
    :func:`pdf_timestamp` the pandoc path uses."""
    env = dict(os.environ)
    env.setdefault("QUARTO_PYTHON", sys.executable)
    stamp = pdf_timestamp(date)
    if stamp is not None:
        env.setdefault("SOURCE_DATE_EPOCH", str(stamp))
    return env


def quarto_literal_date(prepared: Path, date: str | None) -> None:
    """Quarto formats ``date`` itself, without nynorsk ("December 2, 2026" in the nn
    report; "Invalid Date" for words): the words the reader sees become a literal dayjs
    format of the ISO build date, ``{value: <ISO>, format: "[<words>]"}``."""
    text = prepared.read_text(encoding="utf-8")
    m = FRONT.match(text)
    front = (yaml.safe_load(m.group(1)) or {}) if m else {}
    shown = front.get("date")
    if not (m and date and isinstance(shown, str)):
        return
    front["date"] = {"value": str(date)[:10], "format": "[" + shown.replace("]", "") + "]"}
    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False)
    write_text(prepared, f"---\n{head}---\n" + text[m.end() :])


def render_quarto(
    prepared: str | os.PathLike, out_html: str, out_pdf: str, date: str | None = None
) -> None:
    """Typeset the prepared source with ``quarto render`` to HTML and Typst PDF.

    The two renders run side by side, each in its own copy of the build directory (Quarto
    writes its intermediate files and ``.quarto/`` beside the source), and each output
    replaces the previous file only when both have succeeded."""
    from concurrent.futures import ThreadPoolExecutor

    prepared = Path(prepared)
    build = prepared.parent
    env = quarto_env(date)
    quarto_literal_date(prepared, date)
    typst_build = build.with_name(build.name + ".typst")
    shutil.rmtree(typst_build, ignore_errors=True)
    shutil.copytree(build, typst_build)

    def run(fmt: str, where: Path) -> Path:
        source = where / prepared.name
        cmd = ["quarto", "render", source.name, "--to", fmt]
        proc = subprocess.run(cmd, cwd=where, env=env, capture_output=True, text=True, check=False)
        (build / f"quarto-{fmt}.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
        if proc.returncode != 0:
            raise RenderError(f"quarto render --to {fmt} failed:\n{proc.stderr[-4000:]}")
        _fail_on_missing_resources(proc.stderr, f"quarto render --to {fmt}")
        produced = source.with_suffix(".html" if fmt == "html" else ".pdf")
        if not produced.exists():
            raise RenderError(f"quarto did not produce {produced}")
        return produced

    with contextlib.ExitStack() as stack:
        html_tmp = stack.enter_context(atomic_path(out_html, suffix=".html"))
        pdf_tmp = stack.enter_context(atomic_path(out_pdf, suffix=".pdf"))
        with ThreadPoolExecutor(max_workers=2) as pool:
            html = pool.submit(run, "html", build)
            pdf = pool.submit(run, "typst", typst_build)
        text = html.result().read_text(encoding="utf-8")
        html_tmp.write_text(CAPTION_UUID.sub("-caption", text), encoding="utf-8")
        shutil.copyfile(pdf.result(), pdf_tmp)
    shutil.rmtree(typst_build)


# --------------------------------------------------------------------------- pandoc
def _pandoc(args: list[str], stdin: str, cwd: Path) -> None:
    import pypandoc

    exe = pypandoc.get_pandoc_path()
    proc = subprocess.run(
        [exe, *args], input=stdin, capture_output=True, text=True, check=False, cwd=cwd
    )
    if proc.returncode != 0:
        raise RenderError(f"pandoc {' '.join(args)} failed: {proc.stderr.strip()}")
    _fail_on_missing_resources(proc.stderr, "pandoc")
    if proc.stderr.strip():
        log.warning("pandoc: %s", proc.stderr.strip())


def render_pandoc(
    prepared: str | os.PathLike, out_html: str, out_pdf: str, date: str | None = None
) -> None:
    """Typeset the prepared source with pandoc (HTML) and pandoc -> typst (PDF), using the
    options of its front matter (``format: html`` / ``format: typst``). ``date``: the
    build date (ISO) that dates the PDF (:func:`pdf_timestamp`)."""
    prepared = Path(prepared).resolve()
    build = prepared.parent
    m = FRONT.match(prepared.read_text(encoding="utf-8"))
    front = yaml.safe_load(m.group(1)) or {}
    md = prepared.read_text(encoding="utf-8")[m.end() :]
    formats = front.get("format") or {}
    meta = {k: v for k, v in front.items() if k not in ("format", "filters")}
    lang = str(meta.get("lang", "nb"))
    meta_file = build / "metadata.yaml"
    write_text(meta_file, yaml.safe_dump(meta, allow_unicode=True, sort_keys=True))
    common = ["-f", "markdown-citations", "--standalone", f"--metadata-file={meta_file}"]
    common += [f"--lua-filter={build / Path(f).name}" for f in _as_list(front.get("filters"))]

    html_opt = formats.get("html") or {}
    html_args = [*common, "-t", "html5", "--embed-resources", f"--resource-path={build}"]
    if html_opt.get("toc"):
        html_args += ["--toc", f"--toc-depth={html_opt.get('toc-depth', 3)}"]
    html_args += [f"--css={build / Path(c).name}" for c in _as_list(html_opt.get("css"))]

    typ_opt = formats.get("typst") or {}
    typ = build / "report.typ"
    typ_args = [*common, "-t", "typst"]
    if typ_opt.get("toc"):
        typ_args += ["--toc", f"--toc-depth={typ_opt.get('toc-depth', 3)}"]
    for key in ("papersize", "fontsize", "section-numbering"):
        if key in typ_opt:
            typ_args += ["-V", f"{key}={typ_opt[key]}"]
    headers = [build / Path(h).name for h in _as_list(typ_opt.get("include-in-header"))]
    typ_args += [f"--include-in-header={h}" for h in headers]

    def html(tmp: Path) -> None:
        _pandoc([*html_args, "-o", str(tmp)], crossref(md, lang, prefix_captions=True), build)

    def pdf(tmp: Path) -> None:
        _pandoc([*typ_args, "-o", str(typ)], crossref(md, lang, prefix_captions=False), build)
        _typst(typ, headers, build, tmp, date)

    # The two outputs are independent: HTML (pandoc embedding the figures, the longer of
    # the two) and PDF (pandoc -> typst -> PDF) are made side by side, and each replaces
    # the previous file only when both have succeeded.
    from concurrent.futures import ThreadPoolExecutor

    with contextlib.ExitStack() as stack:
        html_tmp = stack.enter_context(atomic_path(out_html, suffix=".html"))
        pdf_tmp = stack.enter_context(atomic_path(out_pdf, suffix=".pdf"))
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = [pool.submit(html, html_tmp), pool.submit(pdf, pdf_tmp)]
        for future in done:
            future.result()  # re-raises the first failure; the temporary files go


def _typst(typ: Path, headers: list[Path], build: Path, out: Path, date) -> None:
    """Compile the typst source ``typ`` (plus its ``headers``) to the PDF ``out``."""
    import typst

    from .fonts import check_fonts, fonts_in_typst, raise_on_font_warnings

    # A font named in the Typst source (e.g. in reports/typst-header.typ) must exist:
    # typst would otherwise silently substitute another one.
    source = typ.read_text(encoding="utf-8")
    for h in headers:
        source += h.read_text(encoding="utf-8")
    check_fonts(fonts_in_typst(source))
    try:
        _, warnings = typst.compile_with_warnings(
            str(typ), output=str(out), root=str(build), timestamp=pdf_timestamp(date)
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


# --------------------------------------------------------------------------- both
def render(
    qmd_path: str | os.PathLike,
    params: dict,
    meta_extra: dict,
    renderer: str,
    out_html: str,
    out_pdf: str,
    workdir: str | os.PathLike = ".",
    date: str | None = None,
) -> None:
    """Prepare the source once in ``<out dir>/_build/<stem of out_html>/`` and typeset it
    with ``renderer``. The build directory is removed after a successful render and kept
    (for debugging) after a failure. ``date``: the build date (ISO) that dates the PDF
    (:func:`pdf_timestamp`); the date the reader sees is ``meta_extra["date"]``."""
    build = Path(out_html).parent / "_build" / Path(out_html).stem
    prepared = prepare(qmd_path, params, meta_extra, build, workdir)
    if renderer == "quarto":
        render_quarto(prepared, out_html, out_pdf, date)
    elif renderer == "pandoc":
        render_pandoc(prepared, out_html, out_pdf, date)
    else:
        raise RenderError(f"unknown renderer {renderer!r} (quarto or pandoc)")
    shutil.rmtree(build)
    with contextlib.suppress(OSError):
        build.parent.rmdir()  # _build/ itself, unless another language is being built
    # the build directory of earlier digikom versions (the .qmd copied for Quarto)
    shutil.rmtree(Path(out_html).parent / "_quarto", ignore_errors=True)
