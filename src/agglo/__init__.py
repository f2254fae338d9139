"""Yearbook loader, DuckDB warehouse and estimates; see README.md and ARCHITECTURE.md."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("agglo-warehouse")  # pyproject.toml's [project] name and version
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "unknown"
