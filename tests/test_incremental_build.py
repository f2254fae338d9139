"""An incremental build gives the warehouse a cold build gives.

A warehouse built from the demo files minus three, then built again with the three added (the
loader parses and gates only those, dbt rebuilds only what reads ``raw``, specs are fitted again
only when their samples changed), is compared with a warehouse built cold from every file: the
same tables in every schema, the same rows, floats within a tolerance.
"""

from __future__ import annotations

import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from agglo import inputs, paths
from agglo.build import build, current_run
from estimation.spec import DEFAULT_SPEC, load_spec

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# Added by the incremental build: three tables, one of them read by the location quotients.
HELD_BACK = ["ht/output_by_industry/2015.xlsx", "csy/gdp/2015.xls", "st/hei_papers/2015.xlsx"]
# When a build ran, not what it built.
VOLATILE = {"loaded_at", "validated_at", "rejected_at", "started_at", "finished_at"}
# Both warehouses hold the same data, but DuckDB's parallel aggregates may sum in another order
# (a relative error of ~1e-16 per addition), which estimation's matrix algebra (GMM's two steps,
# inverted weight matrices) may amplify by a few orders of magnitude: 1e-9 relative leaves room
# for that and catches any real difference (a changed value, a missing province).
RTOL, ATOL = 1e-9, 1e-12


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory):
    raw = tmp_path_factory.mktemp("incremental") / "raw"
    shutil.copytree(paths.raw_dir() / "demo", raw, ignore=shutil.ignore_patterns("_*"))
    return raw


@pytest.fixture(scope="module")
def incremental(raw_dir, tmp_path_factory):
    """(warehouse, report of the incremental build)."""
    held = tmp_path_factory.mktemp("held")
    for rel in HELD_BACK:
        shutil.move(raw_dir / rel, held / rel.replace("/", "_"))
    warehouse = tmp_path_factory.mktemp("wh-incremental") / "agglo.duckdb"
    first = build(warehouse=warehouse, raw=raw_dir, progress=False)
    assert first.ok, first.summary()
    for rel in HELD_BACK:
        shutil.move(held / rel.replace("/", "_"), raw_dir / rel)
    report = build(warehouse=warehouse, raw=raw_dir, progress=False)
    assert report.ok, report.summary()
    return warehouse, report


@pytest.fixture(scope="module")
def cold(raw_dir, incremental, tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("wh-cold") / "agglo.duckdb"
    report = build(warehouse=warehouse, raw=raw_dir, progress=False)
    assert report.ok, report.summary()
    return warehouse


def tables(warehouse) -> dict[str, pd.DataFrame]:
    """Every table and view outside DuckDB's own schemas, its volatile columns dropped."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('information_schema', 'pg_catalog') order by all"
        ).fetchall()
        frames = {}
        for schema, name in names:
            frame = con.execute(f'select * from "{schema}"."{name}"').df()
            frames[f"{schema}.{name}"] = frame.drop(columns=[c for c in frame if c in VOLATILE])
    return frames


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in one order: text (lists, JSON, timestamps as text) first, then numbers."""
    frame = frame.copy()
    numeric = [c for c in frame if pd.api.types.is_numeric_dtype(frame[c])]
    for c in frame:
        if c not in numeric:
            frame[c] = frame[c].map(lambda v: None if v is None or v is pd.NaT else str(v))
    keys = [c for c in frame if c not in numeric] + numeric
    return frame.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)


def test_the_incremental_build_did_only_what_changed(incremental):
    _, report = incremental
    assert report.load.count("loaded") == len(HELD_BACK)
    assert report.load.count("unchanged") > 100
    assert report.dbt_scope.startswith("rebuilt what reads raw")


def test_same_tables_same_rows(incremental, cold):
    got, want = tables(incremental[0]), tables(cold)
    assert sorted(got) == sorted(want)
    # results.* keep every run; the incremental warehouse also holds the runs on the subset. The
    # cold build's runs (their ids derive from spec and data hashes) must be there, the same.
    runs = set(want["results.runs"]["run_id"])
    assert runs <= set(got["results.runs"]["run_id"])
    for name in want:
        a, b = got[name], want[name]
        if name.startswith("results.") and "run_id" in b:
            a = a[a["run_id"].isin(runs)]
        a, b = canonical(a), canonical(b)
        assert list(a.columns) == list(b.columns), name
        assert len(a) == len(b), f"{name}: {len(a)} rows incremental, {len(b)} cold"
        for column in a:
            if pd.api.types.is_float_dtype(b[column]):
                close = np.isclose(a[column], b[column], rtol=RTOL, atol=ATOL, equal_nan=True)
                assert close.all(), f"{name}.{column}: {a.loc[~close, column].head().tolist()}"
            else:
                assert a[column].equals(b[column]), f"{name}.{column} differs"


def test_a_spec_whose_samples_did_not_change_is_not_fitted_again(incremental, raw_dir):
    """The data hash build recomputes from the panel is the one estimation stored: the run just
    written counts as current, and a second build keeps it."""
    warehouse, _ = incremental
    spec = load_spec(DEFAULT_SPEC)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        latest = con.execute(
            "select run_id from results.runs where spec_hash = ? order by finished_at desc limit 1",
            [spec.hash],
        ).fetchone()[0]
        assert current_run(con, spec) == latest
    state = inputs.check(warehouse, raw_dir, only_raw=True)
    assert state.up_to_date, state.summary()
    state.changed = ["raw files"]  # as if a file had changed without changing the panel
    again = build(warehouse=warehouse, raw=raw_dir, progress=False, changes=state)
    assert f"run {latest} kept" in again.estimate_summary
    assert again.dbt_scope.startswith("nothing to rebuild")
