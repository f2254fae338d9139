"""``agglo export``: warehouse tables as Stata, Parquet, CSV or Excel files, with the codebook.

One file per table, named ``<schema>_<table>.<ext>`` (Stata reads a dot in a file name as the
start of the extension), or one workbook ``agglo.xlsx`` with one sheet per table after a
``codebook`` sheet. Every export also writes ``codebook.md``, ``codebook.html`` and
``codebook.csv`` (UTF-8 with BOM) beside the files, covering the exported tables.

* **dta** — Stata 14+ (format 118, UTF-8). Variable names as in the codebook's ``stata_name``
  (:func:`agglo.analyst.codebook.stata_names`), variable labels ``label [unit]`` (80 characters
  at most; the whole description is in the codebook), the table's description as data label.
  Coded text columns (provinces, regions, industries, …; see
  :class:`agglo.analyst.codebook.ValueLabels`) become integers with value labels. Text NULL is
  ``""`` (Stata has no missing string); lists and JSON are written as JSON text; booleans as 0/1;
  timestamps as ``%tc`` in UTC.
* **parquet** — DuckDB's own types (lists stay lists); each field's metadata holds its
  ``description``, ``label``, ``unit``, ``formula`` and ``source``; the schema metadata the table's
  ``description`` and ``grain``.
* **csv** — UTF-8 with BOM (Excel then reads Chinese text), NULL as an empty field, lists and
  JSON as JSON text, floats in full precision.
* **xlsx** — as CSV, timestamps in UTC without zone (Excel has none).
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from agglo import paths
from agglo.analyst.codebook import (
    STATA_LABEL_MAX,
    Codebook,
    TableEntry,
    build_codebook,
    write_codebook,
)
from agglo.analyst.db import connect, list_tables, resolve_table
from agglo.errors import AggloError

FORMATS = ("dta", "parquet", "csv", "xlsx")
WORKBOOK = "agglo.xlsx"
STATA_STR_MAX = 2045  # bytes of a Stata str#; longer text is written as strL
EXCEL_MAX_ROWS = 1_048_575  # plus the header row
EXCEL_CELL_MAX = 32_767


@dataclass
class ExportResult:
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)  # schema.table → file
    codebook: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        written = sorted({p.name for p in self.files.values()})
        return (
            f"wrote {len(self.files)} table(s) to {self.out_dir}: {', '.join(written)}; "
            f"codebook: {', '.join(p.name for p in self.codebook)}"
        )


def default_out_dir() -> Path:
    return paths.repo_root() / "exports"


def file_name(schema: str, table: str, fmt: str) -> str:
    return f"{schema}_{table}.{fmt}"


# --------------------------------------------------------------------------- value conversion


def _is_nested(value: Any) -> bool:
    return isinstance(value, list | tuple | dict | np.ndarray)


def _json_text(value: Any) -> Any:
    def plain(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            v = v.tolist()
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, np.generic):
            return v.item()
        return v

    if _is_nested(value):
        return json.dumps(plain(value), ensure_ascii=False, default=str)
    return value


def flat_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists, structs and maps as JSON text; every other column unchanged."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(_is_nested).any():
            out[col] = out[col].map(_json_text)
    return out


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _utc_naive(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series


# --------------------------------------------------------------------------- writers


def stata_frame(
    frame: pd.DataFrame, entry: TableEntry
) -> tuple[pd.DataFrame, dict[str, dict[int, str]], dict[str, str]]:
    """The frame as Stata takes it: Stata names, coded text, and the value labels and dates."""
    frame = flat_frame(frame)
    data: dict[str, pd.Series] = {}
    labels: dict[str, dict[int, str]] = {}
    dates: dict[str, str] = {}
    for col in entry.columns:
        series, name = frame[col.name], col.stata_name
        if col.value_labels is not None:
            data[name], labels[name] = col.value_labels.encode(series)
        elif pd.api.types.is_bool_dtype(series.dtype) or (
            series.dtype == object
            and series.dropna().map(type).eq(bool).all()
            and series.notna().any()
        ):
            data[name] = series.map(lambda v: float(v) if pd.notna(v) else np.nan)
            if series.notna().all():
                data[name] = data[name].astype("int8")
            labels[name] = {0: "false", 1: "true"}
        elif pd.api.types.is_datetime64_any_dtype(series.dtype):
            data[name] = _utc_naive(series)
            dates[name] = "tc"
        elif pd.api.types.is_extension_array_dtype(series.dtype) and pd.api.types.is_numeric_dtype(
            series.dtype
        ):
            data[name] = series.astype("float64")  # nullable integers: NULL → Stata missing
        elif pd.api.types.is_numeric_dtype(series.dtype):
            data[name] = series
        else:  # text (also all-NULL columns): NULL → ""
            data[name] = series.map(lambda v: "" if _is_missing(v) else str(v)).astype(object)
    return pd.DataFrame(data, index=frame.index), labels, dates


def write_dta(frame: pd.DataFrame, entry: TableEntry, path: Path) -> None:
    data, value_labels, dates = stata_frame(frame, entry)
    strl = [
        c
        for c in data.columns
        if data[c].dtype == object
        and len(data)
        and max(len(v.encode("utf-8")) for v in data[c]) > STATA_STR_MAX
    ]
    variable_labels = {c.stata_name: c.stata_label for c in entry.columns}
    data_label = entry.description or entry.qualified
    if len(data_label) > STATA_LABEL_MAX:
        data_label = data_label[: STATA_LABEL_MAX - 1] + "…"
    with warnings.catch_warnings():
        # A name pandas would still change means the codebook's map is wrong: fail, don't rename.
        warnings.simplefilter("error", pd.errors.InvalidColumnName)
        data.to_stata(
            path,
            write_index=False,
            version=118,
            variable_labels=variable_labels,
            value_labels=value_labels or None,
            convert_dates=dates or None,
            convert_strl=strl or None,
            data_label=data_label,
        )


def _field_metadata(entry: TableEntry, name: str) -> dict[bytes, bytes]:
    col = entry.column(name)
    p = col.parsed
    items = {
        "description": col.description,
        "label": p.label,
        "unit": p.unit,
        "formula": p.formula,
        "source": p.source,
        "stata_name": col.stata_name,
    }
    return {k.encode(): v.encode("utf-8") for k, v in items.items() if v}


def write_parquet(rel: duckdb.DuckDBPyRelation, entry: TableEntry, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = rel.to_arrow_table()
    schema = pa.schema(
        [f.with_metadata(_field_metadata(entry, f.name)) for f in table.schema],
        metadata={
            b"table": entry.qualified.encode(),
            b"description": entry.description.encode("utf-8"),
            b"grain": entry.grain.encode("utf-8"),
        },
    )
    pq.write_table(pa.Table.from_arrays(table.columns, schema=schema), path)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    flat_frame(frame).to_csv(path, index=False, encoding="utf-8-sig")


def _excel_sheet_names(tables: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Sheet per table: the table name, or ``schema_table`` when the name repeats; ≤ 31 chars."""
    counts: dict[str, int] = {}
    for _, t in tables:
        counts[t] = counts.get(t, 0) + 1
    names: dict[tuple[str, str], str] = {}
    used = {"codebook"}
    for s, t in tables:
        base = (t if counts[t] == 1 and t != "codebook" else f"{s}_{t}")[:31]
        name, n = base, 1
        while name.lower() in used:
            n += 1
            name = f"{base[: 31 - len(str(n)) - 1]}~{n}"
        used.add(name.lower())
        names[(s, t)] = name
    return names


def _excel_frame(frame: pd.DataFrame, qualified: str) -> pd.DataFrame:
    if len(frame) > EXCEL_MAX_ROWS:
        raise AggloError(
            f"{qualified} has {len(frame):,} rows, more than an Excel sheet holds",
            hint="export it as csv or parquet",
        )
    out = flat_frame(frame)
    for col in out.columns:
        out[col] = _utc_naive(out[col])
        if out[col].dtype == object:
            too_long = out[col].map(lambda v: isinstance(v, str) and len(v) > EXCEL_CELL_MAX)
            if too_long.any():
                row = int(np.flatnonzero(too_long.to_numpy())[0]) + 2
                raise AggloError(
                    f"{qualified}, column {col}, row {row}: text longer than an Excel cell holds "
                    f"({EXCEL_CELL_MAX} characters)",
                    hint="export it as csv or parquet",
                )
    return out


def write_xlsx(
    frames: dict[tuple[str, str], pd.DataFrame], codebook: Codebook, path: Path
) -> dict[tuple[str, str], str]:
    sheets = _excel_sheet_names(list(frames))
    book = codebook.to_frame()
    book.insert(1, "sheet", book["table"].map({f"{s}.{t}": n for (s, t), n in sheets.items()}))
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        book.to_excel(writer, sheet_name="codebook", index=False)
        for key, frame in frames.items():
            _excel_frame(frame, f"{key[0]}.{key[1]}").to_excel(
                writer, sheet_name=sheets[key], index=False
            )
        for sheet in writer.sheets.values():
            sheet.freeze_panes = "A2"
    return sheets


# --------------------------------------------------------------------------- the command


def export(
    tables: list[str] | None = None,
    fmt: str = "dta",
    out_dir: Path | None = None,
    warehouse: Path | None = None,
) -> ExportResult:
    """Export ``tables`` (default: every mart and results table) to ``out_dir`` in ``fmt``."""
    if fmt not in FORMATS:
        raise AggloError(f"unknown export format {fmt!r}", hint=f"one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir) if out_dir else default_out_dir()
    with connect(warehouse) as con:
        chosen = [resolve_table(con, t) for t in tables] if tables else list_tables(con)
        chosen = list(dict.fromkeys(chosen))
        if not chosen:
            raise AggloError(
                "the warehouse has no mart or results tables", hint="run `make build` first"
            )
        codebook = build_codebook(con, chosen)
        out_dir.mkdir(parents=True, exist_ok=True)
        result = ExportResult(out_dir)
        frames: dict[tuple[str, str], pd.DataFrame] = {}
        for entry in codebook.tables:
            rel = con.sql(f'select * from "{entry.schema}"."{entry.table}"')
            path = out_dir / file_name(entry.schema, entry.table, fmt)
            if fmt == "parquet":
                write_parquet(rel, entry, path)
            elif fmt == "xlsx":
                frames[(entry.schema, entry.table)] = rel.df()
                path = out_dir / WORKBOOK
            elif fmt == "csv":
                write_csv(rel.df(), path)
            else:
                write_dta(rel.df(), entry, path)
            result.files[entry.qualified] = path
    if fmt == "xlsx":
        sheets = write_xlsx(frames, codebook, out_dir / WORKBOOK)
        shown = {f"{s}.{t}": f"{WORKBOOK}, sheet {n}" for (s, t), n in sheets.items()}
    else:
        shown = {q: p.name for q, p in result.files.items()}
    result.codebook = write_codebook(codebook, out_dir, shown)
    csv_path = out_dir / "codebook.csv"
    codebook.to_frame().to_csv(csv_path, index=False, encoding="utf-8-sig")
    result.codebook.append(csv_path)
    return result
