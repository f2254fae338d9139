"""Loading parsed yearbook files into the DuckDB warehouse (schema ``raw``).

The unit of publication is a file: all its table-years are replaced in one transaction, so the
warehouse never holds half of a file, and a crash leaves the previous state. A file is skipped when
the same content (SHA-256) is already loaded from the same path, which makes ``agglo load``
idempotent.

Every file passes the data-quality gate (:mod:`agglo.gate`) between parsing and publishing: a file
with a failed ``error`` check is not published but recorded in ``raw.load_rejections``; every
check's outcome goes to ``raw.dq_results``.

Readers never see a half-done load: DuckDB lets one process write a database file and locks out
readers meanwhile, so a load works on a copy of the warehouse file (``.agglo.duckdb.<pid>.tmp``
beside it) and, when the whole run is done, moves it over the warehouse with ``os.replace`` (atomic
on POSIX). A process that opened the warehouse before keeps reading the old file; one that opens it
after sees the new one; nobody sees the state between two files. A crash leaves the warehouse
untouched and the copy is discarded. Writers are serialised with an advisory lock
(``agglo.duckdb.lock``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from agglo import gate, paths
from agglo.catalog import Catalog, load_catalog
from agglo.errors import AggloError
from agglo.parse import RECORD_COLUMNS as PARSED_COLUMNS

SUPPORTED_SUFFIXES = {".xls", ".xlsx", ".csv", ".htm", ".html"}

# raw.records holds the parser's tidy records (the contract) plus the file's content hash.
_NOT_VARCHAR = {"data_year": "INTEGER", "value": "DOUBLE", "source_row": "INTEGER"}
_NOT_NULL = {"table_id", "yearbook", "data_year", "entity_kind", "indicator", "source_file"}
RECORD_COLUMNS = {
    **{
        name: _NOT_VARCHAR.get(name, "VARCHAR") + (" NOT NULL" if name in _NOT_NULL else "")
        for name in PARSED_COLUMNS
    },
    "file_hash": "VARCHAR NOT NULL",
}

DDL = (
    f"""
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
"""
    + gate.DQ_DDL
)


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def display_path(path: Path) -> str:
    """Path as stored in the warehouse: relative to the checkout when inside it."""
    path = path.resolve()
    try:
        return path.relative_to(paths.repo_root()).as_posix()
    except ValueError:
        return path.as_posix()


def stored_file(rel: str) -> Path:
    """The file a stored path names (the inverse of :func:`display_path`)."""
    path = Path(rel)
    return path if path.is_absolute() else paths.repo_root() / path


def discover(roots: Iterable[Path]) -> list[Path]:
    """Yearbook files under the given files/folders, skipping the catalog and ``_``/``.`` paths."""
    found: list[Path] = []
    for root in roots:
        if not root.exists():
            raise AggloError(f"{root} does not exist", hint="give a file or folder under raw/")
        if root.is_file():
            found.append(root)
            continue
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).parts
            if not path.is_file() or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            if any(part.startswith(("_", ".")) or part == "catalog" for part in rel):
                continue
            found.append(path)
    return found


@dataclass
class FileOutcome:
    path: str
    status: str  # loaded | unchanged | rejected
    table_id: str | None = None
    data_years: list[int] = field(default_factory=list)
    n_records: int = 0
    message: str = ""
    gate_seconds: float = 0.0
    warnings: str = ""


@dataclass
class LoadReport:
    outcomes: list[FileOutcome] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(o.status == "rejected" for o in self.outcomes)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def summary(self) -> str:
        lines = [
            f"{self.count('loaded')} loaded, {self.count('unchanged')} unchanged, "
            f"{self.count('rejected')} rejected"
            + (f", {len(self.pruned)} removed (file gone)" if self.pruned else "")
        ]
        for o in self.outcomes:
            if o.status == "rejected":
                lines.append(f"REJECTED {o.path}\n  {o.message.replace(chr(10), chr(10) + '  ')}")
            elif o.warnings:
                lines.append(f"WARNING  {o.warnings.replace(chr(10), chr(10) + '  ')}")
        return "\n".join(lines)


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

    No checks here: :func:`load_file` runs the gate first (tests call this directly to put data
    the gate would refuse into a warehouse).
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
            gate.store_results(con, report, "loaded")
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


def _conflict(con, rel_path: str, table_id: str, years: list[int]) -> str | None:
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


def _reject(con, report) -> None:
    """Record a rejected file and its check results (one transaction)."""
    con.execute("BEGIN TRANSACTION")
    try:
        gate.store_results(con, report, "rejected")
        gate.store_rejection(con, report)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def load_file(con, path: Path, catalog: Catalog) -> FileOutcome:
    rel = display_path(path)
    digest = file_hash(path)
    already = con.execute(
        "SELECT count(*) FROM raw.load_log WHERE file_path = ? AND file_hash = ?", [rel, digest]
    ).fetchone()[0]
    if already:
        return FileOutcome(rel, "unchanged")
    try:
        result, sheets = gate.parse(path, catalog)
        years = sorted(int(y) for y in result.records["data_year"].unique())
        if not years:
            raise AggloError("no records found", file=rel)
    except AggloError as exc:
        report = gate.failure_report(rel, digest, "file_parses", str(exc))
        _reject(con, report)
        return FileOutcome(rel, "rejected", message=report.message())
    report = gate.validate(
        result, path, catalog=catalog, rel=rel, digest=digest, sheets=sheets, con=con
    )
    table_id = result.table.table_id
    conflict = _conflict(con, rel, table_id, years)
    if conflict:
        extra = gate.failure_report(rel, digest, "table_year_unique", conflict, table_id, years)
        report.results.extend(extra.results)
    if not report.ok:
        _reject(con, report)
        return FileOutcome(
            rel,
            "rejected",
            table_id,
            years,
            message=report.message(),
            gate_seconds=report.seconds,
        )
    years = publish(con, rel, digest, result, datetime.now(UTC).replace(tzinfo=None), report=report)
    return FileOutcome(
        rel,
        "loaded",
        table_id,
        years,
        len(result.records),
        gate_seconds=report.seconds,
        warnings=report.message("warnings"),
    )


def _prune_missing(con) -> list[str]:
    """Drop what was loaded from files that no longer exist (a full load mirrors raw/)."""
    rows = con.execute("SELECT DISTINCT file_path FROM raw.load_log").fetchall()
    gone = [rel for (rel,) in rows if not stored_file(rel).exists()]
    for rel in gone:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM raw.records WHERE source_file = ?", [rel])
        con.execute("DELETE FROM raw.load_log WHERE file_path = ?", [rel])
        con.execute("COMMIT")
    return gone


def load_paths(
    targets: list[Path] | None = None,
    *,
    warehouse: Path | None = None,
    catalog: Catalog | None = None,
    progress: bool = True,
    stage: bool = True,
) -> LoadReport:
    """Load files (default: everything under ``raw/``) and report what happened to each.

    ``stage=False`` writes into ``warehouse`` directly: for a caller that already works on a staged
    copy (``agglo build``).
    """
    catalog = catalog or load_catalog()
    full = targets is None
    files = discover(targets or [paths.raw_dir()])
    report = LoadReport()
    target = warehouse or paths.warehouse_path()
    with staged(target) if stage else contextlib.nullcontext(target) as work:
        con = connect(work)
        try:
            if full:
                report.pruned = _prune_missing(con)
            show = progress and sys.stderr.isatty()
            if show:
                from rich.progress import Progress

                with Progress(transient=True) as bar:
                    task = bar.add_task("loading yearbook files", total=len(files))
                    for path in files:
                        bar.update(task, description=f"loading {path.name}")
                        report.outcomes.append(load_file(con, path, catalog))
                        bar.advance(task)
            else:
                for path in files:
                    report.outcomes.append(load_file(con, path, catalog))
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return report
