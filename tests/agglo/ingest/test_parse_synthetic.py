"""parse on small synthetic tables: recognition, layouts, names, units, values and layout errors."""

from __future__ import annotations

import csv
import math
import textwrap
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlwt

from agglo import paths
from agglo.errors import LayoutError, UnknownTableError
from agglo.ingest.catalog import load_catalog
from agglo.ingest.parse import parse_file, parse_sheets, parse_value
from agglo.ingest.readers import MergedRange, Sheet
from agglo.refdata import refdata

OUTPUT = """
table_id: tst_output
yearbook: tst
table: output
title: 测试产值表
title_patterns: ['测试产值表', 'Test Output Table']
path_patterns: ['tst-output/']
entity: province_year
industry: T
data_year: {from: filename}
indicators:
  - id: enterprises
    patterns: ['企业数']
    unit: 个
    required: false
  - id: output
    patterns: ['产值', 'Output']
    unit: 万元
  - id: export
    patterns: ['#\\s*出口']
    unit: 万元
    required: false
  - id: sales
    patterns: ['销售收入']
    exclude: ['出口']
    unit: 万元
    required: false
"""

OTHER = """
table_id: tst_other
yearbook: tst
table: other
title: 测试其他表
title_patterns: ['测试其他表']
path_patterns: ['tst-other/']
industry: T
indicators:
  - id: output
    patterns: ['产值']
    unit: 万元
"""

BY_INDUSTRY = """
table_id: tst_by_industry
yearbook: tst
table: by_industry
title: 分行业测试表
title_patterns: ['分行业测试表']
entity: province_year_industry
industry_axis: columns
data_year: {from: title}
indicators:
  - id: enterprises
    patterns: ['^企业数', 'Enterprises']
    unit: 个
  - id: revenue
    patterns: ['营业收入', 'Revenue']
    unit: 亿元
"""

BY_BLOCK = """
table_id: tst_by_block
yearbook: tst
table: by_block
title: 分块测试表
title_patterns: ['分块测试表']
entity: province_year_industry
industry_axis: blocks
data_year: {from: filename, offset: -1}
indicators:
  - id: output
    patterns: ['产值']
    unit: 万元
"""

BY_SHEET = """
table_id: tst_by_sheet
yearbook: tst
table: by_sheet
title: 分表测试表
title_patterns: ['分表测试表']
entity: province_year_industry
industry_axis: sheets
indicators:
  - id: output
    patterns: ['产值']
    unit: 万元
"""

NATIONAL = """
table_id: tst_national
yearbook: tst
table: national
title: 全国测试时间序列
title_patterns: ['全国测试时间序列']
entity: year
row_key: year
indicators:
  - id: output
    patterns: ['产值']
    unit: 亿元
"""


@pytest.fixture
def catalog(tmp_path):
    folder = tmp_path / "catalog"
    folder.mkdir()
    for name, text in [
        ("tst_output", OUTPUT),
        ("tst_other", OTHER),
        ("tst_by_industry", BY_INDUSTRY),
        ("tst_by_block", BY_BLOCK),
        ("tst_by_sheet", BY_SHEET),
        ("tst_national", NATIONAL),
    ]:
        (folder / f"{name}.yml").write_text(text, encoding="utf-8")
    return load_catalog(folder)


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def grid(*rows, merged=(), name="Sheet1") -> list[Sheet]:
    return [Sheet(name, [[str(c) for c in r] for r in rows], list(merged))]


def by_cell(result) -> pd.DataFrame:
    return result.records.set_index("source_cell")


OUTPUT_ROWS = [
    ["表1 测试产值表", "", ""],
    ["Test Output Table", "", ""],
    ["单位：万元", "", ""],
    ["地区", "企业数(个)", "产值"],
    ["全国", "30", "100"],
    ["北  京", "10", "40"],
    ["天  津", "12", "35"],
    ["河  北", "8", "25"],
]


# -- recognition ----------------------------------------------------------------------------------


def test_recognised_by_title(tmp_path, catalog):
    path = write_csv(tmp_path / "anywhere" / "2015.csv", OUTPUT_ROWS)
    result = parse_file(path, catalog=catalog)
    assert result.table.table_id == "tst_output"
    assert result.data_years == [2015]
    cells = by_cell(result)
    assert cells.loc["B6", "value"] == 10 and cells.loc["B6", "province_code"] == "11"
    assert cells.loc["C5", "aggregate_code"] == "national"
    assert cells.loc["C5", "unit"] == "万元" and cells.loc["B5", "unit"] == "个"
    assert (result.records["source_file"] == str(path)).all()
    assert (result.records["source_sheet"] == "2015").all()


def test_recognised_by_path_when_no_title(tmp_path, catalog):
    rows = [["地区", "产值"], ["北京", "1"], ["天津", "2"]]
    path = write_csv(tmp_path / "tst-other" / "2016.csv", rows)
    assert parse_file(path, catalog=catalog).table.table_id == "tst_other"


def test_no_matching_table(tmp_path, catalog):
    path = write_csv(tmp_path / "2016.csv", [["各地区粮食产量"], ["地区", "产量"], ["北京", "1"]])
    with pytest.raises(UnknownTableError) as err:
        parse_file(path, catalog=catalog)
    text = str(err.value)
    assert str(path) in text
    assert "matches no catalog table" in text and "各地区粮食产量" in text
    assert "--table" in text and "raw/catalog/" in text
    assert "tst_output" in text and "tst_other" in text  # lists the known tables


def test_several_matching_tables(tmp_path, catalog):
    rows = [["测试产值表 测试其他表"], ["地区", "产值"], ["北京", "1"]]
    path = write_csv(tmp_path / "2016.csv", rows)
    with pytest.raises(UnknownTableError) as err:
        parse_file(path, catalog=catalog)
    assert "tst_output" in str(err.value) and "tst_other" in str(err.value)
    assert "several" in str(err.value)
    # the path decides between title matches, and --table forces a table
    both = write_csv(tmp_path / "tst-other" / "2016.csv", rows)
    assert parse_file(both, catalog=catalog).table.table_id == "tst_other"
    assert parse_file(path, table_id="tst_output", catalog=catalog).table.table_id == "tst_output"


# -- names ----------------------------------------------------------------------------------------


def _seed_rows(name: str) -> list[dict]:
    with (paths.seeds_dir() / f"{name}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_province_variant_in_the_seeds(catalog):
    variants = [
        (r["name_variant"], r["province_code"]) for r in _seed_rows("ref_province_name_variants")
    ]
    variants += [(p.name_en, code) for code, p in refdata().provinces.items()]
    variants += [
        ("北    京", "11"),
        ("内 蒙 古", "15"),
        ("黑 龙 江", "23"),
        ("内蒙古自治区", "15"),
        ("  Inner Mongolia", "15"),
        ("北\u3000京", "11"),
        ("ＢＥＩＪＩＮＧ", "11"),
        ("新疆*", "65"),
        ("西藏①", "54"),
    ]
    rows = [["测试产值表"], ["地区", "产值"]]
    rows += [[name, str(i)] for i, (name, _) in enumerate(variants)]
    result = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"])
    got = result.records
    assert len(got) == len(variants)
    assert list(got["province_code"]) == [code for _, code in variants]
    assert (got["entity_kind"] == "province").all()
    assert list(got["name_raw"]) == [n.strip() for n, _ in variants]
    assert any("appears again" in w for w in result.warnings)  # duplicates kept, warned


def test_every_aggregate_variant_in_the_seeds(catalog):
    variants = [
        (r["name_variant"], r["aggregate_code"]) for r in _seed_rows("ref_aggregate_name_variants")
    ]
    rows = [["测试产值表"], ["地区", "产值"], ["北京", "1"], ["天津", "2"]]
    rows += [[name, "1"] for name, _ in variants]
    got = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"]).records
    aggs = got[got["entity_kind"] == "aggregate"]
    assert list(aggs["aggregate_code"]) == [code for _, code in variants]
    assert aggs["province_code"].isna().all()


def test_unknown_row_label_is_a_layout_error(catalog):
    rows = [["测试产值表"], ["地区", "产值"], ["北京", "1"], ["北京西城", "2"], ["天津", "3"]]
    with pytest.raises(LayoutError) as err:
        parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"])
    text = str(err.value)
    assert "2015.csv" in text and "'Sheet1'" in text and "cell A4" in text
    assert "北京西城" in text and "province_name_variants.csv" in text


def test_notes_and_sources_after_the_data_are_not_rows(catalog):
    rows = [
        ["测试产值表"],
        ["地区", "产值"],
        ["北京", "1"],
        ["", ""],
        ["天津", "2"],
        ["注：本表为规模以上企业。", ""],
        ["资料来源：测试", ""],
        ["摘编自《测试年鉴2016》", ""],
    ]
    got = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"]).records
    assert list(got["source_cell"]) == ["B3", "B5"]


def test_label_with_chinese_and_english_in_one_cell(catalog):
    rows = [["测试产值表"], ["地区", "产值"], ["北京 Beijing", "1"], ["全国\nNational Total", "2"]]
    got = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"]).records
    assert list(got["province_code"].fillna("")) == ["11", ""]
    assert list(got["aggregate_code"].fillna("")) == ["", "national"]


# -- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "flag"),
    [
        ("25084", 25084.0, None),
        ("1,234.5", 1234.5, None),
        ("１２３．４", 123.4, None),  # full-width digits
        ("-0.1", -0.1, None),
        ("10 000", 10000.0, None),
        ("", None, "blank"),
        ("—", None, "not_available"),
        ("–", None, "not_available"),
        ("-", None, "not_available"),
        ("…", None, "not_available"),
        ("...", None, "not_available"),
        ("/", None, "not_available"),
        ("12.3*", None, "invalid"),
        ("abc", None, "invalid"),
        ("1,23", None, "invalid"),
    ],
)
def test_parse_value(text, value, flag):
    assert parse_value(text) == (value, flag)


def test_value_flags_in_records(catalog):
    rows = [
        ["测试产值表"],
        ["地区", "产值"],
        ["北京", ""],
        ["天津", "—"],
        ["河北", "12.3*"],
        ["山西", "1,234"],
    ]
    got = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"]).records
    assert list(got["value_flag"].fillna("")) == ["blank", "not_available", "invalid", ""]
    assert list(got["value_raw"]) == ["", "—", "12.3*", "1,234"]
    assert got["value"].isna().tolist() == [True, True, True, False]
    assert got["value"].iloc[3] == 1234


# -- units ----------------------------------------------------------------------------------------


def _units(catalog, *unit_lines, header=("企业数", "产值")):
    rows = [["测试产值表"], *[[u] for u in unit_lines], ["地区", *header], ["北京", "1", "2"]]
    got = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"]).records
    return dict(zip(got["indicator"], got["unit"], strict=True))


def test_unit_precedence(catalog):
    # no unit anywhere: the catalog's unit
    assert _units(catalog) == {"enterprises": "个", "output": "万元"}
    # a unit line applies where its dimension fits (亿元 is money, not a count)
    assert _units(catalog, "单位：亿元") == {"enterprises": "个", "output": "亿元"}
    assert _units(catalog, "(100 million yuan)") == {"enterprises": "个", "output": "亿元"}
    assert _units(catalog, "单位:家,亿元") == {"enterprises": "家", "output": "亿元"}
    assert _units(catalog, "单位:个.千元") == {"enterprises": "个", "output": "千元"}
    assert _units(catalog, "单位：亿元", "(100 million yuan)") == {
        "enterprises": "个",
        "output": "亿元",
    }
    # a unit in the header beats the unit line
    header = ("企业数\n(家)\nNumber of Enterprises\n(unit)", "产值\n(10 000 yuan)")
    assert _units(catalog, "单位：亿元", header=header) == {"enterprises": "家", "output": "万元"}
    assert _units(catalog, header=("企业数（个）", "产值（千元）")) == {
        "enterprises": "个",
        "output": "千元",
    }


def test_header_unit_of_another_dimension_warns(catalog):
    rows = [["测试产值表"], ["地区", "产值(人)"], ["北京", "1"]]
    result = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"])
    assert result.records["unit"].iloc[0] == "人"
    assert any("does not fit" in w for w in result.warnings)


# -- header layouts -------------------------------------------------------------------------------


def test_multi_row_header_split_mid_word(catalog):
    rows = [
        ["测试产值表", "", "", ""],
        ["单位：万元", "(10 000 yuan)", "", ""],
        ["地    区", "Region", "企业", "产"],
        ["", "", "数", "值"],
        ["", "", "Number of", "Output"],
        ["", "", "", ""],
        ["全    国", "National Total", "5", "6"],
        ["", "", "", ""],
        ["内 蒙 古", "Inner Mongolia", "1", "2"],
        ["黑 龙 江", "Heilongjiang", "3", "4"],
    ]
    got = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"]).records
    assert list(got["indicator"]) == ["enterprises"] * 3 + ["output"] * 3
    assert list(got["province_code"].fillna("-")) == ["-", "15", "23"] * 2
    assert list(got["source_cell"]) == ["C7", "C9", "C10", "D7", "D9", "D10"]


def test_of_which_column_under_unmerged_blank_and_merged_parent(catalog):
    """``#出口`` below a blank is "of which exports"; below a merged parent it inherits the parent's
    text, and the sales indicator's ``exclude`` keeps it from being taken as sales."""
    rows = [
        ["测试产值表", "", "", ""],
        ["地区", "产值", "新产品销售收入", ""],
        ["", "", "", "#出口"],
        ["北京", "1", "10", "4"],
        ["天津", "2", "20", "5"],
    ]
    got = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"]).records
    assert dict(zip(got["source_col"], got["indicator"], strict=False)) == {
        "B": "output",
        "C": "sales",
        "D": "export",
    }
    merged = [MergedRange(1, 1, 2, 3)]
    rows[1] = ["地区", "产值", "新产品", ""]
    rows[2] = ["", "", "销售收入", "#出口"]
    got = parse_sheets(grid(*rows, merged=merged), "2015.csv", catalog["tst_output"]).records
    assert got.groupby("source_col")["indicator"].first().to_dict() == {
        "B": "output",
        "C": "sales",
        "D": "export",
    }


def test_two_columns_for_one_indicator_is_an_error(catalog):
    rows = [["测试产值表"], ["地区", "产值", "产值 Output"], ["北京", "1", "2"]]
    with pytest.raises(LayoutError) as err:
        parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"])
    assert "columns B" in str(err.value) and "both match indicator 'output'" in str(err.value)
    assert "exclude" in str(err.value)


def test_missing_required_indicator(catalog):
    rows = [["测试产值表"], ["地区", "企业数", "利润"], ["北京", "1", "2"]]
    with pytest.raises(LayoutError) as err:
        parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"])
    text = str(err.value)
    assert (
        "indicator(s) output of tst_output not found" in text
        and "'利润'" in text
        and "patterns" in text
    )


def test_unmatched_column_is_ignored_with_a_warning(catalog):
    rows = [["测试产值表"], ["地区", "产值", "利润"], ["北京", "1", "2"]]
    result = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"])
    assert list(result.records["indicator"]) == ["output"]
    assert any("'利润' matches no indicator" in w for w in result.warnings)


def test_continuation_blocks_side_by_side_and_below(catalog):
    rows = [
        ["测试产值表", "", "", "", "续表", "", ""],
        ["单位：万元", "", "", "", "地区", "Region", "企业数"],
        ["地区", "Region", "产值", "", "全国", "National", "5"],
        ["全国", "National", "100", "", "北京", "Beijing", "2"],
        ["北京", "Beijing", "60", "", "天津", "Tianjin", "3"],
        ["天津", "Tianjin", "40", "", "", "", ""],
        ["", "", "", "", "", "", ""],
        ["测试产值表续表", "", "", "", "", "", ""],
        ["地区", "Region", "#出口", "", "", "", ""],
        ["北京", "Beijing", "7", "", "", "", ""],
        ["天津", "Tianjin", "8", "", "", "", ""],
    ]
    result = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"])
    got = result.records
    assert result.warnings == []
    assert got.groupby("indicator")["source_cell"].apply(list).to_dict() == {
        "output": ["C4", "C5", "C6"],
        "enterprises": ["G3", "G4", "G5"],
        "export": ["C10", "C11"],
    }
    assert set(got["unit"]) == {"万元", "个"}


def test_values_without_a_label_are_an_error(catalog):
    rows = [["测试产值表"], ["地区", "产值"], ["北京", "1"], ["", "2"], ["天津", "3"]]
    with pytest.raises(LayoutError, match="no region label"):
        parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"])


def test_no_province_rows(catalog):
    with pytest.raises(LayoutError, match="no rows labelled"):
        parse_sheets(grid(["测试产值表"], ["地区", "产值"]), "2015.csv", catalog["tst_output"])


def test_year_from_filename_is_required(catalog):
    with pytest.raises(LayoutError, match="the file name carries no year"):
        parse_sheets(grid(*OUTPUT_ROWS), "latest.csv", catalog["tst_output"])


def test_title_year_disagreeing_with_filename_warns(catalog):
    rows = [["测试产值表(2014年)"], ["地区", "企业数", "产值"], ["北京", "1", "2"]]
    result = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"])
    assert result.data_years == [2015]
    assert any("2014" in w for w in result.warnings)


# -- industries, blocks, year rows ----------------------------------------------------------------


def test_industries_in_a_merged_top_header_row_xlsx(tmp_path, catalog):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["分行业测试表(2016年)"])
    ws.merge_cells("A1:F1")
    ws.append(["单位：亿元"])
    ws.append(["地区", "Region", "医药制造业", None, "航空、航天器及设备制造业", None])
    ws.merge_cells("C3:D3")
    ws.merge_cells("E3:F3")
    ws.merge_cells("A3:A4")
    ws.append([None, None, "企业数(个)", "营业收入", "企业数(个)", "营业收入"])
    ws.append(["全国", "National Total", 10, 1.5, 3, 0.25])
    ws.append(["北京", "Beijing", 4, 0.5, 2, 0.125])
    ws.append(["上海", "Shanghai", 6, 1.0, 1, 0.125])
    path = tmp_path / "by-industry.xlsx"
    wb.save(path)
    result = parse_file(path, catalog=catalog)
    got = result.records
    assert result.table.table_id == "tst_by_industry" and result.data_years == [2016]
    table = got.groupby(["industry_code", "indicator"])["source_col"].first().to_dict()
    assert table == {
        ("T1", "enterprises"): "C",
        ("T1", "revenue"): "D",
        ("T2", "enterprises"): "E",
        ("T2", "revenue"): "F",
    }
    cells = got.set_index("source_cell")
    assert cells.loc["F6", "value"] == 0.125 and cells.loc["F6", "unit"] == "亿元"
    assert cells.loc["E6", "unit"] == "个"


def test_industries_in_an_unmerged_csv_header_row(tmp_path, catalog):
    rows = [
        ["分行业测试表 2016年"],
        ["地区", "合计", "", "医药制造业\nManufacture of Medicines", ""],
        ["", "企业数", "营业收入", "Enterprises", "Revenue"],
        ["北京", "5", "1", "4", "0.5"],
        ["天津", "6", "2", "3", "0.7"],
    ]
    path = write_csv(tmp_path / "x.csv", rows, encoding="gb18030")
    got = parse_file(path, catalog=catalog).records
    assert got.groupby("source_col")["industry_code"].first().to_dict() == {
        "B": "T",
        "C": "T",
        "D": "T1",
        "E": "T1",
    }
    assert got.groupby("source_col")["indicator"].first().to_dict() == {
        "B": "enterprises",
        "C": "revenue",
        "D": "enterprises",
        "E": "revenue",
    }


def test_industry_from_block_headings(catalog):
    rows = [
        ["分块测试表: 医药制造业", ""],
        ["地区", "产值"],
        ["北京", "1"],
        ["天津", "2"],
        ["分块测试表: 电子及通信设备制造业", ""],
        ["地区", "产值"],
        ["北京", "3"],
        ["天津", "4"],
    ]
    result = parse_sheets(grid(*rows), "2017.xls", catalog["tst_by_block"])
    got = result.records
    assert result.data_years == [2016]  # offset -1: an edition year in the file name
    assert list(got["industry_code"]) == ["T1", "T1", "T3", "T3"]
    assert result.warnings == []


def test_year_rows(catalog):
    rows = [
        ["全国测试时间序列"],
        ["单位：亿元"],
        ["年份", "产值"],
        ["2010", "1.5"],
        ["2011年", "2"],
        ["2012", "—"],
    ]
    result = parse_sheets(grid(*rows), "series.csv", catalog["tst_national"])
    got = result.records
    assert result.data_years == [2010, 2011, 2012]
    assert list(got["data_year"]) == [2010, 2011, 2012]
    assert (got["entity_kind"] == "aggregate").all() and (got["aggregate_code"] == "national").all()
    assert got["province_code"].isna().all()
    assert got["value"].iloc[0] == 1.5 and got["value_flag"].iloc[2] == "not_available"


def test_xls_with_merged_header(tmp_path, catalog):
    wb = xlwt.Workbook()
    ws = wb.add_sheet("1")
    ws.write_merge(0, 0, 0, 3, "5-3 测试产值表(2015年)")
    ws.write_merge(1, 2, 0, 0, "地 区")
    ws.write_merge(1, 1, 2, 3, "新产品")
    ws.write(1, 1, "产值\n(万元)")
    ws.write(2, 2, "销售收入")
    ws.write(2, 3, "#出口")
    for i, (name, a, b, c) in enumerate([("北 京", 1, 2.5, 1), ("天 津", 3, 4, 2)]):
        ws.write(3 + i, 0, name)
        for j, v in enumerate((a, b, c)):
            ws.write(3 + i, 1 + j, v)
    path = tmp_path / "2015.xls"
    wb.save(str(path))
    got = parse_file(path, catalog=catalog).records
    assert got.groupby("source_col")["indicator"].first().to_dict() == {
        "B": "output",
        "C": "sales",
        "D": "export",
    }
    assert got.set_index("source_cell").loc["C4", "value_raw"] == "2.5"
    assert math.isclose(got["value"].sum(), 1 + 2.5 + 1 + 3 + 4 + 2)


def test_unknown_label_on_the_first_data_row_is_an_error(catalog):
    rows = [
        ["测试产值表"],
        ["地区", "产值"],
        ["全国总计(不含港澳台)", "3"],
        ["北京", "1"],
        ["天津", "2"],
    ]
    with pytest.raises(LayoutError) as err:
        parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"])
    assert "cell A3" in str(err.value) and "全国总计(不含港澳台)" in str(err.value)


def test_column_numbering_row_is_header(catalog):
    rows = [["测试产值表"], ["地区", "企业数", "产值"], ["甲", "1", "2"], ["北京", "5", "6"]]
    got = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"]).records
    assert list(got["source_cell"]) == ["B4", "C4"]


def test_unit_line_beside_the_title_and_unit_only_header_row(catalog):
    rows = [
        ["测试产值表", "", "单位：亿元"],
        ["地区", "企业数", "产值"],
        ["", "(家)", ""],  # a header row of units only is header, not a unit line
        ["北京", "1", "2"],
    ]
    got = parse_sheets(grid(*rows), "2015.csv", catalog["tst_output"]).records
    assert dict(zip(got["indicator"], got["unit"], strict=True)) == {
        "enterprises": "家",
        "output": "亿元",
    }


def test_industry_from_sheet_names(catalog):
    rows = [["分表测试表"], ["地区", "产值"], ["北京", "1"], ["天津", "2"]]
    sheets = [
        *grid(*rows, name="医药制造业"),
        *grid(*rows, name="电子及通信设备制造业"),
        *grid(["http://www.cnki.net/"], name="CNKI"),
    ]
    got = parse_sheets(sheets, "2019.xlsx", catalog["tst_by_sheet"]).records
    assert list(got["industry_code"]) == ["T1", "T1", "T3", "T3"]
    assert list(got["source_sheet"]) == ["医药制造业"] * 2 + ["电子及通信设备制造业"] * 2


def test_industry_and_indicator_in_one_header_cell(catalog):
    rows = [
        ["分行业测试表(2016年)"],
        ["地区", "医药制造业\n企业数", "电子及通信\n设备制造业", ""],
        ["", "", "企业数", "营业收入"],
        ["北京", "5", "1", "4"],
    ]
    got = parse_sheets(grid(*rows), "x.csv", catalog["tst_by_industry"]).records
    assert list(zip(got["industry_code"], got["indicator"], strict=True)) == [
        ("T1", "enterprises"),
        ("T3", "enterprises"),
        ("T3", "revenue"),
    ]


def test_no_indicator_column_at_all(catalog):
    rows = [["测试其他表"], ["地区", "利润"], ["北京", "1"]]
    with pytest.raises(LayoutError, match="no column matches an indicator of tst_other"):
        parse_sheets(grid(*rows), "2015.csv", catalog["tst_other"])


def test_full_width_patterns_and_currency_named_column(tmp_path):
    """Patterns copied from the file with full-width characters match; a column named 美元 is a
    currency, not a unit (the unit line 元/100美元 applies)."""
    folder = tmp_path / "cat"
    folder.mkdir()
    (folder / "rate.yml").write_text(
        textwrap.dedent(
            """\
            table_id: tst_rate
            yearbook: tst
            table: rate
            title: 人民币汇率（年平均价）
            title_patterns: ['人民币汇率（年平均价）']
            entity: year
            row_key: year
            indicators:
              - id: usd_rate
                patterns: ['^美元（中间价）']
                unit: 元/100美元
            """
        ),
        encoding="utf-8",
    )
    rows = [
        ["11-3 人民币汇率（年平均价）"],
        ["单位：元/100美元"],
        ["年份", "美元（中间价）\nUS Dollar"],
        ["2014", "614.28"],
        ["2015", "622.84"],
    ]
    path = write_csv(tmp_path / "2015.csv", rows)
    result = parse_file(path, catalog=load_catalog(folder))
    got = result.records
    assert result.table.table_id == "tst_rate" and result.warnings == []
    assert list(got["unit"]) == ["元/100美元"] * 2
    assert list(got["value"]) == [614.28, 622.84]


# -- one column per year ---------------------------------------------------------------------------

BY_YEAR = """
table_id: tst_by_year
yearbook: tst
table: by_year
title: 分年测试表
title_patterns: ['分年测试表']
entity: province_year
column_key: year
data_year: {from: [title, filename, columns]}
indicators:
  - id: output
    patterns: ['产值']
    unit: 亿元
  - id: firms
    patterns: ['企业数']
    unit: 个
"""


def test_year_columns_under_indicator_headings(tmp_path):
    """Years need not be consecutive; a merged heading names the indicator of the years below it;
    the latest year column gives the data year when neither title nor name does."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "tst_by_year.yml").write_text(BY_YEAR, encoding="utf-8")
    table = load_catalog(folder)["tst_by_year"]
    rows = [
        ["分年测试表"],
        ["地区", "产值(亿元)", "", "", "企业数(个)", ""],
        ["", "2000", "2005", "2010年", "2005", "2010"],
        ["全国", "3", "5", "8", "30", "40"],
        ["北京", "1", "2", "3", "10", "20"],
        ["天津", "2", "3", "5", "20", "20"],
    ]
    merged = [MergedRange(1, 1, 1, 3), MergedRange(1, 1, 4, 5)]
    result = parse_sheets(grid(*rows, merged=merged), "download.csv", table)
    df = result.records
    assert result.data_years == [2000, 2005, 2010] and result.vintages == [2010]
    assert (df["vintage"] == 2010).all()
    got = df.set_index("source_cell")
    assert (got.loc["D5", "indicator"], got.loc["D5", "data_year"], got.loc["D5", "value"]) == (
        "output",
        2010,
        3,
    )
    assert (got.loc["E6", "indicator"], got.loc["E6", "data_year"], got.loc["E6", "unit"]) == (
        "firms",
        2005,
        "个",
    )
    assert len(df) == 3 * 5
    # named for an earlier year than its latest column: rejected, naming both
    with pytest.raises(LayoutError, match="says data year 2005, but the latest year column"):
        parse_sheets(grid(*rows, merged=merged), "2005.csv", table)


TITLE_FIRST = """
table_id: tst_title_first
yearbook: tst
table: title_first
title: 标题年份表
title_patterns: ['标题年份表']
entity: province_year
indicators:
  - id: output
    patterns: ['产值']
    unit: 亿元
"""


@pytest.mark.parametrize(
    ("title_rows", "name", "year"),
    [
        ([["中国科技统计年鉴—2014"], ["1-4 标题年份表(2013年)"]], "N2014120034000053.csv", 2013),
        ([["中国科技统计年鉴2014"], ["1-4 标题年份表 2013"]], "download.csv", 2013),
        ([["1-4 标题年份表"], ["Title Year Table (2013)"]], "2013.csv", 2013),
        ([["1-4 标题年份表"]], "tables_2013.csv", 2013),
    ],
)
def test_data_year_from_title_first_then_file_name(tmp_path, title_rows, name, year):
    """The title's year decides (a yearbook's own name, the edition, is not it); else the file's."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "tst_title_first.yml").write_text(TITLE_FIRST, encoding="utf-8")
    table = load_catalog(folder)["tst_title_first"]
    rows = [*title_rows, ["地区", "产值"], ["北京", "1"], ["天津", "2"]]
    result = parse_sheets(grid(*rows), name, table)
    assert result.data_years == [year] and result.vintages == [year] and result.warnings == []
