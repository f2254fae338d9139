"""The load gate's contract in `agglo build` (issue 16, item 2): a rejected file is quarantined.

The build keeps the rejected file out (an earlier version of it stays whole), publishes the other
files, and says so: exit 1 and a last line naming the file and what the warehouse holds of it.
Two builds from a folder (`--raw DIR`) of two demo files: first both good, then one of them
replaced by a copy the gate rejects (a province above the printed national total).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb
import pytest

from agglo.cli import main

sys.path.insert(0, str(Path(__file__).parent / "dbt"))
from dbt_support import demo_file, modified_copy, province_above_national_total  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def query(path, sql, params=None):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_a_rejected_file_is_kept_out_and_the_rest_published(tmp_path, capsys):
    folder, warehouse = tmp_path / "downloads", tmp_path / "agglo.duckdb"
    output = demo_file("ht/output_by_industry", 2010)
    gdp = demo_file("csy/gdp", 2010)
    target = folder / "ht" / "output_by_industry" / output.name
    for source, copy in [(output, target), (gdp, folder / "csy" / "gdp" / gdp.name)]:
        copy.parent.mkdir(parents=True)
        shutil.copyfile(source, copy)
    build = [
        "build",
        "--quiet",
        "--no-estimate",
        "--raw",
        str(folder),
        "--warehouse",
        str(warehouse),
    ]

    assert main(build) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == f"published {warehouse}"
    good = query(warehouse, "SELECT file_path, file_hash, n_records FROM raw.load_log ORDER BY ALL")

    modified_copy(output, target, province_above_national_total)  # the same file, now broken
    records_before = query(warehouse, "SELECT count(*) FROM raw.records")
    assert main(build) == 1
    out = capsys.readouterr().out
    last = out.strip().splitlines()[-1]
    rel = target.resolve().as_posix()
    assert last.startswith(f"published {warehouse} without what failed: 1 file(s) rejected")
    assert f"{rel} (its earlier version stays)" in last
    assert f"REJECTED {rel}" in out and "0 loaded, 1 unchanged, 1 rejected" in out
    # published: the earlier version of the rejected file, whole, beside the other file
    assert (
        query(warehouse, "SELECT file_path, file_hash, n_records FROM raw.load_log ORDER BY ALL")
        == good
    )
    assert query(warehouse, "SELECT count(*) FROM raw.records") == records_before
    rejected = query(warehouse, "SELECT DISTINCT file_path FROM raw.load_rejections")
    assert rejected == [(rel,)]
    # dbt built the marts of the published warehouse
    marts = "SELECT count(*) > 0 FROM information_schema.tables WHERE table_schema = 'marts'"
    assert query(warehouse, marts) == [(True,)]
