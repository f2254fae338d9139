"""The data-year rule: where a file's data year is printed, read once for parser and gate.

A catalog entry's ``data_year`` (:class:`~agglo.ingest.catalog.DataYearRule`) lists where the year
comes from, in order: the title rows (``(2013年)``, ``2015年``, ``(2015)``), the file name
(``2015.xls``), the latest year column, or each row label. The parser decides the data year by that
rule (and rejects a file whose sources disagree); the gate compares it with the same evidence, read
here by the same functions.
"""

from __future__ import annotations

import re
from pathlib import Path

from agglo.ingest.catalog import DataYearRule

YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
YEAR_IN_TITLE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年|\(((?:19|20)\d{2})\)")
YEAR_LABEL = re.compile(r"((?:19|20)\d{2})\s*年?")  # a cell that is only a year
# a yearbook's own name carries its edition year, not the data year (中国科技统计年鉴—2014)
YEARBOOK_NAME = re.compile(r"年鉴\s*[-—–―]*\s*(?:19|20)\d{2}|(?:19|20)\d{2}\s*年鉴")


def printed_file_name_year(path: str | Path) -> int | None:
    """The first free-standing 4-digit year of the file name, as printed (no offset)."""
    m = YEAR_IN_NAME.search(Path(path).name)
    return int(m.group(1)) if m else None


def printed_title_year(title_text: str) -> tuple[int, str] | None:
    """(year, title line) printed in title lines joined by `` | ``: ``(2013年)``, ``(2013)``,
    ``2013年``, else a free-standing year; not a yearbook's own name, not a bare year cell."""
    lines = title_text.split(" | ")
    for pattern in (YEAR_IN_TITLE, YEAR_IN_NAME):
        for line in lines:
            if pattern is YEAR_IN_NAME and YEAR_LABEL.fullmatch(line):
                continue  # a cell that is only a year heads a column; it is not a title
            if m := pattern.search(YEARBOOK_NAME.sub(" ", line)):
                return int(next(g for g in m.groups() if g)), line
    return None


def year_in_file_name(path: str | Path, rule: DataYearRule) -> int | None:
    """The file name's year plus the rule's offset; None for per-row years or no year."""
    if "row" in rule.sources:
        return None
    year = printed_file_name_year(path)
    return None if year is None else year + rule.offset


def year_in_title(title_text: str, rule: DataYearRule) -> int | None:
    """The title's year plus the rule's offset; None for per-row years or no year."""
    if "row" in rule.sources:
        return None
    found = printed_title_year(title_text)
    return None if found is None else found[0] + rule.offset
