"""``agglo sql``: a read-only SQL shell on the warehouse, on the DuckDB Python package.

Why not the DuckDB command-line shell: the registry's ``duckdb-cli`` lags the ``duckdb`` Python
package (1.5.x against 2.0.x at the time of writing) and cannot read the storage version the
package writes. This shell needs nothing beyond the package that wrote the file.

* ``agglo sql`` — interactive: statements end with ``;`` and may span lines; history is kept in
  ``~/.agglo_sql_history`` (``AGGLO_SQL_HISTORY``); Tab completes SQL keywords, schemas, tables
  (``marts.<Tab>``) and columns; ``.help`` lists the dot commands (``.tables``, ``.describe``,
  ``.mode``, ``.quit``).
* ``agglo sql -c "QUERY" [--format table|csv|json|markdown]`` — for scripts: every statement's
  result on stdout, a failing statement as one line on stderr and exit status 2.
* ``agglo sql < script.sql`` — the same for statements read from a pipe.

The connection is read-only: statements that would write fail with DuckDB's own message.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import shutil
import sys
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import duckdb

from agglo.analyst.db import connect, one_line
from agglo.analyst.docs import load_docs
from agglo.errors import AggloError

FORMATS = ("table", "csv", "json", "markdown")
INTERACTIVE_ROWS = 40  # rows the table format shows at the prompt (head and tail beyond that)
SCRIPT_ROWS = 10_000  # rows the table format shows in -c mode (use csv or json for more)

_HELP = """\
Statements end with ';' and may span lines. The warehouse is read-only.
  .tables [SCHEMA]     tables and views (default: every schema)
  .describe TABLE      columns, types and their documentation
  .mode FORMAT         output format: table, csv, json, markdown
  .help                this text
  .quit                leave (also Ctrl-D)
Tab completes keywords, schemas, tables (marts.<Tab>) and columns. Column meanings: describe
shows DuckDB's own columns; .describe adds each column's description (from the dbt docs)."""


class QueryError(AggloError):
    """A statement failed: DuckDB's message on one line."""


# --------------------------------------------------------------------------- rendering


def _cell(value: Any) -> Any:
    """A value as plain JSON-able data (lists and structs kept, NaN → None)."""
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_cell(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _cell(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return value


def _text(value: Any) -> str:
    value = _cell(value)
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _write_csv(columns: list[str], rows: list[tuple], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_text(v) for v in row] for row in rows)


def _write_json(columns: list[str], rows: list[tuple], out: TextIO) -> None:
    records = [dict(zip(columns, (_cell(v) for v in row), strict=True)) for row in rows]
    out.write(json.dumps(records, ensure_ascii=False, indent=1) + "\n")


def _write_markdown(columns: list[str], rows: list[tuple], out: TextIO) -> None:
    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    out.write("| " + " | ".join(esc(c) for c in columns) + " |\n")
    out.write("|" + "---|" * len(columns) + "\n")
    for row in rows:
        out.write("| " + " | ".join(esc(_text(v)) for v in row) + " |\n")


def render(rel: duckdb.DuckDBPyRelation, fmt: str, out: TextIO, *, max_rows: int) -> None:
    """Write a result in ``fmt``; ``max_rows`` bounds the ``table`` drawing only."""
    if fmt == "table":
        width = shutil.get_terminal_size((10_000, 24)).columns if out.isatty() else 10_000
        with contextlib.redirect_stdout(out):
            rel.show(max_rows=max_rows, max_width=width)
        return
    columns, rows = list(rel.columns), rel.fetchall()
    {"csv": _write_csv, "json": _write_json, "markdown": _write_markdown}[fmt](columns, rows, out)


def _is_status_only(rel: duckdb.DuckDBPyRelation) -> bool:
    """SET, PRAGMA … return an empty ``Success`` column: nothing to print."""
    return list(rel.columns) == ["Success"] and not rel.limit(1).fetchall()


def execute(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    fmt: str = "table",
    out: TextIO | None = None,
    *,
    max_rows: int = SCRIPT_ROWS,
) -> int:
    """Run every statement of ``sql`` and write each result; the number of results written.

    Raises :class:`QueryError` (one line: DuckDB's message and its hint) at the first failure.
    """
    out = out or sys.stdout
    if fmt not in FORMATS:
        raise AggloError(f"unknown format {fmt!r}", hint=f"one of {', '.join(FORMATS)}")
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(one_line(exc)) from exc
    written = 0
    for statement in statements:
        try:
            rel = con.sql(statement.query)
            if rel is None or _is_status_only(rel):
                continue
            render(rel, fmt, out, max_rows=max_rows)
        except duckdb.Error as exc:
            raise QueryError(one_line(exc)) from exc
        written += 1
    return written


# --------------------------------------------------------------------------- interactive


class Completer:
    """Tab completion: SQL keywords, dot commands, schemas, ``schema.table``, tables, columns."""

    DOT_COMMANDS = (".tables", ".describe", ".mode", ".help", ".quit", ".exit")

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        keywords = [
            k for (k,) in con.execute("select keyword_name from duckdb_keywords()").fetchall()
        ]
        rows = con.execute(
            """select schema_name, table_name, column_name from duckdb_columns()
            where database_name = current_database() and not internal"""
        ).fetchall()
        names = {s for s, _, _ in rows} | {t for _, t, _ in rows} | {c for _, _, c in rows}
        names |= {f"{s}.{t}" for s, t, _ in rows}
        self.words = sorted({*keywords, *names, *self.DOT_COMMANDS})

    def matches(self, text: str) -> list[str]:
        low = text.lower()
        return [w for w in self.words if w.lower().startswith(low)]

    def complete(self, text: str, state: int) -> str | None:
        found = self.matches(text)
        return found[state] if state < len(found) else None


def history_path() -> Path:
    env = os.environ.get("AGGLO_SQL_HISTORY")
    return Path(env).expanduser() if env else Path.home() / ".agglo_sql_history"


class Shell:
    """The interactive loop, fed one line at a time (:meth:`feed`), so it can be tested."""

    def __init__(self, con: duckdb.DuckDBPyConnection, out: TextIO | None = None) -> None:
        self.con = con
        self.out = out or sys.stdout
        self.fmt = "table"
        self.buffer: list[str] = []

    @property
    def prompt(self) -> str:
        return "   ...> " if self.buffer else "agglo> "

    def _error(self, message: str) -> None:
        print(f"error: {message}", file=sys.stderr if self.out is sys.stdout else self.out)

    def _dot(self, line: str) -> bool:
        command, _, arg = line.strip().partition(" ")
        arg = arg.strip().rstrip(";")
        if command in (".quit", ".exit", ".q"):
            return False
        if command == ".help":
            print(_HELP, file=self.out)
        elif command == ".mode":
            if arg in FORMATS:
                self.fmt = arg
            else:
                self._error(f".mode takes one of {', '.join(FORMATS)}")
        elif command == ".tables":
            relations = (
                "select schema_name, table_name as name, 'table' as kind, comment "
                "from duckdb_tables() union all select schema_name, view_name, 'view', comment "
                "from duckdb_views() where not internal"
            )
            if arg:
                sql = f"select name, kind, comment from ({relations}) where schema_name = ? "
                sql += "order by name"
                self._run(sql, [arg], empty=f"no schema {arg!r} (.tables lists them)")
            else:
                self._run(
                    "select schema_name as schema, string_agg(name, ', ' order by name) as tables "
                    f"from ({relations}) group by schema_name order by schema_name"
                )
        elif command == ".describe":
            if not arg:
                self._error(".describe takes a table name, e.g. .describe marts.dim_province")
            else:
                self._describe(arg)
        else:
            self._error(f"unknown command {command} (.help lists them)")
        return True

    def _describe(self, name: str) -> None:
        """Columns, types and descriptions: the DuckDB comment (dbt ``persist_docs``), else the
        dbt docs (schema ``results`` is written after dbt, so its comments are empty)."""
        schema, _, table = name.rpartition(".")
        columns = self.con.execute(
            """select schema_name, column_name, data_type, comment from duckdb_columns()
            where table_name = ? and (? = '' or schema_name = ?) order by column_index""",
            [table, schema, schema],
        ).fetchall()
        if not columns:
            self._error(f"no table {name!r} (see .tables)")
            return
        try:
            doc = load_docs().lookup(columns[0][0], table)
        except AggloError:
            doc = None
        rows = []
        for _, column, dtype, comment in columns:
            described = doc.columns.get(column) if doc else None
            rows += [column, dtype, comment or (described.description if described else "")]
        values = ", ".join(["(?, ?, ?)"] * len(columns))
        sql = f'select * from (values {values}) as t("column", "type", description)'
        self._run(sql, rows)

    def _run(self, sql: str, params: list | None = None, *, empty: str | None = None) -> None:
        try:
            rel = self.con.sql(sql, params=params) if params else self.con.sql(sql)
            if empty and not rel.limit(1).fetchall():
                self._error(empty)
                return
            render(rel, self.fmt, self.out, max_rows=INTERACTIVE_ROWS)
        except duckdb.Error as exc:
            self._error(one_line(exc))

    def feed(self, line: str) -> bool:
        """Take one input line; False when the user asked to leave."""
        if not self.buffer and line.strip().startswith("."):
            return self._dot(line)
        if not self.buffer and not line.strip():
            return True
        self.buffer.append(line)
        text = "\n".join(self.buffer)
        if text.rstrip().endswith(";"):
            self.buffer = []
            try:
                execute(self.con, text, self.fmt, self.out, max_rows=INTERACTIVE_ROWS)
            except QueryError as exc:
                self._error(str(exc))
        return True

    def loop(self, lines: Iterable[str] | None = None) -> None:
        """Read lines (default: the terminal, with history and completion) until EOF or .quit."""
        if lines is not None:
            for line in lines:
                if not self.feed(line):
                    return
            return
        readline = _setup_readline(self.con)
        print("agglo sql — read-only; statements end with ';'. .help for more.", file=self.out)
        try:
            while True:
                try:
                    line = input(self.prompt)
                except EOFError:
                    print(file=self.out)
                    return
                except KeyboardInterrupt:
                    self.buffer = []
                    print(file=self.out)
                    continue
                if not self.feed(line):
                    return
        finally:
            if readline is not None:
                try:
                    readline.write_history_file(str(history_path()))
                except OSError as exc:
                    self._error(f"history not saved to {history_path()}: {exc}")


def _setup_readline(con: duckdb.DuckDBPyConnection) -> Any:
    try:
        import readline
    except ImportError:  # no readline on this Python: plain input(), no history or completion
        return None
    completer = Completer(con)
    readline.set_completer(completer.complete)
    readline.set_completer_delims(" \t\n(),;=<>+-*/|'\"")
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    path = history_path()
    if path.is_file():
        with contextlib.suppress(OSError):
            readline.read_history_file(str(path))
    readline.set_history_length(5000)
    return readline


def run(
    command: str | None = None,
    fmt: str = "table",
    warehouse: Path | None = None,
    stdin: TextIO | None = None,
) -> int:
    """``agglo sql``: run ``command``, else a piped script, else the interactive shell."""
    stdin = stdin or sys.stdin
    with connect(warehouse) as con:
        if command is not None:
            execute(con, command, fmt)
        elif not stdin.isatty():
            execute(con, stdin.read(), fmt)
        else:
            shell = Shell(con)
            shell.fmt = fmt
            shell.loop()
    return 0
