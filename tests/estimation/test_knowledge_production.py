"""The knowledge-production spec (estimation/specs/knowledge_production.yml) on simulated panels.

The spec names its own relation and variables; its FE column is two-way (province and year effects)
on an unbalanced panel with gaps; rows with a non-positive logged column are dropped and counted.
Recovery is checked against the simulator's known elasticities
(:func:`estimation.simulate.simulate_knowledge_production`).
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from numpy.testing import assert_allclose
from scipy import stats

from estimation.errors import SpecError
from estimation.run import estimate, fit_column
from estimation.simulate import simulate_knowledge_production
from estimation.spec import KNOWLEDGE_PRODUCTION_SPEC, load_spec

SPEC = load_spec(KNOWLEDGE_PRODUCTION_SPEC)
TRUTH = {"ln_rd_personnel": 0.4, "ln_rd_expenditure": 0.5}
FE = "fe_all_national"
GMM = "sys_gmm_all_national"


def fe_fit(panel):
    return fit_column(panel, SPEC.column(101, FE))


# ------------------------------------------------------------------------------------ the spec


def test_spec_has_its_own_tables_relation_and_variables():
    paper = load_spec()
    assert set(SPEC.table_numbers).isdisjoint(paper.table_numbers)
    assert SPEC.panel.relation == "marts.fct_innovation_indicators"
    assert SPEC.panel.industry is None
    fe, gmm = SPEC.column(101, FE), SPEC.column(101, GMM)
    assert fe.sample_industry == "all" and fe.sample_region == "national"
    assert fe.time_effects and fe.cov.type == "clustered" and fe.cov.cluster_entity
    assert {v.name: (v.column, v.transform) for v in fe.variables} == {
        "ln_patent_grants": ("patent_grants", "log"),
        "ln_rd_personnel": ("rd_personnel_fte", "log"),
        "ln_rd_expenditure": ("rd_expenditure", "log"),
    }
    assert gmm.reported_equation.regressors == (
        "lag_ln_patent_grants",
        "ln_rd_personnel",
        "ln_rd_expenditure",
    )
    assert gmm.gmm.collapse and gmm.gmm.time_dummies
    assert {v for v, _, _ in gmm.gmm.gmm_instruments} == {
        "ln_patent_grants",
        "ln_rd_personnel",
        "ln_rd_expenditure",
    }
    described = json.loads(fe.describe()["equations"])["knowledge_production"]
    assert described["effects"] == "entity, time"
    assert described["panel_relation"] == "marts.fct_innovation_indicators"


@pytest.fixture
def raw():
    return yaml.safe_load(KNOWLEDGE_PRODUCTION_SPEC.read_text(encoding="utf-8"))


def _set(raw, path, value):
    node = raw
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "key"),
    [
        (("variables",), _DELETE, "variables: missing"),
        (("variables", "ln_patent_grants"), {"sqrt": "patent_grants"}, "ln_patent_grants"),
        (("variables", "ln_patent_grants"), {"log": "year"}, "ln_patent_grants.log"),
        (("variables", "lag_x"), {"log": "patent_grants"}, "variables.lag_x"),
        (("equations", "knowledge_production", "regressors"), ["ln_vocal"], "regressors"),
        (("panel", "relation"), "fct_innovation_indicators", "panel.relation"),
        (("panel", "color"), "red", "panel"),
        (("estimators", "fe", "time_effects"), "yes", "time_effects"),
        (("estimators", "fe", "hausman"), True, "hausman"),
        (("tables", 0, "groups", 0, "industries"), ["T"], "industries"),
        (("tables", 0, "groups", 0, "regions"), ["north"], "regions"),
    ],
)
def test_spec_errors_name_the_file_and_the_key(raw, tmp_path, path, value, key):
    broken = copy.deepcopy(raw)
    _set(broken, path, value)
    spec_file = tmp_path / "kp_broken.yml"
    spec_file.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_spec(spec_file)
    assert str(spec_file) in str(err.value)
    assert key in str(err.value)


# ------------------------------------------------------------------------------------- samples


def test_gaps_and_non_positive_rows_are_dropped_and_counted():
    panel = simulate_knowledge_production(3, gaps=0.15, n_zero_grants=4)
    assert len(panel) < 31 * 12  # gaps: province-years absent from the relation
    fit = fe_fit(panel)
    assert fit.sample.n_selected == len(panel)
    assert fit.sample.n_dropped == 4
    assert fit.sample.nonpositive_by_variable == {"ln_patent_grants": 4}
    assert fit.sample.nobs == len(panel) - 4 == int(fit.result.nobs)
    (warning,) = fit.sample.warnings
    assert "dropped 4 of" in warning and "not positive" in warning
    assert int(fit.models["n_dropped"].iloc[0]) == 4


def test_missing_column_names_the_relation():
    panel = simulate_knowledge_production(0).drop(columns="rd_expenditure")
    with pytest.raises(Exception, match=r"fct_innovation_indicators has no column.*rd_expenditure"):
        fe_fit(panel)


# ------------------------------------------------------------------------------------- two-way FE


def test_two_way_fe_equals_dummy_variable_regression_on_an_unbalanced_panel():
    """PanelOLS with entity and time effects = OLS on province and year dummies (LSDV), exactly:
    both solve the same least-squares problem, so they agree to rounding (rtol 1e-8)."""
    panel = simulate_knowledge_production(5, gaps=0.2)
    fit = fe_fit(panel)
    data = fit.sample.data.reset_index()
    x = data[["ln_rd_personnel", "ln_rd_expenditure"]].to_numpy()
    dummies = np.hstack(
        [
            pd.get_dummies(data["province_code"], dtype=float).to_numpy(),
            pd.get_dummies(data["year"], dtype=float).iloc[:, 1:].to_numpy(),
        ]
    )
    coef, *_ = np.linalg.lstsq(np.hstack([x, dummies]), data["ln_patent_grants"], rcond=None)
    assert_allclose(
        fit.result.params[["ln_rd_personnel", "ln_rd_expenditure"]], coef[:2], rtol=1e-8
    )
    assert list(fit.result.included_effects) == ["Entity", "Time"]


def test_fe_recovers_the_elasticities():
    panel = simulate_knowledge_production(0, gaps=0.1)
    res = fe_fit(panel).result
    for term, truth in TRUTH.items():
        # within three standard errors of the truth (a 0.3% chance per term of a false alarm)
        assert abs(res.params[term] - truth) < 3 * res.std_errors[term], term


@pytest.mark.slow
def test_fe_confidence_intervals_cover_the_truth():
    """Monte Carlo over 60 seeds: 95% CIs (clustered by province, 31 clusters) cover the truth.

    120 intervals (60 seeds × 2 terms); with true coverage 95% the count of misses is about
    Binomial(120, 0.05), mean 6; the check accepts 88%–100% coverage, i.e. it fails only if the
    coverage is far off (a one-sided binomial tail below 1%: P(misses > 14) < 0.01 at 95%)."""
    covered = []
    for seed in range(60):
        res = fe_fit(simulate_knowledge_production(seed, gaps=0.1)).result
        ci = res.conf_int()
        covered += [ci.loc[t, "lower"] <= v <= ci.loc[t, "upper"] for t, v in TRUTH.items()]
    misses = len(covered) - sum(covered)
    assert stats.binom.sf(misses - 1, len(covered), 0.05) > 0.001, f"{misses} misses"
    assert sum(covered) / len(covered) >= 0.88


# ------------------------------------------------------------------------------------- the run


@pytest.fixture(scope="module")
def run():
    return estimate(simulate_knowledge_production(1, n_zero_grants=2), spec=SPEC)


def test_run_writes_one_tidy_row_per_table_column_term(run):
    est, mod = run.estimates, run.models
    assert set(est["table"]) == {101} and set(mod["table"]) == {101}
    assert set(mod["status"]) == {"ok"}
    assert set(est["sample_industry"]) == {"all"}
    fe = est[est["column_id"] == FE]
    assert list(fe["term"]) == ["ln_rd_personnel", "ln_rd_expenditure", "const"]
    gmm = est[est["column_id"] == GMM]
    assert list(gmm["term"][:3]) == ["lag_ln_patent_grants", "ln_rd_personnel", "ln_rd_expenditure"]
    assert gmm["term"].iloc[-1] == "const"
    assert gmm["term"].str.startswith("year_").sum() >= 5  # year dummies
    assert not est.duplicated(["table", "column_id", "equation", "term"]).any()
    assert np.isfinite(est[["coef", "std_err", "p_value", "ci_low", "ci_high"]]).all().all()


def test_gmm_instruments_stay_below_the_31_provinces(run):
    row = run.models[run.models["column_id"] == GMM].iloc[0]
    assert row["n_groups"] == 31
    assert row["n_instruments"] < 31
    assert not any("instruments" in w for w in row["warnings"])
    assert row["n_dropped"] == 2
