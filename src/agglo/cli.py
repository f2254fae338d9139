"""The ``agglo`` command.

Each subcommand is a thin wrapper: argument parsing here, the work in its module. Problems the user
can act on (:class:`agglo.errors.AggloError`) are printed without a traceback, exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agglo.errors import AggloError
from agglo.parse import RECORD_COLUMNS as INSPECT_COLUMNS  # the stable `agglo inspect` contract


def _cmd_inspect(args: argparse.Namespace) -> int:
    from agglo.parse import parse_file

    result = parse_file(Path(args.file), table_id=args.table)
    records = result.records
    if args.provinces_only:
        records = records[records["entity_kind"] == "province"]
    records = records[INSPECT_COLUMNS]
    if args.format == "json":
        sys.stdout.write(records.to_json(orient="records", force_ascii=False, indent=1))
        sys.stdout.write("\n")
    else:
        records.to_csv(sys.stdout, index=False)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    from agglo.warehouse import load_paths

    report = load_paths(
        [Path(p) for p in args.paths] if args.paths else None,
        warehouse=Path(args.warehouse) if args.warehouse else None,
        progress=not args.quiet,
    )
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_check(args: argparse.Namespace) -> int:
    from agglo.gate import check_paths

    return check_paths(
        [Path(p) for p in args.paths],
        warehouse=Path(args.warehouse) if args.warehouse else None,
    )


def _cmd_build(args: argparse.Namespace) -> int:
    from agglo.build import build

    report = build(
        warehouse=Path(args.warehouse) if args.warehouse else None,
        progress=not args.quiet,
        estimate=not args.no_estimate,
    )
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from agglo.demo import generate

    written = generate(Path(args.out) if args.out else None, seed=args.seed)
    print(f"wrote {len(written)} demo files")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from agglo.report import build_report

    files = build_report(
        Path(args.warehouse) if args.warehouse else None,
        Path(args.out) if args.out else None,
        year=args.year,
    )
    print(files.summary())
    return 0


# --- analysts' way in: agglo sql | export | codebook (the work is in src/agglo/analyst/) ---
def _add_analyst_subcommands(sub: argparse._SubParsersAction) -> None:
    def sql(args: argparse.Namespace) -> int:
        from agglo.analyst.shell import run

        return run(args.query, args.format, Path(args.warehouse) if args.warehouse else None)

    def export(args: argparse.Namespace) -> int:
        from agglo.analyst.export import export as run_export

        wh, out = (Path(p) if p else None for p in (args.warehouse, args.out))
        print(run_export(args.tables or None, args.format, out, wh).summary())
        return 0

    def codebook(args: argparse.Namespace) -> int:
        from agglo.analyst.codebook import generate

        wh, out = (Path(p) if p else None for p in (args.warehouse, args.out))
        print("wrote " + ", ".join(str(p) for p in generate(wh, out)))
        return 0

    p = sub.add_parser("sql", help="read-only SQL shell on the warehouse (-c QUERY for scripts)")
    p.add_argument("-c", dest="query", metavar="QUERY", help="run QUERY (';'-separated) and exit")
    p.add_argument("--format", choices=["table", "csv", "json", "markdown"], default="table")
    p.add_argument("--warehouse", help="DuckDB file (default: warehouse/agglo.duckdb)")
    p.set_defaults(func=sql)

    p = sub.add_parser("export", help="tables as Stata/Parquet/CSV/Excel files with the codebook")
    p.add_argument(
        "tables", nargs="*", help="schema.table or table (default: every mart and result)"
    )
    p.add_argument("--format", choices=["dta", "parquet", "csv", "xlsx"], required=True)
    p.add_argument("--out", help="output folder (default: exports/)")
    p.add_argument("--warehouse", help="DuckDB file (default: warehouse/agglo.duckdb)")
    p.set_defaults(func=export)

    p = sub.add_parser("codebook", help="write reports/codebook.md and .html from the dbt docs")
    p.add_argument("--out", help="output folder (default: reports/)")
    p.add_argument("--warehouse", help="DuckDB file (default: warehouse/agglo.duckdb)")
    p.set_defaults(func=codebook)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agglo",
        description="Yearbook loader and estimates for the agglomeration-innovation warehouse.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_analyst_subcommands(sub)

    p = sub.add_parser("inspect", help="parse one yearbook file and print its tidy records")
    p.add_argument("file", help="an .xls, .xlsx, .csv or HTML-as-.xls yearbook file")
    p.add_argument("--table", help="catalog table id (default: recognised from title or path)")
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.add_argument(
        "--provinces-only",
        action="store_true",
        help="leave out printed aggregates (全国, 东部地区, …)",
    )
    p.set_defaults(func=_cmd_inspect)

    p = sub.add_parser("load", help="load yearbook files into the warehouse (default: all of raw/)")
    p.add_argument("paths", nargs="*", help="files or folders (default: raw/)")
    p.add_argument("--warehouse", help="DuckDB file (default: warehouse/agglo.duckdb)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_load)

    p = sub.add_parser(
        "check", help="run the data-quality gate on files without loading them (exit 1 on errors)"
    )
    p.add_argument("paths", nargs="*", help="files or folders (default: raw/)")
    p.add_argument(
        "--warehouse", help="DuckDB file for year-on-year checks (default: the warehouse)"
    )
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "build", help="load raw/, dbt build (models + tests) and estimate, published atomically"
    )
    p.add_argument("--warehouse", help="DuckDB file (default: warehouse/agglo.duckdb)")
    p.add_argument("--no-estimate", action="store_true", help="stop after dbt build")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("demo-data", help="regenerate the simulated demo yearbook extracts")
    p.add_argument("--out", help="output folder (default: raw/demo)")
    p.add_argument("--seed", type=int, default=20061231)
    p.set_defaults(func=_cmd_demo_data)

    p = sub.add_parser(
        "report", help="write the static HTML replication report (default: reports/report/)"
    )
    p.add_argument("--warehouse", help="DuckDB file (default: warehouse/agglo.duckdb)")
    p.add_argument("--out", help="output folder (default: reports/report)")
    p.add_argument("--year", type=int, help="year of the ranked bar charts (default: the last)")
    p.set_defaults(func=_cmd_report)

    from estimation.cli import add_subcommands as add_estimation_subcommands

    add_estimation_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AggloError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `agglo inspect … | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
