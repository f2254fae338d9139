"""Tests for estimation.gmm (Arellano–Bond / Blundell–Bond dynamic-panel GMM)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agglo.paths import shared_dir
from estimation.gmm import DynamicPanelGMM, FitOptions, InstrumentCountWarning, SpecificationTest
from estimation.simulate import simulate_dynamic_panel
from estimation.summary import Summary

REFERENCES = Path(__file__).parent / "references"

# xtabond2 n L(1/2).n w k, gmm(n, lag(2 4)) gmm(w, lag(1 3)) iv(k) twostep robust
SYS_SPEC = {
    "dependent": "n",
    "exog": ["w", "k"],
    "lags": 2,
    "gmm_instruments": {"n": (2, 4), "w": (1, 3)},
    "iv_instruments": ["k"],
}

# Arellano and Bond (1991), Table 4, column (a1), as replicated by xtabond2 (Roodman 2009):
# xtabond2 n L(1/2).n L(0/1).w L(0/2).(k ys) yr*, gmm(L.n) iv(L(0/1).w L(0/2).(k ys) yr*)
#          noleveleq robust
AB91_EXOG = ["w", "L1.w", "k", "L1.k", "L2.k", "ys", "L1.ys", "L2.ys"]
AB91_SPEC = {
    "dependent": "n",
    "exog": AB91_EXOG,
    "lags": 2,
    "gmm_instruments": {"n": (2, None)},
    "iv_instruments": AB91_EXOG,
    "system": False,
    "time_dummies": True,
}


@pytest.fixture(scope="module")
def abdata() -> pd.DataFrame:
    path = shared_dir() / "gmm-reference" / "abdata.csv"
    if not path.is_file():
        pytest.fail(
            f"Reference data {path} is missing: the abdata reference tests need "
            "../shared/gmm-reference/abdata.csv (or $AGGLO_SHARED pointing at the shared folder)."
        )
    return pd.read_csv(path).set_index(["id", "year"])[["n", "w", "k", "ys", "ind"]]


@pytest.fixture(scope="module")
def sys_res(abdata):
    return DynamicPanelGMM(abdata, **SYS_SPEC).fit()


# ----------------------------------------------------------------------------------------------
# Published references
# ----------------------------------------------------------------------------------------------
@pytest.mark.reference
def test_abdata_system_gmm_matches_published(sys_res):
    ref = pd.read_csv(REFERENCES / "abdata_sysgmm.csv").set_index("term")
    res = sys_res
    assert list(res.params.index) == list(ref.index)
    for term, row in ref.iterrows():
        assert res.params[term] == pytest.approx(row.estimate, rel=row.rtol), term
        assert res.std_errors[term] == pytest.approx(row.std_error, rel=row.rtol), term
    assert res.nobs == 611
    assert res.n_groups == 140
    assert res.n_instruments == 51
    assert res.hansen.df == 46
    # printed statistics: equal within half a unit of the last printed digit (a rounding boundary
    # must not decide the test on a machine whose BLAS rounds the last bit differently)
    assert res.hansen.stat == pytest.approx(96.442, abs=5e-4)
    assert res.hansen.pval == pytest.approx(0.0, abs=5e-4)
    z1, p1 = res.ar(1)
    z2, p2 = res.ar(2)
    assert (z1, p1) == (pytest.approx(-2.35, abs=5e-3), pytest.approx(0.019, abs=5e-4))
    assert (z2, p2) == (pytest.approx(-1.15, abs=5e-3), pytest.approx(0.251, abs=5e-4))
    assert res.ar1 == (z1, p1) and res.ar2 == (z2, p2)
    assert res.cov_type.startswith("two-step, Windmeijer")


@pytest.mark.reference
def test_abdata_ab91_one_step_difference_gmm(abdata):
    """Arellano–Bond (1991) Table 4 (a1) one-step robust, digits as printed by xtabond2."""
    res = DynamicPanelGMM(abdata, **AB91_SPEC).fit(iter_limit=1, cov_type="robust")
    expected = {  # coefficient, robust std. error
        "L1.n": (0.6862261, 0.1445943),
        "L2.n": (-0.0853582, 0.0560155),
        "L1.w": (0.3926237, 0.1679931),
    }
    for term, (b, se) in expected.items():
        assert res.params[term] == pytest.approx(b, abs=5e-7), term
        assert res.std_errors[term] == pytest.approx(se, abs=5e-7), term
    assert res.nobs == 611
    assert res.n_groups == 140
    assert res.n_instruments == 41
    assert res.sargan.df == 25 and res.sargan.stat == pytest.approx(65.82, abs=5e-3)
    assert res.hansen.df == 25 and res.hansen.stat == pytest.approx(31.38, abs=5e-3)
    assert res.hansen.pval == pytest.approx(0.177, abs=5e-4)
    assert res.ar(1)[0] == pytest.approx(-3.60, abs=5e-3)
    assert res.ar(2)[0] == pytest.approx(-0.52, abs=5e-3)
    assert res.model.spec["constant"] is False  # differenced away


@pytest.mark.reference
def test_abdata_ab91_two_step_difference_gmm(abdata):
    """Arellano–Bond (1991) Table 4 (a2): two-step n_{t-1} = 0.629 (uncorrected s.e. 0.090)."""
    res = DynamicPanelGMM(abdata, **AB91_SPEC).fit(iter_limit=2, cov_type="unadjusted")
    assert res.params["L1.n"] == pytest.approx(0.6287089, abs=5e-7)
    assert res.std_errors["L1.n"] == pytest.approx(0.090, abs=5e-4)
    corrected = DynamicPanelGMM(abdata, **AB91_SPEC).fit(iter_limit=2, cov_type="robust")
    pd.testing.assert_series_equal(corrected.params, res.params)
    # Windmeijer's correction inflates the (badly downward biased) two-step standard errors
    assert (corrected.std_errors > res.std_errors).all()


# ----------------------------------------------------------------------------------------------
# Internal consistency
# ----------------------------------------------------------------------------------------------
def test_one_step_and_two_step_are_consistent(abdata):
    spec = {**SYS_SPEC, "system": False}
    model = DynamicPanelGMM(abdata, **spec)
    one, two = model.fit(iter_limit=1), model.fit(iter_limit=2)
    pd.testing.assert_series_equal(two.params_onestep, one.params)
    assert not np.allclose(one.params, two.params)
    # Hansen's J is the minimized two-step criterion in both fits; Sargan comes from step one
    assert one.hansen == two.hansen
    assert one.sargan == two.sargan
    assert one.n_instruments == two.n_instruments == 36  # 17 (n) + 18 (w) + 1 (k)
    assert one.nobs == two.nobs == 611
    assert (np.abs(one.params - two.params) < 3 * one.std_errors).all()


def test_classical_and_robust_covariances_differ_but_share_estimates(abdata):
    rob = DynamicPanelGMM(abdata, **AB91_SPEC).fit(iter_limit=1, cov_type="robust")
    cla = DynamicPanelGMM(abdata, **AB91_SPEC).fit(iter_limit=1, cov_type="unadjusted")
    pd.testing.assert_series_equal(rob.params, cla.params)
    assert cla.cov_type.startswith("one-step, classical")
    assert rob.cov_type.startswith("one-step, entity-clustered")
    assert not np.allclose(rob.std_errors, cla.std_errors)
    assert np.all(np.linalg.eigvalsh(cla.cov.to_numpy()) > 0)


def test_collapse_gives_one_instrument_per_lag(abdata):
    sys_c = DynamicPanelGMM(abdata, **SYS_SPEC, collapse=True).fit()
    # diff: n lags 2-4 (3) + w lags 1-3 (3); level: Δn_{t-1}, Δw_t (2); iv(k); const
    assert sys_c.n_instruments == 10
    assert sum("collapsed" in name for name in sys_c.instrument_names) == 8
    diff_c = DynamicPanelGMM(abdata, **AB91_SPEC, collapse=True).fit()
    # n lags 2..8 (1976 is the earliest n for the 1984 equation) + 8 iv + 6 time dummies
    assert diff_c.n_instruments == 7 + 8 + 6
    diff_u = DynamicPanelGMM(abdata, **AB91_SPEC).fit()
    assert diff_u.n_instruments == 27 + 8 + 6


def test_invariant_to_row_order_and_entity_labels(abdata, sys_res):
    shuffled = abdata.sample(frac=1.0, random_state=3)
    res = DynamicPanelGMM(shuffled, **SYS_SPEC).fit()
    np.testing.assert_allclose(res.params, sys_res.params, rtol=1e-10)
    np.testing.assert_allclose(res.std_errors, sys_res.std_errors, rtol=1e-9)
    assert res.hansen.stat == pytest.approx(sys_res.hansen.stat, rel=1e-10)
    assert res.ar(2)[0] == pytest.approx(sys_res.ar(2)[0], rel=1e-9)
    relabeled = abdata.rename(index=lambda i: f"firm-{i:03d}", level="id")
    res2 = DynamicPanelGMM(relabeled, **SYS_SPEC).fit()
    np.testing.assert_allclose(res2.params, sys_res.params, rtol=1e-10)


def test_unbalanced_panel_with_gap_equals_dropping_the_row(abdata):
    firm, year = 1, 1980
    holed = abdata.drop(index=(firm, year))
    masked = abdata.copy()
    masked.loc[(firm, year), "w"] = np.nan
    a = DynamicPanelGMM(holed, **SYS_SPEC).fit()
    b = DynamicPanelGMM(masked, **SYS_SPEC, missing="drop").fit()
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)
    assert any("dropped 1 row" in w for w in b.warnings)
    full = DynamicPanelGMM(abdata, **SYS_SPEC).fit()
    # firm 1 (1977-1983) loses every differenced row (1980-1983 all need n_1980 up to lag 3) and
    # its level rows of 1980, 1981 and 1982 (L1.n / L2.n need n_1980); it keeps 1979 and 1983
    assert full.nobs - a.nobs == 4
    assert full.nobs_levels - a.nobs_levels == 3
    assert a.n_groups == 140
    assert not np.allclose(a.params, full.params)


def test_results_api(sys_res):
    res = sys_res
    for attr in ("params", "std_errors", "tstats", "pvalues"):
        s = getattr(res, attr)
        assert isinstance(s, pd.Series)
        assert list(s.index) == ["L1.n", "L2.n", "w", "k", "const"]
        assert np.isfinite(s).all()
    assert isinstance(res.cov, pd.DataFrame) and res.cov.shape == (5, 5)
    np.testing.assert_allclose(res.tstats, res.params / res.std_errors)
    ci = res.conf_int()
    assert list(ci.columns) == ["lower", "upper"]
    assert ((ci.lower < res.params) & (res.params < ci.upper)).all()
    assert (res.conf_int(0.99).lower < ci.lower).all()
    assert isinstance(res.hansen, SpecificationTest) and isinstance(res.sargan, SpecificationTest)
    stat, df, pval, _ = res.sargan
    assert df == 46 and 0 <= pval <= 1 and stat > 0
    text = str(res)
    assert text == str(res.summary)
    for needle in ("two-step system GMM", "L1.n", "Hansen", "AR(2)", "611", "140", "51"):
        assert needle in text
    assert res.model.spec["system"] is True
    assert res.model.spec["gmm_instruments"] == {"n": (2, 4), "w": (1, 3)}
    assert "gmm(n, lag(2 4))" in res.model.xtabond2_command
    assert "twostep" not in res.model.xtabond2_command  # estimation options belong to the fit
    assert res.xtabond2_command.endswith("twostep robust")
    assert res.options == FitOptions(iter_limit=2, cov_type="robust", h=3)
    assert res.warnings == []
    assert len(res.instrument_names) == res.n_instruments
    with pytest.raises(ValueError):
        res.ar(0)
    with pytest.raises(ValueError):
        res.conf_int(1.5)


def test_summary_is_tables_not_text(sys_res):
    summary = sys_res.summary
    assert isinstance(summary, Summary)
    info, params, tests = summary.tables
    assert dict(zip(info["item"], info["value"], strict=True))["No. groups"] == "140"
    assert list(params.index) == list(sys_res.params.index)
    np.testing.assert_array_equal(params["Coef."], sys_res.params)
    np.testing.assert_array_equal(params["P>|z|"], sys_res.pvalues)
    assert tests.loc["Hansen", "df"] == 46
    assert tests.loc["Hansen", "statistic"] == sys_res.hansen.stat
    assert tests.loc["Arellano-Bond AR(2) in first differences", "p-value"] == sys_res.ar(2)[1]
    assert "<table" in summary.as_html() and r"\begin{tabular}" in summary.as_latex()
    assert any(line.startswith("Instruments: gmm(n, lag(2 4))") for line in summary.extra_txt)


def test_residuals_keep_the_data_index(abdata, sys_res):
    """Each residual sits on its own (id, year): recomputed by hand from the data there."""
    resid = sys_res.resids
    assert resid.index.names == abdata.index.names
    assert resid.index.isin(abdata.index).all() and not resid.index.duplicated().any()
    assert list(resid.columns) == ["diff", "level"]
    assert resid["diff"].notna().sum() == sys_res.nobs
    assert resid["level"].notna().sum() == sys_res.nobs_levels
    b = sys_res.params
    n = abdata["n"]
    lag = n.groupby(level="id").shift(1)
    lag2 = n.groupby(level="id").shift(2)
    fitted = b["L1.n"] * lag + b["L2.n"] * lag2 + b["w"] * abdata["w"] + b["k"] * abdata["k"]
    level = (n - fitted - b["const"]).loc[resid["level"].dropna().index]
    np.testing.assert_allclose(resid["level"].dropna(), level, rtol=1e-10, atol=1e-12)
    e = n - fitted
    diff = (e - e.groupby(level="id").shift(1)).loc[resid["diff"].dropna().index]
    np.testing.assert_allclose(resid["diff"].dropna(), diff, rtol=1e-10, atol=1e-12)
    # difference GMM has no level equation
    assert list(DynamicPanelGMM(abdata, **AB91_SPEC).fit().resids.columns) == ["diff"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"two_step": False}, {"iter_limit": 1}),
        ({"two_step": True, "robust": False}, {"iter_limit": 2, "cov_type": "unadjusted"}),
        ({"robust": True, "h": 2}, {"cov_type": "robust", "h": 2}),
    ],
)
def test_old_constructor_keywords_still_work_with_a_deprecation_warning(abdata, old, new):
    with pytest.warns(DeprecationWarning, match="is deprecated.*pass fit\\(") as caught:
        model = DynamicPanelGMM(abdata, **SYS_SPEC, **old)
    assert len(caught) == len(old)
    assert all(w.filename == __file__ for w in caught)  # points at the caller
    res = model.fit()
    expected = DynamicPanelGMM(abdata, **SYS_SPEC).fit(**new)
    assert res.options == expected.options
    pd.testing.assert_series_equal(res.params, expected.params)
    pd.testing.assert_series_equal(res.std_errors, expected.std_errors)
    # an explicit fit() argument wins over the deprecated default
    assert model.fit(iter_limit=2).options.iter_limit == 2


def test_new_api_raises_no_deprecation_warning(abdata):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        DynamicPanelGMM(abdata, **SYS_SPEC).fit(iter_limit=1, cov_type="unadjusted", h=3)


def test_time_dummies_system(abdata):
    res = DynamicPanelGMM(abdata, **SYS_SPEC, time_dummies=True).fit()
    # level sample 1978-1984, base year 1978 absorbed by the constant
    assert [p for p in res.params.index if p.startswith("year_")] == [
        f"year_{y}" for y in range(1979, 1985)
    ]
    assert res.n_instruments == 51 + 6
    assert np.isfinite(res.std_errors).all()


@pytest.mark.parametrize(
    "to_time",
    [
        lambda y: y.astype(float),
        lambda y: pd.PeriodIndex(y.astype(str), freq="Y"),
        lambda y: pd.to_datetime(y.astype(str)),
        lambda y: pd.to_datetime(y.astype(str) + "-12-31"),
    ],
    ids=["float", "period", "datetime-start", "datetime-end"],
)
def test_time_index_types(abdata, to_time):
    spec = {**SYS_SPEC, "time_dummies": True}
    base = DynamicPanelGMM(abdata, **spec).fit()
    idx = abdata.index
    years = pd.Index(idx.get_level_values("year"))
    data = abdata.set_axis(
        pd.MultiIndex.from_arrays([idx.get_level_values("id"), to_time(years)], names=idx.names)
    )
    res = DynamicPanelGMM(data, **spec).fit()
    np.testing.assert_allclose(res.params, base.params, rtol=1e-12)
    assert list(res.params.index) == list(base.params.index)


def test_text_time_index_is_refused(abdata):
    idx = abdata.index
    years = idx.get_level_values("year").astype(str)
    data = abdata.set_axis(
        pd.MultiIndex.from_arrays([idx.get_level_values("id"), years], names=idx.names)
    )
    with pytest.raises(ValueError, match="integer periods"):
        DynamicPanelGMM(data, **SYS_SPEC).fit()


# ----------------------------------------------------------------------------------------------
# Bad input
# ----------------------------------------------------------------------------------------------
def test_singular_design_names_collinear_terms(abdata):
    data = abdata.assign(w2=2.0 * abdata["w"])
    spec = {**SYS_SPEC, "exog": ["w", "w2", "k"], "iv_instruments": ["k", "w2"]}
    with pytest.raises(ValueError, match=r"Singular design.*w, w2 are collinear"):
        DynamicPanelGMM(data, **spec).fit()


def test_time_invariant_regressor_in_difference_gmm(abdata):
    spec = {**SYS_SPEC, "exog": ["w", "k", "ind"], "iv_instruments": ["k", "ind"], "system": False}
    with pytest.raises(ValueError, match=r"regressor\(s\) ind are zero.*differenced away"):
        DynamicPanelGMM(abdata, **spec).fit()


def test_too_many_instruments_warns(abdata):
    few = abdata.loc[abdata.index.get_level_values("id") <= 30]
    with pytest.warns(InstrumentCountWarning, match="51 instruments exceed the 30 groups"):
        res = DynamicPanelGMM(few, **SYS_SPEC).fit()
    assert any("exceed" in w for w in res.warnings)
    assert np.isfinite(res.params).all() and np.isfinite(res.std_errors).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", InstrumentCountWarning)
        DynamicPanelGMM(few, **SYS_SPEC, collapse=True).fit()


def test_missing_values_raise_with_column_and_count(abdata):
    data = abdata.copy()
    data.iloc[[3, 10, 20], data.columns.get_loc("w")] = np.nan
    data.iloc[[5], data.columns.get_loc("n")] = np.nan
    with pytest.raises(ValueError, match=r"'n': 1 row\(s\), 'w': 3 row\(s\)"):
        DynamicPanelGMM(data, **SYS_SPEC).fit()
    res = DynamicPanelGMM(data, **SYS_SPEC, missing="drop").fit()
    assert any("dropped 4 row(s)" in w for w in res.warnings)
    # an unused column with missing values is irrelevant
    DynamicPanelGMM(abdata.assign(junk=np.nan), **SYS_SPEC).fit()


@pytest.mark.parametrize(
    "override",
    [
        {"exog": ["w", "capital"]},
        {"gmm_instruments": {"nn": (2, 4)}},
        {"iv_instruments": ["L1.zz"]},
        {"dependent": "employment"},
    ],
)
def test_unknown_variable(abdata, override):
    with pytest.raises(ValueError, match="Unknown variable"):
        DynamicPanelGMM(abdata, **{**SYS_SPEC, **override})


def test_too_few_periods_and_groups(abdata):
    with pytest.raises(ValueError, match="Too few periods"):
        DynamicPanelGMM(abdata, **{**SYS_SPEC, "lags": 8}).fit()
    one_firm = abdata.loc[abdata.index.get_level_values("id") == 1]
    with pytest.raises(ValueError, match="Too few groups"):
        DynamicPanelGMM(one_firm, **SYS_SPEC).fit()


def test_other_bad_arguments(abdata):
    with pytest.raises(ValueError, match="Under-identified"):
        DynamicPanelGMM(abdata, **{**SYS_SPEC, "gmm_instruments": {}}).fit()
    with pytest.raises(ValueError, match="MultiIndex"):
        DynamicPanelGMM(abdata.reset_index(), **SYS_SPEC)
    with pytest.raises(ValueError, match="duplicate"):
        DynamicPanelGMM(pd.concat([abdata, abdata.iloc[:1]]), **SYS_SPEC)
    with pytest.raises(ValueError, match="min_lag"):
        DynamicPanelGMM(abdata, **{**SYS_SPEC, "gmm_instruments": {"n": (-1, 3)}})
    with pytest.raises(ValueError, match="max_lag"):
        DynamicPanelGMM(abdata, **{**SYS_SPEC, "gmm_instruments": {"n": (3, 2)}})
    with pytest.raises(ValueError, match="missing"):
        DynamicPanelGMM(abdata, **SYS_SPEC, missing="ignore")
    with pytest.raises(ValueError, match="lags"):
        DynamicPanelGMM(abdata, **{**SYS_SPEC, "lags": -1})
    with pytest.raises(ValueError, match="equation"):
        DynamicPanelGMM(abdata, **{**SYS_SPEC, "iv_instruments": {"k": "levels"}})
    with pytest.raises(ValueError, match="h must be"):
        DynamicPanelGMM(abdata, **SYS_SPEC).fit(h=4)
    with pytest.raises(ValueError, match="iterated GMM is not implemented"):
        DynamicPanelGMM(abdata, **SYS_SPEC).fit(iter_limit=3)
    with pytest.raises(ValueError, match="cov_type must be one of"):
        DynamicPanelGMM(abdata, **SYS_SPEC).fit(cov_type="kernel")
    with pytest.raises(TypeError, match="unexpected keyword"):
        DynamicPanelGMM(abdata, **SYS_SPEC, twostep=True)
    # as many instrument columns as regressors, but two of them are the same variable
    dup = abdata.assign(k2=abdata["k"])
    with pytest.raises(ValueError, match="do not separately identify"):
        DynamicPanelGMM(dup, "n", ["k"], lags=1, iv_instruments=["k", "k2"]).fit()


# ----------------------------------------------------------------------------------------------
# Simulated panels
# ----------------------------------------------------------------------------------------------
TRUTH = pd.Series({"L1.y": 0.5, "x": 1.0})
MC_SPECS = {
    # x is strictly exogenous but correlated with the fixed effect: Δx_t instruments the
    # differenced equation, lagged levels of x the differenced one, Δx_t the level one.
    "difference": {
        "gmm_instruments": {"y": (2, None)},
        "iv_instruments": ["x"],
        "system": False,
        "collapse": True,
    },
    "system": {
        "gmm_instruments": {"y": (2, 4), "x": (1, 3)},
        "iv_instruments": {"x": "diff"},
        "system": True,
        "collapse": True,
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["difference", "system"])
def test_monte_carlo_recovery_and_coverage(kind):
    draws, n_units, n_periods = 500, 200, 8
    estimates, covered = [], []
    for seed in range(draws):
        data = simulate_dynamic_panel(n_units, n_periods, rho=0.5, beta=1.0, seed=10_000 + seed)
        assert data.attrs["true_params"] == TRUTH.to_dict()
        res = DynamicPanelGMM(data, "y", ["x"], lags=1, **MC_SPECS[kind]).fit()
        ci = res.conf_int().loc[TRUTH.index]
        estimates.append(res.params[TRUTH.index].to_numpy())
        covered.append(((ci.lower <= TRUTH) & (ci.upper >= TRUTH)).to_numpy())
    estimates, covered = np.array(estimates), np.array(covered)
    # mean close to the truth (small finite-sample bias allowed)
    np.testing.assert_allclose(estimates.mean(axis=0), TRUTH.to_numpy(), atol=0.015)
    # 95% coverage within a 3-sigma binomial band around 0.95
    band = 3 * np.sqrt(0.95 * 0.05 / draws)
    coverage = covered.mean(axis=0)
    assert np.all(np.abs(coverage - 0.95) <= band), coverage


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["difference", "system"])
def test_large_n_single_draw_close_to_truth(kind):
    data = simulate_dynamic_panel(
        20_000, 7, rho=0.5, beta=1.0, seed=7, heteroskedastic=True, unbalanced=0.3, gaps=0.2
    )
    spec = {**MC_SPECS[kind], "collapse": False}
    res = DynamicPanelGMM(data, "y", ["x"], lags=1, **spec).fit()
    err = (res.params[TRUTH.index] - TRUTH).abs()
    assert (err < 0.02).all(), res.params
    assert (err < 4 * res.std_errors[TRUTH.index]).all()
    # no serial correlation in ε: AR(1) strongly negative, AR(2) insignificant
    assert res.ar(1)[0] < -10
    assert res.ar(2)[1] > 0.001
    assert res.hansen.pval > 0.001
