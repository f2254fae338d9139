"""One warehouse (built from raw/ like `make build`) and one report per test session."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from agglo.build import build
from agglo.cli import main


@pytest.fixture(scope="session")
def report_warehouse(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report-wh") / "agglo.duckdb"
    report = build(warehouse=path, progress=False)
    assert report.ok, report.summary()
    return path


@pytest.fixture(scope="session")
def report_dir(report_warehouse, tmp_path_factory) -> Path:
    """The report, written through the CLI (`agglo report --warehouse … --out …`)."""
    out = tmp_path_factory.mktemp("report") / "report"
    assert main(["report", "--warehouse", str(report_warehouse), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def run_row(report_warehouse) -> dict:
    with duckdb.connect(str(report_warehouse), read_only=True) as con:
        frame = con.sql("select * from results.runs order by finished_at desc limit 1").df()
    return frame.iloc[0].to_dict()
