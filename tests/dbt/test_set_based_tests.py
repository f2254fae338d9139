"""not_null and accepted_range on a model's ``columns``: one dbt test checks many columns in one
scan, and still fails with one message per failing cell, naming the column (and the value).

The session's built warehouse is copied, two cells of a mart are made out of range and one key
NULL, and the mart's tests run again.
"""

from __future__ import annotations

import duckdb
import pytest
from dbt_support import DbtRun, copy_warehouse, run_dbt

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def broken(built, tmp_path_factory) -> DbtRun:
    work = tmp_path_factory.mktemp("set-based")
    warehouse = copy_warehouse(built.warehouse, work / "broken.duckdb")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update marts.fct_mechanism_variables set know = -2.5, tech = -1 "
            "where province_code = '11' and year = 2010 and industry_code = 'T1'"
        )
        con.execute(
            "update marts.fct_mechanism_variables set year = null "
            "where province_code = '12' and year = 2011 and industry_code = 'T2'"
        )
    proc = run_dbt(
        ["test", "--select", "fct_mechanism_variables", "--store-failures"], warehouse, work
    )
    return DbtRun(warehouse, work / "target", proc.returncode, proc.stdout + proc.stderr)


def _messages(run: DbtRun, test_name: str) -> list[str]:
    nodes = run.manifest["nodes"]
    hits = [
        uid
        for uid in run.failed()
        if nodes[uid]["test_metadata"]["name"] == test_name
        and nodes[uid]["test_metadata"]["kwargs"].get("columns")
    ]
    assert len(hits) == 1, f"{test_name} did not fail once: {sorted(run.failed())}"
    return sorted(run.failure_messages(hits[0]))


def test_the_mart_declares_its_checks_per_model(built):
    """One accepted_range and one not_null test on fct_mechanism_variables cover its columns."""
    kwargs = {
        n["test_metadata"]["name"]: n["test_metadata"]["kwargs"]
        for n in built.manifest["nodes"].values()
        if n["resource_type"] == "test"
        and n.get("attached_node") == "model.agglo.fct_mechanism_variables"
        and n["test_metadata"]["name"] in ("accepted_range", "not_null")
    }
    assert kwargs["accepted_range"]["columns"] == ["deve", "know", "tech", "dim"]
    assert kwargs["not_null"]["columns"] == ["province_code", "year", "industry_code"]


def test_every_out_of_range_cell_is_named(broken):
    assert broken.returncode != 0
    assert _messages(broken, "accepted_range") == [
        "know = -2.5 is outside [0, None]",
        "tech = -1.0 is outside [0, None]",
    ]


def test_every_null_cell_is_named(broken):
    assert _messages(broken, "not_null") == ["year is null"]
