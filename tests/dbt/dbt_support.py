"""Helpers of the dbt tests: building warehouses from raw/ and running dbt against them.

The warehouse is loaded with the real loader (``agglo load`` of all of ``raw/``) into a temporary
directory, ONCE per session, and ``dbt build`` runs against it with its target and log paths in
the same temporary directory (the checkout's ``dbt_project/target`` is never touched).
``AGGLO_DBT_PROJECT_DIR`` overrides the dbt project directory (default ``dbt_project/``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from agglo import paths, warehouse
from agglo.ingest.files import file_hash
from agglo.ingest.parse import parse_file

DBT = Path(sys.executable).parent / "dbt"
YEARS = range(2006, 2016)
INDUSTRIES = ("T", "T1", "T2", "T3", "T4", "T5")


def project_dir() -> Path:
    return Path(os.environ.get("AGGLO_DBT_PROJECT_DIR", paths.repo_root() / "dbt_project"))


def demo_dir() -> Path:
    path = paths.raw_dir() / "demo"
    if not (path / "_truth" / "panel.csv").is_file():
        pytest.fail(
            f"demo extracts not found under {path}; run `make demo-data` (agglo demo-data)",
            pytrace=False,
        )
    return path


def demo_file(folder: str, year: int) -> Path:
    """raw/demo/<folder>/<year>.<ext> (the extension varies by table)."""
    found = sorted((demo_dir() / folder).glob(f"{year}.*"))
    assert len(found) == 1, f"expected one file for {folder} {year}, found {found}"
    return found[0]


@dataclass
class DbtRun:
    """One ``dbt build`` against one warehouse."""

    warehouse: Path
    target: Path
    returncode: int
    output: str

    @cached_property
    def results(self) -> list[dict]:
        return json.loads((self.target / "run_results.json").read_text())["results"]

    @cached_property
    def manifest(self) -> dict:
        return json.loads((self.target / "manifest.json").read_text())

    def tests(self) -> dict[str, dict]:
        """unique_id → result of every data test."""
        return {r["unique_id"]: r for r in self.results if r["unique_id"].startswith("test.")}

    def failed(self) -> dict[str, dict]:
        return {k: r for k, r in self.tests().items() if r["status"] != "pass"}

    def failure_messages(self, unique_id: str) -> list[str]:
        """The failure_message column of a failing test's stored failures."""
        node = self.manifest["nodes"][unique_id]
        relation = node.get("relation_name") or f"test_failures.{node['alias']}"
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return [m for (m,) in con.execute(f"select failure_message from {relation}").fetchall()]

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql).df()


def run_dbt(args: list[str], warehouse_path: Path, work: Path) -> subprocess.CompletedProcess:
    """One dbt command against ``warehouse_path``, with target and logs under ``work``."""
    return subprocess.run(
        [
            str(DBT),
            *args,
            "--project-dir",
            str(project_dir()),
            "--profiles-dir",
            str(project_dir()),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
        ],  # fmt: skip
        env=dict(os.environ, AGGLO_WAREHOUSE=str(warehouse_path)),
        capture_output=True,
        text=True,
        timeout=300,
    )


def dbt_build(warehouse_path: Path, work: Path, *, test_everything: bool = False) -> DbtRun:
    """``dbt build`` against ``warehouse_path``, target and logs under ``work``.

    ``dbt build`` skips the models downstream of a failing test; with ``test_everything`` the
    models are built first and then every test runs (so one broken input shows all the tests it
    breaks). run_results.json then holds the test step.
    """
    steps = (
        [["build", "--exclude-resource-type", "test"], ["test"]] if test_everything else [["build"]]
    )
    output, returncode = "", 0
    for step in steps:
        proc = run_dbt(step, warehouse_path, work)
        output += proc.stdout + proc.stderr
        returncode = returncode or proc.returncode
    return DbtRun(warehouse_path, work / "target", returncode, output)


def publish_unchecked(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Put a (deliberately broken) file's records into raw.records without the load gate.

    The gate would refuse such a file; this stands for data that reached the warehouse some other
    way, so that the dbt tests — the second line of defence — are shown to catch it.
    """
    now = datetime.now(UTC).replace(tzinfo=None)
    result = parse_file(path)
    # it replaces the edition already loaded (the demo file it was made from), as a corrected
    # download of the same table-year would once the original is unloaded
    for year, vintage in (
        result.records[["data_year", "vintage"]].drop_duplicates().itertuples(index=False)
    ):
        for table in ("raw.records", "raw.load_log"):
            con.execute(
                f"DELETE FROM {table} WHERE table_id = ? AND data_year = ? AND vintage = ?",
                [result.table.table_id, int(year), int(vintage)],
            )
    warehouse.publish(con, str(path), file_hash(path), result, now)


def copy_warehouse(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def modified_copy(source: Path, target: Path, change) -> Path:
    """Copy an .xlsx demo file with ``change(records, book)`` applied to it."""
    assert source.suffix == ".xlsx", f"{source}: this test edits .xlsx files"
    records = parse_file(source).records
    book = openpyxl.load_workbook(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    change(records, book)
    book.save(target)
    return target


def one_cell(records: pd.DataFrame, **where) -> pd.Series:
    rows = records
    for k, v in where.items():
        rows = rows[rows[k] == v]
    assert len(rows) == 1, where
    return rows.iloc[0]


def province_above_national_total(records: pd.DataFrame, book) -> None:
    """Guangdong's T3 gross output set above the national T3 total (ht/output_by_industry):
    provinces no longer sum to the printed total, and T ≠ T1 + … + T5 for Guangdong."""
    gd = one_cell(records, province_code="44", industry_code="T3", indicator="gross_output")
    nat = one_cell(records, aggregate_code="national", industry_code="T3", indicator="gross_output")
    book[gd["source_sheet"]][gd["source_cell"]] = nat["value"] * 1.1
