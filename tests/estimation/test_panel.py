"""Fixed effects and Hausman (estimation/panel.py): equal to linearmodels, centring within the
sample, seeded Monte Carlo coverage, singular designs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels import PanelOLS, RandomEffects
from numpy.testing import assert_allclose
from scipy import stats

from estimation.panel import adjusted_within_r2, fit_fe, hausman
from estimation.run import estimate
from estimation.sample import SingularDesignError
from estimation.simulate import knock_out
from estimation.spec import Covariance

BETA = {"x1": 1.0, "x2": -0.5}


def _fe_panel(seed: int, *, n: int = 31, t: int = 10, correlated: bool = True) -> pd.DataFrame:
    """y = alpha_i + x'beta + e, with alpha_i correlated with x (or not)."""
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([range(n), range(2006, 2006 + t)], names=["p", "year"])
    alpha = rng.normal(size=n)
    x1 = (0.8 * alpha if correlated else np.zeros(n))[:, None] + rng.normal(size=(n, t))
    x2 = rng.normal(size=(n, t))
    y = 0.3 + alpha[:, None] + BETA["x1"] * x1 + BETA["x2"] * x2 + rng.normal(size=(n, t))
    frame = pd.DataFrame({"y": y.ravel(), "x1": x1.ravel(), "x2": x2.ravel()}, index=idx)
    return frame.assign(const=1.0)


@pytest.mark.parametrize(
    ("cov", "options"),
    [
        (
            Covariance("clustered", cluster_entity=True),
            {"cov_type": "clustered", "cluster_entity": True},
        ),
        (Covariance("robust"), {"cov_type": "robust"}),
        (Covariance("unadjusted"), {"cov_type": "unadjusted"}),
    ],
)
def test_fe_equals_direct_panelols(cov, options):
    data = _fe_panel(0)
    ours = fit_fe(data, "y", ["x1", "x2"], cov=cov)
    direct = PanelOLS(data["y"], data[["x1", "x2", "const"]], entity_effects=True).fit(**options)
    assert_allclose(ours.params, direct.params, rtol=1e-10)
    assert_allclose(ours.std_errors, direct.std_errors, rtol=1e-10)


def test_run_pipeline_centres_within_the_sample_and_equals_panelols(simulate_panel):
    """Table 7, column T: eq. (3) with ln_innov × ln_deve and ln_innov × ln_know formed from logs
    centred over the rows actually used (after dropping the rows missing ln_know)."""
    panel = knock_out(simulate_panel(2, effects=True), "know", 9)
    run = estimate(panel, tables=[7])
    est = run.estimates[run.estimates["column_id"] == "fe_T_national"].set_index("term")

    rows = panel[panel["industry_code"] == "T"].set_index(["province_code", "year"]).sort_index()
    rows = rows.dropna(subset=["ln_know"])
    c = rows[["ln_innov", "ln_deve", "ln_know"]] - rows[["ln_innov", "ln_deve", "ln_know"]].mean()
    x = pd.DataFrame(
        {
            "ln_innov_x_deve": c["ln_innov"] * c["ln_deve"],
            "ln_innov_x_know": c["ln_innov"] * c["ln_know"],
            "ln_innov": c["ln_innov"],
            **{v: rows[v] for v in ["ln_size", "ln_pgdp", "ln_open", "ln_infr"]},
            "const": 1.0,
        }
    )
    direct = PanelOLS(rows["ln_vocal"], x, entity_effects=True).fit(
        cov_type="clustered", cluster_entity=True
    )
    assert_allclose(est["coef"], direct.params[est.index], rtol=1e-10)
    assert_allclose(est["std_err"], direct.std_errors[est.index], rtol=1e-10)
    assert set(est["stat_kind"]) == {"t"}

    model = run.models.set_index("column_id").loc["fe_T_national"]
    assert model["nobs"] == 301 and model["n_dropped"] == 9
    assert model["r2"] == pytest.approx(direct.rsquared_within)
    sample = run.fits[(7, "fe_T_national")].sample
    assert sample.means["ln_know"] == pytest.approx(rows["ln_know"].mean())
    assert abs(sample.data["ln_innov"].mean()) < 1e-12


def test_monte_carlo_coverage_with_entity_effects():
    """200 seeded panels with effects correlated with x1: FE's clustered 95% intervals cover the
    true slopes at a rate consistent with 95% (binomial test at 0.1%)."""
    reps = 200
    hits = dict.fromkeys(BETA, 0)
    for seed in range(reps):
        ci = fit_fe(_fe_panel(500 + seed), "y", ["x1", "x2"]).conf_int()
        for k, v in BETA.items():
            hits[k] += int(ci.loc[k, "lower"] <= v <= ci.loc[k, "upper"])
    for k, h in hits.items():
        assert stats.binomtest(h, reps, 0.95).pvalue > 1e-3, (k, h / reps)


def test_hausman_matches_the_formula_and_rejects_correlated_effects():
    data = _fe_panel(7, correlated=True)
    h = hausman(data, "y", ["x1", "x2"])
    fe = PanelOLS(data["y"], data[["x1", "x2", "const"]], entity_effects=True).fit()
    re = RandomEffects(data["y"], data[["x1", "x2", "const"]]).fit()
    d = (fe.params - re.params)[["x1", "x2"]].to_numpy()
    v = (
        fe.cov.loc[["x1", "x2"], ["x1", "x2"]] * re.s2 / fe.s2
        - re.cov.loc[["x1", "x2"], ["x1", "x2"]]
    )
    assert h.stat == pytest.approx(float(d @ np.linalg.inv(v.to_numpy()) @ d), rel=1e-8)
    assert h.df == 2 and h.pval < 1e-3 and h.note == ""
    assert hausman(_fe_panel(7, correlated=False), "y", ["x1", "x2"]).pval > 0.01


def test_hausman_reports_why_it_cannot_be_computed():
    data = _fe_panel(1, n=3)
    h = hausman(data, "y", ["x1", "x2"])
    assert np.isnan(h.stat) and "not computed" in h.note


def test_adjusted_within_r2():
    data = _fe_panel(3)
    res = fit_fe(data, "y", ["x1", "x2"])
    n, groups, k = 310, 31, 2
    expected = 1 - (1 - res.rsquared_within) * (n - groups) / (n - groups - k)
    assert adjusted_within_r2(res) == pytest.approx(expected)


def test_time_invariant_regressor_is_named():
    data = _fe_panel(0)
    data["province_size"] = data.groupby(level=0)["x1"].transform("mean")
    with pytest.raises(
        SingularDesignError, match="'province_size' is all zero after removing province"
    ):
        fit_fe(data, "y", ["x1", "province_size"])


def test_duplicate_regressor_is_named():
    data = _fe_panel(0).assign(x3=lambda d: d["x2"])
    with pytest.raises(SingularDesignError, match="'x3' duplicates 'x2'"):
        fit_fe(data, "y", ["x1", "x2", "x3"])
