"""The string tables and number formatting (fast; no workflow run)."""

from __future__ import annotations

import re

import pytest
from digikom.text import (
    MINUS,
    STRINGS_DIR,
    TEMPLATES_DIR,
    Text,
    esc,
    languages,
    load_strings,
    placeholders,
)

STRINGS = load_strings()
LANGS = languages(STRINGS)


def test_every_key_has_every_language_with_the_same_placeholders():
    assert {"nb", "en"} <= set(LANGS)
    problems = []
    for key, entry in STRINGS.items():
        missing = set(LANGS) - set(entry)
        if missing:
            problems.append(f"{key}: no {sorted(missing)}")
            continue
        fields = {lang: placeholders(entry[lang]) for lang in LANGS}
        if len({frozenset(f) for f in fields.values()}) != 1:
            problems.append(f"{key}: placeholders differ {fields}")
    assert not problems, "\n".join(problems)


def test_keys_start_with_their_file_stem():
    for path in STRINGS_DIR.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for key in re.findall(r"^([A-Za-z0-9_.]+):", text, re.M):
            assert key.startswith(path.stem + "."), (path.name, key)


def test_every_language_has_the_same_templates():
    names = {lang: sorted(p.name for p in (TEMPLATES_DIR / lang).glob("*.j2")) for lang in LANGS}
    assert len({tuple(v) for v in names.values()}) == 1, names


def test_no_language_test_in_the_report_code():
    """Python picks variants; the language lives in the string tables only."""
    from digikom import report, sections

    files = [
        report.__file__,
        *sorted(str(p) for p in __import__("pathlib").Path(sections.__file__).parent.glob("*.py")),
    ]
    for f in files:
        src = open(f, encoding="utf-8").read()
        assert not re.search(r"lang\s*==|== *\"nb\"|\"nb\" if|if nb\b", src), f


@pytest.mark.parametrize(
    ("lang", "x", "digits", "expected"),
    [
        ("nb", 1234.5, 1, "1\u00a0234,5"),
        ("en", 1234.5, 1, "1,234.5"),
        ("nb", -7.84, 1, MINUS + "7,8"),
        ("en", -7.84, 1, MINUS + "7.8"),
        ("nb", -0.01, 1, "0,0"),
    ],
)
def test_numbers(lang, x, digits, expected):
    assert Text(lang).num(x, digits) == expected


def test_percent_and_interval_follow_the_confidence():
    nb = Text("nb", confidence=0.95)
    assert nb.pct(0.4234) == "42\u00a0%"
    assert nb.ci(0.78, 0.86) == "95\u00a0% KI 78–86"
    assert nb.ci(-0.094, -0.062, 1) == f"95\u00a0% KI {MINUS}9,4 til {MINUS}6,2"
    en = Text("en", confidence=0.9)
    assert en.level == "90%"
    assert en.ci(0.1, 0.2) == "90% CI 10–20"
    assert Text("en", confidence=0.975).level == "97.5%"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("nb", "2. desember 2026"), ("nn", "2. desember 2026"), ("en", "2 December 2026")],
)
def test_dates_are_written_out_in_the_language(lang, expected):
    # the report's build date, as provenance.json's created_utc gives it
    assert Text(lang).date("2026-12-02T16:47:46Z") == expected
    assert Text(lang).date("2026-01-05").split()[-2] in {"januar", "January"}


def test_out_of_ten():
    assert Text("nb").out_of_ten(0.53) == "fem av ti"
    assert Text("en").out_of_ten(0.74) == "seven in ten"


def test_escaping_makes_markup_plain_text():
    hostile = "<script>alert(1)</script> ] [x](y) *b* @fig-x {{< pagebreak >}} $x$ #h"
    e = esc(hostile)
    for ch in "<>[]*@{}$#":
        assert re.search(r"(?<!\\)" + re.escape(ch), e) is None, ch


def test_unknown_language_and_key_are_clear_errors():
    from digikom.errors import ConfigError

    with pytest.raises(ConfigError, match="lang: 'xx'"):
        Text("xx")
    with pytest.raises(KeyError, match="no text 'nope.key'"):
        Text("nb")("nope.key")
