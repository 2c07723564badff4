"""Key findings, as far as the data can support them (``R.support``, digikom.support).

Synthetic default: SSB's published story. A summary of at most five lines, then every
published figure (data/published/targets.csv, through the replication scorecard) of the
indicators named by `findings` in config/indicators.yaml, with its year and source, first
for the original report's comparison (report.comparison, 2018 → 2022), then the later
years as an update. No value of the synthetic panel, no interval and no verdict.

Real microdata: one generated sentence per entry of `findings`, comparison first, then
the update. The wording follows the data: the variant key (rose / fell / stable, higher /
lower) is chosen from the paired change and the intervals. A sentence that would involve
a suppressed cell is not written (its verdict would give the hidden value away)."""

from __future__ import annotations

from urllib.parse import quote, urlparse

from ..models import labels

MAX_SUMMARY = 5


def _ci(R, row, cls: str) -> str:
    """ " (95 % KI 78–86)" for an estimate from microdata; nothing for a published figure
    or a synthetic assumption (an interval there would look like evidence)."""
    if cls != "estimated" or row is None:
        return ""
    ci = R.cell_ci(row)
    return R.tx("findings.ci_part", ci=ci) if ci else ""


def change(R, ind: str, first: int, last: int) -> str | None:
    a, b = R.est(ind, first), R.est(ind, last)
    ch = R.change(ind, first, last)
    if a is None or b is None or ch is None or first == last:
        return None
    if R.hidden(a) or R.hidden(b):
        return None  # the verdict would tell about a suppressed value
    va, vb = R.value(ind, first)[0], R.value(ind, last)[0]
    verdict = R.verdict(ch)
    diff = ""
    if not R.synthetic:
        diff = R.tx(
            "findings.paired_part",
            diff=R.tx.pp(ch["diff"]),
            ci=R.tx.ci(ch.conf_low, ch.conf_high, 1),
            n=R.tx.num(ch.n_pairs),
        )
    return R.tx(
        f"findings.change_{verdict}",
        name=R.ind_label(ind),
        a=va,
        b=vb,
        first=first,
        last=last,
        paired=diff,
    )


def out_of_ten(R, ind: str, first: int, last: int) -> str | None:
    a, b = R.est(ind, first), R.est(ind, last)
    if b is None or R.hidden(b):
        return None
    vb, cls = R.value(ind, last)
    before = ""
    if a is not None and first != last and not R.hidden(a):
        before = R.tx("findings.against", a=R.value(ind, first)[0], first=first)
    words = R.tx.out_of_ten(b.estimate)
    # a figure SSB published as "five in ten" is not said twice ("five in ten: five in ten")
    key = "findings.out_of_ten_as_published" if vb.startswith(words) else "findings.out_of_ten"
    return R.tx(
        key,
        name=R.ind_label(ind),
        words=words,
        b=vb,
        ci=_ci(R, b, cls),
        last=last,
        before=before,
    )


def gradient(R, ind: str, year: int) -> str | None:
    small, large = R.groups[0]["id"], R.groups[-1]["id"]
    lo, hi = R.est(ind, year, small), R.est(ind, year, large)
    if lo is None or hi is None or R.hidden(lo) or R.hidden(hi):
        return None  # "clearly higher than 71 %" would tell about the hidden cell
    (v_hi, c_hi), (v_lo, c_lo) = R.value(ind, year, large), R.value(ind, year, small)
    return R.tx(
        f"findings.gradient_{R.changed(lo, hi)}",
        name=R.ind_label(ind),
        year=year,
        hi=v_hi,
        hi_ci=_ci(R, hi, c_hi),
        lo=v_lo,
        lo_ci=_ci(R, lo, c_lo),
        large=R.esc(R.group_label[large]),
        small=R.esc(R.group_label[small]),
    )


def model_effect(R, model: str, effect: str) -> str | None:
    """An average marginal effect, worded by its sign and whether its interval excludes 0.
    With synthetic data the model finds the relation the generator was built with: the
    sentence says so."""
    spec = next((m for m in R.models if m["id"] == model), None)
    d = R.model_table("predictions")
    if spec is None or d is None:
        return None
    d = d[(d.quantity == "ame") & (d.model == model) & (d.effect == effect)]
    if d.empty:
        return None
    r = d.iloc[0]
    clear = r.conf_low > 0 or r.conf_high < 0
    how = ("up" if r.estimate > 0 else "down") if clear else "unclear"
    text = R.tx(
        f"findings.effect_{how}",
        effect=R.esc(effect_label(R, spec, effect)),
        outcome=R.var_label(spec["outcome"]).lower(),
        model=R.label(spec),
        pp=R.tx.pp(r.estimate),
        ci=R.tx.ci(r.conf_low, r.conf_high, 1),
    )
    return text + (" " + R.tx("findings.effect_synthetic") if R.synthetic else "")


def effect_label(R, spec: dict, effect: str) -> str:
    return labels.effect_label(effect, spec, labels.context_settings(R.ctx), R.tx)


def replication_counts(R, role: str) -> tuple[int, int]:
    """(within tolerance, compared) of the distinct published statistics with this role."""
    from ..replication import check_counts

    return check_counts(R.scorecard, role)


def sentences(R, part: str) -> list[str]:
    """The findings of the comparison (``part="comparison"``) or of the update waves."""
    out = []
    if part == "comparison":
        first, last = R.first, R.second
    elif R.update_waves:
        first, last = R.second, R.update_waves[-1]
    else:
        return out
    for item in R.rules.get("findings", []):
        kind = item["type"]
        if kind == "change":
            out.append(change(R, item["indicator"], first, last))
        elif kind == "out_of_ten":
            out.append(out_of_ten(R, item["indicator"], first, last))
        elif kind == "gradient":
            out.append(gradient(R, item["indicator"], last))
        elif kind == "model_effect" and part == "comparison" and R.support.model_findings:
            out.append(model_effect(R, item["model"], item["effect"]))
    return [s for s in out if s]


# ------------------------------------------------------------------ published story
def _number_word(R, k: int) -> str:
    words = R.tx.words("common.number_words")
    return words[k] if 0 <= k < len(words) else R.tx.num(k)


def published_words(R, value: str, unit: str) -> str:
    """A published figure as SSB gave it, in readers' words: "42 %", "31,8 %", "fem av
    ti", "én av tre", "mer enn fire av fem", "13 av 38"."""
    value = str(value).strip()
    bound = ""
    if value[:1] in "<>":
        bound, value = value[0], value[1:].strip()
    if "/" in value:
        a, b = (int(x) for x in value.split("/", 1))
        text = R.tx("findings.fraction", a=_number_word(R, a), b=_number_word(R, b))
    else:
        try:
            x = float(value)
        except ValueError:
            return R.esc(value)
        if unit == "out_of_10":
            text = R.tx.out_of_ten(x / 10)
        elif unit.startswith("count_of_"):
            text = R.tx("common.count_of", k=R.tx.num(x), n=unit.removeprefix("count_of_"))
        elif unit.startswith("percent"):
            digits = len(value.split(".", 1)[1]) if "." in value else 0
            text = R.tx.pct(x / 100, digits)
        else:
            text = R.tx.num(x, 1 if x != int(x) else 0)
    if bound:
        text = R.tx("findings.more_than" if bound == ">" else "findings.less_than", x=text)
    return text


def source_link(R, url) -> str:
    """A short link to a published figure's source: the site's name (ssb.no)."""
    if not isinstance(url, str) or not url.strip():
        return R.tx("findings.no_source")
    host = (urlparse(url).hostname or url).removeprefix("www.")
    try:
        host = host.encode("ascii").decode("idna")  # xn--... -> readable
    except UnicodeError:
        pass
    safe = quote(url.strip(), safe=":/?&=#%.,~+-_")
    return f"[{R.esc(host)}]({safe})"


def _band(R, population) -> str | None:
    """The size band of a published figure ("kommuner med minst 40 000 innbyggere")."""
    if not population:
        return None
    lo, hi = population
    if hi is None:
        return R.tx("findings.band_ge", lower=R.tx.num(lo))
    if not lo:
        return R.tx("findings.band_lt", upper=R.tx.num(hi))
    return R.tx("findings.band_between", lower=R.tx.num(lo), upper=R.tx.num(hi - 1))


def finding_indicators(R) -> list[str]:
    """The indicators the key findings are about (config `findings`), each followed by its
    complement (SSB published "no strategy" where the finding is "has a strategy")."""
    comp = {}
    for spec in R.rules["shares"]:
        if spec.get("complement_of"):
            comp[spec["complement_of"]] = spec["id"]
            comp[spec["id"]] = spec["complement_of"]
    out: list[str] = []
    for item in R.rules.get("findings", []):
        ind = item.get("indicator")
        for i in (ind, comp.get(ind)):
            if i and i not in out:
                out.append(i)
    return out


def published_figures(R, ids: list[str] | None = None) -> list[dict]:
    """SSB's published figures of the key-finding indicators, one per distinct statistic
    (an alias of another target is the same figure said again): indicator, year, value in
    words, group band (None = all municipalities), source link, target id. In the order
    of the indicators, then year, all municipalities before size bands."""
    card = R.scorecard
    card = card[card.reference.eq("published")]
    same = card.same_as.fillna("").astype(str) if "same_as" in card else ""
    card = card[same.eq("")] if len(card) else card
    mapping = R.rules.get("replication", {}).get("map", {})
    units = R.ctx.get("published_units", {})
    out = []
    for order, ind in enumerate(ids or finding_indicators(R)):
        for r in card[card.indicator.eq(ind)].itertuples():
            m = mapping.get(r.target_id, {})
            if m.get("county") or m.get("among"):
                continue  # a region or a subgroup of its own: not this statistic
            band = _band(R, m.get("population"))  # None: the indicator's own population
            out.append(
                dict(
                    indicator=ind,
                    order=order,
                    year=int(r.year),
                    value=published_words(R, r.published, units.get(r.target_id, "percent")),
                    band=band,
                    source=source_link(R, r.source_url),
                    target_id=r.target_id,
                    lower=(m.get("population") or [0])[0] or 0,
                )
            )
    return sorted(out, key=lambda f: (f["order"], f["year"], f["band"] is not None, f["lower"]))


def _figure_text(R, f: dict, with_source: bool) -> str:
    key = "findings.pub_value_band" if f["band"] else "findings.pub_value"
    text = R.tx(key, value=f["value"], year=f["year"], band=f["band"] or "")
    return text + (R.tx("findings.pub_source", source=f["source"]) if with_source else "")


def _join(R, parts: list[str]) -> str:
    if len(parts) < 2:
        return "".join(parts)
    return R.tx("findings.and", a=", ".join(parts[:-1]), b=parts[-1])


def published_sentences(
    R, part: str, figures: list[dict] | None = None, ids: list[str] | None = None
) -> list[str]:
    """One sentence per indicator: its published figures of the comparison (years up to
    the comparison's last wave), of the update (later years) or of all years (``part``
    "all"), each with year and source."""
    figures = published_figures(R, ids) if figures is None else figures
    out = []
    for ind in ids or finding_indicators(R):
        mine = [
            f
            for f in figures
            if f["indicator"] == ind
            and (
                part == "all"
                or ((f["year"] <= R.second) if part == "comparison" else (f["year"] > R.second))
            )
        ]
        if mine:
            values = _join(R, [_figure_text(R, f, True) for f in mine])
            out.append(R.tx("findings.pub_line", name=R.ind_label(ind), values=values))
    return out


def summary(R, figures: list[dict] | None = None) -> list[str]:
    """At most five plain lines a municipal reader gets in a minute: per key indicator its
    published figures for all municipalities in the comparison's waves, and the update's
    latest published year after a semicolon. No source links here (they follow below)."""
    figures = published_figures(R) if figures is None else figures
    waves = {R.first, R.second}
    out = []
    for ind in finding_indicators(R):
        mine = [f for f in figures if f["indicator"] == ind and f["band"] is None]
        frame = [_figure_text(R, f, False) for f in mine if f["year"] in waves]
        # the update's latest published year: a configured wave SSB has not published yet
        # (a new wave) leaves the one before it
        upto = R.update_waves[-1] if R.update_waves else R.second
        later = [f["year"] for f in mine if R.second < f["year"] <= upto]
        update = [_figure_text(R, f, False) for f in mine if later and f["year"] == max(later)]
        if not frame and not update:
            continue
        values = _join(R, frame)
        if update:
            values = R.tx("findings.then_update", a=values, b=update[0]) if frame else update[0]
        out.append(R.tx("findings.pub_line", name=R.ind_label(ind), values=values))
    return out[:MAX_SUMMARY]


def closing(R) -> list[str]:
    """What closes the key findings. With the synthetic default, no check of the method:
    the predictive check of the validation figures is in the replication section, and
    the key findings hold SSB's published figures only."""
    out = []
    ok, comp = replication_counts(R, "validation")
    if not R.synthetic and comp:
        out.append(R.tx("findings.validation", ok=ok, comp=comp, bad=comp - ok))
    if R.synthetic:
        out.append(R.tx("findings.synthetic", n=calibration_count(R)))
    return out


def calibration_count(R) -> int:
    """The number of distinct published figures the synthetic data are calibrated to (an
    alias of another target counts once): the one calibration count of the report."""
    sc = R.scorecard[(R.scorecard.reference == "published") & (R.scorecard.role == "calibration")]
    if "same_as" in sc:
        sc = sc[sc.same_as.fillna("").astype(str).eq("")]
    return int(sc.target_id.nunique())


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {s}" for s in lines) + "\n"


def render_published(R) -> str:
    tx = R.tx
    figures = published_figures(R)
    parts = [R.heading(1, "findings.title", "sec-findings")]
    lines = summary(R, figures)
    if lines:
        parts.append(tx("findings.summary_intro") + "\n")
        parts.append(_bullets(lines))
    parts.append(tx("findings.intro_published", first=R.first, last=R.second) + "\n")
    shown = set(finding_indicators(R))
    later = [f["year"] for f in figures if f["indicator"] in shown and f["year"] > R.second]
    parts += _periods(
        R,
        published_sentences(R, "comparison", figures),
        published_sentences(R, "update", figures),
        last=max(later, default=None),
    )
    return "\n".join(parts)


def _periods(R, comparison: list[str], update: list[str], last: int | None = None) -> list[str]:
    """The comparison (first -> second wave) and the update, each under its heading, then
    the closing paragraph. The update's heading runs to ``last`` (the latest year of the
    published figures it shows), else to the last configured wave."""
    parts = [
        R.heading(
            2, "findings.comparison", "sec-findings-comparison", first=R.first, last=R.second
        ),
        _bullets(comparison),
    ]
    if update and R.update_waves:
        parts.append(
            R.heading(
                2,
                "findings.update",
                "sec-findings-update",
                first=R.second,
                last=last or R.update_waves[-1],
            )
        )
        parts.append(_bullets(update))
    parts.append(" ".join(closing(R)) + "\n")  # a paragraph: not one list with the above
    return parts


def render(R) -> str:
    if R.support.key_findings == "published":
        return render_published(R)
    tx = R.tx
    parts = [R.heading(1, "findings.title", "sec-findings")]
    parts.append(tx("findings.intro", first=R.first, last=R.second) + "\n")
    parts += _periods(R, sentences(R, "comparison"), sentences(R, "update"))
    return "\n".join(parts)
