"""The warehouse (DuckDB): the only code that writes schema ``raw``.

Tables: ``raw.records`` (the parser's tidy records plus the file's hash), ``raw.load_log`` (one row
per loaded file × table × data year, with the file's ``vintage`` and the file whose copy is kept
when it duplicates another, ``duplicate_of``), ``raw.dq_results`` (every gate check of every file)
and ``raw.load_rejections`` (files the gate refused). Besides the DDL and the inserts, this module
holds the lookups the pipeline makes before the gate runs (is the file loaded already, what other
files of the same edition print, the neighbouring years for the year-on-year check) and the atomic
publish and removal.

**Vintages.** ``raw`` keeps every edition: two files printing the same table × data year with
different ``vintage`` (the data year of the edition that printed the value) are both kept. Two
files of the same edition (table × data year × vintage: a second download, an ``.xls`` converted
to ``.xlsx``) must agree on every cell both print (:func:`compare_edition`); the cells of the second
that the first already holds are not stored again (``load_log.duplicate_of`` names the file whose
copy is kept, ``n_duplicates`` counts them), its other cells are stored under its own name, so the
kept copy is the union and nothing printed is lost. ``sum(load_log.n_records)`` is always
``count(*)`` of ``raw.records``: the warehouse is explained by its load log.

The unit of publication is a file: all its records are replaced in one transaction, so the
warehouse never holds half of a file, and a crash leaves the previous state.

Readers never see a half-done load: DuckDB lets one process write a database file and locks out
readers meanwhile, so a load works on a copy of the warehouse file (``.agglo.duckdb.staged.tmp``
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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from agglo import paths
from agglo.errors import AggloError, warehouse_in_use
from agglo.ingest.catalog import Catalog
from agglo.ingest.parse import RECORD_COLUMNS as PARSED_COLUMNS
from agglo.quality import GateReport
from agglo.quality.frames import NEIGHBOUR_COLUMNS, half_unit
from agglo.quality.rules import table_rules

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
    vintage INTEGER NOT NULL,
    n_records INTEGER NOT NULL,
    n_provinces INTEGER NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    duplicate_of VARCHAR,
    n_duplicates INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (file_path, table_id, data_year)
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
CREATE TABLE IF NOT EXISTS raw.catalog_identities (
    table_id VARCHAR NOT NULL,
    identity VARCHAR NOT NULL,
    total_indicator VARCHAR NOT NULL,
    part_indicator VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS raw.catalog_national_total_coverage (
    table_id VARCHAR NOT NULL,
    out_of_scope_code VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS raw.catalog_printed_gaps (
    table_id VARCHAR NOT NULL,
    data_year INTEGER NOT NULL,
    industry_code VARCHAR,
    indicator VARCHAR NOT NULL,
    aggregate_code VARCHAR NOT NULL,
    gap DOUBLE NOT NULL
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


LOAD_LOG_COLUMNS = [
    "file_path",
    "file_hash",
    "table_id",
    "data_year",
    "vintage",
    "n_records",
    "n_provinces",
    "loaded_at",
    "duplicate_of",
    "n_duplicates",
]


def publish_catalog(con, catalog: Catalog) -> None:
    """Write the table rules that dbt needs (row identities, what a printed 全国 covers, the totals
    a yearbook really prints off its provinces) into ``raw.catalog_*``: dbt reads them there, so
    the catalog and expectations YAML stay their one home."""
    gaps = [
        (t.table_id, year, industry, indicator, total, gap)
        for t in catalog
        for (year, industry, indicator, total), gap in table_rules(t).printed_gaps.items()
    ]
    identities = [
        (t.table_id, f"{i.total} = {' + '.join(i.parts)}", i.total, part)
        for t in catalog
        for i in t.identities
        for part in i.parts
    ]
    coverage = [(t.table_id, code) for t in catalog for code in t.national_total_includes]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM raw.catalog_identities")
        con.execute("DELETE FROM raw.catalog_national_total_coverage")
        con.execute("DELETE FROM raw.catalog_printed_gaps")
        if gaps:
            con.executemany("INSERT INTO raw.catalog_printed_gaps VALUES (?, ?, ?, ?, ?, ?)", gaps)
        if identities:
            con.executemany("INSERT INTO raw.catalog_identities VALUES (?, ?, ?, ?)", identities)
        if coverage:
            con.executemany(
                "INSERT INTO raw.catalog_national_total_coverage VALUES (?, ?)", coverage
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def connect(warehouse: Path | None = None) -> duckdb.DuckDBPyConnection:
    warehouse = warehouse or paths.warehouse_path()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    _migrate_load_log(con)
    con.execute(DDL)
    return con


def _migrate_load_log(con) -> None:
    """A warehouse written before vintages has one load_log row per table-year and no ``vintage``:
    rebuild it in the current shape (vintage from the file's records, no duplicates)."""
    columns = {
        name
        for (name,) in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = 'raw' AND table_name = 'load_log'"
        ).fetchall()
    }
    if not columns or "vintage" in columns:
        return
    con.execute("BEGIN TRANSACTION")
    con.execute("ALTER TABLE raw.load_log RENAME TO load_log_before_vintages")
    con.execute(DDL)
    con.execute(
        """
        INSERT INTO raw.load_log (file_path, file_hash, table_id, data_year, vintage, n_records,
                                  n_provinces, loaded_at, duplicate_of, n_duplicates)
        SELECT l.file_path, l.file_hash, l.table_id, l.data_year,
               coalesce((SELECT max(r.vintage) FROM raw.records r
                         WHERE r.source_file = l.file_path AND r.table_id = l.table_id
                           AND r.data_year = l.data_year), l.data_year),
               l.n_records, l.n_provinces, l.loaded_at, NULL, 0
        FROM raw.load_log_before_vintages l
        """
    )
    con.execute("DROP TABLE raw.load_log_before_vintages")
    con.execute("COMMIT")


@contextlib.contextmanager
def staged(warehouse: Path) -> Iterator[Path]:
    """Work on a copy of ``warehouse`` and move it over the original when the block succeeds.

    Yields the copy's path. Writers wait for each other on ``<warehouse>.lock``; readers are never
    blocked and see the old file until the ``os.replace``. On an exception the copy is deleted and
    the warehouse is as it was.
    """
    warehouse = Path(warehouse)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    # One name per warehouse (writers hold the lock): dbt sees the same profile path every build,
    # so it can reuse its parse of the project (a new path would force a full parse).
    work = warehouse.with_name(f".{warehouse.name}.staged.tmp")
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


# A cell of an edition: the same key in two files of the same edition is the same printed cell.
CELL_KEY = [
    "table_id",
    "entity_kind",
    "province_code",
    "aggregate_code",
    "industry_code",
    "indicator",
    "data_year",
    "vintage",
]
HELD_COLUMNS = [*CELL_KEY, "value", "value_raw", "source_file", "source_sheet", "source_cell"]


@dataclass(frozen=True)
class EditionMatch:
    """How a file's records meet what other files of the same editions already hold.

    ``new``: the file's records no other file holds (to store); ``n_shared``: per data year, the
    file's cells held already with an agreeing value (not stored again); ``duplicate_of``: per data
    year, the file holding most of those; ``conflict``: the first cell where the two disagree (a
    message naming both files and both cells), None when every shared cell agrees.
    """

    new: pd.DataFrame
    n_shared: dict[int, int]
    duplicate_of: dict[int, str]
    conflict: str | None


def _agree(a, b, raw_a, raw_b) -> bool:
    """Two prints of one cell of one edition agree: both without a number, or numbers equal within
    half a unit of the last digit of the coarser print (a conversion or export may have rounded a
    stored double to the digits shown) plus 1e-9 relative (binary vs decimal representation)."""
    a_missing, b_missing = pd.isna(a), pd.isna(b)
    if a_missing or b_missing:
        return bool(a_missing and b_missing)
    tolerance = max(half_unit(raw_a), half_unit(raw_b)) + 1e-9 * max(abs(a), abs(b))
    return abs(float(a) - float(b)) <= tolerance


def _where(file: str, sheet, cell) -> str:
    sheet = "" if sheet is None or pd.isna(sheet) else f"{sheet}!"
    return f"{file} {sheet}{cell}"


def _cell_name(row) -> str:
    who = row["province_code"] if pd.notna(row["province_code"]) else row["aggregate_code"]
    parts = [f"{row['entity_kind']} {who}"]
    if pd.notna(row["industry_code"]):
        parts.append(f"industry {row['industry_code']}")
    parts.append(f"indicator {row['indicator']}")
    return ", ".join(parts)


def compare_edition(records: pd.DataFrame, held: pd.DataFrame) -> EditionMatch:
    """Compare a file's records with those other files of the same editions hold (pure).

    ``records``: the file's records (parser columns); ``held``: ``HELD_COLUMNS`` rows of other
    files (:func:`held_records`), possibly for other vintages (those never meet: a cell's key
    includes its vintage). Two files of different vintages are two editions: both kept.
    """
    records = records.reset_index(drop=True)
    if held.empty or records.empty:
        return EditionMatch(records, {}, {}, None)

    def keyed(frame):
        out = frame.copy()
        for col in CELL_KEY:
            out[f"k_{col}"] = out[col].astype("string").fillna("")
        return out

    mine = keyed(records)
    mine["_pos"] = range(len(mine))
    theirs = keyed(held[HELD_COLUMNS]).add_prefix("held_")
    keys = [f"k_{c}" for c in CELL_KEY]
    merged = mine.merge(
        theirs, left_on=keys, right_on=[f"held_{k}" for k in keys], how="left", indicator=True
    )
    shared = merged[merged["_merge"] == "both"]
    if not shared.empty:
        order = shared.sort_values(["source_sheet", "source_row", "source_col", "_pos"])
        for _, row in order.iterrows():
            if _agree(row["value"], row["held_value"], row["value_raw"], row["held_value_raw"]):
                continue
            held_value = row["held_value_raw"] if pd.notna(row["held_value"]) else "no number"
            value = row["value_raw"] if pd.notna(row["value"]) else "no number"
            held_at = _where(
                row["held_source_file"], row["held_source_sheet"], row["held_source_cell"]
            )
            at = _where(row["source_file"], row["source_sheet"], row["source_cell"])
            return EditionMatch(
                records.iloc[0:0],
                {},
                {},
                f"{row['table_id']} {row['data_year']} (edition {row['vintage']}) is printed "
                f"differently by {row['held_source_file']} and {row['source_file']}: first "
                f"differing cell {_cell_name(row)}: {held_value!r} at {held_at}, {value!r} at {at}."
                " Two files of the same edition must print the same values: keep the right one "
                f"and remove the other (`agglo unload {row['held_source_file']}` for a file "
                "already loaded).",
            )
    held_pos = set(shared["_pos"])
    new = records[[i not in held_pos for i in range(len(records))]]
    n_shared = {int(y): int(n) for y, n in shared.groupby("data_year").size().items()}
    duplicate_of = {
        int(y): str(g["held_source_file"].value_counts().index[0])
        for y, g in shared.groupby("data_year")
    }
    return EditionMatch(new, n_shared, duplicate_of, None)


def held_records(
    con, rel_path: str, table_id: str, vintages: list[int], exclude: Sequence[str] = ()
) -> pd.DataFrame:
    """What files other than ``rel_path`` (and ``exclude``) hold of ``table_id`` in these vintages
    (editions)."""
    if con is None or not vintages:
        return pd.DataFrame(columns=HELD_COLUMNS)
    return con.execute(
        f"SELECT {', '.join(HELD_COLUMNS)} FROM raw.records WHERE table_id = ? "
        "AND NOT list_contains(?, source_file) AND list_contains(?, vintage)",
        [table_id, [rel_path, *exclude], [int(v) for v in vintages]],
    ).df()


def _prepare(records: pd.DataFrame, rel_path: str, digest: str) -> pd.DataFrame:
    records = records.copy()
    records["file_hash"] = digest
    records["source_file"] = rel_path
    return records[list(RECORD_COLUMNS)]


def publish(con, rel_path: str, digest: str, result, loaded_at: datetime, report=None) -> list[int]:
    """Replace the file's records (and record the gate's results) in one transaction.

    Cells another file of the same edition already holds are not stored again (the other file's
    copy is kept; :func:`compare_edition`); the rest are. No checks here:
    :func:`agglo.pipeline.load_file` runs the gate first, and rejects a file whose shared cells
    disagree (tests call this directly to put data the gate would refuse into a warehouse).
    """
    records = _prepare(result.records, rel_path, digest)
    table_id = result.table.table_id
    years = sorted(int(y) for y in records["data_year"].unique())
    vintages = sorted(int(v) for v in records["vintage"].unique())
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM raw.records WHERE source_file = ?", [rel_path])
        con.execute("DELETE FROM raw.load_log WHERE file_path = ?", [rel_path])
        match = compare_edition(records, held_records(con, rel_path, table_id, vintages))
        if match.conflict:  # an unchecked publish (the gate was skipped): store every record
            match = compare_edition(records, pd.DataFrame(columns=HELD_COLUMNS))
        con.register("incoming", match.new[list(RECORD_COLUMNS)])
        con.execute("INSERT INTO raw.records SELECT * FROM incoming")
        con.unregister("incoming")
        _log_years(con, rel_path, digest, table_id, records, match, loaded_at)
        if report is not None:
            store_results(con, report, "loaded")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return years


def _log_years(con, rel_path, digest, table_id, records, match, loaded_at) -> None:
    stored = match.new.groupby("data_year").size()
    for year, group in records.groupby("data_year"):
        con.execute(
            f"INSERT INTO raw.load_log ({', '.join(LOAD_LOG_COLUMNS)}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                rel_path,
                digest,
                table_id,
                int(year),
                int(group["vintage"].max()),
                int(stored.get(year, 0)),
                int(group["province_code"].nunique()),
                loaded_at,
                match.duplicate_of.get(int(year)),
                match.n_shared.get(int(year), 0),
            ],
        )


def loaded_files(con) -> list[str]:
    """Every file with rows in ``raw.load_log`` (stored paths, sorted)."""
    rows = con.execute("SELECT DISTINCT file_path FROM raw.load_log ORDER BY 1").fetchall()
    return [rel for (rel,) in rows]


def dependents(con, rel_path: str) -> list[str]:
    """Files whose duplicate cells may be held by ``rel_path``: other files with duplicates in one
    of its editions (table × data year × vintage). Removing ``rel_path`` means reloading them, so
    that the cells they print are kept again under their own name."""
    rows = con.execute(
        """
        SELECT DISTINCT d.file_path FROM raw.load_log d
        JOIN raw.load_log f USING (table_id, data_year, vintage)
        WHERE f.file_path = ? AND d.file_path <> ? AND d.n_duplicates > 0
        ORDER BY 1
        """,
        [rel_path, rel_path],
    ).fetchall()
    return [rel for (rel,) in rows]


def remove_files(con, rel_paths: list[str]) -> None:
    """Delete everything these files contributed (records and load_log rows), one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        for rel in rel_paths:
            con.execute("DELETE FROM raw.records WHERE source_file = ?", [rel])
            con.execute("DELETE FROM raw.load_log WHERE file_path = ?", [rel])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def warehouse_summary(warehouse: Path) -> tuple[list[tuple[str, list[int], list[int]]], dict]:
    """What a built warehouse holds: (table_id, data years, vintages) of everything loaded, by
    table, and the rows of every table in schema ``marts``."""
    with duckdb.connect(str(warehouse)) as con:
        rows = con.execute(
            "SELECT table_id, list(DISTINCT data_year ORDER BY data_year), "
            "list(DISTINCT vintage ORDER BY vintage) FROM raw.load_log GROUP BY 1 ORDER BY 1"
        ).fetchall()
        marts = [
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
                "ORDER BY 1"
            ).fetchall()
        ]
        counts = {
            name: con.execute(f'SELECT count(*) FROM marts."{name}"').fetchone()[0]
            for name in marts
        }
    return [(t, list(y), list(v)) for t, y, v in rows], counts


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


def is_loaded(con, rel_path: str, digest: str) -> bool:
    """The same content (SHA-256) is already loaded from the same path."""
    return bool(
        con.execute(
            "SELECT count(*) FROM raw.load_log WHERE file_path = ? AND file_hash = ?",
            [rel_path, digest],
        ).fetchone()[0]
    )


def neighbouring_values(
    con, table_id: str, rel_path: str, years: list[int], exclude: Sequence[str] = ()
) -> pd.DataFrame:
    """Province values of the table in the years next to ``years``, from other files (not
    ``exclude``).

    The reference frame of the gate's year-on-year check (columns ``NEIGHBOUR_COLUMNS``); empty
    without a warehouse (``con`` None).
    """
    if con is None or not years:
        return pd.DataFrame(columns=NEIGHBOUR_COLUMNS)
    wanted = sorted({y + d for y in years for d in (-1, 1)} - set(years))
    return con.execute(
        f"SELECT {', '.join(NEIGHBOUR_COLUMNS)} FROM raw.records WHERE table_id = ? "
        "AND NOT list_contains(?, source_file) AND entity_kind = 'province' "
        "AND value IS NOT NULL AND list_contains(?, data_year)",
        [table_id, [rel_path, *exclude], wanted],
    ).df()


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect(path, read_only=True)``; a file another process holds open read-write is
    a :class:`~agglo.errors.WarehouseInUseError` naming that process, never a traceback."""
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        in_use = warehouse_in_use(path, exc)
        if in_use is None:
            raise
        raise in_use from exc


def open_read_only(warehouse: Path | None = None):
    """A read-only connection to a warehouse that has ``raw.records``, else None (no warehouse
    yet: the year-on-year check has nothing to compare with). A warehouse another process holds
    is an error: checking without its years would pass what a load rejects."""
    wh = warehouse or paths.warehouse_path()
    if not wh.exists():
        return None
    con = connect_read_only(wh)
    try:
        con.execute("SELECT 1 FROM raw.records LIMIT 1")
    except duckdb.Error:
        con.close()
        return None
    return con


def latest_dq_results(warehouse: Path | None = None) -> list[dict]:
    """Rows of ``raw.dq_results`` (column → value) of the latest validation of each file."""
    wh = warehouse or paths.warehouse_path()
    if not wh.exists():
        raise AggloError(f"no warehouse at {wh}", hint="run agglo load first")
    con = connect_read_only(wh)
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
