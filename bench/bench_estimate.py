"""Benchmark: `agglo estimate` for all of Tables 1–8 on the built warehouse's panel.

Run by ``make bench`` after ``make build`` (reads ``marts.fct_estimation_panel``, writes nothing)::

    python bench/bench_estimate.py [--warehouse PATH] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

from agglo.paths import warehouse_path
from estimation.run import PANEL_RELATION, estimate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=warehouse_path())
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.warehouse.exists():
        print(f"no warehouse at {args.warehouse}: run `make build` first", file=sys.stderr)
        return 2
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        panel = con.sql(f"select * from {PANEL_RELATION}").df()
    best = float("inf")
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        run = estimate(panel)
        best = min(best, time.perf_counter() - t0)
    fits = run.models.drop_duplicates(["table", "column_id"])
    print(f"{'estimate, Tables 1–8':<40}{'time (s)':>10}{'fits':>8}{'failed':>8}")
    print(f"{'panel ' + str(len(panel)) + ' rows':<40}{best:>10.2f}{len(fits):>8}"
          f"{int((fits['status'] != 'ok').sum()):>8}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
