"""The data-quality gate: real files pass, results are stored, readers never see half a load."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from agglo import pipeline, quality, warehouse
from agglo.cli import main
from agglo.ingest.catalog import load_catalog
from agglo.ingest.files import discover
from agglo.ingest.readers import read_workbook

OPERATION = "st-yearbook/hightech-operation"


def real_files(yearbooks: Path) -> list[Path]:
    return discover([yearbooks])


def test_every_real_file_passes_the_gate(yearbooks_dir):
    """All 45 real files pass with no warning; the only parse warnings are recorded repairs: a
    misprinted province name read by its other name, a scan-misread number repaired from a row
    identity."""
    catalog = load_catalog()
    files = real_files(yearbooks_dir)
    assert len(files) == 45
    repairs = []
    for path in files:
        report = pipeline.check_file(path, catalog)
        assert report.ok, report.message()
        assert report.warnings == [], report.message("warnings")
        names = {r.expectation for r in report.results}
        assert {"numeric_values", "provinces_complete", "provinces_sum_to_total"} <= names
        assert {"plausible_range.min", "plausible_range.max", "total_range.max"} <= names
        assert {"belts_sum_to_subtotals", "sums_within_printed_rounding"} <= names
        for warning in report.parse_warnings:
            assert " read as " in warning or " repaired to " in warning, warning
            repairs.append(f"{path.parent.name}/{path.name} {warning.split(':')[0]}")
    assert sorted(repairs) == [
        "patent-applications/2014.xls 1!A25",  # 江两 (Jiangxi)
        "rd-funding-source/2012.xls 1!E12",  # 368633! -> 3686332
        "rd-personnel/2013.xls 1!A17",  # 内蒙占 (Inner Mongolia)
        "rd-spending-purpose/2020.xls 1!B20",  # Shanahai (Shanghai)
    ]


def test_patent_national_total_covers_hong_kong_macao_taiwan(yearbooks_dir):
    """In the patent tables 全国 = 31 provinces + Hong Kong + Macao + Taiwan: the catalog says so
    (national_total_includes) and the reconciliation honours it; without it the file fails."""
    import dataclasses

    from agglo.ingest.catalog import Catalog

    catalog = load_catalog()
    path = yearbooks_dir / "st-yearbook" / "patent-grants" / "2019.xls"
    table = catalog["st_patent_grants"]
    assert table.national_total_includes == ("hong_kong", "macao", "taiwan")
    assert pipeline.check_file(path, catalog).ok
    without = dataclasses.replace(table, national_total_includes=())
    report = pipeline.check_file(
        path, Catalog({**catalog.tables, table.table_id: without}, catalog.directory)
    )
    assert [r.expectation for r in report.errors] == ["provinces_sum_to_total"]
    # 2019 designs: 全国 F7 539282 = provinces 536288 + Hong Kong 1523 + Macao 67 + Taiwan 1404
    assert "cell F7" in report.message() and "value=539282, province_sum=536288" in report.message()


def test_suites_are_data_for_every_catalog_table():
    catalog = load_catalog()
    for table in catalog:
        rules = quality.table_rules(table)  # every catalog table gets a suite
        plan = quality.build_suite(rules)
        assert {p.check for p in plan} >= {"numeric_values", "unique_keys", "non_negative"}
        assert rules.severity("year_on_year_jump") == "warning"
        assert rules.severity("provinces_complete") == "error"
    for table_id in ("st_hightech_operation", "st_hightech_rd"):  # ranges from the real extracts
        rules = quality.table_rules(catalog[table_id])
        assert all(r.province_range and r.total_range for r in rules.indicators.values())


def write_rows(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def op_rows(yearbooks: Path, name: str = "2015.xls") -> list[list[str]]:
    return [list(r) for r in read_workbook(yearbooks / OPERATION / name)[0].rows]


def test_results_and_rejections_are_queryable(tmp_path, yearbooks_dir):
    db = tmp_path / "wh.duckdb"
    good = yearbooks_dir / OPERATION / "2015.xls"
    rows = op_rows(yearbooks_dir)
    rows[12][3] = "12.3*"  # 河北... any province's revenue
    for title in rows[:2]:  # the title's year must match the file name's
        title[0] = title[0].replace("2015", "2011")
    bad = write_rows(tmp_path / "raw" / "hightech-operation" / "2011.csv", rows)
    report = pipeline.load_paths([good, bad], warehouse=db, progress=False)
    assert [o.status for o in report.outcomes] == ["loaded", "rejected"]
    con = duckdb.connect(str(db), read_only=True)
    try:
        n, ok = con.execute(
            "SELECT count(*), bool_and(success) FROM raw.dq_results WHERE outcome = 'loaded'"
        ).fetchone()
        assert n >= 20 and ok
        failed = con.execute(
            "SELECT expectation, severity, details FROM raw.dq_results "
            "WHERE outcome = 'rejected' AND NOT success ORDER BY expectation"
        ).fetchall()
        names = [f[0] for f in failed]
        assert "numeric_values" in names and "data_year_matches_file_name" not in names
        assert "data_year_matches_title" not in names  # title and name both say 2011
        rows_json = json.loads(next(f[2] for f in failed if f[0] == "numeric_values"))["rows"]
        assert rows_json[0]["source_cell"] == "D13" and rows_json[0]["value"] == "12.3*"
        rej = con.execute("SELECT file_path, file_hash, failed FROM raw.load_rejections").fetchall()
        assert len(rej) == 1 and rej[0][0].endswith("2011.csv") and len(rej[0][1]) == 64
        failed_json = json.loads(rej[0][2])
        assert {f["expectation"] for f in failed_json} >= {"numeric_values"}
        assert all("province" in r for f in failed_json for r in f["rows"] if "source_cell" in r)
    finally:
        con.close()


def test_year_on_year_jump_is_a_warning_and_recorded(tmp_path, yearbooks_dir):
    db = tmp_path / "wh.duckdb"
    assert pipeline.load_paths(
        [yearbooks_dir / OPERATION / "2015.xls"], warehouse=db, progress=False
    ).ok
    rows = op_rows(yearbooks_dir)
    rows[0][0] = rows[0][0].replace("2015", "2016")
    rows[1][0] = rows[1][0].replace("2015", "2016")
    i = next(k for k, r in enumerate(rows) if r[0].replace(" ", "") == "宁夏")
    old = float(rows[i][2])
    rows[i][2] = str(int(old * 30))  # enterprises x30: plausible, but a jump
    total = next(k for k, r in enumerate(rows) if r[0].replace(" ", "") == "全国")
    rows[total][2] = str(int(float(rows[total][2]) + old * 29))
    path = write_rows(tmp_path / "raw" / "hightech-operation" / "2016.csv", rows)
    report = pipeline.load_paths([path], warehouse=db, progress=False)
    assert report.ok, report.summary()
    assert "year_on_year_jump" in report.summary() and "宁夏" in report.summary()
    con = duckdb.connect(str(db), read_only=True)
    try:
        sev, ok = con.execute(
            "SELECT severity, success FROM raw.dq_results WHERE expectation = 'year_on_year_jump' "
            "AND data_year = 2016"
        ).fetchone()
    finally:
        con.close()
    assert (sev, ok) == ("warning", False)


def test_check_command_validates_without_loading(tmp_path, yearbooks_dir, capsys, monkeypatch):
    monkeypatch.setenv("AGGLO_WAREHOUSE", str(tmp_path / "none.duckdb"))
    good = yearbooks_dir / OPERATION / "2013.xlsx"
    assert main(["check", str(good)]) == 0
    rows = op_rows(yearbooks_dir)
    del rows[20]
    bad = write_rows(tmp_path / "hightech-operation" / "2015.csv", rows)
    assert main(["check", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "2015.csv" in out and "provinces_complete" in out
    assert not (tmp_path / "none.duckdb").exists()


def test_crash_mid_publish_leaves_warehouse_and_next_run_succeeds(
    tmp_path, yearbooks_dir, monkeypatch
):
    db = tmp_path / "wh.duckdb"
    assert pipeline.load_paths(
        [yearbooks_dir / OPERATION / "2013.xlsx"], warehouse=db, progress=False
    ).ok
    before = db.read_bytes()
    calls = []
    real_log = warehouse._log_years

    def crash_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("injected crash mid-publish")
        return real_log(*args, **kwargs)

    monkeypatch.setattr(warehouse, "_log_years", crash_on_second)
    files = [yearbooks_dir / OPERATION / n for n in ("2015.xls", "2018.xls")]
    with pytest.raises(RuntimeError, match="injected crash"):
        pipeline.load_paths(files, warehouse=db, progress=False)
    assert db.read_bytes() == before  # the first file of the run was not published either
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wh.duckdb", "wh.duckdb.lock"]
    monkeypatch.setattr(warehouse, "_log_years", real_log)
    report = pipeline.load_paths(files, warehouse=db, progress=False)
    assert report.count("loaded") == 2


READER = textwrap.dedent(
    """
    import sys, time, duckdb
    db, stop = sys.argv[1], sys.argv[2]
    import os
    seen = []
    while not os.path.exists(stop):
        try:
            con = duckdb.connect(db, read_only=True)
        except duckdb.Error as exc:
            print("ERROR", exc, flush=True)
            continue
        try:
            n = con.execute("SELECT count(*) FROM raw.records").fetchone()[0]
            logged = con.execute("SELECT coalesce(sum(n_records), 0) FROM raw.load_log")
            logged = logged.fetchone()[0]
            files = con.execute("SELECT count(DISTINCT file_path) FROM raw.load_log").fetchone()[0]
        finally:
            con.close()
        print(n, logged, files, flush=True)
    """
)


def test_reader_process_sees_only_complete_states(tmp_path, yearbooks_dir):
    db = tmp_path / "wh.duckdb"
    files = real_files(yearbooks_dir)
    first, rest = files[:1], [f for f in files[1:] if f.name != "2010.xlsx"][:4]
    assert pipeline.load_paths(first, warehouse=db, progress=False).ok
    stop = tmp_path / "stop"
    script = tmp_path / "reader.py"
    script.write_text(READER, encoding="utf-8")
    reader = subprocess.Popen(
        [sys.executable, str(script), str(db), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(0.5)
        report = pipeline.load_paths(rest, warehouse=db, progress=False)
        assert report.ok, report.summary()
        time.sleep(0.5)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=30)
    lines = out.splitlines()
    assert not [line for line in lines if line.startswith("ERROR")], err
    states = {tuple(int(x) for x in line.split()) for line in lines}
    assert len(lines) > 5
    # every state the reader saw is consistent (records match the log) and is either the state
    # before the load (1 file) or after it (all files): never a state between two files
    assert all(n == logged for n, logged, _ in states)
    assert {files_ for _, _, files_ in states} <= {1, 1 + len(rest)}
    assert (1 + len(rest)) in {f for _, _, f in states}


def test_data_docs_are_built_from_stored_results(tmp_path, yearbooks_dir):
    db = tmp_path / "wh.duckdb"
    rows = op_rows(yearbooks_dir)
    rows[12][3] = "n/a"
    bad = write_rows(tmp_path / "raw" / "hightech-operation" / "2015.csv", rows)
    pipeline.load_paths(
        [yearbooks_dir / OPERATION / "2013.xlsx", bad], warehouse=db, progress=False
    )
    index = pipeline.build_dq_docs(warehouse=db, out_dir=tmp_path / "docs")
    assert index.is_file()
    pages = list((tmp_path / "docs" / "validations").rglob("*.html"))
    assert len(pages) == 2
    text = "".join(p.read_text(encoding="utf-8") for p in pages)
    assert "value_flag" in text


def test_one_gate_run_per_load_whatever_the_files(tmp_path, yearbooks_dir, monkeypatch):
    """The gate validates all files of a load together: one Great Expectations run (one validation
    per frame), not one per file, and still a verdict per file."""
    runs = []
    real = quality.validate_many
    monkeypatch.setattr(
        quality, "validate_many", lambda items: runs.append(len(items)) or real(items)
    )
    files = [yearbooks_dir / OPERATION / n for n in ("2013.xlsx", "2015.xls", "2018.xls")]
    report = pipeline.load_paths(files, warehouse=tmp_path / "wh.duckdb", progress=False)
    assert [o.status for o in report.outcomes] == ["loaded"] * 3
    assert runs == [3]


def test_later_files_are_not_judged_against_a_rejected_one(tmp_path, yearbooks_dir, monkeypatch):
    """As if loaded one at a time: a file of the same edition after a rejected one is compared with
    the warehouse without it (first judged assuming it passes, then once more), so it loads."""
    rows = op_rows(yearbooks_dir)
    good = write_rows(tmp_path / "b" / "hightech-operation" / "2015.csv", rows)
    rows[12][3] = "12.3*"  # a province's revenue: numeric_values fails
    bad = write_rows(tmp_path / "a" / "hightech-operation" / "2015.csv", rows)
    runs = []
    real = quality.validate_many
    monkeypatch.setattr(
        quality, "validate_many", lambda items: runs.append(len(items)) or real(items)
    )
    report = pipeline.load_paths([bad, good], warehouse=tmp_path / "wh.duckdb", progress=False)
    assert [o.status for o in report.outcomes] == ["rejected", "loaded"], report.summary()
    assert "numeric_values" in report.outcomes[0].message
    assert runs == [2, 1]  # the second file was first judged against the first's cells
    # agglo check gives the same verdicts
    reports = pipeline.check_files([bad, good], load_catalog())
    assert [r.ok for r in reports] == [False, True]


def test_a_files_results_do_not_depend_on_the_files_validated_with_it(tmp_path, yearbooks_dir):
    """One GE run judges every file of a load on stacked frames; what is stored of a file (its
    checks, offending rows and GE's result, row indices included) is the same whether it was
    validated alone or after other files."""
    from agglo.ingest.parsed import parse_path
    from agglo.quality.validate import GateInput, validate_many

    catalog = load_catalog()
    rows = op_rows(yearbooks_dir)
    rows[12][3] = "12.3*"
    for title in rows[:2]:
        title[0] = title[0].replace("2015", "2011")
    bad = write_rows(tmp_path / "hightech-operation" / "2011.csv", rows)
    others = [yearbooks_dir / OPERATION / "2015.xls", *real_files(yearbooks_dir)[:3]]

    def stored(paths):
        reports = validate_many([GateInput(parse_path(p, catalog)) for p in paths])
        return [json.dumps(r.details(), sort_keys=True) for r in reports[-1].results]

    alone, after_others = stored([bad]), stored([*others, bad])
    assert alone == after_others
    assert any('"unexpected_index_list": [' in d and '"unexpected_count": 1' in d for d in alone)
