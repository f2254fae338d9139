"""The results store after a partial re-estimate (issue 16, item 1).

``agglo estimate --table 5`` after a full run used to leave Table 5 twice in ``results.estimates``.
What analysts, ``agglo tables`` and the report read must hold one row per key, each column from
the latest run that fitted it, with every run kept in ``results.*_history``.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import duckdb
import pytest
from numpy.testing import assert_allclose

from estimation.results_store import ensure_schema, read_results, write_run
from estimation.run import estimate

KEYS = {
    "estimates": ["table", "column_id", "equation", "term"],
    "models": ["table", "column_id", "equation"],
    "spec_columns": ["table", "column_id"],
    "spec_choices": ["choice_id"],
}
VALUES = ["coef", "std_err", "p_value"]


@pytest.fixture(scope="module")
def runs(simulate_panel):
    """A full run on one simulated panel, then Table 5 alone on another (other data, other
    numbers: the partial run must be told apart from the full one by its values)."""
    full = estimate(simulate_panel(11, effects=True), on_error="record")
    partial = estimate(simulate_panel(12, effects=True), tables=[5], on_error="record")
    assert full.run_id != partial.run_id
    return full, partial


def _duplicated_keys(con, table: str) -> int:
    keys = ", ".join(f'"{k}"' for k in KEYS[table])
    return con.execute(
        f"select count(*) - count(distinct ({keys})) from results.{table}"
    ).fetchone()[0]


def _table5(con):
    return con.execute(
        'select * from results.estimates where "table" = 5 order by column_id, equation, term_order'
    ).df()


def _same_values(stored, expected):
    """The stored rows are the run's, value for value: a double round trip through DuckDB is
    exact, so the tolerance only absorbs nothing but representation (1e-12 relative)."""
    expected = expected.sort_values(["column_id", "equation", "term_order"])
    assert list(stored["term"]) == list(expected["term"])
    for col in VALUES:
        assert_allclose(stored[col].to_numpy(float), expected[col].to_numpy(float), rtol=1e-12)


def _check_current(con, full, partial):
    for table in KEYS:
        assert _duplicated_keys(con, table) == 0, table
    table5 = _table5(con)
    assert set(table5["run_id"]) == {partial.run_id}
    _same_values(table5, partial.estimates[partial.estimates["table"] == 5])
    others = con.execute('select * from results.estimates where "table" <> 5').df()
    assert set(others["run_id"]) == {full.run_id}
    assert len(others) == (full.estimates["table"] != 5).sum()
    models5 = con.execute('select run_id from results.models where "table" = 5').fetchall()
    assert {r for (r,) in models5} == {partial.run_id}


def test_partial_reestimate_leaves_one_row_per_key_from_the_latest_run(runs):
    full, partial = runs
    t5_full = full.estimates[full.estimates["table"] == 5]
    t5_partial = partial.estimates[partial.estimates["table"] == 5]
    assert len(t5_full) == len(t5_partial) > 0
    # the two runs' Table 5 differ, so "from the latest run" is a real check
    assert abs(t5_full["coef"].to_numpy() - t5_partial["coef"].to_numpy()).max() > 1e-6

    con = duckdb.connect()
    write_run(con, full)
    write_run(con, partial)
    _check_current(con, full, partial)

    # every run is kept in the history
    history = con.execute(
        "select run_id, count(*) from results.estimates_history group by 1"
    ).fetchall()
    assert dict(history) == {full.run_id: len(full.estimates), partial.run_id: len(t5_partial)}
    assert con.execute("select count(*) from results.runs").fetchone()[0] == 2

    # agglo tables and the report read through read_results: the same rows
    est, mod = read_results(con, [5])
    _same_values(est, t5_partial)
    assert set(mod["run_id"]) == {partial.run_id}

    # the full run made again (same spec and data: same run id, finished now) is the latest for
    # every column, Table 5 included
    write_run(con, dataclasses.replace(full, finished_at=datetime.now(UTC)))
    for table in KEYS:
        assert _duplicated_keys(con, table) == 0, table
    current = con.execute("select distinct run_id from results.estimates").fetchall()
    assert current == [(full.run_id,)]
    _same_values(_table5(con), t5_full)


def test_a_warehouse_from_before_the_history_tables_is_migrated(runs):
    """Old shape: results.estimates/models/spec_columns held every run (keyed by run_id)."""
    full, partial = runs
    con = duckdb.connect()
    write_run(con, full)
    write_run(con, partial)
    for table in KEYS:
        con.execute(f"drop table results.{table}")
        con.execute(f"alter table results.{table}_history rename to {table}")
    assert _duplicated_keys(con, "estimates") > 0  # the reported defect

    # read-only readers of an unmigrated warehouse still get one row per key
    est, _ = read_results(con, [5])
    assert not est.duplicated(KEYS["estimates"]).any()
    _same_values(est, partial.estimates[partial.estimates["table"] == 5])

    ensure_schema(con)
    _check_current(con, full, partial)
    n_history = con.execute("select count(*) from results.estimates_history").fetchone()[0]
    assert n_history == len(full.estimates) + len(partial.estimates)
