"""Rules the gate shares with dbt are read from where dbt reads them, and the gate is pure.

The frames are built from a parsed file and reference frames only (no warehouse, no file read by
the gate), so these tests hand them in directly.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml

from agglo import paths, quality
from agglo.errors import CatalogError
from agglo.ingest.catalog import load_catalog
from agglo.ingest.parsed import parse_path
from agglo.quality.frames import NEIGHBOUR_COLUMNS, build_frames
from agglo.refdata import refdata

CATALOG = """
table_id: test_rates
yearbook: tst
table: rates
title: 测试比率表
title_patterns: ['测试比率表']
entity: province_year
industry: T
data_year: {from: filename}
indicators:
  - id: output
    label: Output
    patterns: ['产值']
    unit: 万元
  - id: share
    label: Share
    patterns: ['比重']
    unit: '%'
"""


@pytest.fixture
def parsed(tmp_path):
    """Three provinces whose national output adds up (100 = 40 + 35 + 25) while the national
    share (a rate, 50 %) is far from the sum of the provinces' shares (150 %)."""
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "test_rates.yml").write_text(CATALOG, encoding="utf-8")
    path = tmp_path / "tst" / "2015.csv"
    path.parent.mkdir()
    path.write_text(
        textwrap.dedent(
            """\
            测试比率表（2015年）,,
            地区,产值（万元）,比重（%）
            全国,100,50.0
            北京,40,60.0
            天津,35,50.0
            河北,25,40.0
            """
        ),
        encoding="utf-8",
    )
    return parse_path(path, load_catalog(tmp_path / "catalog"), rel="tst/2015.csv")


def groups_of(parsed) -> pd.DataFrame:
    rules = quality.table_rules(parsed.table)
    _, groups, _ = build_frames(parsed, rules, refdata(), pd.DataFrame(columns=NEIGHBOUR_COLUMNS))
    return groups.set_index("indicator")


def test_units_that_do_not_add_up_are_not_reconciled(parsed):
    assert not refdata().units["%"].is_additive and refdata().units["万元"].is_additive
    groups = groups_of(parsed)
    assert groups.loc["output", "total_gap"] <= 0  # 40 + 35 + 25 = 100
    assert pd.isna(groups.loc["share", "total_gap"])  # 150 % vs 50 %: not a sum, not checked


@pytest.mark.parametrize(("printed", "fails"), [(101, False), (110, True)])
def test_reconciliation_tolerance_is_rounding_plus_the_dbt_share(parsed, printed, fails):
    records = parsed.records
    national = (records["aggregate_code"] == "national") & (records["indicator"] == "output")
    records.loc[national, ["value", "value_raw"]] = [float(printed), str(printed)]
    gap = groups_of(parsed).loc["output", "total_gap"]
    relative = yaml.safe_load(
        (paths.repo_root() / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8")
    )["vars"]["reconciliation_relative_tolerance"]
    assert relative == pytest.approx(0.002)
    # |Σ provinces − total| minus (four integer cells × half a unit + the share of the total)
    assert gap == pytest.approx(abs(100 - printed) - (4 * 0.5 + relative * printed), abs=1e-9)
    assert bool(gap > 0) is fails


def test_years_come_from_the_ingest_layer(parsed):
    assert (parsed.file_name_year, parsed.title_year, parsed.data_years) == (2015, 2015, [2015])
    groups = groups_of(parsed)
    assert set(groups["file_name_year"]) == {2015} and set(groups["title_year"]) == {2015}


@pytest.mark.parametrize("key", ["total_tolerance", "additive"])
def test_shared_rules_cannot_be_set_in_expectations(tmp_path, monkeypatch, key, parsed):
    exp = tmp_path / "expectations"
    exp.mkdir()
    (exp / "defaults.yml").write_text(
        (quality.expectations_dir() / "defaults.yml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    if key == "total_tolerance":
        doc = {key: {"relative": 0.1}}
    else:
        doc = {"indicators": {"share": {key: True}}}
    (exp / "test_rates.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(CatalogError, match=f"'{key}' is no longer set here") as err:
        quality.table_rules(parsed.table, Path(exp))
    assert "dbt_project" in str(err.value)
