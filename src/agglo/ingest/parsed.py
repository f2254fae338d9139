"""One yearbook file through the ingest layer: read, recognise, parse, and read its year evidence.

:func:`parse_path` is what the load pipeline calls for each file; the :class:`ParsedFile` it returns
is everything the quality gate needs from the file (the gate never opens the file itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from agglo.ingest.catalog import Catalog, TableSpec
from agglo.ingest.data_year import year_in_file_name, year_in_title
from agglo.ingest.parse import ParseResult, parse_sheets, recognize, squash
from agglo.ingest.readers import Sheet, read_workbook

TITLE_YEAR_ROWS = 4  # rows of the first sheet with text searched for the year printed in the title


@dataclass(frozen=True)
class ParsedFile:
    """A parsed file: its tidy records plus the years its name and title rows print.

    ``file_name_year`` and ``title_year`` (catalog offset applied) are None when the table's years
    are per row, or when the name or the title rows hold no year.
    """

    path: Path
    rel: str  # the path as stored in the warehouse (:func:`agglo.ingest.files.display_path`)
    result: ParseResult
    file_name_year: int | None
    title_year: int | None

    @property
    def table(self) -> TableSpec:
        return self.result.table

    @property
    def records(self) -> pd.DataFrame:
        return self.result.records

    @property
    def data_years(self) -> list[int]:
        return list(self.result.data_years)

    @property
    def warnings(self) -> list[str]:
        return list(self.result.warnings)


def title_text(sheets: list[Sheet], rows: int = TITLE_YEAR_ROWS) -> str:
    """The squashed text of the first rows of the first sheet that holds any text."""
    for sheet in sheets:
        cells = [squash(c) for row in sheet.rows[:rows] for c in row if c]
        if cells:
            return " | ".join(cells)
    return ""


def parse_path(path: Path, catalog: Catalog, rel: str | None = None) -> ParsedFile:
    """Read, recognise and parse one file; raises :class:`~agglo.errors.AggloError` if it cannot."""
    sheets = read_workbook(path)
    table = recognize(sheets, path, catalog)
    result = parse_sheets(sheets, path, table)
    return ParsedFile(
        path=Path(path),
        rel=rel or str(path),
        result=result,
        file_name_year=year_in_file_name(path, table.data_year),
        title_year=year_in_title(title_text(sheets), table.data_year),
    )
