"""Fault corpus: real (and demo) yearbook files with one fault each must be rejected by the gate.

Each fault is built from a real extract in ../shared/yearbooks (read and decrypted with the readers,
a few cells changed, written as CSV or xlsx into tmp_path; the real files are never copied into the
repository). Every faulty file must be rejected with a message naming the file and the problem, and
the warehouse's published tables (raw.records, raw.load_log) must stay byte-for-byte the same.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from agglo import paths, pipeline
from agglo.ingest.catalog import load_catalog
from agglo.ingest.files import discover
from agglo.ingest.readers import read_workbook

OPERATION = "st-yearbook/hightech-operation"
RD = "st-yearbook/hightech-rd"


def rows_of(yearbooks: Path, rel: str) -> list[list[str]]:
    return [list(r) for r in read_workbook(yearbooks / rel)[0].rows]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def find(rows: list[list[str]], label: str) -> int:
    """Index of the row whose first cell (spaces removed) is ``label``."""
    for i, r in enumerate(rows):
        if r and r[0].replace(" ", "").replace("\u3000", "") == label:
            return i
    raise KeyError(label)


def col(rows: list[list[str]], header: str) -> int:
    """Index of the column whose header cell (first 8 rows) contains ``header``."""
    for r in rows[:8]:
        for c, text in enumerate(r):
            if header in text.replace(" ", "").replace("\n", ""):
                return c
    raise KeyError(header)


def provinces(rows):
    start = find(rows, "北京")
    return range(start, start + 31)


# -- faults: (name, base file, builder(rows, out_dir) -> written path, words in the message) --


def _op(rows, d, name="2015.csv"):
    return write_csv(d / "hightech-operation" / name, rows)


def f_unit_slip(rows, d):
    c = col(rows, "主营业务收入")
    for i in [*provinces(rows), find(rows, "全国")]:
        rows[i][c] = str(float(rows[i][c]) * 10000)
    return _op(rows, d)


def f_unit_line_slip(rows, d):
    rows[2][0] = "单位：万元"
    return _op(rows, d)


def f_single_province_slip(rows, d):
    rows[find(rows, "广东")][col(rows, "主营业务收入")] += "0000"
    return _op(rows, d)


def f_missing_province(rows, d):
    del rows[find(rows, "西藏")]
    return _op(rows, d)


def f_duplicated_province(rows, d):
    i = find(rows, "北京")
    rows.insert(i + 1, list(rows[i]))
    return _op(rows, d)


def f_province_renamed_to_another(rows, d):
    rows[find(rows, "天津")][0] = "北京"
    rows[find(rows, "天津") if False else find(rows, "北京") + 1][1] = "Beijing"
    return _op(rows, d)


def f_swapped_columns(rows, d):
    a, b = col(rows, "主营业务收入"), col(rows, "利润总额")
    for r in rows[4:]:
        r[a], r[b] = r[b], r[a]
    return _op(rows, d)


def f_shifted_header(rows, d):
    header = rows[3]
    rows[3] = header[:2] + [""] + header[2:-1]
    return _op(rows, d)


def f_footnote_mark(rows, d):
    rows[find(rows, "山西")][col(rows, "利润总额")] = "12.3*"
    return _op(rows, d)


def f_ellipsis_required(rows, d):
    rows[find(rows, "山西")][col(rows, "主营业务收入")] = "…"
    return _op(rows, d)


def f_dash_required(rows, d):
    rows[find(rows, "吉林")][col(rows, "企业数")] = "—"
    return _op(rows, d)


def f_text_na(rows, d):
    rows[find(rows, "湖北")][col(rows, "出口交货值")] = "n/a"
    return _op(rows, d)


def f_decimal_comma(rows, d):
    rows[find(rows, "湖南")][col(rows, "主营业务收入")] = "1.234,5"
    return _op(rows, d)


def f_negative_value(rows, d):
    rows[find(rows, "河北")][col(rows, "企业数")] = "-633"
    return _op(rows, d)


def f_totals_do_not_add_up(rows, d):
    c = col(rows, "主营业务收入")
    i = find(rows, "江苏")
    rows[i][c] = str(round(float(rows[i][c]) * 1.1))
    return _op(rows, d)


def f_national_total_wrong(rows, d):
    rows[find(rows, "全国")][col(rows, "企业数")] = "39631"
    return _op(rows, d)


def f_profit_above_revenue(rows, d):
    rows[find(rows, "海南")][col(rows, "利润总额")] = "900"
    return _op(rows, d)


def f_wrong_data_year(rows, d):
    return _op(rows, d, "2014.csv")  # the title says 2015


def f_no_year_in_name(rows, d):
    for title in rows[:2]:  # a title that prints the year would give it
        title[0] = title[0].replace("(2015年)", "").replace("(2015)", "")
    return _op(rows, d, "latest.csv")


def f_unknown_province(rows, d):
    rows[find(rows, "海南")][0:2] = ["海 角", "Haijiao"]
    return _op(rows, d)


def f_no_catalog_table(rows, d):
    rows[0][0] = "5-9各地区高技术产业新产品情况(2015年)"
    rows[1][0] = "New Products in High-tech Industry by Region(2015)"
    return write_csv(d / "other" / "2015.csv", rows)


def f_required_column_missing(rows, d):
    c = col(rows, "主营业务收入")
    for r in rows:
        del r[c]
    return _op(rows, d)


def f_header_removed(rows, d):
    del rows[3]
    return _op(rows, d)


def f_no_data_rows(rows, d):
    return _op(rows[:4], d)


def f_empty_file(rows, d):
    path = d / "hightech-operation" / "2015.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def f_truncated_xlsx(rows, d):
    path = write_xlsx(d / "hightech-operation" / "2015.xlsx", rows)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def f_encrypted_unknown_password(rows, d):
    import msoffcrypto.format.ooxml

    plain = write_xlsx(d / "plain.xlsx", rows)
    out = io.BytesIO()
    with plain.open("rb") as fh:
        msoffcrypto.format.ooxml.OOXMLFile(fh).encrypt("not-the-default", out)
    plain.unlink()
    path = d / "hightech-operation" / "2015.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())
    return path


def f_binary_garbage(rows, d):
    path = d / "hightech-operation" / "2015.xls"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(range(256)) * 8)
    return path


def f_rd_unit_slip(rows, d):
    c = col(rows, "新产品销售收入")
    for i in provinces(rows):
        if rows[i][c]:
            rows[i][c] = str(float(rows[i][c]) * 10000)
    return write_csv(d / "hightech-rd" / "2022.csv", rows)


def f_rd_export_swapped(rows, d):
    a, b = col(rows, "新产品销售收入"), col(rows, "#出口")
    for r in rows[6:]:
        r[a], r[b] = r[b], r[a]
    return write_csv(d / "hightech-rd" / "2022.csv", rows)


def f_rd_negative(rows, d):
    rows[find(rows, "上海")][col(rows, "R&D经费内部支出")] = "-1"
    return write_csv(d / "hightech-rd" / "2022.csv", rows)


OP15 = f"{OPERATION}/2015.xls"
RD22 = f"{RD}/2022.xls"
FAULTS: list[tuple[str, str, Callable, list[str]]] = [
    ("unit slip x10000 (whole column)", OP15, f_unit_slip, ["plausible_range.max[revenue]"]),
    ("unit line 亿元 -> 万元", OP15, f_unit_line_slip, ["total_range.min"]),
    ("unit slip in one province", OP15, f_single_province_slip, ["plausible_range.max[revenue]"]),
    ("missing province", OP15, f_missing_province, ["provinces_complete", "西藏"]),
    ("duplicated province", OP15, f_duplicated_province, ["unique_keys", "北京"]),
    ("province renamed to another", OP15, f_province_renamed_to_another, ["unique_keys"]),
    ("swapped columns", OP15, f_swapped_columns, ["indicator_not_above[profit<=revenue]"]),
    ("shifted header", OP15, f_shifted_header, ["indicator_not_above"]),
    ("footnote mark 12.3*", OP15, f_footnote_mark, ["numeric_values", "'12.3*'"]),
    ("… in a required indicator", OP15, f_ellipsis_required, ["required_values_present", "…"]),
    ("— in a required indicator", OP15, f_dash_required, ["required_values_present", "—"]),
    ("text n/a", OP15, f_text_na, ["numeric_values", "n/a"]),
    ("decimal comma", OP15, f_decimal_comma, ["numeric_values", "1.234,5"]),
    ("negative value", OP15, f_negative_value, ["non_negative", "-633"]),
    ("totals do not add up", OP15, f_totals_do_not_add_up, ["provinces_sum_to_total", "revenue"]),
    ("wrong national total", OP15, f_national_total_wrong, ["provinces_sum_to_total"]),
    ("profit above revenue", OP15, f_profit_above_revenue, ["indicator_not_above", "海南"]),
    (
        "wrong data year (2014 named, 2015 title)",
        OP15,
        f_wrong_data_year,
        ["file_parses", "the title", "says data year 2015", "the file name '2014.csv' says 2014"],
    ),
    (
        "no year in the file name or title",
        OP15,
        f_no_year_in_name,
        ["file_parses", "no data year", "neither the title nor the file name"],
    ),
    ("province name that matches nothing", OP15, f_unknown_province, ["file_parses", "海 角"]),
    (
        "table with no catalog entry",
        OP15,
        f_no_catalog_table,
        ["file_parses", "matches no catalog table"],
    ),
    ("required column missing", OP15, f_required_column_missing, ["file_parses", "revenue"]),
    ("header row removed", OP15, f_header_removed, ["file_parses"]),
    ("no data rows", OP15, f_no_data_rows, ["file_parses"]),
    ("empty file", OP15, f_empty_file, ["file_parses"]),
    ("truncated xlsx", OP15, f_truncated_xlsx, ["file_parses"]),
    ("encrypted, unknown password", OP15, f_encrypted_unknown_password, ["file_parses"]),
    ("binary garbage named .xls", OP15, f_binary_garbage, ["file_parses"]),
    ("R&D unit slip x10000", RD22, f_rd_unit_slip, ["plausible_range.max[new_product_sales]"]),
    ("R&D sales/export swapped", RD22, f_rd_export_swapped, ["indicator_not_above"]),
    ("R&D negative expenditure", RD22, f_rd_negative, ["non_negative"]),
]


def snapshot(db: Path) -> tuple[list, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        records = con.execute("SELECT * FROM raw.records ORDER BY ALL").fetchall()
        log = con.execute("SELECT * FROM raw.load_log ORDER BY ALL").fetchall()
    finally:
        con.close()
    return records, log


@pytest.fixture(scope="module")
def baseline(tmp_path_factory, yearbooks_dir):
    """A warehouse holding two real files (operation 2013, R&D 2021), built once for the module."""
    home = tmp_path_factory.mktemp("faults")
    db = home / "warehouse" / "agglo.duckdb"
    report = pipeline.load_paths(
        [yearbooks_dir / OPERATION / "2013.xlsx", yearbooks_dir / RD / "2021.xls"],
        warehouse=db,
        catalog=load_catalog(),
        progress=False,
    )
    assert report.ok, report.summary()
    return db


@pytest.mark.parametrize(("name", "base", "build", "words"), FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_is_rejected_and_warehouse_unchanged(
    name, base, build, words, baseline, yearbooks_dir, tmp_path
):
    before = snapshot(baseline)
    path = build(rows_of(yearbooks_dir, base), tmp_path / "raw")
    report = pipeline.load_paths([path], warehouse=baseline, catalog=load_catalog(), progress=False)
    assert not report.ok, f"{name}: not rejected\n{report.summary()}"
    outcome = report.outcomes[0]
    assert outcome.status == "rejected"
    summary = report.summary()
    assert path.name in summary and str(path.parent.name) in summary
    for word in words:
        assert word in summary, f"{name}: {word!r} not in\n{summary}"
    assert snapshot(baseline) == before
    con = duckdb.connect(str(baseline), read_only=True)
    try:
        rejected = con.execute(
            "SELECT count(*) FROM raw.load_rejections WHERE file_path = ?", [outcome.path]
        ).fetchone()[0]
        failed = con.execute(
            "SELECT count(*) FROM raw.dq_results WHERE file_path = ? AND NOT success "
            "AND severity = 'error'",
            [outcome.path],
        ).fetchone()[0]
    finally:
        con.close()
    assert rejected == 1 and failed >= 1


def test_corpus_is_large_enough():
    assert len({f[2] for f in FAULTS}) >= 25


def demo_files() -> list[Path]:
    demo = paths.raw_dir() / "demo"
    return discover([demo]) if demo.is_dir() else []


DEMO_FAULTS = [
    ("missing province", ["provinces_complete"]),
    ("footnote mark", ["numeric_values", "'12*'"]),
    ("unit slip x10000", ["plausible_range"]),
]


@pytest.mark.skipif(not demo_files(), reason="no demo extracts under raw/demo yet")
@pytest.mark.parametrize(("fault", "words"), DEMO_FAULTS, ids=[f[0] for f in DEMO_FAULTS])
def test_demo_file_faults(fault, words, tmp_path):
    """A demo extract passes the gate; with one fault written into a copy it fails it."""
    catalog = load_catalog()
    source = next(p for p in demo_files() if p.parent.name == "gdp")  # csy_gdp, one block
    assert pipeline.check_file(source, catalog).ok
    rows = [list(r) for r in read_workbook(source)[0].rows]
    beijing = next(i for i, r in enumerate(rows) if r and r[0].replace(" ", "") == "北京")
    first_value = next(c for c, v in enumerate(rows[beijing]) if c > 1 and v)
    if fault == "missing province":
        del rows[beijing]
    elif fault == "footnote mark":
        rows[beijing + 1][first_value] = "12*"
    else:
        for r in rows[beijing : beijing + 31]:
            r[first_value] = str(float(r[first_value]) * 10000)
    target = write_csv(tmp_path / "csy" / "gdp" / f"{source.stem}.csv", rows)
    report = pipeline.check_file(target, catalog)
    assert not report.ok
    message = report.message()
    assert target.name in message
    for word in words:
        assert word in message, message
