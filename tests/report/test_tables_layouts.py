"""`agglo tables` for an economist (issue 16, items 10-11): a simulated-data note on demo data, the
paper's own caveats (Table 5's misprinted FE observations) as footnotes taken from the published
notes, and `--layout ours`, one column per model as Stata's esttab prints it."""

from __future__ import annotations

import re

import duckdb
import pytest

from agglo.cli import main
from agglo.report.tables import SIMULATED_NOTE, render_tables, results_for_tables
from estimation.published import load_published
from estimation.run import estimate
from estimation.spec import load_spec


@pytest.fixture(scope="module")
def demo_results(report_warehouse):
    with duckdb.connect(str(report_warehouse), read_only=True) as con:
        return results_for_tables(con)


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_tables_of_demo_data_say_so(report_warehouse, fmt, capsys):
    assert main(["tables", "--warehouse", str(report_warehouse), "--format", fmt]) == 0
    out = capsys.readouterr().out
    head = out[: out.index("Table 1.")]
    assert "Simulated data" in head and "raw/demo/" in head.replace(r"\_", "_")


def test_tables_of_estimates_without_demo_files_carry_no_such_note(tmp_path, capsys):
    empty = tmp_path / "w.duckdb"
    duckdb.connect(str(empty)).close()
    assert main(["tables", "--warehouse", str(empty), "--table", "2"]) == 0
    assert SIMULATED_NOTE not in capsys.readouterr().out


def _table_block(text: str, number: int) -> str:
    start = text.index(f"### Table {number}.")
    end = text.find("### Table ", start + 1)
    return text[start : end if end > 0 else None]


def test_table_5_footnotes_the_papers_misprinted_fe_observations(demo_results):
    estimates, models = demo_results
    block = _table_block(render_tables(estimates, models, tables=[5]), 5)
    published = load_published()
    nobs = published[
        (published["table"] == 5) & (published["estimator"] == "fe") & (published["term"] == "nobs")
    ]
    flagged = nobs[nobs["note"] != ""]
    assert set(flagged["sample_region"]) == {"east", "central", "west"}
    (note,) = set(flagged["note"])  # one caveat for the three columns, from the published notes
    row = next(line for line in block.splitlines() if line.startswith("| Observations |"))
    cells = [c.strip() for c in row.strip("|").split("|")][1:]
    marked = [c for c in cells if re.fullmatch(r"\d+ \[[a-z]\]", c)]
    assert sorted(int(c.split()[0]) for c in marked) == [80, 110, 120]
    marker = marked[0].split()[1]
    assert all(c.endswith(marker) for c in marked)  # one note, one marker
    assert f"- {marker} Paper: {note}" in block
    # ours are printed plainly beside them (the demo panel's 11 / 8 / 12 provinces × 10 years)
    assert {"110", "80", "120"} <= set(cells)


# ------------------------------------------------------------------------------ --layout ours


@pytest.fixture(scope="module")
def run(simulate_panel):
    return estimate(simulate_panel(21), tables=[1, 5], on_error="record")


def _md_rows(block: str) -> dict[str, list[str]]:
    rows = {}
    label = None
    for line in block.splitlines():
        if not line.startswith("| ") or line.startswith("| |"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        label = cells[0] or f"{label} (stat)"
        rows[label] = cells[1:]
    return rows


def test_ours_layout_is_one_column_per_model_with_stars_stats_and_diagnostics(run):
    text = render_tables(run.estimates, run.models, tables=[5], layout="ours")
    block = _table_block(text, 5)
    spec = load_spec()
    columns = spec.table(5).columns
    header = next(line for line in block.splitlines() if line.startswith("| |"))
    heads = [c.strip() for c in header.strip("|").split("|")][1:]
    assert heads == [f"({i}) {h}" for i, h in enumerate(_heads(columns), start=1)]
    rows = _md_rows(block)
    reported = run.models[run.models["table"].eq(5) & run.models["reported"].astype(bool)]
    est = run.estimates[run.estimates["table"].eq(5) & run.estimates["reported"].astype(bool)]
    for j, column in enumerate(columns):
        m = reported[reported["column_id"] == column.column_id].iloc[0]
        assert rows["Observations"][j] == str(int(m["nobs"]))
        e = est[est["column_id"] == column.column_id].set_index("term")
        r = e.loc["ln_vocal"]
        assert rows["lnvocal"][j] == f"{r['coef']:.3f}" + "*" * int(r["stars"])
        assert rows["lnvocal (stat)"][j] == f"({r['stat']:.2f})"
        if column.estimator == "fe":
            assert rows["R2"][j] == f"{m['r2']:.3f}" and rows["AR(2)"][j] == ""
        else:
            assert rows["AR(2)"][j].startswith(f"{m['ar2_z']:.2f} [")
            assert (
                rows["Instruments / groups"][j]
                == f"{int(m['n_instruments'])} / {int(m['n_groups'])}"
            )
    assert "Paper" not in block  # our estimates alone: no published values, no paper notes


def _heads(columns) -> list[str]:
    regions = {c.sample_region for c in columns}
    labels = {"fe": "FE", "sys_gmm": "SYS-GMM", "3sls": "3SLS"}
    return [
        f"{labels[c.estimator]} {c.sample_industry if len(regions) == 1 else c.sample_region}"
        for c in columns
    ]


def test_ours_layout_in_latex_and_through_the_cli(run, tmp_path, capsys):
    tex = render_tables(run.estimates, run.models, fmt="tex", tables=[1], layout="ours")
    n_models = len(load_spec().table(1).columns)
    assert rf"\begin{{tabular}}{{l{'r' * n_models}}}" in tex
    assert "ours & paper" not in tex and " & (1) & (2)" in tex.replace(r"\multicolumn{1}{c}", "")
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    assert main(["tables", "--warehouse", str(warehouse), "--layout", "ours", "--table", "1"]) == 0
    out = capsys.readouterr().out
    assert "### Table 1." in out and "(paper)" not in out
