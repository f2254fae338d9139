"""The GMM computations behind :class:`estimation.gmm.DynamicPanelGMM`: one- and two-step
estimates, their covariances (classical, entity-clustered, Windmeijer-corrected), Sargan and
Hansen. The formulas are in the module docstring of :mod:`estimation.gmm`."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
from scipy import stats

from estimation._gmm_instruments import StackedRows


class SpecificationTest(NamedTuple):
    """A chi-square specification test (Sargan or Hansen)."""

    stat: float
    df: int
    pval: float
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name}: chi2({self.df}) = {self.stat:.3f}  Prob > chi2 = {self.pval:.3f}"


# ----------------------------------------------------------------------------------------------
# Linear algebra
# ----------------------------------------------------------------------------------------------
def check_rank(X: np.ndarray, names: list[str], rows: StackedRows) -> None:
    """Raise a ``ValueError`` naming collinear regressors if ``X`` is rank deficient."""
    norms = np.linalg.norm(X, axis=0)
    zero = [n for n, s in zip(names, norms, strict=True) if s == 0]
    if zero:
        hint = (
            " (time-invariant regressors are differenced away in difference GMM)"
            if rows.n_rows == rows.n_diff
            else ""
        )
        raise ValueError(
            f"Singular design: regressor(s) {', '.join(zero)} are zero in the estimation "
            f"sample{hint}"
        )
    Xs = X / norms
    if np.linalg.matrix_rank(Xs) == X.shape[1]:
        return
    keep: list[int] = []
    problems = []
    for j in range(X.shape[1]):
        if keep:
            coef, *_ = np.linalg.lstsq(Xs[:, keep], Xs[:, j], rcond=None)
            resid = Xs[:, j] - Xs[:, keep] @ coef
            if np.linalg.norm(resid) < 1e-8:
                group = [names[keep[i]] for i in np.nonzero(np.abs(coef) > 1e-8)[0]] + [names[j]]
                problems.append(
                    f"{', '.join(group)} are collinear (drop {names[j]} or another of them)"
                )
                continue
        keep.append(j)
    raise ValueError("Singular design (rank-deficient regressors): " + "; ".join(problems))


def _pinv_sym(a: np.ndarray) -> np.ndarray:
    """Moore–Penrose inverse of a symmetric PSD matrix (the inverse when it is non-singular)."""
    a = (a + a.T) / 2
    try:
        c = sla.cho_factor(a, lower=True, check_finite=False)
        inv = sla.cho_solve(c, np.eye(a.shape[0]), check_finite=False)
        if np.all(np.isfinite(inv)) and np.linalg.cond(a) < 1e12:
            return (inv + inv.T) / 2
    except (np.linalg.LinAlgError, ValueError):
        pass
    return np.linalg.pinv(a, hermitian=True)


def _bread(ZX: np.ndarray, A: np.ndarray, names: list[str]) -> np.ndarray:
    """``(X'Z A Z'X)^{-1}``, raising a clear error if the instruments do not identify the model."""
    m = ZX.T @ A @ ZX
    m = (m + m.T) / 2
    d = np.sqrt(np.abs(np.diag(m)))
    if np.any(d == 0):
        bad = [n for n, v in zip(names, d, strict=True) if v == 0]
        raise ValueError(
            f"Singular design: instruments are orthogonal to regressor(s) {', '.join(bad)}"
        )
    ms = m / np.outer(d, d)
    if np.linalg.cond(ms) > 1e13:
        w, v = np.linalg.eigh(ms)
        vec = v[:, 0]
        involved = [names[i] for i in np.nonzero(np.abs(vec) > 0.1)[0]]
        raise ValueError(
            "Singular design: the instruments do not separately identify the regressors "
            f"{', '.join(involved)} (X'ZAZ'X is rank deficient)."
        )
    inv = np.linalg.inv(ms) / np.outer(d, d)
    return (inv + inv.T) / 2


class Core(NamedTuple):
    params: np.ndarray
    cov: np.ndarray
    cov_type: str
    params_onestep: np.ndarray
    resid: np.ndarray
    sargan: SpecificationTest
    hansen: SpecificationTest
    sigma2: float
    ar_inputs: dict[str, Any]
    n_instruments: int


def estimate(
    y: np.ndarray,
    X: np.ndarray,
    Z: sp.csr_matrix,
    H: sp.csr_matrix,
    P: sp.csr_matrix,
    rows: StackedRows,
    names: list[str],
    two_step: bool,
    robust: bool,
) -> Core:
    n_inst, k = Z.shape[1], X.shape[1]
    Zt = Z.T.tocsr()
    ZX = np.asarray(Zt @ X)
    Zy = np.asarray(Zt @ y).ravel()
    ZHZ = (Zt @ (H @ Z)).toarray()
    A1 = _pinv_sym(ZHZ)

    M1 = _bread(ZX, A1, names)
    b1 = M1 @ (ZX.T @ (A1 @ Zy))
    u1 = y - X @ b1
    Zu1 = Zt @ u1

    def clustered_moments(u: np.ndarray) -> np.ndarray:
        """``S(u) = Σ_i Z_i'u_i u_i'Z_i`` via per-entity sums of ``Z ∘ u``."""
        g = P @ Z.multiply(u[:, None]).tocsr()
        return (g.T @ g).toarray()

    S1 = clustered_moments(u1)
    W2 = _pinv_sym(S1)
    nd = rows.n_diff
    # σ² of the level errors from the differenced residuals (Var Δε = 2σ²), with xtabond2's
    # degrees-of-freedom correction.
    sigma2 = float(u1[:nd] @ u1[:nd]) / (2.0 * max(nd - k, 1))

    df = n_inst - k
    sargan_stat = float(Zu1 @ A1 @ Zu1) / sigma2
    sargan = SpecificationTest(sargan_stat, df, _chi2_sf(sargan_stat, df), "Sargan")

    V1r = M1 @ ZX.T @ A1 @ S1 @ A1 @ ZX @ M1
    # Two-step estimate (also for one-step fits: Hansen's J is the minimized two-step criterion).
    # With fewer groups than moments the clustered weight matrix can be rank-deficient although the
    # one-step estimate is fine; a one-step fit then reports Hansen as not available (NaN).
    try:
        V2 = _bread(ZX, W2, names)
    except ValueError:
        if two_step:
            raise
        V2 = None
    if V2 is not None:
        b2 = V2 @ (ZX.T @ (W2 @ Zy))
        u2 = y - X @ b2
        Zu2 = Zt @ u2
        hansen_stat = float(Zu2 @ W2 @ Zu2)
    else:
        hansen_stat = float("nan")
    if not two_step:
        params, resid = b1, u1
        if robust:
            cov, cov_type = V1r, "one-step, entity-clustered (robust)"
        else:
            cov, cov_type = sigma2 * M1, "one-step, classical (homoskedastic)"
        bread, weight = M1, A1
    else:
        params, resid = b2, u2
        if robust:
            # Windmeijer (2005): D[:, k] = V2 X'Z W2 [Σ_i Z_i'(x_ik u1_i' + u1_i x_ik')Z_i] W2 Z'u2
            a = W2 @ Zu2
            za = Z @ a
            v = P @ (u1 * za)  # per entity u1_i' Z_i a
            gxa = P @ (X * za[:, None])  # per entity x_ik' Z_i a, (G, K)
            g = rows.group
            term = np.asarray(Zt @ (X * v[g][:, None])) + np.asarray(Zt @ (u1[:, None] * gxa[g]))
            D = V2 @ (ZX.T @ (W2 @ term))
            cov = V2 + D @ V2 + V2 @ D.T + D @ V1r @ D.T
            cov_type = "two-step, Windmeijer-corrected (robust)"
        else:
            cov, cov_type = V2, "two-step, uncorrected"
        bread, weight = V2, W2
    cov = (cov + cov.T) / 2
    hansen = SpecificationTest(hansen_stat, df, _chi2_sf(hansen_stat, df), "Hansen")
    ar_inputs = {
        "X": X,
        "Z": Z,
        "Zt": Zt,
        "ZX": ZX,
        "H": H,
        "P": P,
        "rows": rows,
        "bread": bread,
        "weight": weight,
        "empirical": two_step or robust,
    }
    return Core(params, cov, cov_type, b1, resid, sargan, hansen, sigma2, ar_inputs, n_inst)


def _chi2_sf(stat: float, df: int) -> float:
    return float(stats.chi2.sf(stat, df)) if df > 0 else float("nan")
