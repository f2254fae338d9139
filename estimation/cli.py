"""The ``agglo estimate`` and ``agglo tables`` subcommands.

Wired into ``src/agglo/cli.py`` by::

    from estimation.cli import add_subcommands as add_estimation_subcommands
    add_estimation_subcommands(sub)   # sub = parser.add_subparsers(...)

Each handler returns the exit status; problems the user can act on are raised as
:class:`~estimation.spec.EstimationError` (an ``AggloError``), which ``agglo`` prints without a
traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _warehouse(arg: str | None) -> Path:
    from agglo import paths

    return Path(arg).resolve() if arg else paths.warehouse_path()


def _cmd_estimate(args: argparse.Namespace) -> int:
    import duckdb

    from estimation.results_store import estimate_and_store, run_failed
    from estimation.spec import EstimationError

    warehouse = _warehouse(args.warehouse)
    if not warehouse.exists():
        raise EstimationError(
            f"no warehouse at {warehouse}", hint="build it first (make build) or pass --warehouse"
        )
    from agglo.warehouse import staged

    # On a copy swapped in when done, so readers never see a half-written results schema.
    with staged(warehouse) as work, duckdb.connect(str(work)) as con:
        run, summary = estimate_and_store(con, tables=args.tables, spec=args.spec)
    print(f"{summary}\n-> {warehouse}")
    return 1 if run_failed(run) else 0


def _cmd_tables(args: argparse.Namespace) -> int:
    import duckdb

    from estimation.results_store import read_results
    from estimation.tables import render_tables

    warehouse = _warehouse(args.warehouse)
    if warehouse.exists():
        with duckdb.connect(str(warehouse), read_only=True) as con:
            estimates, models = read_results(con, args.tables)
    else:
        estimates, models = read_results(duckdb.connect(), args.tables)
    if estimates.empty:
        print(
            f"note: no estimates in {warehouse} (run `agglo estimate`); showing published values",
            file=sys.stderr,
        )
    text = render_tables(estimates, models, fmt=args.format, tables=args.tables)
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"tables.{args.format}"
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    else:
        sys.stdout.write(text)
    return 0


def add_subcommands(subparsers: argparse._SubParsersAction) -> None:
    """Register ``estimate`` and ``tables`` on the ``agglo`` subparsers."""
    p = subparsers.add_parser(
        "estimate", help="fit the paper's Tables 1–8 and write schema results in the warehouse"
    )
    p.add_argument(
        "--table",
        dest="tables",
        type=int,
        nargs="+",
        action="extend",
        metavar="N",
        help="table numbers (default: all)",
    )
    p.add_argument("--warehouse", help="DuckDB file (default: warehouse/agglo.duckdb)")
    p.add_argument("--spec", help="spec file (default: estimation/specs/paper.yml)")
    p.set_defaults(func=_cmd_estimate)

    p = subparsers.add_parser(
        "tables", help="paper-style tables of the latest estimates beside the published values"
    )
    p.add_argument("--format", choices=["md", "tex"], default="md")
    p.add_argument("--out", help="folder to write tables.<format> into (default: stdout)")
    p.add_argument("--table", dest="tables", type=int, nargs="+", action="extend", metavar="N")
    p.add_argument("--warehouse", help="DuckDB file (default: warehouse/agglo.duckdb)")
    p.set_defaults(func=_cmd_tables)
