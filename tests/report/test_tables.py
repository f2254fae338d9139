"""Paper-style tables (agglo.report.tables): all 8, our cell beside the published one, stars, LaTeX
escaping; the reference copy of the published values; `agglo estimate` and `agglo tables`."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest

from agglo import paths
from agglo.cli import main
from agglo.errors import AggloError
from agglo.report.tables import (
    latex_escape,
    render_tables,
    results_for_tables,
    table_grid,
    term_label,
    write_tables,
)
from estimation.published import REFERENCE_CSV, load_published
from estimation.run import estimate, stars
from estimation.spec import load_spec

SHARED_CSV = paths.shared_dir() / "paper" / "published_coefficients.csv"


@pytest.fixture(scope="module")
def run(simulate_panel):
    return estimate(simulate_panel(21), tables=[1, 3, 5, 7], on_error="record")


@pytest.mark.parametrize(
    ("p", "n"),
    [(0.0, 3), (0.0099, 3), (0.01, 2), (0.0499, 2), (0.05, 1), (0.0999, 1), (0.1, 0), (0.7, 0)],
)
def test_star_thresholds(p, n):
    assert stars(p) == n


def test_stars_of_missing_p_is_zero():
    assert stars(float("nan")) == 0


def test_estimated_stars_follow_p_values(run):
    e = run.estimates
    assert (e.loc[e["p_value"] < 0.01, "stars"] == 3).all()
    assert (e.loc[(e["p_value"] >= 0.05) & (e["p_value"] < 0.1), "stars"] == 1).all()
    assert (e.loc[e["p_value"] >= 0.1, "stars"] == 0).all()


@pytest.mark.reference
def test_reference_csv_is_the_shared_one():
    assert SHARED_CSV.exists(), (
        f"{SHARED_CSV} not found (../shared beside the checkout, or AGGLO_SHARED)"
    )
    assert REFERENCE_CSV.read_bytes() == SHARED_CSV.read_bytes()


def test_published_reference_shape():
    pub = load_published()
    assert len(pub) == 552
    assert pub.groupby("table")["column_id"].nunique().tolist() == [6, 6, 8, 8, 8, 6, 6, 8]
    first = pub.iloc[0]
    assert (first["coef"], first["stat"], first["stars"]) == ("1.950", "2.34", 2)


def test_markdown_has_all_tables_with_published_beside_ours(run):
    md = render_tables(run.estimates, run.models, fmt="md")
    assert [int(n) for n in re.findall(r"^### Table (\d)\.", md, re.M)] == list(range(1, 9))
    table1 = md.split("### Table 2.")[0]
    header = next(line for line in table1.splitlines() if line.startswith("| |"))
    assert "| 3SLS T (ours) | 3SLS T (paper) | 3SLS T1 (ours) | 3SLS T1 (paper) |" in header
    ours = run.estimates.set_index(["table", "column_id", "term"])
    r = ours.loc[(1, "3sls_T_national", "ln_vocal")]
    row = next(line for line in table1.splitlines() if line.startswith("| lnvocal |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == f"{r['coef']:.3f}{'*' * r['stars']}"
    assert cells[2] == "1.950**"  # published, as printed
    # Table 3 prints the same cell without stars (published_coefficients.md item 3)
    grid, _ = table_grid(3, run.estimates, run.models)
    assert grid.loc["lnvocal", ("3SLS national", "paper")] == "1.950"
    # tables not estimated in this run still carry the published values
    assert "0.219***" in md.split("### Table 2.")[1].split("### Table 3.")[0]


def test_diagnostic_rows(run):
    grid, notes = table_grid(3, run.estimates, run.models)
    gmm = ("SYS-GMM national", "paper")
    assert grid.loc["AR(1)", gmm] == "-1.92 [0.05]"
    assert grid.loc["Sargan", gmm] == "21.49 [0.97]"
    assert grid.loc["Observations", ("3SLS east", "paper")] == "110"
    m = run.models.set_index(["table", "column_id"]).loc[(3, "sys_gmm_T_national")]
    assert grid.loc["AR(2)", ("SYS-GMM national", "ours")] == f"{m['ar2_z']:.2f} [{m['ar2_p']:.2f}]"
    assert grid.loc["Instruments / groups", ("SYS-GMM national", "ours")] == "11 / 31"
    assert any(n.startswith("SYS-GMM central: ") and "groups" in n for n in notes)
    grid7, _ = table_grid(7, run.estimates, run.models)
    assert "Hausman (FE vs RE)" in grid7.index and "AR(1)" not in grid7.index


def test_failed_fit_is_shown_with_its_reason(run):
    models = run.models.copy()
    estimates = run.estimates[run.estimates["column_id"] != "fe_T2_national"]
    rows = (models["table"] == 7) & (models["column_id"] == "fe_T2_national")
    models.loc[rows, "status"] = "failed"
    models.loc[rows, "warnings"] = pd.Series([["fit failed: boom"]], index=models.index[rows])
    grid, notes = table_grid(7, estimates, models)
    assert grid.loc["lninnov×deve", ("FE T2", "ours")] == "failed"
    assert grid.loc["Observations", ("FE T2", "ours")] == "failed"
    assert "FE T2: fit failed: boom" in notes


def test_latex_has_all_tables_and_is_escaped(run):
    tex = render_tables(run.estimates, run.models, fmt="tex")
    assert tex.count(r"\begin{table}") == 8 and tex.count(r"\end{tabular}") == 8
    assert r"lninnov$\times$deve" in tex and "×" not in tex and "→" not in tex
    body = re.sub(r"\$[^$]*\$", "", tex)
    assert not re.search(r"(?<!\\)[_%&#]", body.replace(" & ", " "))
    assert r"\multicolumn{2}{c}{FE T1}" in tex


def test_write_tables(tmp_path, run):
    estimates, models = results_for_tables(run)
    written = write_tables(tmp_path / "out", estimates, models)
    assert sorted(p.name for p in written) == ["tables.md", "tables.tex"]
    md = (tmp_path / "out" / "tables.md").read_text(encoding="utf-8")
    assert md == render_tables(run.estimates, run.models, fmt="md")
    assert written[1].read_text(encoding="utf-8").count(r"\begin{table}") == 8


def test_term_labels():
    assert term_label("lag_ln_innov") == "L.lninnov"
    assert term_label("ln_vocal_x_dim") == "lnvocal×dim"
    assert term_label("const") == "Constant"


# ------------------------------------------------------------------------------ CLI


def test_cli_estimate_and_tables(tmp_path, simulate_panel, capsys):
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.register("p", simulate_panel(11, effects=True))
        con.execute("create table marts.fct_estimation_panel as select * from p")

    assert main(["estimate", "--warehouse", str(warehouse), "--table", "1", "2"]) == 0
    assert "tables 1, 2; 12 fits, 0 failed" in capsys.readouterr().out
    with duckdb.connect(str(warehouse), read_only=True) as con:
        estimates, models = results_for_tables(con, [1, 2])
    assert set(models["table"]) == {1, 2} and len(estimates) == 12 * 12

    assert main(["tables", "--warehouse", str(warehouse), "--out", str(tmp_path / "t")]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 't' / 'tables.md'}\n"
    text = (tmp_path / "t" / "tables.md").read_text(encoding="utf-8")
    assert text.count("### Table ") == 8
    assert text == render_tables(estimates, models, fmt="md")  # tables 3-8: published only

    assert main(["tables", "--warehouse", str(warehouse), "--format", "tex", "--table", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count(r"\begin{table}") == 1 and "Table 2." in out


def test_cli_errors_are_printed_without_a_traceback(tmp_path, capsys):
    missing = tmp_path / "none.duckdb"
    assert main(["estimate", "--warehouse", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: no warehouse at {missing}") and "hint: build it first" in err
    with pytest.raises(AggloError, match="no warehouse"):
        from agglo.cli import build_parser

        args = build_parser().parse_args(["estimate", "--warehouse", str(missing)])
        args.func(args)
    # an estimation error (here: an unknown table in the spec) is the library's, printed the same
    spec = tmp_path / "w.duckdb"
    duckdb.connect(str(spec)).close()
    assert main(["estimate", "--warehouse", str(spec), "--table", "12"]) == 2
    assert "error: unknown table 12" in capsys.readouterr().err


def test_cli_tables_without_estimates_shows_the_published_values(tmp_path, capsys):
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    assert main(["tables", "--warehouse", str(tmp_path / "empty.duckdb"), "--table", "2"]) == 0
    captured = capsys.readouterr()
    assert "showing published values" in captured.err
    assert "0.219***" in captured.out and "—" in captured.out


# ------------------------------------------------------------------------ specification choices


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_tables_carry_the_specification_choices(run, fmt):
    """Every choice of the spec is rendered, with its quotes and lines, and each table names its
    own choices in its notes (the same rows as the report's section)."""
    spec = load_spec()
    doc = render_tables(run.estimates, run.models, fmt=fmt)
    appendix = doc.rsplit("Specification choices", 1)[1]  # the heading of the last section
    for choice in spec.choices:
        topic = choice.topic if fmt == "md" else latex_escape(choice.topic)
        assert topic in appendix, choice.id
        for q in choice.paper:
            lines = q.lines if fmt == "md" else q.lines.replace("–", "--")
            assert f"{lines}: 「{latex_escape(q.quote) if fmt == 'tex' else q.quote}」" in appendix
    table5 = doc.split("Table 5.", 1)[1].split("Table 6.", 1)[0]
    note = next(
        line for line in table5.splitlines() if "Specification choices for this table" in line
    )
    topics = {c.topic for c in spec.choices if 5 in c.tables}
    assert all(latex_escape(t) in note if fmt == "tex" else t in note for t in topics)
    assert "3SLS instruments" not in note


def test_choices_of_some_tables_only(run):
    doc = render_tables(run.estimates, run.models, fmt="md", tables=[1])
    appendix = doc.split("### Specification choices", 1)[1]
    assert "3SLS instruments" in appendix and "few clusters" not in appendix


def test_notes_state_the_basis_of_each_columns_stars(run):
    """Table 5 mixes FE columns with few provinces (bootstrap p-values for every FE column) and
    SYS-GMM ones (normal z): the notes name each basis once, with the columns resting on it, from
    results.models.inference."""
    _, notes = table_grid(5, run.estimates, run.models)
    (basis,) = [n for n in notes if n.startswith("Stars rest on")]
    inference = run.models.loc[run.models["table"] == 5, "inference"]
    fe = inference[inference.str.contains("wild cluster bootstrap")]
    assert len(fe) == 4  # national, east, central, west: one basis for the table's FE stars
    assert basis.count("wild cluster bootstrap") == 1
    assert basis.count("p: normal (z)") == 2  # two-step national, one-step regional GMM
    assert re.search(
        r"FE national \(G = 31\), FE east \(G = 11\), FE central \(G = 8\), "
        r"FE west \(G = 12\): clustered",
        basis,
    )
    md = render_tables(run.estimates, run.models, fmt="md", tables=[5])
    assert "Stars rest on" in md and "wild cluster bootstrap" in md
