"""agglo.build helpers that need no warehouse."""

from __future__ import annotations

from agglo import paths
from agglo.build import dbt_target_dir


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
