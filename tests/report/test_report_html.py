"""The report built from a real warehouse: its HTML, figures, exports and marks."""

from __future__ import annotations

from pathlib import Path

import duckdb
import lxml.html
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from agglo.cli import main
from agglo.report import agreement as ag
from agglo.report.expected import load as load_expected
from estimation.spec import load_spec

pytestmark = pytest.mark.e2e

TABLES = range(1, 9)
FIGURE_KEYS = ["coverage"] + [f"scatter-{i}" for i in ("T", "T1", "T2", "T3", "T4", "T5")]


@pytest.fixture(scope="module")
def page(report_dir):
    return lxml.html.parse(str(report_dir / "index.html")).getroot()


def _text(el) -> str:
    return " ".join(el.text_content().split())


def test_every_table_1_to_8(page):
    for n in TABLES:
        section = page.get_element_by_id(f"table-{n}")
        assert _text(section.find("h2")).startswith(f"Table {n}.")
        grid = page.get_element_by_id(f"table-{n}-grid")
        sides = [_text(th) for th in grid.findall("tr")[1].findall("th")][1:]
        assert sides[:3] == ["ours", "paper", "agreement"]
        labels = [_text(tr.find("td")) for tr in grid.findall("tr")[2:]]
        assert "Constant" in labels and "Observations" in labels
        assert grid.find_class("agreement"), f"table {n} has no agreement cells"
        assert "same sign" in _text(section)


def test_every_figure_is_an_image_file(page, report_dir):
    imgs = page.findall(".//img")
    srcs = [img.get("src") for img in imgs]
    assert len(imgs) == 13  # coverage + (scatter + bars) × (T, T1–T5)
    for key in FIGURE_KEYS:
        assert f"assets/{key}.png" in srcs
    assert sum(s.startswith("assets/bars-") for s in srcs) == 6
    alts = " ".join(img.get("alt") for img in imgs)
    for n in range(1, 6):
        assert f"Figure {n}." in alts
    for img in imgs:
        path = report_dir / img.get("src")
        assert path.stat().st_size > 10_000, path
        with Image.open(path) as im:
            assert im.size == (int(img.get("width")), int(img.get("height")))
            assert np.asarray(im.convert("L"), dtype=float).std() > 5, f"{path} looks blank"


def _summary_row(page, table: str) -> dict[str, str]:
    """One row of the agreement summary, keyed by column header."""
    rows = page.get_element_by_id("agreement-summary").findall("tr")
    heads = [_text(th) for th in rows[0].findall("th")]
    for row in rows[1:]:
        cells = [_text(td) for td in row.findall("td")]
        if cells[0] in (table, f"Table {table}"):
            return dict(zip(heads, cells, strict=True))
    raise AssertionError(f"no summary row for table {table}")


def test_expected_agreement_beside_observed(page):
    """On the demo warehouse the summary shows, per table, the stored expectation beside the
    observed agreement (agglo.report.expected)."""
    expected = load_expected().set_index("table")
    for table in [*(str(n) for n in range(1, 9)), "all"]:
        cells = _summary_row(page, table)
        row = expected.loc[table]
        assert cells["same sign expected (demo design)"] == (
            f"{row['expected_same_sign']:.0%} ± {row['sd_same_sign']:.0%}"
        )
        assert cells["same stars expected (demo design)"] == (
            f"{row['expected_same_stars']:.0%} ± {row['sd_same_stars']:.0%}"
        )
    note = _text(page.get_element_by_id("expected-agreement"))
    assert f"{int(expected['draws'].iloc[0])} simulated draws" in note
    assert "agglo demo-data --expected-agreement" in note


def test_simulated_data_note(page):
    note = page.get_element_by_id("simulated-note")
    assert "Simulated data" in _text(note) and "raw/demo/" in _text(note)


def test_provenance_footer(page, run_row):
    footer = page.get_element_by_id("provenance")
    assert footer.tag == "footer"
    text = _text(footer)
    for value in (run_row["run_id"], run_row["spec_hash"], run_row["data_hash"]):
        assert value in text
    for package in ("numpy", "pandas", "linearmodels", "duckdb", "matplotlib"):
        assert package in text
    assert "report built" in text


def test_specification_choices_section(page, report_dir, report_warehouse):
    """Every choice of the spec file is a row with the paper's words and lines, what we do and
    why; the same rows are in report.md and in the warehouse's results.spec_choices."""
    spec = load_spec()
    table = page.get_element_by_id("choices-table")
    rows = {tr.get("id"): tr for tr in table.findall("tr")[1:]}
    assert list(rows) == [f"choice-{c.id}" for c in spec.choices]
    md = (report_dir / "report.md").read_text(encoding="utf-8")
    md_section = md.split("## Specification choices", 1)[1].split("\n## ", 1)[0]
    for choice in spec.choices:
        cells = [_text(td) for td in rows[f"choice-{choice.id}"].findall("td")]
        assert cells[0] == choice.topic and cells[3] == choice.ours and cells[4] == choice.why
        for q in choice.paper:
            assert f"{q.lines} {q.quote}" in cells[2]
            assert f"{q.lines}: 「{q.quote}」" in md_section
        assert f"| {choice.topic} |" in md_section
    assert page.xpath("//nav//a[@href='#specification-choices']")
    note = _text(page.get_element_by_id("table-5"))
    assert "Specification choices for this table" in note and "inference with few clusters" in note
    with duckdb.connect(str(report_warehouse), read_only=True) as con:
        stored = con.sql("select choice_id from results.spec_choices order by choice_order").df()
    assert stored["choice_id"].drop_duplicates().tolist() == [c.id for c in spec.choices]


def test_data_section(page):
    loads = page.get_element_by_id("loads")
    rows = loads.findall("tr")[1:]
    assert len(rows) > 50
    assert all("raw/demo/" in _text(r) for r in rows)
    assert {_text(r.findall("td")[-1]) for r in rows} <= {"passed", "warnings", "errors"}


def test_diagnostics_section(page, report_warehouse):
    table = page.get_element_by_id("diagnostics-table")
    text = _text(table)
    assert "SYS-GMM T national" in text and "FE T1 national" in text
    with duckdb.connect(str(report_warehouse), read_only=True) as con:
        fits = con.sql("select count(*) from results.models where reported").fetchall()[0][0]
    assert len(table.findall("tr")) - 1 == fits  # every reported fit
    flagged = [_text(tr) for tr in table.findall("tr")[1:] if tr.find_class("flag")]
    assert flagged and all("✗" in row or ">" in row for row in flagged)


def test_nothing_from_the_network(report_dir):
    html = (report_dir / "index.html").read_text(encoding="utf-8")
    assert "<script" not in html
    assert "http://" not in html and "https://" not in html
    assert "@import" not in html and "url(" not in html


def _cell_number(text: str) -> tuple[float, int]:
    return float(text.rstrip("*")), len(text) - len(text.rstrip("*"))


def test_marks_match_the_cells(page):
    """Each mark agrees with the two numbers beside it (rounded as printed)."""
    checked = 0
    for n in TABLES:
        grid = page.get_element_by_id(f"table-{n}-grid")
        for tr in grid.findall("tr")[2:]:
            if tr.get("class") != "coef":
                continue
            label = _text(tr.findall("td")[0])
            cells = tr.findall("td")[1:]
            for ours, paper, mark in zip(cells[0::3], cells[1::3], cells[2::3], strict=True):
                if not _text(ours) or not _text(paper):
                    continue
                coef, stars = _cell_number(_text(ours))
                if coef == 0:
                    continue  # the printed rounding hides the sign
                pub, pub_stars = _cell_number(_text(paper))
                expected = ag.compare(
                    coef, stars, _text(paper).rstrip("*"), pub_stars, scored=label != "Constant"
                )
                assert _text(mark) == expected.mark(), (n, _text(ours), _text(paper))
                assert expected.status in mark.get("class").split()
                checked += 1
    assert checked >= 300


def test_exports(report_dir):
    for n in TABLES:
        csv = pd.read_csv(report_dir / "tables" / f"table_{n}.csv", dtype=str)
        assert any(c.endswith("| agreement") for c in csv.columns)
        assert any(c.endswith("| paper") for c in csv.columns)
        tex = (report_dir / "tables" / f"table_{n}.tex").read_text(encoding="utf-8")
        assert r"\begin{tabular}" in tex and f"Table {n}." in tex
    md = (report_dir / "report.md").read_text(encoding="utf-8")
    assert "Simulated data" in md
    for n in TABLES:
        assert f"## Table {n}." in md
    assert "](assets/scatter-T1.png)" in md


def test_missing_warehouse_is_a_clear_error(tmp_path, capsys):
    assert (
        main(["report", "--warehouse", str(tmp_path / "none.duckdb"), "--out", str(tmp_path)]) == 2
    )
    assert "no warehouse" in capsys.readouterr().err


def test_report_paths_are_relative(report_dir):
    html = (report_dir / "index.html").read_text(encoding="utf-8")
    assert str(Path(report_dir)) + "/assets" not in html


def test_unknown_year_is_a_clear_error(report_warehouse, tmp_path, capsys):
    args = [
        "report",
        "--warehouse",
        str(report_warehouse),
        "--out",
        str(tmp_path),
        "--year",
        "1990",
    ]
    assert main(args) == 2
    assert "no panel year 1990" in capsys.readouterr().err


def test_simulated_detection():
    from agglo.report.data import ReportData

    def data(paths: list[str]) -> ReportData:
        empty = pd.DataFrame()
        loads = pd.DataFrame({"file_path": paths})
        return ReportData(Path("x"), loads, *[empty] * 8)

    assert data(["raw/demo/csy/gdp/2015.xls", "raw/st/2015.xls"]).simulated
    assert not data(["raw/st-yearbook/2015.xls", "raw/other/demo.xls"]).simulated


def test_data_banner_describes_what_is_loaded():
    """From raw.load_log (one row per file × table): all simulated, some, or none (issue 16)."""
    from agglo.report.data import ReportData

    def banner(paths: list[str]) -> str:
        empty = pd.DataFrame()
        return ReportData(Path("x"), pd.DataFrame({"file_path": paths}), *[empty] * 8).data_banner

    only_demo = banner(["raw/demo/csy/gdp/2015.xls", "raw/demo/csy/gdp/2015.xls"])
    assert only_demo.startswith("All 1 yearbook files") and "raw/demo/" in only_demo
    mixed = banner(["raw/demo/csy/gdp/2015.xls", "raw/demo/csy/gdp/2016.xls", "/data/st/2015.xls"])
    assert "2 of the 3 yearbook files" in mixed and "the other 1 (/data/st/2015.xls)" in mixed
    assert "mix simulated and real values" in mixed and not mixed.startswith("All")
    assert banner(["/data/st/2015.xls"]) == ""


def test_report_banner_after_a_real_file_is_loaded(report_warehouse, tmp_path, yearbooks_dir):
    """The demo warehouse with one real download added: the banner no longer says every file
    comes from raw/demo/, it counts them and names the real one."""
    import shutil

    from agglo.pipeline import load_paths

    copy = tmp_path / "mixed.duckdb"
    shutil.copy(report_warehouse, copy)
    real = yearbooks_dir / "st-yearbook" / "rd-intensity" / "2019.xls"
    assert load_paths([real], warehouse=copy, progress=False).ok
    with duckdb.connect(str(copy), read_only=True) as con:
        (n_files,) = con.execute("select count(distinct file_path) from raw.load_log").fetchone()
    out = tmp_path / "report"
    assert main(["report", "--warehouse", str(copy), "--out", str(out)]) == 0
    note = _text(
        lxml.html.parse(str(out / "index.html")).getroot().get_element_by_id("simulated-note")
    )
    assert f"{n_files - 1} of the {n_files} yearbook files" in note, note
    assert "rd-intensity/2019.xls" in note and "mix simulated and real values" in note
    assert "mix simulated and real values" in (out / "report.md").read_text(encoding="utf-8")


def test_warehouse_without_results(report_warehouse, tmp_path):
    """Without estimates the report still builds: published values, ours 'not estimated'."""
    import shutil

    copy = tmp_path / "nores.duckdb"
    shutil.copy(report_warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("drop schema results cascade")
    out = tmp_path / "report"
    assert main(["report", "--warehouse", str(copy), "--out", str(out)]) == 0
    page = lxml.html.parse(str(out / "index.html")).getroot()
    assert "no estimation results" in _text(page.get_element_by_id("provenance"))
    cells = _summary_row(page, "all")
    assert cells["coefficients compared"] == "0" and int(cells["not estimated"]) > 300
