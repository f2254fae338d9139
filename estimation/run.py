"""Run the spec: every column of the selected tables, one canonical tidy table of estimates.

:func:`estimate` fits each column (3SLS, FE or system GMM) on its sample and returns a
:class:`RunResult` with

* ``estimates`` — one row per table × column × equation × term: ``table, column_id, sample_industry,
  sample_region, estimator, equation, reported, dependent, term, term_order, coef, std_err, stat,
  stat_kind, p_value, stars, ci_low, ci_high``. Every other view (paper tables, DuckDB) derives from
  it. For 3SLS both equations of the system are kept; ``reported`` marks the one the paper prints.
* ``models`` — one row per table × column × equation: sample sizes, fit and diagnostics (see
  :data:`MODEL_COLUMNS`), and ``warnings`` (dropped rows, instruments vs groups, non-finite
  estimates, failures). ``nobs`` is the observations the fit used: for system GMM the level-equation
  observations (xtabond2's count; the first year is lost to the lag), ``n_selected`` the panel rows
  of the sample before missing values were dropped, ``n_dropped`` how many were. ``r2`` is the
  equation's R² (3SLS) or the within R² (FE); ``adj_r2`` its adjusted version
  (:func:`estimation.panel.adjusted_within_r2` for FE). ``inference`` states the basis of the
  column's p-values and stars (covariance, reference distribution or bootstrap, clusters), so a
  table can say what its stars rest on.

FE columns with few clusters: see :func:`apply_few_cluster_bootstrap` (the spec's
``fe.inference``).

Nothing is silent: a fit that fails raises (or, with ``on_error="record"``, leaves a ``failed``
model row whose warning says why, and no estimate rows), and non-finite estimates are named in the
warnings.
"""

from __future__ import annotations

import hashlib
import json
import platform
import warnings as _warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from estimation.errors import EstimationError
from estimation.panel import (
    adjusted_within_r2,
    cluster_t_inference,
    fit_fe,
    hausman,
    wild_cluster_bootstrap,
)
from estimation.sample import Sample, build_sample
from estimation.spec import CONST, Column, Spec, load_spec
from estimation.system import fit_3sls

PANEL_RELATION = "marts.fct_estimation_panel"

# Identify a fit's equation: the leading columns of both result tables.
FIT_COLUMNS = [
    "table",
    "column_id",
    "sample_industry",
    "sample_region",
    "estimator",
    "equation",
    "reported",
    "dependent",
]

ESTIMATE_COLUMNS = [
    *FIT_COLUMNS,
    "term",
    "term_order",
    "coef",
    "std_err",
    "stat",
    "stat_kind",
    "p_value",
    "stars",
    "ci_low",
    "ci_high",
]

MODEL_COLUMNS = [
    *FIT_COLUMNS,
    "status",
    "nobs",
    "n_groups",
    "n_instruments",
    "n_selected",
    "n_dropped",
    "r2",
    "adj_r2",
    "ar1_z",
    "ar1_p",
    "ar2_z",
    "ar2_p",
    "sargan_stat",
    "sargan_df",
    "sargan_p",
    "hansen_stat",
    "hansen_df",
    "hansen_p",
    "hausman_stat",
    "hausman_df",
    "hausman_p",
    "cov_type",
    "inference",
    "data_hash",
    "warnings",
]


_EMPTY = pd.DataFrame(columns=ESTIMATE_COLUMNS)


def stars(p: float) -> int:
    """Significance stars as the paper's notes define them: 3 if p < 1%, 2 if < 5%, 1 if < 10%."""
    if p is None or not np.isfinite(p):
        return 0
    return 3 if p < 0.01 else 2 if p < 0.05 else 1 if p < 0.10 else 0


@dataclass
class Fit:
    """One column's fit: its sample, the estimator's own result object and the tidy rows."""

    column: Column
    sample: Sample | None
    result: Any
    estimates: pd.DataFrame
    models: pd.DataFrame


@dataclass
class RunResult:
    """All fits of one run, with provenance (see :mod:`estimation.results_store`)."""

    estimates: pd.DataFrame
    models: pd.DataFrame
    spec: Spec
    tables: tuple[int, ...]
    run_id: str
    data_hash: str
    started_at: datetime
    finished_at: datetime
    package_versions: dict[str, str]
    fits: dict[tuple[int, str], Fit] = field(default_factory=dict, repr=False)

    @property
    def spec_hash(self) -> str:
        return self.spec.hash

    @property
    def failed(self) -> pd.DataFrame:
        return self.models[self.models["status"] != "ok"]


def package_versions() -> dict[str, str]:
    import duckdb
    import linearmodels
    import scipy

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "linearmodels": linearmodels.__version__,
        "duckdb": duckdb.__version__,
        "scipy": scipy.__version__,
    }


def read_panel(con: Any, relation: str = PANEL_RELATION) -> pd.DataFrame:
    """The estimation panel (the spec's ``panel.relation``) from a DuckDB connection."""
    try:
        return con.execute(f"select * from {relation}").df()
    except Exception as exc:  # duckdb.CatalogException and friends
        raise EstimationError(
            f"cannot read {relation} from the warehouse: {exc}",
            hint="build it first (make build, or dbt build) or pass --warehouse",
        ) from exc


def panel_row_count(con: Any, relation: str, columns: Iterable[str] = ()) -> int | None:
    """Rows of ``relation`` in the warehouse where every one of ``columns`` has a value, or None
    when the relation does not exist (a real-data mart on a demo warehouse has rows, but none with
    a spec's variables)."""
    schema, _, name = relation.partition(".")
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()[0]
    if not exists:
        return None
    where = " and ".join(f'"{c}" is not null' for c in sorted(set(columns))) or "true"
    return int(con.execute(f"select count(*) from {relation} where {where}").fetchone()[0])


def estimate(
    con_or_panel: Any,
    tables: Iterable[int] | None = None,
    *,
    spec: Spec | str | Path | None = None,
    on_error: str = "raise",
    run_id: str | None = None,
) -> RunResult:
    """Fit every column of the selected tables (default: all) of the spec (default: paper.yml).

    Parameters
    ----------
    con_or_panel : DuckDB connection or DataFrame
        The panel (the spec's ``panel.relation``, by default ``marts.fct_estimation_panel``), or
        a connection to read it from.
    tables : iterable of int, optional
        Table numbers; an unknown number raises :class:`~estimation.spec.SpecError`.
    on_error : {"raise", "record"}
        A failing fit raises, or is recorded as a ``failed`` model row (with the reason) and the run
        goes on.
    run_id : str, optional
        Default: derived from the spec hash, the data hash and the tables, so re-running the same
        thing on the same data replaces the same run in the results store.
    """
    if on_error not in ("raise", "record"):
        raise ValueError("on_error must be 'raise' or 'record'")
    spec = spec if isinstance(spec, Spec) else load_spec(spec)
    numbers = spec.table_numbers if tables is None else tuple(int(t) for t in tables)
    columns = spec.columns(numbers)  # validates the table numbers
    started = datetime.now(UTC)
    panel = (
        con_or_panel
        if isinstance(con_or_panel, pd.DataFrame)
        else read_panel(con_or_panel, spec.panel.relation)
    )

    fits: dict[tuple[int, str], Fit] = {}
    for column in columns:
        try:
            fit = fit_column(panel, column)
        except EstimationError as exc:
            if on_error == "raise":
                raise
            fit = _failed(column, exc)
        except (ValueError, np.linalg.LinAlgError) as exc:
            where = f"table {column.table}, column {column.column_id}"
            if on_error == "raise":
                raise EstimationError(f"{where}: {exc}") from exc
            fit = _failed(column, exc)
        fits[(column.table, column.column_id)] = fit
    apply_few_cluster_bootstrap(fits)

    estimates = pd.concat(
        [f.estimates for f in fits.values() if len(f.estimates)] or [_EMPTY], ignore_index=True
    )
    models = pd.concat([f.models for f in fits.values()], ignore_index=True)
    data_hash = run_data_hash(f.sample.data_hash for f in fits.values() if f.sample is not None)
    if run_id is None:
        key = json.dumps([spec.hash, data_hash, list(numbers)])
        run_id = hashlib.sha256(key.encode()).hexdigest()[:16]
    return RunResult(
        estimates=estimates[ESTIMATE_COLUMNS],
        models=models[MODEL_COLUMNS],
        spec=spec,
        tables=numbers,
        run_id=run_id,
        data_hash=data_hash,
        started_at=started,
        finished_at=datetime.now(UTC),
        package_versions=package_versions(),
        fits=fits,
    )


def run_data_hash(sample_hashes: Iterable[str]) -> str:
    """A run's data hash: SHA-256 over its distinct sample hashes, sorted (so the same samples
    give the same hash whatever the order of the columns)."""
    return hashlib.sha256("\n".join(sorted(set(sample_hashes))).encode()).hexdigest()


def fit_column(panel: pd.DataFrame, column: Column) -> Fit:
    """Build the column's sample and fit it with the column's estimator."""
    sample = build_sample(panel, column)
    fitter = {"3sls": _fit_3sls, "fe": _fit_fe, "sys_gmm": _fit_gmm}[column.estimator]
    result, estimates, models = fitter(sample, column)
    models["warnings"] = [
        [*sample.warnings, *w, *_nonfinite(estimates, eq)]
        for w, eq in zip(models["warnings"], models["equation"], strict=True)
    ]
    return Fit(column, sample, result, estimates, models)


# ------------------------------------------------------------------------------------- per family


def _fit_3sls(sample: Sample, column: Column):
    res = fit_3sls(sample.data, column.equations, column.exogenous, cov=column.cov)
    estimates, models = [], []
    for eq in column.equations:
        r = res.equations[eq.label]
        ci = r.conf_int()
        estimates.append(_tidy(column, eq, r.params, r.std_errors, r.tstats, r.pvalues, ci, "z"))
        models.append(
            _model_row(
                column,
                eq,
                sample,
                nobs=int(r.nobs),
                n_instruments=len(column.exogenous) + 1,
                r2=float(r.rsquared),
                adj_r2=float(r.rsquared_adj),
                cov_type=column.cov.type,
                inference=f"{column.cov.type} covariance; p: normal (z)",
            )
        )
    return res, pd.concat(estimates, ignore_index=True), pd.DataFrame(models)


def _fit_fe(sample: Sample, column: Column):
    eq = column.reported_equation
    where = f"table {column.table}, column {column.column_id}"
    res = fit_fe(
        sample.data,
        eq.dependent,
        eq.regressors,
        cov=column.cov,
        time_effects=column.time_effects,
        where=where,
    )
    stat_kind = "z" if column.cov.debiased is False else "t"  # linearmodels: debiased → t
    pvalues, ci = res.pvalues, res.conf_int()
    clustered = column.cov.type == "clustered" and column.cov.cluster_entity
    inference = f"{column.cov.type} covariance; p: {'normal (z)' if stat_kind == 'z' else 't(N−K)'}"
    if clustered and column.inference is not None and column.inference.reference == "clusters":
        pvalues, ci, groups = cluster_t_inference(res)
        stat_kind = "t"
        inference = f"{_clustered_text(column)}; p: t({groups - 1}), {groups} clusters"
    est = _tidy(column, eq, res.params, res.std_errors, res.tstats, pvalues, ci, stat_kind)
    extra: dict[str, Any] = {}
    warnings: list[str] = []
    if column.hausman:
        h = hausman(sample.data, eq.dependent, eq.regressors, where=where)
        extra = {"hausman_stat": h.stat, "hausman_df": h.df, "hausman_p": h.pval}
        if h.note:
            warnings.append(h.note)
    row = _model_row(
        column,
        eq,
        sample,
        nobs=int(res.nobs),
        r2=float(res.rsquared_within),
        adj_r2=adjusted_within_r2(res),
        cov_type=column.cov.type + (" (entity)" if column.cov.cluster_entity else ""),
        inference=inference,
        warnings=warnings,
        **extra,
    )
    return res, est, pd.DataFrame([row])


def _fit_gmm(sample: Sample, column: Column):
    from estimation.gmm import DynamicPanelGMM

    eq = column.reported_equation
    g = column.gmm
    lag_name = f"lag_{eq.dependent}"
    exog = [r for r in eq.regressors if r != lag_name]
    model = DynamicPanelGMM(
        sample.data,
        dependent=eq.dependent,
        exog=exog,
        lags=g.lags,
        gmm_instruments={v: (lo, hi) for v, lo, hi in g.gmm_instruments},
        iv_instruments=list(g.iv_instruments),
        system=True,
        collapse=g.collapse,
        time_dummies=g.time_dummies,
        constant=g.constant,
    )
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")  # the result keeps them in .warnings
        res = model.fit(
            iter_limit=2 if g.two_step else 1, cov_type="robust" if g.robust else "unadjusted"
        )
    rename = {f"L1.{eq.dependent}": lag_name}
    params = res.params.rename(index=rename)
    dummies = [t for t in params.index if t not in eq.terms] if g.time_dummies else []
    est = _tidy(
        column,
        eq,
        params,
        res.std_errors.rename(index=rename),
        res.tstats.rename(index=rename),
        res.pvalues.rename(index=rename),
        res.conf_int().rename(index=rename),
        "z",
        extra_terms=dummies,
    )
    warnings = list(res.warnings)
    if res.n_instruments >= res.n_groups and not any("exceed" in w for w in warnings):
        warnings.append(
            f"{res.n_instruments} instruments are not fewer than the {res.n_groups} groups: "
            "Hansen's J is weakened"
        )
    ar1, ar2 = res.ar(1), res.ar(2)
    row = _model_row(
        column,
        eq,
        sample,
        nobs=int(res.nobs_levels),
        n_groups=int(res.n_groups),
        n_instruments=int(res.n_instruments),
        ar1_z=ar1[0],
        ar1_p=ar1[1],
        ar2_z=ar2[0],
        ar2_p=ar2[1],
        sargan_stat=res.sargan.stat,
        sargan_df=res.sargan.df,
        sargan_p=res.sargan.pval,
        hansen_stat=res.hansen.stat,
        hansen_df=res.hansen.df,
        hansen_p=res.hansen.pval,
        cov_type=str(res.cov_type),
        inference=f"{res.cov_type}; p: normal (z)",
        warnings=warnings,
    )
    return res, est, pd.DataFrame([row])


# ------------------------------------------------------------------------------ few clusters


def _clustered_text(column: Column) -> str:
    factors = ["G/(G−1)"] if column.cov.group_debias else []
    factors += [] if column.cov.debiased is False else ["(N−1)/(N−K)"]
    return "clustered by province" + (f" ({' · '.join(factors)})" if factors else "")


def apply_few_cluster_bootstrap(fits: dict[tuple[int, str], Fit]) -> None:
    """Replace the p-values and stars of FE fits with few clusters by wild cluster bootstrap ones.

    A clustered FE column whose spec has ``inference.few_clusters`` > 0 is bootstrapped when it has
    fewer clusters than that or — ``bootstrap_scope: table`` — when another FE column of its table
    does, so that the FE stars of one table rest on one basis. The coefficients, clustered
    standard errors, t statistics and t(G−1) intervals stay; ``models.inference`` says which basis
    each column's p-values have.
    """
    eligible = {
        key: fit
        for key, fit in fits.items()
        if fit.column.estimator == "fe"
        and fit.column.inference is not None
        and fit.column.inference.few_clusters > 0
        and fit.column.cov.type == "clustered"
        and fit.column.cov.cluster_entity
        and fit.sample is not None
        and (fit.models["status"] == "ok").all()
    }

    def few(fit: Fit) -> bool:
        return fit.sample.n_groups < fit.column.inference.few_clusters

    small_tables = {table for (table, _), fit in eligible.items() if few(fit)}
    for (table, _), fit in eligible.items():
        scope = fit.column.inference.bootstrap_scope
        if few(fit) or (scope == "table" and table in small_tables):
            _bootstrap(fit)


def _bootstrap(fit: Fit) -> None:
    column, inf = fit.column, fit.column.inference
    eq = column.reported_equation
    p = wild_cluster_bootstrap(
        fit.sample.data,
        eq.dependent,
        eq.regressors,
        weights=inf.bootstrap_weights,
        draws=inf.bootstrap_draws,
        seed=inf.bootstrap_seed,
    )
    rows = fit.estimates["term"]
    fit.estimates["p_value"] = rows.map(p).to_numpy(dtype=float)
    fit.estimates["stars"] = [stars(v) for v in fit.estimates["p_value"]]
    groups = fit.sample.n_groups
    why = (
        f"fewer than {inf.few_clusters} clusters"
        if groups < inf.few_clusters
        else f"another FE column of table {column.table} has fewer than {inf.few_clusters}"
    )
    fit.models["inference"] = (
        f"{_clustered_text(column)}; p: wild cluster bootstrap-t (WCR11, {inf.bootstrap_weights} "
        f"weights, {inf.bootstrap_draws} draws, seed {inf.bootstrap_seed}), {groups} clusters "
        f"({why})"
    )


# ------------------------------------------------------------------------------------- tidy rows


def _meta(column: Column, eq) -> dict[str, Any]:
    return {
        "table": column.table,
        "column_id": column.column_id,
        "sample_industry": column.sample_industry,
        "sample_region": column.sample_region,
        "estimator": column.estimator,
        "equation": eq.label,
        "reported": eq.label == column.reported,
        "dependent": eq.dependent,
    }


def _tidy(
    column, eq, params, std_errors, stats, pvalues, ci, stat_kind, extra_terms=()
) -> pd.DataFrame:
    """One row per term, in the spec's term order (regressors as printed, then ``extra_terms``
    such as time dummies, constant last)."""
    terms = [*eq.regressors, *extra_terms, CONST]
    if sorted(terms) != sorted(params.index):
        raise EstimationError(
            f"table {column.table}, column {column.column_id}: estimator terms "
            f"{', '.join(params.index)} do not match the spec's {', '.join(terms)}"
        )
    p = pvalues[terms].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "term": terms,
            "term_order": np.arange(len(terms)),
            "coef": params[terms].to_numpy(dtype=float),
            "std_err": std_errors[terms].to_numpy(dtype=float),
            "stat": stats[terms].to_numpy(dtype=float),
            "stat_kind": stat_kind,
            "p_value": p,
            "stars": [stars(v) for v in p],
            "ci_low": ci.loc[terms].iloc[:, 0].to_numpy(dtype=float),
            "ci_high": ci.loc[terms].iloc[:, 1].to_numpy(dtype=float),
        }
    )
    for k, v in reversed(_meta(column, eq).items()):
        frame.insert(0, k, v)
    return frame


def _model_row(column, eq, sample: Sample, *, warnings=(), **values) -> dict[str, Any]:
    row = {c: None for c in MODEL_COLUMNS}
    row.update(_meta(column, eq))
    row.update(
        status="ok",
        nobs=sample.nobs,
        n_groups=sample.n_groups,
        n_selected=sample.n_selected,
        n_dropped=sample.n_dropped,
        data_hash=sample.data_hash,
        warnings=list(warnings),
    )
    row.update(values)
    return row


def _nonfinite(estimates: pd.DataFrame, equation: str) -> list[str]:
    rows = estimates[estimates["equation"] == equation]
    bad = rows.loc[~np.isfinite(rows[["coef", "std_err"]]).all(axis=1), "term"].tolist()
    return [f"non-finite estimate or standard error for {', '.join(bad)}"] if bad else []


def _failed(column: Column, exc: Exception) -> Fit:
    rows = []
    for eq in column.equations:
        row = {c: None for c in MODEL_COLUMNS}
        row.update(_meta(column, eq))
        row.update(status="failed", warnings=[f"fit failed: {exc}"])
        rows.append(row)
    return Fit(column, None, None, _EMPTY, pd.DataFrame(rows))
