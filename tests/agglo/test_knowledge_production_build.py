"""The knowledge-production spec through the application: `agglo estimate --spec` on a warehouse
whose `marts.fct_innovation_indicators` the test creates, and `agglo build`'s rule (fit it when the
mart holds rows, skip it with a note when it is empty or absent)."""

from __future__ import annotations

import json

import duckdb
import pytest

from agglo.build import estimate_if_present
from agglo.cli import main
from estimation.results_store import read_results
from estimation.simulate import simulate_knowledge_production
from estimation.spec import KNOWLEDGE_PRODUCTION_SPEC

RELATION = "marts.fct_innovation_indicators"


def make_warehouse(path, frame=None):
    """A warehouse holding only the mart (``frame`` None: the mart absent; empty: no rows)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        if frame is not None:
            con.register("_frame", frame)
            con.execute(f"create table {RELATION} as select * from _frame")
            con.unregister("_frame")
    return path


@pytest.fixture(scope="module")
def panel():
    return simulate_knowledge_production(2, n_zero_grants=3)


def test_agglo_estimate_with_the_spec_writes_table_101(tmp_path, panel, capsys):
    wh = make_warehouse(tmp_path / "kp.duckdb", panel)
    code = main(["estimate", "--spec", str(KNOWLEDGE_PRODUCTION_SPEC), "--warehouse", str(wh)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "tables 101; 2 fits, 0 failed" in out
    with duckdb.connect(str(wh), read_only=True) as con:
        est, mod = read_results(con, [101])
        paper_est, _ = read_results(con)  # Tables 1–8: none, nothing mixes
        spec_cols = con.sql(
            "select column_id, equations from results.spec_columns order by 1"
        ).fetchall()
    assert paper_est.empty
    assert set(est["column_id"]) == {"fe_all_national", "sys_gmm_all_national"}
    fe = est[est["column_id"] == "fe_all_national"].set_index("term")
    # the simulator's elasticities (0.4, 0.5), within three standard errors
    for term, truth in {"ln_rd_personnel": 0.4, "ln_rd_expenditure": 0.5}.items():
        assert abs(fe.loc[term, "coef"] - truth) < 3 * fe.loc[term, "std_err"]
    assert set(mod["n_dropped"]) == {3}
    assert [c for c, _ in spec_cols] == ["fe_all_national", "sys_gmm_all_national"]
    for _, equations in spec_cols:
        described = json.loads(equations)["knowledge_production"]
        assert described["panel_relation"] == RELATION
        assert described["effects"] == "entity, time"


@pytest.mark.parametrize("frame", [None, "empty", "no_patents"])
def test_build_skips_the_spec_without_rows(tmp_path, panel, frame):
    """Absent, empty, or (a demo warehouse: hightech columns only) without the spec's variables."""
    data = {"empty": panel.iloc[:0], "no_patents": panel.assign(patent_grants=None)}.get(frame)
    wh = make_warehouse(tmp_path / "kp.duckdb", data)
    summary, ok = estimate_if_present(wh, KNOWLEDGE_PRODUCTION_SPEC)
    assert ok
    with_vars = (
        "has no row where patent_grants, rd_expenditure, rd_personnel_fte are all present (the "
        "loaded tables print them for different years, or not at all)"
    )
    state = "is absent" if frame is None else with_vars
    assert summary == f"skipped knowledge_production.yml: {RELATION} {state}"
    assert "\n" not in summary
    with duckdb.connect(str(wh), read_only=True) as con:
        schemas = {s for (s,) in con.sql("select schema_name from duckdb_schemas()").fetchall()}
    assert "results" not in schemas  # nothing written


def test_build_fits_the_spec_when_the_mart_has_rows(tmp_path, panel):
    wh = make_warehouse(tmp_path / "kp.duckdb", panel)
    summary, ok = estimate_if_present(wh, KNOWLEDGE_PRODUCTION_SPEC)
    assert ok, summary
    with duckdb.connect(str(wh), read_only=True) as con:
        est, _ = read_results(con, [101])
    assert len(est) and set(est["table"]) == {101}
