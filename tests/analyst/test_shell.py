"""`agglo sql`: -c mode in every format, one-line errors with exit 2, the interactive shell."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from agglo.analyst.shell import Completer, Shell, execute
from agglo.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PANEL = "marts.fct_estimation_panel"


def sql(warehouse, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["sql", "--warehouse", str(warehouse), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_count_of_the_panel_is_provinces_by_years_by_industries(warehouse, con, capsys):
    code, out, err = sql(
        warehouse, capsys, "-c", f"select count(*) as n from {PANEL}", "--format", "csv"
    )
    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out)))
    provinces, industries, years = con.execute(
        f"""select (select count(*) from marts.dim_province), (select count(*) from
        marts.dim_industry), (select count(distinct year) from {PANEL})"""
    ).fetchall()[0]
    assert rows == [["n"], [str(provinces * industries * years)]]


def test_table_format_draws_the_result(warehouse, capsys):
    code, out, _ = sql(warehouse, capsys, "-c", f"select count(*) from {PANEL}")
    assert code == 0
    assert out.splitlines()[0].startswith("┌") and "count_star()" in out


def test_json_and_markdown_carry_every_row(warehouse, con, capsys):
    query = "select province_code, name_en, region from marts.dim_province order by province_code"
    expected = con.sql(query).fetchall()
    code, out, _ = sql(warehouse, capsys, "-c", query, "--format", "json")
    assert code == 0
    assert [tuple(r.values()) for r in json.loads(out)] == expected
    code, out, _ = sql(warehouse, capsys, "-c", query, "--format", "markdown")
    lines = out.splitlines()
    assert lines[0] == "| province_code | name_en | region |" and lines[1] == "|---|---|---|"
    assert [tuple(cell.strip() for cell in line.strip("|").split("|")) for line in lines[2:]] == [
        tuple(str(v) for v in row) for row in expected
    ]


def test_each_statement_prints_its_result(warehouse, capsys):
    code, out, _ = sql(
        warehouse, capsys, "-c", "select 1 as a; select 'x;y' as b", "--format", "csv"
    )
    assert code == 0 and out == "a\n1\nb\nx;y\n"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("select * from marts.no_such_table", "Catalog Error: Table with name no_such_table"),
        ("selec 1", 'Parser Error: syntax error at or near "selec"'),
        ("select no_such_column from marts.dim_province", "Binder Error"),
        ("create table marts.x (a int)", "read-only"),
        ("delete from marts.dim_province", "read-only"),
    ],
)
def test_errors_are_one_line_with_exit_2(warehouse, capsys, query, message):
    code, out, err = sql(warehouse, capsys, "-c", query)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err


def test_missing_warehouse_says_what_to_do(tmp_path, capsys):
    code = main(["sql", "--warehouse", str(tmp_path / "none.duckdb"), "-c", "select 1"])
    err = capsys.readouterr().err
    assert code == 2 and "no warehouse at" in err and "make build" in err
    assert not (tmp_path / "none.duckdb").exists()  # read-only: nothing created


def test_no_traceback_from_the_installed_command(warehouse):
    """The real process: exit status 2 and one line on stderr, through the console script."""
    proc = subprocess.run(
        [sys.executable, "-m", "agglo.cli", "sql", "--warehouse", str(warehouse), "-c", "selec 1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_statements_from_a_pipe(warehouse):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "agglo.cli",
            "sql",
            "--warehouse",
            str(warehouse),
            "--format",
            "csv",
        ],
        input="select 2 as two;\nselect count(*) as n from marts.dim_province;\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:2] == ["two", "2"] and proc.stdout.splitlines()[2] == "n"


def test_interactive_shell_multiline_dot_commands_and_errors(con):
    out = io.StringIO()
    shell = Shell(con, out)
    shell.loop(
        [
            ".mode csv",
            "select province_code",
            "from marts.dim_province",
            "where name_en = 'Beijing';",
            "select * from nowhere;",
            ".describe marts.fct_estimation_panel",
            ".describe results.runs",
            ".tables marts",
            ".bogus",
            ".quit",
            "select 'never run';",
        ]
    )
    text = out.getvalue()
    assert "province_code\n11\n" in text
    assert "error: Catalog Error: Table with name nowhere does not exist!" in text
    description = con.execute(
        f"""select comment from duckdb_columns() where schema_name || '.' || table_name = '{PANEL}'
        and column_name = 'pgdp'"""
    ).fetchall()[0][0]
    assert description and f'pgdp,DOUBLE,"{description}"' in text  # .describe shows the docs
    assert "\nrun_id,VARCHAR,Run identifier.\n" in text  # results: from the dbt docs
    assert "fct_estimation_panel,table," in text
    assert "error: unknown command .bogus" in text
    assert "never run" not in text


def test_completion_knows_schemas_tables_columns_and_keywords(con):
    completer = Completer(con)
    assert "marts.fct_estimation_panel" in completer.matches("marts.fct_e")
    assert "results" in completer.matches("resu")
    assert "ln_vocal" in completer.matches("ln_vo")
    assert "select" in [w.lower() for w in completer.matches("SELE")]
    assert completer.complete("marts.dim_p", 0) == "marts.dim_province"
    assert completer.complete("marts.dim_p", 1) is None


def test_execute_writes_nothing_for_set_statements(con):
    out = io.StringIO()
    assert execute(con, "set threads = 1", "csv", out) == 0 and out.getvalue() == ""
