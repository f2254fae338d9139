"""A build that fails in dbt leaves evidence to query (issue 16, item 3).

The session's demo warehouse gets a broken copy of ht/output_by_industry 2010 (Guangdong's T3 gross
output above the national total) published past the gate, as data reaching the warehouse some other
way; `agglo build` then rejects the demo's own 2010 file (same edition, a differing cell) and dbt's
reconciliation tests fail. The published warehouse must be untouched, the terminal must show the
load summary and name the broken file, and the failing rows must be queryable in the sidecar file.
"""

from __future__ import annotations

import contextlib
import io

import duckdb
import pytest
from dbt_support import (
    copy_warehouse,
    demo_file,
    modified_copy,
    one_cell,
    province_above_national_total,
    publish_unchecked,
)

from agglo import evidence
from agglo.cli import main
from agglo.ingest.files import display_path
from agglo.ingest.parse import parse_file
from agglo.pipeline import unload_paths

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DEMO_2010 = "ht/output_by_industry"


def _state(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return (
            con.execute("select * from raw.load_log order by all").fetchall(),
            con.execute(
                "select table_schema, table_name from information_schema.tables order by all"
            ).fetchall(),
        )


def _build(warehouse) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["build", "--quiet", "--no-estimate", "--warehouse", str(warehouse)])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def failed(base_warehouse, tmp_path_factory):
    work = tmp_path_factory.mktemp("failed-build")
    broken = modified_copy(
        demo_file(DEMO_2010, 2010), work / "downloads" / "2010.xlsx", province_above_national_total
    )
    warehouse = copy_warehouse(base_warehouse, work / "agglo.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        publish_unchecked(con, broken)
    before = _state(warehouse)
    code, out, err = _build(warehouse)
    return {
        "warehouse": warehouse,
        "broken": broken,
        "before": before,
        "code": code,
        "out": out,
        "err": err,
    }


def test_the_failed_build_publishes_nothing(failed):
    assert failed["code"] == 2, failed["out"] + failed["err"]
    assert "dbt build failed; the warehouse was left as it was" in failed["err"]
    assert _state(failed["warehouse"]) == failed["before"]


def test_the_load_summary_is_printed(failed):
    demo = display_path(demo_file(DEMO_2010, 2010))
    assert "load: 0 loaded, 110 unchanged, 1 rejected" in failed["err"]
    assert f"REJECTED {demo}" in failed["err"]


def test_the_hint_names_the_file_whose_rows_fail(failed):
    broken = str(failed["broken"])
    hint = next(line for line in failed["err"].splitlines() if line.strip().startswith("hint:"))
    assert f"fix or remove {broken} " in hint
    assert str(evidence.sidecar_path(failed["warehouse"])) in hint


def test_failing_rows_and_new_files_are_kept_in_the_sidecar(failed):
    sidecar = evidence.sidecar_path(failed["warehouse"])
    broken = str(failed["broken"])
    records = parse_file(failed["broken"]).records
    gd = one_cell(records, province_code="44", industry_code="T3", indicator="gross_output")
    nat = one_cell(records, aggregate_code="national", industry_code="T3", indicator="gross_output")
    with duckdb.connect(str(sidecar), read_only=True) as con:
        tests = con.execute(
            "select name, relation, n_rows, files, cells, matched_by from build.failing_tests"
        ).df()
        reconcile = tests[tests["name"].str.startswith("provinces_sum_to_national_total")]
        assert len(reconcile) == 1, tests["name"].tolist()
        row = reconcile.iloc[0]
        assert list(row["files"]) == [broken] and "table_id" in row["matched_by"]
        # the failing row names the printed national total: traced to that cell
        assert list(row["cells"]) == [f"{broken} {nat['source_sheet']}!{nat['source_cell']}"]
        messages = [
            m for (m,) in con.execute(f"select failure_message from {row['relation']}").fetchall()
        ]
        assert row["n_rows"] == len(messages) > 0
        assert any(
            m.startswith("ht_output_by_industry 2010 gross_output (industry T3)") for m in messages
        )

        # T ≠ T1 + … + T5 for Guangdong 2010: traced to Guangdong's cells, T3's among them
        sums = tests[tests["name"].str.startswith("total_equals_sum_of_industries")]
        assert [list(f) for f in sums["files"]] == [[broken]]
        assert f"{broken} {gd['source_sheet']}!{gd['source_cell']}" in list(sums["cells"].iloc[0])

        new = con.execute("select file_path, status from build.new_files").fetchall()
        assert new == [(display_path(demo_file(DEMO_2010, 2010)), "rejected")]
        (warehouse,) = con.execute("select warehouse from build.failed_build").fetchone()
        assert warehouse == str(failed["warehouse"])


def test_a_build_that_publishes_removes_the_evidence(failed):
    sidecar = evidence.sidecar_path(failed["warehouse"])
    assert sidecar.exists()
    unload_paths([failed["broken"]], warehouse=failed["warehouse"])
    code, out, err = _build(failed["warehouse"])
    assert code == 0, out + err
    assert not sidecar.exists()
