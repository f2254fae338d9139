"""``agglo load`` and ``agglo check``: every yearbook file down the layers once.

    discover (ingest.files) → parse (ingest) → what the gate needs from the warehouse → gate
    (quality) → publish or reject (warehouse)

A file that fails an ``error`` check is not published but recorded in ``raw.load_rejections``; the
other files still load. Every check's outcome goes to ``raw.dq_results``. A load runs on a staged
copy of the warehouse (:func:`agglo.warehouse.staged`), so readers see the state before or after the
run, never between two files. A file is skipped when the same content (SHA-256) is already loaded
from the same path, which makes ``agglo load`` idempotent; a full load (no paths) mirrors ``raw/``.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agglo import paths, quality
from agglo import warehouse as wh
from agglo.errors import AggloError
from agglo.ingest.catalog import Catalog, load_catalog
from agglo.ingest.files import discover, display_path, file_hash
from agglo.ingest.parsed import parse_path


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


def load_file(con, path: Path, catalog: Catalog) -> FileOutcome:
    """Parse, check and publish (or reject) one file, in the warehouse ``con`` writes to."""
    rel = display_path(path)
    digest = file_hash(path)
    if wh.is_loaded(con, rel, digest):
        return FileOutcome(rel, "unchanged")
    try:
        parsed = parse_path(path, catalog, rel)
        if not parsed.data_years:
            raise AggloError("no records found", file=rel)
    except AggloError as exc:
        report = quality.failure_report(rel, digest, "file_parses", str(exc))
        wh.reject(con, report)
        return FileOutcome(rel, "rejected", message=report.message())
    table_id, years = parsed.table.table_id, parsed.data_years
    report = quality.validate(
        parsed,
        digest=digest,
        neighbours=wh.neighbouring_values(con, table_id, rel, years),
        conflict=wh.conflicting_file(con, rel, table_id, years),
    )
    if not report.ok:
        wh.reject(con, report)
        return FileOutcome(
            rel,
            "rejected",
            table_id,
            years,
            message=report.message(),
            gate_seconds=report.seconds,
        )
    now = datetime.now(UTC).replace(tzinfo=None)
    years = wh.publish(con, rel, digest, parsed.result, now, report=report)
    return FileOutcome(
        rel,
        "loaded",
        table_id,
        years,
        len(parsed.records),
        gate_seconds=report.seconds,
        warnings=report.message("warnings"),
    )


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
    with wh.staged(target) if stage else contextlib.nullcontext(target) as work:
        con = wh.connect(work)
        try:
            if full:
                report.pruned = wh.prune_missing(con)
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


def check_file(
    path: Path, catalog: Catalog, con=None, rel: str | None = None
) -> quality.GateReport:
    """Parse and validate one file without loading it; parse failures are a failed ``file_parses``.

    ``con``: a warehouse to compare with (year on year), or None.
    """
    rel = rel or str(path)
    try:
        parsed = parse_path(path, catalog, rel)
    except AggloError as exc:
        return quality.failure_report(rel, None, "file_parses", str(exc))
    if parsed.records.empty:
        return quality.failure_report(
            rel, None, "file_parses", "no records found", parsed.table.table_id
        )
    neighbours = wh.neighbouring_values(con, parsed.table.table_id, rel, parsed.data_years)
    return quality.validate(parsed, neighbours=neighbours)


def check_paths(targets: list[Path], *, warehouse: Path | None = None, out=None) -> int:
    """``agglo check``: validate files without loading them; 1 if any has an error, else 0."""
    out = out or sys.stdout
    catalog = load_catalog()
    files = discover(list(targets) or [paths.raw_dir()])
    con = wh.open_read_only(warehouse)
    failed = 0
    try:
        for path in files:
            report = check_file(path, catalog, con=con, rel=display_path(path))
            if report.ok:
                extra = f", {len(report.warnings)} warning(s)" if report.warnings else ""
                print(
                    f"ok       {report.file} ({report.table_id} {report.data_years}{extra})",
                    file=out,
                )
                if report.warnings:
                    print(report.message("warnings"), file=out)
            else:
                failed += 1
                print(f"FAILED   {report.message()}", file=out)
    finally:
        if con is not None:
            con.close()
    print(f"{len(files) - failed} passed, {failed} failed", file=out)
    return 1 if failed else 0


def build_dq_docs(warehouse: Path | None = None, out_dir: Path | None = None) -> Path:
    """``agglo dq-docs``: GE Data Docs of the latest gate results of each file; the index page."""
    rows = wh.latest_dq_results(warehouse)
    out_dir = out_dir or paths.repo_root() / "reports" / "dq-docs"
    return quality.build_data_docs(rows, out_dir)
