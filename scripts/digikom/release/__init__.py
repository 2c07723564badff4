"""Releases and revisions: what was published, what has changed since, and why.

* :mod:`.fingerprint`: what a build's public numbers rest on (a hash of each wave's panel
  rows, of the configuration each table or model depends on, and of the code);
* :mod:`.freeze`: ``python -m digikom.release`` (``make release``) copies the public tables
  of the current build into ``releases/<version>/`` with ``manifest.json``;
* :mod:`.compare`: every published number that changed, appeared or disappeared since the
  latest release, with the reason inferred from the fingerprints (results/public/revisions.csv);
* :mod:`.checks`: the rules of config ``release.checks`` (ranges, totals against their parts,
  change limits between releases), each of which can warn or fail the build.
"""

TABLES = (
    "shares",
    "composites",
    "crosstab",
    "changes",
    "counties",
    "predictions",
    "coefficients",
)
MODEL_TABLES = ("predictions", "coefficients")
