"""The report's header: data source, waves, build, version and renderer, and the
synthetic-data notice."""

from __future__ import annotations


def render(R) -> str:
    tx = R.tx
    mode = tx("header.mode_synthetic" if R.synthetic else "header.mode_microdata")
    if R.ctx.get("fetch_statbank"):
        mode = tx("header.mode_with_statbank", mode=mode)
    git = R.prov["git"]
    version = git["short"] + (tx("header.dirty") if git.get("dirty") else "")
    renderer = (
        tx("header.renderer_version", renderer=R.renderer, version=R.renderer_version)
        if R.renderer_version
        else R.renderer
    )
    rows = [
        [tx("header.source"), mode],
        [tx("header.waves"), ", ".join(map(str, R.waves))],
        [tx("header.built"), R.prov["created_utc"][:10]],
        [tx("header.version"), R.esc(version)],
        [tx("header.renderer"), R.esc(renderer)],
    ]
    out = (
        "\n".join(f"**{k}:** {v}\\" for k, v in rows[:-1]) + f"\n**{rows[-1][0]}:** {rows[-1][1]}\n"
    )
    if R.synthetic:
        out += "\n::: {.callout-warning .synthetic}\n" + tx("header.synthetic_note") + "\n:::\n"
    return out
