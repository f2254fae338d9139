"""agglo.inputs: which input groups changed since the last build, on a checkout made up here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agglo import inputs


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A checkout with one file in every input group, and a warehouse file."""
    files = {
        "raw/demo/csy/gdp/2010.csv": "province,gdp\n北京,1\n",
        "raw/demo/_truth/truth.csv": "not an input\n",
        "raw/catalog/csy_gdp.yml": "table_id: csy_gdp\n",
        "expectations/defaults.yml": "checks: {}\n",
        "dbt_project/models/m.sql": "select 1\n",
        "dbt_project/target/manifest.json": "{}\n",
        "estimation/specs/paper.yml": "tables: []\n",
        "warehouse/agglo.duckdb": "warehouse bytes",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    monkeypatch.setenv("AGGLO_HOME", str(tmp_path))
    return tmp_path


def built(home: Path) -> Path:
    """The warehouse, as a successful build leaves it (the stamp written)."""
    warehouse = home / "warehouse" / "agglo.duckdb"
    inputs.write_stamp(inputs.check(warehouse), complete=True)
    return warehouse


def test_no_stamp_means_everything(home):
    state = inputs.check(home / "warehouse" / "agglo.duckdb")
    assert not state.up_to_date
    assert state.reason == "no earlier build of this warehouse"


def test_nothing_changed_is_up_to_date(home):
    state = inputs.check(built(home))
    assert state.up_to_date, state.summary()
    assert "up to date" in state.summary()
    assert all(group in state.summary() for group in inputs.GROUPS)


@pytest.mark.parametrize(
    ("rel", "group"),
    [
        ("raw/demo/csy/gdp/2010.csv", "raw files"),
        ("raw/demo/csy/gdp/2011.csv", "raw files"),  # a new file
        ("raw/catalog/csy_gdp.yml", "catalog"),
        ("expectations/defaults.yml", "expectations"),
        ("dbt_project/models/m.sql", "dbt project"),
        ("estimation/specs/paper.yml", "specs"),
    ],
)
def test_a_change_names_its_group(home, rel, group):
    warehouse = built(home)
    (home / rel).write_text("changed\n", encoding="utf-8")
    state = inputs.check(warehouse)
    assert state.changed == [group]
    assert not state.up_to_date and not state.reason


@pytest.mark.parametrize(
    "rel", ["dbt_project/target/manifest.json", "raw/demo/_truth/truth.csv", "raw/README.md"]
)
def test_what_is_not_an_input_changes_nothing(home, rel):
    warehouse = built(home)
    (home / rel).write_text("changed\n", encoding="utf-8")
    assert inputs.check(warehouse).up_to_date


def test_code_is_the_imported_packages(home):
    """The code group hashes src/agglo and estimation/ as imported, not $AGGLO_HOME's copy."""
    (home / "src" / "agglo").mkdir(parents=True)
    (home / "src" / "agglo" / "build.py").write_text("not the code that runs\n")
    before = inputs.fingerprint()["code"]
    (home / "src" / "agglo" / "build.py").write_text("still not\n")
    assert inputs.fingerprint()["code"] == before


def test_build_options_are_inputs(home):
    warehouse = built(home)
    assert inputs.check(warehouse, estimate=False).changed == ["options"]
    assert inputs.check(warehouse, home / "raw", only_raw=True).changed == ["options"]


def test_a_warehouse_written_since_is_rebuilt(home):
    warehouse = built(home)
    warehouse.write_text("agglo load wrote this one", encoding="utf-8")
    state = inputs.check(warehouse)
    assert not state.up_to_date
    assert "written since" in state.reason


def test_an_incomplete_build_is_tried_again(home):
    warehouse = home / "warehouse" / "agglo.duckdb"
    inputs.write_stamp(inputs.check(warehouse), complete=False)
    state = inputs.check(warehouse)
    assert state.changed == [] and state.incomplete and not state.up_to_date


def test_up_to_date_build_imports_no_heavy_tool(home):
    """`agglo build` with nothing to do imports neither dbt, Great Expectations, duckdb nor
    pandas (a fresh interpreter: the test process has them all loaded)."""
    built(home)
    code = (
        "import sys\n"
        "from agglo.cli import main\n"
        "assert main(['build', '--quiet']) == 0\n"
        "heavy = {'dbt', 'great_expectations', 'duckdb', 'pandas', 'linearmodels'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    env = {**os.environ, "AGGLO_HOME": str(home), "AGGLO_WAREHOUSE": ""}
    env.pop("AGGLO_WAREHOUSE")
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("up to date"), proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout
