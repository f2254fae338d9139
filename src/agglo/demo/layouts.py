"""Yearbook-style sheets: a cell grid and its writers (xlsx via openpyxl, xls via xlwt, csv).

A :class:`Grid` is what a yearbook table looks like on screen: title lines, unit lines, a bilingual
multi-row header (with merged cells where a heading spans sub-columns), printed aggregates,
province rows and notes. The writers turn it into a file byte-for-byte reproducibly: csv and xls
output depends only on the grid; xlsx output gets fixed document-property dates and fixed zip-entry
timestamps.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

# Workbook metadata written into every xlsx (so that regenerating gives identical bytes).
FIXED_TIMESTAMP = dt.datetime(2016, 12, 31, 0, 0, 0)
_ZIP_DATE = (2016, 12, 31, 0, 0, 0)


@dataclass(frozen=True)
class Num:
    """A printed number: ``value`` shown with ``decimals`` places; ``as_text`` stores it as text."""

    value: float
    decimals: int
    as_text: bool = False

    @property
    def text(self) -> str:
        return f"{self.value:.{self.decimals}f}"


Cell = str | Num | None


@dataclass
class Grid:
    """One sheet: rows of cells (``None`` = empty) and merged ranges (0-based, inclusive)."""

    sheet_name: str
    rows: list[list[Cell]] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1
    widths: dict[int, float] = field(default_factory=dict)

    def add(self, cells: list[Cell]) -> int:
        """Append a row; returns its 0-based index."""
        self.rows.append(list(cells))
        return len(self.rows) - 1

    def merge(self, r0: int, c0: int, r1: int, c1: int) -> None:
        if (r0, c0) != (r1, c1):
            self.merges.append((r0, c0, r1, c1))

    @property
    def ncols(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def _number_format(decimals: int) -> str:
    return "0" if decimals == 0 else "0." + "0" * decimals


# -- xlsx -----------------------------------------------------------------------------------------


def write_xlsx(grid: Grid, path: Path) -> None:
    import openpyxl
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = grid.sheet_name
    wrap = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for r, row in enumerate(grid.rows, start=1):
        for c, cell in enumerate(row, start=1):
            if cell is None:
                continue
            target = ws.cell(row=r, column=c)
            if isinstance(cell, Num):
                if cell.as_text:
                    target.value = cell.text
                else:
                    target.value = int(round(cell.value)) if cell.decimals == 0 else cell.value
                    target.number_format = _number_format(cell.decimals)
            else:
                target.value = cell
                if "\n" in cell:
                    target.alignment = wrap
    for r0, c0, r1, c1 in grid.merges:
        ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    for c, width in grid.widths.items():
        ws.column_dimensions[get_column_letter(c + 1)].width = width
    wb.properties.creator = "agglo demo-data"
    wb.properties.lastModifiedBy = "agglo demo-data"
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    _rezip(raw.getvalue(), path)


def _rezip(data: bytes, path: Path) -> None:
    """Rewrite a zip with fixed entry timestamps and order (byte-identical output)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n)):
            content = src.read(name)
            if name == "docProps/core.xml":  # belt and braces: no wall-clock time anywhere
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    rb"\g<1>" + FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ").encode(),
                    content,
                )
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, content)
    path.write_bytes(out.getvalue())


# -- xls ------------------------------------------------------------------------------------------


def write_xls(grid: Grid, path: Path) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(grid.sheet_name)
    styles: dict[object, xlwt.XFStyle] = {}

    def style(key) -> xlwt.XFStyle:
        if key not in styles:
            st = xlwt.XFStyle()
            if isinstance(key, int):
                st.num_format_str = _number_format(key)
            elif key == "wrap":
                st.alignment.wrap = 1
                st.alignment.horz = xlwt.Alignment.HORZ_CENTER
                st.alignment.vert = xlwt.Alignment.VERT_CENTER
            styles[key] = st
        return styles[key]

    merged_tops = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in grid.merges}
    covered = {
        (r, c)
        for r0, c0, r1, c1 in grid.merges
        for r in range(r0, r1 + 1)
        for c in range(c0, c1 + 1)
        if (r, c) != (r0, c0)
    }
    for r, row in enumerate(grid.rows):
        for c, cell in enumerate(row):
            if cell is None or (r, c) in covered:
                continue
            if isinstance(cell, Num):
                value = cell.text if cell.as_text else cell.value
                st = style("text") if cell.as_text else style(cell.decimals)
            else:
                value, st = cell, style("wrap" if "\n" in cell else "text")
            if (r, c) in merged_tops:
                r1, c1 = merged_tops[(r, c)]
                ws.write_merge(r, r1, c, c1, value, st)
            else:
                ws.write(r, c, value, st)
    for c, width in grid.widths.items():
        ws.col(c).width = int(width * 256)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())


# -- csv ------------------------------------------------------------------------------------------


def write_csv(grid: Grid, path: Path, encoding: str = "utf-8") -> None:
    """CSV as a spreadsheet exports it: merged text only in the top-left cell, numbers as shown."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    width = grid.ncols
    for row in grid.rows:
        cells = [("" if c is None else c.text if isinstance(c, Num) else c) for c in row]
        writer.writerow(cells + [""] * (width - len(cells)))
    path.write_bytes(buf.getvalue().encode(encoding))


WRITERS = {
    "xlsx": write_xlsx,
    "xls": write_xls,
    "csv": write_csv,
}


def write(grid: Grid, path: Path, fmt: str, encoding: str = "utf-8") -> None:
    """Write ``grid`` as ``fmt`` (``xlsx``, ``xls`` or ``csv``) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        write_csv(grid, path, encoding)
    else:
        WRITERS[fmt](grid, path)
