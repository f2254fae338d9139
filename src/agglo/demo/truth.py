"""The ground truth written beside the demo extracts (``raw/demo/_truth/``).

* ``parameters.csv`` — every true coefficient (tidy: equation, industry, term, true_value, …).
* ``intercepts.csv`` — the eq (1) intercept of every industry-year (``alpha = const + tau``).
* ``panel.csv`` — one row per province × year × industry (T, T1–T5): every model variable in levels
  and the yearbook quantities it is computed from.
* ``province_year.csv`` — every printed province-level quantity (one row per province × year).
* ``reference_estimates.csv`` — eqs (1)–(2) estimated on ``panel.csv`` with the paper's
  specification (what the estimation layer should reproduce from the loaded demo files).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.linalg import solve_triangular

from agglo.demo import model

REPLICATIONS = 30  # simulations (seeds seed+1 … seed+30) behind parameters.csv's sampling_sd
FLOAT_FORMAT = "%.10g"

PANEL_COLUMNS = [
    "province_code", "region", "year", "industry_code",
    # model variables, levels
    "vocal", "innov", "size", "pgdp", "open", "infr", "educ", "deve", "know", "tech", "dim",
    # yearbook quantities they come from
    "ht_output_100m_yuan", "ht_output_national_100m_yuan", "industrial_output_100m_yuan",
    "industrial_output_national_100m_yuan", "new_product_sales_100m_yuan", "gdp_100m_yuan",
    "ht_enterprises", "industrial_enterprises", "invention_patents", "population_10k",
    "fie_trade_1000usd", "usd_rate_yuan_per_100usd", "road_area_10k_m2", "students", "teachers",
    "etdz_output_100m_yuan", "papers", "citations", "ht_export_delivery_100m_yuan",
    # structural errors (T1–T5)
    "e_agglomeration", "u_innovation",
]  # fmt: skip

EXOGENOUS = ("ln_size", "ln_pgdp", "ln_open", "ln_infr", "ln_educ")


def panel_frame(sim: model.Simulation) -> pd.DataFrame:
    return sim.panel()[PANEL_COLUMNS]


def _logs(frame: pd.DataFrame) -> pd.DataFrame:
    cols = ["vocal", "innov", "size", "pgdp", "open", "infr", "educ"]
    return np.log(frame[cols]).add_prefix("ln_")


def two_sls(panel: pd.DataFrame, industry: str) -> dict[str, tuple[dict, dict]]:
    """Eqs (1) and (2) by 2SLS (= 3SLS: each equation is exactly identified) with one constant.

    Instruments: the system's exogenous variables (ln size, ln pgdp, ln open, ln infr, ln educ).
    Returns {equation: (estimates, standard errors)} keyed by term (``const`` first).

    Solved by QR rather than the normal equations: T3's eq (1) is nearly unidentified (condition
    number of the projected regressors ≈ 1e6), and squaring that made the printed estimates depend
    on the machine's BLAS kernel from the 5th significant digit.
    """
    d = _logs(panel[panel["industry_code"] == industry])
    n = len(d)
    z = np.column_stack([np.ones(n), d[list(EXOGENOUS)].to_numpy()])
    q_z = np.linalg.qr(z)[0]
    out = {}
    specs = {
        "agglomeration": ("ln_vocal", ["ln_innov", "ln_size", "ln_pgdp", "ln_open", "ln_infr"]),
        "innovation": ("ln_innov", ["ln_vocal", "ln_size", "ln_pgdp", "ln_open", "ln_educ"]),
    }
    for eq, (dep, regs) in specs.items():
        x = np.column_stack([np.ones(n), d[regs].to_numpy()])
        y = d[dep].to_numpy()
        xhat = q_z @ (q_z.T @ x)  # projection on the instruments
        q, r = np.linalg.qr(xhat)
        beta = solve_triangular(r, q.T @ y)  # (X̂'X̂)⁻¹X̂'y, and X̂'X̂ = X̂'X
        resid = y - x @ beta
        sigma2 = resid @ resid / n
        r_inv = solve_triangular(r, np.eye(r.shape[0]))
        se = np.sqrt(sigma2 * (r_inv**2).sum(axis=1))  # diag((R'R)⁻¹) = row norms² of R⁻¹
        terms = ["const", *regs]
        out[eq] = (dict(zip(terms, beta, strict=True)), dict(zip(terms, se, strict=True)))
    return out


DEPENDENT = {"agglomeration": "ln_vocal", "innovation": "ln_innov"}


def adjusted_r2(panel: pd.DataFrame, industry: str, equation: str, estimates: dict) -> float:
    """Adjusted R² of one equation at ``estimates`` (structural residuals, as Stata's reg3)."""
    d = _logs(panel[panel["industry_code"] == industry])
    terms = [t for t in estimates if t != "const"]
    y = d[DEPENDENT[equation]].to_numpy()
    resid = y - estimates["const"] - d[terms].to_numpy() @ np.array([estimates[t] for t in terms])
    n, k = len(y), len(estimates)
    r2 = 1 - resid @ resid / ((y - y.mean()) @ (y - y.mean()))
    return float(1 - (1 - r2) * (n - 1) / (n - k))


def reference_estimates(sim: model.Simulation) -> pd.DataFrame:
    panel = sim.panel()
    rows = []
    for ind in model.ALL_INDUSTRIES:
        fits = two_sls(panel, ind)
        for eq, (est, se) in fits.items():
            coefs = sim.coefficients.get(ind)
            true = (coefs.a if eq == "agglomeration" else coefs.b) if coefs else {}
            for term in est:
                rows.append(
                    {
                        "equation": eq,
                        "industry": ind,
                        "term": term,
                        "estimate": est[term],
                        "std_error": se[term],
                        "true_value": true.get(term, np.nan),
                    }
                )
    return pd.DataFrame(rows)


def sampling_sd(seed: int, replications: int = REPLICATIONS) -> pd.DataFrame:
    """sd over simulations of the 2SLS estimate's error (estimate − truth), per coefficient."""
    rows = []
    for r in range(1, replications + 1):
        sim = model.simulate(seed + r)
        panel = sim.panel()
        for ind in model.INDUSTRIES:
            for eq, (est, _) in two_sls(panel, ind).items():
                true = sim.coefficients[ind].a if eq == "agglomeration" else sim.coefficients[ind].b
                for term, value in est.items():
                    rows.append((eq, ind, term, value - true[term]))
    errors = pd.DataFrame(rows, columns=["equation", "industry", "term", "error"])
    sd = errors.groupby(["equation", "industry", "term"])["error"].std()
    return sd.map(lambda x: float(f"{x:.3g}")).rename("sampling_sd").reset_index()


_AGG_NOTE = "published Table 2 (3SLS, national), eq (1)"
_INN_NOTE = "published Table 1 (3SLS, national), eq (2)"


def parameters_frame(sim: model.Simulation, replications: int = REPLICATIONS) -> pd.DataFrame:
    rows = []
    overrides = model.SLOPE_OVERRIDES
    for ind in model.ALL_INDUSTRIES:
        coefs = sim.coefficients.get(ind)
        for eq, terms, published, table in (
            ("agglomeration", model.AGGLOMERATION_TERMS, model.PUBLISHED_AGGLOMERATION, 2),
            ("innovation", model.INNOVATION_TERMS, model.PUBLISHED_INNOVATION, 1),
        ):
            true = (coefs.a if eq == "agglomeration" else coefs.b) if coefs else None
            for term in ("const", *terms):
                pub = published[ind][term]
                if true is None:
                    value, note = (
                        np.nan,
                        (
                            "T is the sum of T1-T5 (output, new-product sales, enterprises, "
                            "patents); no structural equation generates it, so it has no true "
                            "coefficient"
                        ),
                    )
                elif term == "const":
                    value = true[term]
                    note = (
                        "calibrated so that levels are realistic (not the published constant); "
                        "for eq (1) the mean over years of the industry-year intercept alpha_it "
                        "(intercepts.csv); valid for the units of panel.csv"
                        if eq == "agglomeration"
                        else "calibrated so that national new-product sales / GDP is realistic "
                        "(not the published constant); valid for the units of panel.csv"
                    )
                elif (eq, ind, term) in overrides:
                    value = true[term]
                    note = (
                        f"MODIFIED from the published {pub}: the published pair gives "
                        "a1*b1 >= 1 (no stable equilibrium); see README"
                    )
                else:
                    value = true[term]
                    note = _AGG_NOTE if eq == "agglomeration" else _INN_NOTE
                rows.append((eq, ind, term, value, pub, table, note))
            extra = (
                ("ln_innov_x_deve", "ln_innov_x_know", "lag_ln_vocal")
                if eq == "agglomeration"
                else ("ln_vocal_x_tech", "ln_vocal_x_dim", "lag_ln_innov")
            )
            for term in extra:
                mech = model.PUBLISHED_MECHANISM[ind].get(term, np.nan)
                pub_table = (7 if eq == "agglomeration" else 6) if "_x_" in term else np.nan
                if true is None:
                    value, note = np.nan, "T has no structural equation"
                elif "_x_" in term:
                    value = 0.0
                    note = (
                        "not in the DGP: eqs (3)-(4) interactions have true coefficient 0 "
                        "(mechanism variables are exogenous and do not enter the model)"
                    )
                else:
                    value, note = 0.0, "not in the DGP: the model is static"
                rows.append((eq, ind, term, value, mech, pub_table, note))
        if coefs:
            dist = model.load_disturbances()[ind]
            calibrated = "calibrated to the paper's adjusted R2 of Tables 1-2 (see README)"
            iid = "normal, i.i.d. over province-years"
            rows += [
                ("agglomeration", ind, "error_sd", dist.sd_e, np.nan, np.nan,
                 f"sd of e ({iid}); {calibrated}"),
                ("innovation", ind, "error_sd", dist.sd_u, np.nan, np.nan,
                 f"sd of u ({iid}); {calibrated}"),
                ("system", ind, "error_corr", dist.corr, np.nan, np.nan,
                 f"correlation of e and u; {calibrated}"),
            ]  # fmt: skip
    frame = pd.DataFrame(
        rows,
        columns=[
            "equation", "industry", "term", "true_value", "published_value",
            "published_table", "note",
        ],
    )  # fmt: skip
    if replications:
        frame = frame.merge(
            sampling_sd(sim.seed, replications), on=["equation", "industry", "term"], how="left"
        )
        cols = list(frame.columns)
        cols.insert(cols.index("published_value"), cols.pop(cols.index("sampling_sd")))
        frame = frame[cols]
    frame["published_table"] = frame["published_table"].astype("Int64")
    return frame


def intercepts_frame(sim: model.Simulation) -> pd.DataFrame:
    frame = sim.intercepts.copy()
    frame["const"] = frame["industry_code"].map(
        {i: c.a["const"] for i, c in sim.coefficients.items()}
    )
    return frame[["industry_code", "year", "const", "tau", "alpha"]]


def province_year_frame(sim: model.Simulation) -> pd.DataFrame:
    return sim.province.copy()


def write_csv(frame: pd.DataFrame, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = frame.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
    path.write_bytes(text.encode("utf-8"))
