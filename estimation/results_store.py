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

These four are the **current** results: each column (table × column_id) from the latest run that
fitted it, each choice from the latest of those runs, so their keys are unique (primary keys
without ``run_id``) however many partial runs (``agglo estimate --table 5``) were made. Every
run's rows are kept in ``results.estimates_history``, ``results.models_history``,
``results.spec_columns_history`` and ``results.spec_choices_history`` (same columns, keyed by run);
the current tables are rebuilt from them (:func:`refresh_current`) in the transaction that writes
a run. A warehouse written before the history tables existed is migrated on the next write.

Table numbers identify a spec's tables across specs: the paper's are 1–8 (:func:`read_results`'
default), the knowledge-production spec's 101.

``table`` is a reserved word in SQL: quote it (``e."table"``), or join with
``using ("table", column_id)``.

Writing a run deletes that run's rows from the history and ``runs``, inserts the new ones and
rebuilds the current tables, in one transaction: re-running the same run replaces it, and a failure
leaves the previous rows intact.
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

_ESTIMATES_COLUMNS = f"""{_FIT_DDL}    term varchar not null,
    term_order integer not null,
    coef double,
    std_err double,
    stat double,
    stat_kind varchar,
    p_value double,
    stars integer,
    ci_low double,
    ci_high double,
"""

_MODELS_COLUMNS = f"""{_FIT_DDL}    status varchar not null,
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
    inference varchar,
    data_hash varchar,
    warnings varchar[],
"""

_SPEC_COLUMNS_COLUMNS = """    run_id varchar not null,
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
"""

_SPEC_CHOICES_COLUMNS = """    run_id varchar not null,
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
"""

#: table → (columns, key of the current table); the history table's key adds ``run_id``.
_RESULT_TABLES = {
    "estimates": (_ESTIMATES_COLUMNS, '"table", column_id, equation, term'),
    "models": (_MODELS_COLUMNS, '"table", column_id, equation'),
    "spec_columns": (_SPEC_COLUMNS_COLUMNS, '"table", column_id'),
    "spec_choices": (_SPEC_CHOICES_COLUMNS, "choice_id"),
}

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
""" + "".join(
    f"create table if not exists {SCHEMA}.{name}_history (\n{columns}"
    f"    primary key (run_id, {key})\n);\n"
    f"create table if not exists {SCHEMA}.{name} (\n{columns}    primary key ({key})\n);\n"
    for name, (columns, key) in _RESULT_TABLES.items()
)

_TABLES = ("estimates", "models", "spec_columns", "spec_choices", "runs")


#: Columns added after the first release, added in place (current and history table) to a
#: warehouse written before them; NULL for its older runs.
_ADDED_COLUMNS = (("models", "inference", "varchar"), ("spec_columns", "choices", "varchar[]"))


def _has_table(con: Any, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [SCHEMA, name],
        ).fetchone()[0]
    )


def ensure_schema(con: Any) -> None:
    """Create schema ``results``; a warehouse from before the history tables (its ``estimates``
    holding every run, duplicates after a partial re-estimate) has those tables renamed to
    ``*_history`` and the current tables rebuilt from them."""
    legacy = _has_table(con, "estimates") and not _has_table(con, "estimates_history")
    if legacy:
        for name in filter(lambda n: _has_table(con, n), _RESULT_TABLES):
            con.execute(f"alter table {SCHEMA}.{name} rename to {name}_history")
    con.execute(DDL)
    for table, column, kind in _ADDED_COLUMNS:
        for name in (table, f"{table}_history"):
            con.execute(f"alter table {SCHEMA}.{name} add column if not exists {column} {kind}")
    if legacy:
        refresh_current(con)


def refresh_current(con: Any) -> None:
    """Rebuild ``results.estimates``, ``models`` and ``spec_columns`` from their history: each
    column (table × column_id) from the latest run (``runs.finished_at``) that fitted it. A column
    whose latest fit failed keeps that run's models row (status failed) and no estimates. Each
    choice of ``spec_choices`` comes from the latest of the runs the current columns come from."""
    latest = f"""
        select "table", column_id, arg_max(run_id, r.finished_at) as run_id
        from {SCHEMA}.spec_columns_history join {SCHEMA}.runs as r using (run_id)
        group by "table", column_id
    """
    for name in ("estimates", "models", "spec_columns"):
        con.execute(f"delete from {SCHEMA}.{name}")
        con.execute(
            f"insert into {SCHEMA}.{name} by name select h.* "
            f'from {SCHEMA}.{name}_history as h join ({latest}) using (run_id, "table", column_id) '
            f"order by {_RESULT_TABLES[name][1]}"
        )
    con.execute(f"delete from {SCHEMA}.spec_choices")
    con.execute(
        f"insert into {SCHEMA}.spec_choices by name select h.* "
        f"from {SCHEMA}.spec_choices_history as h join {SCHEMA}.runs as r using (run_id) "
        f"where h.run_id in (select run_id from {SCHEMA}.spec_columns) "
        "qualify row_number() over (partition by h.choice_id order by r.finished_at desc) = 1 "
        "order by h.choice_order"
    )


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


def _stored(name: str) -> str:
    """Where a run's rows of ``name`` are written: the history (``runs`` is its own history)."""
    return f"{name}_history" if name in _RESULT_TABLES else name


def _quoted(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def write_run(con: Any, run: RunResult) -> None:
    """Replace the run's rows in ``results.*`` and rebuild the current tables, atomically (one
    transaction, which also covers migrating a warehouse from before the history tables)."""
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
        ensure_schema(con)
        for name in _TABLES:
            con.execute(f"delete from {SCHEMA}.{_stored(name)} where run_id = ?", [run.run_id])
        for name in _TABLES:
            frame = frames[name]
            if frame.empty:
                continue
            con.register("_incoming", frame)
            try:
                cols = _quoted(list(frame.columns))
                con.execute(
                    f"insert into {SCHEMA}.{_stored(name)} ({cols}) select {cols} from _incoming"
                )
            finally:
                con.unregister("_incoming")
        refresh_current(con)
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
    """The current estimates and models of ``tables`` (default: tables 1–8): each column from the
    latest run that fitted it."""
    numbers = tables or list(range(1, 9))
    if not _has_table(con, "estimates_history"):
        return _read_latest_run_per_table(con, numbers)
    order = 'list_position(?, "table"), column_id, equation'
    est = con.execute(
        f'select * from {SCHEMA}.estimates where list_contains(?, "table") '
        f"order by {order}, term_order",
        [numbers, numbers],
    ).df()
    mod = con.execute(
        f'select * from {SCHEMA}.models where list_contains(?, "table") order by {order}',
        [numbers, numbers],
    ).df()
    return est, mod


def _read_latest_run_per_table(con: Any, numbers: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A warehouse from before the history tables, opened read-only (not migrated yet): each
    table from the latest run covering it; empty frames without a results schema."""
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
