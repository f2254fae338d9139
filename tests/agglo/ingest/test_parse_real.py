"""The real yearbook extracts in ../shared/yearbooks parse completely and exactly.

Spot values were read by hand from the files (cell references as Excel shows them). Every indicator
must cover all 31 provinces, keep printed aggregates apart, and add up to the printed national total
within the rounding of the printed precision.
"""

from __future__ import annotations

import io
import json
import math

import msoffcrypto
import pandas as pd
import pytest

from agglo.cli import INSPECT_COLUMNS, main
from agglo.errors import AggloError
from agglo.ingest.parse import RECORD_COLUMNS, parse_file
from agglo.refdata import refdata

OPERATION = "st_hightech_operation"
RD = "st_hightech_rd"
OP_ALL = {
    "enterprises",
    "employment",
    "gross_output",
    "revenue",
    "profit",
    "pretax_profit",
    "export_delivery",
}
RD_2021 = {
    "rd_institutions",
    "rd_personnel_fte",
    "rd_expenditure",
    "new_product_projects",
    "new_product_expenditure",
    "new_product_sales",
    "new_product_export",
    "patent_applications",
    "invention_patent_applications",
    "invention_patents_in_force",
    "tech_renovation_expenditure",
    "domestic_tech_purchase_expenditure",
    "foreign_tech_acquisition_expenditure",
    "assimilation_expenditure",
}

# file -> (table, data year, indicators, printed aggregates, spot checks)
# spot check: (cell, name_raw, indicator, value or None for a blank, unit)
EXPECTED = {
    "hightech-operation/2010.xls": (
        OPERATION, 2010, OP_ALL, {"national", "east", "central", "west"},
        [
            ("C18", "北    京", "enterprises", 1103, "个"),
            ("D22", "内 蒙 古", "employment", 27846, "人"),
            ("F39", "广    东", "revenue", 20952.8, "亿元"),
            ("H12", "全    国", "pretax_profit", 6753.1, "亿元"),
            ("I47", "西    藏", "export_delivery", None, "亿元"),
        ],
    ),
    "hightech-operation/2010.xlsx": (
        OPERATION, 2010, {"enterprises", "revenue", "profit"},
        {"national", "east", "central", "west"},
        [
            ("C13", "北    京", "enterprises", 1103, "个"),
            ("D34", "广    东", "revenue", 20952.8, "亿元"),  # no unit line: catalog unit
            ("E7", "全    国", "profit", 4879.7, "亿元"),
        ],
    ),
    "hightech-operation/2011.xls": (
        OPERATION, 2011, OP_ALL, {"national", "east", "central", "west"},
        [
            ("C18", "北京", "enterprises", 737, "个"),
            ("F39", "广东", "revenue", 23227.6, "亿元"),
            ("I47", "西藏", "export_delivery", 0.0, "亿元"),
            ("E12", "全国", "gross_output", 88433.9, "亿元"),
        ],
    ),
    "hightech-operation/2012.xls": (
        OPERATION, 2012,
        {"enterprises", "revenue", "profit", "pretax_profit", "export_delivery"},
        {"national", "east", "central", "west", "northeast"},
        [
            ("C11", "北京", "enterprises", 760, "个"),
            ("D29", "广东", "revenue", 25046.6, "亿元"),
            ("G36", "西藏", "export_delivery", None, "亿元"),
            ("F6", "全国", "pretax_profit", 9494.3, "亿元"),
        ],
    ),
    "hightech-operation/2013.xlsx": (
        OPERATION, 2013, {"enterprises", "revenue", "profit"},
        {"national", "east", "central", "west", "northeast"},
        [
            ("C12", "北京", "enterprises", 782, "个"),
            ("D30", "广东", "revenue", 27871.1, "亿元"),
            ("E41", "宁夏", "profit", -0.1, "亿元"),
        ],
    ),
    "hightech-operation/2015.xls": (
        OPERATION, 2015, {"enterprises", "revenue", "profit", "export_delivery"},
        {"national", "east", "central", "west", "northeast"},
        [
            ("C10", "北京", "enterprises", 805, "个"),
            ("D28", "广东", "revenue", 33308, "亿元"),
            ("F35", "西藏", "export_delivery", 0, "亿元"),
            ("E5", "全国", "profit", 8986, "亿元"),
        ],
    ),
    "hightech-operation/2018.xls": (
        OPERATION, 2018, {"enterprises", "revenue", "profit"},
        {"national", "east", "central", "west", "northeast"},
        [
            ("C11", "北 京", "enterprises", 799, "个"),
            ("D29", "广 东", "revenue", 46747, "亿元"),  # 营业收入, unit line "单位:个,亿元"
            ("E6", "全 国", "profit", 10293, "亿元"),
            ("C15", "内蒙古", "enterprises", 93, "个"),
        ],
    ),
    "hightech-operation/2020-soshu.xls": (
        OPERATION, 2020, {"enterprises", "revenue", "profit"},
        {"national", "east", "central", "west", "northeast"},
        [
            ("B4", "全国", "enterprises", 40194, "个"),
            ("B9", "北京", "enterprises", 884, "个"),
            ("C27", "广东", "revenue", 50185, "亿元"),
            ("D39", "新疆", "profit", 21, "亿元"),
        ],
    ),
    "hightech-operation/2021.xlsx": (
        OPERATION, 2021, {"enterprises", "revenue", "profit"},
        {"national", "east", "central", "west", "northeast"},
        [
            ("C11", "全    国", "enterprises", 45646, "个"),
            ("D18", "北    京", "revenue", 10311.2193, "亿元"),
            ("E47", "西    藏", "profit", 16.5649, "亿元"),
        ],
    ),
    "hightech-rd/2018.xls": (
        RD, 2018, RD_2021 | {"rd_projects", "rd_project_expenditure"},
        {"national", "east", "central", "west", "northeast"},
        [
            ("C11", "北 京", "rd_institutions", 228, "个"),
            ("C36", "西 藏", "rd_institutions", None, "个"),
            ("F11", "北 京", "rd_projects", 3081, "项"),
            # side-by-side continuation block, columns L:V
            ("N10", "北 京", "new_product_sales", 20280793, "万元"),
            ("O10", "北 京", "new_product_export", 4245496, "万元"),
            ("Q10", "北 京", "invention_patent_applications", 5013, "件"),
            ("V10", "北 京", "assimilation_expenditure", None, "万元"),
        ],
    ),
    "hightech-rd/2021.xls": (
        RD, 2021, RD_2021, {"national", "east", "central", "west", "northeast"},
        [
            ("C21", "北    京", "rd_institutions", 247, "个"),
            ("D21", "北    京", "rd_personnel_fte", 23103.9, "人年"),
            ("H21", "北    京", "new_product_sales", 53881022.2, "万元"),
            ("I21", "北    京", "new_product_export", 19769042.3, "万元"),
            ("I56", "新    疆", "new_product_export", None, "万元"),
        ],
    ),
    "hightech-rd/2022.xls": (
        RD, 2022, RD_2021, {"national", "east", "central", "west", "northeast"},
        [
            ("C7", "全 国", "rd_institutions", 25084, "个"),
            ("C12", "北 京", "rd_institutions", 261, "个"),
            ("H12", "北 京", "new_product_sales", 29261987, "万元"),
            ("I12", "北 京", "new_product_export", 8370751, "万元"),
            # continuation block below the first ("5-4续表"), rows 45-84
            ("C54", "北 京", "patent_applications", 17170, "件"),
            ("D54", "北 京", "invention_patent_applications", 12039, "件"),
            ("I84", "新 疆", "assimilation_expenditure", None, "万元"),
        ],
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def parsed(yearbooks_dir):
    cache = {}

    def get(rel: str):
        if rel not in cache:
            cache[rel] = parse_file(yearbooks_dir / "st-yearbook" / rel)
        return cache[rel]

    return get


def test_every_shared_file_is_covered(yearbooks_dir, uncatalogued_families):
    root = yearbooks_dir / "st-yearbook"
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    pending = {rel for rel in on_disk if (root / rel).parent.name in uncatalogued_families}
    assert on_disk - pending == set(EXPECTED), "add spot checks for new shared files to EXPECTED"
    assert {(root / rel).parent.name for rel in pending} == uncatalogued_families, (
        "a family in UNCATALOGUED_FAMILIES (tests/conftest.py) has no files left: remove it"
    )
    for rel in sorted(pending):
        with pytest.raises(AggloError):
            parse_file(root / rel)
            pytest.fail(
                f"{rel} parses now: remove its family from UNCATALOGUED_FAMILIES in "
                "tests/conftest.py"
            )


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_file_parses_completely(parsed, rel):
    table, year, indicators, aggregates, _ = EXPECTED[rel]
    result = parsed(rel)
    df = result.records
    assert result.table.table_id == table
    assert result.data_years == [year]
    assert list(df.columns) == RECORD_COLUMNS
    assert result.warnings == []
    assert set(df["indicator"]) == indicators
    assert (df["industry_code"] == "T").all()
    assert (df["yearbook"] == "st").all()
    # no invalid cells; blank cells carry no value
    assert not (df["value_flag"] == "invalid").any()
    assert df.loc[df["value_flag"].notna(), "value"].isna().all()
    assert df.loc[df["value_flag"].isna(), "value"].notna().all()

    provinces = df[df["entity_kind"] == "province"]
    aggs = df[df["entity_kind"] == "aggregate"]
    assert set(df["entity_kind"]) == {"province", "aggregate"}
    assert provinces["aggregate_code"].isna().all() and provinces["province_code"].notna().all()
    assert aggs["province_code"].isna().all() and aggs["aggregate_code"].notna().all()
    assert set(aggs["aggregate_code"]) == aggregates
    all_codes = set(refdata().provinces)
    for ind, group in provinces.groupby("indicator"):
        assert set(group["province_code"]) == all_codes, ind
        assert len(group) == 31, ind  # each province once per indicator
    assert len(aggs) == len(aggregates) * len(indicators)


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_provinces_add_up_to_printed_totals(parsed, rel):
    """Provinces sum to 全国, and the printed region subtotals too, within printed rounding."""
    df = parsed(rel).records
    for ind, group in df.groupby("indicator"):
        provinces = group[group["entity_kind"] == "province"]
        national = group[group["aggregate_code"] == "national"]
        regions = group[group["aggregate_code"].isin(["east", "central", "west", "northeast"])]
        assert len(national) == 1, ind
        total = national["value"].iloc[0]
        digits = max(_decimals(t) for t in group["value_raw"] if t)
        # each printed value is off by at most half a unit in its last digit; blanks count as 0
        tolerance = 0.5 * 10**-digits * (len(provinces) + 1) + 1e-9 * abs(total)
        assert math.isclose(provinces["value"].sum(), total, abs_tol=tolerance), ind
        assert math.isclose(regions["value"].sum(), total, abs_tol=tolerance), ind


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_spot_values(parsed, rel):
    df = parsed(rel).records.set_index("source_cell")
    for cell, name, indicator, value, unit in EXPECTED[rel][4]:
        rec = df.loc[cell]
        assert (rec["name_raw"], rec["indicator"], rec["unit"]) == (name, indicator, unit), cell
        if value is None:
            assert rec["value_flag"] == "blank" and math.isnan(rec["value"]), cell
        else:
            assert pd.isna(rec["value_flag"]) and rec["value"] == pytest.approx(value), cell
        assert rec["source_col"] + str(rec["source_row"]) == cell


def test_aggregates_never_provinces(parsed):
    df = parsed("hightech-operation/2010.xls").records
    middle = df[df["name_raw"] == "中部地区"]
    assert set(middle["entity_kind"]) == {"aggregate"} and set(middle["aggregate_code"]) == {
        "central"
    }
    assert middle["province_code"].isna().all()


def test_continuation_block_below(parsed):
    """hightech-rd/2022.xls: the second block (rows 45-84) brings its own indicators."""
    df = parsed("hightech-rd/2022.xls").records
    second = {
        "patent_applications",
        "invention_patent_applications",
        "invention_patents_in_force",
        "tech_renovation_expenditure",
        "domestic_tech_purchase_expenditure",
        "foreign_tech_acquisition_expenditure",
        "assimilation_expenditure",
    }
    below = df[df["source_row"] >= 49]
    assert set(below["indicator"]) == second
    assert set(df.loc[df["source_row"] < 45, "indicator"]) == RD_2021 - second
    assert below["source_row"].max() == 84


def test_of_which_export_is_not_the_parent(parsed):
    """``#出口`` sits beside new-product sales under an unmerged blank: it is exports, not sales."""
    for rel, sales_col, export_col in [
        ("hightech-rd/2018.xls", "N", "O"),
        ("hightech-rd/2021.xls", "H", "I"),
        ("hightech-rd/2022.xls", "H", "I"),
    ]:
        df = parsed(rel).records
        assert set(df.loc[df["indicator"] == "new_product_sales", "source_col"]) == {sales_col}
        assert set(df.loc[df["indicator"] == "new_product_export", "source_col"]) == {export_col}
        prov = df[df["entity_kind"] == "province"].pivot(
            index="province_code", columns="indicator", values="value"
        )
        both = prov[["new_product_sales", "new_product_export"]].dropna()
        assert (both["new_product_export"] <= both["new_product_sales"]).all(), rel


def test_html_and_encrypted_inputs(yearbooks_dir, parsed):
    soshu = yearbooks_dir / "st-yearbook" / "hightech-operation" / "2020-soshu.xls"
    assert soshu.read_bytes().lstrip().startswith(b"<!--") or b"<html" in soshu.read_bytes()[:2000]
    assert parsed("hightech-operation/2020-soshu.xls").records["source_sheet"].iloc[0] == (
        "2020-soshu"
    )
    enc = yearbooks_dir / "st-yearbook" / "hightech-rd" / "2022.xls"
    assert msoffcrypto.OfficeFile(io.BytesIO(enc.read_bytes())).is_encrypted()
    assert len(parsed("hightech-rd/2022.xls").records) == 36 * 14


def test_units_from_headers_and_unit_lines(parsed):
    def units(rel):
        df = parsed(rel).records
        return dict(zip(df["indicator"], df["unit"], strict=False))

    assert units("hightech-operation/2010.xls") == {
        "enterprises": "个",  # header "(个)" beats the unit line 单位：亿元
        "employment": "人",
        "gross_output": "亿元",
        "revenue": "亿元",
        "profit": "亿元",
        "pretax_profit": "亿元",
        "export_delivery": "亿元",
    }
    # 2018: unit line "单位:个,亿元"; profit's header has no unit, takes the 亿元 (money) one
    assert units("hightech-operation/2018.xls")["profit"] == "亿元"
    rd = units("hightech-rd/2018.xls")
    assert rd["rd_personnel_fte"] == "人年" and rd["patent_applications"] == "件"


# -- agglo inspect ---------------------------------------------------------------------------------


def test_inspect_csv(yearbooks_dir, capsys):
    path = yearbooks_dir / "st-yearbook" / "hightech-operation" / "2015.xls"
    assert main(["inspect", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(",") == INSPECT_COLUMNS
    assert len(lines) == 1 + 36 * 4
    expected = "st_hightech_operation,st,2015,province,11,,北京,T,enterprises,805.0,个,805,,"
    assert expected in lines[6]


def test_inspect_json_provinces_only(yearbooks_dir, capsys):
    path = yearbooks_dir / "st-yearbook" / "hightech-rd" / "2022.xls"
    assert main(["inspect", str(path), "--format", "json", "--provinces-only"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 31 * 14
    assert list(rows[0]) == INSPECT_COLUMNS
    beijing = next(r for r in rows if r["source_cell"] == "C12")
    assert beijing["province_code"] == "11" and beijing["value"] == 261


def test_inspect_unreadable_and_unknown(tmp_path, capsys):
    empty = tmp_path / "empty.xls"
    empty.write_bytes(b"")
    assert main(["inspect", str(empty)]) == 2
    err = capsys.readouterr().err
    assert "empty.xls" in err and "empty" in err

    unknown = tmp_path / "2015.csv"
    unknown.write_text("表9 各地区粮食产量\n地区,产量\n北京,1\n", encoding="utf-8")
    assert main(["inspect", str(unknown)]) == 2
    err = capsys.readouterr().err
    assert "2015.csv" in err and "matches no catalog table" in err and "--table" in err
    assert "st_hightech_operation" in err
