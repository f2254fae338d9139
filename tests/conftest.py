"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

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
