"""3SLS (estimation/system.py): equal to linearmodels, equal to 2SLS when exactly identified,
covers the truth in a seeded Monte Carlo, refuses singular designs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels import IV2SLS
from linearmodels.system import IV3SLS
from numpy.testing import assert_allclose
from scipy import stats

from estimation.errors import EstimationError
from estimation.run import estimate
from estimation.sample import SingularDesignError
from estimation.simulate import AGGLOMERATION, INNOVATION
from estimation.spec import Covariance, Equation, load_spec
from estimation.system import fit_3sls

SPEC = load_spec()
SYSTEM = SPEC.column(1, "3sls_T_national")
EXOG = ["ln_size", "ln_pgdp", "ln_open", "ln_infr", "ln_educ"]


def _data(simulate_panel, seed: int = 0) -> pd.DataFrame:
    panel = simulate_panel(seed, industries=("T",))
    data = panel.set_index(["province_code", "year"])
    return data.assign(const=1.0)


def _direct(data: pd.DataFrame) -> dict:
    """The same system written out by hand for linearmodels."""
    return {
        "agglomeration": {
            "dependent": data["ln_vocal"],
            "exog": data[["const", "ln_size", "ln_pgdp", "ln_open", "ln_infr"]],
            "endog": data[["ln_innov"]],
            "instruments": data[["ln_educ"]],
        },
        "innovation": {
            "dependent": data["ln_innov"],
            "exog": data[["const", "ln_size", "ln_pgdp", "ln_open", "ln_educ"]],
            "endog": data[["ln_vocal"]],
            "instruments": data[["ln_infr"]],
        },
    }


@pytest.mark.parametrize("cov", ["unadjusted", "robust"])
def test_3sls_equals_direct_linearmodels_call(simulate_panel, cov):
    data = _data(simulate_panel)
    ours = fit_3sls(data, SYSTEM.equations, SYSTEM.exogenous, cov=Covariance(cov))
    direct = IV3SLS(_direct(data)).fit(method="gls", cov_type=cov)
    for label in ("agglomeration", "innovation"):
        a, b = ours.equations[label], direct.equations[label]
        assert_allclose(a.params[b.params.index], b.params, rtol=1e-10, atol=1e-12)
        assert_allclose(a.std_errors[b.params.index], b.std_errors, rtol=1e-10, atol=1e-12)


def test_run_pipeline_equals_direct_call_on_the_same_rows(simulate_panel):
    panel = simulate_panel(3)
    run = estimate(panel, tables=[2])
    est = run.estimates[run.estimates["column_id"] == "3sls_T4_national"]
    rows = panel[panel["industry_code"] == "T4"].set_index(["province_code", "year"])
    direct = IV3SLS(_direct(rows.assign(const=1.0))).fit(method="gls", cov_type="unadjusted")
    for label in ("agglomeration", "innovation"):
        e = est[est["equation"] == label].set_index("term")
        d = direct.equations[label]
        assert_allclose(e["coef"], d.params[e.index], rtol=1e-10)
        assert_allclose(e["std_err"], d.std_errors[e.index], rtol=1e-10)
        assert_allclose(e["stat"], d.tstats[e.index], rtol=1e-10)
        assert_allclose(e["p_value"], d.pvalues[e.index], rtol=1e-8, atol=1e-300)


def test_3sls_equals_2sls_when_every_equation_is_exactly_identified(simulate_panel):
    """Each equation has one endogenous regressor and one excluded exogenous variable: the GLS
    weighting drops out (system.py Notes), so 3SLS = 2SLS, coefficients and standard errors."""
    data = _data(simulate_panel, 1)
    ours = fit_3sls(data, SYSTEM.equations, SYSTEM.exogenous)
    for label, eq in _direct(data).items():
        tsls = IV2SLS(eq["dependent"], eq["exog"], eq["endog"], eq["instruments"]).fit(
            cov_type="unadjusted", debiased=False
        )
        r = ours.equations[label]
        assert_allclose(r.params[tsls.params.index], tsls.params, rtol=1e-9)
        assert_allclose(r.std_errors[tsls.params.index], tsls.std_errors, rtol=1e-9)


def test_monte_carlo_coverage_of_95pct_intervals(simulate_panel):
    """200 seeded draws of eqs (1)–(2): each of the 12 intervals covers its true coefficient at a
    rate consistent with 95% (two-sided binomial test at 0.1%), and so does the pooled rate."""
    truth = {("agglomeration", k): v for k, v in AGGLOMERATION.items()}
    truth |= {("innovation", k): v for k, v in INNOVATION.items()}
    reps = 200
    hits = dict.fromkeys(truth, 0)
    for seed in range(reps):
        data = _data(simulate_panel, 1000 + seed)
        res = fit_3sls(data, SYSTEM.equations, SYSTEM.exogenous)
        for (label, term), value in truth.items():
            ci = res.equations[label].conf_int().loc[term]
            hits[(label, term)] += int(ci["lower"] <= value <= ci["upper"])
    for key, k in hits.items():
        assert stats.binomtest(k, reps, 0.95).pvalue > 1e-3, (key, k / reps)
    total = sum(hits.values())
    assert stats.binomtest(total, reps * len(truth), 0.95).pvalue > 1e-3, total / (reps * 12)


def test_duplicate_regressor_is_named(simulate_panel):
    data = _data(simulate_panel).assign(
        ln_dim=lambda d: d["ln_size"]
    )  # dim is "nearly the same as size"
    eqs = (
        Equation("a", "agglomeration", "ln_vocal", ("ln_innov", "ln_size", "ln_dim", "ln_infr")),
        Equation("i", "innovation", "ln_innov", ("ln_vocal", "ln_size", "ln_educ")),
    )
    with pytest.raises(SingularDesignError, match="'ln_dim' duplicates 'ln_size'"):
        fit_3sls(data, eqs, ["ln_size", "ln_dim", "ln_infr", "ln_educ"])


def test_linear_combination_is_named(simulate_panel):
    data = _data(simulate_panel).assign(ln_pgdp=lambda d: d["ln_size"] + 2 * d["ln_open"])
    with pytest.raises(SingularDesignError, match=r"'ln_open' is a linear combination of"):
        fit_3sls(
            data,
            (
                Equation(
                    "a",
                    "agglomeration",
                    "ln_vocal",
                    ("ln_innov", "ln_size", "ln_pgdp", "ln_open", "ln_infr"),
                ),
                Equation("i", "innovation", "ln_innov", ("ln_vocal", "ln_educ")),
            ),
            EXOG,
        )


def test_under_identified_equation_is_refused(simulate_panel):
    eqs = (
        Equation("a", "agglomeration", "ln_vocal", ("ln_innov", "ln_size", "ln_infr")),
        Equation("i", "innovation", "ln_innov", ("ln_vocal", "ln_size", "ln_infr")),
    )
    with pytest.raises(EstimationError, match="under-identified"):
        fit_3sls(_data(simulate_panel), eqs, ["ln_size", "ln_infr"])


def test_estimates_are_finite_and_tidy(simulate_panel):
    run = estimate(simulate_panel(5), tables=[1])
    assert np.isfinite(run.estimates[["coef", "std_err", "stat", "p_value"]]).all().all()
    assert set(run.estimates["stat_kind"]) == {"z"}
    assert (run.estimates["ci_low"] < run.estimates["coef"]).all()
