"""Fixtures of the dbt tests: the warehouse built from raw/ ONCE per session and dbt built on it.

See dbt_support.py for what is built where (everything in pytest's temporary directory).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt_support import DbtRun, dbt_build, demo_dir

from agglo import pipeline


@pytest.fixture(scope="session")
def base_warehouse(tmp_path_factory) -> Path:
    """All of raw/ loaded by the real loader into a fresh warehouse (once per session)."""
    demo_dir()
    path = tmp_path_factory.mktemp("warehouse") / "agglo.duckdb"
    report = pipeline.load_paths(None, warehouse=path, progress=False)
    assert report.ok, report.summary()
    return path


@pytest.fixture(scope="session")
def built(base_warehouse, tmp_path_factory) -> DbtRun:
    """``dbt build`` (seeds, models, every data test) against the session's warehouse."""
    run = dbt_build(base_warehouse, tmp_path_factory.mktemp("dbt"))
    if not (run.target / "run_results.json").exists():
        pytest.fail(f"dbt build did not run:\n{run.output[-4000:]}", pytrace=False)
    return run
