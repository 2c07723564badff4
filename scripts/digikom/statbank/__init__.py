"""SSB's StatBank through PxWebApi v2: an optional stage that fetches official tables,
caches them with provenance, and shows them in the report. One module per question:

- :mod:`.settings`: the ``statbank`` config section as the client uses it
  (:class:`~.settings.StatbankSettings`).
- :mod:`.query`: the selection-expression language, the resolved query
  (:class:`~.query.Plan`) and its split to fit ``maxDataCells``.
- :mod:`.labels`: the codes that category labels name in a table's metadata.
- :mod:`.budget`: the call budget shared by every process (locked file).
- :mod:`.client`: one request, throttled, retried, bounded in time.
- :mod:`.cache`: the raw responses with provenance sidecars, checked by sha256.
- :mod:`.jsonstat`: a strict JSON-stat2 reader giving a tidy frame.
- :mod:`.fetch`: one table from config to tidy CSV (rule ``statbank_fetch``).
- :mod:`.view` and :mod:`.figure`: what the report shows of a table, and its figure
  (rule ``statbank_figure``).
- :mod:`.discover` (``python -m digikom.statbank search`` / ``describe``): find tables
  and read their codes and labels.

Nothing is imported here, so the report's sections read a view without loading the HTTP
client. Why not pxwebpy: see docs/statbank.md.
"""
