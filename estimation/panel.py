"""Static panel models: province (and year) fixed effects (linearmodels ``PanelOLS``), Hausman.

Notes
-----
The fixed-effects model :math:`y_{it} = \\alpha_i + x_{it}'\\beta + \\varepsilon_{it}` is fitted by
the within transformation; linearmodels reports a constant (the mean of the fixed effects) when
``const`` is among the regressors, as Stata's ``xtreg, fe`` does. With ``time_effects`` the model
is two-way, :math:`y_{it} = \\alpha_i + \\gamma_t + x_{it}'\\beta + \\varepsilon_{it}` (Stata's
``xtreg y x i.year, fe``); on an unbalanced panel (years missing for some provinces) linearmodels
absorbs both sets of effects exactly, not by double demeaning.

Hausman (1978), FE against RE, over the slope coefficients :math:`b` common to both:

.. math::

    H = (b_{FE} - b_{RE})' [V_{FE} - V_{RE}]^{-1} (b_{FE} - b_{RE}) \\sim \\chi^2_k

with the classic (non-robust) covariances of both fits. By default (``sigmamore=True``) both are
scaled by RE's estimate of :math:`\\sigma^2_\\varepsilon` (Stata's ``hausman fe re, sigmamore``),
which makes :math:`V_{FE} - V_{RE}` positive semi-definite; ``sigmamore=False`` keeps each fit's own
estimate, the textbook statistic that R's ``plm::phtest`` and Stata's plain ``hausman fe re`` print
(on Grunfeld's data, 2.3304 with 2 df: ``tests/estimation/references/grunfeld_plm.csv``). When
:math:`V_{FE} - V_{RE}` is not positive definite the generalised inverse is used, the degrees of
freedom are its rank, and the result carries a note. When RE cannot be fitted (the between
regression needs more provinces than parameters: the 8 central provinces with eq. 3 or 4) the
result is NaN with a note saying why.

The adjusted R² reported for FE is the adjusted *within* R²:
:math:`1 - (1 - R^2_w)(n - N)/(n - N - k)`, with :math:`N` provinces and :math:`k` slopes, the
definition of R's fixest (``r2(x, "war2")``): both variances on their degrees of freedom, so it is
unbiased (mean exactly 0) when the slopes are all zero. plm prints
:math:`1 - (1 - R^2_w)(n - 1)/(n - N - k)` instead (0.75311 on Grunfeld's data, where this gives
0.76428).

Few clusters. With G clusters the clustered t statistic is referred to t(G−1)
(:func:`cluster_t_inference`), and :func:`wild_cluster_bootstrap` gives restricted wild cluster
bootstrap-t p-values (WCR11, Cameron, Gelbach and Miller 2008; MacKinnon and Webb 2017) from the
``wildboottest`` package, checked against R ``fwildclusterboot``
(``tests/estimation/references/wildboottest_fwildclusterboot.csv``). The fixed effects are
nested in the clusters (provinces), so the bootstrap runs on the within-transformed data
(:math:`x_{it} - \bar x_i + \bar x`, which keeps linearmodels' constant): by Frisch–Waugh–Lovell
the estimates, restricted residuals and scores are those of the model with province dummies, and
the bootstrap p-value does not depend on the small-sample factor, which scales the actual and the
bootstrap statistics alike.
"""

from __future__ import annotations

import warnings as _warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from linearmodels import PanelOLS, RandomEffects
from linearmodels.panel.results import PanelEffectsResults
from scipy import stats

from estimation.sample import check_full_rank
from estimation.spec import CONST, Covariance

CLUSTERED_BY_PROVINCE = Covariance("clustered", cluster_entity=True)


@dataclass(frozen=True)
class HausmanResult:
    stat: float
    df: int
    pval: float
    note: str = ""


def _design(
    data: pd.DataFrame, regressors: Sequence[str], where: str, *, time_effects: bool = False
) -> list[str]:
    slopes = [r for r in regressors if r != CONST]
    if time_effects:
        absorbed = " after removing province and year effects (two-way fixed effects)"
        demeaned = _two_way_residuals(data[slopes])
    else:
        absorbed = " after removing province means (fixed effects)"
        demeaned = data[slopes] - data[slopes].groupby(level=0).transform("mean")
    check_full_rank(demeaned, where, absorbed=absorbed, original=data[slopes])
    return [*slopes, CONST]


def _two_way_residuals(frame: pd.DataFrame) -> pd.DataFrame:
    """Residuals of each column on entity and time dummies (exact on unbalanced panels)."""
    entity = pd.get_dummies(frame.index.get_level_values(0), dtype=float)
    time = pd.get_dummies(frame.index.get_level_values(1), dtype=float).iloc[:, 1:]
    dummies = np.hstack([entity.to_numpy(), time.to_numpy()])
    x = frame.to_numpy(dtype=float)
    coef, *_ = np.linalg.lstsq(dummies, x, rcond=None)
    return pd.DataFrame(x - dummies @ coef, index=frame.index, columns=frame.columns)


def fit_fe(
    data: pd.DataFrame,
    dependent: str,
    regressors: Sequence[str],
    *,
    cov: Covariance = CLUSTERED_BY_PROVINCE,
    time_effects: bool = False,
    where: str = "FE",
) -> PanelEffectsResults:
    """Province fixed effects (and year effects with ``time_effects``) with a constant.

    Parameters
    ----------
    data : DataFrame
        Indexed by (entity, time), with ``dependent``, ``regressors`` and ``const``.
    regressors : sequence of str
        Slopes (``const`` is added last if absent).
    cov : Covariance
        linearmodels ``cov_type`` with options, e.g. ``clustered`` by entity.
    time_effects : bool
        Two-way fixed effects: year effects as well (``PanelOLS(time_effects=True)``).

    Returns
    -------
    linearmodels.panel.results.PanelEffectsResults
    """
    exog = _design(data, regressors, where, time_effects=time_effects)
    model = PanelOLS(data[dependent], data[exog], entity_effects=True, time_effects=time_effects)
    return model.fit(cov_type=cov.type, **cov.options())


def cluster_t_inference(result: PanelEffectsResults) -> tuple[pd.Series, pd.DataFrame, int]:
    """Two-sided p-values and 95% intervals of a clustered fit, t(G−1): ``(p, ci, G)``."""
    groups = int(result.entity_info["total"])
    dof = groups - 1
    t = result.tstats
    p = pd.Series(2 * stats.t.sf(np.abs(t.to_numpy()), dof), index=t.index, name="pvalue")
    q = stats.t.ppf(0.975, dof)
    se = result.std_errors
    ci = pd.DataFrame({"lower": result.params - q * se, "upper": result.params + q * se})
    return p, ci, groups


def wild_cluster_bootstrap(
    data: pd.DataFrame,
    dependent: str,
    regressors: Sequence[str],
    *,
    weights: str = "webb",
    draws: int = 9999,
    seed: int = 15,
    terms: Sequence[str] | None = None,
) -> pd.Series:
    """Wild cluster bootstrap-t p-values (WCR11) of each slope and the constant of the FE model
    (or of ``terms`` only), clustered by entity (the index's first level); see the module Notes.

    Seeded: the same data, weights, draws and seed give the same p-values. Rademacher weights
    with ``2**G < draws`` enumerate all ``2**G`` sign patterns instead of drawing (wildboottest's
    rule), which is exact and seed-free.
    """
    slopes = [r for r in regressors if r != CONST]
    cols = [dependent, *slopes]
    frame = data[cols].astype(float)
    within = frame - frame.groupby(level=0).transform("mean") + frame.mean()
    x = within[slopes].assign(**{CONST: 1.0})
    clusters = pd.factorize(data.index.get_level_values(0))[0]
    boot_class = wild_bootstrap_class()
    p = {}
    for term in list(x.columns) if terms is None else terms:
        restriction = (x.columns == term).astype(float)
        boot = boot_class(
            X=x.to_numpy(),
            Y=within[dependent].to_numpy(),
            cluster=clusters,
            R=restriction,
            B=draws,
            seed=seed,
            parallel=False,
        )
        # the steps of wildboottest.wildboottest(), WCR11 with its small-sample factors
        boot.get_scores(bootstrap_type="11", impose_null=True, adj=True, cluster_adj=True)
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")  # full enumeration notice (Rademacher, small G)
            boot.get_weights(weights_type=weights)
        boot.get_numer()
        boot.get_denom()
        boot.get_tboot()
        boot.get_vcov()
        boot.get_tstat()
        boot.get_pvalue(pval_type="two-tailed")
        p[term] = float(np.asarray(boot.pvalue).ravel()[0])
    return pd.Series(p, name="pvalue")


def wild_bootstrap_class() -> type:
    """``wildboottest``'s ``WildboottestCL`` with the bootstrap denominators (CRV1) computed as
    one matrix product instead of its numba kernel. The package defines that kernel inside the
    method, so numba compiles it again on every call: 0.37 s per term, most of a build's
    estimation time. The formula is the package's (``Z = C_g v - H v``, ``denom = ssc ΣZ²``),
    checked against R fwildclusterboot and the package's own kernel in
    ``tests/estimation/test_few_clusters.py``."""
    from wildboottest.wildboottest import WildboottestCL

    class WildBootstrap(WildboottestCL):
        def get_denom(self) -> None:
            if self.crv_type != "crv1":
                super().get_denom()
                return
            left = self.R @ self.tXXinv
            xx = np.stack(self.tXgXg_list)  # G × k × k
            h = np.einsum("k,gkl,lm,mh->gh", left, xx, self.tXXinv, self.scores_mat)
            z = self.Cg[:, None] * self.v - h @ self.v
            self.denom = self.ssc * np.sum(z * z, axis=0)

    return WildBootstrap


def adjusted_within_r2(result: PanelEffectsResults) -> float:
    """``1 - (1 - R²_within)(n - N)/(n - N - k)``, with k the number of slopes.

    With time effects as well, their ``T - 1`` columns count as slopes (k grows by ``T - 1``).
    """
    n = int(result.nobs)
    groups = int(result.entity_info["total"])
    k = sum(1 for name in result.params.index if name != CONST)
    if "Time" in result.included_effects:
        k += int(result.time_info["total"]) - 1
    r2 = float(result.rsquared_within)
    return 1.0 - (1.0 - r2) * (n - groups) / (n - groups - k)


def hausman(
    data: pd.DataFrame,
    dependent: str,
    regressors: Sequence[str],
    *,
    sigmamore: bool = True,
    where: str = "Hausman",
) -> HausmanResult:
    """Hausman test of FE against RE (classic covariances); see the module Notes.

    ``sigmamore``: both covariances on RE's :math:`\\sigma^2_\\varepsilon` (default), else each
    fit's own (``plm::phtest``).
    """
    exog = _design(data, regressors, where)
    fe = PanelOLS(data[dependent], data[exog], entity_effects=True).fit(cov_type="unadjusted")
    try:
        re = RandomEffects(data[dependent], data[exog]).fit(cov_type="unadjusted")
    except ValueError as exc:  # e.g. fewer provinces than between-regression parameters
        first = str(exc).split(". ")[0]
        return HausmanResult(float("nan"), 0, float("nan"), f"Hausman test not computed: {first}")
    common = [c for c in fe.params.index if c != CONST and c in re.params.index]
    diff = (fe.params[common] - re.params[common]).to_numpy()
    v_fe = fe.cov.loc[common, common].to_numpy()
    if sigmamore:  # both covariances on the efficient (RE) estimate of sigma^2
        v_fe = v_fe * float(re.s2) / float(fe.s2)
    v = v_fe - re.cov.loc[common, common].to_numpy()
    eig = np.linalg.eigvalsh(v)
    note = ""
    if eig.min() <= 1e-10 * max(abs(eig).max(), 1e-300):
        note = (
            "Hausman: V_FE - V_RE is not positive definite; generalised inverse used, df = its rank"
        )
    stat = float(diff @ np.linalg.pinv(v) @ diff)
    df = int(np.linalg.matrix_rank(v))
    if stat < 0:
        note = (note + "; " if note else "") + "Hausman: negative statistic (set to 0)"
        stat = 0.0
    return HausmanResult(stat, df, float(stats.chi2.sf(stat, df)), note)
