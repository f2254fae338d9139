"""Simulated stand-ins for ``marts.fct_estimation_panel`` (test data for the estimation layer).

The structural model is the paper's eqs (1)–(2) with known coefficients, solved for its reduced
form:

    ln_vocal = A0 + A1 ln_innov + A_size ln_size + A_pgdp ln_pgdp + A_open ln_open + A_infr ln_infr
               + alpha_i + e
    ln_innov = B0 + B1 ln_vocal + B_size ln_size + B_pgdp ln_pgdp + B_open ln_open + B_educ ln_educ
               + eta_i + u

with (e, u) correlated across equations and, optionally, province effects (alpha_i, eta_i)
correlated with the regressors. The mechanism variables (deve, know, tech, dim) are exogenous noise
with province means; they do not enter the model (their interactions have true coefficient 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PROVINCES = {
    "11": "east", "12": "east", "13": "east", "14": "central", "15": "west", "21": "east",
    "22": "central", "23": "central", "31": "east", "32": "east", "33": "east", "34": "central",
    "35": "east", "36": "central", "37": "east", "41": "central", "42": "central", "43": "central",
    "44": "east", "45": "west", "46": "east", "50": "west", "51": "west", "52": "west",
    "53": "west", "54": "west", "61": "west", "62": "west", "63": "west", "64": "west",
    "65": "west",
}  # fmt: skip
YEARS = tuple(range(2006, 2016))
INDUSTRIES = ("T", "T1", "T2", "T3", "T4", "T5")
EXOG = ("size", "pgdp", "open", "infr", "educ", "deve", "know", "tech", "dim")

AGGLOMERATION = {"const": 0.5, "ln_innov": 0.3, "ln_size": 0.8, "ln_pgdp": 0.2, "ln_open": 0.4,
                 "ln_infr": -0.3}  # fmt: skip
INNOVATION = {"const": -1.0, "ln_vocal": 0.6, "ln_size": -0.4, "ln_pgdp": 0.5, "ln_open": 0.3,
              "ln_educ": 0.7}  # fmt: skip


def simulate_panel(
    seed: int = 0,
    *,
    industries: tuple[str, ...] = INDUSTRIES,
    effects: bool = False,
    error_corr: float = 0.5,
    sigma: float = 0.3,
) -> pd.DataFrame:
    """A mart-shaped panel: one row per province × year × industry, levels, logs and lags."""
    rng = np.random.default_rng(seed)
    codes = list(PROVINCES)
    n, t = len(codes), len(YEARS)
    frames = []
    for industry in industries:
        logs = {}
        for v in EXOG:
            mean_i = rng.normal(0, 0.7, size=n)
            logs[f"ln_{v}"] = (mean_i[:, None] + rng.normal(0, 0.5, size=(n, t))).ravel()
        e, u = rng.multivariate_normal(
            [0, 0], sigma**2 * np.array([[1, error_corr], [error_corr, 1]]), size=n * t
        ).T
        if effects:
            # province effects correlated with the regressors' province means
            xa = logs["ln_size"].reshape(n, t).mean(axis=1)
            xb = logs["ln_pgdp"].reshape(n, t).mean(axis=1)
            e = e + np.repeat(0.8 * xa + rng.normal(0, 0.3, n), t)
            u = u + np.repeat(0.8 * xb + rng.normal(0, 0.3, n), t)
        ra = AGGLOMERATION["const"] + e
        ra = ra + sum(
            AGGLOMERATION[k] * logs[k] for k in ("ln_size", "ln_pgdp", "ln_open", "ln_infr")
        )
        rb = INNOVATION["const"] + u
        rb = rb + sum(INNOVATION[k] * logs[k] for k in ("ln_size", "ln_pgdp", "ln_open", "ln_educ"))
        a1, b1 = AGGLOMERATION["ln_innov"], INNOVATION["ln_vocal"]
        det = 1 - a1 * b1
        logs["ln_vocal"] = (ra + a1 * rb) / det
        logs["ln_innov"] = (rb + b1 * ra) / det
        frame = pd.DataFrame(logs)
        frame.insert(0, "province_code", np.repeat(codes, t))
        frame.insert(1, "year", np.tile(YEARS, n))
        frame.insert(2, "industry_code", industry)
        frame.insert(3, "region", frame["province_code"].map(PROVINCES))
        frames.append(frame)
    panel = pd.concat(frames, ignore_index=True)
    for v in ("vocal", "innov", *EXOG):
        panel[v] = np.exp(panel[f"ln_{v}"])
    grouped = panel.groupby(["industry_code", "province_code"], sort=False)
    for v in ("ln_vocal", "ln_innov"):
        panel[f"lag_{v}"] = grouped[v].shift(1)
    panel["null_reason"] = None
    return panel


def knock_out(panel: pd.DataFrame, variable: str, n: int, seed: int = 1) -> pd.DataFrame:
    """Set ``n`` rows of ``ln_<variable>`` to NULL as the mart does for a non-positive level."""
    rng = np.random.default_rng(seed)
    out = panel.copy()
    rows = rng.choice(out.index[out["industry_code"] == "T"], size=n, replace=False)
    out.loc[rows, variable] = 0.0
    out.loc[rows, f"ln_{variable}"] = np.nan
    out.loc[rows, "null_reason"] = f"{variable}_not_positive"
    return out
