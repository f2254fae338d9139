"""Shared fixtures."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from agglo import paths


@pytest.fixture(scope="session")
def yearbooks_dir() -> Path:
    """``../shared/yearbooks``: the real yearbook extracts. Missing is a failure, never a skip."""
    path = paths.shared_dir() / "yearbooks"
    if not (path / "st-yearbook").is_dir():
        pytest.fail(
            f"real yearbook extracts not found at {path}; they are expected beside the checkout "
            "(../shared/yearbooks, or set AGGLO_SHARED)",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def province_regions() -> dict[str, str]:
    """Province code → region from the project's reference data (the province seed)."""
    from agglo.refdata import refdata

    return {code: p.region for code, p in refdata().provinces.items()}


@pytest.fixture(scope="session")
def simulate_panel(province_regions) -> Callable[..., pd.DataFrame]:
    """``estimation.simulate.simulate_system_panel`` on the project's 31 provinces and regions
    (the library takes them as an argument; it does not read the project's seeds itself)."""
    from estimation.simulate import simulate_system_panel

    return functools.partial(simulate_system_panel, regions=province_regions)
