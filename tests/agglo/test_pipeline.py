"""The `agglo` command's terminal output: library log records below WARNING go to the log file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AGGLO = Path(sys.executable).with_name("agglo")
# an .xls encrypted with Excel's default password: decrypting it logs through the root logger
ENCRYPTED_XLS = "st-yearbook/hightech-operation/2015.xls"


def test_load_prints_no_library_info_lines(tmp_path, yearbooks_dir):
    home = tmp_path / "home"
    (home / "raw").mkdir(parents=True)
    for rel in ("raw/catalog", "dbt_project", "expectations"):
        (home / rel).symlink_to(ROOT / rel)
    env = {
        **os.environ,
        "AGGLO_HOME": str(home),
        "AGGLO_WAREHOUSE": str(tmp_path / "wh.duckdb"),
    }
    proc = subprocess.run(
        [str(AGGLO), "load", "--quiet", str(yearbooks_dir / ENCRYPTED_XLS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("1 loaded"), proc.stdout
    terminal = proc.stdout + proc.stderr
    assert "Created temporary directory" not in terminal, terminal
    assert not re.search(r"^(INFO|DEBUG)\b|\bINFO:", terminal, re.MULTILINE), terminal
    log = (home / "logs" / "agglo.log").read_text(encoding="utf-8")
    assert "for ephemeral docs site" in log  # it went to the log file instead
