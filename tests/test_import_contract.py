"""The import contracts of pyproject.toml ([tool.importlinter]) hold, and they bite.

The load path is layered (cli > build > pipeline > report, demo > warehouse > quality > ingest >
base), has no import cycles, and estimation imports nothing from agglo. ``lint-imports`` checks
every import, lazy ones inside functions included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_import_contracts_are_kept():
    proc = lint_imports(ROOT, ROOT / "src")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture
def copy_of_code(tmp_path) -> Path:
    """The packages and pyproject.toml copied into a temp dir (to break a contract there)."""
    shutil.copytree(ROOT / "src" / "agglo", tmp_path / "src" / "agglo")
    shutil.copytree(ROOT / "estimation", tmp_path / "src" / "estimation")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_a_lazy_upward_import_breaks_the_layers(copy_of_code):
    """ingest reaching up to the pipeline inside a function is caught."""
    files = copy_of_code / "src" / "agglo" / "ingest" / "files.py"
    with files.open("a", encoding="utf-8") as fh:
        fh.write("\n\ndef _sneaky():\n    from agglo.pipeline import load_paths\n\n    return 1\n")
    proc = lint_imports(copy_of_code, copy_of_code / "src")
    assert proc.returncode != 0
    assert "agglo.ingest.files -> agglo.pipeline" in proc.stdout, proc.stdout
