"""The report's "Knowledge production (real data)" section: present with the estimates of the
knowledge-production spec, absent otherwise (the demo warehouse has no real-data mart)."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from agglo.build import estimate_if_present
from agglo.report import build_report
from agglo.report.knowledge import knowledge_section
from agglo.report.markdown import _knowledge
from estimation.run import estimate
from estimation.simulate import simulate_knowledge_production
from estimation.spec import KNOWLEDGE_PRODUCTION_SPEC, load_spec

SPEC = load_spec(KNOWLEDGE_PRODUCTION_SPEC)
TITLES = {t.number: t.title for t in SPEC.tables}


@pytest.fixture(scope="module")
def run():
    return estimate(simulate_knowledge_production(4, n_zero_grants=1), spec=SPEC)


def test_no_estimates_no_section(run):
    assert knowledge_section(run.estimates.iloc[:0], run.models.iloc[:0], TITLES) is None


def test_section_shows_both_columns_with_fit_rows(run):
    section = knowledge_section(run.estimates, run.models, TITLES)
    (block,) = section["blocks"]
    assert block["number"] == 101 and block["title"] == TITLES[101]
    assert block["heads"] == ["FE (province + year)", "System GMM (dynamic)"]
    labels = [r["label"] for r in block["rows"] if r["kind"] == "coef"]
    assert labels == ["lag_ln_patent_grants", "ln_rd_personnel", "ln_rd_expenditure", "const"]
    by_label = {r["label"]: r["cells"] for r in block["rows"] if r["label"]}
    fe = run.estimates.set_index(["column_id", "term"])
    coef = fe.loc[("fe_all_national", "ln_rd_personnel"), "coef"]
    assert by_label["ln_rd_personnel"][0].startswith(f"{coef:.3f}")
    assert by_label["lag_ln_patent_grants"][0] == ""  # FE has no lag
    assert by_label["year effects"] == ["yes", "yes"]
    assert by_label["observations"][0] == str(int(run.models["nobs"].iloc[0]))
    assert by_label["rows dropped (missing / not positive)"] == ["1", "1"]
    assert not any(r["label"].startswith("year_") for r in block["rows"])
    md = "\n".join(_knowledge(section))
    assert "## Knowledge production (real data)" in md and "FE (province + year)" in md


def test_demo_report_has_no_knowledge_section(report_dir):
    html = (report_dir / "index.html").read_text(encoding="utf-8")
    md = (report_dir / "report.md").read_text(encoding="utf-8")
    assert "Knowledge production" not in html and "Knowledge production" not in md


def test_report_shows_the_section_when_the_warehouse_has_the_estimates(report_warehouse, tmp_path):
    wh = tmp_path / "with_kp.duckdb"
    shutil.copyfile(report_warehouse, wh)
    with duckdb.connect(str(wh)) as con:
        con.register("_kp", simulate_knowledge_production(6))
        # the demo warehouse has the real-data mart, empty; stand in a simulated one
        con.execute("create or replace table marts.fct_innovation_indicators as select * from _kp")
        con.unregister("_kp")
    summary, ok = estimate_if_present(wh, KNOWLEDGE_PRODUCTION_SPEC)
    assert ok, summary
    files = build_report(wh, tmp_path / "report")
    html = files.html.read_text(encoding="utf-8")
    md = files.markdown.read_text(encoding="utf-8")
    assert 'id="knowledge-production"' in html and "System GMM (dynamic)" in html
    assert "## Knowledge production (real data)" in md
    # the paper's tables are still those of the demo run: table 101 never mixes into them
    assert "table_101" not in {p.stem for p in files.tables}
