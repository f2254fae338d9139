"""Benchmark: `agglo build` per stage in three scenarios — cold, no change, one new file.

Run by ``make bench``; builds the demo data of ``raw/demo`` copied to a temporary folder into a
temporary warehouse (the checkout's warehouse is not touched)::

    python bench/bench_build.py [--keep DIR]

Scenarios, each one ``agglo build --raw DIR`` process:

* cold: an empty warehouse, every file;
* no change: the same build again (nothing to do: "up to date");
* one new file: ``ht/output_by_industry/2015.xlsx`` is taken out and the warehouse rebuilt
  (not timed), then put back and built again (timed).

Wall time, CPU time (user + system) and peak RSS are those of the whole ``agglo build`` process
and its children (dbt), from ``os.wait4``; the stage times and the peak RSS at the end of each
stage come from the build's record (``<warehouse>.build.json``, :mod:`agglo.inputs`). The targets
of issue 12 are checked here, never by timed tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEW_FILE = Path("ht/output_by_industry/2015.xlsx")
STAGES = ("load", "dbt build", "estimate")
# issue 12's targets: whole build wall time (s) per scenario, and peak RSS of any build
TARGETS = {"cold": 12.0, "no change": 2.0, "one new file": 6.0}
RSS_TARGET_MIB = 1024.0


def agglo() -> str:
    candidate = Path(sys.executable).with_name("agglo")
    return str(candidate) if candidate.exists() else "agglo"


def run_build(raw: Path, warehouse: Path) -> dict:
    """One ``agglo build`` process: wall time, peak RSS (MiB), stage timings, its output."""
    with tempfile.TemporaryFile("w+") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [agglo(), "build", "--quiet", "--raw", str(raw), "--warehouse", str(warehouse)],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if proc.returncode != 0:
        raise SystemExit(f"agglo build failed ({proc.returncode}):\n{output[-3000:]}")
    stamp_file = warehouse.with_name(warehouse.name + ".build.json")
    stamp = json.loads(stamp_file.read_text()) if stamp_file.exists() else {}
    up_to_date = output.startswith("up to date")
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,  # less sensitive than wall to a shared machine
        "rss": usage.ru_maxrss / 1024,  # KiB on Linux; the process and its waited-for children
        "timings": {} if up_to_date else stamp.get("timings") or printed_timings(output),
        "stage_rss": {} if up_to_date else stamp.get("peak_rss_mib", {}),
        "output": output,
    }


def printed_timings(output: str) -> dict[str, float]:
    """The build's own "timings: load 1.2s, dbt build 3.4s, …" line (a build that records no
    stamp: the code before issue 12, measured for the "before" table)."""
    line = next((x for x in output.splitlines() if x.startswith("timings: ")), "")
    pairs = (part.strip().rsplit(" ", 1) for part in line.removeprefix("timings: ").split(","))
    return {name: float(value.rstrip("s")) for name, value in pairs if value.endswith("s")}


def scenarios(work: Path) -> dict[str, dict]:
    raw = work / "raw"
    shutil.copytree(
        Path(os.environ.get("AGGLO_HOME", REPO)) / "raw" / "demo",
        raw,
        ignore=shutil.ignore_patterns("_*"),
    )
    warehouse = work / "warehouse" / "agglo.duckdb"
    results = {"cold": run_build(raw, warehouse)}
    results["no change"] = run_build(raw, warehouse)
    held = work / NEW_FILE.name
    shutil.move(raw / NEW_FILE, held)
    run_build(raw, warehouse)  # the warehouse without the file
    shutil.move(held, raw / NEW_FILE)
    results["one new file"] = run_build(raw, warehouse)
    return results


def table(results: dict[str, dict]) -> str:
    names = list(results)
    lines = [
        f"{'stage':<12}" + "".join(f"{n + ' s':>16}{'MiB':>7}" for n in names),
    ]
    for stage in STAGES:
        cells = []
        for n in names:
            r = results[n]
            t, m = r["timings"].get(stage), r["stage_rss"].get(stage)
            cells.append(
                f"{'—' if t is None else f'{t:.2f}':>16}{'—' if m is None else f'{m:.0f}':>7}"
            )
        lines.append(f"{stage:<12}" + "".join(cells))
    lines.append(
        f"{'total':<12}"
        + "".join(f"{results[n]['wall']:>16.2f}{results[n]['rss']:>7.0f}" for n in names)
    )
    lines.append(
        f"{'total CPU':<12}" + "".join(f"{results[n]['cpu']:>16.2f}{'':>7}" for n in names)
    )
    verdicts = []
    for n in names:
        target, wall = TARGETS[n], results[n]["wall"]
        verdicts.append(
            f"{n}: {wall:.1f} s, target ≤ {target:g} s: "
            + ("met" if wall <= target else f"missed by {wall - target:.1f} s")
        )
    peak = max(r["rss"] for r in results.values())
    verdicts.append(
        f"peak RSS {peak:.0f} MiB, target ≤ {RSS_TARGET_MIB:.0f} MiB: "
        + ("met" if peak <= RSS_TARGET_MIB else "missed")
    )
    return "\n".join(lines + [""] + verdicts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build in DIR and keep it (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=False)
        results = scenarios(args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="agglo-bench-") as tmp:
            results = scenarios(Path(tmp))
    print("agglo build, demo data (raw/demo), wall time (s) and peak RSS (MiB) per stage")
    print(table(results))
    print("\none new file:", NEW_FILE, "—", results["one new file"]["output"].splitlines()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
