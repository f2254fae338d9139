"""The data-year rule: where a file's data year is printed, read once for parser and gate.

A catalog entry's ``data_year`` (:class:`~agglo.ingest.catalog.DataYearRule`) says where the year
comes from: the file name (``2015.xls``), the title rows (``2015年``, ``(2015)``) or each row label
(``row``). ``offset`` turns an edition year into a data year. The parser takes the data year from
the rule's source; the gate compares it with the other evidence (the year in the file name and the
year in the title rows), both read here.
"""

from __future__ import annotations

import re
from pathlib import Path

from agglo.ingest.catalog import DataYearRule

YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
YEAR_IN_TITLE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年|\(((?:19|20)\d{2})\)")


def year_in_file_name(path: str | Path, rule: DataYearRule) -> int | None:
    """First 4-digit year of the file name plus the offset; None for per-row years or no year."""
    if rule.source == "row":
        return None
    m = YEAR_IN_NAME.search(Path(path).name)
    return int(m.group(1)) + rule.offset if m else None


def year_in_title(title_text: str, rule: DataYearRule) -> int | None:
    """First ``2015年`` or ``(2015)`` of the title text plus the offset; None for per-row years."""
    if rule.source == "row":
        return None
    m = YEAR_IN_TITLE.search(title_text)
    return int(m.group(1) or m.group(2)) + rule.offset if m else None
