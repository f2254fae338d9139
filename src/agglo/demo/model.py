"""The simulated structural model behind the demo yearbook extracts.

:func:`simulate` draws every exogenous yearbook quantity, solves the paper's equations (1)–(2) per
province × year × industry, and backs out the endogenous yearbook quantities (high-tech output and
new-product sales). The data-generating process is described in full in the package docstring
(:mod:`agglo.demo`) and in ``raw/demo/_truth/README.md``; the comments here point to its steps.

Units used throughout (the truth panel's columns carry them as suffixes): money in 亿元
(100 million yuan) unless a name says otherwise, population in 万人, road area in 万平方米,
foreign trade in 千美元, the exchange rate in 元/100美元, counts as plain numbers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from agglo.refdata import refdata
from estimation.published import REFERENCE_CSV, load_published

YEARS = tuple(range(2006, 2016))
INDUSTRIES = ("T1", "T2", "T3", "T4", "T5")
ALL_INDUSTRIES = ("T", *INDUSTRIES)
MID_YEAR = 2010.5

# -- published coefficients (Zhang, Tables 1–2, 3SLS, national; Tables 6–7, FE, national) ---------
# Read from the one copy of the paper's printed values, estimation/reference/
# published_coefficients.csv (estimation.published), never restated here.
AGGLOMERATION_TERMS = ("ln_innov", "ln_size", "ln_pgdp", "ln_open", "ln_infr")
INNOVATION_TERMS = ("ln_vocal", "ln_size", "ln_pgdp", "ln_open", "ln_educ")
MECHANISM_TERMS = ("ln_innov_x_deve", "ln_innov_x_know", "ln_vocal_x_tech", "ln_vocal_x_dim")


def published_coefficients(
    table: int, estimator: str, terms: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    """The paper's national coefficients of ``terms`` in ``table`` per industry (T, T1–T5)."""
    pub = load_published()
    rows = pub[
        (pub["table"] == table)
        & (pub["estimator"] == estimator)
        & (pub["sample_region"] == "national")
    ]
    out = {}
    for industry in ALL_INDUSTRIES:
        cells = rows[rows["sample_industry"] == industry].set_index("term")["coef"]
        missing = [t for t in terms if t not in cells.index]
        if missing:
            raise ValueError(
                f"{REFERENCE_CSV}: table {table}, {estimator} {industry} national has no row for "
                f"{missing}; the demo's data-generating process needs them"
            )
        out[industry] = {t: float(cells[t]) for t in terms}
    return out


# agglomeration eq (1), Table 2: const, ln innov, ln size, ln pgdp, ln open, ln infr
PUBLISHED_AGGLOMERATION = published_coefficients(2, "3sls", ("const", *AGGLOMERATION_TERMS))
# innovation eq (2), Table 1: const, ln vocal, ln size, ln pgdp, ln open, ln educ
PUBLISHED_INNOVATION = published_coefficients(1, "3sls", ("const", *INNOVATION_TERMS))
# mechanism interactions as published (Table 7: eq 3, Table 6: eq 4; FE), for reference:
# ln innov × deve, ln innov × know, ln vocal × tech, ln vocal × dim
_EQ3 = published_coefficients(7, "fe", MECHANISM_TERMS[:2])
_EQ4 = published_coefficients(6, "fe", MECHANISM_TERMS[2:])
PUBLISHED_MECHANISM = {industry: {**_EQ3[industry], **_EQ4[industry]} for industry in _EQ3}

# Departures from the published slopes, and why (the only ones).
# T3: published a1 * b1 = 0.468 * 2.433 = 1.139 >= 1. The two equations then have no stable
# equilibrium: the reduced form divides by 1 - a1*b1 = -0.139, which flips the sign of every
# exogenous effect and multiplies the errors by 7. The demo keeps b1 = 2.433 (Table 1) and uses
# a1 = 0.300 (a1*b1 = 0.73, as for T4). a1 of T3 is in any case practically unidentified: its only
# excluded instrument, ln educ, enters the innovation equation with b5 = 0.003.
SLOPE_OVERRIDES = {("agglomeration", "T3", "ln_innov"): 0.300}

# Structural errors e (agglomeration) and u (innovation): normal, i.i.d. over province-years, with
# per-industry sds and correlation calibrated to the paper's Tables 1–2 adjusted R² (calibrate.py,
# disturbances.csv).

# -- design of the exogenous variables ------------------------------------------------------------
# Common (national) log trends per year. g_open and the industry-specific enterprise-share trends
# are chosen so that the published slopes give trendless location quotients (see size_trend).
TREND = {"pgdp": 0.110, "open": -0.035, "infr": 0.055, "educ": 0.004}
# Cross-province dispersion of the 2006 anchors kept in the simulation (share of the log deviation).
# The published slopes turn realistic dispersion of openness (FIE trade/GDP spans 0.002-1.3) into
# location quotients spanning e^20, so openness and per-capita GDP are compressed.
COMPRESS = {"pgdp": 0.35, "open": 0.03, "enterprises": 0.6}
# Each equation has one excluded instrument (ln educ for eq 1, ln infr for eq 2) whose published
# coefficient is small (b5 = 0.05-0.16, a5 = 0.01-0.12), so their dispersion is widened beyond the
# real range (sd of the province effect, sd of the yearly deviation, in logs) for identification.
# With structural noise of the paper's size (calibrate.py) they were widened 3x more (from
# (0.40, 0.15) and (0.18, 0.12)): at the narrower values the slopes' z values were 0.1-0.5 where
# the paper prints about 2.
INSTRUMENT_SD = {"infr": (1.2, 0.45), "educ": (0.54, 0.36)}

# Province anchors: rough 2006 magnitudes, used only to give the simulated provinces a familiar
# ranking and size. population (万人), GDP per capita (元), FIE trade / GDP, industrial enterprises
# above designated size, industrial output / GDP.
ANCHORS = {
    "11": (1581, 50467, 0.55, 6900, 0.95), "12": (1075, 41163, 0.85, 5700, 1.90),
    "13": (6898, 16962, 0.04, 10500, 1.35), "14": (3375, 14123, 0.03, 4200, 1.20),
    "15": (2397, 20053, 0.02, 2900, 0.95), "21": (4271, 21788, 0.15, 13000, 1.40),
    "22": (2723, 15720, 0.06, 3300, 1.15), "23": (3823, 16195, 0.02, 3000, 0.80),
    "31": (1815, 57695, 1.40, 15500, 1.60), "32": (7550, 28814, 0.75, 42000, 2.20),
    "33": (4980, 31874, 0.28, 45000, 2.00), "34": (6110, 10055, 0.04, 6900, 1.00),
    "35": (3558, 21471, 0.45, 13000, 1.45), "36": (4339, 10798, 0.04, 4900, 1.05),
    "37": (9309, 23794, 0.17, 28000, 2.10), "41": (9392, 13313, 0.02, 13000, 1.30),
    "42": (5693, 13296, 0.04, 8500, 1.05), "43": (6342, 11950, 0.02, 9500, 0.90),
    "44": (9304, 28332, 1.00, 37000, 1.90), "45": (4719, 10296, 0.04, 4500, 0.80),
    "46": (836, 12654, 0.12, 400, 0.45), "50": (2808, 12457, 0.03, 3600, 1.00),
    "51": (8169, 10546, 0.03, 9000, 0.90), "52": (3757, 5787, 0.01, 2700, 0.85),
    "53": (4483, 8970, 0.02, 2600, 0.80), "54": (281, 10430, 0.01, 60, 0.15),
    "61": (3735, 12138, 0.03, 3300, 0.95), "62": (2606, 8757, 0.01, 1700, 1.00),
    "63": (548, 11762, 0.01, 400, 0.95), "64": (604, 11847, 0.03, 600, 1.20),
    "65": (2050, 15000, 0.02, 1700, 0.85),
}  # fmt: skip

# National paths (rough real magnitudes): industrial output of enterprises above designated size
# (亿元) and their number (the 2011 drop is the threshold rise from 5 to 20 million yuan revenue).
NATIONAL_INDUSTRIAL_OUTPUT = (316589, 405177, 507448, 548311, 698591, 844269, 929292, 1029150,
                              1092198, 1104027)  # fmt: skip
NATIONAL_ENTERPRISES = (301961, 336768, 426113, 434364, 452872, 325609, 343769, 352546, 377888,
                        383148)  # fmt: skip
# RMB per 100 USD, annual average (published rates, not simulated).
USD_RATE = {2000: 827.84, 2001: 827.70, 2002: 827.70, 2003: 827.70, 2004: 827.68, 2005: 819.17,
            2006: 797.18, 2007: 760.40, 2008: 694.51, 2009: 683.10, 2010: 676.95, 2011: 645.88,
            2012: 631.25, 2013: 619.32, 2014: 614.28, 2015: 622.84}  # fmt: skip

# Per industry: share of industrial output 2006 -> 2015 (log-linear), enterprises per industrial
# enterprise (at MID_YEAR), national new-product sales / GDP (at MID_YEAR), invention patents in
# force per enterprise in 2006, export delivery share of output.
OUTPUT_SHARE = {"T1": (0.0165, 0.0225), "T2": (0.0025, 0.0033), "T3": (0.066, 0.073),
                "T4": (0.046, 0.019), "T5": (0.0085, 0.0095)}  # fmt: skip
ENTERPRISE_SHARE = {"T1": 0.015, "T2": 0.0015, "T3": 0.025, "T4": 0.006, "T5": 0.011}
INNOV_LEVEL = {"T1": 0.0030, "T2": 0.0010, "T3": 0.013, "T4": 0.007, "T5": 0.0025}
PATENTS_PER_ENTERPRISE = {"T1": 0.6, "T2": 1.5, "T3": 1.2, "T4": 0.8, "T5": 0.5}
EXPORT_SHARE = {"T1": 0.12, "T2": 0.20, "T3": 0.55, "T4": 0.70, "T5": 0.30}

# Cells printed blank (missing) in the yearbooks: export delivery value of Tibet in every industry,
# of Qinghai and Ningxia in aircraft; FIE imports of Tibet 2006-2008.
BLANK_EXPORT_DELIVERY = {("54", i) for i in INDUSTRIES} | {("63", "T2"), ("64", "T2")}
BLANK_FIE_IMPORTS = {("54", y) for y in (2006, 2007, 2008)}

# Development-zone output is printed in 万元 up to this year and in 亿元 after it.
DZ_UNIT_CHANGE_YEAR = 2011


def printed(x, decimals: int):
    """Round as the yearbook prints (half away from zero on the decimal text)."""
    x = np.asarray(x, dtype=float)
    scale = 10.0**decimals
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale


@dataclass(frozen=True)
class Disturbance:
    """One industry's structural errors: sd of e (eq 1), sd of u (eq 2), their correlation.

    Calibrated to the paper's Tables 1–2 adjusted R² by :mod:`agglo.demo.calibrate`, which writes
    ``disturbances.csv`` beside this module (read by :func:`disturbances`).
    """

    sd_e: float
    sd_u: float
    corr: float


@dataclass(frozen=True)
class Coefficients:
    """True coefficients of one industry's system (eqs 1–2)."""

    industry: str
    a: dict[str, float]  # agglomeration: const + AGGLOMERATION_TERMS
    b: dict[str, float]  # innovation: const + INNOVATION_TERMS

    @property
    def determinant(self) -> float:
        return 1.0 - self.a["ln_innov"] * self.b["ln_vocal"]


def true_slopes(industry: str) -> tuple[dict[str, float], dict[str, float]]:
    """Published slopes of eqs (1)–(2), with :data:`SLOPE_OVERRIDES` applied (no constants)."""
    a = {k: PUBLISHED_AGGLOMERATION[industry][k] for k in AGGLOMERATION_TERMS}
    b = {k: PUBLISHED_INNOVATION[industry][k] for k in INNOVATION_TERMS}
    for (eq, ind, term), value in SLOPE_OVERRIDES.items():
        if ind == industry:
            (a if eq == "agglomeration" else b)[term] = value
    return a, b


def size_trend(industry: str) -> tuple[float, float]:
    """(trend of ln size, implied trend of ln innov) that make the industry's ln vocal trendless.

    With ln vocal flat, eq (2) gives g_innov = b2 g_size + b3 g_pgdp + b4 g_open + b5 g_educ and
    eq (1) requires 0 = a1 g_innov + a2 g_size + a3 g_pgdp + a4 g_open + a5 g_infr.
    """
    a, b = true_slopes(industry)
    g = TREND
    lhs = np.array([[-b["ln_size"], 1.0], [a["ln_size"], a["ln_innov"]]])
    rhs = np.array(
        [
            b["ln_pgdp"] * g["pgdp"] + b["ln_open"] * g["open"] + b["ln_educ"] * g["educ"],
            -(a["ln_pgdp"] * g["pgdp"] + a["ln_open"] * g["open"] + a["ln_infr"] * g["infr"]),
        ]
    )
    g_size, g_innov = np.linalg.solve(lhs, rhs)
    return float(g_size), float(g_innov)


DISTURBANCES_CSV = Path(__file__).with_name("disturbances.csv")


@functools.cache
def load_disturbances() -> dict[str, Disturbance]:
    """The calibrated disturbances per industry (``disturbances.csv``, see :mod:`.calibrate`)."""
    frame = pd.read_csv(DISTURBANCES_CSV).set_index("industry")
    missing = [i for i in INDUSTRIES if i not in frame.index]
    if missing:
        raise ValueError(
            f"{DISTURBANCES_CSV}: no row for {missing}; regenerate it with "
            "`python -m agglo.demo.calibrate`"
        )
    return {
        i: Disturbance(*(float(frame.loc[i, c]) for c in ("sd_e", "sd_u", "corr")))
        for i in INDUSTRIES
    }


def size_dispersion_scale(industry: str) -> float:
    """Divisor of the enterprise-share dispersion: the largest reduced-form effect of ln size.

    The published ln size slopes of T1, T3 and T5 multiply through the system into reduced-form
    effects of 2.4–4.2 on ln vocal or ln innov; dividing the dispersion by them keeps the location
    quotients in a plausible range.
    """
    a, b = true_slopes(industry)
    det = 1.0 - a["ln_innov"] * b["ln_vocal"]
    on_vocal = (a["ln_size"] + a["ln_innov"] * b["ln_size"]) / det
    on_innov = (b["ln_size"] + b["ln_vocal"] * a["ln_size"]) / det
    return max(1.0, abs(on_vocal), abs(on_innov))


@dataclass
class Simulation:
    """Everything the layouts and the truth files need."""

    seed: int
    province: pd.DataFrame  # one row per province_code × year: province-level quantities
    industry: pd.DataFrame  # one row per province_code × year × industry (T and T1–T5)
    coefficients: dict[str, Coefficients]
    intercepts: pd.DataFrame  # industry × year: alpha (eq 1 intercept) = a0 + tau

    def panel(self) -> pd.DataFrame:
        """The truth panel: province × year × industry with every variable and its sources."""
        return self.industry.merge(self.province, on=["province_code", "year"], how="left")


def simulate(seed: int = 20061231, *, disturbances: dict | None = None) -> Simulation:
    """Draw the demo world. Deterministic in ``seed`` (one NumPy generator, fixed draw order).

    ``disturbances`` (industry -> :class:`Disturbance`) replaces the calibrated ones of
    ``disturbances.csv`` (the calibration simulates without noise).
    """
    rng = np.random.default_rng(seed)
    rd = refdata()
    codes = list(rd.provinces)
    nj, years = len(codes), np.array(YEARS)
    nt = len(years)
    tau = years - YEARS[0]  # 0..9
    anchors = np.array([ANCHORS[c] for c in codes], dtype=float)
    pop06, pgdp06, open06, ent06, indint = anchors.T

    def dev(x):
        lx = np.log(x)
        return lx - lx.mean()

    pdev, odev = dev(pgdp06), dev(open06)

    def noise(sd, shape):
        return rng.normal(0.0, sd, shape)

    # -- step 1: province-level exogenous quantities (printed precision = truth) -----------------
    g_pop = 0.005 + noise(0.004, nj)
    pop = printed(pop06[:, None] * np.exp(np.outer(g_pop, tau) + noise(0.002, (nj, nt))), 0)
    ln_pgdp = (
        np.log(pgdp06).mean()
        + COMPRESS["pgdp"] * pdev[:, None]
        + TREND["pgdp"] * tau
        + np.outer(noise(0.008, nj), tau)
        + noise(0.015, (nj, nt))
    )
    gdp = printed(np.exp(ln_pgdp) * pop / 1e4, 2)  # 亿元 = (元/人) × 万人 / 1e4
    pgdp = gdp * 1e4 / pop  # 元 per person
    shares = (
        np.array([0.11, 0.48, 0.41])[None, :, None]
        * np.exp(np.column_stack([-0.6 * pdev, 0.1 * pdev, 0.3 * pdev]))[:, :, None]
        * np.exp(np.array([-0.04, 0.0, 0.015])[None, :, None] * tau)
    )
    shares = shares * np.exp(noise(0.03, shares.shape))
    shares /= shares.sum(axis=1, keepdims=True)
    gdp_sectors = printed(shares * gdp[:, None, :], 2)
    urban_share = np.clip(
        0.44 + 0.25 * pdev[:, None] + 0.012 * tau + noise(0.01, (nj, nt)), 0.2, 0.9
    )
    pop_urban = printed(pop * urban_share, 0)

    rate = np.array([USD_RATE[y] for y in YEARS])
    ln_open = (
        np.log(0.25)
        + COMPRESS["open"] * odev[:, None]
        + TREND["open"] * tau
        + noise(0.02, (nj, nt))
    )
    fie_trade = printed(np.exp(ln_open) * gdp * 1e8 / (rate / 100) / 1e3, 0)  # 千美元
    open_ = fie_trade * 1e3 * (rate / 100) / (gdp * 1e8)
    export_share = np.clip(0.55 + 0.05 * odev[:, None] + noise(0.03, (nj, nt)), 0.3, 0.8)
    fie_exports = printed(fie_trade * export_share, 0)
    fie_imports = fie_trade - fie_exports

    ln_infr = (
        np.log(3.1)
        + 0.3 * pdev[:, None]
        + noise(INSTRUMENT_SD["infr"][0], nj)[:, None]
        + TREND["infr"] * tau
        + noise(INSTRUMENT_SD["infr"][1], (nj, nt))
    )
    road_area = printed(np.exp(ln_infr) * pop, 0)  # 万平方米 = (m²/person) × 万人
    infr = road_area / pop  # m² per person
    water = printed(
        np.clip(88 + 8 * pdev[:, None] + 0.6 * tau + noise(1.5, (nj, nt)), 55, 100), 2
    )  # %

    students = printed(
        pop * 132 * np.exp(0.3 * pdev[:, None] + noise(0.3, nj)[:, None] + 0.045 * tau), 0
    )
    ln_ratio = (
        np.log(17.0)
        + noise(INSTRUMENT_SD["educ"][0], nj)[:, None]
        + TREND["educ"] * tau
        + noise(INSTRUMENT_SD["educ"][1], (nj, nt))
    )
    teachers = printed(students / np.exp(ln_ratio), 0)
    educ = students / teachers
    entrants = printed(students * np.exp(np.log(0.30) + noise(0.03, (nj, nt))), 0)
    graduates = printed(students * np.exp(np.log(0.23) + noise(0.03, (nj, nt))), 0)
    staff = printed(teachers * np.exp(np.log(1.6) + noise(0.04, (nj, nt))), 0)

    ent_path = np.array(NATIONAL_ENTERPRISES) / NATIONAL_ENTERPRISES[0]
    ln_ent = np.log(ent06.mean()) + COMPRESS["enterprises"] * dev(ent06)
    enterprises = printed(
        np.exp(ln_ent[:, None] + noise(0.03, (nj, nt))) * ent_path[None, :]
        * (NATIONAL_ENTERPRISES[0] / np.exp(ln_ent).sum()),
        0,
    )  # fmt: skip
    indint_jt = indint[:, None] * np.exp(noise(0.04, (nj, nt)))
    w0 = gdp * indint_jt
    w0 = w0 / w0.sum(axis=0)
    assets_ratio = np.exp(np.log(0.85) + noise(0.08, nj))[:, None] + np.zeros((1, nt))

    ln_deve = (
        np.log(0.20) + 0.8 * pdev[:, None] + noise(0.35, nj)[:, None] + 0.035 * tau
        + noise(0.05, (nj, nt))
    )  # fmt: skip
    etdz_output_100m = np.exp(ln_deve) * gdp
    etdz_printed = np.where(
        years[None, :] < DZ_UNIT_CHANGE_YEAR,
        printed(etdz_output_100m * 1e4, 0) / 1e4,  # printed in 万元, integer
        printed(etdz_output_100m, 2),  # printed in 亿元, 2 decimals
    )
    deve = etdz_printed / gdp
    zone_base = np.maximum(1, np.round(gdp[:, 0] / gdp[:, 0].sum() * 54))
    zone_path = np.array([54, 54, 54, 56, 90, 131, 171, 210, 215, 219]) / 54
    etdz_zones = np.maximum(1, printed(zone_base[:, None] * zone_path[None, :], 0))

    papers = printed(
        students * 0.03 * np.exp(noise(0.3, nj)[:, None] + 0.03 * tau + noise(0.04, (nj, nt))), 0
    )
    papers = np.maximum(papers, 20)
    ln_know = (
        np.log(0.8) + 0.3 * pdev[:, None] + noise(0.25, nj)[:, None] + 0.06 * tau
        + noise(0.05, (nj, nt))
    )  # fmt: skip
    citations = printed(papers * np.exp(ln_know), 0)
    know = citations / papers
    papers_abroad = printed(papers * np.clip(0.15 + 0.1 * pdev[:, None], 0.03, 0.5), 0)

    # -- step 2: industry-level exogenous quantities --------------------------------------------
    ni = len(INDUSTRIES)
    n_ent = np.zeros((nj, nt, ni))
    patents = np.zeros((nj, nt, ni))
    for k, ind in enumerate(INDUSTRIES):
        g_s, _ = size_trend(ind)
        scale = size_dispersion_scale(ind)
        ln_size = (
            np.log(ENTERPRISE_SHARE[ind])
            + g_s * (years - MID_YEAR)
            + (0.2 * pdev[:, None] + noise(0.35, nj)[:, None] + noise(0.06, (nj, nt))) / scale
        )
        n_ent[:, :, k] = np.maximum(1, printed(np.exp(ln_size) * enterprises, 0))
        ln_pat = (
            np.log(PATENTS_PER_ENTERPRISE[ind]) + 0.22 * tau + 0.5 * pdev[:, None]
            + noise(0.3, nj)[:, None] + noise(0.15, (nj, nt))
        )  # fmt: skip
        patents[:, :, k] = np.maximum(1, printed(n_ent[:, :, k] * np.exp(ln_pat), 0))
    size = n_ent / enterprises[:, :, None]

    # -- step 3: the structural system, solved per observation ----------------------------------
    sds = disturbances if disturbances is not None else load_disturbances()
    errors = np.zeros((nj, nt, ni, 2))
    for k, ind in enumerate(INDUSTRIES):
        d = sds[ind]
        cov = np.array(
            [[d.sd_e**2, d.corr * d.sd_e * d.sd_u], [d.corr * d.sd_e * d.sd_u, d.sd_u**2]]
        )
        errors[:, :, k] = rng.multivariate_normal([0.0, 0.0], cov, size=(nj, nt))
    regs = {
        "ln_pgdp": np.log(pgdp),
        "ln_open": np.log(open_),
        "ln_infr": np.log(infr),
        "ln_educ": np.log(educ),
    }
    national_q = np.array(NATIONAL_INDUSTRIAL_OUTPUT, dtype=float)
    ind_output = printed(w0 * national_q[None, :], 2)  # q_jt, 亿元
    weight = ind_output / ind_output.sum(axis=0)  # the LQ's output weights q_jt / Q_t
    assets = printed(ind_output * assets_ratio, 2)
    ln_vocal = np.zeros((nj, nt, ni))
    ln_innov = np.zeros((nj, nt, ni))
    coefficients: dict[str, Coefficients] = {}
    intercepts = []
    for k, ind in enumerate(INDUSTRIES):
        a, b = true_slopes(ind)
        a1, b1 = a["ln_innov"], b["ln_vocal"]
        det = 1.0 - a1 * b1
        x = dict(regs, ln_size=np.log(size[:, :, k]))
        e, u = errors[:, :, k, 0], errors[:, :, k, 1]
        big_a = sum(a[t] * x[t] for t in AGGLOMERATION_TERMS if t != "ln_innov") + e
        big_b = sum(b[t] * x[t] for t in INNOVATION_TERMS if t != "ln_vocal") + u
        v0 = (big_a + a1 * big_b) / det  # reduced form with zero intercepts
        i0 = (big_b + b1 * big_a) / det
        # The LQ identity sum_j w_jt LQ_ijt = 1 pins the eq (1) intercept of every industry-year:
        # with intercepts alpha_it (eq 1) and b0 (eq 2), ln vocal = v0 + (alpha_it + a1 b0) / det,
        # so (alpha_it + a1 b0) / det = c_it := -ln sum_j w_jt exp(v0_ijt), and then
        # ln innov = i0 + b0 + b1 c_it.
        c = -np.log(np.sum(weight * np.exp(v0), axis=0))  # (nt,)
        # b0: national new-product sales / GDP equals INNOV_LEVEL (geometric mean over years)
        b0 = round(
            float(
                np.log(INNOV_LEVEL[ind])
                - np.mean(np.log(np.sum(gdp * np.exp(i0 + b1 * c), axis=0) / gdp.sum(axis=0)))
            ),
            3,
        )
        alpha = det * c - a1 * b0
        a0 = round(float(alpha.mean()), 3)
        coefficients[ind] = Coefficients(ind, {"const": a0, **a}, {"const": b0, **b})
        ln_vocal[:, :, k] = v0 + (alpha + a1 * b0)[None, :] / det
        ln_innov[:, :, k] = i0 + b0 + b1 * c[None, :]
        intercepts.append(
            pd.DataFrame({"industry_code": ind, "year": YEARS, "alpha": alpha, "tau": alpha - a0})
        )
    lq = np.exp(ln_vocal)

    # -- step 4: endogenous yearbook quantities --------------------------------------------------
    share_i = np.array(
        [np.exp(np.interp(years, [2006, 2015], np.log(OUTPUT_SHARE[i]))) for i in INDUSTRIES]
    ).T  # (nt, ni)
    ht_output = lq * share_i[None, :, :] * ind_output[:, :, None]  # q_ijt, exact
    nps = np.exp(ln_innov) * gdp[:, :, None]  # new-product sales, 亿元, exact
    exp_share = np.array([EXPORT_SHARE[i] for i in INDUSTRIES])
    ln_xs = (
        np.log(exp_share)[None, None, :] + 0.1 * odev[:, None, None]
        + noise(0.3, (nj, 1, ni)) + noise(0.1, (nj, nt, ni))
    )  # fmt: skip
    export_delivery = ht_output * np.minimum(np.exp(ln_xs), 0.95)
    blank_x = np.zeros((nj, nt, ni), dtype=bool)
    for j, c in enumerate(codes):
        for k, ind in enumerate(INDUSTRIES):
            blank_x[j, :, k] = (c, ind) in BLANK_EXPORT_DELIVERY

    # -- assemble ---------------------------------------------------------------------------------
    pj = pd.MultiIndex.from_product([codes, YEARS], names=["province_code", "year"])
    blank_imports = np.array([[(c, y) in BLANK_FIE_IMPORTS for y in YEARS] for c in codes])
    province = pd.DataFrame(
        {
            "region": np.repeat([rd.region(c) for c in codes], nt),
            "gdp_100m_yuan": gdp.ravel(),
            "gdp_primary_100m_yuan": gdp_sectors[:, 0, :].ravel(),
            "gdp_secondary_100m_yuan": gdp_sectors[:, 1, :].ravel(),
            "gdp_tertiary_100m_yuan": gdp_sectors[:, 2, :].ravel(),
            "population_10k": pop.ravel(),
            "population_urban_10k": pop_urban.ravel(),
            "population_rural_10k": (pop - pop_urban).ravel(),
            "industrial_output_100m_yuan": ind_output.ravel(),
            "industrial_enterprises": enterprises.ravel(),
            "industrial_assets_100m_yuan": assets.ravel(),
            "fie_trade_1000usd": fie_trade.ravel(),
            "fie_exports_1000usd": fie_exports.ravel(),
            "fie_imports_1000usd": np.where(blank_imports, np.nan, fie_imports).ravel(),
            "usd_rate_yuan_per_100usd": np.tile(rate, nj),
            "road_area_10k_m2": road_area.ravel(),
            "water_coverage_pct": water.ravel(),
            "students": students.ravel(),
            "teachers": teachers.ravel(),
            "new_entrants": entrants.ravel(),
            "graduates": graduates.ravel(),
            "staff": staff.ravel(),
            "etdz_output_100m_yuan": etdz_printed.ravel(),
            "etdz_zones": etdz_zones.ravel(),
            "papers": papers.ravel(),
            "papers_abroad": papers_abroad.ravel(),
            "citations": citations.ravel(),
            "pgdp": pgdp.ravel(),
            "open": open_.ravel(),
            "infr": infr.ravel(),
            "educ": educ.ravel(),
            "deve": deve.ravel(),
            "know": know.ravel(),
        },
        index=pj,
    ).reset_index()

    frames = []
    for k, ind in enumerate(INDUSTRIES):
        frames.append(
            pd.DataFrame(
                {
                    "industry_code": ind,
                    "ht_output_100m_yuan": ht_output[:, :, k].ravel(),
                    "ht_export_delivery_100m_yuan": np.where(
                        blank_x[:, :, k], np.nan, export_delivery[:, :, k]
                    ).ravel(),
                    "new_product_sales_100m_yuan": nps[:, :, k].ravel(),
                    "ht_enterprises": n_ent[:, :, k].ravel(),
                    "invention_patents": patents[:, :, k].ravel(),
                    "e_agglomeration": errors[:, :, k, 0].ravel(),
                    "u_innovation": errors[:, :, k, 1].ravel(),
                },
                index=pj,
            ).reset_index()
        )
    ind_frame = pd.concat(frames, ignore_index=True)
    total = (
        ind_frame.groupby(["province_code", "year"], sort=False)[
            ["ht_output_100m_yuan", "new_product_sales_100m_yuan", "ht_enterprises",
             "invention_patents"]
        ].sum()
        .reset_index()
    )  # fmt: skip
    exports_total = ind_frame.groupby(["province_code", "year"], sort=False)[
        "ht_export_delivery_100m_yuan"
    ].sum(min_count=1)
    total["ht_export_delivery_100m_yuan"] = exports_total.to_numpy()
    total.loc[total["province_code"] == "54", "ht_export_delivery_100m_yuan"] = np.nan
    total["industry_code"] = "T"
    ind_frame = pd.concat([total, ind_frame], ignore_index=True)

    ind_frame = ind_frame.merge(
        province[
            ["province_code", "year", "industrial_output_100m_yuan", "industrial_enterprises",
             "gdp_100m_yuan"]
        ],
        on=["province_code", "year"],
    )  # fmt: skip
    ind_frame["ht_output_national_100m_yuan"] = ind_frame.groupby(["industry_code", "year"])[
        "ht_output_100m_yuan"
    ].transform("sum")
    ind_frame["industrial_output_national_100m_yuan"] = ind_frame.groupby(
        ["industry_code", "year"]
    )["industrial_output_100m_yuan"].transform("sum")
    ind_frame["vocal"] = (
        ind_frame["ht_output_100m_yuan"] / ind_frame["industrial_output_100m_yuan"]
    ) / (
        ind_frame["ht_output_national_100m_yuan"]
        / ind_frame["industrial_output_national_100m_yuan"]
    )
    ind_frame["innov"] = ind_frame["new_product_sales_100m_yuan"] / ind_frame["gdp_100m_yuan"]
    ind_frame["size"] = ind_frame["ht_enterprises"] / ind_frame["industrial_enterprises"]
    ind_frame["dim"] = ind_frame["size"]
    ind_frame["tech"] = ind_frame["invention_patents"]
    ind_frame = ind_frame.drop(
        columns=["industrial_output_100m_yuan", "industrial_enterprises", "gdp_100m_yuan"]
    )
    order = {c: n for n, c in enumerate(ALL_INDUSTRIES)}
    ind_frame = ind_frame.sort_values(
        ["province_code", "year", "industry_code"],
        key=lambda s: s.map(order) if s.name == "industry_code" else s,
    ).reset_index(drop=True)

    return Simulation(
        seed, province, ind_frame, coefficients, pd.concat(intercepts, ignore_index=True)
    )
