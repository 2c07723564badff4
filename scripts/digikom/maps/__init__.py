"""The maps stage, cut by question (what is mapped: config/indicators.yaml ``maps:``).

* :mod:`.spec` — what is drawn, from configuration alone (read while Snakemake parses, so
  it imports no data library): the settings, the subjects, the gate for unit-level output
  and the figure stems;
* :mod:`.boundaries` — rule map_boundaries: Kartverket's 2024 polygons checked against the
  frame and projected to ETRS89 / UTM 33N once;
* :mod:`.tables` — rule map_tables: the frame table, the values by county (suppressed by
  :mod:`digikom.disclosure`) and by municipality (only when allowed), the lookup and the
  metadata the report reads;
* :mod:`.draw` — rule map_figures: the choropleths.

This package's ``__init__`` imports nothing, so parsing the workflow stays light.
"""
