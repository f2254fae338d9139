"""Yearbook files on disk: which files to read, their content hash, and the path the warehouse
stores for each (relative to the checkout when inside it)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from agglo import paths
from agglo.errors import AggloError

SUPPORTED_SUFFIXES = {".xls", ".xlsx", ".csv", ".htm", ".html"}


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes (hex): the identity of a file's content."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def display_path(path: Path) -> str:
    """Path as stored in the warehouse: relative to the checkout when inside it."""
    path = path.resolve()
    try:
        return path.relative_to(paths.repo_root()).as_posix()
    except ValueError:
        return path.as_posix()


def stored_file(rel: str) -> Path:
    """The file a stored path names (the inverse of :func:`display_path`)."""
    path = Path(rel)
    return path if path.is_absolute() else paths.repo_root() / path


def discover(roots: Iterable[Path]) -> list[Path]:
    """Yearbook files under the given files/folders, skipping the catalog and ``_``/``.`` paths."""
    found: list[Path] = []
    for root in roots:
        if not root.exists():
            raise AggloError(
                f"{root} does not exist",
                hint="check the path (a relative path starts from the current directory); a "
                "file or folder anywhere can be given, inside the checkout or not",
            )
        if root.is_file():
            found.append(root)
            continue
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).parts
            if not path.is_file() or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            if any(part.startswith(("_", ".")) or part == "catalog" for part in rel):
                continue
            found.append(path)
    return found
