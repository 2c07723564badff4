"""docs/benchmarks.md from the measurements of scripts/benchmark.py: the tables, ratios
and the machine they were measured on; the file's "Notes" section is kept when it is
rewritten."""

from __future__ import annotations

from pathlib import Path


def write_markdown(out: Path, m: dict, res: dict, command: str, cores: int) -> None:
    cold, noop, inc, floor = res["cold"], res["noop"], res["incremental"], res["floor"]
    ok = lambda b: "yes" if b else "**no**"  # noqa: E731
    runs = lambda r: " ".join(f"{x:.1f}" for x in r.get("runs", [r["wall_s"]]))  # noqa: E731
    lines = [
        "# Benchmarks",
        "",
        "Written by `scripts/benchmark.py` (do not edit by hand). Re-run with",
        "",
        "```sh",
        f".venv/bin/{command.strip()}",
        "```",
        "",
        "(`make bench` runs the same command.) Each measurement runs in a fresh temporary copy",
        "of the repository; times are wall-clock seconds, memory is the peak resident set of",
        "the whole process tree (snakemake and its job processes, polled every 50 ms).",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']} ({m['cores']} cores; runs use `--cores {cores}`)",
        f"- RAM: {m['ram_gib']:.1f} GiB",
        f"- OS: {m['os']}",
        f"- Python: {m['python']}",
        "- Packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()),
        "",
        "## Default target (synthetic panel)",
        "",
        "Wall times are the median of the runs listed (the machine is shared).",
        "",
        "| measurement | wall (s) | runs (s) | peak memory (MiB) | goal | met |",
        "|---|---:|---|---:|---|---|",
        f"| cold full rebuild | {cold['wall_s']:.1f} | {runs(cold)} | {cold['peak_mib']:.0f} | "
        f"< 30 s | {ok(cold['wall_s'] < 30)} |",
        f"| no-op rebuild | {noop['wall_s']:.2f} | {runs(noop)} | {noop['peak_mib']:.0f} | "
        f"< 2 s | {ok(noop['wall_s'] < 2)} |",
        f"| incremental: one model's formula edited | {inc['wall_s']:.1f} | {runs(inc)} | "
        f"{inc['peak_mib']:.0f} | <= 30 % of full ({0.3 * cold['wall_s']:.1f} s) | "
        f"{ok(inc['wall_s'] <= 0.3 * cold['wall_s'])} "
        f"({100 * inc['wall_s'] / cold['wall_s']:.0f} %) |",
    ]
    lines.append(
        f"| floor: the {floor['jobs']} jobs in one process, no Snakemake | {floor['wall_s']:.1f} "
        f"| | | full / floor = {cold['wall_s'] / floor['wall_s']:.2f} | |"
    )
    for r, v in res["render"].items():
        lines.append(
            f"| report render alone ({r}; rule time {v['rule_s']:.1f} s) | {v['wall_s']:.1f} | "
            f"| | < 5 s (rule) | {ok(v['rule_s'] < 5)} |"
        )
    scaled = res["scaled"]
    factors = sorted(scaled)
    previous = out.read_text(encoding="utf-8") if out.exists() else ""
    if factors == [1] and "\n## Scaling" in previous and "\n## Notes\n" in previous:
        # run without --scales: keep the scaling section of the previous run
        kept = "## Scaling" + previous.split("\n## Scaling", 1)[1].split("\n## Notes\n", 1)[0]
        lines += ["", kept.rstrip("\n")]
        return _finish(out, lines, previous)
    stages = sorted({s for f in factors for s in scaled[f]["stages"]})
    lines += [
        "",
        "## Scaling with panel size (replicated municipalities)",
        "",
        "Per-stage seconds from Snakemake's `benchmarks/*.tsv` (`fit_model (all)` sums the",
        "five model jobs). The 10x/100x panels replicate every municipality with new",
        "kommunenr codes in the microdata and in every wave's frame (user-microdata mode);",
        "they run without the maps and the report, which draw the real 357 municipalities",
        "whatever the panel size (so the whole-run rows compare 1x with all stages against",
        "the larger panels without those). Growth = time / time at 1x; linear growth would",
        "equal the factor.",
        "",
        "| stage | "
        + " | ".join(f"{f}x ({scaled[f]['rows']} rows)" for f in factors)
        + " | "
        + " | ".join(f"growth {f}x" for f in factors if f != 1)
        + " |",
        "|---|" + "---:|" * (2 * len(factors) - 1),
    ]
    for s in stages:
        vals = [scaled[f]["stages"].get(s) for f in factors]
        base = scaled[1]["stages"].get(s)
        growth = [
            f"{v / base:.1f}x" if (v is not None and base) else "-"
            for f, v in zip(factors, vals, strict=True)
            if f != 1
        ]
        lines.append(
            f"| {s} | "
            + " | ".join("-" if v is None else f"{v:.2f}" for v in vals)
            + " | "
            + " | ".join(growth)
            + " |"
        )
    lines.append(
        "| **whole run (wall; scaled runs without maps and report)** | "
        + " | ".join(f"{scaled[f]['wall_s']:.1f}" for f in factors)
        + " | "
        + " | ".join(f"{scaled[f]['wall_s'] / scaled[1]['wall_s']:.1f}x" for f in factors if f != 1)
        + " |"
    )
    lines.append(
        "| peak memory (MiB) | "
        + " | ".join(f"{scaled[f]['peak_mib']:.0f}" for f in factors)
        + " | "
        + " | ".join("" for f in factors if f != 1)
        + " |"
    )
    _finish(out, lines, previous)


def _finish(out: Path, lines: list[str], previous: str) -> None:
    notes = "<!-- notes: kept when the script re-runs -->\n"
    if "\n## Notes\n" in previous:
        notes = previous.split("\n## Notes\n", 1)[1].strip("\n") + "\n"
    lines += ["", "## Notes", "", notes.rstrip("\n")]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
