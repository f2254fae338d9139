"""Editions that overlap: int_records_current keeps the latest vintage, int_revisions lists changes.

The records are written straight into an empty warehouse (the loader is not needed to test the
models): the R&D-intensity table (one column per year) printed by two editions, 2019 and 2021, as
the real files do. Beijing 2019 is revised (6.31 → 6.30), Tianjin 2019 (3.28 → 3.31), 全国 2019
(2.23 → 2.24, the real revision of the 2021 edition); Beijing 2018 is reprinted unchanged and
2020 is printed by the 2021 edition only. Then ``dbt build`` of the models up to
fct_innovation_indicators and int_revisions (with their tests) runs on it.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from dbt_support import DbtRun, run_dbt

from agglo import warehouse

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TABLE = "st_rd_intensity"
# (entity_kind, province_code, aggregate_code, data_year, vintage, printed value, source cell)
CELLS = [
    ("province", "11", None, 2018, 2019, "5.65", "I7"),
    ("province", "11", None, 2019, 2019, "6.31", "J7"),
    ("aggregate", None, "national", 2019, 2019, "2.23", "J6"),
    ("province", "12", None, 2019, 2019, "3.28", "J8"),
    ("province", "11", None, 2018, 2021, "5.65", "I7"),
    ("province", "11", None, 2019, 2021, "6.30", "J7"),
    ("province", "11", None, 2020, 2021, "6.44", "K7"),
    ("aggregate", None, "national", 2019, 2021, "2.24", "J6"),
    ("province", "12", None, 2019, 2021, "3.31", "J8"),
]


def _insert(con) -> None:
    for kind, province, aggregate, year, vintage, value, cell in CELLS:
        source = f"st-yearbook/rd-intensity/{vintage}.xls"
        con.execute(
            "insert into raw.records (table_id, yearbook, data_year, entity_kind, province_code,"
            " aggregate_code, name_raw, indicator, value, unit, value_raw, source_file,"
            " source_sheet, source_cell, vintage, file_hash)"
            " values (?, 'st', ?, ?, ?, ?, ?, 'rd_intensity', ?, '%', ?, ?, 'Sheet1', ?, ?, ?)",
            [TABLE, year, kind, province, aggregate, province or aggregate, float(value), value,
             source, cell, vintage, f"hash{vintage}"],
        )  # fmt: skip
    for year in (2018, 2019, 2020):
        for vintage in (2019, 2021):
            con.execute(
                "insert into raw.load_log (file_path, file_hash, table_id, data_year, vintage,"
                " n_records, n_provinces, loaded_at) values (?, ?, ?, ?, ?, 1, 1, ?)",
                [f"st-yearbook/rd-intensity/{vintage}.xls", f"hash{vintage}", TABLE, year,
                 vintage, datetime(2026, 1, 1)],
            )  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> DbtRun:
    work = tmp_path_factory.mktemp("vintages")
    path = work / "agglo.duckdb"
    with warehouse.connect(path) as con:
        _insert(con)
    proc = run_dbt(
        # cautious: only the tests whose every parent is selected (not the other models' tests
        # that merely read a seed)
        ["build", "--indirect-selection", "cautious", "--select", "resource_type:seed",
         "+fct_innovation_indicators", "+int_revisions"],
        path,
        work,
    )  # fmt: skip
    run = DbtRun(path, work / "target", proc.returncode, proc.stdout + proc.stderr)
    assert proc.returncode == 0, run.output[-4000:]
    return run


def test_current_value_is_the_latest_vintage(built):
    current = built.query(
        f"select coalesce(province_code, aggregate_code) as entity, data_year, vintage,"
        f" value_printed, n_vintages from intermediate.int_records_current"
        f" where table_id = '{TABLE}' order by entity, data_year"
    )
    rows = {(r.entity, r.data_year): r for r in current.itertuples()}
    assert len(current) == 5  # 11 × 2018–2020, 12 and national × 2019: one row per cell
    assert (rows["11", 2019].vintage, rows["11", 2019].value_printed) == (2021, pytest.approx(6.30))
    assert (rows["11", 2018].vintage, rows["11", 2018].n_vintages) == (2021, 2)
    assert (rows["11", 2020].vintage, rows["11", 2020].n_vintages) == (2021, 1)
    assert rows["national", 2019].value_printed == pytest.approx(2.24)


def test_revisions_list_only_the_cells_whose_editions_disagree(built):
    revisions = built.query(
        "select coalesce(province_code, aggregate_code) as entity, *"
        " from intermediate.int_revisions order by entity"
    )
    assert list(revisions["entity"]) == ["11", "12", "national"]  # 2018 reprinted unchanged
    beijing, tianjin = revisions.iloc[0], revisions.iloc[1]
    assert (beijing.earlier_vintage, beijing.later_vintage) == (2019, 2021)
    assert (beijing.earlier_value_raw, beijing.later_value_raw) == ("6.31", "6.30")
    # both printed with 2 decimals (rounding 0.005 each): 6.31 and 6.30 may print one value
    # (6.305), 3.28 → 3.31 cannot
    assert beijing.difference_std == pytest.approx(-0.01, abs=1e-12)
    assert beijing.rounding_std == pytest.approx(0.01, abs=1e-12)
    assert not beijing.is_beyond_rounding
    assert tianjin.difference_std == pytest.approx(0.03, abs=1e-12)
    assert tianjin.is_beyond_rounding
    assert beijing.earlier_source_file == "st-yearbook/rd-intensity/2019.xls"
    assert beijing.later_source_cell == "J7"


def test_mart_takes_the_current_vintage_and_names_the_tables_not_loaded(built):
    mart = built.query(
        "select year, rd_intensity_pct, patent_grants, null_reason"
        " from marts.fct_innovation_indicators where province_code = '11' order by year"
    )
    assert list(mart["year"]) == [2018, 2019, 2020]
    assert list(mart["rd_intensity_pct"]) == pytest.approx([5.65, 6.30, 6.44])
    assert mart["patent_grants"].isna().all()
    reasons = mart.iloc[1]["null_reason"].split("; ")
    assert "patent_grants_not_loaded" in reasons
    assert not any(r.startswith("rd_intensity_pct") for r in reasons)
    # 31 provinces per year: a province the table does not print has its cell not printed
    other = built.query(
        "select null_reason from marts.fct_innovation_indicators"
        " where province_code = '44' and year = 2019"
    ).iloc[0]["null_reason"]
    assert "rd_intensity_pct_not_printed" in other.split("; ")
