"""The analysts' way in: a read-only SQL shell, exports for Stata/R/Python, and the codebook.

* :mod:`agglo.analyst.db` opens the warehouse read-only (``agglo.paths.warehouse_path()``).
* :mod:`agglo.analyst.docs` reads the column documentation from the dbt project's yml files.
* :mod:`agglo.analyst.codebook` turns it into one row per column (label, unit, formula, source,
  grain, Stata name) and writes ``codebook.md`` / ``codebook.html``.
* :mod:`agglo.analyst.export` writes tables as ``.dta``, Parquet, CSV or ``.xlsx``, with the
  codebook.
* :mod:`agglo.analyst.shell` is ``agglo sql``: an interactive shell and ``-c QUERY`` for scripts.

Nothing here writes to the warehouse.
"""
