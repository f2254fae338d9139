"""Few-cluster inference for FE (paper.yml ``fe.inference``): t(G−1) references, the wild cluster
bootstrap (wildboottest) against R fwildclusterboot, and which columns report bootstrap p-values."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from linearmodels import PanelOLS
from numpy.testing import assert_allclose
from scipy import stats

from estimation.errors import SpecError
from estimation.panel import wild_bootstrap_class, wild_cluster_bootstrap
from estimation.run import estimate
from estimation.spec import DEFAULT_SPEC, load_spec, parse_spec

REFERENCES = Path(__file__).parent / "references"


@pytest.mark.reference
def test_wildboottest_reproduces_fwildclusterboot_enumeration():
    """WCR11, Rademacher weights, 5 clusters: all 32 sign patterns are enumerated, so the bootstrap
    t statistics are deterministic and must equal R fwildclusterboot's (printed to 15 significant
    digits; |t| < 3.5, so 1e-12 absolute is within the printing), both with the package's numba
    kernel and with our vectorised denominators (:func:`estimation.panel.wild_bootstrap_class`)."""
    from wildboottest.wildboottest import WildboottestCL

    # the wildboottest repository's generator of its data/test_df.csv (see references/README.md):
    # np.random.seed(12312) then np.random.normal / choice, i.e. the legacy RandomState stream
    legacy = np.random.RandomState(12312)
    n, k, g = 10000, 3, 5
    x = legacy.normal(0, 1, n * k).reshape((n, k))
    x[:, 0] = 1
    beta = legacy.normal(0, 1, k)
    beta[1] = 0.005
    y = x @ beta + legacy.normal(0, 1, n)
    cluster = legacy.choice(list(range(g)), n)
    assert x[0, 1] == pytest.approx(-0.4037156320778326, abs=1e-15)  # its first row
    assert y[0] == pytest.approx(1.7683429463247458, abs=1e-14)

    reference = pd.read_csv(REFERENCES / "wildboottest_fwildclusterboot.csv")["wcr11_t_boot"]
    for boot_class in (WildboottestCL, wild_bootstrap_class()):
        boot = boot_class(X=x, Y=y, cluster=cluster, R=np.array([0, 1, 0]), B=99999, seed=1)
        boot.get_scores(bootstrap_type="11", impose_null=True, adj=False, cluster_adj=False)
        boot.get_weights(weights_type="rademacher")
        boot.get_numer()
        boot.get_denom()
        boot.get_tboot()
        assert boot.B == len(reference) == 32
        assert_allclose(np.sort(boot.t_boot), np.sort(reference.to_numpy()), rtol=0, atol=1e-12)


def test_vectorised_denominators_equal_the_package_kernel_with_drawn_weights():
    """Webb weights, 11 clusters, 999 draws (drawn, not enumerated): the p-values of the
    package's numba kernel and of our matrix product agree (the same draws; the statistics differ
    only by summation order, ~1e-15 relative, far from the ties a p-value would count)."""
    from wildboottest.wildboottest import WildboottestCL

    data = _clustered_panel(5, groups=11)
    x = data[["x1", "x2", "const"]].to_numpy()
    cluster = data.index.get_level_values(0).to_numpy()
    t_boot = []
    for boot_class in (WildboottestCL, wild_bootstrap_class()):
        boot = boot_class(
            X=x,
            Y=data["out"].to_numpy(),
            cluster=cluster,
            R=np.array([0, 1.0, 0]),
            B=999,
            seed=7,
            parallel=False,
        )
        boot.get_scores(bootstrap_type="11", impose_null=True, adj=True, cluster_adj=True)
        boot.get_weights(weights_type="webb")
        boot.get_numer()
        boot.get_denom()
        boot.get_tboot()
        t_boot.append(boot.t_boot)
    assert_allclose(t_boot[1], t_boot[0], rtol=1e-10)


def _clustered_panel(seed: int, groups: int = 8, years: int = 12) -> pd.DataFrame:
    """y = 1 + 0.5 x1 + 0 x2 + α_i + ε with province-level shocks in x2 and ε (so clustering
    matters) and few provinces."""
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([range(groups), range(2000, 2000 + years)], names=["p", "y"])
    g = idx.get_level_values(0).to_numpy()
    alpha, common_x, common_e = (rng.normal(size=groups) for _ in range(3))
    x1 = rng.normal(size=len(idx)) + alpha[g]
    x2 = rng.normal(size=len(idx)) + 2 * common_x[g]
    e = rng.normal(size=len(idx)) * (1 + g / groups) + common_e[g] * x2 / 2
    frame = pd.DataFrame({"x1": x1, "x2": x2}, index=idx)
    frame["out"] = 1 + 0.5 * x1 + alpha[g] + e
    frame["const"] = 1.0
    return frame


def test_bootstrap_on_the_within_data_equals_the_dummy_model():
    """The fixed effects are nested in the clusters: bootstrapping the within-transformed model
    gives the p-values of the model with province dummies (Rademacher, 2^8 < draws: enumerated,
    deterministic)."""
    import statsmodels.api as sm
    from wildboottest.wildboottest import wildboottest

    data = _clustered_panel(3)
    ours = wild_cluster_bootstrap(data, "out", ["x1", "x2"], weights="rademacher", draws=999)
    dummies = pd.get_dummies(data.index.get_level_values(0), prefix="p", dtype=float)
    dummies.index = data.index
    design = pd.concat([data[["x1", "x2"]], dummies], axis=1)
    clusters = data.index.get_level_values(0).to_numpy()
    with pytest.warns(UserWarning, match="full_enumeration"):  # 2^8 < 999: all patterns
        direct = wildboottest(
            sm.OLS(data["out"].to_numpy(), design),
            B=999,
            cluster=clusters,
            weights_type="rademacher",
            seed=1,
            parallel=False,
            show=False,
        )["p-value"]
    # each p-value is a share of the same 256 sign patterns, counted with |t*| > |t|; the patterns
    # all +1 and all −1 reproduce the actual statistic (t* = t), a tie that rounding decides either
    # way in either route: they may differ by those 2 patterns, no more
    assert ours["x1"] == pytest.approx(direct["x1"], abs=2 / 256 + 1e-12)
    assert ours["x2"] == pytest.approx(direct["x2"], abs=2 / 256 + 1e-12)


def test_bootstrap_is_seeded_and_finds_the_known_slopes():
    """Webb weights are drawn: the same seed gives the same p-values, another seed nearly the same
    (9,999 draws: Monte Carlo s.e. of a p-value ≤ 0.005). The true slope of x1 (0.5) is found at
    5% with 8 provinces, the zero slope of x2 is not found at 10%."""
    data = _clustered_panel(5)
    first = wild_cluster_bootstrap(data, "out", ["x1", "x2"], seed=15)
    again = wild_cluster_bootstrap(data, "out", ["x1", "x2"], seed=15)
    other = wild_cluster_bootstrap(data, "out", ["x1", "x2"], seed=16)
    pd.testing.assert_series_equal(first, again)
    assert_allclose(first, other, atol=0.03)
    assert first["x1"] < 0.05
    assert first["x2"] > 0.10


@pytest.mark.slow
def test_few_cluster_bootstrap_holds_its_size_where_t_of_n_minus_k_does_not():
    """60 panels of 8 provinces under a true null for x2 with province-level shocks in x2 and the
    error: linearmodels' clustered t(N−K) test over-rejects at 5%, the wild bootstrap rejects at
    close to 5% (Webb weights, 399 draws each; binomial band at 0.1%)."""
    reps = 60
    rejected_boot = rejected_t = 0
    for seed in range(reps):
        data = _clustered_panel(100 + seed)
        p_boot = wild_cluster_bootstrap(
            data, "out", ["x1", "x2"], draws=399, seed=seed, terms=["x2"]
        )["x2"]
        fe = PanelOLS(data["out"], data[["x1", "x2", "const"]], entity_effects=True).fit(
            cov_type="clustered", cluster_entity=True
        )
        rejected_boot += p_boot < 0.05
        rejected_t += fe.pvalues["x2"] < 0.05
    assert stats.binomtest(rejected_boot, reps, 0.05).pvalue > 1e-3, rejected_boot
    assert rejected_t > rejected_boot


@pytest.fixture(scope="module")
def table5(simulate_panel):
    return estimate(simulate_panel(11, effects=True), tables=[5, 6])


def test_fe_errors_carry_both_small_sample_factors_and_t_of_g_minus_1(table5):
    fit = table5.fits[(6, "fe_T_national")]
    eq = fit.column.reported_equation
    data = fit.sample.data
    direct = PanelOLS(data[eq.dependent], data[list(eq.terms)], entity_effects=True).fit(
        cov_type="clustered", cluster_entity=True, group_debias=True
    )
    est = fit.estimates.set_index("term")
    assert_allclose(est["std_err"], direct.std_errors[est.index], rtol=1e-10)
    groups = fit.sample.n_groups
    assert_allclose(est["p_value"], 2 * stats.t.sf(np.abs(direct.tstats[est.index]), groups - 1))
    assert fit.models["inference"].iloc[0].endswith(f"p: t({groups - 1}), {groups} clusters")


def test_tables_with_a_few_cluster_column_report_bootstrap_p_values_for_every_fe_column(table5):
    models = table5.models.set_index(["table", "column_id"])["inference"]
    for region in ("national", "east", "central", "west"):
        assert (
            "wild cluster bootstrap-t (WCR11, webb weights, 9999 draws, seed 15)"
            in models[(5, f"fe_T_{region}")]
        )
    assert "another FE column of table 5" in models[(5, "fe_T_national")]
    assert "8 clusters (fewer than 20 clusters)" in models[(5, "fe_T_central")]
    assert "bootstrap" not in models[(6, "fe_T_national")]  # every column of table 6 has 31
    assert models[(5, "sys_gmm_T_central")].endswith("p: normal (z)")
    est = table5.estimates[table5.estimates["table"] == 5]
    fe = est[est["estimator"] == "fe"]
    assert fe["stars"].tolist() == [
        3 if p < 0.01 else 2 if p < 0.05 else 1 if p < 0.10 else 0 for p in fe["p_value"]
    ]


@pytest.mark.slow
def test_bootstrap_scope_column_bootstraps_only_the_few_cluster_columns(simulate_panel):
    raw = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
    raw["estimators"]["fe"]["inference"]["bootstrap"]["scope"] = "column"
    run = estimate(simulate_panel(11, effects=True), tables=[8], spec=parse_spec(raw))
    models = run.models.set_index("column_id")["inference"]
    assert "bootstrap" not in models["fe_T_national"]
    assert "bootstrap" in models["fe_T_west"]


def test_inference_settings_are_checked():
    raw = yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))
    assert load_spec().column(5, "fe_T_east").inference.bootstrap_weights == "webb"
    for key, value, message in (
        ("reference", "normal", "'normal' is not one of"),
        ("few_clusters", -1, "expected an integer >= 0"),
    ):
        bad = copy.deepcopy(raw)
        bad["estimators"]["fe"]["inference"][key] = value
        with pytest.raises(SpecError, match=message):
            parse_spec(bad)
    bad = copy.deepcopy(raw)
    bad["estimators"]["fe"]["inference"]["bootstrap"]["weights"] = "mammen"
    with pytest.raises(SpecError, match="bootstrap.weights: 'mammen' is not one of"):
        parse_spec(bad)
