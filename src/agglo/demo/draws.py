"""Tables 1–8 estimated on simulated demo draws, without the yearbook round trip.

A draw's exact truth panel is put in the shape of ``marts.fct_estimation_panel`` (levels, logs,
lagged logs of the two endogenous variables) and handed to :func:`estimation.run.estimate` with the
paper's spec: the same estimators as ``agglo build``, minus the printing and parsing of the
yearbook files (which moves estimates by less than the printed rounding, see
``_truth/README.md``). Used for the agreement to expect under the demo's design
(``agglo demo-data --expected-agreement``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from agglo.demo import model
from estimation.run import estimate

VARIABLES = (
    "vocal",
    "innov",
    "size",
    "pgdp",
    "open",
    "infr",
    "educ",
    "deve",
    "know",
    "tech",
    "dim",
)


def estimation_panel(sim: model.Simulation) -> pd.DataFrame:
    """``sim``'s panel as ``marts.fct_estimation_panel`` has it (exact values, all industries)."""
    panel = sim.panel().sort_values(["province_code", "industry_code", "year"])
    out = panel[["province_code", "year", "industry_code", "region", *VARIABLES]].copy()
    for v in VARIABLES:
        out[f"ln_{v}"] = np.log(out[v])
    keys = [out["province_code"], out["industry_code"]]
    out["lag_ln_vocal"] = out.groupby(keys)["ln_vocal"].shift(1)
    out["lag_ln_innov"] = out.groupby(keys)["ln_innov"].shift(1)
    return out.reset_index(drop=True)


def estimate_draw(
    seed: int, tables: Iterable[int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(estimates, models) of the paper's tables on the draw ``seed`` (failed fits recorded)."""
    sim = model.simulate(seed)
    run = estimate(estimation_panel(sim), tables, on_error="record")
    return run.estimates, run.models


def estimate_draws(seeds: Iterable[int]) -> Iterator[tuple[int, pd.DataFrame]]:
    """Per seed, the estimates of Tables 1–8 on that draw."""
    for seed in seeds:
        yield seed, estimate_draw(seed)[0]
