"""agglo load / unload / check: idempotent, whole-file replacement, editions (one kept copy of
duplicates, differing files rejected), rejections, crash safety, pruning, unloading."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import duckdb
import pytest

from agglo import pipeline, warehouse
from agglo.cli import main
from agglo.errors import AggloError
from agglo.ingest.catalog import load_catalog
from agglo.ingest.files import discover, file_hash

CATALOG = """
table_id: test_output
yearbook: tst
table: output
title: 测试产值表
title_patterns: ['测试产值表']
entity: province_year
industry: T
data_year: {from: filename}
default_unit: 万元
indicators:
  - id: output
    label: Output
    patterns: ['产值', 'Output']
    unit: 万元
"""


# The gate's settings for the three-province test table (the real tables expect 31 provinces).
GATE = """
table_id: test_output
expected_provinces: 3
indicators:
  output: {base_unit: 元, province: [0, 1.0e+7], total: [1.0e+4, 1.0e+8]}
"""


def write_table(path: Path, beijing: str = "40", tianjin: str = "35", total: str | None = None):
    """A three-province table whose national total adds up (unless ``total`` is given)."""
    if total is None:
        try:
            total = f"{float(beijing) + float(tianjin) + 25:g}"
        except ValueError:
            total = "100"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        textwrap.dedent(
            f"""\
            表1 测试产值表,,
            Test Output Table,,
            单位：万元,,
            地区,Region,产值 Output
            全国,National Total,{total}
            北  京,Beijing,{beijing}
            天  津,Tianjin,{tianjin}
            河  北,Hebei,25
            """
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A throwaway checkout: raw/ with a one-table catalog, seeds linked from the real repo."""
    real_seeds = Path(warehouse.paths.seeds_dir())
    (tmp_path / "dbt_project").mkdir()
    (tmp_path / "dbt_project" / "seeds").symlink_to(real_seeds)
    (tmp_path / "raw" / "catalog").mkdir(parents=True)
    (tmp_path / "raw" / "catalog" / "test_output.yml").write_text(CATALOG, encoding="utf-8")
    (tmp_path / "expectations").mkdir()
    (tmp_path / "expectations" / "defaults.yml").symlink_to(
        Path(__file__).resolve().parents[2] / "expectations" / "defaults.yml"
    )
    (tmp_path / "expectations" / "test_output.yml").write_text(GATE, encoding="utf-8")
    monkeypatch.setenv("AGGLO_HOME", str(tmp_path))
    monkeypatch.setenv("AGGLO_WAREHOUSE", str(tmp_path / "warehouse" / "agglo.duckdb"))
    return tmp_path


def snapshot(home: Path) -> tuple[list, list]:
    con = duckdb.connect(str(home / "warehouse" / "agglo.duckdb"), read_only=True)
    try:
        records = con.execute(
            "SELECT table_id, data_year, province_code, aggregate_code, indicator, value, "
            "source_file, source_cell FROM raw.records ORDER BY ALL"
        ).fetchall()
        log = con.execute(
            "SELECT file_path, file_hash, table_id, data_year, n_records FROM raw.load_log "
            "ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    return records, log


def log_rows(home: Path) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse" / "agglo.duckdb"), read_only=True)
    try:
        return con.execute(
            "SELECT file_path, table_id, data_year, vintage, n_records, duplicate_of, "
            "n_duplicates FROM raw.load_log ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


def load(home: Path, *paths: Path) -> pipeline.LoadReport:
    return pipeline.load_paths(
        list(paths) or None, catalog=load_catalog(home / "raw" / "catalog"), progress=False
    )


def test_load_is_idempotent(home):
    write_table(home / "raw" / "tst" / "2014.csv")
    write_table(home / "raw" / "tst" / "2015.csv")
    first = load(home)
    assert first.ok and first.count("loaded") == 2
    before = snapshot(home)
    second = load(home)
    assert second.count("unchanged") == 2 and second.count("loaded") == 0
    assert snapshot(home) == before
    records, log = before
    assert {r[1] for r in records} == {2014, 2015}
    # 3 provinces + the printed national total per year, the total kept apart from provinces
    assert sum(1 for r in records if r[1] == 2015 and r[2] is not None) == 3
    assert [r[3] for r in records if r[1] == 2015 and r[2] is None] == ["national"]
    assert [(row[2], row[3], row[4]) for row in log] == [
        ("test_output", 2014, 4),
        ("test_output", 2015, 4),
    ]


def test_corrected_file_replaces_its_earlier_version(home):
    path = write_table(home / "raw" / "tst" / "2015.csv")
    load(home)
    write_table(path, beijing="41")
    report = load(home)
    assert report.count("loaded") == 1
    records, log = snapshot(home)
    beijing = [r for r in records if r[2] == "11"]
    assert [r[5] for r in beijing] == [41.0]
    assert len(records) == 4 and len(log) == 1
    assert log[0][1] == file_hash(path)


def test_same_edition_differing_is_rejected_naming_both_files_and_first_cell(home):
    write_table(home / "raw" / "a" / "2015.csv")
    load(home)
    before = snapshot(home)
    write_table(home / "raw" / "b" / "2015.csv", beijing="99")
    report = load(home)
    assert not report.ok
    rejected = [o for o in report.outcomes if o.status == "rejected"]
    assert len(rejected) == 1 and "raw/b/2015.csv" in rejected[0].path
    message = rejected[0].message
    # the national total (row 5, printed above Beijing) is the first cell where they differ
    assert "first differing cell aggregate national" in message, message
    assert "'100' at raw/a/2015.csv 2015!C5, '159' at raw/b/2015.csv 2015!C5" in message
    assert "agglo unload raw/a/2015.csv" in message
    assert "Remove one of them" not in message
    assert snapshot(home) == before


def test_same_edition_first_differing_cell_is_a_province_cell(home):
    write_table(home / "raw" / "a" / "2015.csv")
    load(home)
    write_table(home / "raw" / "b" / "2015.csv", beijing="41", tianjin="34")
    (rejected,) = [o for o in load(home).outcomes if o.status == "rejected"]
    # the national total agrees (100 in both): Beijing's row is the first that differs
    assert (
        "first differing cell province 11, industry T, indicator output: "
        "'40' at raw/a/2015.csv 2015!C6, '41' at raw/b/2015.csv 2015!C6"
    ) in rejected.message


def test_same_edition_identical_is_kept_once_and_both_files_logged(home):
    write_table(home / "raw" / "a" / "2015.csv")
    write_table(home / "raw" / "b" / "2015.csv")
    report = load(home)
    assert report.ok and report.count("loaded") == 2
    assert "same edition as raw/a/2015.csv" in report.summary()
    records, _ = snapshot(home)
    assert len(records) == 4 and {r[6] for r in records} == {"raw/a/2015.csv"}
    log = log_rows(home)
    assert log == [
        ("raw/a/2015.csv", "test_output", 2015, 2015, 4, None, 0),
        ("raw/b/2015.csv", "test_output", 2015, 2015, 0, "raw/a/2015.csv", 4),
    ]
    assert sum(row[4] for row in log) == len(records)  # explained by the load log
    assert load(home).count("unchanged") == 2


def test_unload_moves_the_kept_copy_to_its_duplicate_and_changes_nothing_else(home, capsys):
    write_table(home / "raw" / "a" / "2014.csv", beijing="30")
    write_table(home / "raw" / "a" / "2015.csv")
    write_table(home / "raw" / "b" / "2015.csv")
    load(home)
    records_before, _ = snapshot(home)
    assert main(["unload", str(home / "raw" / "a" / "2015.csv")]) == 0
    assert "UNLOADED raw/a/2015.csv" in capsys.readouterr().out
    records, _ = snapshot(home)
    # the 2015 cells are now b's (same values, same cells), 2014 is untouched
    assert [r for r in records if r[1] == 2014] == [r for r in records_before if r[1] == 2014]
    moved = [r for r in records if r[1] == 2015]
    assert {r[6] for r in moved} == {"raw/b/2015.csv"}
    assert [r[:6] + r[7:] for r in moved] == [r[:6] + r[7:] for r in records_before if r[1] == 2015]
    assert log_rows(home) == [
        ("raw/a/2014.csv", "test_output", 2014, 2014, 4, None, 0),
        ("raw/b/2015.csv", "test_output", 2015, 2015, 4, None, 0),
    ]


def test_unload_removes_a_file_loaded_from_outside_raw_which_a_full_load_keeps(home, tmp_path):
    write_table(home / "raw" / "tst" / "2014.csv")
    outside = write_table(tmp_path / "downloads" / "2016.csv")
    load(home)
    load(home, outside)
    both = snapshot(home)
    assert load(home).count("unchanged") == 1 and snapshot(home) == both  # not pruned
    report = pipeline.unload_paths([outside])
    assert report.removed == ["downloads/2016.csv"]  # in the checkout, outside raw/
    records, log = snapshot(home)
    assert {r[1] for r in records} == {2014} and [row[3] for row in log] == [2014]
    assert (records, log) == (
        [r for r in both[0] if r[1] == 2014],
        [row for row in both[1] if row[3] == 2014],
    )
    with pytest.raises(AggloError, match="is not loaded"):
        pipeline.unload_paths([outside])


def test_check_gives_the_verdicts_a_load_gives_for_one_edition_in_two_files(home, capsys):
    write_table(home / "raw" / "a" / "2015.csv")
    write_table(home / "raw" / "b" / "2015.csv")
    write_table(home / "raw" / "c" / "2015.csv", beijing="41", tianjin="34")
    code = main(["check", str(home / "raw")])
    out = capsys.readouterr().out
    assert code == 1
    assert "ok       raw/a/2015.csv" in out and "ok       raw/b/2015.csv" in out
    assert "FAILED   raw/c/2015.csv" in out and "'40' at raw/a/2015.csv" in out
    report = load(home)
    assert {o.path: o.status for o in report.outcomes} == {
        "raw/a/2015.csv": "loaded",
        "raw/b/2015.csv": "loaded",
        "raw/c/2015.csv": "rejected",
    }
    # against the warehouse now holding a and b, c still fails and a new identical file passes
    write_table(home / "raw" / "d" / "2015.csv")
    capsys.readouterr()
    assert main(["check", str(home / "raw" / "c"), str(home / "raw" / "d")]) == 1
    out = capsys.readouterr().out
    assert "FAILED   raw/c/2015.csv" in out and "ok       raw/d/2015.csv" in out


def test_text_in_numeric_cell_is_rejected_with_cell(home, capsys):
    write_table(home / "raw" / "tst" / "2014.csv")
    load(home)
    before = snapshot(home)
    write_table(home / "raw" / "tst" / "2015.csv", tianjin="35*")
    code = main(["load", "--quiet"])
    out = capsys.readouterr().out
    assert code == 1
    assert "REJECTED raw/tst/2015.csv" in out
    assert "C7" in out and "'35*'" in out
    assert snapshot(home) == before


def test_crash_mid_publish_leaves_previous_state(home, monkeypatch):
    path = write_table(home / "raw" / "tst" / "2015.csv")
    load(home)
    before = snapshot(home)
    write_table(path, beijing="42")

    def crash(*args, **kwargs):
        raise RuntimeError("injected crash after records were replaced")

    monkeypatch.setattr(warehouse, "_log_years", crash)
    with pytest.raises(RuntimeError, match="injected crash"):
        load(home)
    assert snapshot(home) == before
    monkeypatch.undo()
    monkeypatch.setenv("AGGLO_HOME", str(home))
    monkeypatch.setenv("AGGLO_WAREHOUSE", str(home / "warehouse" / "agglo.duckdb"))
    assert load(home).count("loaded") == 1
    assert [r[5] for r in snapshot(home)[0] if r[2] == "11"] == [42.0]


def test_full_load_removes_what_came_from_deleted_files(home):
    write_table(home / "raw" / "tst" / "2014.csv")
    gone = write_table(home / "raw" / "tst" / "2015.csv")
    load(home)
    gone.unlink()
    report = load(home)
    assert report.pruned == ["raw/tst/2015.csv"]
    records, log = snapshot(home)
    assert {r[1] for r in records} == {2014}
    assert [row[3] for row in log] == [2014]


def test_catalog_and_underscore_paths_are_not_discovered(home):
    write_table(home / "raw" / "tst" / "2015.csv")
    write_table(home / "raw" / "_truth" / "2015.csv")
    (home / "raw" / "tst" / "notes.txt").write_text("not a table")
    found = discover([home / "raw"])
    assert [p.relative_to(home).as_posix() for p in found] == ["raw/tst/2015.csv"]


def test_unknown_file_is_rejected_not_fatal(home):
    write_table(home / "raw" / "tst" / "2015.csv")
    other = home / "raw" / "other" / "2015.csv"
    other.parent.mkdir(parents=True)
    other.write_text("表9 完全无关的表\n地区,数值\n北京,1\n", encoding="utf-8")
    report = load(home)
    statuses = {o.path: o.status for o in report.outcomes}
    assert statuses == {"raw/tst/2015.csv": "loaded", "raw/other/2015.csv": "rejected"}
    message = next(o.message for o in report.outcomes if o.status == "rejected")
    assert "raw/other/2015.csv" in message


def test_a_warehouse_from_before_vintages_is_migrated(home):
    """An existing warehouse has one load_log row per table-year and no vintage column: opening
    it rebuilds raw.load_log in the current shape, rows and values kept."""
    write_table(home / "raw" / "tst" / "2015.csv")
    load(home)
    records, _ = snapshot(home)
    db = home / "warehouse" / "agglo.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE raw.old AS SELECT * EXCLUDE (vintage, duplicate_of, n_duplicates) "
        "FROM raw.load_log"
    )
    con.execute("DROP TABLE raw.load_log")
    con.execute(
        "CREATE TABLE raw.load_log (file_path VARCHAR NOT NULL, file_hash VARCHAR NOT NULL, "
        "table_id VARCHAR NOT NULL, data_year INTEGER NOT NULL, n_records INTEGER NOT NULL, "
        "n_provinces INTEGER NOT NULL, loaded_at TIMESTAMP NOT NULL, "
        "PRIMARY KEY (table_id, data_year))"
    )
    con.execute("INSERT INTO raw.load_log SELECT * FROM raw.old")
    con.execute("DROP TABLE raw.old")
    con.close()
    warehouse.connect(db).close()
    assert log_rows(home) == [("raw/tst/2015.csv", "test_output", 2015, 2015, 4, None, 0)]
    assert snapshot(home)[0] == records
    assert load(home).count("unchanged") == 1


def test_a_changed_file_whose_copy_a_duplicate_relies_on(home):
    """a and b print one edition identically; a is then edited. Its earlier cells pass to b (the
    same values), and the new a, now differing from b, is rejected naming both."""
    a = write_table(home / "raw" / "a" / "2015.csv")
    write_table(home / "raw" / "b" / "2015.csv")
    load(home)
    records_before, _ = snapshot(home)
    write_table(a, beijing="41", tianjin="34")
    report = load(home)
    (rejected,) = [o for o in report.outcomes if o.status == "rejected"]
    assert rejected.path == "raw/a/2015.csv"
    assert "'40' at raw/b/2015.csv 2015!C6, '41' at raw/a/2015.csv 2015!C6" in rejected.message
    assert "now kept from raw/b/2015.csv" in report.summary()
    records, _ = snapshot(home)
    assert [r[:6] for r in records] == [r[:6] for r in records_before]
    assert {r[6] for r in records} == {"raw/b/2015.csv"}
    assert log_rows(home) == [("raw/b/2015.csv", "test_output", 2015, 2015, 4, None, 0)]


def test_catalog_rules_dbt_needs_are_published_from_the_catalog(tmp_path):
    """Row identities and what a printed 全国 covers live in the catalog only; every load writes
    them to raw.catalog_* for dbt, replacing what an earlier catalog said."""
    catalog = load_catalog()
    con = warehouse.connect(tmp_path / "wh.duckdb")
    try:
        con.execute("INSERT INTO raw.catalog_identities VALUES ('gone', 'x = y', 'x', 'y')")
        warehouse.publish_catalog(con, catalog)
        identities = set(con.execute("SELECT * FROM raw.catalog_identities").fetchall())
        coverage = set(con.execute("SELECT * FROM raw.catalog_national_total_coverage").fetchall())
    finally:
        con.close()
    funding = catalog["st_rd_funding_source"].identities[0]
    assert (
        "st_rd_funding_source",
        "rd_expenditure = government_funds + enterprise_funds + foreign_funds + other_funds",
        "rd_expenditure",
        "foreign_funds",
    ) in identities
    assert len(funding.parts) == 4
    assert identities == {
        (t.table_id, f"{i.total} = {' + '.join(i.parts)}", i.total, part)
        for t in catalog
        for i in t.identities
        for part in i.parts
    }
    assert ("st_patent_grants", "taiwan") in coverage
    assert coverage == {(t.table_id, c) for t in catalog for c in t.national_total_includes}
    assert not any(table_id == "gone" for table_id, *_ in identities)


def test_a_file_with_warnings_is_ok_with_warnings_never_failed(home, capsys):
    """A blank required cell is a warning: `check` and `load` say ok / loaded with N warning(s),
    never "check(s) failed", and keep failures for files that are rejected."""
    write_table(home / "raw" / "w" / "2015.csv", beijing="", total="60")
    write_table(home / "raw" / "x" / "2016.csv", beijing="oops")
    assert main(["check", str(home / "raw")]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^ok \(\d+ warnings?\) +raw/w/2015\.csv", out, re.MULTILINE), out
    assert out.count("check(s) failed") == 1  # x's, not w's
    assert re.search(r"^FAILED +raw/x/2016\.csv: \d+ check\(s\) failed", out, re.MULTILINE), out
    assert "1 passed (1 with warnings), 1 failed" in out

    assert main(["load", "--quiet", str(home / "raw")]) == 1
    out = capsys.readouterr().out
    assert out.count("check(s) failed") == 1, out
    assert re.search(r"^WARNING +raw/w/2015\.csv: loaded with \d+ warnings?$", out, re.MULTILINE)
