"""Simultaneous equations by three-stage least squares (linearmodels ``IV3SLS``).

Notes
-----
For equations :math:`y_g = X_g \\beta_g + u_g`, :math:`g = 1..G`, with instruments :math:`Z` — here
all exogenous variables of the system plus the constant, in every equation — 3SLS is

.. math::

    \\hat\\beta = [\\hat X' (\\hat\\Sigma^{-1} \\otimes I_n) \\hat X]^{-1}
                 \\hat X' (\\hat\\Sigma^{-1} \\otimes I_n) y,
    \\qquad \\hat X_g = Z (Z'Z)^{-1} Z' X_g,

with :math:`\\hat\\Sigma` the covariance of the 2SLS residuals. When every equation is exactly
identified (as the paper's eqs 1–2 are: one excluded exogenous variable per endogenous regressor),
:math:`\\hat X_g = Z A_g` with :math:`A_g` square and invertible, the weighting drops out and 3SLS
equals 2SLS equation by equation, coefficients and (homoskedastic) standard errors alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from linearmodels.system import IV3SLS
from linearmodels.system.results import SystemResults

from estimation.errors import EstimationError
from estimation.sample import check_full_rank
from estimation.spec import CONST, Covariance, Equation

UNADJUSTED = Covariance("unadjusted")


def system_equations(
    data: pd.DataFrame, equations: Sequence[Equation], exogenous: Sequence[str]
) -> dict[str, dict[str, pd.DataFrame | pd.Series]]:
    """linearmodels' equation dict (``dependent``, ``exog``, ``endog``, ``instruments`` each).

    A regressor is endogenous when it is the dependent of another equation of the system; the
    instruments of an equation are the system's exogenous variables it does not include itself.
    """
    dependents = {eq.dependent for eq in equations}
    out = {}
    for eq in equations:
        exog = [CONST] + [r for r in eq.regressors if r not in dependents]
        endog = [r for r in eq.regressors if r in dependents]
        instruments = [v for v in exogenous if v not in exog]
        if len(instruments) < len(endog):
            raise EstimationError(
                f"equation {eq.label!r} is under-identified: {len(endog)} endogenous regressor(s) "
                f"({', '.join(endog)}) but only {len(instruments)} excluded instrument(s) "
                f"({', '.join(instruments)})"
            )
        check_full_rank(data[exog + endog], f"equation {eq.label!r}")
        out[eq.label] = {
            "dependent": data[eq.dependent],
            "exog": data[exog],
            "endog": data[endog] if endog else None,
            "instruments": data[instruments] if instruments else None,
        }
    return out


def fit_3sls(
    data: pd.DataFrame,
    equations: Sequence[Equation],
    exogenous: Sequence[str],
    *,
    cov: Covariance = UNADJUSTED,
) -> SystemResults:
    """Fit the system by 3SLS (GLS, full cross-equation covariance).

    Parameters
    ----------
    data : DataFrame
        One row per observation, with every variable of the system and ``const``.
    equations : sequence of Equation
        The system's equations; results are labelled by ``Equation.label``.
    exogenous : sequence of str
        All exogenous variables of the system (the instruments of every equation).
    cov : Covariance
        ``unadjusted`` (homoskedastic), ``robust``, ``kernel`` or ``clustered``.

    Returns
    -------
    linearmodels.system.results.SystemResults
        ``result.equations[label]`` holds each equation's params, std_errors, tstats, pvalues.
    """
    model = IV3SLS(system_equations(data, equations, exogenous))
    return model.fit(method="gls", cov_type=cov.type, **cov.options())
