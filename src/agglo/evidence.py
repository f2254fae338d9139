"""What a failed build leaves to query: the failing dbt tests' rows and the files behind them.

A build that fails in dbt publishes nothing: :func:`agglo.warehouse.staged` discards its copy, and
with it schema ``test_failures`` (the rows dbt stored for each failing test, ``store_failures``).
Before the copy goes, :func:`keep` writes them into a sidecar DuckDB file beside the warehouse,
``<name>.failed-build.duckdb`` (:func:`sidecar_path`), with:

* ``test_failures.<test>`` — the rows of every failing test, as dbt stored them;
* ``build.failing_tests`` — one row per failing test: its rows, the loaded files whose records
  those rows match (``files``, ``cells`` as ``file sheet!cell``) and how they were matched
  (``matched_by``);
* ``build.new_files`` — the files this build loaded, rejected or removed, i.e. what changed
  since the warehouse last published (the last good build or load);
* ``build.failed_build`` — when, which warehouse, and dbt's report.

The sidecar is written under a temporary name and moved into place with ``os.replace``, so a reader
sees the previous failure's evidence or this one's, never half; the published warehouse is not
touched. A later build that publishes removes it (:func:`clear`): its failure is then history.

Matching rows to files: a failing row that names a table (``table_id``, or a file: ``source_file``
/ ``file_path``) is joined to ``raw.records`` on every key column the two share whose values meet
(``data_year`` or ``year``, ``province_code``, ``industry_code``, ``indicator``, and the cell,
``source_sheet`` / ``source_cell``, when the row names one, as a printed total does), which names
the files and cells exactly. A row that names none (an identity over an industry-year, say) cannot
be traced to a cell: the files new in this build that print its years are named instead, as
suspects.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

#: Columns of a failing test's rows → the ``raw.records`` column holding the same thing.
RECORD_KEYS = {
    "table_id": "table_id",
    "source_file": "source_file",
    "file_path": "source_file",
    "data_year": "data_year",
    "year": "data_year",
    "province_code": "province_code",
    "industry_code": "industry_code",
    "indicator": "indicator",
    "source_sheet": "source_sheet",  # a row naming a cell (a printed total) is traced to it alone
    "source_cell": "source_cell",
}
_NAMING = {"table_id", "source_file"}  # a row with one of these names its table or file
_MAX_CELLS = 5


@dataclass
class FailingTest:
    name: str  # the test's name in dbt (its node name)
    relation: str  # test_failures.<alias>, in the sidecar as in the staged copy
    n_rows: int
    files: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)
    matched_by: str = ""  # the key columns joined on, or "year" (suspects), or ""


@dataclass
class Evidence:
    path: Path
    tests: list[FailingTest]

    def files(self) -> list[str]:
        """The files named by the failing tests: traced to cells first, then suspects."""
        exact = [f for t in self.tests if t.matched_by != "year" for f in t.files]
        suspects = [f for t in self.tests if t.matched_by == "year" for f in t.files]
        return list(dict.fromkeys(exact + suspects))

    def summary(self) -> str:
        lines = [f"failing dbt tests (their rows are kept in {self.path}):"]
        for t in self.tests:
            if not t.files:
                where = "no loaded file matches its rows"
            elif t.matched_by == "year":
                where = "files new in this build that print its years: " + ", ".join(t.files)
            else:
                where = "rows from " + ", ".join(t.files)
                if t.cells:  # "file sheet!cell"; the file is said once when there is one
                    one = f"{t.files[0]} " if len(t.files) == 1 else ""
                    cells = [c.removeprefix(one) for c in t.cells]
                    where += " (cells " + ", ".join(cells) + ")"
            lines.append(f"  {t.name}: {t.n_rows} row(s) in {t.relation}; {where}")
        return "\n".join(lines)


def sidecar_path(warehouse: Path) -> Path:
    """``warehouse/agglo.duckdb`` → ``warehouse/agglo.failed-build.duckdb``."""
    return warehouse.with_name(f"{warehouse.stem}.failed-build.duckdb")


def clear(warehouse: Path) -> None:
    """Remove the evidence of an earlier failed build (called once a build has published)."""
    sidecar_path(warehouse).unlink(missing_ok=True)


def failing_tests(target: Path, since: float) -> list[tuple[str, str, int]]:
    """(name, schema.alias, failures) of the tests that failed or errored in the dbt run whose
    ``run_results.json`` in ``target`` was written after ``since`` (a ``time.time()``)."""
    results, manifest = target / "run_results.json", target / "manifest.json"
    if not results.exists() or results.stat().st_mtime < since or not manifest.exists():
        return []
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    failed = []
    for result in json.loads(results.read_text(encoding="utf-8"))["results"]:
        node = nodes.get(result["unique_id"], {})
        if node.get("resource_type") == "test" and result["status"] in ("fail", "error"):
            schema = node.get("schema") or "test_failures"
            failed.append(
                (node["name"], f'{schema}."{node["alias"]}"', result.get("failures") or 0)
            )
    return failed


def _columns(con, relation: str) -> list[str]:
    return [row[0] for row in con.execute(f"describe {relation}").fetchall()]


def _meets(con, relation: str, column: str, records_column: str) -> bool:
    """Some value of the failing rows' ``column`` occurs in ``raw.records.<records_column>``."""
    return bool(
        con.execute(
            f'select count(*) from (select distinct cast("{column}" as varchar) as v '
            f"from {relation}) as f where f.v in "
            f"(select distinct cast({records_column} as varchar) from staged.raw.records)"
        ).fetchone()[0]
    )


def trace(con, relation: str, new_files: pd.DataFrame) -> tuple[list[str], list[str], str]:
    """(files, cells, matched_by) of a failing test's rows in ``relation`` (see the module doc)."""
    keys = [
        c
        for c in _columns(con, relation)
        if c in RECORD_KEYS and _meets(con, f"staged.{relation}", c, RECORD_KEYS[c])
    ]
    if any(RECORD_KEYS[c] in _NAMING for c in keys):
        on = " and ".join(
            f'cast(r.{RECORD_KEYS[c]} as varchar) = cast(f."{c}" as varchar)' for c in keys
        )
        rows = con.execute(
            f"select distinct r.source_file, r.source_sheet, r.source_cell "
            f"from staged.{relation} as f join staged.raw.records as r on {on} "
            "order by all"
        ).fetchall()
        files = sorted({f for f, _, _ in rows})
        cells = [f"{f} {s}!{c}" for f, s, c in rows if c][:_MAX_CELLS]
        return files, cells, ", ".join(keys)
    year = next((c for c in keys if RECORD_KEYS[c] == "data_year"), None)
    if year is None or new_files.empty:
        return [], [], ""
    years = {
        int(y)
        for (y,) in con.execute(f'select distinct "{year}" from staged.{relation}').fetchall()
        if y is not None
    }
    suspects = new_files[new_files["data_years"].map(lambda ys: bool(years & set(ys)))]
    return sorted(set(suspects["file_path"])), [], "year"


def keep(
    work: Path,
    warehouse: Path,
    tests: list[tuple[str, str, int]],
    new_files: pd.DataFrame,
    message: str,
) -> Evidence:
    """Copy the failing tests' rows of the staged copy ``work`` and the build's new files into
    the sidecar of ``warehouse``; trace each test's rows to files. ``new_files``: columns
    ``file_path``, ``status``, ``table_id``, ``data_years`` (list), ``message``."""
    target = sidecar_path(warehouse)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for stale in (tmp, Path(f"{tmp}.wal")):
        stale.unlink(missing_ok=True)
    kept: list[FailingTest] = []
    with duckdb.connect(str(tmp)) as con:
        con.execute(f"attach '{work}' as staged (read_only)")
        con.execute("create schema test_failures")
        con.execute("create schema build")
        for name, relation, failures in tests:
            try:
                con.execute(f"create table {relation} as select * from staged.{relation}")
            except duckdb.CatalogException:  # an errored test stores nothing
                kept.append(FailingTest(name, relation, failures))
                continue
            (n_rows,) = con.execute(f"select count(*) from {relation}").fetchone()
            files, cells, matched_by = trace(con, relation, new_files)
            kept.append(FailingTest(name, relation, n_rows, files, cells, matched_by))
        frames = {
            "failing_tests": pd.DataFrame(
                [vars(t) for t in kept],
                columns=["name", "relation", "n_rows", "files", "cells", "matched_by"],
            ),
            "new_files": new_files,
            "failed_build": pd.DataFrame(
                [{"failed_at": datetime.now(UTC), "warehouse": str(warehouse), "dbt": message}]
            ),
        }
        for name, frame in frames.items():
            con.register("_frame", frame)
            con.execute(f"create table build.{name} as select * from _frame")
            con.unregister("_frame")
        con.execute("detach staged")
        con.execute("checkpoint")
    os.replace(tmp, target)
    return Evidence(target, kept)
