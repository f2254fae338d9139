"""Benchmark: generating the simulated demo extracts (``agglo demo-data``) into a temp folder.

Run by ``make bench`` (not by the tests: a timing on a shared 2-core machine is no test)::

    python bench/bench_demo.py [--repeat 3] [--replications 0]

Prints the wall time (best of ``--repeat``) of :func:`agglo.demo.generate` and the process's peak
resident set size. ``--replications 0`` skips the Monte Carlo behind ``parameters.csv``'s sampling
standard deviations (what the files themselves cost); the committed files use 30.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from agglo.demo import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    parser.add_argument(
        "--replications", type=int, default=0, help="simulations behind sampling_sd (default 0)"
    )
    args = parser.parse_args(argv)
    best = float("inf")
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            written = generate(Path(tmp) / "demo", replications=args.replications)
            best = min(best, time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"demo data ({len(written)} files, {args.replications} replications): "
        f"{best:.2f} s (best of {args.repeat}), peak RSS {peak:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
