r"""Simulated panels with known parameters (the one place for simulated-panel generators).

Notes
-----
:func:`simulate_dynamic_panel` draws the standard dynamic panel

.. math::
    y_{it} = \rho\, y_{i,t-1} + x_{it}'\beta + \mu_i + \varepsilon_{it}, \qquad
    x_{it} = \kappa\,\mu_i + v_{it}, \quad v_{it} = \phi\, v_{i,t-1} + \xi_{it},

with :math:`\mu_i \sim N(0, \sigma_\mu^2)`,
:math:`\varepsilon_{it} \sim N(0, \sigma_{\varepsilon,i}^2)` serially independent, and :math:`v` a
stationary AR(1) with unit variance, independent of :math:`\varepsilon` (so :math:`x` is strictly
exogenous but correlated with the fixed effect through :math:`\kappa`).

The process starts ``burn_in`` periods before the first reported one at its conditional mean
:math:`E[y_{it}\mid\mu_i] = (1 + \kappa\sum_j\beta_j)\,\mu_i/(1-\rho)` plus a draw from the
stationary deviation distribution, so it is *mean-stationary*: :math:`E[\Delta y_{it}\mid\mu_i] = 0`
and :math:`E[\Delta x_{it}\mid\mu_i] = 0` for every reported period. These are the Blundell–Bond
conditions under which lagged differences are valid instruments for the level equation, so both
difference and system GMM are consistent on these panels (``x`` should enter system GMM through
GMM-style or level-free instruments, since its *level* is correlated with :math:`\mu_i`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "knock_out",
    "simulate_dynamic_panel",
    "simulate_knowledge_production",
    "simulate_system_panel",
]


def simulate_dynamic_panel(
    n_units: int,
    n_periods: int,
    rho: float = 0.5,
    beta: float | Sequence[float] = 1.0,
    seed: int | np.random.Generator | None = None,
    *,
    sigma_mu: float = 1.0,
    sigma_eps: float = 1.0,
    x_rho: float = 0.5,
    x_mu_corr: float = 0.5,
    burn_in: int = 50,
    heteroskedastic: bool = False,
    unbalanced: float = 0.0,
    gaps: float = 0.0,
    first_period: int = 2000,
    return_effects: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.Series]:
    """Simulate an AR(1)-with-exogenous-regressors panel with unit fixed effects.

    Parameters
    ----------
    n_units, n_periods : int
        Number of entities and of reported periods (before any unbalancing).
    rho : float
        Autoregressive coefficient, ``|rho| < 1``.
    beta : float or sequence of float
        Coefficients on the exogenous regressors: a scalar gives one column ``x``, a sequence of
        length ``m`` gives ``x1 .. xm``.
    seed : int or numpy Generator, optional
        Random seed (results are reproducible for a given seed).
    sigma_mu, sigma_eps : float
        Standard deviations of the fixed effect and of the idiosyncratic error.
    x_rho : float
        AR(1) coefficient of the regressors' time-varying part (unit variance).
    x_mu_corr : float
        Loading ``kappa`` of the regressors on the fixed effect.
    burn_in : int
        Periods simulated and discarded before the first reported period.
    heteroskedastic : bool
        If True, each unit's error standard deviation is ``sigma_eps`` times a factor drawn
        uniformly from ``[0.5, 1.5]``.
    unbalanced : float
        Share of units whose first one or two periods and possibly last period are removed.
    gaps : float
        Share of units with one interior period removed (a gap).
    first_period : int
        Label of the first reported period.
    return_effects : bool
        Also return the drawn fixed effects (a Series ``mu`` indexed by unit).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(unit, year)``, columns ``y`` and the regressors. ``df.attrs["true_params"]``
        holds the true coefficients keyed as :class:`estimation.gmm.DynamicPanelGMM` names them
        (``L1.y``, ``x`` / ``x1`` ...), and ``df.attrs["dgp"]`` the generator's arguments.
        With ``return_effects``, the tuple ``(df, mu)``.
    """
    if not -1 < rho < 1:
        raise ValueError("rho must satisfy |rho| < 1 for a stationary process")
    if not -1 < x_rho < 1:
        raise ValueError("x_rho must satisfy |x_rho| < 1")
    if n_units < 1 or n_periods < 1 or burn_in < 0:
        raise ValueError("n_units and n_periods must be positive and burn_in non-negative")
    if not (0 <= unbalanced <= 1 and 0 <= gaps <= 1):
        raise ValueError("unbalanced and gaps are shares in [0, 1]")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    scalar_beta = np.ndim(beta) == 0
    b = np.atleast_1d(np.asarray(beta, dtype=float))
    m = len(b)
    x_names = ["x"] if scalar_beta else [f"x{j + 1}" for j in range(m)]

    n, total = n_units, burn_in + n_periods
    mu = rng.normal(0.0, sigma_mu, n)
    scale = rng.uniform(0.5, 1.5, n) if heteroskedastic else np.ones(n)
    sig = sigma_eps * scale

    # regressors: kappa*mu + stationary unit-variance AR(1)
    v = np.empty((n, total, m))
    v[:, 0] = rng.normal(size=(n, m))
    innov_sd = np.sqrt(1.0 - x_rho**2)
    for t in range(1, total):
        v[:, t] = x_rho * v[:, t - 1] + innov_sd * rng.normal(size=(n, m))
    x = x_mu_corr * mu[:, None, None] + v

    # y: start at its conditional mean plus an approximately stationary deviation
    y = np.empty((n, total))
    mean_y = (1.0 + x_mu_corr * b.sum()) * mu / (1.0 - rho)
    y_prev = mean_y + rng.normal(0.0, 1.0, n) * sig / np.sqrt(1.0 - rho**2)
    eps = rng.normal(size=(n, total)) * sig[:, None]
    for t in range(total):
        y[:, t] = rho * y_prev + x[:, t] @ b + mu + eps[:, t]
        y_prev = y[:, t]

    y, x = y[:, burn_in:], x[:, burn_in:]
    keep = np.ones((n, n_periods), dtype=bool)
    if unbalanced > 0:
        units = rng.random(n) < unbalanced
        k_start = rng.integers(1, 3, n)
        k_end = rng.integers(0, 2, n)
        for i in np.nonzero(units)[0]:
            keep[i, : k_start[i]] = False
            if k_end[i]:
                keep[i, n_periods - k_end[i] :] = False
    if gaps > 0 and n_periods >= 5:
        units = rng.random(n) < gaps
        where = rng.integers(2, n_periods - 2, n)
        keep[units, where[units]] = False

    ii, tt = np.nonzero(keep)
    index = pd.MultiIndex.from_arrays([ii, first_period + tt], names=["unit", "year"])
    df = pd.DataFrame({"y": y[ii, tt]}, index=index)
    for j, name in enumerate(x_names):
        df[name] = x[ii, tt, j]
    df.attrs["true_params"] = {
        "L1.y": float(rho),
        **{nm: float(bj) for nm, bj in zip(x_names, b, strict=True)},
    }
    df.attrs["dgp"] = {
        "n_units": n_units,
        "n_periods": n_periods,
        "rho": float(rho),
        "beta": b.tolist(),
        "sigma_mu": sigma_mu,
        "sigma_eps": sigma_eps,
        "x_rho": x_rho,
        "x_mu_corr": x_mu_corr,
        "burn_in": burn_in,
        "heteroskedastic": heteroskedastic,
        "unbalanced": unbalanced,
        "gaps": gaps,
    }
    if return_effects:
        return df, pd.Series(mu, index=pd.RangeIndex(n, name="unit"), name="mu")
    return df


# -- the paper's simultaneous system (eqs 1-2) on a mart-shaped panel -------------------------
#
# The structural model is eqs (1)-(2) with known coefficients, solved for its reduced form:
#
#   ln_vocal = A0 + A1 ln_innov + A_size ln_size + A_pgdp ln_pgdp + A_open ln_open + A_infr ln_infr
#              + alpha_i + e
#   ln_innov = B0 + B1 ln_vocal + B_size ln_size + B_pgdp ln_pgdp + B_open ln_open + B_educ ln_educ
#              + eta_i + u
#
# with (e, u) correlated across equations and, optionally, province effects (alpha_i, eta_i)
# correlated with the regressors. The mechanism variables (deve, know, tech, dim) are exogenous
# noise with province means; they do not enter the model (their interactions have true
# coefficient 0).


YEARS = tuple(range(2006, 2016))
INDUSTRIES = ("T", "T1", "T2", "T3", "T4", "T5")
EXOG = ("size", "pgdp", "open", "infr", "educ", "deve", "know", "tech", "dim")

AGGLOMERATION = {"const": 0.5, "ln_innov": 0.3, "ln_size": 0.8, "ln_pgdp": 0.2, "ln_open": 0.4,
                 "ln_infr": -0.3}  # fmt: skip
INNOVATION = {"const": -1.0, "ln_vocal": 0.6, "ln_size": -0.4, "ln_pgdp": 0.5, "ln_open": 0.3,
              "ln_educ": 0.7}  # fmt: skip


def simulate_system_panel(
    seed: int = 0,
    *,
    regions: Mapping[str, str],
    industries: tuple[str, ...] = INDUSTRIES,
    effects: bool = False,
    error_corr: float = 0.5,
    sigma: float = 0.3,
) -> pd.DataFrame:
    """A panel shaped like ``marts.fct_estimation_panel``, drawn from eqs (1)-(2).

    Parameters
    ----------
    seed : int
        Random seed (the panel is reproducible for a given seed and ``regions``).
    regions : mapping of str to str
        Province code → region (``east``, ``central``, ``west``), in the order the provinces are
        drawn: the caller's reference data (the project's province seed), which this library does
        not read itself.
    industries : tuple of str
        Industry codes; one block of provinces × years per industry.
    effects : bool
        Add province effects correlated with the regressors' province means.
    error_corr, sigma : float
        Correlation and standard deviation of the two structural errors.
    """
    if not regions:
        raise ValueError("regions must map at least one province code to its region")
    rng = np.random.default_rng(seed)
    regions = dict(regions)
    codes = list(regions)
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
        frame.insert(3, "region", frame["province_code"].map(regions))
        frames.append(frame)
    panel = pd.concat(frames, ignore_index=True)
    for v in ("vocal", "innov", *EXOG):
        panel[v] = np.exp(panel[f"ln_{v}"])
    grouped = panel.groupby(["industry_code", "province_code"], sort=False)
    for v in ("ln_vocal", "ln_innov"):
        panel[f"lag_{v}"] = grouped[v].shift(1)
    panel["null_reason"] = None
    return panel


#: ``null_reason`` code the mart writes for a variable whose level is not positive (its log is
#: NULL). The mart's codes are ``<variable>_missing`` and ``<variable>_not_positive``, several
#: joined by ``"; "``; the simulator only ever emits this one.
NOT_POSITIVE = "{variable}_not_positive"
NULL_REASON_SEPARATOR = "; "


def knock_out(panel: pd.DataFrame, variable: str, n: int, seed: int = 1) -> pd.DataFrame:
    """Set ``n`` rows of industry T to a zero level of ``variable`` (a base name such as ``tech``),
    with ``ln_<variable>`` NULL and the code ``<variable>_not_positive`` added to ``null_reason``,
    as the mart does for a non-positive level."""
    if variable not in EXOG:
        raise ValueError(f"unknown variable {variable!r}: knock_out takes one of {EXOG}")
    rng = np.random.default_rng(seed)
    out = panel.copy()
    rows = rng.choice(out.index[out["industry_code"] == "T"], size=n, replace=False)
    out.loc[rows, variable] = 0.0
    out.loc[rows, f"ln_{variable}"] = np.nan
    code = NOT_POSITIVE.format(variable=variable)
    before = out.loc[rows, "null_reason"]
    out.loc[rows, "null_reason"] = [
        code if r is None or pd.isna(r) or r == "" else f"{r}{NULL_REASON_SEPARATOR}{code}"
        for r in before
    ]
    return out


def simulate_knowledge_production(
    seed: int = 0,
    *,
    provinces: Sequence[str] | None = None,
    years: Sequence[int] = tuple(range(2012, 2024)),
    elasticities: tuple[float, float] = (0.4, 0.5),
    gaps: float = 0.1,
    sigma: float = 0.15,
    n_zero_grants: int = 0,
) -> pd.DataFrame:
    r"""A panel shaped like ``marts.fct_innovation_indicators`` with known elasticities.

    Notes
    -----
    For province :math:`i` and year :math:`t`, with :math:`(\beta_L, \beta_K)` = ``elasticities``

    .. math::
        \ln P_{it} = c + \alpha_i + \gamma_t + \beta_L \ln L_{it} + \beta_K \ln K_{it}
            + \varepsilon_{it}, \qquad \varepsilon_{it} \sim N(0, \sigma^2),

    where :math:`P` is ``patent_grants``, :math:`L` ``rd_personnel_fte`` and :math:`K`
    ``rd_expenditure``. The R&D inputs are correlated with the province effect :math:`\alpha_i`
    and trend with the year (so pooled OLS is biased and two-way FE is not), and with each other
    (correlation about 0.6 within provinces). A share ``gaps`` of province-years is removed at
    random (the panel is unbalanced with gaps, as the real mart is), and ``n_zero_grants`` rows get
    ``patent_grants = 0`` (a non-positive value the sample must drop and count).

    Returns
    -------
    DataFrame
        ``province_code, year, region, patent_grants, patent_applications, rd_personnel_fte,
        rd_expenditure, rd_intensity_pct``, one row per province × year kept.
    """
    rng = np.random.default_rng(seed)
    codes = list(provinces) if provinces is not None else [f"P{i:02d}" for i in range(1, 32)]
    n, t = len(codes), len(years)
    alpha = rng.normal(0.0, 1.0, n)
    gamma = np.cumsum(rng.normal(0.05, 0.05, t))
    trend = np.arange(t) / max(t - 1, 1)
    shock_l = rng.normal(0.0, 0.3, (n, t))
    shock_k = 0.6 * shock_l + 0.8 * rng.normal(0.0, 0.3, (n, t))
    ln_l = 9.0 + 0.8 * alpha[:, None] + 0.5 * trend[None, :] + shock_l
    ln_k = 21.0 + 0.9 * alpha[:, None] + 0.8 * trend[None, :] + shock_k
    b_l, b_k = elasticities
    noise = rng.normal(0.0, sigma, (n, t))
    ln_p = 8.0 + alpha[:, None] + gamma[None, :] + b_l * (ln_l - 9.0) + b_k * (ln_k - 21.0) + noise
    belts = ("east", "central", "west")
    frame = pd.DataFrame(
        {
            "province_code": np.repeat(codes, t),
            "year": np.tile(np.asarray(years, dtype=int), n),
            "region": np.repeat([belts[i % 3] for i in range(n)], t),
            "patent_grants": np.exp(ln_p).ravel(),
            "rd_personnel_fte": np.exp(ln_l).ravel(),
            "rd_expenditure": np.exp(ln_k).ravel(),
        }
    )
    frame["patent_applications"] = frame["patent_grants"] * rng.uniform(1.5, 2.5, len(frame))
    frame["rd_intensity_pct"] = rng.uniform(0.5, 3.0, len(frame))
    keep = rng.uniform(size=len(frame)) >= gaps
    frame = frame[keep].reset_index(drop=True)
    if n_zero_grants:
        rows = rng.choice(frame.index, size=n_zero_grants, replace=False)
        frame.loc[rows, "patent_grants"] = 0.0
    return frame
