"""The `agglo` command's terminal output: library log records below WARNING go to the log file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AGGLO = Path(sys.executable).with_name("agglo")
# an .xls encrypted with Excel's default password: decrypting it logs through the root logger
ENCRYPTED_XLS = "st-yearbook/hightech-operation/2015.xls"


def test_load_prints_no_library_info_lines(tmp_path, yearbooks_dir):
    home = tmp_path / "home"
    (home / "raw").mkdir(parents=True)
    for rel in ("raw/catalog", "dbt_project", "expectations"):
        (home / rel).symlink_to(ROOT / rel)
    env = {
        **os.environ,
        "AGGLO_HOME": str(home),
        "AGGLO_WAREHOUSE": str(tmp_path / "wh.duckdb"),
    }
    proc = subprocess.run(
        [str(AGGLO), "load", "--quiet", str(yearbooks_dir / ENCRYPTED_XLS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("1 loaded"), proc.stdout
    terminal = proc.stdout + proc.stderr
    assert "Created temporary directory" not in terminal, terminal
    assert not re.search(r"^(INFO|DEBUG)\b|\bINFO:", terminal, re.MULTILINE), terminal
    log = (home / "logs" / "agglo.log").read_text(encoding="utf-8")
    assert "for ephemeral docs site" in log  # it went to the log file instead


# --- vintages and editions on real files (the loader against ../shared/yearbooks) ---
HT_2010_XLS = "st-yearbook/hightech-operation/2010.xls"  # 7 indicators
HT_2010_XLSX = "st-yearbook/hightech-operation/2010.xlsx"  # the same edition, 3 of them


def _query(db, sql):
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _cells(db):
    """(key → value) of every record: the cells the warehouse holds, whoever holds them."""
    rows = _query(
        db,
        "SELECT table_id, entity_kind, province_code, aggregate_code, industry_code, indicator, "
        "data_year, vintage, value, source_file FROM raw.records",
    )
    cells = {row[:8]: row[8] for row in rows}
    assert len(cells) == len(rows)  # one copy of each cell of each edition
    return cells, {row[9] for row in rows}


def _explained(db) -> bool:
    """Everything in raw.records is accounted for by raw.load_log."""
    ((records, logged),) = _query(
        db, "SELECT (SELECT count(*) FROM raw.records), (SELECT sum(n_records) FROM raw.load_log)"
    )
    return records == logged


def test_overlapping_editions_are_both_kept(tmp_path, yearbooks_dir):
    from agglo import pipeline

    db = tmp_path / "wh.duckdb"
    report = pipeline.load_paths(
        [yearbooks_dir / "st-yearbook" / "rd-intensity"], warehouse=db, progress=False
    )
    assert report.ok and report.count("loaded") == 2, report.summary()
    editions = _query(
        db,
        "SELECT data_year, list(DISTINCT vintage ORDER BY vintage) FROM raw.records "
        "WHERE entity_kind = 'province' GROUP BY 1 ORDER BY 1",
    )
    # the 2019 edition prints 2012-2019, the 2021 edition 2012-2021: 2012-2019 twice
    assert editions == [(y, [2019, 2021]) for y in range(2012, 2020)] + [
        (2020, [2021]),
        (2021, [2021]),
    ]
    per_edition = _query(
        db,
        "SELECT vintage, count(DISTINCT province_code) FROM raw.records "
        "WHERE data_year = 2015 AND entity_kind = 'province' GROUP BY 1 ORDER BY 1",
    )
    assert per_edition == [(2019, 31), (2021, 31)]
    log = _query(db, "SELECT count(*), count(duplicate_of) FROM raw.load_log")
    assert log == [(8 + 10, 0)] and _explained(db)


def test_same_edition_in_two_files_is_kept_once_as_the_union(tmp_path, yearbooks_dir):
    """The .xlsx (3 indicators) loaded first, then the .xls of the same edition (7): the shared
    cells agree and are kept once (the .xlsx's), the .xls adds the 4 indicators only it prints.
    Unloading the .xlsx moves the kept copy to the .xls, with the same values."""
    from agglo import pipeline

    db = tmp_path / "wh.duckdb"
    xls, xlsx = yearbooks_dir / HT_2010_XLS, yearbooks_dir / HT_2010_XLSX
    assert pipeline.load_paths([xlsx], warehouse=db, progress=False).ok
    report = pipeline.load_paths([xls], warehouse=db, progress=False)
    assert report.ok, report.summary()
    assert f"same edition as {xlsx.resolve().as_posix()}" in report.summary()
    log = _query(
        db,
        "SELECT file_path, vintage, n_records, duplicate_of, n_duplicates FROM raw.load_log "
        "ORDER BY file_path",
    )
    xls_rel, xlsx_rel = xls.resolve().as_posix(), xlsx.resolve().as_posix()
    assert log == [(xls_rel, 2010, 140, xlsx_rel, 105), (xlsx_rel, 2010, 105, None, 0)]
    union, holders = _cells(db)
    assert len(union) == 245 and holders == {xls_rel, xlsx_rel} and _explained(db)
    indicators = {key[5] for key in union}
    assert len(indicators) == 7

    removed = pipeline.unload_paths([xlsx], warehouse=db)
    assert removed.removed == [xlsx_rel] and [o.status for o in removed.moved] == ["loaded"]
    after, holders = _cells(db)
    assert holders == {xls_rel} and after.keys() == union.keys()
    # the same printed numbers, read from the other file: equal within half a unit of the last
    # digit the yearbook prints (one decimal at most in this table), never more
    assert all(
        (a is None and b is None) or abs(a - b) <= 0.05
        for a, b in zip((after[k] for k in union), union.values(), strict=True)
    )
    assert _query(db, "SELECT file_path, n_records, duplicate_of FROM raw.load_log") == [
        (xls_rel, 245, None)
    ]


def test_check_gives_the_load_verdicts_for_an_xls_and_its_xlsx(yearbooks_dir, capsys):
    from agglo.pipeline import check_paths

    code = check_paths(
        [yearbooks_dir / HT_2010_XLS, yearbooks_dir / HT_2010_XLSX], warehouse=Path("/nonexistent")
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("ok       ") == 2 and "2 passed, 0 failed" in out


def test_a_full_load_of_a_folder_alone_drops_what_came_from_elsewhere(tmp_path, yearbooks_dir):
    """`agglo build --raw DIR`'s load: the warehouse ends with DIR's files and nothing else."""
    from agglo import pipeline

    db = tmp_path / "wh.duckdb"
    other = yearbooks_dir / "st-yearbook" / "hightech-operation" / "2018.xls"
    assert pipeline.load_paths([other], warehouse=db, progress=False).ok
    folder = yearbooks_dir / "st-yearbook" / "rd-intensity"
    report = pipeline.load_paths(None, warehouse=db, progress=False, raw=folder, only_raw=True)
    assert report.ok and report.pruned == [other.resolve().as_posix()]
    files = [f for (f,) in _query(db, "SELECT DISTINCT file_path FROM raw.load_log ORDER BY 1")]
    assert files == [p.resolve().as_posix() for p in sorted(folder.glob("*.xls"))]
    assert _query(db, "SELECT DISTINCT table_id FROM raw.records") == [("st_rd_intensity",)]
    assert _explained(db)


def test_build_reports_coverage_and_empty_marts():
    from agglo.build import BuildReport
    from agglo.pipeline import LoadReport

    report = BuildReport(
        load=LoadReport(),
        coverage=[
            ("st_hightech_operation", [2010, 2011, 2012, 2018], [2010, 2011, 2012, 2018]),
            ("st_rd_intensity", list(range(2012, 2022)), [2019, 2021]),
        ],
        mart_rows={"fct_estimation_panel": 0, "fct_innovation_indicators": 62},
    )
    text = report.summary()
    assert "coverage: 2 table(s)" in text
    assert "st_hightech_operation" in text and "2010–2012, 2018\n" in text
    assert "2012–2021 (editions 2019, 2021)" in text
    assert (
        "marts left empty for want of inputs (load the tables they read): fct_estimation_panel"
        in text
    )
