"""ARCHITECTURE.md's "a new yearbook table" recipe, followed in a temporary copy of the repository.

The copy gets a throw-away table described by a catalog YAML and an expectations YAML only (no
edit anywhere in dbt_project/) and one small CSV yearbook file. ``agglo load`` (AGGLO_HOME pointing
at the copy) publishes it, and ``dbt build`` of the seeds, the staging model and the long panel
shows its cells there, converted from the printed 万元 to 元.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from dbt_support import run_dbt

from agglo import paths

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

AGGLO = Path(sys.executable).parent / "agglo"

CATALOG = """\
table_id: tst_widgets
yearbook: tst
table: widgets
title: 测试部件产值表
description: A throw-away table that only tests the add-a-table recipe.
title_patterns: ['测试部件产值表']
path_patterns: ['(^|/)tst/widgets/']
entity: province_year
row_key: province
data_year: {from: filename, offset: 0}
default_unit: 万元
indicators:
  - id: widget_output
    label: Widget output
    patterns: ['部件产值', 'Widget Output']
    unit: 万元
"""

# three provinces printed; the gate is told so (the real tables expect 31)
EXPECTATIONS = """\
table_id: tst_widgets
expected_provinces: 3
indicators:
  widget_output: {base_unit: 元, province: [0, 1.0e+9], total: [1.0e+4, 1.0e+10]}
"""

YEARBOOK = """\
表1 测试部件产值表,,
Widget Output by Region,,
单位：万元,,
地区,Region,部件产值 Widget Output
全国,National Total,100.5
北  京,Beijing,40.25
天  津,Tianjin,35
河  北,Hebei,25.25
"""


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    """The checkout's catalog, expectations and dbt project, the new table and its one file."""
    root = tmp_path_factory.mktemp("repo_copy")
    repo = paths.repo_root()
    shutil.copytree(repo / "raw" / "catalog", root / "raw" / "catalog")
    shutil.copytree(repo / "expectations", root / "expectations")
    shutil.copytree(
        repo / "dbt_project", root / "dbt_project", ignore=shutil.ignore_patterns("target", "logs")
    )
    (root / "raw" / "catalog" / "tst_widgets.yml").write_text(CATALOG, encoding="utf-8")
    (root / "expectations" / "tst_widgets.yml").write_text(EXPECTATIONS, encoding="utf-8")
    yearbook = root / "raw" / "tst" / "widgets" / "2015.csv"
    yearbook.parent.mkdir(parents=True)
    yearbook.write_text(textwrap.dedent(YEARBOOK), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built_copy(copy, tmp_path_factory, monkeypatch_module) -> Path:
    warehouse_path = copy / "warehouse" / "agglo.duckdb"
    env = dict(os.environ, AGGLO_HOME=str(copy), AGGLO_WAREHOUSE=str(warehouse_path))
    load = subprocess.run(
        [str(AGGLO), "load", "--quiet"], env=env, capture_output=True, text=True, timeout=600
    )
    assert load.returncode == 0, load.stdout[-3000:] + load.stderr[-3000:]
    monkeypatch_module.setenv("AGGLO_DBT_PROJECT_DIR", str(copy / "dbt_project"))
    proc = run_dbt(
        [
            "build",
            "--select",
            "resource_type:seed",
            "+int_province_indicators_stacked",
            "--indirect-selection",
            "cautious",
        ],
        warehouse_path,
        tmp_path_factory.mktemp("dbt_copy"),
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return warehouse_path


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_new_table_reaches_staging_in_base_units(built_copy):
    with duckdb.connect(str(built_copy), read_only=True) as con:
        rows = con.execute(
            "select entity_kind, coalesce(province_code, aggregate_code), value_printed, "
            "unit_printed, value_std, unit_std, rounding_std, region "
            "from staging.stg_raw__records where table_id = 'tst_widgets' order by 2"
        ).fetchall()
    expected = {
        "11": (40.25, 402_500.0, 50.0, "east"),
        "12": (35.0, 350_000.0, 5_000.0, "east"),
        "13": (25.25, 252_500.0, 50.0, "east"),
        "national": (100.5, 1_005_000.0, 500.0, None),
    }
    assert {r[1] for r in rows} == set(expected), rows
    for kind, code, printed, unit_printed, std, unit_std, rounding, region in rows:
        want_printed, want_std, want_rounding, want_region = expected[code]
        assert kind == ("aggregate" if code == "national" else "province")
        assert (unit_printed, unit_std, region) == ("万元", "元", want_region)
        # printed decimals parse exactly; 万元 → 元 is an exact power of ten in binary64 for these
        assert printed == pytest.approx(want_printed, rel=1e-15)
        assert std == pytest.approx(want_std, rel=1e-15)
        assert rounding == pytest.approx(want_rounding, rel=1e-12)


def test_new_table_reaches_the_long_panel(built_copy):
    with duckdb.connect(str(built_copy), read_only=True) as con:
        provinces = con.execute(
            "select province_code from intermediate.int_province_indicators_stacked "
            "where table_id = 'tst_widgets' and indicator = 'widget_output' and year = 2015 "
            "order by 1"
        ).fetchall()
    assert [p for (p,) in provinces] == ["11", "12", "13"]
