"""One demo warehouse per test session (built from raw/ like `make build`), opened read-only.

``AGGLO_TEST_WAREHOUSE=path`` reuses a warehouse already built from the demo data (``make build``
writes one) instead of building another: these tests only read it.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from agglo.build import build


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory) -> Path:
    reuse = os.environ.get("AGGLO_TEST_WAREHOUSE")
    if reuse:
        path = Path(reuse)
        assert path.is_file(), f"AGGLO_TEST_WAREHOUSE={reuse}: no such file"
        return path
    path = tmp_path_factory.mktemp("analyst-wh") / "agglo.duckdb"
    report = build(warehouse=path, progress=False)
    assert report.ok, report.summary()
    return path


@pytest.fixture
def con(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        yield connection
