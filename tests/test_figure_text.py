"""Reader-facing text in figures: number formats of the report language on every numeric
axis, and model-fitting warnings in readers' words (the raw text stays in the log)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest
from digikom.figures import localise_axes, setup_style, text, tick_digits
from digikom.models.labels import context_settings
from digikom.models.reader_warnings import reader_warning, short_warning


def _labels(ax, which="y"):
    fig = ax.figure
    fig.canvas.draw()
    axis = ax.yaxis if which == "y" else ax.xaxis
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


@pytest.mark.parametrize(
    ("lang", "expect"), [("nb", ["0,0", "0,5", "1,0"]), ("en", ["0.0", "0.5", "1.0"])]
)
def test_axis_ticks_use_the_report_language(lang, expect):
    setup_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_yticks([0, 0.5, 1])
    ax.set_xlim(0, 20000)
    ax.set_xticks([0, 10000, 20000])
    localise_axes(fig, lang)
    assert _labels(ax) == expect
    thousands = "\u00a0" if lang == "nb" else ","
    assert _labels(ax, "x") == ["0", f"10{thousands}000", f"20{thousands}000"]
    plt.close(fig)


def test_category_axes_keep_their_labels_and_negative_ticks_get_a_minus():
    setup_style()
    fig, ax = plt.subplots()
    ax.plot([-1.5, 1.5], [0, 1])
    ax.set_xticks([-1.5, 0, 1.5])
    ax.set_yticks([0, 1], ["2018", "2024"])
    localise_axes(fig, "nb")
    assert _labels(ax) == ["2018", "2024"]
    assert _labels(ax, "x") == ["\u22121,5", "0,0", "1,5"]
    plt.close(fig)


def test_tick_digits():
    assert tick_digits([0, 20, 40]) == 0
    assert tick_digits([0, 0.25, 0.5]) == 2
    assert tick_digits([0.1, 0.2]) == 1


SEPARATION = (
    "quasi-complete separation: all 19 observations with C(size_group)[T.ge50k]:C(year)[T.2024] "
    "= 1 have the highest outcome value; its estimate diverges and is not reported"
)


@pytest.fixture(scope="module")
def ctx_settings(settings, config):
    ctx = {
        "codebook": settings.codebook,
        "size_groups": settings.size_groups,
        "model_labels": settings.labels,
        "waves": config["waves"],
    }
    return context_settings(ctx)


def test_model_warnings_in_readers_words(ctx_settings, settings):
    spec = next(m for m in settings.models if m["id"] == "strategy")
    nb = reader_warning(SEPARATION, spec, ctx_settings, text("nb"))
    en = reader_warning(SEPARATION, spec, ctx_settings, text("en"))
    for s in (nb, en):
        assert "C(" not in s and "[T." not in s and "separation" not in s
        assert "19" in s and "2024" in s
    assert nb.startswith("Alle 19 kommunene i «") and "samme svar (høyeste verdi)" in nb
    assert en.startswith("All 19 municipalities in '")
    weights = "SpecificationWarning: statsmodels: robust covariance with weights is not fully"
    assert reader_warning(weights, spec, ctx_settings, text("nb")) == (
        "Vektet modell: de robuste standardfeilene er omtrentlige."
    )
    assert "logg" in reader_warning("something new", spec, ctx_settings, text("nb"))
    # the same sentence once
    assert short_warning([SEPARATION, SEPARATION], spec, ctx_settings, text("en")) == en


def test_figure_texts_print_the_confidence_they_are_given():
    """figures.t fills {level} from the confidence passed in (no module-wide default): a
    text that prints the level needs one, a text without it does not."""
    from digikom.figures import t

    kw = dict(name="X", years="2018, 2022", values="v")
    assert "90% confidence" in t("size_alt", "en", 0.9, **kw)
    assert "99\u00a0% konfidens" in t("size_alt", "nb", 0.99, **kw)
    with pytest.raises(ValueError, match="confidence level"):
        t("size_alt", "en", **kw)
    assert t("share", "en") == text("en")("figures.share")
