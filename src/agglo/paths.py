"""Where the repository's data lives.

The tool works on a checkout (catalog, seeds and raw files are repository data, not package data),
so every path is resolved from the repository root: ``$AGGLO_HOME`` if set, else the checkout this
package was installed from.
"""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    env = os.environ.get("AGGLO_HOME")
    if env:
        return Path(env).resolve()
    # src/agglo/paths.py -> repository root two levels above the package
    return Path(__file__).resolve().parents[2]


def raw_dir() -> Path:
    return repo_root() / "raw"


def catalog_dir() -> Path:
    return raw_dir() / "catalog"


def seeds_dir() -> Path:
    return repo_root() / "dbt_project" / "seeds"


def warehouse_path() -> Path:
    env = os.environ.get("AGGLO_WAREHOUSE")
    if env:
        return Path(env).resolve()
    return repo_root() / "warehouse" / "agglo.duckdb"


def shared_dir() -> Path:
    """``../shared`` beside the checkout (read-only reference material)."""
    env = os.environ.get("AGGLO_SHARED")
    if env:
        return Path(env).resolve()
    return repo_root().parent / "shared"
