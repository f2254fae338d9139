"""Open the warehouse read-only, and name its tables."""

from __future__ import annotations

from pathlib import Path

import duckdb

from agglo import paths
from agglo.errors import AggloError
from agglo.warehouse import connect_read_only

# The schemas `agglo export` and the codebook cover by default: what the marts publish and what the
# estimation writes. Other schemas (staging, intermediate, raw, ref) are exported on request.
DEFAULT_SCHEMAS = ("marts", "results")


def one_line(exc: BaseException) -> str:
    """A DuckDB error as one line: the message and its hint, without the caret drawing."""
    lines = []
    for line in str(exc).splitlines():
        line = line.strip()
        if line.startswith("LINE ") or set(line) <= {"^", " "}:
            break
        if line:
            lines.append(line)
    return " ".join(lines) or type(exc).__name__


def connect(warehouse: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse (default ``agglo.paths.warehouse_path()``)."""
    path = Path(warehouse) if warehouse else paths.warehouse_path()
    if not path.is_file():
        raise AggloError(
            f"no warehouse at {path}",
            hint="run `make build` (or `agglo build`) first, or point AGGLO_WAREHOUSE at one",
        )
    try:
        return connect_read_only(path)
    except duckdb.Error as exc:
        raise AggloError(f"cannot open {path} read-only: {one_line(exc)}") from exc


def list_tables(
    con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] = DEFAULT_SCHEMAS
) -> list[tuple[str, str]]:
    """``(schema, table)`` of every base table and view in ``schemas``, in schema order."""
    rows = con.execute(
        """
        select table_schema, table_name from information_schema.tables
        where table_catalog = current_database() and list_contains(?, table_schema)
        order by list_position(?, table_schema), table_name
        """,
        [list(schemas), list(schemas)],
    ).fetchall()
    return [(s, t) for s, t in rows]


def resolve_table(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, str]:
    """``schema.table``, or a table name unique in the default schemas → ``(schema, table)``."""
    if "." in name:
        schema, _, table = name.partition(".")
        found = con.execute(
            """select table_schema, table_name from information_schema.tables
            where table_catalog = current_database() and table_schema = ? and table_name = ?""",
            [schema, table],
        ).fetchall()
    else:
        found = [(s, t) for s, t in list_tables(con) if t == name]
        if not found:  # a bare name outside marts/results: any schema, if unique
            found = con.execute(
                """select table_schema, table_name from information_schema.tables
                where table_catalog = current_database() and table_name = ?""",
                [name],
            ).fetchall()
    if len(found) == 1:
        return found[0]
    known = ", ".join(f"{s}.{t}" for s, t in list_tables(con))
    if not found:
        raise AggloError(f"no table {name!r} in the warehouse", hint=f"tables: {known}")
    options = ", ".join(f"{s}.{t}" for s, t in found)
    raise AggloError(f"table name {name!r} is ambiguous", hint=f"qualify it: {options}")
