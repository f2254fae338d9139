"""Spreadsheet-like files → grids of cell text.

Yearbook downloads come as ``.xlsx``, as ``.xls`` (often encrypted with Excel's default read
password), as HTML pages saved under an ``.xls`` name, and as CSV in UTF-8 or GB18030. The extension
is not to be trusted, so the format is sniffed from the bytes. Every reader returns the same thing:
one :class:`Sheet` per worksheet holding the text of each cell ('' when empty) and the merged
ranges, so the parser never sees a file format.

Numbers are rendered as text without a spurious ``.0`` (``25084.0`` → ``'25084'``) and never
rounded: a cell formatted to show fewer decimals than it stores keeps all its digits, and a cell
formatted with more decimals than needed is padded as Excel shows it (``12.3`` in ``0.00`` →
``'12.30'``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from agglo.errors import UnreadableFileError

EXCEL_DEFAULT_PASSWORD = "VelvetSweatshop"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_RESAVE = "open it in Excel (or LibreOffice) and save it as .xlsx"


@dataclass(frozen=True)
class MergedRange:
    """A merged block of cells, 0-based and inclusive; its text sits in the top-left cell."""

    first_row: int
    last_row: int
    first_col: int
    last_col: int

    def contains(self, row: int, col: int) -> bool:
        return self.first_row <= row <= self.last_row and self.first_col <= col <= self.last_col


@dataclass
class Sheet:
    """One worksheet as a rectangular grid of cell text (0-based indices; Excel rows are +1)."""

    name: str
    rows: list[list[str]]
    merged: list[MergedRange] = field(default_factory=list)

    def __post_init__(self) -> None:
        width = max((len(r) for r in self.rows), default=0)
        self.rows = [list(r) + [""] * (width - len(r)) for r in self.rows]

    @property
    def nrows(self) -> int:
        return len(self.rows)

    @property
    def ncols(self) -> int:
        return len(self.rows[0]) if self.rows else 0

    def cell(self, row: int, col: int) -> str:
        if 0 <= row < self.nrows and 0 <= col < self.ncols:
            return self.rows[row][col]
        return ""

    def merged_at(self, row: int, col: int) -> MergedRange | None:
        for m in self.merged:
            if m.contains(row, col):
                return m
        return None


def column_letter(col: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# -- cell text ---------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """Cell text with unified line breaks and no outer whitespace (``'  北京'`` → ``'北京'``)."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip(" \t\n\u3000\xa0")


def _decimals_shown(number_format: str | None) -> int | None:
    """Decimal places a number format displays (``'#,##0.00_ '`` → 2), None for General."""
    if not number_format:
        return None
    section = number_format.split(";")[0]
    section = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", section)  # literals, escapes, colours
    if not re.search(r"[0#?]", section):
        return None
    m = re.search(r"\.([0#?]+)", section)
    return len(m.group(1)) if m else 0


def render_number(value: float | int, number_format: str | None = None) -> str:
    """Text of a numeric cell: no spurious ``.0``, never rounded, padded as the format shows."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        text = str(value)
    elif value != value or value in (float("inf"), float("-inf")):
        return str(value)
    elif value == int(value) and abs(value) < 1e15:
        text = str(int(value))
    else:
        text = repr(float(value))
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
    shown = _decimals_shown(number_format)
    if shown:
        have = len(text.split(".")[1]) if "." in text else 0
        if have < shown:
            text = f"{float(value):.{shown}f}"
    return text


# -- sniffing ----------------------------------------------------------------------------------


def read_workbook(path: str | Path) -> list[Sheet]:
    """Read any supported file into sheets, choosing the reader from the file's bytes."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFileError(
            f"cannot read the file ({exc.strerror})", file=str(path)
        ) from None
    return read_bytes(data, str(path))


def read_bytes(data: bytes, name: str) -> list[Sheet]:
    """Read file content; ``name`` is used in messages and as the sheet name of CSV files."""
    if not data.strip():
        raise UnreadableFileError(
            "the file is empty", file=name, hint="download the table again; the file has no content"
        )
    if data.startswith(_OLE2):
        return _read_ole2(data, name)
    if data.startswith(_ZIP):
        return _read_xlsx(data, name)
    if data.startswith(b"%PDF"):
        raise UnreadableFileError(
            "this is a PDF, not a spreadsheet",
            file=name,
            hint="download the table as Excel, or copy it into a spreadsheet and save as .xlsx",
        )
    text = _decode(data, name)
    head = text.lstrip()[:4000].lower()
    if "<table" in text.lower() and (head.startswith("<") or "<html" in head):
        return [_read_html(text, name)]
    if head.startswith("<?xml") or head.startswith("<"):
        raise UnreadableFileError("the file is XML/HTML without a table", file=name, hint=_RESAVE)
    return [_read_csv(text, name)]


def _decode(data: bytes, name: str) -> str:
    """Text of a CSV or HTML file: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise UnreadableFileError(
            "the file is binary but not a known spreadsheet format", file=name, hint=_RESAVE
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFileError(
        "the text is neither UTF-8 nor GB18030", file=name, hint="save the CSV as UTF-8"
    )


# -- OLE2: .xls, encrypted .xls, encrypted .xlsx -------------------------------------------------


def _read_ole2(data: bytes, name: str) -> list[Sheet]:
    import msoffcrypto
    from msoffcrypto import exceptions as mexc

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
    except mexc.FileFormatError as exc:
        raise UnreadableFileError(
            f"an OLE2 (old Office) file that is not an Excel workbook ({exc})",
            file=name,
            hint=_RESAVE,
        ) from None
    except Exception as exc:  # noqa: BLE001 - olefile raises assorted errors on damaged files
        raise UnreadableFileError(
            f"the .xls file is damaged or truncated ({exc})",
            file=name,
            hint="download it again, or open it in Excel and save it again",
        ) from None
    kind = type(office).__name__
    if kind not in ("Xls97File", "OOXMLFile"):
        raise UnreadableFileError(
            f"an Office file that is not an Excel workbook ({kind})", file=name, hint=_RESAVE
        )
    try:
        encrypted = office.is_encrypted()
    except Exception:  # noqa: BLE001 - msoffcrypto raises assorted errors on damaged files
        encrypted = False
    if not encrypted:
        return _read_xls(data, name)
    out = io.BytesIO()
    try:
        office.load_key(password=EXCEL_DEFAULT_PASSWORD)
        office.decrypt(out)
    except mexc.InvalidKeyError:
        raise UnreadableFileError(
            "the file is encrypted with a password other than Excel's default",
            file=name,
            hint="open it in Excel with its password and save it without a password",
        ) from None
    except Exception as exc:  # noqa: BLE001 - unsupported cipher, damaged stream
        raise UnreadableFileError(
            f"the file is encrypted and could not be decrypted ({exc})",
            file=name,
            hint="open it in Excel and save it without a password as .xlsx",
        ) from None
    plain = out.getvalue()
    if plain.startswith(_ZIP):
        return _read_xlsx(plain, name)
    return _read_xls(plain, name)


def _read_xls(data: bytes, name: str) -> list[Sheet]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except Exception as exc:  # noqa: BLE001 - xlrd raises many kinds on damaged files
        raise UnreadableFileError(
            f"not a readable .xls workbook ({exc})", file=name, hint=_RESAVE
        ) from None
    sheets = []
    try:
        for idx in range(book.nsheets):
            sh = book.sheet_by_index(idx)
            rows = [[_xls_cell(book, sh, r, c) for c in range(sh.ncols)] for r in range(sh.nrows)]
            merged = [MergedRange(r0, r1 - 1, c0, c1 - 1) for r0, r1, c0, c1 in sh.merged_cells]
            sheets.append(Sheet(sh.name, rows, merged))
    except Exception as exc:  # noqa: BLE001
        raise UnreadableFileError(
            f"the .xls workbook is damaged ({exc})", file=name, hint=_RESAVE
        ) from None
    finally:
        book.release_resources()
    return sheets


def _xls_cell(book, sh, r: int, c: int) -> str:
    import xlrd

    ctype = sh.cell_type(r, c)
    value = sh.cell_value(r, c)
    if ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if ctype == xlrd.XL_CELL_TEXT:
        return clean_text(value)
    if ctype == xlrd.XL_CELL_NUMBER:
        fmt = None
        try:
            xf = book.xf_list[sh.cell_xf_index(r, c)]
            fmt = book.format_map[xf.format_key].format_str
        except (IndexError, KeyError, AttributeError):
            pass
        return render_number(value, fmt)
    if ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(value, book.datemode).date().isoformat()
        except Exception:  # noqa: BLE001
            return render_number(value)
    if ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if value else "FALSE"
    if ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERROR")
    return clean_text(str(value))


# -- .xlsx ----------------------------------------------------------------------------------------


# Parts whose absence leaves no cell text to read: the workbook, its sheets, shared strings and
# styles (number formats). Any other part a package names but lacks (a drawing, an image, a
# comment, printer settings) is dropped from the package before reading, as Excel repairs it.
_CELL_PARTS = re.compile(
    r"^xl/(workbook\.xml|worksheets/[^/]+\.xml|sharedStrings\.xml|styles\.xml)$"
)
_REL = re.compile(rb"<Relationship\b[^>]*?/>", re.S)
_OVERRIDE = re.compile(rb"<Override\b[^>]*?/>", re.S)


def _dangling(book: zipfile.ZipFile) -> dict[str, dict[bytes, str]]:
    """{part: {element naming an absent part: the absent part}} over the package's relationship
    files and ``[Content_Types].xml``; external targets (hyperlinks) are not parts."""
    import posixpath

    names = set(book.namelist())
    found: dict[str, dict[bytes, str]] = {}
    for rels in (n for n in names if n.endswith(".rels")):
        base = posixpath.dirname(posixpath.dirname(rels))
        for rel in _REL.findall(book.read(rels)):
            m = re.search(rb'Target="([^"]+)"', rel)
            if not m or b'TargetMode="External"' in rel:
                continue
            target = m.group(1).decode("utf-8", "replace")
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            if posixpath.normpath(path) not in names:
                found.setdefault(rels, {})[rel] = posixpath.normpath(path)
    if "[Content_Types].xml" in names:
        for over in _OVERRIDE.findall(book.read("[Content_Types].xml")):
            m = re.search(rb'PartName="/([^"]+)"', over)
            if m and m.group(1).decode("utf-8", "replace") not in names:
                found.setdefault("[Content_Types].xml", {})[over] = m.group(1).decode()
    return found


def _without_missing_parts(data: bytes, name: str) -> bytes:
    """The package without its references to absent parts that hold no cell text (a drawing …);
    an absent part that holds cell text (a sheet) is an error, since no repair brings it back."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        dangling = _dangling(book)
    except (zipfile.BadZipFile, KeyError, EOFError, OSError):
        return data  # openpyxl reports the damage
    absent = sorted({p for refs in dangling.values() for p in refs.values()})
    if not absent:
        return data
    lost = [p for p in absent if _CELL_PARTS.match(p)]
    if lost:
        raise UnreadableFileError(
            f"the .xlsx file is damaged or truncated: it lacks {', '.join(lost)}",
            file=name,
            hint="download it again, or open it in Excel and save it again",
        )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as repaired:
        for item in book.infolist():
            content = book.read(item.filename)
            for element in dangling.get(item.filename, {}):
                content = content.replace(element, b"")
            repaired.writestr(item, content)
    return out.getvalue()


def _read_xlsx(data: bytes, name: str) -> list[Sheet]:
    import openpyxl

    data = _without_missing_parts(data, name)  # a part named but absent (a drawing): drop it
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, EOFError) as exc:
        raise UnreadableFileError(
            f"the .xlsx file is damaged or truncated ({exc})",
            file=name,
            hint="download it again, or open it in Excel and save it again",
        ) from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on odd files
        raise UnreadableFileError(
            f"not a readable .xlsx workbook ({exc})", file=name, hint=_RESAVE
        ) from None
    sheets = []
    for ws in book.worksheets:
        rows = []
        for row in ws.iter_rows():
            rows.append([_xlsx_cell(cell) for cell in row])
        while rows and not any(rows[-1]):
            rows.pop()
        merged = [
            MergedRange(m.min_row - 1, m.max_row - 1, m.min_col - 1, m.max_col - 1)
            for m in ws.merged_cells.ranges
        ]
        sheets.append(Sheet(ws.title, rows, merged))
    return sheets


def _xlsx_cell(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return render_number(value, cell.number_format)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return clean_text(str(value))


# -- HTML ----------------------------------------------------------------------------------------

_BLOCK_SKIP = {"script", "style", "head", "title", "noscript"}
_HTML_SPACE = re.compile(r"[ \t\r\f\v\xa0]+")


def _html_text(el) -> str:
    for br in el.iter("br"):
        br.tail = "\n" + (br.tail or "")
    text = el.text_content()
    lines = [_HTML_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    return clean_text("\n".join(line for line in lines if line))


def _read_html(text: str, name: str) -> Sheet:
    """An HTML page as one sheet: text outside tables becomes one-cell rows (titles, notes), then
    each table's rows follow in document order, with rowspan/colspan turned into merged ranges."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(text)
    except Exception as exc:  # noqa: BLE001
        raise UnreadableFileError(f"not readable HTML ({exc})", file=name, hint=_RESAVE) from None
    rows: list[list[str]] = []
    merged: list[MergedRange] = []

    def line(s: str | None) -> None:
        s = _HTML_SPACE.sub(" ", s or "").strip()
        if s:
            rows.append([s])

    def walk(el) -> None:
        if not isinstance(el.tag, str) or el.tag in _BLOCK_SKIP:
            return
        if el.tag == "table":
            _html_table(el, rows, merged)
            return
        if el.find(".//table") is None:
            line(_html_text(el))
            return
        line(el.text)
        for child in el:
            walk(child)
            if isinstance(child.tag, str) and child.tag not in _BLOCK_SKIP:
                line(child.tail)

    body = root.find("body")
    walk(body if body is not None else root)
    if not rows:
        raise UnreadableFileError("the HTML page holds no table", file=name, hint=_RESAVE)
    return Sheet(Path(name).stem, rows, merged)


def _html_table(table, rows: list[list[str]], merged: list[MergedRange]) -> None:
    top = len(rows)
    taken: dict[tuple[int, int], str] = {}
    # rows of this table only (directly or via thead/tbody/tfoot), not of nested tables
    trs = [tr for tr in table.iter("tr") if table in (tr.getparent(), tr.getparent().getparent())]
    width = 0
    for i, tr in enumerate(trs):
        col = 0
        for td in tr:
            if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                continue
            while (i, col) in taken:
                col += 1
            rowspan = max(1, _int_attr(td, "rowspan"))
            colspan = max(1, _int_attr(td, "colspan"))
            for dr in range(rowspan):
                for dc in range(colspan):
                    taken[(i + dr, col + dc)] = ""
            taken[(i, col)] = _html_text(td)
            if rowspan > 1 or colspan > 1:
                merged.append(MergedRange(top + i, top + i + rowspan - 1, col, col + colspan - 1))
            col += colspan
            width = max(width, col)
    nrows = max((r for r, _ in taken), default=-1) + 1
    for r in range(nrows):
        rows.append([taken.get((r, c), "") for c in range(width)])


def _int_attr(el, attr: str) -> int:
    try:
        return int(str(el.get(attr, "1")).strip() or 1)
    except ValueError:
        return 1


# -- CSV -----------------------------------------------------------------------------------------


def _read_csv(text: str, name: str) -> Sheet:
    sample = "\n".join(text.splitlines()[:50])
    delimiter = max(",\t;", key=sample.count)  # csv.Sniffer guesses badly on sparse title rows
    rows = [
        [clean_text(c) for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)
    ]
    while rows and not any(rows[-1]):
        rows.pop()
    return Sheet(Path(name).stem, rows, [])
