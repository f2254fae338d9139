"""The ``agglo`` command.

Each subcommand is a thin wrapper: argument parsing here, the work in its module. ``estimate`` and
``tables`` wire the estimation library (:mod:`estimation`, which knows nothing of ``agglo``) to the
warehouse and the report layer. Problems the user can act on (:class:`agglo.errors.AggloError`,
:class:`estimation.errors.EstimationError`) are printed without a traceback, exit status 2.

Log records of the libraries below WARNING (Great Expectations' "Created temporary directory …",
msoffcrypto's debug lines) go to the log file ``logs/agglo.log`` of the checkout, never to the
terminal; warnings and errors go to both.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import re
import sys
from pathlib import Path

from agglo import __version__, paths
from agglo.errors import AggloError, warehouse_in_use
from estimation.errors import EstimationError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
WAREHOUSE_HELP = (
    "DuckDB file; a relative path starts from the current directory (default: $AGGLO_WAREHOUSE, "
    "else warehouse/agglo.duckdb under $AGGLO_HOME, else under the checkout)"
)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the record (it may be replaced)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ assigns it
        pass


class _PlainFormatter(logging.Formatter):
    """The log file's format: the record without ANSI colour codes (dbt and rich colour what they
    print; a log file is read in an editor or with grep, where they are noise)."""

    ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")

    def format(self, record: logging.LogRecord) -> str:
        return self.ANSI.sub("", super().format(record))


def log_file() -> Path:
    return paths.repo_root() / "logs" / "agglo.log"


def configure_logging() -> None:
    """Root logger: INFO and up to ``logs/agglo.log``, WARNING and up to stderr. Idempotent.

    With handlers on the root logger, a library's bare ``logging.debug`` no longer installs the
    default stderr handler (``logging.basicConfig``) that would print every INFO line of loggers
    with their own level (Great Expectations sets INFO on some of its loggers).
    """
    root = logging.getLogger()
    if any(getattr(h, "_agglo", False) for h in root.handlers):
        return
    handlers: list[logging.Handler] = []
    try:
        log_file().parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.handlers.RotatingFileHandler(
            log_file(), maxBytes=2_000_000, backupCount=2, encoding="utf-8"
        )
        to_file.setLevel(logging.INFO)
        handlers.append(to_file)
    except OSError as exc:  # a read-only checkout: no log file, the terminal stays quiet anyway
        print(f"warning: cannot write {log_file()} ({exc}); not logging", file=sys.stderr)
    to_terminal = _StderrHandler()
    to_terminal.setLevel(logging.WARNING)
    handlers.append(to_terminal)
    for handler in handlers:
        plain = handler is not to_terminal
        handler.setFormatter((_PlainFormatter if plain else logging.Formatter)(LOG_FORMAT))
        handler._agglo = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(logging.INFO)


def _cmd_inspect(args: argparse.Namespace) -> int:
    from agglo.ingest.parse import RECORD_COLUMNS, parse_file

    result = parse_file(Path(args.file), table_id=args.table)
    records = result.records
    if args.provinces_only:
        records = records[records["entity_kind"] == "province"]
    records = records[RECORD_COLUMNS]
    if args.format == "json":
        sys.stdout.write(records.to_json(orient="records", force_ascii=False, indent=1))
        sys.stdout.write("\n")
    else:
        records.to_csv(sys.stdout, index=False)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _cmd_load(args: argparse.Namespace) -> int:
    from agglo.pipeline import load_paths

    report = load_paths(
        [Path(p) for p in args.paths] if args.paths else None,
        warehouse=Path(args.warehouse) if args.warehouse else None,
        progress=not args.quiet,
    )
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_unload(args: argparse.Namespace) -> int:
    from agglo.pipeline import unload_paths

    report = unload_paths(
        [Path(p) for p in args.paths],
        warehouse=Path(args.warehouse) if args.warehouse else None,
    )
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_check(args: argparse.Namespace) -> int:
    from agglo.pipeline import check_paths

    return check_paths(
        [Path(p) for p in args.paths],
        warehouse=Path(args.warehouse) if args.warehouse else None,
    )


def _cmd_dq_docs(args: argparse.Namespace) -> int:
    from agglo.pipeline import build_dq_docs

    index = build_dq_docs(
        warehouse=Path(args.warehouse) if args.warehouse else None,
        out_dir=Path(args.out) if args.out else None,
    )
    print(f"data docs: {index}")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from agglo import inputs

    # Decide before importing the build (pandas, duckdb; it runs dbt and the gate): a build with
    # nothing to do costs the hashing of its inputs alone.
    warehouse = Path(args.warehouse).resolve() if args.warehouse else paths.warehouse_path()
    raw = Path(args.raw) if args.raw else None
    changes = inputs.check(warehouse, raw, only_raw=raw is not None, estimate=not args.no_estimate)
    if changes.up_to_date and not args.force:
        print(changes.summary())
        return 0
    if args.force:
        changes.reason = "--force"

    from agglo.build import build

    report = build(
        warehouse=warehouse,
        progress=not args.quiet,
        estimate=not args.no_estimate,
        raw=raw,
        changes=changes,
    )
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_demo_data(args: argparse.Namespace) -> int:
    from agglo.demo import generate

    if args.expected_agreement:
        return _expected_agreement(args)
    written = generate(Path(args.out) if args.out else None, seed=args.seed)
    print(f"wrote {len(written)} demo files")
    return 0


def _expected_agreement(args: argparse.Namespace) -> int:
    """Score Tables 1–8 on ``--draws`` simulated draws (seeds after ``--seed``): the agreement to
    expect under the demo's design, stored beside the demo's truth (agglo.report.expected)."""
    from agglo.demo import draws
    from agglo.report import expected
    from estimation.published import load_published
    from estimation.spec import load_spec

    seeds = range(args.seed + 1, args.seed + 1 + args.draws)
    per_draw = expected.score_draws(
        draws.estimate_draws(seeds), load_published(), load_spec().table_numbers
    )
    out = Path(args.out) / "_truth" if args.out else None
    for path in expected.write(per_draw, out):
        print(f"wrote {path}")
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


def _warehouse(arg: str | None) -> Path:
    from agglo import paths

    return Path(arg).resolve() if arg else paths.warehouse_path()


def _cmd_estimate(args: argparse.Namespace) -> int:
    from agglo.build import fit_estimates
    from agglo.warehouse import staged

    warehouse = _warehouse(args.warehouse)
    if not warehouse.exists():
        raise AggloError(
            f"no warehouse at {warehouse}", hint="build it first (make build) or pass --warehouse"
        )
    # On a copy swapped in when done, so readers never see a half-written results schema.
    with staged(warehouse) as work:
        summary, ok = fit_estimates(work, tables=args.tables, spec=args.spec)
    print(f"{summary}\n-> {warehouse}")
    return 0 if ok else 1


def _cmd_tables(args: argparse.Namespace) -> int:
    from agglo.report.data import holds_demo_data
    from agglo.report.tables import render_tables, results_for_tables, write_tables
    from agglo.warehouse import connect_read_only
    from estimation.spec import load_spec

    spec = load_spec()
    for number in args.tables or []:
        spec.table(number)  # an unknown table is an error, not a table without estimates
    warehouse = _warehouse(args.warehouse)
    if not warehouse.exists():
        raise AggloError(
            f"no warehouse at {warehouse}", hint="build it first (make build) or pass --warehouse"
        )
    with connect_read_only(warehouse) as con:
        estimates, models = results_for_tables(con, args.tables)
        simulated = holds_demo_data(con)
    if estimates.empty:
        print(
            f"note: no estimates in {warehouse} (run `agglo estimate`); showing published values",
            file=sys.stderr,
        )
    options = {"tables": args.tables, "spec": spec, "layout": args.layout, "simulated": simulated}
    if args.out:
        for path in write_tables(args.out, estimates, models, formats=[args.format], **options):
            print(f"wrote {path}")
    else:
        sys.stdout.write(render_tables(estimates, models, fmt=args.format, **options))
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
    p.add_argument(
        "--format",
        choices=["table", "csv", "json", "markdown"],
        default="table",
        help="how -c prints its result (default: an aligned table)",
    )
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)
    p.set_defaults(func=sql)

    p = sub.add_parser("export", help="tables as Stata/Parquet/CSV/Excel files with the codebook")
    p.add_argument(
        "tables", nargs="*", help="schema.table or table (default: every mart and result)"
    )
    p.add_argument(
        "--format",
        choices=["dta", "parquet", "csv", "xlsx"],
        required=True,
        help="Stata .dta (labelled), Parquet, CSV (UTF-8 with BOM) or one Excel workbook",
    )
    p.add_argument("--out", help="output folder (default: exports/)")
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)
    p.set_defaults(func=export)

    p = sub.add_parser("codebook", help="write reports/codebook.md and .html from the dbt docs")
    p.add_argument("--out", help="output folder (default: reports/)")
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)
    p.set_defaults(func=codebook)


def _add_table_numbers(p: argparse.ArgumentParser) -> None:
    """``--table N …`` (repeatable) of `estimate` and `tables`: the paper's table numbers."""
    p.add_argument(
        "--table",
        dest="tables",
        type=int,
        nargs="+",
        action="extend",
        metavar="N",
        help="table numbers (default: all)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agglo",
        description="Yearbook loader and estimates for the agglomeration-innovation warehouse.",
        epilog="Environment: AGGLO_HOME (the checkout whose raw/, dbt_project/ and logs/ are used; "
        "default: the one agglo is installed from), AGGLO_WAREHOUSE (the default --warehouse).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_analyst_subcommands(sub)

    p = sub.add_parser("inspect", help="parse one yearbook file and print its tidy records")
    p.add_argument("file", help="an .xls, .xlsx, .csv or HTML-as-.xls yearbook file")
    p.add_argument("--table", help="catalog table id (default: recognised from title or path)")
    p.add_argument(
        "--format", choices=["csv", "json"], default="csv", help="output format (default: csv)"
    )
    p.add_argument(
        "--provinces-only",
        action="store_true",
        help="leave out printed aggregates (全国, 东部地区, …)",
    )
    p.set_defaults(func=_cmd_inspect)

    p = sub.add_parser("load", help="load yearbook files into the warehouse (default: all of raw/)")
    p.add_argument("paths", nargs="*", help="files or folders (default: raw/)")
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_load)

    p = sub.add_parser(
        "unload",
        help="remove everything files contributed to the warehouse (records and load_log rows)",
    )
    p.add_argument("paths", nargs="+", help="loaded files, or folders (every loaded file under it)")
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)
    p.set_defaults(func=_cmd_unload)

    p = sub.add_parser(
        "check", help="run the data-quality gate on files without loading them (exit 1 on errors)"
    )
    p.add_argument("paths", nargs="*", help="files or folders (default: raw/)")
    p.add_argument("--warehouse", help="to compare years with: " + WAREHOUSE_HELP)
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser(
        "dq-docs", help="Great Expectations Data Docs of the latest gate results (reports/dq-docs/)"
    )
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)
    p.add_argument("--out", help="output folder (default: reports/dq-docs)")
    p.set_defaults(func=_cmd_dq_docs)

    p = sub.add_parser(
        "build", help="load raw/, dbt build (models + tests) and estimate, published atomically"
    )
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)
    p.add_argument(
        "--raw",
        metavar="DIR",
        help="build from the yearbook files in DIR alone (default: raw/, keeping files loaded "
        "from elsewhere)",
    )
    p.add_argument("--no-estimate", action="store_true", help="stop after dbt build")
    p.add_argument(
        "--force",
        action="store_true",
        help="rebuild everything (dbt, every spec) even when no input changed since the last build",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("demo-data", help="regenerate the simulated demo yearbook extracts")
    p.add_argument("--out", help="output folder (default: raw/demo)")
    p.add_argument(
        "--seed",
        type=int,
        default=20061231,
        help="random seed; the default regenerates the committed files byte for byte",
    )
    p.add_argument(
        "--expected-agreement",
        action="store_true",
        help="instead of the files: estimate Tables 1-8 on --draws simulated draws and store the "
        "agreement with the paper to expect (raw/demo/_truth/expected_agreement*.csv; minutes)",
    )
    p.add_argument("--draws", type=int, default=50, help="draws for --expected-agreement")
    p.set_defaults(func=_cmd_demo_data)

    p = sub.add_parser(
        "report", help="write the static HTML replication report (default: reports/report/)"
    )
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)
    p.add_argument("--out", help="output folder (default: reports/report)")
    p.add_argument("--year", type=int, help="year of the ranked bar charts (default: the last)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "estimate", help="fit the paper's Tables 1–8 and write schema results in the warehouse"
    )
    _add_table_numbers(p)
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)
    p.add_argument(
        "--spec",
        help="spec file (default: estimation/specs/paper.yml; the real-data knowledge-production "
        "function: estimation/specs/knowledge_production.yml)",
    )
    p.set_defaults(func=_cmd_estimate)

    p = sub.add_parser(
        "tables", help="paper-style tables of the latest estimates beside the published values"
    )
    p.add_argument(
        "--format", choices=["md", "tex"], default="md", help="Markdown or LaTeX (default: md)"
    )
    p.add_argument(
        "--layout",
        choices=["paper", "ours"],
        default="paper",
        help="paper: ours beside the published values, as the paper prints them (default); "
        "ours: one column per model, coefficients with stars and statistics, N, R2 and "
        "diagnostics, as Stata's esttab prints them",
    )
    p.add_argument("--out", help="folder to write tables.<format> into (default: stdout)")
    _add_table_numbers(p)
    p.add_argument("--warehouse", help=WAREHOUSE_HELP)
    p.set_defaults(func=_cmd_tables)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging()
    try:
        return args.func(args)
    except (AggloError, EstimationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # DuckDB's lock error on a file not opened through agglo.warehouse
        in_use = warehouse_in_use(None, exc)
        if in_use is None:
            raise
        print(f"error: {in_use}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `agglo inspect … | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
