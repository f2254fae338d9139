"""Numbers the scan misread are repaired from the catalog's row identities, and only then."""

from __future__ import annotations

import math

import pytest

from agglo.errors import CatalogError
from agglo.ingest.catalog import load_catalog
from agglo.ingest.parse import parse_sheets
from agglo.ingest.readers import Sheet

CATALOG = """
table_id: tst_funds
yearbook: tst
table: funds
title: 各地区测试经费
title_patterns: ['各地区测试经费']
entity: province_year
data_year: {from: filename}
identities:
  - {total: total, parts: [government, enterprise, other]}
indicators:
  - id: government
    patterns: ['政府']
    unit: 万元
  - id: enterprise
    patterns: ['企业']
    unit: 万元
  - id: other
    patterns: ['其他']
    unit: 万元
  - id: total
    patterns: ['合计']
    unit: 万元
"""
PROVINCES = ["北京", "天津", "河北"]


@pytest.fixture()
def table(tmp_path):
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "tst_funds.yml").write_text(CATALOG, encoding="utf-8")
    return load_catalog(folder)["tst_funds"]


def parse(table, beijing: list[str]):
    """A grid whose Beijing row is ``beijing`` (total, government, enterprise, other)."""
    rows = [["各地区测试经费"], ["地区", "合计", "政府", "企业", "其他"]]
    rows.append(["北京", *beijing])
    rows += [[name, "60", "10", "20", "30"] for name in PROVINCES[1:]]
    sheet = Sheet("1", [r + [""] * (5 - len(r)) for r in rows])
    result = parse_sheets([sheet], "2012.xls", table)
    df = result.records.set_index("source_cell")
    return df, result.warnings


def test_a_misread_part_is_repaired_from_the_total(table):
    df, warnings = parse(table, ["3686332", "100", "368613!", "100"])
    cell = df.loc["D3"]
    assert cell["value_flag"] == "repaired" and cell["value"] == 3686132
    assert cell["value_raw"] == "368613!"
    assert len(warnings) == 1 and warnings[0].startswith(
        "1!D3: '368613!' (北京, enterprise) is not a number; repaired to 3686132 from the "
        "identity total = government + enterprise + other"
    )


def test_a_misread_total_and_decimals_are_repaired_from_the_parts(table):
    df, warnings = parse(table, ["1O2.S", "10.2", "40.1", "52.2"])
    assert df.loc["B3", "value_flag"] == "repaired"
    assert df.loc["B3", "value"] == pytest.approx(102.5)
    assert len(warnings) == 1 and "repaired to 102.5" in warnings[0]


@pytest.mark.parametrize(
    ("beijing", "why"),
    [
        (["3686332", "100", "368713!", "100"], "a legible digit disagrees (7 vs 6)"),
        (["3686332", "100", "36861!", "100"], "one digit too few"),
        (["3686332", "", "368613!", "100"], "another cell of the identity is blank"),
        (["3686332", "1O0", "368613!", "100"], "another cell is not a number either"),
        (["3686332", "100", "3686*13", "100"], "a character that is not a scan look-alike"),
        (["3686332", "100", "368613", "100x"], "text beside the number"),
    ],
)
def test_no_repair_when_the_identity_cannot_vouch_for_it(table, beijing, why):
    df, warnings = parse(table, beijing)
    invalid = df[df["value_flag"] == "invalid"]
    assert len(invalid) >= 1, why
    assert invalid["value"].isna().all(), why
    assert not (df["value_flag"] == "repaired").any(), why
    assert not [w for w in warnings if "repaired" in w], why


def test_without_identities_nothing_is_repaired(tmp_path):
    folder = tmp_path / "catalog"
    folder.mkdir()
    text = CATALOG.replace(
        "identities:\n  - {total: total, parts: [government, enterprise, other]}\n", ""
    )
    (folder / "tst_funds.yml").write_text(text, encoding="utf-8")
    df, warnings = parse(load_catalog(folder)["tst_funds"], ["3686332", "100", "368613!", "100"])
    assert df.loc["D3", "value_flag"] == "invalid" and math.isnan(df.loc["D3", "value"])
    assert warnings == []


@pytest.mark.parametrize(
    "identity",
    [
        "{total: total, parts: [government]}",
        "{total: total, parts: [government, nothing]}",
        "{total: total, parts: [government, total]}",
        "{sum: total, parts: [government, other]}",
    ],
)
def test_identities_are_checked_against_the_indicators(tmp_path, identity):
    folder = tmp_path / "catalog"
    folder.mkdir()
    text = CATALOG.replace("{total: total, parts: [government, enterprise, other]}", identity)
    (folder / "tst_funds.yml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError, match="identit"):
        load_catalog(folder)


def test_the_real_misreading_is_repaired(yearbooks_dir):
    """rd-funding-source/2012.xls E12 prints '368633!' for Beijing's enterprise funds: the total
    minus the other sources gives 3686332, and the province sum then meets 全国 exactly."""
    from agglo.ingest.parse import parse_file

    result = parse_file(yearbooks_dir / "st-yearbook" / "rd-funding-source" / "2012.xls")
    df = result.records
    cell = df.set_index("source_cell").loc["E12"]
    assert (cell["value_raw"], cell["value_flag"]) == ("368633!", "repaired")
    assert cell["value"] == 3686332
    funds = df[df["indicator"] == "enterprise_funds"]
    provinces = funds.loc[funds["entity_kind"] == "province", "value"].sum()
    national = funds.loc[funds["aggregate_code"] == "national", "value"].iloc[0]
    assert abs(provinces - national) <= 0.5 * 32  # half a unit per printed integer cell
    assert [w for w in result.warnings if "repaired" in w] == [
        next(w for w in result.warnings if w.startswith("1!E12: '368633!'"))
    ]
