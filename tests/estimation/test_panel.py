"""Fixed effects and Hausman (estimation/panel.py) against outside references: R plm's printed
results on Grunfeld's data, and simulated panels with known truth (coverage, test size, an exactly
unbiased adjusted R²); centring within the sample; singular designs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from linearmodels import PanelOLS
from numpy.testing import assert_allclose
from scipy import stats

from estimation.panel import adjusted_within_r2, fit_fe, hausman
from estimation.run import estimate
from estimation.sample import SingularDesignError
from estimation.simulate import knock_out
from estimation.spec import DEFAULT_SPEC, Covariance, parse_spec

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


REFERENCES = Path(__file__).parent / "references"


@pytest.fixture(scope="module")
def grunfeld() -> pd.DataFrame:
    """plm's Grunfeld data (10 firms × 20 years), indexed (firm, year), with a constant."""
    frame = pd.read_csv(REFERENCES / "grunfeld.csv")
    return frame.set_index(["firm", "year"]).assign(const=1.0)


@pytest.fixture(scope="module")
def plm() -> pd.DataFrame:
    return pd.read_csv(REFERENCES / "grunfeld_plm.csv").set_index("term")


@pytest.mark.reference
def test_grunfeld_data_is_the_published_table(grunfeld):
    """200 rows, 10 firms × 1935–1954, and the 1935 rows of three firms as Grunfeld (1958) and
    Baltagi (2013) print them (one decimal: compared to half a unit of the last digit)."""
    assert len(grunfeld) == 200 and not grunfeld.index.duplicated().any()
    assert grunfeld.index.get_level_values("firm").nunique() == 10
    years = grunfeld.index.get_level_values("year")
    assert (years.min(), years.max(), years.nunique()) == (1935, 1954, 20)
    printed = {
        "General Motors": (317.6, 3078.5, 2.8),
        "US Steel": (209.9, 1362.4, 53.8),
        "General Electric": (33.1, 1170.6, 97.8),
    }
    first = grunfeld.xs(1935, level="year").set_index("firm_name")
    for firm, values in printed.items():
        assert_allclose(first.loc[firm, ["inv", "value", "capital"]], values, rtol=0, atol=0.05)


@pytest.mark.reference
def test_fe_reproduces_plm_within_on_grunfeld(grunfeld, plm):
    res = fit_fe(grunfeld, "inv", ["value", "capital"], cov=Covariance("unadjusted"))
    for term in ("value", "capital"):
        ref = plm.loc[term]
        assert res.params[term] == pytest.approx(ref["estimate"], abs=ref["atol"]), term
        assert res.std_errors[term] == pytest.approx(ref["std_error"], abs=ref["atol"]), term
    ref = plm.loc["r_squared_within"]
    assert res.rsquared_within == pytest.approx(ref["estimate"], abs=ref["atol"])


@pytest.mark.reference
def test_hausman_reproduces_plm_phtest_on_grunfeld(grunfeld, plm):
    """plm::phtest (each fit's own sigma², as Stata's plain `hausman fe re`): chisq = 2.3304,
    df = 2, p = 0.3119; Baltagi (2013, sec. 4.3.1) reports 2.33."""
    h = hausman(grunfeld, "inv", ["value", "capital"], sigmamore=False)
    assert h.stat == pytest.approx(plm.loc["hausman_chisq", "estimate"], abs=5e-5)
    assert h.df == plm.loc["hausman_df", "estimate"]
    assert h.pval == pytest.approx(plm.loc["hausman_p", "estimate"], abs=5e-5)
    assert h.note == ""
    # sigmamore rescales V_FE by RE's sigma² (smaller here), so the statistic moves but the
    # conclusion, no evidence against RE, stands
    more = hausman(grunfeld, "inv", ["value", "capital"])
    assert more.df == 2 and more.stat != pytest.approx(h.stat, rel=1e-3) and more.pval > 0.1


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
        cov_type="clustered", cluster_entity=True, group_debias=True
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


def test_regional_columns_centre_at_the_full_panel_mean_by_default(simulate_panel):
    """Table 8, east: the factors are centred at the national (full-panel, industry T) means, so the
    product is formed at the same point for every region; `scope: sample` (per group) centres at
    the east's own means instead. Eq. 3 has no main effect of the moderators, so moving the
    centring point changes the estimates (not only the constant): the two choices must differ."""
    panel = simulate_panel(4, effects=True)
    factors = ["ln_innov", "ln_deve", "ln_know"]
    t_rows = panel[panel["industry_code"] == "T"].set_index(["province_code", "year"])
    east = t_rows[t_rows["region"] == "east"].sort_index()
    national_means = t_rows[factors].mean()
    assert not np.allclose(national_means, east[factors].mean())  # the two points differ

    def fit(spec):
        run = estimate(panel, tables=[8], spec=spec)
        est = run.estimates[run.estimates["column_id"] == "fe_T_east"].set_index("term")
        return run.fits[(8, "fe_T_east")].sample, est

    sample, est = fit(None)
    assert sample.means == pytest.approx(national_means.to_dict(), rel=1e-12)
    c = east[factors] - national_means
    x = pd.DataFrame(
        {
            "ln_innov_x_deve": c["ln_innov"] * c["ln_deve"],
            "ln_innov_x_know": c["ln_innov"] * c["ln_know"],
            "ln_innov": c["ln_innov"],
            **{v: east[v] for v in ["ln_size", "ln_pgdp", "ln_open", "ln_infr"]},
            "const": 1.0,
        }
    )
    direct = PanelOLS(east["ln_vocal"], x, entity_effects=True).fit()
    assert_allclose(est["coef"], direct.params[est.index], rtol=1e-10)

    raw = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
    fe_group = next(t for t in raw["tables"] if t["table"] == 8)["groups"][0]
    fe_group["centring"] = {"scope": "sample"}
    own, own_est = fit(parse_spec(raw))
    assert own.means == pytest.approx(east[factors].mean().to_dict(), rel=1e-12)
    assert not np.allclose(own_est["coef"], est["coef"], rtol=1e-6)


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


@pytest.mark.parametrize("sigmamore", [True, False])
def test_hausman_rejects_correlated_effects_and_not_uncorrelated_ones(sigmamore):
    """Simulated truth: effects correlated with x1 make RE inconsistent (H0 false), effects
    independent of the regressors leave it consistent (H0 true)."""
    h = hausman(_fe_panel(7, correlated=True), "y", ["x1", "x2"], sigmamore=sigmamore)
    assert h.df == 2 and h.pval < 1e-3
    # each fit on its own sigma², V_FE - V_RE need not be positive semi-definite (the reason for
    # sigmamore); the result then says so
    assert h.note == "" if sigmamore else "not positive definite" in h.note
    assert (
        hausman(_fe_panel(7, correlated=False), "y", ["x1", "x2"], sigmamore=sigmamore).pval > 0.01
    )


@pytest.mark.slow
def test_hausman_size_under_the_null():
    """Simulated truth, H0 true: the statistic the spec uses (sigmamore) is asymptotically
    chi2(2), so it rejects at 5% in about 5% of panels (binomial test at 0.1%) and averages about
    2 (its sd is 2: 4 standard errors allowed). (The plain statistic, each fit on its own sigma²,
    is checked against plm above; on panels this small its V_FE - V_RE is often nearly singular
    and it over-rejects, which is why the spec uses sigmamore.)"""
    reps = 100
    found = np.array(
        [
            hausman(_fe_panel(900 + seed, correlated=False), "y", ["x1", "x2"]).stat
            for seed in range(reps)
        ]
    )
    rejected = int((found > stats.chi2.ppf(0.95, 2)).sum())
    assert stats.binomtest(rejected, reps, 0.05).pvalue > 1e-3, rejected
    assert abs(found.mean() - 2) < 4 * 2 / np.sqrt(reps), found.mean()


def test_hausman_reports_why_it_cannot_be_computed():
    data = _fe_panel(1, n=3)
    h = hausman(data, "y", ["x1", "x2"])
    assert np.isnan(h.stat) and "not computed" in h.note


@pytest.mark.slow
def test_adjusted_within_r2_is_unbiased_when_the_population_r2_is_zero():
    """Simulated truth: with all slopes zero and normal errors, the within R² of k regressors is
    exactly Beta(k/2, (n - N - k)/2), so E[R²_w] = k/(n - N) and the adjusted within R²
    (n - N and n - N - k degrees of freedom, fixest's war2) has mean exactly 0. Its sd follows from
    the Beta variance; the mean of ``reps`` fits may stray 4 standard errors. plm's variant
    ((n - 1) instead of n - N) would average -(N - 1)/(n - N) = -0.32 here, the unadjusted R²
    0.065."""
    reps, n_ent, t, k = 50, 31, 4, 6
    slopes = [f"x{j}" for j in range(k)]
    adjusted, raw = [], []
    for seed in range(reps):
        rng = np.random.default_rng(seed)
        idx = pd.MultiIndex.from_product([range(n_ent), range(2006, 2006 + t)], names=["p", "year"])
        alpha = rng.normal(size=(n_ent, 1))
        x = alpha[:, :, None] + rng.normal(size=(n_ent, t, k))  # correlated with the effects
        y = alpha + rng.normal(size=(n_ent, t))
        data = pd.DataFrame(
            {"y": y.ravel(), **{v: x[:, :, j].ravel() for j, v in enumerate(slopes)}}, index=idx
        ).assign(const=1.0)
        res = fit_fe(data, "y", slopes, cov=Covariance("unadjusted"))
        adjusted.append(adjusted_within_r2(res))
        raw.append(float(res.rsquared_within))
    df_within = n_ent * (t - 1)
    a, b = k / 2, (df_within - k) / 2
    sd_raw = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    sd_adjusted = sd_raw * df_within / (df_within - k)
    assert abs(np.mean(adjusted)) < 4 * sd_adjusted / np.sqrt(reps), np.mean(adjusted)
    assert abs(np.mean(raw) - k / df_within) < 4 * sd_raw / np.sqrt(reps), np.mean(raw)
    assert np.std(adjusted) == pytest.approx(sd_adjusted, rel=0.3)


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
