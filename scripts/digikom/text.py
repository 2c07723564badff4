"""Every text a reader sees, in one place: string tables and number formatting.

Short texts (labels, captions, table headers, sentence patterns) live in
``reports/strings/*.yaml``: each file is a flat mapping ``key: {nb: "...", en: "..."}``
whose keys start with the file's stem and a dot (``findings.yaml`` -> ``findings.title``).
Longer prose lives in per-language Jinja2 templates under ``reports/templates/<lang>/``.
Python computes numbers and picks a variant key (``findings.change_rose``); it never
tests the language. A language (nynorsk, ``nn``, is the third) is text only: an entry per
key, a template folder, a label in every config label block, and its code in
``languages`` of config/config.yaml.

Config labels (``{nb: ..., nn: ..., en: ...}``) are read with :func:`label` and nothing
else. Its one rule: a label is a string (the same in every language) or a mapping with an
entry for the language; there is no fallback to another language. The config loader
(digikom.config) checks at load time that every label has every configured language.

Numbers are formatted here with Babel in the locale that the string table gives for the
language (``common.locale``), with a real minus sign (U+2212).
"""

from __future__ import annotations

import math
import re
import string
from functools import cache
from pathlib import Path

from babel.numbers import format_decimal

from .errors import ConfigError
from .io import load_yaml

ROOT = Path(__file__).resolve().parents[2]
STRINGS_DIR = ROOT / "reports" / "strings"
TEMPLATES_DIR = ROOT / "reports" / "templates"
MINUS = "\u2212"
MISSING = "–"  # an estimate that does not exist (en dash)
# ASCII punctuation that Pandoc Markdown (and Quarto) would read as markup.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|$@~^=&:\"'%;-])")


@cache
def load_strings(directory: str | Path = STRINGS_DIR) -> dict[str, dict[str, str]]:
    """All string tables of ``directory``, merged; a key must start with its file's stem,
    and no key may appear twice."""
    directory = Path(directory)
    table: dict[str, dict[str, str]] = {}
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ConfigError(f"{directory}: no string tables (*.yaml) found")
    for path in files:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a string table must be a mapping of key -> languages")
        for key, entry in data.items():
            if not str(key).startswith(path.stem + "."):
                raise ConfigError(f"{path}: key '{key}' must start with '{path.stem}.'")
            if key in table:
                raise ConfigError(f"{path}: key '{key}' is defined twice")
            if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
                raise ConfigError(f"{path}: key '{key}' must map each language to a string")
            table[key] = entry
    return table


def languages(strings: dict[str, dict[str, str]] | None = None) -> list[str]:
    """The languages the string tables provide (every key has all of them; tested)."""
    strings = strings if strings is not None else load_strings()
    return sorted({lang for entry in strings.values() for lang in entry})


def label(obj, lang: str) -> str:
    """The ``lang`` entry of a config label ``{nb: ..., nn: ..., en: ...}`` (a plain string
    is the same in every language). No fallback: the loader has checked that every label
    has every configured language, so a missing one is an error, not another language."""
    if isinstance(obj, str):
        return obj
    if not isinstance(obj, dict) or not isinstance(obj.get(lang), str):
        raise ConfigError(f"no '{lang}' label in {obj!r}")
    return obj[lang]


def label_entries(obj: dict) -> dict[str, str]:
    """The language entries of a config object (the languages of the string tables), e.g.
    to copy a model's labels into its results."""
    return {lang: obj[lang] for lang in languages() if isinstance(obj.get(lang), str)}


def missing_labels(obj, langs: list[str], where: str = "") -> list[str]:
    """Every label in ``obj`` (nested mappings and lists) that lacks one of ``langs``: a
    mapping with an entry for at least one of them must have all. Returns
    ``"<where>/<key>: no 'nn'"`` lines."""
    out = []
    if isinstance(obj, dict):
        present = [lang for lang in langs if lang in obj]
        if present:
            out += [f"{where or '(top level)'}: no '{lang}'" for lang in langs if lang not in obj]
        for key, value in obj.items():
            if key not in langs:
                out += missing_labels(value, langs, f"{where}/{key}" if where else str(key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            out += missing_labels(value, langs, f"{where}/{i}")
    return out


def placeholders(pattern: str) -> set[str]:
    """The named ``{fields}`` of a str.format pattern."""
    return {f for _, f, _, _ in string.Formatter().parse(pattern) if f}


def esc(text) -> str:
    """Plain text (a label from a config file, a name from data) made safe for Pandoc
    Markdown: every punctuation mark that could start markup is backslash-escaped, so
    ``<script>``, ``]``, ``*``, ``@ref`` and ``{{< >}}`` print as written in HTML and PDF."""
    s = " ".join(str(text).split())  # no newlines inside a cell or sentence
    return _MD_SPECIAL.sub(r"\\\1", s)


class Text:
    """The texts and number formats of one language.

    >>> tx = Text("en")
    >>> tx("common.all")
    'All municipalities'
    """

    def __init__(self, lang: str, confidence: float | None = None, strings: dict | None = None):
        self.strings = strings if strings is not None else load_strings()
        if lang not in languages(self.strings):
            raise ConfigError(
                f"lang: '{lang}' has no texts in {STRINGS_DIR} "
                f"(available: {', '.join(languages(self.strings))})"
            )
        missing = sorted(key for key, entry in self.strings.items() if lang not in entry)
        if missing:
            raise ConfigError(
                f"{STRINGS_DIR}: no '{lang}' text for "
                + ", ".join(f"{k} ({k.split('.')[0]}.yaml)" for k in missing[:20])
                + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
            )
        self.lang = lang
        # the level of the intervals (config/indicators.yaml `confidence`, whose one default
        # is in its schema); only texts that print it ("95 %") need it
        self.confidence = None if confidence is None else float(confidence)
        self.locale = self("common.locale")

    # ------------------------------------------------------------------ strings
    def has(self, key: str) -> bool:
        return key in self.strings

    def __call__(self, key: str, **values) -> str:
        try:
            pattern = self.strings[key][self.lang]
        except KeyError:
            raise KeyError(f"no text '{key}' for language '{self.lang}'") from None
        return pattern.format(**values) if values else pattern

    def words(self, key: str) -> list[str]:
        """A list stored as one string separated by '|' (e.g. number words)."""
        return self(key).split("|")

    def label(self, obj) -> str:
        """The language's entry of a config label (:func:`label`)."""
        return label(obj, self.lang)

    # ------------------------------------------------------------------ dates
    def date(self, iso: str) -> str:
        """An ISO date (YYYY-MM-DD...) written out in the language's locale, e.g. the
        report's build date: "2. desember 2026" (nb, nn), "2 December 2026" (en)."""
        import datetime as dt

        from babel.dates import format_date

        return format_date(dt.date.fromisoformat(str(iso)[:10]), format="long", locale=self.locale)

    # ------------------------------------------------------------------ numbers
    def num(self, x, digits: int = 0) -> str:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return MISSING
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        s = format_decimal(float(x), format=pattern, locale=self.locale)
        if s.lstrip("-+\u2212").strip("0.,\u00a0 ") == "":
            s = s.lstrip("-\u2212")  # no "−0"
        return s.replace("-", MINUS)

    def pct(self, x, digits: int = 0) -> str:
        """A proportion (0–1) as a percentage with the language's percent sign."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return MISSING
        return self("common.percent", x=self.num(100 * float(x), digits))

    def pp(self, x, digits: int = 1) -> str:
        """A difference of proportions in percentage points."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return MISSING
        return self("common.pp", x=self.num(100 * float(x), digits))

    @property
    def level(self) -> str:
        """The confidence level as the reader sees it ("95 %")."""
        if self.confidence is None:
            raise ValueError(f"Text('{self.lang}'): a text prints the confidence level, none given")
        return self.pct(
            self.confidence, 0 if round(100 * self.confidence) == 100 * self.confidence else 1
        )

    def ci(self, lo, hi, digits: int = 0, scale: float = 100.0) -> str:
        """ "95 % KI 78–86" (``scale`` 100 turns proportions into percent)."""
        return self("common.ci", level=self.level, range=self.range(lo, hi, digits, scale))

    def range(self, lo, hi, digits: int = 0, scale: float = 1.0) -> str:
        a, b = self.num(scale * lo, digits), self.num(scale * hi, digits)
        key = "common.range_neg" if (lo < 0 or hi < 0) else "common.range"
        return self(key, lo=a, hi=b)

    def out_of_ten(self, x: float) -> str:
        return self("common.out_of_ten", k=self.words("common.number_words")[round(10 * x)])


def render_template(name: str, lang: str, **values) -> str:
    """Render ``reports/templates/<lang>/<name>`` (Jinja2, undefined names are errors)."""
    import jinja2

    env = _jinja_env(lang)
    try:
        return env.get_template(name).render(**values).strip() + "\n"
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(f"no template {TEMPLATES_DIR / lang / name}") from exc


@cache
def _jinja_env(lang: str):
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / lang)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # Markdown, not HTML: values are escaped with the esc filter
    )
    env.filters["esc"] = esc
    return env
