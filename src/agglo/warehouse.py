"""The warehouse (DuckDB): the only code that writes schema ``raw``.

Tables: ``raw.records`` (the parser's tidy records plus the file's hash), ``raw.load_log`` (one row
per loaded table-year), ``raw.dq_results`` (every gate check of every file) and
``raw.load_rejections`` (files the gate refused). Besides the DDL and the inserts, this module holds
the lookups the pipeline makes before the gate runs (is the file loaded already, does another file
hold its table-years, the neighbouring years for the year-on-year check) and the atomic publish.

The unit of publication is a file: all its table-years are replaced in one transaction, so the
warehouse never holds half of a file, and a crash leaves the previous state.

Readers never see a half-done load: DuckDB lets one process write a database file and locks out
readers meanwhile, so a load works on a copy of the warehouse file (``.agglo.duckdb.<pid>.tmp``
beside it) and, when the whole run is done, moves it over the warehouse with ``os.replace`` (atomic
on POSIX) — :func:`staged`. A process that opened the warehouse before keeps reading the old file;
one that opens it after sees the new one; nobody sees the state between two files. A crash leaves
the warehouse untouched and the copy is discarded. Writers are serialised with an advisory lock
(``agglo.duckdb.lock``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from agglo import paths
from agglo.errors import AggloError
from agglo.ingest.files import stored_file
from agglo.ingest.parse import RECORD_COLUMNS as PARSED_COLUMNS
from agglo.quality import GateReport
from agglo.quality.frames import NEIGHBOUR_COLUMNS

# raw.records holds the parser's tidy records (the contract) plus the file's content hash.
_NOT_VARCHAR = {
    "data_year": "INTEGER",
    "value": "DOUBLE",
    "source_row": "INTEGER",
    "vintage": "INTEGER",
}
_NOT_NULL = {"table_id", "yearbook", "data_year", "entity_kind", "indicator", "source_file"}
RECORD_COLUMNS = {
    **{
        name: _NOT_VARCHAR.get(name, "VARCHAR") + (" NOT NULL" if name in _NOT_NULL else "")
        for name in PARSED_COLUMNS
    },
    "file_hash": "VARCHAR NOT NULL",
}

DDL = f"""
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE IF NOT EXISTS raw.records (
    {", ".join(f"{name} {kind}" for name, kind in RECORD_COLUMNS.items())}
);
CREATE TABLE IF NOT EXISTS raw.load_log (
    file_path VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    table_id VARCHAR NOT NULL,
    data_year INTEGER NOT NULL,
    n_records INTEGER NOT NULL,
    n_provinces INTEGER NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (table_id, data_year)
);
CREATE TABLE IF NOT EXISTS raw.dq_results (
    file_path VARCHAR NOT NULL,
    file_hash VARCHAR,
    table_id VARCHAR,
    data_year INTEGER,
    expectation VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    success BOOLEAN NOT NULL,
    observed VARCHAR,
    details JSON,
    validated_at TIMESTAMP NOT NULL,
    outcome VARCHAR
);
CREATE TABLE IF NOT EXISTS raw.load_rejections (
    file_path VARCHAR NOT NULL,
    file_hash VARCHAR,
    rejected_at TIMESTAMP NOT NULL,
    table_id VARCHAR,
    data_year INTEGER,
    message VARCHAR,
    failed JSON
);
"""


def connect(warehouse: Path | None = None) -> duckdb.DuckDBPyConnection:
    warehouse = warehouse or paths.warehouse_path()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    con.execute(DDL)
    return con


@contextlib.contextmanager
def staged(warehouse: Path) -> Iterator[Path]:
    """Work on a copy of ``warehouse`` and move it over the original when the block succeeds.

    Yields the copy's path. Writers wait for each other on ``<warehouse>.lock``; readers are never
    blocked and see the old file until the ``os.replace``. On an exception the copy is deleted and
    the warehouse is as it was.
    """
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    work = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.tmp")
    lock = warehouse.with_name(warehouse.name + ".lock").open("a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for stale in (work, Path(f"{work}.wal")):
            stale.unlink(missing_ok=True)
        if warehouse.exists():
            shutil.copyfile(warehouse, work)
            wal = Path(f"{warehouse}.wal")
            if wal.exists():  # an unclean exit of a direct writer: DuckDB replays it on open
                shutil.copyfile(wal, f"{work}.wal")
        try:
            yield work
        except BaseException:
            for tmp in (work, Path(f"{work}.wal")):
                tmp.unlink(missing_ok=True)
            raise
        if Path(f"{work}.wal").exists():
            raise AggloError(f"{work} was not checkpointed; the warehouse was left unchanged")
        with open(work, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(work, warehouse)
        Path(f"{warehouse}.wal").unlink(missing_ok=True)
        dir_fd = os.open(warehouse.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def publish(con, rel_path: str, digest: str, result, loaded_at: datetime, report=None) -> list[int]:
    """Replace the file's table-years (and record the gate's results) in one transaction.

    No checks here: :func:`agglo.pipeline.load_file` runs the gate first (tests call this directly
    to put data the gate would refuse into a warehouse).
    """
    records = result.records.copy()
    records["file_hash"] = digest
    records["source_file"] = rel_path
    records = records[list(RECORD_COLUMNS)]
    table_id = result.table.table_id
    years = sorted(int(y) for y in records["data_year"].unique())
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM raw.records WHERE source_file = ?", [rel_path])
        con.execute("DELETE FROM raw.load_log WHERE file_path = ?", [rel_path])
        for year in years:
            con.execute(
                "DELETE FROM raw.records WHERE table_id = ? AND data_year = ?", [table_id, year]
            )
            con.execute(
                "DELETE FROM raw.load_log WHERE table_id = ? AND data_year = ?", [table_id, year]
            )
        con.register("incoming", records)
        con.execute("INSERT INTO raw.records SELECT * FROM incoming")
        con.unregister("incoming")
        _log_years(con, rel_path, digest, table_id, records, loaded_at)
        if report is not None:
            store_results(con, report, "loaded")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return years


def _log_years(con, rel_path, digest, table_id, records, loaded_at) -> None:
    for year, group in records.groupby("data_year"):
        con.execute(
            "INSERT INTO raw.load_log VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                rel_path,
                digest,
                table_id,
                int(year),
                len(group),
                int(group["province_code"].nunique()),
                loaded_at,
            ],
        )


def conflicting_file(con, rel_path: str, table_id: str, years: list[int]) -> str | None:
    """Another file that still exists already provides one of these table-years."""
    rows = con.execute(
        "SELECT DISTINCT file_path, data_year FROM raw.load_log "
        "WHERE table_id = ? AND file_path <> ? AND list_contains(?, data_year)",
        [table_id, rel_path, years],
    ).fetchall()
    for other, year in rows:
        if stored_file(other).exists():
            return (
                f"{table_id} {year} is already loaded from {other}; two files cannot provide the "
                "same table-year. Remove one of them (e.g. the demo file) and load again."
            )
    return None


def reject(con, report: GateReport) -> None:
    """Record a rejected file and its check results (one transaction)."""
    con.execute("BEGIN TRANSACTION")
    try:
        store_results(con, report, "rejected")
        store_rejection(con, report)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def store_results(con, report: GateReport, outcome: str) -> None:
    """Append a validation's results to ``raw.dq_results`` (inside the caller's transaction)."""
    year = report.data_years[0] if report.data_years else None
    rows = [
        (
            report.file,
            report.file_hash,
            report.table_id,
            year,
            r.expectation,
            r.severity,
            r.success,
            r.observed,
            json.dumps(r.details(), ensure_ascii=False, default=str),
            report.validated_at,
            outcome,
        )
        for r in report.results
    ]
    if rows:
        con.executemany("INSERT INTO raw.dq_results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def store_rejection(con, report: GateReport) -> None:
    """Append a rejected file to ``raw.load_rejections`` (inside the caller's transaction)."""
    year = report.data_years[0] if report.data_years else None
    con.execute(
        "INSERT INTO raw.load_rejections VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            report.file,
            report.file_hash,
            report.validated_at,
            report.table_id,
            year,
            report.message(),
            json.dumps(report.failed_json(), ensure_ascii=False, default=str),
        ],
    )


def prune_missing(con) -> list[str]:
    """Drop what was loaded from files that no longer exist (a full load mirrors raw/)."""
    rows = con.execute("SELECT DISTINCT file_path FROM raw.load_log").fetchall()
    gone = [rel for (rel,) in rows if not stored_file(rel).exists()]
    for rel in gone:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM raw.records WHERE source_file = ?", [rel])
        con.execute("DELETE FROM raw.load_log WHERE file_path = ?", [rel])
        con.execute("COMMIT")
    return gone


def is_loaded(con, rel_path: str, digest: str) -> bool:
    """The same content (SHA-256) is already loaded from the same path."""
    return bool(
        con.execute(
            "SELECT count(*) FROM raw.load_log WHERE file_path = ? AND file_hash = ?",
            [rel_path, digest],
        ).fetchone()[0]
    )


def neighbouring_values(con, table_id: str, rel_path: str, years: list[int]) -> pd.DataFrame:
    """Province values of the table in the years next to ``years``, from other files.

    The reference frame of the gate's year-on-year check (columns ``NEIGHBOUR_COLUMNS``); empty
    without a warehouse (``con`` None).
    """
    if con is None or not years:
        return pd.DataFrame(columns=NEIGHBOUR_COLUMNS)
    wanted = sorted({y + d for y in years for d in (-1, 1)} - set(years))
    return con.execute(
        f"SELECT {', '.join(NEIGHBOUR_COLUMNS)} FROM raw.records WHERE table_id = ? "
        "AND source_file <> ? AND entity_kind = 'province' AND value IS NOT NULL "
        "AND list_contains(?, data_year)",
        [table_id, rel_path, wanted],
    ).df()


def open_read_only(warehouse: Path | None = None):
    """A read-only connection to a warehouse that has ``raw.records``, else None (no warehouse
    yet: the year-on-year check has nothing to compare with)."""
    wh = warehouse or paths.warehouse_path()
    if not wh.exists():
        return None
    try:
        con = duckdb.connect(str(wh), read_only=True)
        con.execute("SELECT 1 FROM raw.records LIMIT 1")
    except duckdb.Error:
        return None
    return con


def latest_dq_results(warehouse: Path | None = None) -> list[dict]:
    """Rows of ``raw.dq_results`` (column → value) of the latest validation of each file."""
    wh = warehouse or paths.warehouse_path()
    if not wh.exists():
        raise AggloError(f"no warehouse at {wh}", hint="run agglo load first")
    con = duckdb.connect(str(wh), read_only=True)
    try:
        cur = con.execute(
            """
            WITH latest AS (
                SELECT file_path, max(validated_at) AS validated_at FROM raw.dq_results
                GROUP BY file_path
            )
            SELECT d.file_path, d.file_hash, d.table_id, d.data_year, d.expectation, d.severity,
                   d.success, d.observed, d.details, d.validated_at, d.outcome
            FROM raw.dq_results d JOIN latest USING (file_path, validated_at)
            ORDER BY d.file_path, d.expectation
            """
        )
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
