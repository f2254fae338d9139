"""Benchmark: two-step system GMM on abdata and on a simulated 5,000 × 10 panel.

Run by ``make bench`` (not by the tests)::

    python bench/bench_gmm.py [--units 5000] [--periods 10] [--repeat 3]

Prints wall time (best of ``--repeat``) and peak Python-heap memory (tracemalloc) of each fit, plus
the process's peak resident set size.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial

import pandas as pd

from agglo.paths import shared_dir
from estimation.gmm import DynamicPanelGMM
from estimation.simulate import simulate_dynamic_panel


def _measure(fit: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    best = float("inf")
    res = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fit()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fit()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return best, peak / 2**20, res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--periods", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    rows = []
    path = shared_dir() / "gmm-reference" / "abdata.csv"
    if path.is_file():
        ab = pd.read_csv(path).set_index(["id", "year"])
        model = DynamicPanelGMM(
            ab, "n", ["w", "k"], lags=2, gmm_instruments={"n": (2, 4), "w": (1, 3)},
            iv_instruments=["k"],
        )  # fmt: skip
        t, mem, res = _measure(partial(model.fit, iter_limit=2, cov_type="robust"), args.repeat)
        rows.append(("abdata (140 × 9, 51 instr.)", t, mem, res))
    else:
        print(f"abdata not found at {path}; skipping", file=sys.stderr)

    data = simulate_dynamic_panel(args.units, args.periods, rho=0.5, beta=1.0, seed=2024)
    model = DynamicPanelGMM(
        data, "y", ["x"], lags=1, gmm_instruments={"y": (2, None), "x": (1, None)},
        iv_instruments={"x": "diff"},
    )  # fmt: skip
    t, mem, res = _measure(partial(model.fit, iter_limit=2, cov_type="robust"), args.repeat)
    label = f"simulated {args.units:,} × {args.periods} ({res.n_instruments} instr.)"
    rows.append((label, t, mem, res))

    print(f"{'two-step system GMM, Windmeijer SE':<42}{'time (s)':>10}{'peak heap (MiB)':>17}")
    for label, t, mem, _res in rows:
        print(f"{label:<42}{t:>10.3f}{mem:>17.1f}")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"process peak RSS: {maxrss:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
