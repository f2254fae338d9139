"""Helpers the tests at the top of tests/ share (tests/ is on sys.path through its conftest)."""

from __future__ import annotations

import duckdb


def query(path, sql, params=None):
    """Rows of ``sql`` on the warehouse at ``path``, opened read-only and closed again."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
