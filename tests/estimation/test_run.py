"""estimate(): the canonical tidy table, missing values, failures, GMM wiring, the results store.
(`agglo estimate` / `agglo tables`: tests/report/test_tables.py.)"""

from __future__ import annotations

import copy
import json

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from numpy.testing import assert_allclose

from estimation import results_store
from estimation.errors import EstimationError, SpecError
from estimation.results_store import read_results, write_run
from estimation.run import ESTIMATE_COLUMNS, MODEL_COLUMNS, estimate
from estimation.sample import SampleError, SingularDesignError
from estimation.simulate import knock_out
from estimation.spec import DEFAULT_SPEC, load_spec, parse_spec

SPEC = load_spec()


@pytest.fixture(scope="module")
def panel(simulate_panel):
    return simulate_panel(11, effects=True)


@pytest.fixture(scope="module")
def run(panel):
    return estimate(panel, on_error="record")


def _key(frame):
    return frame[["table", "column_id", "equation"]].apply(tuple, axis=1)


# ------------------------------------------------------------------------------ the tidy table


def test_one_row_per_table_column_equation_term(run):
    est, mod = run.estimates, run.models
    assert list(est.columns) == ESTIMATE_COLUMNS and list(mod.columns) == MODEL_COLUMNS
    assert not est.duplicated(["table", "column_id", "equation", "term"]).any()
    assert not mod.duplicated(["table", "column_id", "equation"]).any()
    expected = 0
    for c in SPEC.columns():
        assert len(mod[(mod["table"] == c.table) & (mod["column_id"] == c.column_id)]) == len(
            c.equations
        )
        m = mod[(mod["table"] == c.table) & (mod["column_id"] == c.column_id)]
        if (m["status"] == "ok").all():
            expected += sum(len(eq.terms) for eq in c.equations)
    assert len(est) == expected
    ok = est.merge(mod[mod["status"] == "ok"][["table", "column_id", "equation"]])
    assert len(ok) == len(est)  # no estimates for failed fits
    assert np.isfinite(est[["coef", "std_err", "stat", "p_value", "ci_low", "ci_high"]]).all().all()
    assert set(est["stat_kind"]) == {"z", "t"}
    assert est.groupby(["table", "column_id"])["reported"].any().all()


def test_run_provenance_is_deterministic(panel, run):
    first, again = estimate(panel, tables=[1]), estimate(panel, tables=[1])
    assert again.run_id == first.run_id and again.data_hash == first.data_hash
    assert first.run_id != run.run_id  # other tables, other run
    assert set(run.package_versions) == {
        "python",
        "numpy",
        "pandas",
        "linearmodels",
        "duckdb",
        "scipy",
    }
    changed = panel.copy()
    changed.loc[0, "ln_size"] += 0.1  # province 11, 2006, industry T
    assert estimate(changed, tables=[1]).data_hash != first.data_hash


def test_unknown_table_is_refused(panel):
    with pytest.raises(SpecError, match="unknown table 12"):
        estimate(panel, tables=[1, 12])


# ------------------------------------------------------------------------------ bad input


def test_missing_values_are_dropped_and_reported(simulate_panel):
    panel = knock_out(simulate_panel(4), "tech", 12)
    run = estimate(panel, tables=[1, 6])
    models = run.models.set_index(["table", "column_id", "equation"])
    fe = models.loc[(6, "fe_T_national", "innovation")]
    assert fe["nobs"] == 298 and fe["n_selected"] == 310 and fe["n_dropped"] == 12
    message = " ".join(fe["warnings"])
    assert "dropped 12 of 310 rows with missing values (ln_tech: 12" in message
    assert "null_reason: tech_not_positive (12)" in message
    assert models.loc[(6, "fe_T1_national", "innovation")]["n_dropped"] == 0  # only T was hit
    assert models.loc[(1, "3sls_T_national", "innovation")]["n_dropped"] == 0  # tech not used


def test_missing_values_raise_when_the_spec_says_so(simulate_panel):
    raw = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    raw["missing"] = "error"
    panel = knock_out(simulate_panel(4), "tech", 3)
    with pytest.raises(SampleError, match=r"fe_T_national: dropped 3 of 310 .*missing: error"):
        estimate(panel, tables=[6], spec=parse_spec(raw))


def test_singular_design_raises_or_is_recorded(simulate_panel):
    panel = simulate_panel(6)
    t1 = panel["industry_code"] == "T1"
    panel.loc[t1, "ln_pgdp"] = panel.loc[t1, "ln_size"]
    with pytest.raises(SingularDesignError, match="'ln_pgdp' duplicates 'ln_size'"):
        estimate(panel, tables=[1])
    run = estimate(panel, tables=[1], on_error="record")
    failed = run.models[run.models["status"] == "failed"]
    assert set(failed["column_id"]) == {"3sls_T1_national"}
    assert all("duplicates 'ln_size'" in w[0] for w in failed["warnings"])
    assert not (run.estimates["column_id"] == "3sls_T1_national").any()
    assert len(run.estimates) == 5 * 12  # the other five columns, two equations of six terms


def test_empty_sample_is_refused(simulate_panel):
    panel = simulate_panel(1)
    panel = panel[panel["region"] != "west"]
    with pytest.raises(SampleError, match="no rows for industry 'T', region 'west'"):
        estimate(panel, tables=[3])


def test_text_in_a_numeric_column_is_refused(simulate_panel):
    panel = simulate_panel(1)
    panel["ln_open"] = panel["ln_open"].astype(object)
    panel.loc[3, "ln_open"] = "n/a"
    with pytest.raises(SampleError, match=r"non-numeric values in ln_open \(1 row\(s\)\)"):
        estimate(panel, tables=[1])


def test_nonfinite_estimates_are_never_silent(simulate_panel, monkeypatch):
    from estimation import run as run_module

    original = run_module._fit_fe

    def broken(sample, column):
        res, est, models = original(sample, column)
        est.loc[est["term"] == "ln_size", "std_err"] = np.nan
        return res, est, models

    monkeypatch.setattr(run_module, "_fit_fe", broken)
    run = estimate(simulate_panel(2), tables=[7])
    assert all(
        any("non-finite estimate or standard error for ln_size" in x for x in w)
        for w in run.models["warnings"]
    )


# ------------------------------------------------------------------------------ GMM wiring


def test_sys_gmm_equals_direct_call(run):
    from estimation.gmm import DynamicPanelGMM

    fit = run.fits[(3, "sys_gmm_T_national")]
    direct = DynamicPanelGMM(
        fit.sample.data,
        dependent="ln_innov",
        exog=["ln_vocal", "ln_size", "ln_pgdp", "ln_open", "ln_educ"],
        lags=1,
        gmm_instruments={"ln_innov": (2, 3), "ln_vocal": (2, 3)},
        iv_instruments=["ln_size", "ln_pgdp", "ln_open", "ln_educ"],
        collapse=True,
    ).fit()
    est = run.estimates[
        (run.estimates["table"] == 3) & (run.estimates["column_id"] == "sys_gmm_T_national")
    ].set_index("term")
    assert est.index[0] == "lag_ln_innov"
    assert_allclose(est["coef"].to_numpy(), direct.params.to_numpy(), rtol=1e-10)
    assert_allclose(est["std_err"].to_numpy(), direct.std_errors.to_numpy(), rtol=1e-10)
    m = run.models.set_index(["table", "column_id"]).loc[(3, "sys_gmm_T_national")]
    assert m["n_instruments"] == direct.n_instruments == 11
    assert (m["ar2_z"], m["ar2_p"]) == pytest.approx(direct.ar(2))
    assert m["hansen_stat"] == pytest.approx(direct.hansen.stat)


@pytest.mark.parametrize(
    ("table", "national", "regional"),
    [(3, 11, 9), (4, 11, 9), (5, 13, 11), (8, 13, 11)],
)
def test_sys_gmm_instrument_counts_as_the_spec_documents(run, table, national, regional):
    m = run.models[(run.models["table"] == table) & (run.models["estimator"] == "sys_gmm")]
    m = m[m["status"] == "ok"].set_index("sample_region")
    assert m.loc["national", "n_instruments"] == national < 31
    for region in m.index.drop("national"):
        assert m.loc[region, "n_instruments"] == regional


def test_sys_gmm_too_few_groups_is_a_recorded_warning(run):
    m = run.models.set_index(["table", "column_id"]).loc[(3, "sys_gmm_T_central")]
    assert m["status"] == "ok" and m["n_groups"] == 8 and m["n_instruments"] == 9
    assert any("exceed the 8 groups" in w for w in m["warnings"])
    east = run.models.set_index(["table", "column_id"]).loc[(5, "sys_gmm_T_east")]
    assert any("not fewer than the 11 groups" in w for w in east["warnings"])


def test_every_column_fits_including_sys_gmm(run):
    assert (run.models["status"] == "ok").all(), run.failed[["table", "column_id", "warnings"]]


# ------------------------------------------------------------------------------ results store


def _counts(con):
    return {
        t: con.execute(f"select count(*) from results.{t}").fetchone()[0]
        for t in ("runs", "estimates", "models", "spec_columns", "spec_choices")
    }


def test_results_store_replaces_a_run_atomically(run, monkeypatch):
    con = duckdb.connect()
    write_run(con, run)
    first = _counts(con)
    assert first == {
        "runs": 1,
        "estimates": len(run.estimates),
        "models": len(run.models),
        "spec_columns": 56,
        "spec_choices": len(SPEC.choices),
    }
    write_run(con, run)
    assert _counts(con) == first

    row = con.execute("select * from results.runs").df().iloc[0]
    assert row["spec_hash"] == SPEC.hash and len(row["data_hash"]) == 64
    versions = json.loads(row["package_versions"])
    assert set(versions) == {"python", "numpy", "pandas", "linearmodels", "duckdb", "scipy"}
    assert row["started_at"] <= row["finished_at"] and list(row["tables"]) == list(range(1, 9))

    joined = con.execute(
        "select count(*) from results.estimates e join results.spec_columns s "
        'using (run_id, "table", column_id)'
    ).fetchone()[0]
    assert joined == len(run.estimates)

    # each column names the choices that concern it, each of them a row of spec_choices
    linked = con.execute(
        "select s.column_id, c.choice_id from results.spec_columns s, unnest(s.choices) u(id) "
        "join results.spec_choices c on c.run_id = s.run_id and c.choice_id = u.id "
        "where s.\"table\" = 5 and s.column_id = 'fe_T_central'"
    ).df()
    expected = [c.id for c in SPEC.choices_for(SPEC.column(5, "fe_T_central"))]
    assert linked["choice_id"].tolist() == expected and "few_cluster_inference" in expected
    quotes = con.execute(
        "select paper_lines, paper_quotes from results.spec_choices "
        "where choice_id = '3sls_instruments'"
    ).fetchone()
    assert quotes[0] == ["L318–320", "L320–322"] and "外生控制变量" in quotes[1][0]

    original = results_store.spec_columns_frame

    def broken(_run):
        frame = original(run)
        frame.loc[0, "estimator"] = None  # violates NOT NULL after the deletes ran
        return frame

    monkeypatch.setattr(results_store, "spec_columns_frame", broken)
    with pytest.raises(duckdb.Error):
        write_run(con, run)
    assert _counts(con) == first  # rolled back: the previous rows are intact

    estimates, models = read_results(con, [3])
    assert len(estimates) == (run.estimates["table"] == 3).sum()
    assert models["warnings"].map(list).map(len).sum() > 0


def test_results_store_adds_the_choices_column_to_an_older_warehouse(run):
    """A warehouse whose spec_columns predates ``choices`` gets the column on the next write."""
    con = duckdb.connect()
    results_store.ensure_schema(con)
    con.execute("alter table results.spec_columns drop column choices")
    write_run(con, run)
    n = con.execute("select count(*) from results.spec_columns where len(choices) > 0").fetchone()
    assert n[0] == 56


def test_estimate_reads_the_mart_from_duckdb(panel):
    con = duckdb.connect()
    with pytest.raises(EstimationError, match="marts.fct_estimation_panel"):
        estimate(con, tables=[1])
    con.execute("create schema marts")
    con.register("p", panel)
    con.execute("create table marts.fct_estimation_panel as select * from p")
    from_db = estimate(con, tables=[1])
    from_frame = estimate(panel, tables=[1])
    pd.testing.assert_frame_equal(from_db.estimates, from_frame.estimates)


def test_sys_gmm_time_dummies_are_extra_terms_before_the_constant(simulate_panel):
    raw = copy.deepcopy(yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8")))
    raw["estimators"]["sys_gmm"]["time_dummies"] = True
    run = estimate(simulate_panel(3), tables=[3], spec=parse_spec(raw), on_error="record")
    est = run.estimates[run.estimates["column_id"] == "sys_gmm_T_national"]
    terms = est.sort_values("term_order")["term"].tolist()
    assert terms[:6] == ["lag_ln_innov", "ln_vocal", "ln_size", "ln_pgdp", "ln_open", "ln_educ"]
    assert terms[-1] == "const" and terms[6].startswith("year_") and len(terms) == 15
