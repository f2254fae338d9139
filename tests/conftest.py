"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from agglo import paths

# Families (folders of ../shared/yearbooks/st-yearbook) whose table the catalog does not know yet.
# Strict: every file of a listed family must still fail to parse, so a family that starts passing
# must leave this list, and one that is not listed must pass every check.
UNCATALOGUED_FAMILIES = frozenset(
    {
        "industrial-new-products",
        "industrial-rd-firms",
        "patent-applications",
        "patent-grants",
        "patents-in-force",
        "rd-activity-type",
        "rd-funding-source",
        "rd-intensity",
        "rd-personnel",
        "rd-spending-purpose",
    }
)


@pytest.fixture(scope="session")
def uncatalogued_families() -> frozenset[str]:
    """Real yearbook families (folder names) expected to fail until they are catalogued."""
    return UNCATALOGUED_FAMILIES


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
