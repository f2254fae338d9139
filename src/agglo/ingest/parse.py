"""Cell grids + a catalog entry → tidy records (the contract in ARCHITECTURE.md).

Yearbook sheets are read by layout, not by position, so that a new year of a known table needs no
code:

* **Label columns** are the columns where province names (or, for ``row_key: year`` tables, years)
  pile up; adjacent ones form a group (Chinese name + English name). The data columns of a group run
  to the next group, so side-by-side continuation blocks (``5-4续表`` beside the main block) work.
* **Blocks**: scanning down a group, data rows are rows whose first non-empty label cell is a
  province or printed aggregate. A text row after data rows (a ``续表`` title, a new header) ends
  the block and starts the head of the next one; notes (``注``, ``资料来源``) end it too.
* **Head of a block**: title lines (one cell in the block's first column, or text that reads like
  a title: the table's title pattern, a table number, ``续表``) and unit lines (``单位：亿元``,
  ``(100 million yuan)``) come first; the rows after the last such line, down to the first data
  row, are the column headers.
* **Column headers** are the column's header cells joined top to bottom; a merged cell counts for
  every column it spans (that is how a parent heading or an industry spans its sub-columns), an
  unmerged blank does not (so ``#出口`` under an unmerged ``新产品销售收入`` stays "of which").
* **Indicators**: a column takes the first catalog indicator (in catalog order) whose ``patterns``
  match and whose ``exclude`` do not, tested on the *squashed* header text: NFKC, whitespace runs
  collapsed to one space, spaces between two CJK characters removed (``利  润\\n总  额`` →
  ``利润总额``, ``主营业\\n务收入`` → ``主营业务收入``). Two columns of one block and industry
  taking the same indicator is an error (tighten ``patterns`` or add ``exclude``).
* **Units**: a unit in the column header (``(个)``, ``(10 000 yuan)``) > the table's unit line (the
  first of its units with the indicator unit's dimension, so ``单位：个，亿元`` serves both) > the
  indicator's catalog ``unit``.
* **Industries** (``entity: province_year_industry``): ``industry_axis: columns`` reads a header
  cell (or line) that is an industry name and carries it to the right until the next one, since a
  CSV cannot merge the cell over its sub-columns; ``blocks`` reads the block's title lines;
  ``sheets`` the sheet name or title. Otherwise the table's fixed ``industry``.
* **Rows by both names**: a row is a province, a printed aggregate or an out-of-scope region (Hong
  Kong, Macao, Taiwan: ``entity_kind = 'out_of_scope'``) by its Chinese and English names, read
  from all its label cells; when one is unknown (a misprint: ``江两`` beside ``Jiangxi``) the other
  decides and a warning names the cell, and when they name different entities the row is an error.
* **Years**: the data year follows the catalog's ``data_year.from`` (title, else file name; every
  source that gives a year must agree). In ``column_key: year`` tables each column is headed by a
  year and gives that year's records (the indicator from the rest of the header, else the title);
  every record keeps the file's own data year as ``vintage``.
* **Errors, not guesses**: a row holding numbers whose label is not a known province, aggregate or
  year is a :class:`LayoutError` naming the cell (add the spelling to the seeds); so is a missing
  ``required`` indicator. Odd values are kept and flagged (``invalid``) for the load gate.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from agglo.errors import LayoutError, UnknownTableError
from agglo.ingest.catalog import Catalog, IndicatorSpec, TableSpec, load_catalog
from agglo.ingest.data_year import YEAR_LABEL as _YEAR_LABEL
from agglo.ingest.data_year import printed_file_name_year, printed_title_year
from agglo.ingest.readers import Sheet, column_letter, read_workbook
from agglo.ingest.repair import repair_misreadings
from agglo.refdata import RefData
from agglo.refdata import refdata as default_refdata

RECORD_COLUMNS = [
    "table_id",
    "yearbook",
    "data_year",
    "entity_kind",
    "province_code",
    "aggregate_code",
    "name_raw",
    "industry_code",
    "indicator",
    "value",
    "unit",
    "value_raw",
    "value_flag",
    "source_file",
    "source_sheet",
    "source_row",
    "source_col",
    "source_cell",
    "vintage",
]

TITLE_ROWS = 12  # rows searched for the table title
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")
_UNIT_PREFIX = re.compile(r"^(单位|unit)\s*:", re.IGNORECASE)
_UNIT_SPLIT = re.compile(rf"[,;、]|(?<=[{_CJK}])\.(?=[{_CJK}])")
_PAREN = re.compile(r"\(([^()]*)\)")
_NOTE = re.compile(
    r"^(注|附注|说明|资料来源|数据来源|摘编|note|notes|source|sources)\b|^[*①]", re.I
)
_NOT_AVAILABLE = re.compile(r"[-—–―‒−/.…]+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_LATIN = re.compile(r"[A-Za-z]{2}")
_CJK_RUN = re.compile(rf"[{_CJK}]+")
_SEEDS = "dbt_project/seeds/"
_VARIANT_SEED = {
    "province": "ref_province_name_variants.csv",
    "aggregate": "ref_aggregate_name_variants.csv",
    "out_of_scope": "ref_out_of_scope_name_variants.csv",
}
_HINT_VARIANT = (
    "if it is a province, add this spelling to dbt_project/seeds/ref_province_name_variants.csv; "
    "if it is a printed total or region subtotal, to ref_aggregate_name_variants.csv"
)


def squash(text: str, nfkc: bool = True) -> str:
    """Text as header patterns see it: NFKC, one space per whitespace run, none between CJK."""
    if nfkc:
        text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", " ", text).strip()
    return _CJK_GAP.sub("", text)


def _forms(text: str) -> list[str]:
    """The squashed text with and without NFKC, so that a catalog pattern copied from the file
    with full-width characters (``（万元）``) matches as well as one written in ASCII."""
    forms = [squash(text)]
    raw = squash(text, nfkc=False)
    return forms if raw == forms[0] else [*forms, raw]


@dataclass
class ParseResult:
    table: TableSpec
    data_years: list[int]
    records: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    # data years of the editions that printed the values (column ``vintage``): the file's own
    # data year; a table with one column per year prints several data years but one vintage
    vintages: list[int] = field(default_factory=list)


# -- values ---------------------------------------------------------------------------------------


def parse_value(text: str) -> tuple[float | None, str | None]:
    """(value, value_flag) of a data cell: a number, ``blank``, ``not_available`` or ``invalid``."""
    t = unicodedata.normalize("NFKC", text).strip()
    if not t:
        return None, "blank"
    if _NOT_AVAILABLE.fullmatch(t):
        return None, "not_available"
    t = re.sub(r"(?<=\d)[ \u2009\u202f](?=\d{3}\b)", "", t)  # "10 000"
    if "," in t:
        if not _THOUSANDS.fullmatch(t):
            return None, "invalid"
        t = t.replace(",", "")
    if _NUMBER.fullmatch(t):
        return float(t), None
    return None, "invalid"


def _is_number(text: str) -> bool:
    return parse_value(text)[1] is None


# -- table recognition ----------------------------------------------------------------------------


def sheet_top_text(sheet: Sheet, rows: int = TITLE_ROWS) -> str:
    """The squashed text of a sheet's first rows, cells separated by `` | ``."""
    cells = [c for row in sheet.rows[:rows] for c in row if c]
    return " | ".join(squash(c) for c in cells)


def _matches_title(table: TableSpec, text: str) -> bool:
    return any(table.matches_title(form) for form in _forms(text))


def _inspect(path: str | Path) -> str:
    """The command that parses ``path`` as a chosen table (only `agglo inspect` takes --table:
    what `check` and `load` read is what the catalog recognises, so a build reads it the same)."""
    return f"`agglo inspect {shlex.quote(str(path))} --table TABLE_ID`"


def recognize(sheets: list[Sheet], path: str | Path, catalog: Catalog) -> TableSpec:
    """The one catalog table whose title patterns match the sheets' first rows (else the path)."""
    texts = [" | ".join(c for row in s.rows[:TITLE_ROWS] for c in row if c) for s in sheets]
    by_title = [t for t in catalog if any(_matches_title(t, x) for x in texts)]
    by_path = [t for t in catalog if t.matches_path(path)]
    if len(by_title) == 1:
        return by_title[0]
    if len(by_title) > 1:
        both = [t for t in by_title if t in by_path]
        if len(both) == 1:
            return both[0]
        names = ", ".join(f"{t.table_id} ({t.source_file})" for t in by_title)
        raise UnknownTableError(
            f"the title matches several catalog tables: {names}",
            file=str(path),
            hint="make the tables' title_patterns more specific (raw/catalog/<table_id>.yml); "
            f"{_inspect(path)} parses it as one of them meanwhile",
        )
    if len(by_path) == 1:
        return by_path[0]
    title = next((squash(x) for x in texts if x), "")[:160] or "(no text in the first rows)"
    if by_path:
        what = "its title matches no catalog table and its path matches several: " + ", ".join(
            t.table_id for t in by_path
        )
    else:
        what = "matches no catalog table"
    known = ", ".join(sorted(catalog.tables)) or "(none)"
    raise UnknownTableError(
        f"{what}; its first rows read: {title}",
        file=str(path),
        hint="add a catalog entry raw/catalog/<table_id>.yml whose title_patterns match this "
        f"title, or add the title to a known table's title_patterns (known: {known}); "
        f"{_inspect(path)} tries one without changing the catalog",
    )


# -- parsing --------------------------------------------------------------------------------------


def parse_file(
    path: str | Path,
    table_id: str | None = None,
    catalog: Catalog | None = None,
    refdata: RefData | None = None,
) -> ParseResult:
    """Read one yearbook file and return its tidy records (``table_id`` forces the table)."""
    sheets = read_workbook(path)
    catalog = load_catalog() if catalog is None else catalog
    table = catalog[table_id] if table_id else recognize(sheets, path, catalog)
    return parse_sheets(sheets, path, table, refdata)


def parse_sheets(
    sheets: list[Sheet], path: str | Path, table: TableSpec, refdata: RefData | None = None
) -> ParseResult:
    """Parse already-read grids as ``table`` (sheets without province/year rows are skipped)."""
    return _Parser(table, refdata or default_refdata(), str(path)).run(sheets)


@dataclass
class _Row:
    row: int  # 0-based
    col: int  # column of the label cell
    label: str
    kind: str  # province | aggregate | year
    code: str | int


@dataclass
class _Block:
    sheet: Sheet
    label_cols: list[int]
    data_cols: list[int]
    head: list[int]  # rows above the data, below the previous block
    rows: list[_Row] = field(default_factory=list)

    @property
    def cols(self) -> list[int]:
        return self.label_cols + self.data_cols


@dataclass
class _Column:
    col: int
    header: str  # header cells joined with newlines
    indicator: IndicatorSpec | None
    industry: str | None
    unit: str | None
    year: int | None = None  # column_key: year tables: the year the column is headed by


class _Parser:
    def __init__(self, table: TableSpec, rd: RefData, path: str) -> None:
        self.table = table
        self.rd = rd
        self.path = path
        self.warnings: list[str] = []
        self._labels: dict[str, tuple[str, str | int] | None] = {}

    # -- labels ------------------------------------------------------------------------------
    def classify(self, text: str) -> tuple[str, str | int] | None:
        """(kind, code) of one label cell: a province, a printed aggregate, an out-of-scope region
        (Hong Kong, …), or (year tables) a year. Bilingual rows are resolved by :meth:`row_entity`.
        """
        if not text:
            return None
        if text in self._labels:
            return self._labels[text]
        result = None
        if self.table.row_key == "year":
            m = _YEAR_LABEL.fullmatch(unicodedata.normalize("NFKC", text).strip())
            result = ("year", int(m.group(1))) if m else None
        else:
            candidates = [text, *text.split("\n")]
            cjk = "".join(_CJK_RUN.findall(text))
            if cjk:
                candidates.append(cjk)
            result = next((hit for c in candidates if (hit := self.rd.entity(c))), None)
        self._labels[text] = result
        return result

    def _name_parts(self, text: str) -> list[tuple[str, str, tuple | None]]:
        """The names in one label cell as (language, text, entity or None): its Chinese part and
        its English part (``北京\nBeijing`` holds both; ``北 京`` only the first)."""
        parts = []
        latin = " ".join(_CJK_RUN.sub(" ", unicodedata.normalize("NFKC", text)).split())
        has_latin = bool(_LATIN.search(latin))
        cjk = "".join(_CJK_RUN.findall(text))
        if cjk:
            chinese = cjk if has_latin else text
            parts.append(("Chinese", chinese, self.classify(chinese)))
        if has_latin:
            parts.append(("English", latin, self.rd.entity(latin)))
        return parts

    def row_entity(
        self, sheet: Sheet, r: int, label_cols: list[int]
    ) -> tuple[tuple[str, str | int] | None, list[str]]:
        """(kind, code) of a data row from all its label cells, and the name repairs to report.

        The tables are bilingual, so a row is identified by its Chinese **and** English names:
        when one is known and the other is not (a misprint such as ``内蒙占`` or ``Shanahai``),
        the known one decides and a warning names the cell; when they name different entities
        the row is rejected. A row with no known name is None (the caller decides).
        """
        cells = [(c, sheet.rows[r][c]) for c in label_cols if sheet.rows[r][c]]
        if self.table.row_key == "year":
            return (self.classify(cells[0][1]) if cells else None), []
        parts = [(c, *part) for c, text in cells for part in self._name_parts(text)]
        known = [p for p in parts if p[3]]
        if not known:
            return None, []
        first = known[0]
        for other in known[1:]:
            if other[3] != first[3]:
                raise LayoutError(
                    f"the row's names disagree: {first[2]!r} in {column_letter(first[0])}{r + 1} "
                    f"is {self.rd.entity_name(*first[3])}, but {other[2]!r} in "
                    f"{column_letter(other[0])}{r + 1} is {self.rd.entity_name(*other[3])}",
                    file=self.path,
                    sheet=sheet.name,
                    row=r + 1,
                    col=column_letter(other[0]),
                    hint="check the row in the file; if one name is a misprint, correct the file "
                    "(the load cannot tell which of the two is right)",
                )
        kind, code = first[3]
        repairs = [
            f"{sheet.name}!{column_letter(c)}{r + 1}: {text!r} read as "
            f"{self.rd.entity_name(kind, code)} from its {first[1]} name {first[2]!r}; if "
            f"{text!r} is a real spelling (not a misprint), add it to "
            f"{_SEEDS}{_VARIANT_SEED[kind]}"
            for c, _lang, text, hit in parts
            if hit is None
        ]
        return first[3], repairs

    def label_groups(self, sheet: Sheet) -> list[list[int]]:
        """Runs of adjacent columns where row labels (provinces or years) pile up."""
        want = "year" if self.table.row_key == "year" else "province"
        score = [0] * sheet.ncols
        for row in sheet.rows:
            for c, text in enumerate(row):
                hit = self.classify(text) if text else None
                if hit and hit[0] == want:
                    score[c] += 1
        best = max(score, default=0)
        if best == 0:
            return []
        cols = [c for c, s in enumerate(score) if s * 2 >= best]
        groups: list[list[int]] = []
        for c in cols:
            if groups and groups[-1][-1] == c - 1:
                groups[-1].append(c)
            else:
                groups.append([c])
        return groups

    # -- blocks ------------------------------------------------------------------------------
    def find_blocks(self, sheet: Sheet) -> list[_Block]:
        groups = self.label_groups(sheet)
        blocks = []
        for i, group in enumerate(groups):
            end = groups[i + 1][0] if i + 1 < len(groups) else sheet.ncols
            blocks.extend(self._scan_group(sheet, group, list(range(group[-1] + 1, end))))
        return blocks

    def _scan_group(self, sheet: Sheet, label_cols: list[int], data_cols: list[int]):
        blocks: list[_Block] = []
        current: _Block | None = None
        head_start = 0
        for r in range(sheet.nrows):
            label_col = next((c for c in label_cols if sheet.rows[r][c]), None)
            label = sheet.rows[r][label_col] if label_col is not None else ""
            hit, repairs = self.row_entity(sheet, r, label_cols) if label else (None, [])
            if hit:
                if current is None:
                    current = _Block(sheet, label_cols, data_cols, list(range(head_start, r)))
                current.rows.append(_Row(r, label_col, label, hit[0], hit[1]))
                self.warnings.extend(repairs)
                continue
            values = [sheet.rows[r][c] for c in data_cols]
            first = label or next((v for v in values if v), "")
            if not first:
                continue  # spacer row
            if current is None:
                continue  # title, unit line or header of the next block
            blocks.append(current)
            current = None
            if _NOTE.match(squash(first)):
                head_start = r + 1
                continue
            self._check_unlabelled_numbers(sheet, r, label_col, label, data_cols)
            head_start = r
        if current is not None:
            blocks.append(current)
        return blocks

    def _check_unlabelled_numbers(
        self, sheet: Sheet, r: int, label_col: int | None, label: str, data_cols: list[int]
    ) -> None:
        """A row holding numbers must be labelled with a known province, aggregate or year."""
        numeric = [c for c in data_cols if sheet.rows[r][c] and _is_number(sheet.rows[r][c])]
        if not numeric:
            return
        if label:
            raise LayoutError(
                f"row label {label!r} is neither a province nor a printed aggregate, but the row "
                "holds numbers",
                file=self.path,
                sheet=sheet.name,
                row=r + 1,
                col=column_letter(label_col),
                hint=_HINT_VARIANT,
            )
        raise LayoutError(
            "the row holds numbers but no region label",
            file=self.path,
            sheet=sheet.name,
            row=r + 1,
            col=column_letter(numeric[0]),
            hint="give the row its region name in the file",
        )

    # -- head: titles, unit lines, headers ---------------------------------------------------
    def unit_line_units(self, text: str) -> list[str] | None:
        """Units of a unit line (``单位：个，亿元`` → [个, 亿元]); None when it is not one."""
        t = unicodedata.normalize("NFKC", text).strip()
        m = _UNIT_PREFIX.match(t)
        if m:
            body = t[m.end() :]
        elif t.startswith("(") and t.endswith(")"):
            body = t[1:-1]
        else:
            return None
        body = body.strip().strip("()").strip()
        whole = self.rd.unit(body)
        if whole:
            return [whole]
        units = [self.rd.unit(p) for p in _UNIT_SPLIT.split(body) if p.strip()]
        if m:
            return [u for u in units if u]
        return units if units and all(units) else None

    def head_lines(self, block: _Block) -> tuple[list[int], list[int], list[str]]:
        """(title/unit line rows, header rows, units of the unit lines) of a block's head."""
        sheet = block.sheet
        first_col = block.cols[0]
        lines: list[int] = []
        units: list[str] = []
        nonempty_rows = []
        for r in block.head:
            cells = [(c, sheet.rows[r][c]) for c in block.cols if sheet.rows[r][c]]
            if not cells:
                continue
            nonempty_rows.append(r)
            line_units = self._line_units(sheet, r, cells, first_col) if len(cells) <= 2 else None
            if line_units is not None:
                lines.append(r)
                units.extend(line_units)
        last_line = max(lines, default=-1)
        headers = [r for r in nonempty_rows if r > last_line]
        for r in headers:
            # a row of numbers above the first province (an unknown spelling of 全国) is data, not
            # header; column numbering rows (1, 2, 3, …) are header
            label_col = next((c for c in block.label_cols if sheet.rows[r][c]), None)
            values = [sheet.rows[r][c] for c in block.data_cols if sheet.rows[r][c]]
            numbers = [parse_value(v)[0] for v in values if _is_number(v)]
            numbering = len(numbers) >= 2 and numbers == [
                numbers[0] + i for i in range(len(numbers))
            ]
            if self.table.column_key == "year":  # a row of years heads the year columns
                numbering = numbering or all(_YEAR_LABEL.fullmatch(v) for v in values)
            if numbers and len(numbers) * 2 >= len(values) and not numbering:
                label = sheet.rows[r][label_col] if label_col is not None else ""
                self._check_unlabelled_numbers(sheet, r, label_col, label, block.data_cols)
        return lines, headers, units

    def _line_units(
        self, sheet: Sheet, r: int, cells: list[tuple[int, str]], first_col: int
    ) -> list[str] | None:
        """Units of a title/unit line (``[]`` for a title), None when the row is not such a line.

        A line has at most two cells, each a title or a unit text, and at least one of them
        anchored: in the block's first column or ``单位：``-prefixed, so that a header row holding
        only ``(个)`` is not taken for a unit line.
        """
        units: list[str] = []
        anchored = False
        for c, text in cells:
            parsed = self.unit_line_units(text)
            if parsed is not None:
                units.extend(parsed)
                prefixed = bool(_UNIT_PREFIX.match(unicodedata.normalize("NFKC", text)))
                anchored = anchored or prefixed or c == first_col
                if not parsed:
                    self.warnings.append(
                        f"{sheet.name}!{column_letter(c)}{r + 1}: unit line {text!r} names no "
                        "known unit; add it to dbt_project/seeds/ref_unit_aliases.csv"
                    )
            elif self._is_title(text, c, first_col):
                anchored = True
            else:
                return None
        return units if anchored else None

    def _is_title(self, text: str, c: int, first_col: int) -> bool:
        """A title line sits in the block's first column (merged across or not) or reads like one;
        a heading merged over sub-columns elsewhere is a header, not a title."""
        if c == first_col:
            return True
        looks_like = re.match(r"\d+\s*-\s*\d+|.*续表|continued", squash(text))
        return bool(looks_like) or _matches_title(self.table, text)

    def header_cells(self, sheet: Sheet, header_rows: list[int], c: int) -> list[str]:
        """A column's header cells, top to bottom; merged cells count for every column they span."""
        cells = []
        for r in header_rows:
            text = sheet.rows[r][c]
            if not text:
                m = sheet.merged_at(r, c)
                if m and m.first_row == r and m.first_col != c:
                    text = sheet.rows[r][m.first_col]
            if text:
                cells.append(text)
        return cells

    def header_unit(self, cells: list[str]) -> str | None:
        """First unit printed in a column's header: ``(个)``, ``(10 000 yuan)``, ``单位：万元``, or
        a Chinese unit on a line of its own below the name (the first line is the name: 美元)."""
        lines = [line for cell in cells for line in cell.split("\n")]
        for i, line in enumerate(lines):
            units = self.unit_line_units(line)
            if units:
                return units[0]
            bare = unicodedata.normalize("NFKC", line).strip()
            if i > 0 and not re.search(r"[A-Za-z]", bare) and (unit := self.rd.unit(bare)):
                return unit
            for inner in _PAREN.findall(unicodedata.normalize("NFKC", line)):
                if unit := self.rd.unit(inner):
                    return unit
        return None

    def industry_of(self, text: str) -> str | None:
        """Industry named by a header cell or heading line (whole cell, one line, or within)."""
        for cand in [text, *text.split("\n")]:
            if code := self.rd.industry_code(cand):
                return code
        return self.rd.industry_code_within(text)

    # -- columns -----------------------------------------------------------------------------
    def columns(
        self,
        block: _Block,
        header_rows: list[int],
        units: list[str],
        block_industry: str | None,
        title: str = "",
    ) -> list[_Column]:
        """The block's data columns with their indicator, industry, unit and (``column_key:
        year``) year; ``title`` names the indicator of columns headed by a year alone."""
        sheet = block.sheet
        by_year = self.table.column_key == "year"
        out: list[_Column] = []
        by_indicator: dict[tuple[str | None, str, int | None], _Column] = {}
        industry = block_industry
        axis_columns = self.table.entity == "province_year_industry" and (
            self.table.industry_axis == "columns"
        )
        for c in block.data_cols:
            cells = self.header_cells(sheet, header_rows, c)
            has_data = any(sheet.rows[row.row][c] for row in block.rows)
            if not cells:
                if has_data:
                    self.warnings.append(
                        f"{sheet.name}!{column_letter(c)}: column holds values but has no header; "
                        "ignored"
                    )
                continue
            match_cells = cells
            if axis_columns:
                codes, match_cells = self._split_industry(cells)
                if codes:
                    industry = codes[0]  # else the industry of the column to the left
            header = "\n".join(cells)
            year = None
            if by_year:
                year, match_cells = self._split_year(match_cells)
                if year is None:
                    if has_data:
                        self.warnings.append(
                            f"{sheet.name}!{column_letter(c)}: header {squash(header)!r} names no "
                            f"year (the columns of {self.table.table_id} are years); column ignored"
                        )
                    continue
                match_cells = match_cells or [title]  # a bare year: the title names the indicator
            forms = _forms("\n".join(match_cells))
            indicator = next(
                (i for i in self.table.indicators if any(i.matches(f) for f in forms)), None
            )
            if indicator is None:
                if has_data:
                    self.warnings.append(
                        f"{sheet.name}!{column_letter(c)}: header {squash(header)!r} matches no "
                        f"indicator of {self.table.table_id}; column ignored (add the wording to "
                        f"an indicator's patterns in {self.table.source_file} to load it)"
                    )
                continue
            if industry is None and self.table.entity == "province_year_industry":
                raise LayoutError(
                    f"cannot tell the industry of column {column_letter(c)} "
                    f"(header {squash(header)!r})",
                    file=self.path,
                    sheet=sheet.name,
                    col=column_letter(c),
                    hint="add the industry's printed name to "
                    "dbt_project/seeds/ref_industry_name_variants.csv",
                )
            key = (industry, indicator.id, year)
            if key in by_indicator:
                other = by_indicator[key]
                raise LayoutError(
                    f"columns {column_letter(other.col)} ({squash(other.header)!r}) and "
                    f"{column_letter(c)} ({squash(header)!r}) both match indicator "
                    f"{indicator.id!r}",
                    file=self.path,
                    sheet=sheet.name,
                    hint=f"make the patterns of {indicator.id!r} more specific or add an "
                    f"'exclude' in {self.table.source_file}",
                )
            unit = self.column_unit(sheet, c, cells, indicator, units)
            col = _Column(c, header, indicator, industry, unit, year)
            by_indicator[key] = col
            out.append(col)
        return out

    @staticmethod
    def _split_year(cells: list[str]) -> tuple[int | None, list[str]]:
        """(year, remaining header text) of a year column's header cells: a cell or line that is
        a year (``2012``, ``2012年``) names the column's year."""
        year, rest = None, []
        for cell in cells:
            for line in cell.split("\n"):
                m = _YEAR_LABEL.fullmatch(unicodedata.normalize("NFKC", line).strip())
                if m and year is None:
                    year = int(m.group(1))
                elif line.strip():
                    rest.append(line)
        return year, rest

    def _split_industry(self, cells: list[str]) -> tuple[list[str], list[str]]:
        """(industry codes named, remaining header text) of a column's header cells: a cell or a
        line of a cell that is an industry name (``医药制造业``) names the column's industry."""
        codes: list[str] = []
        rest: list[str] = []
        for cell in cells:
            if code := self.rd.industry_code(cell):
                codes.append(code)
                continue
            for line in cell.split("\n"):
                if code := self.rd.industry_code(line):
                    codes.append(code)
                else:
                    rest.append(line)
        return codes, rest

    def _dimension(self, unit: str | None) -> str | None:
        u = self.rd.units.get(unit) if unit else None
        return u.dimension if u else None

    def column_unit(
        self, sheet: Sheet, c: int, cells: list[str], ind: IndicatorSpec, units: list[str]
    ) -> str:
        want = self._dimension(ind.unit)
        unit = self.header_unit(cells)
        if unit:
            if want and self._dimension(unit) != want:
                self.warnings.append(
                    f"{sheet.name}!{column_letter(c)}: header unit {unit} does not fit indicator "
                    f"{ind.id} (catalog unit {ind.unit}); check the indicator's patterns"
                )
            return unit
        for u in units:
            if want is None or self._dimension(u) == want:
                return u
        return ind.unit

    # -- years, industries -------------------------------------------------------------------
    def file_year(self, title_text: str, column_years: list[int]) -> int | None:
        """The file's data year by the catalog's data_year rule (None: per row).

        The first listed source that gives a year decides; every other listed source that gives
        one must agree. A rule of ``filename`` alone only warns when the title says otherwise.
        """
        rule = self.table.data_year
        if "row" in rule.sources:
            return None
        name = Path(self.path).name
        found: dict[str, tuple[int, str]] = {}
        for source in rule.sources:
            if source == "title" and (t := printed_title_year(title_text)):
                found[source] = (t[0] + rule.offset, f"the title {t[1]!r}")
            elif source == "filename" and (y := printed_file_name_year(name)) is not None:
                found[source] = (y + rule.offset, f"the file name {name!r}")
            elif source == "columns" and column_years:
                found[source] = (max(column_years), f"the latest year column ({max(column_years)})")
        if not found:
            said = {"title": "the title", "filename": "the file name", "columns": "any column"}
            names = [said[s] for s in rule.sources]
            what = (
                f"{names[0]} carries no year"
                if len(names) == 1
                else f"neither {', '.join(names[:-1])} nor {names[-1]} carries a year"
            )
            raise LayoutError(
                f"no data year: {what}",
                file=self.path,
                hint="put the data year into the file name (e.g. 2015.xls, or 2015_"
                f"{name}); data_year.from in {self.table.source_file} says where the year is "
                "looked for",
            )
        (first, (year, where)), *others = found.items()
        for _source, (other, other_where) in others:
            if other != year:
                raise LayoutError(
                    f"{where} says data year {year}, but {other_where} says {other}",
                    file=self.path,
                    hint="check that the file holds the year its name says; if the name is "
                    f"wrong, rename the file to its data year (e.g. {year}{Path(name).suffix})",
                )
        if rule.sources == ("filename",):
            t = printed_title_year(title_text)
            if t and t[0] + rule.offset != year:
                self.warnings.append(
                    f"the title says {t[1]!r} but the file name gives data year {year}"
                )
        return year

    # -- main --------------------------------------------------------------------------------
    def run(self, sheets: list[Sheet]) -> ParseResult:
        records: list[dict] = []
        seen: dict[tuple, str] = {}
        found: set[str] = set()
        headers_seen: list[str] = []
        any_rows = False
        for sheet in sheets:
            blocks = self.find_blocks(sheet)
            if not blocks:
                continue
            any_rows = True
            heads = [self.head_lines(b) for b in blocks]
            sheet_units = next((u for _, _, u in heads if u), [])
            title_text = " | ".join(
                squash(sheet.rows[r][c])
                for lines, _, _ in heads
                for r in lines
                for c in range(sheet.ncols)
                if sheet.rows[r][c]
            ) or sheet_top_text(sheet)
            previous: dict[tuple[int, ...], list[int]] = {}
            planned = []
            for block, (lines, header_rows, units) in zip(blocks, heads, strict=True):
                group = tuple(block.label_cols)
                if not header_rows:
                    header_rows = previous.get(group, [])
                if not header_rows:
                    first = block.rows[0]
                    raise LayoutError(
                        "no column headers above the data rows",
                        file=self.path,
                        sheet=sheet.name,
                        row=first.row + 1,
                        hint="the rows above the first province must name the indicators",
                    )
                previous[group] = header_rows
                industry = self.block_industry(sheet, lines)
                cols = self.columns(block, header_rows, units or sheet_units, industry, title_text)
                headers_seen.extend(
                    squash(" ".join(self.header_cells(sheet, header_rows, c)))
                    for c in block.data_cols
                )
                planned.append((block, cols))
            column_years = [c.year for _, cols in planned for c in cols if c.year is not None]
            year = self.file_year(title_text, column_years)
            if year is not None and column_years and max(column_years) > year:
                late = next(c for _, cols in planned for c in cols if c.year == max(column_years))
                raise LayoutError(
                    f"column {column_letter(late.col)} is headed {late.year}, after the file's "
                    f"data year {year}",
                    file=self.path,
                    sheet=sheet.name,
                    col=column_letter(late.col),
                    hint="an edition prints years up to its own data year: check the year in the "
                    "file name and title",
                )
            for block, cols in planned:
                for col in cols:
                    found.add(col.indicator.id)
                    records.extend(self.block_records(block, col, year, seen))
        if not any_rows:
            what = "years" if self.table.row_key == "year" else "province names"
            raise LayoutError(
                f"no rows labelled with {what} found in any sheet",
                file=self.path,
                hint=f"is this really table {self.table.table_id}? "
                f"{_inspect(self.path)} tries another",
            )
        missing = [i.id for i in self.table.indicators if i.required and i.id not in found]
        shown = "; ".join(repr(h) for h in headers_seen if h) or "(none)"
        if not found:
            raise LayoutError(
                f"no column matches an indicator of {self.table.table_id}; column headers read: "
                f"{shown}",
                file=self.path,
                hint=f"add the wording to an indicator's patterns in {self.table.source_file}, "
                f"or try another table: {_inspect(self.path)}",
            )
        if missing:
            raise LayoutError(
                f"required indicator(s) {', '.join(missing)} of {self.table.table_id} not found; "
                f"column headers read: {shown}",
                file=self.path,
                hint=f"add the new wording to the indicator's patterns in {self.table.source_file} "
                "(or mark it required: false if this year lacks it)",
            )
        frame = pd.DataFrame.from_records(records, columns=RECORD_COLUMNS)
        frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype("float64")
        frame["data_year"] = frame["data_year"].astype("int64")
        frame["source_row"] = frame["source_row"].astype("int64")
        years = sorted({int(y) for y in frame["data_year"]})
        # a table of year rows is an edition of its latest row's year
        frame["vintage"] = frame["vintage"].fillna(max(years, default=0)).astype("int64")
        vintages = sorted({int(v) for v in frame["vintage"]})
        frame, repairs = repair_misreadings(frame, self.table, set(self.rd.scan_confusables))
        self.warnings.extend(repairs)
        return ParseResult(self.table, years, frame, self.warnings, vintages)

    def block_industry(self, sheet: Sheet, lines: list[int]) -> str | None:
        axis = self.table.industry_axis if self.table.entity == "province_year_industry" else None
        if axis == "sheets":
            code = self.industry_of(sheet.name)
            texts = [c for r in lines for c in sheet.rows[r] if c]
            for text in texts:
                code = code or self.industry_of(text)
            return code or self.table.industry
        if axis == "blocks":
            for r in lines:
                for text in sheet.rows[r]:
                    if text and not self.unit_line_units(text) and (code := self.industry_of(text)):
                        return code
            return self.table.industry
        return self.table.industry

    def block_records(self, block: _Block, col: _Column, year: int | None, seen: dict) -> list:
        sheet = block.sheet
        letter = column_letter(col.col)
        out = []
        for row in block.rows:
            raw = sheet.rows[row.row][col.col]
            value, flag = parse_value(raw)
            cell = f"{letter}{row.row + 1}"
            if row.kind == "year":
                kind, province, aggregate = "aggregate", None, "national"
                data_year = int(row.code) + self.table.data_year.offset
            else:
                kind = row.kind
                province = row.code if kind == "province" else None
                # aggregates and out-of-scope regions (Hong Kong, …) carry their seed code here
                aggregate = row.code if kind != "province" else None
                data_year = col.year if col.year is not None else year
            key = (data_year, col.industry, col.indicator.id, kind, province or aggregate)
            if key in seen:
                self.warnings.append(
                    f"{sheet.name}!{cell}: {row.label!r} appears again for {col.indicator.id} "
                    f"(first at {seen[key]}); both kept"
                )
            else:
                seen[key] = f"{sheet.name}!{cell}"
            out.append(
                {
                    "table_id": self.table.table_id,
                    "yearbook": self.table.yearbook,
                    "data_year": data_year,
                    "entity_kind": kind,
                    "province_code": province,
                    "aggregate_code": aggregate,
                    "name_raw": row.label.strip(),
                    "industry_code": col.industry,
                    "indicator": col.indicator.id,
                    "value": value,
                    "unit": col.unit,
                    "value_raw": raw,
                    "value_flag": flag,
                    "source_file": self.path,
                    "source_sheet": sheet.name,
                    "source_row": row.row + 1,
                    "source_col": letter,
                    "source_cell": cell,
                    "vintage": year,  # the data year of the edition; None (per row) is set later
                }
            )
        return out
