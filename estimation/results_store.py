"""Write a run to the warehouse: schema ``results``.

Tables (every one carries ``run_id``):

* ``results.runs`` — one row per run: ``spec_hash``, ``data_hash`` (SHA-256 over the hashes of the
  panel rows each fit used), ``package_versions`` (JSON: python, numpy, pandas, linearmodels,
  duckdb, scipy), ``started_at``, ``finished_at``, ``tables``, ``n_fits``, ``n_failed``,
  ``spec_path``.
* ``results.estimates`` — the canonical tidy table (:data:`estimation.run.ESTIMATE_COLUMNS`), one
  row per table × column × equation × term.
* ``results.models`` — one row per table × column × equation (:data:`estimation.run.MODEL_COLUMNS`;
  ``warnings`` is a ``VARCHAR[]``).
* ``results.spec_columns`` — what the spec says about each column (estimator, sample, regressors,
  instruments, centring, covariance, GMM settings; ``equations`` also names, per equation, the
  panel relation read and the effects removed), to join on ``("table", column_id)``; ``choices``
  lists the ids of the specification choices that concern the column.
* ``results.spec_choices`` — the spec's ``choices:`` (:mod:`estimation.choices`), one row per
  choice: the paper's words with their lines, what we do, why, and where it applies (``tables``;
  ``estimators``, ``industries``, ``regions`` NULL when it applies to all).

Table numbers identify a spec's tables across specs: the paper's are 1–8 (:func:`read_results`'
default), the knowledge-production spec's 101; each table is read from the latest run covering it.

``table`` is a reserved word in SQL: quote it (``e."table"``), or join with
``using ("table", column_id)``.

Writing a run deletes that run's rows from all five tables and inserts the new ones in one
transaction: re-running the same run replaces it, and a failure leaves the previous rows intact.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from estimation.run import ESTIMATE_COLUMNS, MODEL_COLUMNS, RunResult, estimate

SCHEMA = "results"

# The columns that identify a fit's equation (estimation.run.FIT_COLUMNS), leading both tables.
_FIT_DDL = """    run_id varchar not null,
    "table" integer not null,
    column_id varchar not null,
    sample_industry varchar not null,
    sample_region varchar not null,
    estimator varchar not null,
    equation varchar not null,
    reported boolean not null,
    dependent varchar not null,
"""

DDL = f"""
create schema if not exists {SCHEMA};
create table if not exists {SCHEMA}.runs (
    run_id varchar primary key,
    spec_hash varchar not null,
    data_hash varchar not null,
    package_versions json not null,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    tables integer[] not null,
    n_fits integer not null,
    n_failed integer not null,
    spec_path varchar
);
create table if not exists {SCHEMA}.estimates (
{_FIT_DDL}    term varchar not null,
    term_order integer not null,
    coef double,
    std_err double,
    stat double,
    stat_kind varchar,
    p_value double,
    stars integer,
    ci_low double,
    ci_high double,
    primary key (run_id, "table", column_id, equation, term)
);
create table if not exists {SCHEMA}.models (
{_FIT_DDL}    status varchar not null,
    nobs integer,
    n_groups integer,
    n_instruments integer,
    n_selected integer,
    n_dropped integer,
    r2 double,
    adj_r2 double,
    ar1_z double,
    ar1_p double,
    ar2_z double,
    ar2_p double,
    sargan_stat double,
    sargan_df integer,
    sargan_p double,
    hansen_stat double,
    hansen_df integer,
    hansen_p double,
    hausman_stat double,
    hausman_df integer,
    hausman_p double,
    cov_type varchar,
    data_hash varchar,
    warnings varchar[],
    primary key (run_id, "table", column_id, equation)
);
create table if not exists {SCHEMA}.spec_columns (
    run_id varchar not null,
    spec_hash varchar not null,
    "table" integer not null,
    column_id varchar not null,
    title varchar,
    estimator varchar not null,
    sample_industry varchar not null,
    sample_region varchar not null,
    reported_equation varchar not null,
    dependent varchar not null,
    regressors varchar[] not null,
    equations json,
    exogenous varchar[],
    interactions json,
    centring json,
    missing varchar,
    cov json,
    gmm json,
    hausman boolean,
    choices varchar[],
    primary key (run_id, "table", column_id)
);
-- a warehouse written before spec_columns had the column gets it (NULL for its older runs)
alter table {SCHEMA}.spec_columns add column if not exists choices varchar[];
create table if not exists {SCHEMA}.spec_choices (
    run_id varchar not null,
    spec_hash varchar not null,
    choice_order integer not null,
    choice_id varchar not null,
    topic varchar not null,
    paper_lines varchar[] not null,
    paper_quotes varchar[] not null,
    ours varchar not null,
    why varchar not null,
    tables integer[] not null,
    estimators varchar[],
    industries varchar[],
    regions varchar[],
    variables varchar[] not null,
    primary key (run_id, choice_id)
);
"""

_TABLES = ("estimates", "models", "spec_columns", "spec_choices", "runs")


def ensure_schema(con: Any) -> None:
    con.execute(DDL)


def spec_columns_frame(run: RunResult) -> pd.DataFrame:
    rows = []
    for number in run.tables:
        table = run.spec.table(number)
        for column in table.columns:
            rows.append(
                {"run_id": run.run_id, "spec_hash": run.spec.hash, "title": table.title}
                | column.describe()
                | {"choices": [c.id for c in run.spec.choices_for(column)]}
            )
    return pd.DataFrame(rows)


def spec_choices_frame(run: RunResult) -> pd.DataFrame:
    """One row per choice of the run's spec (empty when it has none)."""
    rows = [
        {"run_id": run.run_id, "spec_hash": run.spec.hash, "choice_order": i} | c.record()
        for i, c in enumerate(run.spec.choices, start=1)
    ]
    return pd.DataFrame(rows)


def _quoted(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def write_run(con: Any, run: RunResult) -> None:
    """Replace the run's rows in ``results.*`` atomically (one transaction)."""
    ensure_schema(con)
    estimates = run.estimates.assign(run_id=run.run_id)[["run_id", *ESTIMATE_COLUMNS]]
    models = run.models.assign(run_id=run.run_id)[["run_id", *MODEL_COLUMNS]]
    models = models.assign(warnings=models["warnings"].map(lambda w: [str(x) for x in (w or [])]))
    spec_cols = spec_columns_frame(run)
    choices = spec_choices_frame(run)
    runs = pd.DataFrame(
        [
            {
                "run_id": run.run_id,
                "spec_hash": run.spec.hash,
                "data_hash": run.data_hash,
                "package_versions": json.dumps(run.package_versions, sort_keys=True),
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "tables": list(run.tables),
                "n_fits": len(run.fits),
                "n_failed": int(
                    run.models.groupby(["table", "column_id"])["status"].first().ne("ok").sum()
                ),
                "spec_path": run.spec.path,
            }
        ]
    )
    frames = {
        "estimates": estimates,
        "models": models,
        "spec_columns": spec_cols,
        "spec_choices": choices,
        "runs": runs,
    }
    con.execute("begin transaction")
    try:
        for name in _TABLES:
            con.execute(f"delete from {SCHEMA}.{name} where run_id = ?", [run.run_id])
        for name in _TABLES:
            frame = frames[name]
            if frame.empty:
                continue
            con.register("_incoming", frame)
            try:
                cols = _quoted(list(frame.columns))
                con.execute(f"insert into {SCHEMA}.{name} ({cols}) select {cols} from _incoming")
            finally:
                con.unregister("_incoming")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


def latest_run_id(con: Any, table: int | None = None) -> str | None:
    """The most recently finished run (that covers ``table``, if given), or None."""
    try:
        if table is None:
            row = con.execute(
                f"select run_id from {SCHEMA}.runs order by finished_at desc limit 1"
            ).fetchone()
        else:
            row = con.execute(
                f"select run_id from {SCHEMA}.runs where list_contains(tables, ?) "
                "order by finished_at desc limit 1",
                [table],
            ).fetchone()
    except Exception:  # no results schema yet
        return None
    return row[0] if row else None


def read_results(con: Any, tables: list[int] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Estimates and models of the latest run covering each table (default: tables 1–8)."""
    numbers = tables or list(range(1, 9))
    est, mod = [], []
    for n in numbers:
        run_id = latest_run_id(con, n)
        if run_id is None:
            continue
        q = f'select * from {SCHEMA}.{{}} where run_id = ? and "table" = ?'
        est.append(
            con.execute(
                q.format("estimates") + " order by column_id, equation, term_order", [run_id, n]
            ).df()
        )
        mod.append(con.execute(q.format("models"), [run_id, n]).df())
    empty_e = pd.DataFrame(columns=["run_id", *ESTIMATE_COLUMNS])
    empty_m = pd.DataFrame(columns=["run_id", *MODEL_COLUMNS])
    return (
        pd.concat(est, ignore_index=True) if est else empty_e,
        pd.concat(mod, ignore_index=True) if mod else empty_m,
    )


def estimate_and_store(
    con: Any, *, tables: list[int] | None = None, spec: Any = None
) -> tuple[RunResult, str]:
    """Fit the tables (a failed fit is recorded, not raised), write the run and checkpoint.

    What ``agglo estimate`` and ``agglo build`` do on their staged copy of the warehouse. Returns
    the run and a summary for the terminal, with one line per failed fit.
    """
    run = estimate(con, tables=tables, spec=spec, on_error="record")
    write_run(con, run)
    con.execute("CHECKPOINT")
    fits = run.models.drop_duplicates(["table", "column_id"])
    failed = fits[fits["status"] != "ok"]
    n_warn = int(run.models["warnings"].map(len).sum())
    lines = [
        f"run {run.run_id}: tables {', '.join(map(str, run.tables))}; {len(fits)} fits, "
        f"{len(failed)} failed, {len(run.estimates)} estimates, {n_warn} warnings "
        "(results.models.warnings)"
    ]
    lines += [
        f"FAILED table {row['table']} {row['column_id']}: {'; '.join(row['warnings'])}"
        for _, row in failed.iterrows()
    ]
    return run, "\n".join(lines)


def run_failed(run: RunResult) -> bool:
    return bool((run.models["status"] != "ok").any())
