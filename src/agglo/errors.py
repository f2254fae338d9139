"""Errors that speak to the user: what went wrong, where, and what to do."""

from __future__ import annotations

import re
from pathlib import Path


class AggloError(Exception):
    """Base class: a problem the user can act on (the CLI prints it without a traceback)."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        col: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.sheet = sheet
        self.row = row
        self.col = col
        self.hint = hint

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.sheet:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None and self.col:
            where.append(f"cell {self.col}{self.row}")
        elif self.row is not None:
            where.append(f"row {self.row}")
        elif self.col:
            where.append(f"column {self.col}")
        text = f"{', '.join(where)}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class CatalogError(AggloError):
    """The table catalog (raw/catalog/*.yml) is malformed."""


class UnreadableFileError(AggloError):
    """The file cannot be opened as a spreadsheet, HTML table or CSV."""


class UnknownTableError(AggloError):
    """The file matches no catalog table (or matches several)."""


class LayoutError(AggloError):
    """The file was read but its layout does not fit the catalog entry (header, rows, year)."""


class WarehouseInUseError(AggloError):
    """Another process holds the warehouse file open read-write: DuckDB then lets no other process
    open it, not even to read."""


def warehouse_in_use(path: str | Path | None, exc: BaseException) -> WarehouseInUseError | None:
    """The error to show for DuckDB's "Could not set lock on file" (None for any other error) on
    ``path`` (None: the file DuckDB names). DuckDB's message names the program and PID holding the
    lock; they are passed on."""
    text = str(exc)
    if "Could not set lock on file" not in text:
        return None
    if path is None:
        named = re.search(r'Could not set lock on file "(.+?)"', text)
        path = named[1] if named else "the warehouse"
    held = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", text)
    who = f"{Path(held[1]).name}, PID {held[2]}" if held else "DuckDB did not say which"
    see = f"`ps -p {held[2]} -o args` shows what it runs; " if held else ""
    return WarehouseInUseError(
        f"{path} is open for writing in another process ({who})",
        hint=f"{see}close that connection (a notebook's or script's duckdb.connect(...), a SQL "
        "client) or open it there with duckdb.connect(path, read_only=True), which readers can "
        "share, then run this again. agglo's own writers (build, load, estimate) never hold it: "
        "they write a copy and swap it in",
    )
