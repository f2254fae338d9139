"""Loading parsed yearbook files into the DuckDB warehouse (schema ``raw``).

The unit of publication is a file: all its table-years are replaced in one transaction, so the
warehouse never holds half of a file, and a crash leaves the previous state. A file is skipped when the
same content (SHA-256) is already loaded from the same path, which makes ``agglo load`` idempotent.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from agglo import paths
from agglo.catalog import Catalog, load_catalog
from agglo.errors import AggloError

SUPPORTED_SUFFIXES = {".xls", ".xlsx", ".csv", ".htm", ".html"}

RECORD_COLUMNS = {
    "table_id": "VARCHAR NOT NULL",
    "yearbook": "VARCHAR NOT NULL",
    "data_year": "INTEGER NOT NULL",
    "entity_kind": "VARCHAR NOT NULL",
    "province_code": "VARCHAR",
    "aggregate_code": "VARCHAR",
    "name_raw": "VARCHAR",
    "industry_code": "VARCHAR",
    "indicator": "VARCHAR NOT NULL",
    "value": "DOUBLE",
    "unit": "VARCHAR",
    "value_raw": "VARCHAR",
    "value_flag": "VARCHAR",
    "source_file": "VARCHAR NOT NULL",
    "source_sheet": "VARCHAR",
    "source_row": "INTEGER",
    "source_col": "VARCHAR",
    "source_cell": "VARCHAR",
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
"""


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
        return "\n".join(lines)


def connect(warehouse: Path | None = None) -> duckdb.DuckDBPyConnection:
    warehouse = warehouse or paths.warehouse_path()
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    con.execute(DDL)
    return con


def _validate(records: pd.DataFrame, where: str) -> None:
    """Refuse records the warehouse must not hold (the full gate lives in ``expectations/``)."""
    bad = records[records["value_flag"] == "invalid"]
    if not bad.empty:
        first = bad.iloc[0]
        cells = ", ".join(f"{r.source_cell} {r.value_raw!r}" for r in bad.head(5).itertuples())
        raise AggloError(
            f"{len(bad)} cell(s) are not numbers: {cells}",
            file=where,
            sheet=first["source_sheet"],
            hint="fix the cells in the file (footnote marks, stray text) and load it again",
        )


def _publish(con, rel_path: str, digest: str, result, loaded_at: datetime) -> list[int]:
    """Replace the file's table-years in one transaction."""
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
        other_path = Path(other) if Path(other).is_absolute() else paths.repo_root() / other
        if other_path.exists():
            return (
                f"{table_id} {year} is already loaded from {other}; two files cannot provide the "
                "same table-year. Remove one of them (e.g. the demo file) and load again."
            )
    return None


def load_file(con, path: Path, catalog: Catalog) -> FileOutcome:
    from agglo.parse import parse_file

    rel = display_path(path)
    digest = file_hash(path)
    already = con.execute(
        "SELECT count(*) FROM raw.load_log WHERE file_path = ? AND file_hash = ?", [rel, digest]
    ).fetchone()[0]
    if already:
        return FileOutcome(rel, "unchanged")
    try:
        result = parse_file(path, catalog=catalog)
        _validate(result.records, rel)
        years = sorted(int(y) for y in result.records["data_year"].unique())
        if not years:
            raise AggloError("no records found", file=rel)
        conflict = _conflict(con, rel, result.table.table_id, years)
        if conflict:
            raise AggloError(conflict, file=rel)
    except AggloError as exc:
        return FileOutcome(rel, "rejected", message=str(exc))
    years = _publish(con, rel, digest, result, datetime.now(UTC).replace(tzinfo=None))
    return FileOutcome(rel, "loaded", result.table.table_id, years, len(result.records))


def _prune_missing(con) -> list[str]:
    """Drop what was loaded from files that no longer exist (a full load mirrors raw/)."""
    gone = []
    for (rel,) in con.execute("SELECT DISTINCT file_path FROM raw.load_log").fetchall():
        p = Path(rel) if Path(rel).is_absolute() else paths.repo_root() / rel
        if not p.exists():
            gone.append(rel)
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
) -> LoadReport:
    """Load files (default: everything under ``raw/``) and report what happened to each."""
    catalog = catalog or load_catalog()
    full = targets is None
    files = discover(targets or [paths.raw_dir()])
    report = LoadReport()
    con = connect(warehouse)
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
    finally:
        con.close()
    return report
