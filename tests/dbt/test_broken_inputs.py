"""Deliberately broken yearbook files make the right dbt test fail, with a readable message.

A copy of the session's warehouse gets two modified demo files (written to a temporary folder):
- ht/output_by_industry 2010 with Guangdong's T3 gross output set above the national T3 total:
  provinces no longer sum to the printed national total, and T ≠ T1 + … + T5 for Guangdong;
- csy/industrial_enterprises 2012 with Guangdong's gross industrial output blanked: Guangdong has
  high-tech output but no industrial output, so the output-weighted mean LQ of 2012 is not 1.
The load gate would refuse the first file, so both go straight into raw.records (the dbt tests are
the second line of defence); then the models are built on that warehouse and every test runs.
"""

from __future__ import annotations

import duckdb
import pytest
from dbt_support import (
    DbtRun,
    copy_warehouse,
    dbt_build,
    demo_file,
    modified_copy,
    one_cell,
    province_above_national_total,
    publish_unchecked,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def broken(base_warehouse, tmp_path_factory) -> DbtRun:
    work = tmp_path_factory.mktemp("broken")

    def blank_industrial_output(records, book):
        gd = one_cell(records, province_code="44", indicator="gross_output")
        book[gd["source_sheet"]][gd["source_cell"]] = None

    files = [
        modified_copy(demo_file("ht/output_by_industry", 2010),
                      work / "raw" / "ht" / "output_by_industry" / "2010.xlsx",
                      province_above_national_total),
        modified_copy(demo_file("csy/industrial_enterprises", 2012),
                      work / "raw" / "csy" / "industrial_enterprises" / "2012.xlsx",
                      blank_industrial_output),
    ]  # fmt: skip
    wh = copy_warehouse(base_warehouse, work / "broken.duckdb")
    with duckdb.connect(str(wh)) as con:
        for path in files:
            publish_unchecked(con, path)
    return dbt_build(wh, work, test_everything=True)


def _failing(run: DbtRun, test_name: str, model: str) -> list[str]:
    """Failure messages of the failing test ``test_name`` on ``model`` (fails if none fails)."""
    nodes = run.manifest["nodes"]
    hits = [
        uid for uid in run.failed()
        if nodes[uid].get("test_metadata", {}).get("name") == test_name
        and f"model.agglo.{model}" in nodes[uid]["depends_on"]["nodes"]
    ]  # fmt: skip
    assert hits, f"{test_name} on {model} did not fail; failed: {sorted(run.failed())}"
    return [m for uid in hits for m in run.failure_messages(uid)]


def test_build_reports_failure(broken):
    assert broken.returncode != 0
    assert broken.failed()


def test_province_above_national_total_fails_reconciliation(broken):
    messages = _failing(broken, "provinces_sum_to_national_total", "int_national_totals_reconciled")
    hit = [m for m in messages if m.startswith("ht_output_by_industry 2010 gross_output")]
    assert hit, messages
    assert "(industry T3)" in hit[0] and "printed national total" in hit[0]
    assert "exceeds the rounding tolerance" in hit[0]


def test_province_above_national_total_breaks_t_equals_sum(broken):
    messages = _failing(broken, "total_equals_sum_of_industries", "int_province_indicators_stacked")
    assert any(
        m.startswith("ht_output_by_industry gross_output, province 44, 2010: T =") for m in messages
    ), messages


def test_missing_industrial_output_breaks_lq_identity(broken):
    messages = _failing(broken, "location_quotient_weighted_mean_is_one", "fct_location_quotient")
    assert messages and all(" 2012 = " in m for m in messages), messages
    assert any("output-weighted mean location_quotient of T3 2012" in m for m in messages)
    assert all("30 of 31 provinces have an LQ" in m for m in messages)


def test_missing_value_is_null_with_reason_in_panel(broken):
    row = broken.query(
        "select vocal, ln_vocal, null_reason from marts.fct_estimation_panel "
        "where province_code = '44' and year = 2012 and industry_code = 'T3'"
    ).iloc[0]
    assert row["vocal"] != row["vocal"] and row["ln_vocal"] != row["ln_vocal"]  # NaN
    assert "vocal_missing" in row["null_reason"].split("; ")


def test_unrelated_tests_still_pass(broken):
    nodes = broken.manifest["nodes"]
    names = {nodes[uid].get("test_metadata", {}).get("name") for uid in broken.failed()}
    assert "unique_combination_of_columns" not in names
    assert "relationships" not in names
    # the panel's null_reason codes (vocal_missing here) are all in the seed ref_null_reasons
    assert "delimited_values_in_reference" not in names
