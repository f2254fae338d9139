"""What the `agglo` command says (issue 16, items 4-8 and 12): hints that name options which exist,
errors instead of tracebacks (a warehouse another process holds), status words that tell warnings
from failures, `--version`, help for every option, log files without colour codes."""

from __future__ import annotations

import argparse
import logging
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import agglo
from agglo import cli
from agglo.cli import build_parser, main

HT_2010_XLS = "st-yearbook/hightech-operation/2010.xls"
HT_2010_XLSX = "st-yearbook/hightech-operation/2010.xlsx"


def _suggested_commands(text: str) -> list[list[str]]:
    """Every `agglo …` command quoted in backticks, as argv (placeholders left as words)."""
    return [shlex.split(cmd)[1:] for cmd in re.findall(r"`(agglo [^`]+)`", text)]


# --- item 4: a hint names only options the command it suggests accepts ---


@pytest.mark.parametrize("command", ["check", "load"])
def test_unknown_table_hint_suggests_only_commands_that_exist(command, tmp_path, capsys):
    unknown = tmp_path / "mystery.csv"
    unknown.write_text("nothing a catalog table prints,,\n1,2,3\n", encoding="utf-8")
    code = main([command, str(unknown), "--warehouse", str(tmp_path / "wh.duckdb")])
    out = "".join(capsys.readouterr())
    assert code == 1, out
    assert "matches no catalog table" in out
    assert "pass --table" not in out  # neither `check` nor `load` has --table
    suggested = _suggested_commands(out)
    assert suggested, f"the hint names no command to try: {out}"
    for argv in suggested:
        build_parser().parse_args(argv)  # SystemExit (a test error) if the option does not exist
    assert any(argv[:1] == ["inspect"] and "--table" in argv for argv in suggested)


# --- item 5 (fixed before): an .xls and its .xlsx are one edition, both load, none "demo" ---


def test_an_xls_and_its_xlsx_load_together_and_check_agrees(tmp_path, yearbooks_dir, capsys):
    from agglo.pipeline import check_paths, load_paths

    pair = [yearbooks_dir / HT_2010_XLS, yearbooks_dir / HT_2010_XLSX]
    assert check_paths(pair, warehouse=tmp_path / "none.duckdb") == 0
    report = load_paths(pair, warehouse=tmp_path / "wh.duckdb", progress=False)
    assert report.ok and report.count("loaded") == 2, report.summary()
    assert "Remove one of them" not in report.summary() and "demo" not in report.summary()


# --- item 6: a missing path; warnings are not failures ---


@pytest.mark.parametrize("command", ["check", "load"])
def test_a_missing_file_is_named_without_pointing_at_raw(command, tmp_path, capsys):
    missing = tmp_path / "nope.xls"
    code = main([command, str(missing), "--warehouse", str(tmp_path / "wh.duckdb")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{missing} does not exist" in err
    assert "under raw/" not in err  # files anywhere load (they are recorded by their full path)
    assert "hint:" in err


# --- item 7: tables on a missing warehouse or an unknown table ---


def test_tables_on_a_missing_warehouse_is_an_error(tmp_path, capsys):
    missing = tmp_path / "none.duckdb"
    assert main(["tables", "--warehouse", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: no warehouse at {missing}") and "hint:" in err


def test_tables_on_an_unknown_table_is_an_error(tmp_path, capsys):
    duckdb.connect(str(tmp_path / "wh.duckdb")).close()
    assert main(["tables", "--warehouse", str(tmp_path / "wh.duckdb"), "--table", "9"]) == 2
    err = capsys.readouterr().err
    assert "error: unknown table 9: the spec defines tables 1, 2, 3, 4, 5, 6, 7, 8" in err
    assert "no estimates" not in err  # the table is unknown, not unestimated


# --- item 8: a warehouse another process holds open for writing ---


@pytest.fixture
def held_warehouse(tmp_path):
    """A warehouse file another process holds an ordinary read-write connection on."""
    path = tmp_path / "held.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        yield path, holder.pid
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


@pytest.mark.parametrize(
    "argv",
    [
        ["sql", "-c", "select 1"],
        ["export", "--format", "csv"],
        ["codebook"],
        ["tables"],
        ["report"],
        ["check"],
    ],
    ids=lambda argv: argv[0],
)
def test_a_held_warehouse_is_named_with_the_process_that_holds_it(
    argv, held_warehouse, tmp_path, yearbooks_dir, capsys
):
    path, pid = held_warehouse
    args = [*argv, "--warehouse", str(path)]
    if argv[0] in ("export", "codebook", "report"):
        args += ["--out", str(tmp_path / "out")]
    if argv[0] == "check":  # a file to check against the held warehouse's earlier years
        args.insert(1, str(yearbooks_dir / HT_2010_XLS))
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{path} is open for writing in another process" in err
    assert f"PID {pid}" in err
    assert "hint:" in err and "read_only=True" in err


# --- item 12: --version, help for every option, what --warehouse resolves against, plain logs ---


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"agglo {agglo.__version__}"


def _parsers(parser: argparse.ArgumentParser):
    yield parser.prog, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_option_and_argument_has_help():
    missing = [
        f"{prog} {action.option_strings or action.dest}"
        for prog, parser in _parsers(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction) and not action.help
    ]
    assert missing == []


def test_warehouse_help_says_what_it_resolves_against():
    for prog, parser in _parsers(build_parser()):
        for action in parser._actions:
            if "--warehouse" in action.option_strings:
                assert "AGGLO_WAREHOUSE" in action.help, prog
                assert "AGGLO_HOME" in action.help, prog
                assert "current directory" in action.help, prog


def test_readme_documents_the_environment_variables():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for name in ("AGGLO_HOME", "AGGLO_WAREHOUSE", "AGGLO_SHARED"):
        assert f"`{name}`" in readme and re.search(rf"\|\s*`{name}`\s*\|", readme), name


def test_the_log_file_has_no_colour_codes(tmp_path, monkeypatch):
    monkeypatch.setenv("AGGLO_HOME", str(tmp_path))
    root = logging.getLogger()
    earlier = [h for h in root.handlers if getattr(h, "_agglo", False)]  # an earlier main()'s
    for handler in earlier:
        root.removeHandler(handler)
    try:
        cli.configure_logging()
        logging.getLogger("dbt").warning("\x1b[33mWarning\x1b[0m in \x1b[1mmodel\x1b[0m")
    finally:
        for handler in [h for h in root.handlers if getattr(h, "_agglo", False)]:
            root.removeHandler(handler)
            handler.close()
        for handler in earlier:
            root.addHandler(handler)
    text = (tmp_path / "logs" / "agglo.log").read_text(encoding="utf-8")
    assert "Warning in model" in text and "\x1b" not in text
