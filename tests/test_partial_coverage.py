"""Partial coverage is the normal case: real files for some tables and years build green.

Two end-to-end builds, as a new user would run them: (1) the demo warehouse plus one real file for a
year the demo lacks (`hightech-operation/2018.xls`, loaded from outside raw/ with `agglo load`),
then `agglo build` again; (2) `agglo build --raw DIR` from a folder holding a few real downloads,
which must build from them alone (no demo data in the result). Both must succeed, hold the real
file's data, and report coverage instead of failing on marts whose inputs are absent.
"""

from __future__ import annotations

import shutil

import pytest
from db_support import query

from agglo.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REAL = "st-yearbook/hightech-operation/2018.xls"
# a few real downloads: two editions of the table with one column per year, and one other table
FOLDER = [REAL, "st-yearbook/rd-intensity/2019.xls", "st-yearbook/rd-intensity/2021.xls"]


def test_one_real_file_in_the_demo_warehouse_builds_green(tmp_path, yearbooks_dir, capsys):
    warehouse = tmp_path / "agglo.duckdb"
    assert main(["build", "--quiet", "--no-estimate", "--warehouse", str(warehouse)]) == 0
    real = (yearbooks_dir / REAL).resolve()
    assert main(["load", "--quiet", "--warehouse", str(warehouse), str(real)]) == 0
    capsys.readouterr()
    code = main(["build", "--quiet", "--no-estimate", "--warehouse", str(warehouse)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "st_hightech_operation" in out  # the coverage lists the real table
    # the real file is still loaded (a build mirrors raw/ but keeps files loaded from elsewhere)
    assert query(
        warehouse,
        "SELECT data_year, vintage, n_records > 0 FROM raw.load_log WHERE file_path = ?",
        [real.as_posix()],
    ) == [(2018, 2018, True)]
    provinces = query(
        warehouse,
        "SELECT count(DISTINCT province_code) FROM staging.stg_raw__records "
        "WHERE source_file = ? AND entity_kind = 'province'",
        [real.as_posix()],
    )
    assert provinces == [(31,)]


def test_build_from_a_folder_of_real_files_alone(tmp_path, yearbooks_dir, capsys):
    downloads = tmp_path / "downloads"
    for rel in FOLDER:
        target = downloads / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(yearbooks_dir / rel, target)
    warehouse = tmp_path / "real.duckdb"
    code = main(["build", "--quiet", "--raw", str(downloads), "--warehouse", str(warehouse)])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "st_rd_intensity" in out and "2012–2021 (editions 2019, 2021)" in out
    tables = query(warehouse, "SELECT DISTINCT table_id FROM raw.load_log ORDER BY 1")
    assert tables == [("st_hightech_operation",), ("st_rd_intensity",)]  # no demo table
    files = query(warehouse, "SELECT count(DISTINCT file_path) FROM raw.load_log")
    assert files == [(len(FOLDER),)]
    demo = query(warehouse, "SELECT count(*) FROM raw.records WHERE source_file LIKE '%raw/demo/%'")
    assert demo == [(0,)]
