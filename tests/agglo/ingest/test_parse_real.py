"""The real yearbook extracts in ../shared/yearbooks parse completely and exactly.

Spot values were read by hand from the files (cell references as Excel shows them). Every indicator
must cover all 31 provinces, keep printed aggregates apart, and add up to the printed national total
within the rounding of the printed precision.
"""

from __future__ import annotations

import io
import json
import math
import shutil

import msoffcrypto
import pandas as pd
import pytest

from agglo.cli import main
from agglo.errors import LayoutError
from agglo.ingest.catalog import load_catalog
from agglo.ingest.parse import RECORD_COLUMNS, parse_file, parse_sheets
from agglo.ingest.readers import read_workbook
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

PATENT_AGGREGATES = {"national", "east", "central", "west"}
OUT_OF_SCOPE = {"hong_kong", "macao", "taiwan"}


def _patent_indicators(total: str, kind: str) -> set[str]:
    return {total, f"invention_{kind}", f"utility_model_{kind}", f"design_{kind}"}


APPS = _patent_indicators("patent_applications", "applications")
GRANTS = _patent_indicators("patent_grants", "grants")
IN_FORCE = _patent_indicators("patents_in_force", "in_force")
# Patent tables (7-7/8-7, 7-8/8-8, 7-9/8-9) and R&D intensity (1-8, one column per year). Cells were
# read by hand from the files (as Excel shows them). Hong Kong, Macao and Taiwan rows are out of
# scope; the misprinted 江两 (patent-applications/2014.xls A25) is Jiangxi by its English name.
# rd-intensity: data years are the year columns; the spot checks of those files name the year
# in RD_INTENSITY_SPOTS below.
EXPECTED |= {
    "patent-applications/2010.xls": (
        "st_patent_applications", 2010, APPS, PATENT_AGGREGATES,
        [
            ("C9", "全    国", "patent_applications", 1109428, "件"),
            ("D15", "北    京", "invention_applications", 33466, "件"),
            ("E26", "江    苏", "utility_model_applications", 51436, "件"),
            ("F44", "西    藏", "design_applications", 53, "件"),
            ("C52", "香    港", "patent_applications", 2980, "件"),  # out of scope
        ],
    ),
    "patent-applications/2014.xls": (
        "st_patent_applications", 2014, APPS, PATENT_AGGREGATES | {"northeast"},
        [
            ("C7", "全国", "patent_applications", 2210616, "件"),
            ("C25", "江两", "patent_applications", 25594, "件"),  # misprint of 江西 (Jiangxi)
            ("F37", "西藏", "design_applications", 91, "件"),
            ("D45", "台湾", "invention_applications", 10491, "件"),
        ],
    ),
    "patent-applications/2017.xls": (  # renumbered 8-7, 申请数 instead of 申请受理数
        "st_patent_applications", 2017, APPS, {"national"},
        [
            ("C7", "全 国", "patent_applications", 3536333, "件"),
            ("D8", "北 京", "invention_applications", 99167, "件"),
            ("E26", "广 东", "utility_model_applications", 283564, "件"),
            ("F40", "澳 门", "design_applications", 57, "件"),
        ],
    ),
    "patent-applications/2020.xls": (
        "st_patent_applications", 2020, APPS, {"national"},
        [
            ("C7", "全 国", "patent_applications", 5016030, "件"),
            ("C26", "广 东", "patent_applications", 967204, "件"),
            ("D33", "西 藏", "invention_applications", 477, "件"),
            ("C39", "香 港", "patent_applications", 3275, "件"),  # English "Hong Kong"
        ],
    ),
    "patent-grants/2011.xls": (
        "st_patent_grants", 2011, GRANTS, PATENT_AGGREGATES,
        [
            ("C9", "全国", "patent_grants", 883861, "件"),
            ("D15", "北京", "invention_grants", 15880, "件"),
            ("F26", "江苏", "design_grants", 135358, "件"),
            ("C54", "台湾", "patent_grants", 17327, "件"),
        ],
    ),
    "patent-grants/2015.xls": (
        "st_patent_grants", 2015, GRANTS, PATENT_AGGREGATES | {"northeast"},
        [
            ("C7", "全国", "patent_grants", 1596977, "件"),
            ("E21", "江苏", "utility_model_grants", 119513, "件"),
            ("F37", "西藏", "design_grants", 107, "件"),
            ("D43", "香港", "invention_grants", 621, "件"),
        ],
    ),
    "patent-grants/2019.xls": (  # renumbered 8-8, 授权数 instead of 申请授权数
        "st_patent_grants", 2019, GRANTS, {"national"},
        [
            ("C7", "全 国", "patent_grants", 2474406, "件"),
            ("D8", "北 京", "invention_grants", 53127, "件"),
            ("E17", "江 苏", "utility_model_grants", 233114, "件"),
            ("C41", "台 湾", "patent_grants", 13094, "件"),
        ],
    ),
    "patent-grants/2023.xls": (
        "st_patent_grants", 2023, GRANTS, {"national"},
        [
            ("C7", "全国", "patent_grants", 3532282, "件"),
            ("C33", "西藏", "patent_grants", 1877, "件"),  # English "Xizang"
            ("F26", "广东", "design_grants", 235623, "件"),
            ("D39", "香港", "invention_grants", 752, "件"),
        ],
    ),
    "patents-in-force/2013.xls": (  # extra line 七、科技活动成果 above the title
        "st_patents_in_force", 2013, IN_FORCE, PATENT_AGGREGATES | {"northeast"},
        [
            ("C8", "全国", "patents_in_force", 3635929, "件"),
            ("D13", "北京", "invention_in_force", 85434, "件"),
            ("E22", "江苏", "utility_model_in_force", 255399, "件"),
            ("C46", "台湾", "patents_in_force", 98518, "件"),
        ],
    ),
    "patents-in-force/2018.xls": (
        "st_patents_in_force", 2018, IN_FORCE, {"national"},
        [
            ("C7", "全 国", "patents_in_force", 7517791, "件"),
            ("D8", "北 京", "invention_in_force", 241282, "件"),
            ("F26", "广 东", "design_in_force", 453750, "件"),
            ("C39", "香 港", "patents_in_force", 16262, "件"),
        ],
    ),
    "rd-intensity/2019.xls": (
        "st_rd_intensity", list(range(2012, 2020)), {"rd_intensity"}, {"national"},
        [
            ("C6", "全 国", "rd_intensity", 1.91, "%"),
            ("J7", "北 京", "rd_intensity", 6.31, "%"),
            ("F32", "西 藏", "rd_intensity", 0.30, "%"),
            ("J6", "全 国", "rd_intensity", 2.23, "%"),
        ],
    ),
    "rd-intensity/2021.xls": (  # unrounded ratios behind a 2-decimal format up to 2020
        "st_rd_intensity", list(range(2012, 2022)), {"rd_intensity"}, {"national"},
        [
            ("J8", "全    国", "rd_intensity", 2.24, "%"),  # 2019 revised: 2.23 in the 2019 file
            ("L10", "北    京", "rd_intensity", 6.53, "%"),
            ("C39", "西    藏", "rd_intensity", 0.2511912808381209, "%"),
            ("G39", "西    藏", "rd_intensity", 0.18911849957374252, "%"),
        ],
    ),
}  # fmt: skip
# (cell, data year) of the rd-intensity spot checks: the column's year, not the file's
RD_INTENSITY_SPOTS = {
    "rd-intensity/2019.xls": {"C6": 2012, "J7": 2019, "F32": 2015, "J6": 2019},
    "rd-intensity/2021.xls": {"J8": 2019, "L10": 2021, "C39": 2012, "G39": 2016},
}
# parse warnings expected of a file: the recorded name repairs of misprinted rows
EXPECTED_WARNINGS = {
    "patent-applications/2014.xls": [
        "1!A25: '江两' read as 江西 (Jiangxi) from its English name 'Jiangxi'",
    ],
}


@pytest.fixture(scope="module")
def parsed(yearbooks_dir):
    cache = {}

    def get(rel: str):
        if rel not in cache:
            cache[rel] = parse_file(yearbooks_dir / "st-yearbook" / rel)
        return cache[rel]

    return get


def test_every_shared_file_is_covered(yearbooks_dir):
    """Every real file has hand-read spot checks here or in test_parse_real_rd_tables.py (the six
    R&D and industrial-enterprise families), and no file in both."""
    from test_parse_real_rd_tables import EXPECTED as RD_EXPECTED

    root = yearbooks_dir / "st-yearbook"
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert not set(EXPECTED) & set(RD_EXPECTED)
    assert on_disk == set(EXPECTED) | set(RD_EXPECTED), (
        "add spot checks for new shared files to EXPECTED (or to the R&D tables' EXPECTED)"
    )


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_file_parses_completely(parsed, rel):
    table, year, indicators, aggregates, _ = EXPECTED[rel]
    result = parsed(rel)
    df = result.records
    years = year if isinstance(year, list) else [year]
    assert result.table.table_id == table
    assert result.data_years == years
    assert list(df.columns) == RECORD_COLUMNS
    expected_warnings = EXPECTED_WARNINGS.get(rel, [])
    assert len(result.warnings) == len(expected_warnings), result.warnings
    for text, warning in zip(expected_warnings, result.warnings, strict=True):
        assert warning.startswith(text) and "province_name_variants.csv" in warning
    assert set(df["indicator"]) == indicators
    assert (df["industry_code"].fillna("") == (result.table.industry or "")).all()
    assert (df["yearbook"] == "st").all()
    # the vintage is the file's own data year: the latest year of a table of year columns
    assert (df["vintage"] == max(years)).all() and result.vintages == [max(years)]
    # no invalid cells; blank cells carry no value
    assert not (df["value_flag"] == "invalid").any()
    assert df.loc[df["value_flag"].notna(), "value"].isna().all()
    assert df.loc[df["value_flag"].isna(), "value"].notna().all()

    provinces = df[df["entity_kind"] == "province"]
    aggs = df[df["entity_kind"] == "aggregate"]
    others = df[df["entity_kind"] == "out_of_scope"]
    patents = bool(result.table.national_total_includes)
    kinds = {"province", "aggregate"} | ({"out_of_scope"} if patents else set())
    assert set(df["entity_kind"]) == kinds
    assert provinces["aggregate_code"].isna().all() and provinces["province_code"].notna().all()
    assert aggs["province_code"].isna().all() and aggs["aggregate_code"].notna().all()
    assert set(aggs["aggregate_code"]) == aggregates
    all_codes = set(refdata().provinces)
    for (ind, data_year), group in provinces.groupby(["indicator", "data_year"]):
        assert set(group["province_code"]) == all_codes, (ind, data_year)
        assert len(group) == 31, (ind, data_year)  # each province once per indicator and year
    assert len(aggs) == len(aggregates) * len(indicators) * len(years)
    if len(others):  # Hong Kong, Macao, Taiwan: out of scope, never provinces, once each
        assert others["province_code"].isna().all()
        assert set(others["aggregate_code"]) == OUT_OF_SCOPE
        assert len(others) == 3 * len(indicators) * len(years)


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


@pytest.mark.parametrize("rel", sorted(r for r in EXPECTED if EXPECTED[r][4][0][4] != "%"))
def test_provinces_add_up_to_printed_totals(parsed, rel):
    """Provinces (and the regions the catalog says 全国 covers: Hong Kong, Macao, Taiwan in the
    patent tables) sum to 全国, and the printed region subtotals to the provinces, within the
    printed rounding. Ratios (R&D intensity, %) do not add up and are left out."""
    result = parsed(rel)
    df = result.records
    included = df["aggregate_code"].isin(result.table.national_total_includes) & (
        df["entity_kind"] == "out_of_scope"
    )
    for ind, group in df.groupby("indicator"):
        provinces = group[group["entity_kind"] == "province"]
        covered = group[(group["entity_kind"] == "province") | included.loc[group.index]]
        national = group[group["aggregate_code"] == "national"]
        regions = group[group["aggregate_code"].isin(["east", "central", "west", "northeast"])]
        assert len(national) == 1, ind
        total = national["value"].iloc[0]
        digits = max(_decimals(t) for t in group["value_raw"] if t)
        # each printed value is off by at most half a unit in its last digit; blanks count as 0
        tolerance = 0.5 * 10**-digits * (len(covered) + 1) + 1e-9 * abs(total)
        assert math.isclose(covered["value"].sum(), total, abs_tol=tolerance), ind
        if len(regions):
            psum = provinces["value"].sum()
            assert math.isclose(regions["value"].sum(), psum, abs_tol=tolerance), ind


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_spot_values(parsed, rel):
    df = parsed(rel).records.set_index("source_cell")
    for cell, name, indicator, value, unit in EXPECTED[rel][4]:
        rec = df.loc[cell]
        year = RD_INTENSITY_SPOTS.get(rel, {}).get(cell, EXPECTED[rel][1])
        assert rec["data_year"] == year, cell
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
    assert lines[0].split(",") == RECORD_COLUMNS
    assert len(lines) == 1 + 36 * 4
    expected = "st_hightech_operation,st,2015,province,11,,北京,T,enterprises,805.0,个,805,,"
    assert expected in lines[6]


def test_inspect_json_provinces_only(yearbooks_dir, capsys):
    path = yearbooks_dir / "st-yearbook" / "hightech-rd" / "2022.xls"
    assert main(["inspect", str(path), "--format", "json", "--provinces-only"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 31 * 14
    assert list(rows[0]) == RECORD_COLUMNS
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


# -- bilingual row names: misprints, disagreements, out-of-scope regions ---------------------------

APPS_2014 = "patent-applications/2014.xls"


def _grid(yearbooks_dir, rel: str):
    return read_workbook(yearbooks_dir / "st-yearbook" / rel)


def _parse_edited(yearbooks_dir, rel: str, edits: dict[str, str], name: str | None = None):
    """Parse a real file with some cells rewritten (``{"A16": "内蒙占"}``)."""
    sheets = _grid(yearbooks_dir, rel)
    for cell, text in edits.items():
        col = ord(cell[0]) - ord("A")
        sheets[0].rows[int(cell[1:]) - 1][col] = text
    path = yearbooks_dir / "st-yearbook" / rel if name is None else name
    table = load_catalog()[parsed_table(rel)]
    return parse_sheets(sheets, path, table)


def parsed_table(rel: str) -> str:
    return EXPECTED[rel][0]


def test_misprinted_chinese_name_resolves_by_its_english_name(parsed):
    """patent-applications/2014.xls A25 prints 江两 for 江西; B25 says Jiangxi."""
    df = parsed(APPS_2014).records
    row = df[df["source_row"] == 25]
    assert set(row["province_code"]) == {"36"} and set(row["name_raw"]) == {"江两"}
    assert set(row["entity_kind"]) == {"province"}
    assert "江两" not in (refdata().provinces["36"].name_short_zh,)
    assert refdata().province_code("江两") is None  # the misprint is not reference data


def test_other_misprints_resolve_the_same_way(yearbooks_dir):
    """Other years misprint other provinces (rd-personnel/2013.xls prints 内蒙占 for 内蒙古, and
    rd-spending-purpose/2020.xls 'Shanahai' for Shanghai): the other language's name decides."""
    result = _parse_edited(yearbooks_dir, APPS_2014, {"A16": "内蒙占", "B20": "Shanahai"})
    df = result.records
    assert set(df.loc[df["source_row"] == 16, "province_code"]) == {"15"}
    assert set(df.loc[df["source_row"] == 20, "province_code"]) == {"31"}
    assert any(
        w.startswith("1!A16: '内蒙占' read as 内蒙古 (Inner Mongolia) from its English name")
        for w in result.warnings
    )
    assert any(
        w.startswith("1!B20: 'Shanahai' read as 上海 (Shanghai) from its Chinese name '上海'")
        for w in result.warnings
    )
    assert len(result.warnings) == 3  # with 江两 in A25


def test_names_that_disagree_are_rejected(yearbooks_dir):
    with pytest.raises(LayoutError, match="disagree") as err:
        _parse_edited(yearbooks_dir, APPS_2014, {"B21": "Beijing"})  # A21 江苏
    assert err.value.row == 21 and err.value.col == "B" and "江苏 (Jiangsu)" in str(err.value)
    assert "北京 (Beijing)" in str(err.value) and "2014.xls" in str(err.value)


def test_a_row_with_no_known_name_is_rejected(yearbooks_dir):
    with pytest.raises(LayoutError, match="neither a province") as err:
        _parse_edited(yearbooks_dir, APPS_2014, {"B25": "Jiangxy"})  # A25 is the misprint 江两
    assert err.value.row == 25 and err.value.col == "A"


def test_hong_kong_macao_taiwan_are_out_of_scope(parsed):
    for rel in [r for r in EXPECTED if r.startswith(("patent", "patents"))]:
        df = parsed(rel).records
        other = df[df["entity_kind"] == "out_of_scope"]
        assert set(other["aggregate_code"]) == OUT_OF_SCOPE, rel
        assert other["province_code"].isna().all(), rel
        named = df[df["name_raw"].str.replace(" ", "").isin(["香港", "澳门", "台湾"])]
        assert len(named) == 3 * 4 and set(named["entity_kind"]) == {"out_of_scope"}, rel
    df = parsed("patent-grants/2019.xls").records
    taiwan = df[(df["aggregate_code"] == "taiwan") & (df["indicator"] == "patent_grants")]
    assert taiwan["source_cell"].tolist() == ["C41"] and taiwan["value"].tolist() == [13094]


# -- data year: title first, file name as fallback ------------------------------------------------


def test_database_file_name_without_a_year_loads_by_its_title(yearbooks_dir, tmp_path):
    """A download kept under the database's own name: the title's (2019年) gives the year."""
    copy = tmp_path / "N2014120034000053.xls"
    shutil.copyfile(yearbooks_dir / "st-yearbook" / "patent-grants" / "2019.xls", copy)
    result = parse_file(copy)
    assert result.table.table_id == "st_patent_grants" and result.data_years == [2019]
    assert (result.records["vintage"] == 2019).all()


def test_title_and_file_name_that_disagree_are_rejected(yearbooks_dir, tmp_path):
    copy = tmp_path / "2018.xls"
    shutil.copyfile(yearbooks_dir / "st-yearbook" / "patent-grants" / "2019.xls", copy)
    with pytest.raises(LayoutError) as err:
        parse_file(copy)
    text = str(err.value)
    assert "2018.xls" in text and "8-8 国内三种专利授权数按地区分布(2019年)" in text
    assert "says data year 2019" in text and "'2018.xls' says 2018" in text


def test_no_year_in_title_or_name_says_what_to_do(yearbooks_dir):
    sheets = _grid(yearbooks_dir, "patent-grants/2019.xls")
    for row in sheets[0].rows[:2]:
        row[0] = row[0].replace("(2019年)", "").replace("(2019)", "")
    table = load_catalog()["st_patent_grants"]
    with pytest.raises(LayoutError, match="neither the title nor the file name") as err:
        parse_sheets(sheets, "N2014120034000053.xls", table)
    assert "put the data year into the file name" in str(err.value)


# -- one column per year (rd-intensity) ------------------------------------------------------------


def test_year_columns_are_that_years_records_with_the_editions_vintage(parsed):
    old = parsed("rd-intensity/2019.xls").records
    new = parsed("rd-intensity/2021.xls").records

    def national(df, year):
        return df[(df["aggregate_code"] == "national") & (df["data_year"] == year)].iloc[0]

    # both editions print 2019; the 2021 edition revised it (J6 2.23 → J8 2.24)
    a, b = national(old, 2019), national(new, 2019)
    assert (a["vintage"], a["source_cell"], a["value"]) == (2019, "J6", pytest.approx(2.23))
    assert (b["vintage"], b["source_cell"], b["value"]) == (2021, "J8", pytest.approx(2.24))
    beijing = new[(new["province_code"] == "11")].sort_values("data_year")
    assert beijing["data_year"].tolist() == list(range(2012, 2022))
    assert beijing["source_col"].tolist() == list("CDEFGHIJKL")


def test_year_column_table_takes_its_year_from_the_columns_when_the_name_has_none(
    yearbooks_dir, tmp_path
):
    """The 1-8 title prints no year: under the database's name, the latest column (2019) decides;
    named for another year, the file is rejected."""
    copy = tmp_path / "N2014120034000053.xls"
    shutil.copyfile(yearbooks_dir / "st-yearbook" / "rd-intensity" / "2019.xls", copy)
    result = parse_file(copy)
    assert result.vintages == [2019] and result.data_years == list(range(2012, 2020))
    wrong = tmp_path / "2018.xls"
    shutil.copyfile(copy, wrong)
    with pytest.raises(LayoutError, match=r"'2018.xls' says data year 2018, but the latest year"):
        parse_file(wrong)


# The real misprints of the other families, read with a one-indicator test table (their full catalog
# entries belong to those families): the row is still the right province, with one warning each.
TOTAL_ONLY = """
table_id: tst_total_only
yearbook: tst
table: total_only
title: {title}
title_patterns: ['{title}']
entity: province_year
indicators:
  - id: total
    patterns: ['{header}']
    unit: {unit}
"""


@pytest.mark.parametrize(
    ("rel", "title", "header", "unit", "row", "code", "warning"),
    [
        (
            "rd-personnel/2013.xls", "人员全时当量", "全时当量", "人年", 17, "15",
            "1!A17: '内蒙占' read as 内蒙古 (Inner Mongolia) from its English name "
            "'Inner Mongolia'",
        ),
        (
            "rd-spending-purpose/2020.xls", "按支出用途分", "内部支出", "万元", 20, "31",
            "1!B20: 'Shanahai' read as 上海 (Shanghai) from its Chinese name '上 海'",
        ),
    ],
)  # fmt: skip
def test_real_misprints_of_other_families(
    yearbooks_dir, tmp_path, rel, title, header, unit, row, code, warning
):
    folder = tmp_path / "catalog"
    folder.mkdir()
    text = TOTAL_ONLY.format(title=title, header=header, unit=unit)
    (folder / "tst_total_only.yml").write_text(text, encoding="utf-8")
    table = load_catalog(folder)["tst_total_only"]
    path = yearbooks_dir / "st-yearbook" / rel
    result = parse_sheets(read_workbook(path), path, table)
    df = result.records
    assert df.loc[df["source_row"] == row, "province_code"].tolist() == [code]
    repairs = [w for w in result.warnings if " read as " in w]  # other columns are ignored
    assert len(repairs) == 1 and repairs[0].startswith(warning)
    assert set(df.loc[df["entity_kind"] == "province", "province_code"]) == set(refdata().provinces)
