"""The agreement with the paper to expect under the demo's design.

The demo's truth is the paper's coefficients, but a correct estimator on one simulated draw still
gets a coefficient's sign or stars "wrong" whenever the paper's z value is modest (most are about
2). How often is a property of the design, measured by simulation: Tables 1–8 are estimated on
many draws (:func:`agglo.demo.draws.estimate_draws`) and each draw is scored with the report's own
scoring (:func:`.agreement.agreement_frame`, :func:`.agreement.summarise`), so a change to the
scoring or to the spec changes the expectation the same way (the stored file is then stale, and
tests/report/test_report_expected.py says so).

Stored as data, because the simulation takes minutes: ``raw/demo/_truth/expected_agreement.csv``
(per table: draws, mean and sd over draws of the shares) and ``expected_agreement_draws.csv`` (per
draw and table: the counts), written by ``agglo demo-data --expected-agreement``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from agglo import paths
from agglo.report.agreement import agreement_frame, summarise

SUMMARY_FILE = "expected_agreement.csv"
DRAWS_FILE = "expected_agreement_draws.csv"
COMMAND = "agglo demo-data --expected-agreement"
DRAW_COLUMNS = ["seed", "table", "compared", "same_sign", "same_stars"]


def truth_dir() -> Path:
    return paths.raw_dir() / "demo" / "_truth"


def score_draws(
    draws: Iterable[tuple[int, pd.DataFrame]], published: pd.DataFrame, tables: Iterable[int]
) -> pd.DataFrame:
    """Per draw (seed, estimates) and table (and ``all``): the counts of :func:`summarise`."""
    numbers = list(tables)
    frames = []
    for seed, estimates in draws:
        summary = summarise(agreement_frame(estimates, published), numbers)
        frames.append(summary.assign(seed=seed)[DRAW_COLUMNS])
    return pd.concat(frames, ignore_index=True)


def summarise_draws(per_draw: pd.DataFrame) -> pd.DataFrame:
    """Per table: number of draws, coefficients compared, mean and sd over draws of both shares."""
    shares = per_draw.assign(
        share_same_sign=per_draw["same_sign"] / per_draw["compared"],
        share_same_stars=per_draw["same_stars"] / per_draw["compared"],
    )
    order = list(dict.fromkeys(per_draw["table"]))
    grouped = shares.groupby("table", sort=False)
    out = pd.DataFrame(
        {
            "draws": grouped["seed"].nunique(),
            "compared": grouped["compared"].max(),
            "expected_same_sign": grouped["share_same_sign"].mean(),
            "sd_same_sign": grouped["share_same_sign"].std(),
            "expected_same_stars": grouped["share_same_stars"].mean(),
            "sd_same_stars": grouped["share_same_stars"].std(),
            "first_seed": grouped["seed"].min(),
        }
    )
    return out.loc[order].reset_index()


def write(per_draw: pd.DataFrame, out_dir: Path | None = None) -> list[Path]:
    out = Path(out_dir) if out_dir is not None else truth_dir()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in ((DRAWS_FILE, per_draw), (SUMMARY_FILE, summarise_draws(per_draw))):
        path = out / name
        text = frame.to_csv(index=False, float_format="%.4f", lineterminator="\n")
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def load(folder: Path | None = None) -> pd.DataFrame | None:
    """The stored expectation (one row per table and ``all``), or None when there is none."""
    path = (Path(folder) if folder is not None else truth_dir()) / SUMMARY_FILE
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype={"table": str})


def with_expected(summary: pd.DataFrame, expected: pd.DataFrame | None) -> pd.DataFrame:
    """``summary`` (of :func:`summarise`) with the expected shares beside the observed ones
    (NaN for a table the expectation does not cover)."""
    columns = ["expected_same_sign", "sd_same_sign", "expected_same_stars", "sd_same_stars"]
    if expected is None:
        return summary.assign(**{c: float("nan") for c in columns}, expected_draws=0)
    extra = expected.set_index("table")[[*columns, "draws"]].rename(
        columns={"draws": "expected_draws"}
    )
    merged = summary.merge(extra, left_on="table", right_index=True, how="left")
    merged["expected_draws"] = merged["expected_draws"].fillna(0).astype(int)
    return merged
