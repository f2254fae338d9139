"""Ingest: yearbook files (bytes) → tidy records. The bottom layer of the load path.

``readers`` turns any supported file into cell grids, ``catalog`` reads ``raw/catalog/*.yml``,
``parse`` turns grids plus a catalog entry into tidy records, ``data_year`` holds the data-year
rule (file name, title rows), ``files`` finds yearbook files and names them as the warehouse
stores them, and ``parsed`` runs the lot on one file. Nothing here imports the quality gate, the
warehouse or anything above them (``make lint`` and ``tests/test_import_contract.py`` check it).
"""
