"""Errors that speak to the user: what went wrong, where, and what to do."""

from __future__ import annotations


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
