"""The spec file: loading, validation errors, hash, and agreement with the published tables."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import yaml

from estimation.errors import SpecError
from estimation.published import load_published
from estimation.spec import DEFAULT_SPEC, load_spec, parse_spec


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(DEFAULT_SPEC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def spec():
    return load_spec()


def test_paper_spec_has_the_56_published_columns(spec):
    assert spec.table_numbers == (1, 2, 3, 4, 5, 6, 7, 8)
    assert [len(t.columns) for t in spec.tables] == [6, 6, 8, 8, 8, 6, 6, 8]
    published = load_published()
    ours = {(c.table, c.column_id) for c in spec.columns()}
    theirs = set(zip(published["table"], published["column_id"], strict=True))
    assert ours == theirs


def test_spec_terms_are_the_published_coefficient_rows(spec):
    """Every column's terms, in printed order, are exactly the paper's coefficient rows."""
    published = load_published()
    coefs = published[~published["term"].isin(["ar1", "ar2", "sargan", "adj_r2", "nobs"])]
    for c in spec.columns():
        printed = coefs[(coefs["table"] == c.table) & (coefs["column_id"] == c.column_id)]
        assert list(c.reported_equation.terms) == printed["term"].tolist(), c.column_id
        assert set(printed["dependent"]) == {c.reported_equation.dependent}
        assert set(printed["equation"]) == {c.reported}


def test_estimator_settings_resolve(spec):
    t1 = spec.column(1, "3sls_T1_national")
    assert [e.label for e in t1.equations] == ["agglomeration", "innovation"]
    assert t1.exogenous == ("ln_size", "ln_pgdp", "ln_open", "ln_infr", "ln_educ")
    assert t1.interactions == ()

    fe = spec.column(7, "fe_T_national")
    assert fe.cov.type == "clustered" and fe.cov.cluster_entity and fe.hausman
    assert [i.components("log") for i in fe.interactions] == [
        ("ln_innov", "ln_deve"),
        ("ln_innov", "ln_know"),
    ]

    # the interactions of the endogenous ln_innov get GMM-style instruments with ln_innov's lags
    national = spec.column(8, "sys_gmm_T_national").gmm
    assert national.gmm_instruments == (
        ("ln_vocal", 2, 3),
        ("ln_innov", 2, 3),
        ("ln_innov_x_deve", 2, 3),
        ("ln_innov_x_know", 2, 3),
    )
    assert national.iv_instruments == ("ln_size", "ln_pgdp", "ln_open", "ln_infr")
    assert national.collapse and national.two_step and national.robust
    central = spec.column(8, "sys_gmm_T_central").gmm
    assert central.gmm_instruments == (
        ("ln_vocal", 2, 2),
        ("ln_innov", 2, 2),
        ("ln_innov_x_deve", 2, 2),
        ("ln_innov_x_know", 2, 2),
    )
    assert not central.two_step and not central.robust
    # eq. 4: ln_vocal is endogenous, its interactions follow it
    t5 = spec.column(5, "sys_gmm_T_national").gmm
    assert [v for v, _, _ in t5.gmm_instruments] == [
        "ln_innov",
        "ln_vocal",
        "ln_vocal_x_tech",
        "ln_vocal_x_dim",
    ]


def test_endogenous_interactions_iv_keeps_them_iv_style(raw):
    changed = copy.deepcopy(raw)
    changed["estimators"]["sys_gmm"]["endogenous_interactions"] = "iv"
    g = parse_spec(changed).column(8, "sys_gmm_T_national").gmm
    assert g.gmm_instruments == (("ln_vocal", 2, 3), ("ln_innov", 2, 3))
    assert g.iv_instruments[:2] == ("ln_innov_x_deve", "ln_innov_x_know")
    changed["estimators"]["sys_gmm"]["endogenous_interactions"] = "exogenous"
    with pytest.raises(SpecError, match="endogenous_interactions: 'exogenous' is not one of"):
        parse_spec(changed)


def test_dataclasses_are_frozen(spec):
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.tables[0].columns[0].estimator = "fe"


def test_hash_ignores_layout_but_not_content(raw, spec):
    reordered = dict(reversed(list(copy.deepcopy(raw).items())))
    assert parse_spec(reordered).hash == spec.hash
    changed = copy.deepcopy(raw)
    changed["estimators"]["fe"]["cov"] = {"type": "robust"}
    assert parse_spec(changed).hash != spec.hash


def test_moderator_scale_is_a_setting(raw):
    changed = copy.deepcopy(raw)
    changed["centring"]["moderator_scale"] = "level"
    column = parse_spec(changed).column(6, "fe_T_national")
    assert [i.components("level") for i in column.interactions] == [
        ("ln_vocal", "tech"),
        ("ln_vocal", "dim"),
    ]
    assert column.centring.moderator_scale == "level"


def test_unknown_variable_is_named(raw):
    bad = copy.deepcopy(raw)
    bad["equations"]["innovation"]["regressors"].append("ln_gdp_growth")
    with pytest.raises(SpecError, match=r"equations\.innovation.*unknown variable 'ln_gdp_growth'"):
        parse_spec(bad)


def test_unknown_estimator_is_named(raw):
    bad = copy.deepcopy(raw)
    bad["tables"][0]["groups"][0]["estimator"] = "ols"
    with pytest.raises(SpecError, match=r"tables\[0\].*unknown estimator 'ols'"):
        parse_spec(bad)


def test_unknown_table_is_named(spec):
    with pytest.raises(SpecError, match=r"unknown table 9.*1, 2, 3, 4, 5, 6, 7, 8"):
        spec.table(9)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("tables", 0, "groups", 0, "industries"), ["T9"], "unknown industry 'T9'"),
        (("tables", 2, "groups", 0, "regions"), ["northeast"], "unknown region 'northeast'"),
        (("missing",), "impute", "'impute' is not one of"),
        (("centring", "moderator_scale"), "sqrt", "'sqrt' is not one of"),
        (("centring", "scope"), "region", "'region' is not one of"),
        (("estimators", "fe", "cov"), {"type": "bootstrap"}, "'bootstrap' is not a covariance"),
        (("interactions", "ln_vocal_x_dim"), ["ln_vocal", "ln_dim"], "unknown moderator"),
        (("estimators", "fe", "ridge"), 1.0, "unknown key"),
    ],
)
def test_other_bad_entries(raw, path, value, message):
    bad = copy.deepcopy(raw)
    node = bad
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(SpecError, match=message):
        parse_spec(bad)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(SpecError, match="not found"):
        load_spec(tmp_path / "nope.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("tables: [\n", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(broken)
