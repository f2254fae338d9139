"""``agglo load`` and ``agglo check``: every yearbook file down the layers once.

    discover (ingest.files) → parse (ingest) → what the gate needs from the warehouse → gate
    (quality) → publish or reject (warehouse)

A file that fails an ``error`` check is not published but recorded in ``raw.load_rejections``; the
other files still load. Every check's outcome goes to ``raw.dq_results``. A load runs on a staged
copy of the warehouse (:func:`agglo.warehouse.staged`), so readers see the state before or after the
run, never between two files. A file is skipped when the same content (SHA-256) is already loaded
from the same path, which makes ``agglo load`` idempotent; a full load (no paths) mirrors ``raw/``:
what came from a file under ``raw/`` that is gone is removed, files loaded from elsewhere stay until
``agglo unload`` removes them.

Vintages (:mod:`agglo.warehouse`): a file printing a table-year another file printed is loaded when
its edition (``vintage``) differs; a file of the same edition must agree with the other on every
cell both print (else it is rejected, naming both files and the first differing cell) and only its
cells no other file holds are stored. ``agglo check`` applies the same rule to the files it is
given, in the order a load would take them.
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from agglo import paths, quality
from agglo import warehouse as wh
from agglo.errors import AggloError
from agglo.ingest.catalog import Catalog, load_catalog
from agglo.ingest.files import discover, display_path, file_hash, stored_file
from agglo.ingest.parsed import ParsedFile, parse_path
from agglo.quality.results import warnings_text


@dataclass
class FileOutcome:
    path: str
    status: str  # loaded | unchanged | rejected | removed
    table_id: str | None = None
    data_years: list[int] = field(default_factory=list)
    n_records: int = 0
    message: str = ""
    gate_seconds: float = 0.0
    warnings: str = ""  # "N warning(s)" and the failed warning checks (the file is loaded)
    note: str = ""  # e.g. the same edition as another file: its shared cells are kept once


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
                lines.append(f"WARNING  {o.path}: loaded with {o.warnings}")
            if o.note:
                lines.append(f"NOTE     {o.path}: {o.note}")
        lines.extend(
            f"REMOVED  {rel} (file gone or not in the mirrored folder)" for rel in self.pruned
        )
        return "\n".join(lines)


def _duplicate_note(match) -> str:
    if not match.duplicate_of:
        return ""
    held = sorted(set(match.duplicate_of.values()))
    return (
        f"same edition as {', '.join(held)}; its {sum(match.n_shared.values())} shared cell(s) "
        f"agree and are kept once, {len(match.new)} cell(s) only it prints were added"
    )


def _warnings_text(report: quality.GateReport) -> str:
    """``2 warnings`` and the failed warning checks, one per indented line ("" when none)."""
    if not report.warnings:
        return ""
    return "\n".join([warnings_text(report.warnings), report.message("warnings", header=False)])


def _file_records(parsed: ParsedFile) -> pd.DataFrame:
    return parsed.records.assign(source_file=parsed.rel)


def load_file(con, path: Path, catalog: Catalog) -> FileOutcome:
    """Parse, check and publish (or reject) one file, in the warehouse ``con`` writes to."""
    rel = display_path(path)
    digest = file_hash(path)
    if wh.is_loaded(con, rel, digest):
        return FileOutcome(rel, "unchanged")
    moved_note = ""
    if wh.dependents(con, rel):  # a changed file whose copy other files rely on: move it first
        moved = [o.path for o in remove_loaded(con, [rel], catalog) if o.status == "loaded"]
        moved_note = f"the cells its earlier version shared are now kept from {', '.join(moved)}"
    try:
        parsed = parse_path(path, catalog, rel)
        if not parsed.data_years:
            raise AggloError("no records found", file=rel)
    except AggloError as exc:
        report = quality.failure_report(rel, digest, "file_parses", str(exc))
        wh.reject(con, report)
        return FileOutcome(rel, "rejected", message=report.message(), note=moved_note)
    table_id, years = parsed.table.table_id, parsed.data_years
    match = wh.compare_edition(
        _file_records(parsed), wh.held_records(con, rel, table_id, parsed.result.vintages)
    )
    report = quality.validate(
        parsed,
        digest=digest,
        neighbours=wh.neighbouring_values(con, table_id, rel, years),
        conflict=match.conflict,
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
            note=moved_note,
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
        warnings=_warnings_text(report),
        note="; ".join(filter(None, [moved_note, _duplicate_note(match)])),
    )


def remove_loaded(con, rels: list[str], catalog: Catalog) -> list[FileOutcome]:
    """Remove everything ``rels`` contributed; the files whose duplicate cells they held are
    reloaded from disk, so their cells are kept again under their own name (the kept copy's
    ownership moves to them). Returns what happened to those files."""
    doomed, todo = set(rels), list(rels)
    while todo:
        for other in wh.dependents(con, todo.pop()):
            if other not in doomed:
                doomed.add(other)
                todo.append(other)
    moved = sorted(doomed - set(rels))
    wh.remove_files(con, sorted(doomed))
    outcomes = []
    for rel in moved:
        path = stored_file(rel)
        if path.exists():
            outcomes.append(load_file(con, path, catalog))
        else:
            outcomes.append(
                FileOutcome(rel, "removed", message="its cells were kept from a removed file")
            )
    return outcomes


def _is_under(rel: str, root: Path) -> bool:
    return stored_file(rel).resolve().is_relative_to(root.resolve())


def load_paths(
    targets: list[Path] | None = None,
    *,
    warehouse: Path | None = None,
    catalog: Catalog | None = None,
    progress: bool = True,
    stage: bool = True,
    raw: Path | None = None,
    only_raw: bool = False,
) -> LoadReport:
    """Load files (default: everything under ``raw``, itself by default ``raw/``) and report what
    happened to each.

    A full load (no ``targets``) mirrors ``raw``: what came from a file under it that is gone is
    removed; with ``only_raw`` also every file loaded from outside it (the warehouse then holds
    the files of ``raw`` and nothing else: ``agglo build --raw DIR``). ``stage=False`` writes into
    ``warehouse`` directly: for a caller that already works on a staged copy (``agglo build``).
    """
    catalog = catalog or load_catalog()
    full = targets is None
    root = raw or paths.raw_dir()
    if full and not root.is_dir():
        raise AggloError(
            f"{root} is not a folder", hint="give the folder holding your yearbook files"
        )
    files = discover(targets or [root])
    report = LoadReport()
    target = warehouse or paths.warehouse_path()
    with wh.staged(target) if stage else contextlib.nullcontext(target) as work:
        con = wh.connect(work)
        try:
            wh.publish_catalog(con, catalog)
            if full:
                report.pruned = [
                    rel
                    for rel in wh.loaded_files(con)
                    if (not _is_under(rel, root) and only_raw)
                    or (_is_under(rel, root) and not stored_file(rel).exists())
                ]
                report.outcomes.extend(remove_loaded(con, report.pruned, catalog))
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


@dataclass
class UnloadReport:
    removed: list[str] = field(default_factory=list)
    moved: list[FileOutcome] = field(default_factory=list)  # files whose copy is now their own

    @property
    def ok(self) -> bool:
        return not any(o.status == "rejected" for o in self.moved)

    def summary(self) -> str:
        lines = [f"{len(self.removed)} file(s) unloaded"]
        lines.extend(f"UNLOADED {rel}" for rel in self.removed)
        for o in self.moved:
            if o.status == "loaded":
                lines.append(
                    f"KEPT     {o.path}: the cells it shares with an unloaded file are now its own"
                )
            elif o.status == "removed":
                lines.append(f"REMOVED  {o.path}: {o.message}; the file is gone")
            else:
                lines.append(f"REJECTED {o.path}\n  {o.message.replace(chr(10), chr(10) + '  ')}")
        return "\n".join(lines)


def unload_paths(
    targets: list[Path],
    *,
    warehouse: Path | None = None,
    catalog: Catalog | None = None,
) -> UnloadReport:
    """``agglo unload``: remove everything the files (or the files under the folders) contributed,
    on a staged copy swapped in when done. A file recorded as a duplicate of a removed one is
    reloaded from disk, so the cells both printed stay, now from it. A path that names no loaded
    file is an error (nothing is changed)."""
    catalog = catalog or load_catalog()
    target = warehouse or paths.warehouse_path()
    if not target.exists():
        raise AggloError(f"no warehouse at {target}", hint="nothing is loaded; pass --warehouse")
    report = UnloadReport()
    with wh.staged(target) as work:
        con = wh.connect(work)
        try:
            loaded = wh.loaded_files(con)
            for path in targets:
                hits = [rel for rel in loaded if rel == display_path(path) or _is_under(rel, path)]
                if not hits:
                    raise AggloError(
                        f"{path} is not loaded in {target}",
                        hint='`agglo sql -c "select distinct file_path from raw.load_log"` lists '
                        "the loaded files",
                    )
                report.removed.extend(h for h in hits if h not in report.removed)
            report.moved = remove_loaded(con, report.removed, catalog)
            con.execute("CHECKPOINT")
        finally:
            con.close()
    return report


def check_file(
    path: Path, catalog: Catalog, con=None, rel: str | None = None, pending=None
) -> quality.GateReport:
    """Parse and validate one file without loading it; parse failures are a failed ``file_parses``.

    ``con``: a warehouse to compare with (year on year, other files of the same edition), or None.
    ``pending``: records of files checked before this one in the same run, as if loaded (so that
    two files of one edition are judged as a load would judge them); the file's records are added
    to it when it passes.
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
    table_id = parsed.table.table_id
    held = wh.held_records(con, rel, table_id, parsed.result.vintages)
    if pending is not None:
        earlier = [f[wh.HELD_COLUMNS] for f in pending if (f["table_id"] == table_id).any()]
        held = pd.concat([held, *earlier], ignore_index=True) if earlier else held
    match = wh.compare_edition(_file_records(parsed), held)
    neighbours = wh.neighbouring_values(con, table_id, rel, parsed.data_years)
    report = quality.validate(parsed, neighbours=neighbours, conflict=match.conflict)
    if report.ok and pending is not None:
        pending.append(match.new)
    return report


def check_paths(targets: list[Path], *, warehouse: Path | None = None, out=None) -> int:
    """``agglo check``: validate files without loading them; 1 if any has an error, else 0.

    Files are judged in the order ``agglo load`` takes them, each against the warehouse and the
    files passed before it, so two files of the same edition that disagree get the verdicts a load
    would give (the second is rejected).
    """
    out = out or sys.stdout
    catalog = load_catalog()
    files = discover(list(targets) or [paths.raw_dir()])
    con = wh.open_read_only(warehouse)
    failed = warned = 0
    pending: list = []
    try:
        for path in files:
            report = check_file(path, catalog, con=con, rel=display_path(path), pending=pending)
            if report.ok:
                status = f"ok ({warnings_text(report.warnings)})" if report.warnings else "ok"
                print(
                    f"{status:<8} {report.file} ({report.table_id} {report.data_years})", file=out
                )
                if report.warnings:
                    print(report.message("warnings", header=False), file=out)
                    warned += 1
            else:
                failed += 1
                print(f"FAILED   {report.message()}", file=out)
    finally:
        if con is not None:
            con.close()
    with_warnings = f" ({warned} with warnings)" if warned else ""
    print(f"{len(files) - failed} passed{with_warnings}, {failed} failed", file=out)
    return 1 if failed else 0


def build_dq_docs(warehouse: Path | None = None, out_dir: Path | None = None) -> Path:
    """``agglo dq-docs``: GE Data Docs of the latest gate results of each file; the index page."""
    rows = wh.latest_dq_results(warehouse)
    out_dir = out_dir or paths.repo_root() / "reports" / "dq-docs"
    return quality.build_data_docs(rows, out_dir)
