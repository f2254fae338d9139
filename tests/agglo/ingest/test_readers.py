"""readers: format sniffing from bytes, cell text, merged ranges, encodings and unreadable files."""

from __future__ import annotations

import io
import zipfile

import msoffcrypto
import openpyxl
import pytest
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile

from agglo.errors import UnreadableFileError
from agglo.ingest.readers import (
    MergedRange,
    column_letter,
    read_bytes,
    read_workbook,
    render_number,
)


def xlsx_bytes(build) -> bytes:
    wb = openpyxl.Workbook()
    build(wb.active)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- cell text -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (25084.0, None, "25084"),
        (25084.0, "General", "25084"),
        (25084, "0", "25084"),
        (12.3, "0.00", "12.30"),  # padded as Excel shows it
        (6325.0, "0.0", "6325.0"),
        (209895.50418, "0", "209895.50418"),  # never rounded to the display format
        (-0.1, "0.0", "-0.1"),
        (0.00001, None, "0.00001"),
        (1234.5, "#,##0.00_ ", "1234.50"),
        (True, None, "TRUE"),
    ],
)
def test_render_number(value, fmt, text):
    assert render_number(value, fmt) == text


def test_column_letter():
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "ZZ", "AAA"
    ]  # fmt: skip


# -- xlsx ----------------------------------------------------------------------------------------


def test_xlsx_cells_and_merged_ranges(tmp_path):
    def build(ws):
        ws.title = "表1"
        ws["A1"] = "  5-3 各地区情况  "
        ws.merge_cells("A1:D1")
        ws["C2"] = "新产品"
        ws.merge_cells("C2:D2")
        ws["A3"] = "北    京"
        ws["B3"] = 25084.0
        ws["C3"] = 12.3
        ws["C3"].number_format = "0.00"
        ws["D3"] = 209895.50418
        ws["D3"].number_format = "0"
        ws["E3"] = "企业数\r\n(个)"

    path = tmp_path / "t.xlsx"
    path.write_bytes(xlsx_bytes(build))
    [sheet] = read_workbook(path)
    assert sheet.name == "表1"
    assert sheet.cell(0, 0) == "5-3 各地区情况"  # outer whitespace stripped
    assert sheet.cell(2, 0) == "北    京"  # inner spaces kept
    assert sheet.rows[2][1:] == ["25084", "12.30", "209895.50418", "企业数\n(个)"]
    assert sheet.cell(1, 3) == ""  # merged: text only in the top-left cell
    assert set(sheet.merged) == {MergedRange(0, 0, 0, 3), MergedRange(1, 1, 2, 3)}
    assert sheet.merged_at(1, 3) == MergedRange(1, 1, 2, 3)
    assert sheet.ncols == 5 and all(len(r) == 5 for r in sheet.rows)


def test_format_sniffed_from_bytes_not_extension(tmp_path):
    xlsx = tmp_path / "really_xlsx.xls"
    xlsx.write_bytes(xlsx_bytes(lambda ws: ws.append(["北京", 1])))
    assert read_workbook(xlsx)[0].rows == [["北京", "1"]]
    csv_as_xls = tmp_path / "really_csv.xls"
    csv_as_xls.write_text("北京,1\n天津,2\n", encoding="utf-8")
    assert read_workbook(csv_as_xls)[0].rows == [["北京", "1"], ["天津", "2"]]


# -- xls -----------------------------------------------------------------------------------------


def test_plain_xls_with_merged_cells(tmp_path):
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    ws.write_merge(0, 0, 0, 3, "5-4 各地区高技术产业R&D活动")
    ws.write_merge(1, 2, 0, 0, "地 区")
    ws.write(1, 1, "企业数\n(个)")
    ws.write(3, 0, "北 京")
    ws.write(3, 1, 805.0)
    ws.write(3, 2, 12.3, xlwt.easyxf(num_format_str="0.00"))
    ws.write(3, 3, 1119629.6, xlwt.easyxf(num_format_str="0"))
    path = tmp_path / "plain.xls"
    wb.save(str(path))
    [sheet] = read_workbook(path)
    assert sheet.name == "Sheet1"
    assert sheet.rows[3] == ["北 京", "805", "12.30", "1119629.6"]
    assert sheet.cell(1, 1) == "企业数\n(个)"
    assert MergedRange(0, 0, 0, 3) in sheet.merged
    assert MergedRange(1, 2, 0, 0) in sheet.merged


def test_real_encrypted_xls_is_decrypted(yearbooks_dir):
    path = yearbooks_dir / "st-yearbook" / "hightech-operation" / "2015.xls"
    assert msoffcrypto.OfficeFile(io.BytesIO(path.read_bytes())).is_encrypted()
    sheets = read_workbook(path)
    assert [s.name for s in sheets] == ["1", "CNKI"]
    assert sheets[0].cell(9, 0) == "北京"
    assert sheets[0].cell(9, 2) == "805"  # C10
    assert sheets[1].rows == [["http://www.cnki.net/"]]


def test_real_plain_xls_numbers(yearbooks_dir):
    sheet = read_workbook(yearbooks_dir / "st-yearbook" / "hightech-rd" / "2021.xls")[0]
    assert sheet.cell(13, 2) == "23041"  # C14 stored as 23041.0
    assert sheet.cell(13, 3) == "1119629.6"  # D14, format "0" but value kept whole
    assert MergedRange(4, 11, 0, 0) in sheet.merged  # A5:A12


def test_encrypted_with_other_password_is_reported(tmp_path):
    plain = io.BytesIO(xlsx_bytes(lambda ws: ws.append(["北京", 1])))
    encrypted = io.BytesIO()
    OOXMLFile(plain).encrypt("not-the-default", encrypted)
    path = tmp_path / "secret.xlsx"
    path.write_bytes(encrypted.getvalue())
    with pytest.raises(UnreadableFileError) as err:
        read_workbook(path)
    text = str(err.value)
    assert "secret.xlsx" in text
    assert "password other than Excel's default" in text
    assert "save it without a password" in text


def test_xlsx_encrypted_with_default_password_is_read(tmp_path):
    plain = io.BytesIO(xlsx_bytes(lambda ws: ws.append(["北京", 7])))
    encrypted = io.BytesIO()
    OOXMLFile(plain).encrypt("VelvetSweatshop", encrypted)
    assert read_bytes(encrypted.getvalue(), "x.xlsx")[0].rows == [["北京", "7"]]


# -- HTML ----------------------------------------------------------------------------------------


def test_real_html_saved_as_xls(yearbooks_dir):
    [sheet] = read_workbook(yearbooks_dir / "st-yearbook" / "hightech-operation" / "2020-soshu.xls")
    assert sheet.rows[0][0] == "中国2020年各地区高技术产业生产经营情况统计"  # title div
    assert sheet.rows[1][0] == "单位:个.亿元"  # one-cell table
    assert sheet.rows[2] == ["地区", "企业数(个)", "营业收入", "利润总额"]
    assert sheet.rows[3] == ["全国", "40194", "174613", "12394"]
    assert sheet.rows[-2][0].startswith("注:")
    assert all("Excel档案" not in c for r in sheet.rows for c in r)  # <head><title> skipped


def test_html_rowspan_colspan_become_merged_ranges():
    html = """<html><body><h3>表 5-3 测试</h3>
    <table>
      <tr><td rowspan="2">地区</td><td colspan="2">新产品</td><td>专利<br/>申请数</td></tr>
      <tr><td>销售收入</td><td>#出口</td><td>(件)</td></tr>
      <tr><td>北&nbsp;&nbsp;京</td><td>1,234</td><td>5</td><td>6</td></tr>
    </table><p>注：测试</p></body></html>"""
    [sheet] = read_bytes(html.encode("gb18030"), "page.xls")
    assert sheet.rows == [
        ["表 5-3 测试", "", "", ""],
        ["地区", "新产品", "", "专利\n申请数"],
        ["", "销售收入", "#出口", "(件)"],
        ["北 京", "1,234", "5", "6"],
        ["注：测试", "", "", ""],
    ]
    assert MergedRange(1, 2, 0, 0) in sheet.merged
    assert MergedRange(1, 1, 1, 2) in sheet.merged


# -- CSV -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_encodings(tmp_path, encoding):
    text = '表1 测试产值表,,\n单位：万元,,\n地区,Region,产值\n内 蒙 古,Inner Mongolia,"1,234.5"\n'
    path = tmp_path / f"t-{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    [sheet] = read_workbook(path)
    assert sheet.rows[0] == ["表1 测试产值表", "", ""]
    assert sheet.rows[3] == ["内 蒙 古", "Inner Mongolia", "1,234.5"]


def test_tab_separated_text(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("单位：万元\n地区\t产值\n北京\t5\n", encoding="utf-8")
    assert read_workbook(path)[0].rows == [["单位：万元", ""], ["地区", "产值"], ["北京", "5"]]


# -- unreadable ----------------------------------------------------------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "empty.xls"
    path.write_bytes(b"")
    with pytest.raises(UnreadableFileError, match="empty"):
        read_workbook(path)


def test_truncated_xlsx(tmp_path):
    data = xlsx_bytes(lambda ws: ws.append(["北京", 1] * 50))
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(UnreadableFileError) as err:
        read_workbook(path)
    assert "damaged or truncated" in str(err.value) and "cut.xlsx" in str(err.value)


def _with_part_named_but_missing(data: bytes, sheet_xml: str = "xl/worksheets/sheet1.xml") -> bytes:
    """The package plus a drawing that the sheet names (relationship, content type, ``<drawing>``)
    but that the zip lacks: Excel opens such a file (none of the 45 real downloads is one)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    rels = sheet_xml.replace("worksheets/", "worksheets/_rels/") + ".rels"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                content = content.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.drawing+xml"/></Types>',
                )
            if item.filename == sheet_xml:
                content = content.replace(b"</worksheet>", b'<drawing r:id="rId9"/></worksheet>')
                if b"xmlns:r=" not in content:
                    content = content.replace(
                        b"<worksheet ",
                        b'<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
                        b'2006/relationships" ',
                        1,
                    )
            z.writestr(item, content)
        z.writestr(
            rels,
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http:'
            '//schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId9" Type='
            '"http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing" Target='
            '"../drawings/drawing1.xml"/></Relationships>',
        )
    return out.getvalue()


def test_xlsx_naming_a_part_it_lacks_is_read(tmp_path):
    def build(ws):
        ws["A1"] = "5-3 各地区高技术产业生产经营情况(2015年)"
        ws.append(["北京", 805, 12.3])
        ws["C2"].number_format = "0.00"
        ws.merge_cells("A1:C1")

    data = _with_part_named_but_missing(xlsx_bytes(build))
    with pytest.raises(KeyError, match="drawing1.xml"):  # what openpyxl alone makes of it
        openpyxl.load_workbook(io.BytesIO(data))
    path = tmp_path / "2015.xlsx"
    path.write_bytes(data)
    (sheet,) = read_workbook(path)
    assert sheet.rows == [
        ["5-3 各地区高技术产业生产经营情况(2015年)", "", ""],
        ["北京", "805", "12.30"],
    ]
    assert sheet.merged == [MergedRange(0, 0, 0, 2)]  # merged cells and formats are still known


def test_xlsx_lacking_a_sheet_is_still_an_error(tmp_path):
    data = xlsx_bytes(lambda ws: ws.append(["北京", 1]))
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                z.writestr(item, src.read(item.filename))
    path = tmp_path / "nosheet.xlsx"
    path.write_bytes(_with_part_named_but_missing(out.getvalue()))
    # openpyxl alone returns no sheet at all, silently
    with pytest.raises(UnreadableFileError, match="lacks xl/worksheets/sheet1.xml"):
        read_workbook(path)


def test_binary_junk_and_pdf(tmp_path):
    junk = tmp_path / "junk.xls"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(UnreadableFileError, match="binary"):
        read_workbook(junk)
    pdf = tmp_path / "table.xls"
    pdf.write_bytes(b"%PDF-1.4\n...")
    with pytest.raises(UnreadableFileError, match="PDF"):
        read_workbook(pdf)


def test_damaged_ole2(tmp_path):
    path = tmp_path / "bad.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(UnreadableFileError):
        read_workbook(path)


def test_missing_file(tmp_path):
    with pytest.raises(UnreadableFileError, match="cannot read"):
        read_workbook(tmp_path / "nope.xlsx")
