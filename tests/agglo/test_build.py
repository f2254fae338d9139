"""agglo.build helpers that need no warehouse."""

from __future__ import annotations

import pytest

from agglo import paths
from agglo.build import RAW_DATA_SELECTION, dbt_selection, dbt_target_dir
from agglo.inputs import InputState
from agglo.pipeline import FileOutcome, LoadReport


def test_failed_build_evidence_reads_the_target_dbt_writes_to(monkeypatch, tmp_path):
    """A side build with DBT_TARGET_PATH (as dbt reads it: absolute, or relative to the project)
    must look for run_results.json there, not in the project's target/."""
    project = paths.repo_root() / "dbt_project"
    monkeypatch.delenv("DBT_TARGET_PATH", raising=False)
    assert dbt_target_dir() == project / "target"
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path))
    assert dbt_target_dir() == tmp_path
    monkeypatch.setenv("DBT_TARGET_PATH", "side-target")
    assert dbt_target_dir() == project / "side-target"


@pytest.mark.parametrize(
    ("changed", "loaded", "selection"),
    [
        ([], False, None),  # nothing to rebuild
        (["raw files"], True, RAW_DATA_SELECTION),  # what reads raw
        (["specs"], False, None),  # a spec is refitted, dbt has nothing to do
        # expectations feed dbt too (printed gaps, raw.catalog_printed_gaps): every node
        (["expectations"], False, ()),
        (["catalog"], False, ()),
        (["dbt project", "raw files"], True, ()),
    ],
)
def test_dbt_rebuilds_what_the_changed_inputs_reach(tmp_path, changed, loaded, selection):
    state = InputState(tmp_path / "w.duckdb", {}, changed=changed)
    outcomes = [FileOutcome("raw/x.xlsx", "loaded" if loaded else "unchanged")]
    assert dbt_selection(state, LoadReport(outcomes=outcomes)) == selection
