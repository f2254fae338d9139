"""``agglo build``: load raw/, run dbt, estimate, all on one staged copy of the warehouse.

Analysts may have the warehouse open while a build runs. Building on a copy and swapping it in at
the end (``agglo.warehouse.staged``) means they see the previous complete warehouse until the new
one is complete, and a failing step (a dbt test, a crash) publishes nothing; the failing tests'
rows and the files behind them are kept in a sidecar file instead (:mod:`agglo.evidence`).

The load gate quarantines: a file it rejects is kept out (recorded in ``raw.load_rejections``; an
earlier version of the same file, if loaded, stays whole), the other files are loaded, and the build
goes on and publishes; the summary ends saying so, and ``agglo build`` exits 1. A fit that fails
is likewise recorded (``results.models.status``) and published, with exit 1.

``agglo build --raw DIR`` builds from the files of ``DIR`` alone (the warehouse holds them and
nothing else). Holding some tables for some years is the normal case: the build reports the tables
× years it found and the marts left empty for want of inputs, and skips the estimates when the
estimation panel is empty; none of that is an error.

Nothing is done twice (:mod:`agglo.inputs`): a build whose inputs are those of the last successful
build of the warehouse does nothing (the CLI says "up to date" before importing this module); after
a change of raw data alone, dbt rebuilds only what reads ``raw`` (:func:`dbt_selection`) and a spec
is fitted again only when the samples it would use differ from its stored run's
(:func:`current_run`).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from agglo import evidence, inputs, paths
from agglo.errors import AggloError
from agglo.pipeline import LoadReport, load_paths
from agglo.warehouse import staged, warehouse_summary
from estimation.spec import DEFAULT_SPEC, KNOWLEDGE_PRODUCTION_SPEC

#: Specs ``agglo build`` fits after the paper's when their panel relation holds rows.
OPTIONAL_SPECS = (KNOWLEDGE_PRODUCTION_SPEC,)


@dataclass
class BuildReport:
    load: LoadReport
    timings: dict[str, float] = field(default_factory=dict)
    estimate_summary: str = ""
    estimate_ok: bool = True
    coverage: list[tuple[str, list[int], list[int]]] = field(default_factory=list)
    mart_rows: dict[str, int] = field(default_factory=dict)
    warehouse: Path | None = None  # where the build published
    # rejected file → whether an earlier version of it stays in the warehouse
    quarantined: dict[str, bool] = field(default_factory=dict)
    peak_rss_mib: dict[str, float] = field(default_factory=dict)  # per stage, for `make bench`
    dbt_scope: str = ""

    @property
    def ok(self) -> bool:
        return self.load.ok and self.estimate_ok

    def summary(self) -> str:
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items())
        lines = [f"load: {self.load.summary()}", self.coverage_summary()]
        if self.dbt_scope:
            lines.append(f"dbt: {self.dbt_scope}")
        if self.estimate_summary:
            lines.append(f"estimate: {self.estimate_summary}")
        lines.append(f"timings: {steps}")
        lines.append(self.published_summary())
        return "\n".join(lines)

    def published_summary(self) -> str:
        """The last line: what was published, and what was kept out or failed (the exit 1)."""
        problems = []
        if self.quarantined:
            kept = [
                f"{rel} ({'its earlier version stays' if earlier else 'not in the warehouse'})"
                for rel, earlier in self.quarantined.items()
            ]
            problems.append(
                f"{len(kept)} file(s) rejected by the load gate and kept out (see REJECTED above, "
                f"raw.load_rejections): {'; '.join(kept)}"
            )
        if not self.estimate_ok:
            problems.append("a fit failed (see FAILED above, results.models.status)")
        if not problems:
            return f"published {self.warehouse}"
        return f"published {self.warehouse} without what failed: " + "; ".join(problems)

    def coverage_summary(self) -> str:
        """Tables × years found (and the editions that printed them), and the empty marts."""
        lines = [f"coverage: {len(self.coverage)} table(s)"]
        for table_id, years, vintages in self.coverage:
            editions = f" (editions {', '.join(map(str, vintages))})" if vintages != years else ""
            lines.append(f"  {table_id:<40} {_year_ranges(years)}{editions}")
        empty = sorted(name for name, n in self.mart_rows.items() if n == 0)
        if empty:
            lines.append(
                "marts left empty for want of inputs (load the tables they read): "
                + ", ".join(empty)
            )
        return "\n".join(lines)


def _year_ranges(years: list[int]) -> str:
    """``[2006, 2007, 2008, 2012]`` → ``2006–2008, 2012``."""
    runs: list[list[int]] = []
    for year in years:
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def dbt_executable() -> str:
    """The dbt beside this interpreter (the project's venv), else whatever is on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_target_dir() -> Path:
    """Where dbt writes run_results.json: ``$DBT_TARGET_PATH`` (relative to the project, as dbt
    reads it) or the project's ``target/``."""
    project = paths.repo_root() / "dbt_project"
    return project / os.environ.get("DBT_TARGET_PATH", "target")


def run_dbt(command: str, warehouse: Path, *extra: str) -> None:
    """Run a dbt command against ``warehouse``; raise with dbt's own report when it fails."""
    project = paths.repo_root() / "dbt_project"
    env = {**os.environ, "AGGLO_WAREHOUSE": str(warehouse)}
    args = [
        dbt_executable(),
        command,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
    ]
    proc = subprocess.run(
        [*args, *extra], env=env, cwd=paths.repo_root(), capture_output=True, text=True
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-40:])
        raise AggloError(
            f"dbt {command} failed; the warehouse was left as it was.\n{tail}",
            hint="read the failing model or test above; fix the input file or the model and "
            "run `make build` again",
        )


def fit_estimates(warehouse: Path, tables=None, spec=None) -> tuple[str, bool]:
    """Fit the spec's tables from the warehouse's panel into schema ``results``: (summary, ok).

    Writes into ``warehouse`` itself: callers pass a staged copy (``agglo build``, ``agglo
    estimate``), so readers never see a half-written results schema.
    """
    import duckdb

    from estimation.results_store import estimate_and_store, run_failed

    with duckdb.connect(str(warehouse)) as con:
        run, summary = estimate_and_store(con, tables=tables, spec=spec)
    return summary, not run_failed(run)


def estimate_if_present(warehouse: Path, spec_path: Path, refit: bool = True) -> tuple[str, bool]:
    """Fit ``spec_path`` when its panel relation holds rows with every one of its variables, else
    skip it with a one-line note and write no results rows: the paper's panel is empty in a
    warehouse of real downloads, the real-data mart (``knowledge_production.yml`` on
    ``marts.fct_innovation_indicators``) in the demo's. With ``refit`` False, a spec whose stored
    run used the very samples the panel gives now (:func:`current_run`) is not fitted again."""
    import duckdb

    from estimation.run import panel_row_count
    from estimation.spec import load_spec

    spec = load_spec(spec_path)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = {v.column for t in spec.tables for c in t.columns for v in c.variables}
        rows = panel_row_count(con, spec.panel.relation, columns)
        current = current_run(con, spec) if rows and not refit else None
    if not rows:
        few = len(columns) <= 5
        needed = ", ".join(sorted(columns)) if few else f"its {len(columns)} variables"
        state = (
            "is absent"
            if rows is None
            else f"has no row where {needed} are all present (the loaded tables print them for "
            "different years, or not at all)"
        )
        return f"skipped {spec_path.name}: {spec.panel.relation} {state}", True
    if current:
        return f"{spec_path.name}: run {current} kept (same spec, same samples)", True
    return fit_estimates(warehouse, spec=spec)


def current_run(con, spec) -> str | None:
    """The stored run of ``spec`` (same spec hash, all its tables) whose data hash is that of the
    samples the panel gives now, or None (the data hash of :func:`estimation.run.run_data_hash`;
    a run with a fit that failed after its sample was built hashed fewer samples, so it never
    matches and is fitted again). Code and package versions are the caller's to compare
    (:mod:`agglo.inputs`)."""
    from estimation.errors import EstimationError
    from estimation.run import read_panel, run_data_hash
    from estimation.sample import build_sample

    try:
        row = con.execute(
            "select run_id, data_hash, tables from results.runs where spec_hash = ? "
            "order by finished_at desc limit 1",
            [spec.hash],
        ).fetchone()
    except Exception:  # no results schema yet: duckdb.CatalogException
        return None
    if row is None or sorted(row[2]) != sorted(spec.table_numbers):
        return None
    panel = read_panel(con, spec.panel.relation)
    hashes = set()
    for column in spec.columns(spec.table_numbers):
        try:
            hashes.add(build_sample(panel, column).data_hash)
        except (EstimationError, ValueError):
            continue  # estimate() records the fit as failed, with no sample hash
    return row[0] if run_data_hash(hashes) == row[1] else None


def estimate_all(warehouse: Path, refit: bool = True) -> tuple[str, bool]:
    """The paper's Tables 1–8, then each of :data:`OPTIONAL_SPECS`, each fitted when its panel
    relation holds rows with its variables (a warehouse of real downloads has no paper panel, the
    demo warehouse no knowledge-production data) and skipped with a one-line note otherwise."""
    summaries, ok = [], True
    for spec_path in (DEFAULT_SPEC, *OPTIONAL_SPECS):
        summary, fitted_ok = estimate_if_present(warehouse, spec_path, refit=refit)
        summaries.append(summary)
        ok = ok and fitted_ok
    return "\n".join(summaries), ok


#: Input groups (agglo.inputs.GROUPS) whose change makes dbt rebuild every node and every spec be
#: fitted again: the SQL, the catalog and expectations rules the loader publishes for dbt
#: (raw.catalog_*, printed gaps included), the code, the tools.
_EVERYTHING_GROUPS = {"dbt project", "catalog", "expectations", "code", "packages", "options"}

#: dbt nodes to rebuild when only raw data changed: everything downstream of the ``raw`` source
#: with its tests (and the tests joining it to seeds); not the seeds, the models reading seeds
#: alone, nor the unit tests, which run the unchanged SQL on fixed inputs.
RAW_DATA_SELECTION = ("--select", "source:raw+", "--exclude", "resource_type:unit_test")


def everything_changed(changes: inputs.InputState) -> bool:
    return bool(changes.reason) or bool(_EVERYTHING_GROUPS & set(changes.changed))


def dbt_selection(changes: inputs.InputState, load: LoadReport) -> tuple[str, ...] | None:
    """dbt build arguments for what changed: ``()`` builds every node, None none (raw data, the
    dbt project and the catalog are as the last build left them)."""
    if everything_changed(changes):
        return ()
    data_changed = load.pruned or any(o.status != "unchanged" for o in load.outcomes)
    return RAW_DATA_SELECTION if data_changed else None


def _peak_rss_mib() -> float:
    """Peak resident memory so far of this process and of its finished children (dbt), in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # Linux reports KiB


def build(
    *,
    warehouse: Path | None = None,
    progress: bool = True,
    estimate: bool = True,
    raw: Path | None = None,
    changes: inputs.InputState | None = None,
) -> BuildReport:
    """Load every file of ``raw`` (default raw/), build the dbt project (models + tests), estimate
    Tables 1–8 when the estimation panel has rows and each of :data:`OPTIONAL_SPECS` whose relation
    holds rows.

    With ``raw`` given, the warehouse holds the files of that folder and nothing else (files
    loaded from elsewhere are removed); without it, raw/ is mirrored and files loaded from outside
    it with ``agglo load PATH`` stay.

    ``changes``: the inputs compared with the last build (default: compared here). Only what they
    make necessary is redone; a build that succeeds records the inputs for the next one.
    """
    target = warehouse or paths.warehouse_path()
    only_raw = raw is not None
    changes = changes or inputs.check(target, raw, only_raw=only_raw, estimate=estimate)
    timings: dict[str, float] = {}
    with staged(target) as work:
        t0 = time.perf_counter()
        load = load_paths(
            None, warehouse=work, progress=progress, stage=False, raw=raw, only_raw=only_raw
        )
        report = BuildReport(load=load)
        timings["load"] = time.perf_counter() - t0
        report.quarantined = quarantined(work, load)
        report.peak_rss_mib["load"] = _peak_rss_mib()
        t0 = time.perf_counter()
        started = time.time()
        selection = dbt_selection(changes, load)
        if selection is None:
            report.dbt_scope = "nothing to rebuild (raw data, dbt project and catalog unchanged)"
        else:
            try:
                run_dbt("build", work, "--quiet", *selection)
            except AggloError as exc:
                raise failed_build_error(exc, load, work, target, started) from exc
            report.dbt_scope = (
                "rebuilt what reads raw (raw data changed)" if selection else "full build"
            )
        timings["dbt build"] = time.perf_counter() - t0
        report.peak_rss_mib["dbt build"] = _peak_rss_mib()
        report.coverage, report.mart_rows = warehouse_summary(work)
        if estimate:
            t0 = time.perf_counter()
            refit = everything_changed(changes)
            report.estimate_summary, report.estimate_ok = estimate_all(work, refit=refit)
            timings["estimate"] = time.perf_counter() - t0
            report.peak_rss_mib["estimate"] = _peak_rss_mib()
    evidence.clear(target)
    report.timings, report.warehouse = timings, target
    extra = {"timings": timings, "peak_rss_mib": report.peak_rss_mib}
    inputs.write_stamp(changes, complete=report.ok, extra=extra)
    return report


def quarantined(work: Path, load: LoadReport) -> dict[str, bool]:
    """Each file the load gate rejected → whether an earlier version of it stays in ``work``."""
    import duckdb

    rejected = [o.path for o in load.outcomes if o.status == "rejected"]
    if not rejected:
        return {}
    with duckdb.connect(str(work), read_only=True) as con:
        held = {
            rel
            for (rel,) in con.execute(
                "SELECT DISTINCT file_path FROM raw.load_log WHERE list_contains(?, file_path)",
                [rejected],
            ).fetchall()
        }
    return {rel: rel in held for rel in rejected}


def changed_files(load: LoadReport) -> pd.DataFrame:
    """The files a build loaded, rejected or removed: what is new since the warehouse last
    published (the staged copy starts from it)."""
    rows = [
        {
            "file_path": o.path,
            "status": o.status,
            "table_id": o.table_id,
            "data_years": list(o.data_years),
            "message": o.message,
        }
        for o in load.outcomes
        if o.status != "unchanged"
    ]
    rows += [
        {"file_path": rel, "status": "removed", "table_id": None, "data_years": [], "message": ""}
        for rel in load.pruned
    ]
    return pd.DataFrame(rows, columns=["file_path", "status", "table_id", "data_years", "message"])


def failed_build_error(
    exc: AggloError, load: LoadReport, work: Path, warehouse: Path, since: float
) -> AggloError:
    """dbt failed on the staged copy ``work``: keep the failing tests' rows and the build's new
    files in the sidecar (:mod:`agglo.evidence`) before the copy is discarded, and say what was
    loaded, which tests failed and which files their rows come from."""
    import duckdb

    target = dbt_target_dir()
    lines = [exc.message, f"load: {load.summary()}"]
    try:
        kept = evidence.keep(
            work, warehouse, evidence.failing_tests(target, since), changed_files(load), exc.message
        )
    except (duckdb.Error, OSError) as err:  # the dbt failure is the news; say why no evidence
        lines.append(f"(the failing rows could not be kept: {err})")
        return AggloError("\n".join(lines), hint=exc.hint)
    lines.append(kept.summary())
    files = kept.files()
    query = f"query them with `agglo sql --warehouse {kept.path}` (tables test_failures.*, build.*)"
    if files:
        hint = f"fix or remove {', '.join(files)} and run `make build` again; {query}"
    else:
        hint = f"{exc.hint}; {query}"
    return AggloError("\n".join(lines), hint=hint)
